/* tests/unit/test_exchange.c — model/exchange.c: DESIGN 2a's example, round
 * trips, and errors that name the field. */
#include "helpers.h"

#include "model/exchange.h"

/* DESIGN section 2a's example, verbatim but for the line breaks. */
static const char design_example[] =
    "{\"household\": {\"registry_no\": \"5118231012010001\", \"village_code\": \"511823101201\","
    " \"category\": \"lifted\", \"relocated\": false, \"resettlement_site\": null,"
    " \"members\": [{\"name\": \"张三\", \"id_number\": \"511823197001010018\", \"relation\": \"head\","
    " \"sex\": \"m\", \"birth_year\": 1970, \"labour\": \"full\", \"health\": \"healthy\","
    " \"school\": \"none\", \"medical_insurance\": true, \"employment\": \"migrant\"}]},"
    " \"visit\": {\"visited_on\": \"2026-10-01\", \"officer\": \"officer-017\", \"household_size\": 4,"
    " \"income_yuan\": {\"wages\": 12000, \"operating\": 3000, \"property\": 0, \"transfer\": 2000},"
    " \"expenditure_yuan\": {\"medical\": 0, \"education\": 0, \"disaster\": 0},"
    " \"shocks\": [\"illness\"],"
    " \"guarantees\": {\"food\": true, \"clothing\": true, \"education\": true, \"medical\": true,"
    " \"housing\": true, \"water\": true},"
    " \"notes\": \"\"}}";

static hh_exchange_record rec, rec2;

static void design_example_parses(void **state)
{
    hh_diag d;
    (void)state;
    assert_int_equal(hh_exchange_parse(design_example, strlen(design_example), 2026, &rec, &d), HH_OK);
    assert_true(rec.has_household);
    assert_true(rec.has_visit);
    assert_true(rec.members_given);
    assert_string_equal(rec.household.registry_no, "5118231012010001");
    assert_int_equal(rec.household.category, HH_CATEGORY_LIFTED);
    assert_int_equal(rec.household.member_count, 1);
    assert_string_equal(rec.household.members[0].name, "张三");
    assert_int_equal(rec.household.members[0].employment, HH_EMPLOYMENT_MIGRANT);
    assert_int_equal(rec.visit.household_size, 4);
    assert_int_equal(rec.visit.income.wages_yuan, 12000);
    assert_int_equal(rec.visit.income.transfer_yuan, 2000);
    assert_int_equal(rec.visit.shocks, 1u << HH_SHOCK_ILLNESS);
    assert_int_equal(rec.visit.guarantees_met, HH_GUARANTEES_ALL);
}

static void round_trip(void **state)
{
    hh_buf b;
    hh_diag d;
    (void)state;
    assert_int_equal(hh_exchange_parse(design_example, strlen(design_example), 2026, &rec, &d), HH_OK);
    snprintf(rec.household.id, sizeof rec.household.id, "01234567-89ab-7def-8123-456789abcdef");
    snprintf(rec.visit.id, sizeof rec.visit.id, "01234567-89ab-7def-8123-456789abcde0");
    snprintf(rec.visit.notes, sizeof rec.visit.notes, "引号\" and \\ and\nnewline");
    rec.visit.has_gps = true;
    rec.visit.lat_microdeg = 29351234;
    rec.visit.lon_microdeg = -102678901;
    rec.visit.guarantees_met &= ~(1u << HH_GUARANTEE_WATER);
    hh_buf_init(&b, 1 << 16);
    assert_int_equal(hh_exchange_write(&b, &rec.household, &rec.visit, NULL), HH_OK);
    assert_int_equal(b.data[b.len - 1], '\n');
    assert_int_equal(hh_exchange_parse(b.data, b.len - 1, 2026, &rec2, &d), HH_OK);
    assert_memory_equal(&rec.household, &rec2.household, sizeof rec.household);
    assert_string_equal(rec2.visit.notes, rec.visit.notes);
    assert_int_equal(rec2.visit.lat_microdeg, 29351234);
    assert_int_equal(rec2.visit.lon_microdeg, -102678901);
    assert_int_equal(rec2.visit.guarantees_met, rec.visit.guarantees_met);
    /* A visit-only line names its household by registry number. */
    hh_buf_reset(&b);
    assert_int_equal(hh_exchange_write(&b, NULL, &rec.visit, &rec.household), HH_OK);
    assert_int_equal(hh_exchange_parse(b.data, b.len - 1, 2026, &rec2, &d), HH_OK);
    assert_false(rec2.has_household);
    assert_string_equal(rec2.ref_registry_no, "5118231012010001");
    hh_buf_free(&b);
}

/* Replace `from` with `to` in the example and expect an error naming field. */
static void expect_error(const char *from, const char *to, const char *field, const char *words)
{
    char line[4096];
    const char *at = strstr(design_example, from);
    hh_diag d;
    hh_err err;

    assert_non_null(at);
    snprintf(line, sizeof line, "%.*s%s%s", (int)(at - design_example), design_example, to,
             at + strlen(from));
    hh_diag_clear(&d);
    err = hh_exchange_parse(line, strlen(line), 2026, &rec, &d);
    if (err == HH_OK || strcmp(d.field, field) != 0 || !strstr(d.message, words))
        fail_msg("'%s' -> '%s': got %d '%s: %s', want '%s' mentioning '%s'", from, to, err,
                 d.field, d.message, field, words);
}

static void errors_name_the_field(void **state)
{
    (void)state;
    expect_error("511823197001010018", "511823197001010019", "household.members[0].id_number",
                 "check digit");
    expect_error("\"notes\": \"\"", "\"notes\": \"\", \"mood\": 1", "visit.mood", "not a known field");
    expect_error("\"category\": \"lifted\"", "\"category\": \"rich\"", "household.category",
                 "one of: ordinary");
    expect_error("\"wages\": 12000", "\"wages\": -12000", "visit.income_yuan.wages", "negative");
    expect_error("\"wages\": 12000", "\"wages\": 12000.5", "visit.income_yuan.wages", "whole number");
    expect_error("\"wages\": 12000", "\"wages\": 200000000", "visit.income_yuan.wages", "bound");
    expect_error("\"wages\": 12000", "\"wages\": \"12000\"", "visit.income_yuan.wages", "a number");
    expect_error("\"wages\": 12000, ", "", "visit.income_yuan.wages", "required");
    expect_error("\"shocks\": [\"illness\"]", "\"shocks\": [\"flood\"]", "visit.shocks", "one of");
    expect_error("\"water\": true", "\"water\": \"yes\"", "visit.guarantees.water", "a boolean");
    expect_error("\"visited_on\": \"2026-10-01\"", "\"visited_on\": \"2026-02-30\"",
                 "visit.visited_on", "real date");
    expect_error("\"sex\": \"m\"", "\"sex\": \"x\"", "household.members[0].sex", "one of: m | f");
    expect_error("\"birth_year\": 1970", "\"birth_year\": 1971", "household.members[0].birth_year",
                 "the birth year in the ID number");
    expect_error("\"village_code\": \"511823101201\"", "\"village_code\": \"5118\"",
                 "household.village_code", "12 digits");
    expect_error("{\"household\": ", "{\"householdx\": {}, \"household\": ", "householdx",
                 "not a known field");
}

static void line_shapes(void **state)
{
    hh_diag d;
    const char *visit_only =
        "{\"visit\": {\"visited_on\": \"2026-10-01\", \"officer\": \"o\","
        " \"income_yuan\": {\"wages\": 1, \"operating\": 0, \"property\": 0, \"transfer\": 0},"
        " \"expenditure_yuan\": {\"medical\": 0, \"education\": 0, \"disaster\": 0},"
        " \"guarantees\": {\"food\": true, \"clothing\": true, \"education\": true,"
        " \"medical\": true, \"housing\": true, \"water\": true}}}";
    const char *anonymous =
        "{\"household\": {\"village_code\": \"511823101201\", \"category\": \"lifted\"}}";
    (void)state;
    assert_int_equal(hh_exchange_parse("[1]", 3, 2026, &rec, &d), HH_EINVAL);
    assert_int_equal(hh_exchange_parse("{}", 2, 2026, &rec, &d), HH_EINVAL);
    assert_int_equal(hh_exchange_parse(visit_only, strlen(visit_only), 2026, &rec, &d), HH_EINVAL);
    assert_non_null(strstr(d.message, "registry_no"));
    assert_int_equal(hh_exchange_parse(anonymous, strlen(anonymous), 2026, &rec, &d), HH_EINVAL);
    assert_non_null(strstr(d.message, "registry_no or an id"));
}

static void too_many_members(void **state)
{
    char line[16384];
    size_t n = 0;
    hh_diag d;
    (void)state;
    n += (size_t)snprintf(line + n, sizeof line - n,
                          "{\"household\": {\"registry_no\": \"1\", \"village_code\": \"511823101201\","
                          " \"category\": \"lifted\", \"members\": [");
    for (int i = 0; i <= HH_MEMBERS_MAX; i++)
        n += (size_t)snprintf(line + n, sizeof line - n, "%s{}", i ? "," : "");
    n += (size_t)snprintf(line + n, sizeof line - n, "]}}");
    assert_int_equal(hh_exchange_parse(line, n, 2026, &rec, &d), HH_ERANGE);
    assert_string_equal(d.field, "household.members");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(design_example_parses),
        cmocka_unit_test(round_trip),
        cmocka_unit_test(errors_name_the_field),
        cmocka_unit_test(line_shapes),
        cmocka_unit_test(too_many_members),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
