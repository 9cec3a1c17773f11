/* tests/fuzz/fuzz_rulebook.c — a rulebook as `hearthd rulebook set` and a
 * device's sync read it (hh_rulebook_parse); one that parses must compute a
 * tier for a real household and visit (tests/data/sample.jsonl's first line)
 * without failing, and every tier in range. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "model/exchange.h"
#include "model/rulebook.h"
#include "model/tier.h"

#define RULEBOOK_MAX (64 * 1024)

static hh_exchange_record sample;
static hh_rulebook rules;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    /* tests/data/sample.jsonl's first line. */
    static const char line[] =
        "{\"household\": {\"registry_no\": \"5118231012010001\", \"village_code\": \"511823101201"
        "\", \"category\": \"ordinary\", \"relocated\": false, \"resettlement_site\": null, \"mem"
        "bers\": [{\"name\": \"马平\", \"id_number\": \"511823197801020038\", \"relation\": \"head"
        "\", \"sex\": \"m\", \"birth_year\": 1978, \"labour\": \"full\", \"health\": \"healthy\","
        " \"school\": \"none\", \"medical_insurance\": true, \"employment\": \"migrant\"}, {\"nam"
        "e\": \"马伟\", \"id_number\": \"511823198003140048\", \"relation\": \"spouse\", \"sex\": "
        "\"f\", \"birth_year\": 1980, \"labour\": \"full\", \"health\": \"healthy\", \"school\": "
        "\"none\", \"medical_insurance\": true, \"employment\": \"local\"}, {\"name\": \"赵艳\", \""
        "id_number\": \"511823200705130063\", \"relation\": \"child\", \"sex\": \"f\", \"birth_ye"
        "ar\": 2007, \"labour\": \"none\", \"health\": \"healthy\", \"school\": \"enrolled\", \"m"
        "edical_insurance\": true, \"employment\": \"none\"}]}, \"visit\": {\"visited_on\": \"202"
        "6-10-01\", \"officer\": \"officer-009\", \"income_yuan\": {\"wages\": 17820, \"operating"
        "\": 6750, \"property\": 0, \"transfer\": 2430}, \"expenditure_yuan\": {\"medical\": 0, "
        "\"education\": 0, \"disaster\": 0}, \"shocks\": [], \"guarantees\": {\"food\": true, \"c"
        "lothing\": true, \"education\": true, \"medical\": true, \"housing\": true, \"water\": t"
        "rue}, \"notes\": \"\"}}";
    hh_diag d;

    (void)argc, (void)argv;
    hh_diag_clear(&d);
    if (hh_exchange_parse(line, sizeof line - 1, 2026, &sample, &d) != HH_OK)
        hh_fuzz_setup_failed(d.message);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hh_tier_result r;
    hh_diag d;

    if (size > RULEBOOK_MAX)
        return 0;
    hh_diag_clear(&d);
    if (hh_rulebook_parse((const char *)data, size, &rules, &d) != HH_OK)
        return 0;
    HH_FUZZ_CHECK(hh_tier_compute(&rules, &sample.household, &sample.visit, NULL, &r) == HH_OK);
    HH_FUZZ_CHECK(r.tier >= HH_TIER_GREEN && r.tier <= HH_TIER_RED);
    HH_FUZZ_CHECK(hh_tier_compute(&rules, &sample.household, &sample.visit, &sample.visit, &r) == HH_OK);
    return 0;
}
