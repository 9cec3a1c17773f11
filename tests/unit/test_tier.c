/* tests/unit/test_tier.c — model/tier.c under the default rulebook (DESIGN 2).
 *
 * One table: every income band edge, every escalation alone, and combinations,
 * each with the exact tier and reason set expected. Households have 2 members
 * unless a case says otherwise, so "per capita 3600" is a total of 7200. */
#include "helpers.h"

#include "model/rulebook.h"
#include "model/tier.h"

typedef struct tier_case {
    const char *name;
    int64_t per_capita;        /* latest visit, yuan */
    int64_t prev_per_capita;   /* -1: no previous visit */
    int stated_size;           /* 0: count the 2 members */
    uint32_t failed;           /* guarantees not met (bits) */
    uint32_t shocks;
    int64_t medical, education, disaster;
    int relocated, nobody_employed, nobody_able;
    hh_tier tier;
    uint32_t reasons;
} tier_case;

#define G(x) (1u << HH_GUARANTEE_##x)
#define S(x) (1u << HH_SHOCK_##x)
#define R(x) HH_REASON_##x

static const tier_case cases[] = {
    /* income bands, at and around every edge */
    { "pc 0",    0,    -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, HH_TIER_RED,    R(INCOME_BELOW_LINE) },
    { "pc 3599", 3599, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, HH_TIER_RED,    R(INCOME_BELOW_LINE) },
    { "pc 3600", 3600, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, HH_TIER_ORANGE, R(INCOME_MARGINAL) },
    { "pc 3999", 3999, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, HH_TIER_ORANGE, R(INCOME_MARGINAL) },
    { "pc 4000", 4000, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, HH_TIER_YELLOW, R(INCOME_KEY_MONITORING) },
    { "pc 4999", 4999, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, HH_TIER_YELLOW, R(INCOME_KEY_MONITORING) },
    { "pc 5000", 5000, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, HH_TIER_GREEN,  0 },
    { "pc 9000", 9000, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, HH_TIER_GREEN,  0 },
    /* the visit's stated size overrides the member count: 2 members earning
     * 2 x 5000 but 3 people in the household is 3333 per capita */
    { "stated size", 5000, -1, 3, 0, 0, 0, 0, 0, 0, 0, 0, HH_TIER_RED, R(INCOME_BELOW_LINE) },
    /* each guarantee alone */
    { "food",      9000, -1, 0, G(FOOD), 0, 0, 0, 0, 0, 0, 0, HH_TIER_RED, R(GUARANTEE_FAILED) },
    { "clothing",  9000, -1, 0, G(CLOTHING), 0, 0, 0, 0, 0, 0, 0, HH_TIER_RED, R(GUARANTEE_FAILED) },
    { "education", 9000, -1, 0, G(EDUCATION), 0, 0, 0, 0, 0, 0, 0, HH_TIER_RED, R(GUARANTEE_FAILED) },
    { "medical",   9000, -1, 0, G(MEDICAL), 0, 0, 0, 0, 0, 0, 0, HH_TIER_RED, R(GUARANTEE_FAILED) },
    { "housing",   9000, -1, 0, G(HOUSING), 0, 0, 0, 0, 0, 0, 0, HH_TIER_RED, R(GUARANTEE_FAILED) },
    { "water",     9000, -1, 0, G(WATER), 0, 0, 0, 0, 0, 0, 0, HH_TIER_RED, R(GUARANTEE_FAILED) },
    /* income drop: 30 % fires, 29.9 % does not */
    { "drop 30%",   7000, 10000, 0, 0, 0, 0, 0, 0, 0, 0, 0, HH_TIER_ORANGE, R(INCOME_DROP) },
    { "drop 29.9%", 7001, 10000, 0, 0, 0, 0, 0, 0, 0, 0, 0, HH_TIER_GREEN, 0 },
    { "rise",       9000, 6000,  0, 0, 0, 0, 0, 0, 0, 0, 0, HH_TIER_GREEN, 0 },
    { "prev zero",  9000, 0,     0, 0, 0, 0, 0, 0, 0, 0, 0, HH_TIER_GREEN, 0 },
    /* rigid expenditure against net income (total 2 x 10000 = 20000) */
    { "rigid 49.99%", 10000, -1, 0, 0, 0, 9999, 0, 0, 0, 0, 0, HH_TIER_GREEN, 0 },
    { "rigid 50%",    10000, -1, 0, 0, 0, 5000, 3000, 2000, 0, 0, 0, HH_TIER_ORANGE, R(RIGID_EXPENDITURE) },
    { "rigid 99.99%", 10000, -1, 0, 0, 0, 19999, 0, 0, 0, 0, 0, HH_TIER_ORANGE, R(RIGID_EXPENDITURE) },
    { "rigid 100%",   10000, -1, 0, 0, 0, 0, 0, 20000, 0, 0, 0, HH_TIER_RED, R(RIGID_EXPENDITURE) },
    { "rigid, no income", 0, -1, 0, 0, 0, 1, 0, 0, 0, 0, 0, HH_TIER_RED,
      R(INCOME_BELOW_LINE) | R(RIGID_EXPENDITURE) },
    /* shocks, each a yellow */
    { "shock illness", 9000, -1, 0, 0, S(ILLNESS), 0, 0, 0, 0, 0, 0, HH_TIER_YELLOW, R(SHOCK) },
    { "shock job loss", 9000, -1, 0, 0, S(JOB_LOSS), 0, 0, 0, 0, 0, 0, HH_TIER_YELLOW, R(SHOCK) },
    { "two shocks", 9000, -1, 0, 0, S(DISASTER) | S(EPIDEMIC), 0, 0, 0, 0, 0, 0,
      HH_TIER_YELLOW, R(SHOCK) },
    /* relocated households and employment */
    { "relocated employed", 9000, -1, 0, 0, 0, 0, 0, 0, 1, 0, 0, HH_TIER_GREEN, 0 },
    { "relocated, none employed", 9000, -1, 0, 0, 0, 0, 0, 0, 1, 1, 0, HH_TIER_ORANGE,
      R(RELOCATED_NO_EMPLOYMENT) },
    { "not relocated, none employed", 9000, -1, 0, 0, 0, 0, 0, 0, 0, 1, 0, HH_TIER_GREEN, 0 },
    /* labour capacity */
    { "nobody able", 9000, -1, 0, 0, 0, 0, 0, 0, 0, 0, 1, HH_TIER_YELLOW, R(NO_LABOUR_CAPACITY) },
    /* combinations: the highest wins, every reason is kept */
    { "band orange + shock", 3800, -1, 0, 0, S(ILLNESS), 0, 0, 0, 0, 0, 0, HH_TIER_ORANGE,
      R(INCOME_MARGINAL) | R(SHOCK) },
    { "drop + shock + band yellow", 4200, 7000, 0, 0, S(ACCIDENT), 0, 0, 0, 0, 0, 0,
      HH_TIER_ORANGE, R(INCOME_KEY_MONITORING) | R(INCOME_DROP) | R(SHOCK) },
    { "everything", 1000, 8000, 0, G(WATER), S(DISASTER), 0, 0, 5000, 1, 1, 1, HH_TIER_RED,
      R(INCOME_BELOW_LINE) | R(GUARANTEE_FAILED) | R(INCOME_DROP) | R(RIGID_EXPENDITURE) |
      R(SHOCK) | R(RELOCATED_NO_EMPLOYMENT) | R(NO_LABOUR_CAPACITY) },
};

/* Incomes are per_capita x the 2 members; a stated size then divides them. */
static void build(const tier_case *c, hh_household *h, hh_visit *latest, hh_visit *previous)
{
    int size = 2;

    make_household(h, 2);
    h->relocated = c->relocated;
    for (int i = 0; i < h->member_count; i++) {
        if (c->nobody_employed)
            h->members[i].employment = HH_EMPLOYMENT_NONE;
        if (c->nobody_able)
            h->members[i].labour = HH_LABOUR_NONE;
    }
    make_visit(latest, "2026-10-01", c->per_capita * size);
    latest->household_size = c->stated_size;
    latest->guarantees_met = HH_GUARANTEES_ALL & ~c->failed;
    latest->shocks = c->shocks;
    latest->expenditure.medical_yuan = c->medical;
    latest->expenditure.education_yuan = c->education;
    latest->expenditure.disaster_yuan = c->disaster;
    if (c->prev_per_capita >= 0)
        make_visit(previous, "2026-04-01", c->prev_per_capita * size);
}

static void table(void **state)
{
    hh_rulebook rules;
    (void)state;
    assert_int_equal(hh_rulebook_default(&rules), HH_OK);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const tier_case *c = &cases[i];
        hh_household h;
        hh_visit latest, previous;
        hh_tier_result r;
        build(c, &h, &latest, &previous);
        assert_int_equal(hh_tier_compute(&rules, &h, &latest,
                                         c->prev_per_capita >= 0 ? &previous : NULL, &r), HH_OK);
        if (r.tier != c->tier || r.reasons != c->reasons)
            fail_msg("case '%s': got tier %d reasons 0x%x, want tier %d reasons 0x%x", c->name,
                     r.tier, r.reasons, c->tier, c->reasons);
    }
}

static void partial_labour_counts_as_able(void **state)
{
    hh_rulebook rules;
    hh_household h;
    hh_visit v;
    hh_tier_result r;
    (void)state;
    assert_int_equal(hh_rulebook_default(&rules), HH_OK);
    make_household(&h, 2);
    h.members[0].labour = HH_LABOUR_PARTIAL;
    h.members[1].labour = HH_LABOUR_NONE;
    make_visit(&v, "2026-10-01", 20000);
    assert_int_equal(hh_tier_compute(&rules, &h, &v, NULL, &r), HH_OK);
    assert_int_equal(r.tier, HH_TIER_GREEN);
    assert_int_equal(r.per_capita_yuan, 10000);
    assert_int_equal(r.household_size, 2);
}

static void rulebook_moves_the_tiers(void **state)
{
    static const char custom[] =
        "version = test-1\n"
        "income.red_below_yuan = 4000\nincome.orange_below_yuan = 4500\n"
        "income.yellow_below_yuan = 6000\n"
        "income_drop.percent = 10\nincome_drop.tier = red\n"
        "rigid_expenditure.orange_percent = 20\nrigid_expenditure.red_percent = 40\n"
        "guarantee_failed.tier = orange\nshock.tier = orange\n"
        "relocated_no_employment.tier = red\nno_labour_capacity.tier = green\n";
    hh_rulebook rules;
    hh_household h;
    hh_visit v, prev;
    hh_tier_result r;
    (void)state;
    assert_int_equal(hh_rulebook_parse(custom, strlen(custom), &rules, NULL), HH_OK);
    make_household(&h, 2);
    make_visit(&v, "2026-10-01", 2 * 3800);   /* orange by default, red here */
    assert_int_equal(hh_tier_compute(&rules, &h, &v, NULL, &r), HH_OK);
    assert_int_equal(r.tier, HH_TIER_RED);
    make_visit(&v, "2026-10-01", 2 * 9000);
    v.shocks = S(ILLNESS);
    v.guarantees_met = HH_GUARANTEES_ALL & ~G(FOOD);
    assert_int_equal(hh_tier_compute(&rules, &h, &v, NULL, &r), HH_OK);
    assert_int_equal(r.tier, HH_TIER_ORANGE);
    assert_int_equal(r.reasons, R(SHOCK) | R(GUARANTEE_FAILED));
    make_visit(&v, "2026-10-01", 2 * 9000);
    make_visit(&prev, "2026-04-01", 2 * 10000);    /* a 10 % drop */
    assert_int_equal(hh_tier_compute(&rules, &h, &v, &prev, &r), HH_OK);
    assert_int_equal(r.tier, HH_TIER_RED);
    h.members[0].labour = h.members[1].labour = HH_LABOUR_NONE;
    make_visit(&v, "2026-10-01", 2 * 9000);
    assert_int_equal(hh_tier_compute(&rules, &h, &v, NULL, &r), HH_OK);
    assert_int_equal(r.tier, HH_TIER_GREEN);     /* the reason fires, its tier is green */
    assert_int_equal(r.reasons, R(NO_LABOUR_CAPACITY));
}

static void refuses_unknown_size(void **state)
{
    hh_rulebook rules;
    hh_household h;
    hh_visit v;
    hh_tier_result r;
    (void)state;
    assert_int_equal(hh_rulebook_default(&rules), HH_OK);
    make_household(&h, 0);
    make_visit(&v, "2026-10-01", 10000);
    assert_int_equal(hh_tier_compute(&rules, &h, &v, NULL, &r), HH_EINVAL);
    assert_int_equal(hh_tier_compute(&rules, &h, NULL, NULL, &r), HH_EINVAL);
    v.household_size = 2;   /* stated: fine without members */
    assert_int_equal(hh_tier_compute(&rules, &h, &v, NULL, &r), HH_OK);
    assert_int_equal(r.tier, HH_TIER_GREEN);
}

static void reason_codes(void **state)
{
    char text[256], small[20];
    (void)state;
    assert_string_equal(hh_reason_code(HH_REASON_INCOME_BELOW_LINE), "income_below_line");
    assert_string_equal(hh_reason_code(HH_REASON_NO_LABOUR_CAPACITY), "no_labour_capacity");
    assert_null(hh_reason_code(3));
    assert_int_equal(hh_reason_parse("relocated_no_employment"), HH_REASON_RELOCATED_NO_EMPLOYMENT);
    assert_int_equal(hh_reason_parse("nope"), 0);
    assert_int_equal(hh_reasons_format(R(SHOCK) | R(INCOME_MARGINAL), ",", text, sizeof text), HH_OK);
    assert_string_equal(text, "income_marginal,shock");
    assert_int_equal(hh_reasons_format(R(SHOCK) | R(INCOME_MARGINAL), ",", small, sizeof small),
                     HH_ERANGE);
    /* The inverse, ignoring codes this version does not know. */
    assert_int_equal(hh_reasons_parse("income_marginal,a_future_reason,shock"),
                     R(SHOCK) | R(INCOME_MARGINAL));
    assert_int_equal(hh_reasons_parse(""), 0);
    assert_string_equal(small, "income_marginal");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table),
        cmocka_unit_test(partial_labour_counts_as_able),
        cmocka_unit_test(rulebook_moves_the_tiers),
        cmocka_unit_test(refuses_unknown_size),
        cmocka_unit_test(reason_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
