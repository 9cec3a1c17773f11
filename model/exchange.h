/* model/exchange.h — the JSON Lines exchange format (DESIGN section 2a).
 *
 * One line is one JSON object with a "household" (created or updated) and/or a
 * "visit" for it. Field names and enumeration names are exactly DESIGN's; unknown
 * fields are an error, never silently dropped. Beyond DESIGN's example, three
 * optional fields keep identities stable across an export and re-import:
 *   - "id" on a household, a member and a visit (UUIDs);
 *   - on a line with a visit and no household, the visit names its household with
 *     "registry_no" or "household_id";
 *   - a visit may carry "gps": {"lat": …, "lon": …}, "supersedes": "<visit id>",
 *     and a member "disability_grade" (1..4) and "employment_stable" (bool).
 * Money is whole yuan; a fraction is an error. The same names head the CSV
 * export's columns. */
#ifndef HH_EXCHANGE_H
#define HH_EXCHANGE_H

#include <stdbool.h>

#include "buf.h"
#include "diag.h"
#include "record.h"
#include "review.h"

typedef struct hh_exchange_record {
    bool has_household;
    hh_household household;
    bool members_given;              /* the household object had "members" */
    bool has_visit;
    hh_visit visit;
    /* A visit on a line without a household names its household by one of: */
    char ref_registry_no[HH_REGISTRY_NO_MAX + 1];
    char ref_household_id[HH_UUID_LEN + 1];
} hh_exchange_record;

/* Parse and validate one line (without its newline). current_year bounds birth
 * years. On error d names the field path ("household.members[0].id_number") and
 * what is wrong. out is large (about 20 KB): callers keep one, not many. */
hh_err hh_exchange_parse(const char *line, size_t len, int current_year,
                         hh_exchange_record *out, hh_diag *d);

/* The lines of a file: each non-blank line in turn, without its newline (or
 * its carriage return), with its 1-based number. Set text and len, zero the
 * rest; hh_lines_next gives 0 at the end. */
typedef struct hh_lines {
    const char *text;
    size_t len, pos;
    long line_no;
} hh_lines;
int hh_lines_next(hh_lines *it, const char **line, size_t *len);

/* Append one exchange line (with its newline) for household h and/or visit v.
 * When h is NULL, v names its household by ref's registry_no, else ref's id. */
hh_err hh_exchange_write(hh_buf *out, const hh_household *h, const hh_visit *v,
                         const hh_household *ref);

/* One household's tier as DESIGN 2a's `tiers --json` line. */
typedef struct hh_tier_json {
    const char *registry_no;         /* "" for none */
    const char *id;
    const char *village_code;
    int tier;                        /* hh_tier */
    uint32_t reasons;                /* HH_REASON_* bits */
    const char *rulebook;
    const char *source;              /* "device" | "collector" */
    const char *review;              /* NULL: not shown */
    const char *last_visit_on;
    int64_t per_capita_yuan;         /* -1: not shown */
    int device_tier;                 /* the device's own tier where it differs; 0: none */
    const hh_open_measure *measures; /* shown with review */
    int n_measures;
} hh_tier_json;

/* Append t as one JSON line (with its newline). */
hh_err hh_exchange_write_tier(hh_buf *out, const hh_tier_json *t);

#endif
