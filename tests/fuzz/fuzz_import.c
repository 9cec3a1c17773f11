/* tests/fuzz/fuzz_import.c — a JSON Lines file as `hearth import` reads it:
 * a byte order mark skipped, NUL bytes refused, each non-blank line
 * (hh_lines_next) parsed and validated (hh_exchange_parse). A line that parses must survive the
 * round trip: written back (hh_exchange_write) it parses again, to the same
 * household and visit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "model/buf.h"
#include "model/exchange.h"

static hh_exchange_record rec, again;

static void round_trip(void)
{
    hh_buf line;
    hh_diag d;

    hh_buf_init(&line, 1u << 20);
    /* A visit alone names its household as it was named. */
    if (rec.has_household || rec.ref_registry_no[0] || rec.ref_household_id[0]) {
        hh_household ref = { 0 };
        snprintf(ref.registry_no, sizeof ref.registry_no, "%s", rec.ref_registry_no);
        snprintf(ref.id, sizeof ref.id, "%s", rec.ref_household_id);
        if (hh_exchange_write(&line, rec.has_household ? &rec.household : NULL,
                              rec.has_visit ? &rec.visit : NULL,
                              rec.ref_registry_no[0] ? &ref : rec.ref_household_id[0] ? &ref : NULL) == HH_OK) {
            hh_diag_clear(&d);
            HH_FUZZ_CHECK(line.len > 0 && line.data[line.len - 1] == '\n');
            HH_FUZZ_CHECK(hh_exchange_parse(line.data, line.len - 1, 2026, &again, &d) == HH_OK);
            HH_FUZZ_CHECK(again.has_household == rec.has_household && again.has_visit == rec.has_visit);
            if (rec.has_household)
                HH_FUZZ_CHECK(again.household.member_count == rec.household.member_count &&
                              strcmp(again.household.registry_no, rec.household.registry_no) == 0);
            if (rec.has_visit)
                HH_FUZZ_CHECK(strcmp(again.visit.visited_on, rec.visit.visited_on) == 0 &&
                              again.visit.income.wages_yuan == rec.visit.income.wages_yuan);
        }
    }
    hh_buf_free(&line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *line;
    size_t pos = 0, len;
    hh_lines it;
    hh_diag d;

    if (size >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    if (memchr(text + pos, '\0', size - pos))
        return 0;                              /* refused whole by the importer */
    it = (hh_lines){ text + pos, size - pos, 0, 0 };
    while (hh_lines_next(&it, &line, &len)) {
        hh_diag_clear(&d);
        if (hh_exchange_parse(line, len, 2026, &rec, &d) == HH_OK)
            round_trip();
    }
    return 0;
}
