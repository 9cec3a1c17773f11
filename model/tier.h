/* model/tier.h — the warning-tier engine.
 *
 * Computes a household's tier (green < yellow < orange < red) and the reasons for
 * it from its members, its latest visit and the visit before, under a rulebook
 * (DESIGN section 2). The tier is the highest of the income band and every
 * escalation that fires. Pure: no I/O, no allocation; the same code runs on the
 * device (provisional tier) and in the collector (authoritative tier).
 *
 * Money comparisons are exact: "per-capita income < line" is evaluated as
 * "total income < line * household size", so no rounding ever moves a household
 * across a band edge. */
#ifndef HH_TIER_H
#define HH_TIER_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"
#include "rulebook.h"

/* Reason bits; the order is the order codes are listed in. */
enum {
    HH_REASON_INCOME_BELOW_LINE       = 1u << 0,
    HH_REASON_INCOME_MARGINAL         = 1u << 1,
    HH_REASON_INCOME_KEY_MONITORING   = 1u << 2,
    HH_REASON_GUARANTEE_FAILED        = 1u << 3,
    HH_REASON_INCOME_DROP             = 1u << 4,
    HH_REASON_RIGID_EXPENDITURE       = 1u << 5,
    HH_REASON_SHOCK                   = 1u << 6,
    HH_REASON_RELOCATED_NO_EMPLOYMENT = 1u << 7,
    HH_REASON_NO_LABOUR_CAPACITY      = 1u << 8,
    /* Not computed from a visit: the collector holds a household red while its
     * warning is open (the review lifecycle), and says so with this reason. */
    HH_REASON_WARNING_OPEN            = 1u << 9,
};
#define HH_REASON_COUNT 10

typedef struct hh_tier_result {
    hh_tier tier;
    uint32_t reasons;              /* HH_REASON_* bits */
    int64_t per_capita_yuan;       /* floor(total income / household size) */
    int household_size;            /* as used: the visit's, else the member count */
} hh_tier_result;

/* Compute the tier of `hh` from `latest` and `previous` (may be NULL) under
 * `rules`. Returns HH_OK; HH_EINVAL if latest is NULL or the household size is
 * unknown (no members and the visit states none). Borrows all inputs. */
hh_err hh_tier_compute(const hh_rulebook *rules, const hh_household *hh,
                       const hh_visit *latest, const hh_visit *previous,
                       hh_tier_result *out);

/* A visit's per-capita net income: floor(total income / household size),
 * the size being the visit's, else the household's member count; -1 when
 * neither says. (Compared with a line, it is exact: floor(t / n) >= line
 * exactly when t >= line * n.) */
int64_t hh_visit_per_capita(const hh_household *hh, const hh_visit *v);

/* The stable code of one reason bit ("income_below_line"), or NULL. */
const char *hh_reason_code(uint32_t bit);

/* The reason bit for a code, or 0 if unknown. */
uint32_t hh_reason_parse(const char *code);

/* The reason bits of a comma-separated list of codes (unknown codes ignored:
 * a newer collector may know reasons this device does not). */
uint32_t hh_reasons_parse(const char *codes);

/* Write the codes of `reasons` separated by `sep` into out. HH_ERANGE if they do
 * not fit (out is then cut at a code boundary). */
hh_err hh_reasons_format(uint32_t reasons, const char *sep, char *out, size_t cap);

#endif
