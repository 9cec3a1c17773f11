/* sync/export.h — households and visits out as JSON Lines (the exchange
 * format, DESIGN 2a) or CSV, from the record tables; the same for the device
 * (`hearth export`) and the collector (`hearthd export`). */
#ifndef HH_EXPORT_H
#define HH_EXPORT_H

#include "model/buf.h"
#include "sync/records.h"

typedef struct hh_export_tier {
    int found;
    hh_tier tier;
    uint32_t reasons;
} hh_export_tier;

/* The tier to print in a household's CSV rows (found = 0: none). */
typedef hh_err (*hh_export_tier_fn)(void *ctx, const char *household_id, hh_export_tier *out);

/* Append every household (of `village`, or all) and its visits to out, as CSV
 * when csv, else as JSON Lines. tier_of may be NULL. HH_ERANGE when out's cap is
 * reached. */
hh_err hh_export(hh_sqlcache *sql, const char *village, int csv, hh_export_tier_fn tier_of,
                 void *tier_ctx, hh_buf *out);

/* One CSV field (no separator), quoted when it must be: text a spreadsheet
 * would run as a formula (leading = + - @, tab, CR) gets a leading '; a code
 * (code: registry, ID or village number) of 12 digits or more goes in as
 * ="…", so a spreadsheet keeps every digit. */
hh_err hh_export_csv_field(hh_buf *b, const char *text, int code);

#endif
