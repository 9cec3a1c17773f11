/* model/rulebook.h — the versioned numbers behind the warning tiers.
 *
 * Regions and years set different income lines, so no threshold lives in code:
 * a rulebook is a small text file (model/default.rulebook documents the format)
 * parsed here into an hh_rulebook. The parser is strict — unknown, repeated or
 * missing keys and out-of-range values are refused with the line number — because
 * a rulebook that silently half-applies would mis-tier whole counties. The
 * collector pushes its rulebook text to devices, which parse it with this code. */
#ifndef HH_RULEBOOK_H
#define HH_RULEBOOK_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "record.h"

/* Tiers in ascending order of urgency, so the highest is the maximum. The values
 * match proto Tier. */
typedef enum hh_tier {
    HH_TIER_GREEN = 1, HH_TIER_YELLOW, HH_TIER_ORANGE, HH_TIER_RED
} hh_tier;

extern const hh_enum_names hh_tier_names;

#define HH_RULEBOOK_VERSION_MAX 64
#define HH_RULEBOOK_TEXT_MAX    16384
#define HH_MEASURES_MAX         24    /* measures (帮扶措施) a rulebook may list */
#define HH_MEASURE_CODE_MAX     32
#define HH_SUGGEST_MAX          24    /* causes with suggested measures */
#define HH_CAUSE_MAX            32

/* Measures suggested for one cause: a shock (illness) or a reason code
 * (relocated_no_employment). */
typedef struct hh_suggestion {
    char cause[HH_CAUSE_MAX + 1];
    uint32_t measures;                /* bit i: measures[i] */
    int line;                         /* where it was set, for messages */
} hh_suggestion;

typedef struct hh_rulebook {
    char version[HH_RULEBOOK_VERSION_MAX + 1];
    int64_t red_below_yuan;           /* per-capita net income bands */
    int64_t orange_below_yuan;
    int64_t yellow_below_yuan;
    int income_drop_percent;
    hh_tier income_drop_tier;
    int rigid_orange_percent;
    int rigid_red_percent;
    hh_tier guarantee_failed_tier;
    hh_tier shock_tier;
    hh_tier relocated_no_employment_tier;
    hh_tier no_labour_capacity_tier;
    /* The review lifecycle (DESIGN 2). A rulebook that sets none of these
     * takes them all from the shipped default; one that sets any sets all. */
    int64_t monitoring_line_yuan;     /* 监测线: per-capita income to stay above */
    int verify_within_days;           /* warning → home check (入户核实) */
    int appraise_within_days;         /* home check → village appraisal (村级评议) */
    int notice_days;                  /* the public notice (公示) runs this long */
    int decide_within_days;           /* warning → county decision */
    int stable_months;                /* 风险消除: months stably above the line */
    int measure_count;
    char measures[HH_MEASURES_MAX][HH_MEASURE_CODE_MAX + 1];
    int suggestion_count;
    hh_suggestion suggestions[HH_SUGGEST_MAX];
    /* How often a household is visited, by its tier (the worklist's due
     * dates); likewise a section of its own. visit_days[hh_tier]. */
    int visit_days[HH_TIER_RED + 1];
} hh_rulebook;

/* The index of measure code in rules->measures, or -1. */
int hh_rulebook_measure(const hh_rulebook *rules, const char *code);

/* Parse len bytes of rulebook text into out. On error, d->field is "line N" (or
 * the missing key) and d->message says why; out is then unspecified. */
hh_err hh_rulebook_parse(const char *text, size_t len, hh_rulebook *out, hh_diag *d);

/* The text of the rulebook shipped in the repository (model/default.rulebook),
 * compiled in. Static storage. */
const char *hh_rulebook_default_text(void);

/* Parse the shipped default into out. */
hh_err hh_rulebook_default(hh_rulebook *out);

#endif
