/* tests/unit/test_review.c — model/review.c: the lifecycle's transitions and
 * levels, the elimination criteria, the category, suggestions, time limits,
 * and the open-measures text. */
#include "helpers.h"

#include "model/review.h"

static hh_rulebook rules;

static int setup(void **state)
{
    (void)state;
    return hh_rulebook_default(&rules) == HH_OK ? 0 : -1;
}

static void the_whole_procedure(void **state)
{
    static const struct { hh_review_action act; hh_level level; hh_review_state to; } path[] = {
        { HH_ACT_VERIFY, HH_LEVEL_VILLAGE, HH_REVIEW_VERIFIED },
        { HH_ACT_VILLAGE, HH_LEVEL_VILLAGE, HH_REVIEW_VILLAGE_APPROVED },
        { HH_ACT_TOWNSHIP, HH_LEVEL_TOWNSHIP, HH_REVIEW_TOWNSHIP_APPROVED },
        { HH_ACT_COUNTY, HH_LEVEL_COUNTY, HH_REVIEW_MONITORED },
        { HH_ACT_INTERVENE, HH_LEVEL_VILLAGE, HH_REVIEW_MONITORED },
        { HH_ACT_PROPOSE_RELEASE, HH_LEVEL_TOWNSHIP, HH_REVIEW_RELEASE_PROPOSED },
        { HH_ACT_VILLAGE, HH_LEVEL_VILLAGE, HH_REVIEW_RELEASE_VILLAGE_APPROVED },
        { HH_ACT_TOWNSHIP, HH_LEVEL_TOWNSHIP, HH_REVIEW_RELEASE_TOWNSHIP_APPROVED },
        { HH_ACT_COUNTY, HH_LEVEL_COUNTY, HH_REVIEW_RELEASED },
        { HH_ACT_REOPEN, HH_LEVEL_COUNTY, HH_REVIEW_MONITORED },
    };
    hh_review_state s = HH_REVIEW_COMPUTED, to;
    (void)state;
    for (size_t i = 0; i < sizeof path / sizeof path[0]; i++) {
        assert_int_equal(hh_review_next(s, path[i].act, path[i].level, &to, NULL), HH_OK);
        assert_int_equal(to, path[i].to);
        s = to;
    }
    assert_true(hh_review_open(HH_REVIEW_MONITORED));
    assert_false(hh_review_open(HH_REVIEW_RELEASED));
    assert_false(hh_review_open(HH_REVIEW_DISMISSED));
}

static void refusals(void **state)
{
    hh_review_state to = 0;
    hh_diag d;
    (void)state;
    hh_diag_clear(&d);
    /* the wrong level for an approval */
    assert_int_equal(hh_review_next(HH_REVIEW_VERIFIED, HH_ACT_VILLAGE, HH_LEVEL_COUNTY, &to, &d), HH_EPERM);
    assert_non_null(strstr(d.message, "village-level"));
    assert_int_equal(to, 0);
    /* out of order, naming what is allowed */
    assert_int_equal(hh_review_next(HH_REVIEW_COMPUTED, HH_ACT_COUNTY, HH_LEVEL_COUNTY, &to, &d), HH_ECONFLICT);
    assert_non_null(strstr(d.message, "allowed: verify, dismiss"));
    /* no measures before the home check, nor after the release */
    assert_int_equal(hh_review_next(HH_REVIEW_COMPUTED, HH_ACT_INTERVENE, HH_LEVEL_VILLAGE, &to, &d), HH_ECONFLICT);
    assert_int_equal(hh_review_next(HH_REVIEW_RELEASED, HH_ACT_TRACK, HH_LEVEL_VILLAGE, &to, &d), HH_ECONFLICT);
    /* a dismissal is reversed by the county only */
    assert_int_equal(hh_review_next(HH_REVIEW_DISMISSED, HH_ACT_REOPEN, HH_LEVEL_TOWNSHIP, &to, &d), HH_EPERM);
    assert_int_equal(hh_review_next(HH_REVIEW_DISMISSED, HH_ACT_REOPEN, HH_LEVEL_COUNTY, &to, &d), HH_OK);
    assert_int_equal(to, HH_REVIEW_COMPUTED);
    assert_int_equal(hh_review_next(HH_REVIEW_MONITORED, HH_ACT_DISMISS, HH_LEVEL_COUNTY, &to, &d), HH_ECONFLICT);
}

static void category(void **state)
{
    (void)state;
    assert_int_equal(hh_review_category(&rules, HH_CATEGORY_LIFTED, 3000), HH_CATEGORY_UNSTABLE);
    assert_int_equal(hh_review_category(&rules, HH_CATEGORY_ORDINARY, 4999), HH_CATEGORY_MARGINAL);
    assert_int_equal(hh_review_category(&rules, HH_CATEGORY_LIFTED, 5000), HH_CATEGORY_SUDDEN_HARDSHIP);
}

static int release(const hh_release_visit *v, int n, uint32_t reasons, const char *today, char *unmet)
{
    hh_tier_result latest = { HH_TIER_GREEN, reasons, 0, 1 };
    int count = -1;
    hh_review_release_check(&rules, v, n, &latest, today, unmet, 600, &count);
    return count;
}

static void release_criteria(void **state)
{
    const hh_release_visit stable[] = { { "2026-01-10", 2000 }, { "2026-05-01", 6000 }, { "2026-11-01", 7000 } };
    const hh_release_visit recent[] = { { "2026-01-10", 6000 }, { "2026-08-01", 2000 }, { "2026-11-01", 7000 } };
    const hh_release_visit below[] = { { "2026-11-01", 4999 } };
    char unmet[600];
    (void)state;
    assert_int_equal(release(stable, 3, 0, "2026-12-01", unmet), 0);
    /* above the line since 2026-11-01 only */
    assert_int_equal(release(recent, 3, 0, "2026-12-01", unmet), 1);
    assert_non_null(strstr(unmet, "only since 2026-11-01, less than 6 months"));
    assert_int_equal(release(below, 1, 0, "2026-12-01", unmet), 1);
    assert_non_null(strstr(unmet, "4999 yuan per person on the latest visit, below the monitoring line (5000)"));
    /* every unmet criterion named */
    assert_int_equal(release(stable, 3, HH_REASON_GUARANTEE_FAILED | HH_REASON_SHOCK | HH_REASON_NO_LABOUR_CAPACITY,
                             "2026-12-01", unmet), 3);
    assert_non_null(strstr(unmet, "两不愁三保障"));
    assert_non_null(strstr(unmet, "new risk on the latest visit: shock"));
    assert_non_null(strstr(unmet, "stays monitored"));
    assert_int_equal(release(stable, 0, 0, "2026-12-01", unmet), 1);
    assert_non_null(strstr(unmet, "no visit"));
}

static void months_and_limits(void **state)
{
    char out[HH_DATE_LEN + 1];
    const uint64_t day = 86400000ull;
    (void)state;
    hh_date_add_months("2026-03-31", -6, out);
    assert_string_equal(out, "2025-09-31");      /* kept for ordering only */
    hh_date_add_months("2026-12-01", 1, out);
    assert_string_equal(out, "2027-01-01");
    assert_int_equal(hh_review_due_ms(&rules, HH_REVIEW_COMPUTED, HH_TIER_RED, 1000, 0), 1000 + 3 * day);
    assert_int_equal(hh_review_due_ms(&rules, HH_REVIEW_COMPUTED, HH_TIER_GREEN, 1000, 0), 0);
    assert_int_equal(hh_review_due_ms(&rules, HH_REVIEW_VERIFIED, HH_TIER_RED, 1000, 0), 1000 + 5 * day);
    assert_int_equal(hh_review_due_ms(&rules, HH_REVIEW_TOWNSHIP_APPROVED, HH_TIER_RED, 9000, 500), 500 + 15 * day);
    assert_int_equal(hh_review_due_ms(&rules, HH_REVIEW_MONITORED, HH_TIER_RED, 9000, 500), 0);
}

static void suggestions(void **state)
{
    uint32_t bits;
    (void)state;
    bits = hh_review_suggest(&rules, HH_REASON_RELOCATED_NO_EMPLOYMENT, 1u << HH_SHOCK_ILLNESS);
    assert_true(bits & (1u << hh_rulebook_measure(&rules, "medical_assistance")));
    assert_true(bits & (1u << hh_rulebook_measure(&rules, "public_welfare_post")));
    assert_false(bits & (1u << hh_rulebook_measure(&rules, "education_aid")));
    assert_int_equal(hh_review_suggest(&rules, 0, 0), 0);
}

static void open_measures_text(void **state)
{
    hh_open_measure in[2] = { { 7, "medical_assistance", "王五", "2027-01-31" },
                              { 9, "education_aid", "Li Si", "2027-02-01" } }, out[HH_OPEN_MEASURES_MAX];
    char text[512];
    int n = -1;
    (void)state;
    assert_int_equal(hh_open_measures_format(in, 2, text, sizeof text), HH_OK);
    assert_int_equal(hh_open_measures_parse(text, out, HH_OPEN_MEASURES_MAX, &n), HH_OK);
    assert_int_equal(n, 2);
    assert_int_equal(out[1].id, 9);
    assert_string_equal(out[0].responsible, "王五");
    assert_string_equal(out[1].due_on, "2027-02-01");
    assert_int_equal(hh_open_measures_format(in, 2, text, 20), HH_ERANGE);
    assert_int_equal(hh_open_measures_parse("garbage", out, HH_OPEN_MEASURES_MAX, &n), HH_ECORRUPT);
    assert_int_equal(hh_open_measures_parse(NULL, out, HH_OPEN_MEASURES_MAX, &n), HH_OK);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_whole_procedure),
        cmocka_unit_test(refusals),
        cmocka_unit_test(category),
        cmocka_unit_test(release_criteria),
        cmocka_unit_test(months_and_limits),
        cmocka_unit_test(suggestions),
        cmocka_unit_test(open_measures_text),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
