/* tests/unit/test_rulebook.c — model/rulebook.c: the shipped default and every
 * way a rulebook file can be wrong. */
#include "helpers.h"

#include "model/rulebook.h"

static const char good[] =
    "# comment\r\n"
    "version = t-1\r\n"
    "  income.red_below_yuan = 3600  \n"
    "income.orange_below_yuan=4000\n"
    "\n"
    "income.yellow_below_yuan = 5000\n"
    "income_drop.percent = 30\nincome_drop.tier = orange\n"
    "rigid_expenditure.orange_percent = 50\nrigid_expenditure.red_percent = 100\n"
    "guarantee_failed.tier = red\nshock.tier = yellow\n"
    "relocated_no_employment.tier = orange\nno_labour_capacity.tier = yellow";

static void default_rulebook(void **state)
{
    hh_rulebook r;
    (void)state;
    assert_int_equal(hh_rulebook_default(&r), HH_OK);
    assert_string_equal(r.version, "yaan-2026.3");
    assert_int_equal(r.red_below_yuan, 3600);
    assert_int_equal(r.orange_below_yuan, 4000);
    assert_int_equal(r.yellow_below_yuan, 5000);
    assert_int_equal(r.income_drop_percent, 30);
    assert_int_equal(r.income_drop_tier, HH_TIER_ORANGE);
    assert_int_equal(r.rigid_orange_percent, 50);
    assert_int_equal(r.rigid_red_percent, 100);
    assert_int_equal(r.guarantee_failed_tier, HH_TIER_RED);
    assert_int_equal(r.shock_tier, HH_TIER_YELLOW);
    assert_int_equal(r.relocated_no_employment_tier, HH_TIER_ORANGE);
    assert_int_equal(r.no_labour_capacity_tier, HH_TIER_YELLOW);
    assert_int_equal(r.monitoring_line_yuan, 5000);
    assert_int_equal(r.notice_days, 5);
    assert_int_equal(r.stable_months, 6);
    assert_int_equal(r.measure_count, 10);
}

static void comments_blanks_crlf(void **state)
{
    hh_rulebook r;
    (void)state;
    assert_int_equal(hh_rulebook_parse(good, strlen(good), &r, NULL), HH_OK);
    assert_string_equal(r.version, "t-1");
    assert_int_equal(r.orange_below_yuan, 4000);
}

/* Replace the first occurrence of `from` in good with `to` and parse. */
static hh_err parse_edited(const char *from, const char *to, hh_diag *d)
{
    char text[2048];
    const char *at = strstr(good, from);
    hh_rulebook r;

    assert_non_null(at);
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
    hh_diag_clear(d);
    return hh_rulebook_parse(text, strlen(text), &r, d);
}

static void malformed(void **state)
{
    static const struct { const char *from, *to, *field, *words; } cases[] = {
        { "shock.tier = yellow", "shock.tier = purple", "line 12", "green, yellow" },
        { "shock.tier = yellow", "shok.tier = yellow", "line 12", "unknown key" },
        { "shock.tier = yellow", "shock.tier yellow", "line 12", "key = value" },
        { "income_drop.percent = 30", "income_drop.percent = 130", "line 7", "1..100" },
        { "income_drop.percent = 30", "income_drop.percent = 3O", "line 7", "percentage" },
        { "income_drop.percent = 30", "income_drop.percent = -3", "line 7", "percentage" },
        { "income_drop.percent = 30", "income_drop.percent =", "line 7", "percentage" },
        { "  income.red_below_yuan = 3600", "income.red_below_yuan = 3600.5", "line 3", "whole yuan" },
        { "version = t-1", "version = t 1", "line 2", "version" },
        { "version = t-1", "version = t-1\nversion = t-2", "line 3", "set twice (first on line 2)" },
        { "shock.tier = yellow\n", "", "shock.tier", "missing" },
        { "income.orange_below_yuan=4000", "income.orange_below_yuan=3000", "line 4", "bands strictly increase" },
        /* Equal bands leave a tier empty: refused too, naming the line. */
        { "income.orange_below_yuan=4000", "income.orange_below_yuan=3600", "line 4", "bands strictly increase" },
        { "income.yellow_below_yuan = 5000", "income.yellow_below_yuan = 4000", "line 6", "above income.orange_below_yuan" },
        { "rigid_expenditure.red_percent = 100", "rigid_expenditure.red_percent = 40",
          "line 10", "orange_percent" },
        { "guarantee_failed.tier = red", "guarantee_failed.tier = green", "line 11", "orange or red" },
        { "guarantee_failed.tier = red", "guarantee_failed.tier = yellow", "line 11", "orange or red" },
        { "income_drop.tier = orange", "income_drop.tier = green", "line 8", "at least yellow" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hh_diag d;
        hh_err err = parse_edited(cases[i].from, cases[i].to, &d);
        if (err != HH_EPARSE || strcmp(d.field, cases[i].field) != 0 ||
            !strstr(d.message, cases[i].words))
            fail_msg("case %zu: got %d '%s: %s', want '%s' mentioning '%s'", i, err, d.field,
                     d.message, cases[i].field, cases[i].words);
    }
}

/* The visits' section, likewise all or none: the worklist's intervals. */
static void visits_section(void **state)
{
    char text[2048];
    hh_rulebook r;
    hh_diag d;
    (void)state;
    assert_int_equal(hh_rulebook_parse(good, strlen(good), &r, NULL), HH_OK);
    assert_int_equal(r.visit_days[HH_TIER_RED], 7);        /* from the shipped default */
    assert_int_equal(r.visit_days[HH_TIER_GREEN], 90);
    snprintf(text, sizeof text, "%s\nvisit.red_days = 3\nvisit.orange_days = 10\n"
             "visit.yellow_days = 20\nvisit.green_days = 60\n", good);
    assert_int_equal(hh_rulebook_parse(text, strlen(text), &r, NULL), HH_OK);
    assert_int_equal(r.visit_days[HH_TIER_RED], 3);
    assert_int_equal(r.visit_days[HH_TIER_YELLOW], 20);
    assert_int_equal(r.notice_days, 5);                    /* the other section: default */
    snprintf(text, sizeof text, "%s\nvisit.red_days = 3\n", good);
    hh_diag_clear(&d);
    assert_int_equal(hh_rulebook_parse(text, strlen(text), &r, &d), HH_EPARSE);
    assert_string_equal(d.field, "visit.orange_days");
    snprintf(text, sizeof text, "%s\nvisit.red_days = 0\nvisit.orange_days = 10\n"
             "visit.yellow_days = 20\nvisit.green_days = 60\n", good);
    assert_int_equal(hh_rulebook_parse(text, strlen(text), &r, &d), HH_EPARSE);
}

/* The lifecycle's section: none of it takes the shipped default's; any of it
 * needs all of it; suggestions name listed measures. */
static void lifecycle_section(void **state)
{
    static const char section[] =
        "\nmonitoring.line_yuan = 6000\nreview.verify_within_days = 2\nreview.appraise_within_days = 4\n"
        "review.notice_days = 7\nreview.decide_within_days = 20\nrelease.stable_months = 12\n"
        "measures = a_aid b_post\nsuggest.illness = a_aid\nsuggest.job_loss = a_aid, b_post\n";
    char text[2048];
    hh_rulebook r;
    hh_diag d;
    (void)state;
    assert_int_equal(hh_rulebook_parse(good, strlen(good), &r, NULL), HH_OK);
    assert_int_equal(r.notice_days, 5);                    /* from the shipped default */
    assert_int_equal(r.monitoring_line_yuan, 5000);
    assert_true(hh_rulebook_measure(&r, "public_welfare_post") >= 0);
    snprintf(text, sizeof text, "%s%s", good, section);
    assert_int_equal(hh_rulebook_parse(text, strlen(text), &r, NULL), HH_OK);
    assert_int_equal(r.notice_days, 7);
    assert_int_equal(r.stable_months, 12);
    assert_int_equal(r.measure_count, 2);
    assert_int_equal(r.suggestion_count, 2);
    assert_int_equal(r.suggestions[1].measures, 3u);
    assert_int_equal(hh_rulebook_measure(&r, "public_welfare_post"), -1);
    /* one key of the section alone: the others are missing */
    snprintf(text, sizeof text, "%s\nreview.notice_days = 7\n", good);
    hh_diag_clear(&d);
    assert_int_equal(hh_rulebook_parse(text, strlen(text), &r, &d), HH_EPARSE);
    assert_string_equal(d.field, "monitoring.line_yuan");
    /* a suggestion of a measure not listed, or for an unknown cause */
    snprintf(text, sizeof text, "%s%ssuggest.disaster = c_none\n", good, section);
    assert_int_equal(hh_rulebook_parse(text, strlen(text), &r, &d), HH_EPARSE);
    assert_non_null(strstr(d.message, "'c_none' is not in the measures list"));
    snprintf(text, sizeof text, "%s%ssuggest.bad_luck = a_aid\n", good, section);
    assert_int_equal(hh_rulebook_parse(text, strlen(text), &r, &d), HH_EPARSE);
    assert_non_null(strstr(d.message, "a shock or a reason code"));
    snprintf(text, sizeof text, "%s%s", good, section);
    memcpy(strstr(text, "b_post"), "a_aid ", 6);
    assert_int_equal(hh_rulebook_parse(text, strlen(text), &r, &d), HH_EPARSE);
    assert_non_null(strstr(d.message, "listed twice"));
    snprintf(text, sizeof text, "%s%s", good, section);
    memcpy(strstr(text, "notice_days = 7"), "notice_days = 4", 15);
    assert_int_equal(hh_rulebook_parse(text, strlen(text), &r, &d), HH_EPARSE);
    assert_non_null(strstr(d.message, "at least 5"));
    snprintf(text, sizeof text, "%s%s", good, section);
    memcpy(strstr(text, "decide_within_days = 20"), "decide_within_days = 12", 23);
    assert_int_equal(hh_rulebook_parse(text, strlen(text), &r, &d), HH_EPARSE);
    assert_non_null(strstr(d.message, "(13 days)"));
    snprintf(text, sizeof text, "%s%s", good, section);
    memcpy(strstr(text, "line_yuan = 6000"), "line_yuan = 1000", 16);
    assert_int_equal(hh_rulebook_parse(text, strlen(text), &r, &d), HH_EPARSE);
    assert_non_null(strstr(d.message, "at least income.red_below_yuan"));
}

static void bounds(void **state)
{
    char *big = malloc(HH_RULEBOOK_TEXT_MAX + 2);
    char line[400];
    hh_rulebook r;
    hh_diag d;
    (void)state;
    assert_non_null(big);
    memset(big, '#', HH_RULEBOOK_TEXT_MAX + 1);
    big[HH_RULEBOOK_TEXT_MAX + 1] = '\0';
    assert_int_equal(hh_rulebook_parse(big, HH_RULEBOOK_TEXT_MAX + 1, &r, &d), HH_ERANGE);
    free(big);
    memset(line, 'a', sizeof line);
    assert_int_equal(hh_rulebook_parse(line, sizeof line, &r, &d), HH_EPARSE);
    assert_string_equal(d.field, "line 1");
    assert_int_equal(hh_rulebook_parse("version = a\0b", 13, &r, &d), HH_EPARSE);
    assert_non_null(strstr(d.message, "NUL"));
    assert_int_equal(hh_rulebook_parse("", 0, &r, &d), HH_EPARSE);
    assert_string_equal(d.field, "version");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_rulebook),
        cmocka_unit_test(comments_blanks_crlf),
        cmocka_unit_test(malformed),
        cmocka_unit_test(lifecycle_section),
        cmocka_unit_test(visits_section),
        cmocka_unit_test(bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
