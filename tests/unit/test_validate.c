/* tests/unit/test_validate.c — model/validate.c. */
#include "helpers.h"

static void id_numbers_valid(void **state)
{
    int year = 0;
    (void)state;
    assert_int_equal(hh_validate_id_number(ID_STANDARD_EXAMPLE, &year, NULL), HH_OK);
    assert_int_equal(year, 1949);
    assert_int_equal(hh_validate_id_number(ID_1970, &year, NULL), HH_OK);
    assert_int_equal(year, 1970);
}

static void id_number_wrong_check_digit(void **state)
{
    hh_diag d;
    char id[] = ID_1970;
    (void)state;
    id[17] = '9';
    assert_int_equal(hh_validate_id_number(id, NULL, &d), HH_EINVAL);
    assert_string_equal(d.field, "id_number");
    assert_non_null(strstr(d.message, "expected 8"));
    /* One mistyped digit in the body is caught too. */
    memcpy(id, ID_1970, sizeof id);
    id[3] = '9';
    assert_int_equal(hh_validate_id_number(id, NULL, NULL), HH_EINVAL);
}

static void id_number_shape(void **state)
{
    char lower[] = "11010519491231002x";
    (void)state;
    assert_int_equal(hh_validate_id_number("51182319700101001", NULL, NULL), HH_EINVAL);
    assert_int_equal(hh_validate_id_number("5118231970010100188", NULL, NULL), HH_EINVAL);
    assert_int_equal(hh_validate_id_number("51182319700101A018", NULL, NULL), HH_EINVAL);
    assert_int_equal(hh_validate_id_number("011823197001010018", NULL, NULL), HH_EINVAL);
    /* Birth date 1970-02-30 does not exist (check digit made valid on purpose). */
    char bad_date[19] = "51182319700230001";
    bad_date[17] = hh_mod11_2_check(bad_date, 17);
    bad_date[18] = '\0';
    assert_int_equal(hh_validate_id_number(bad_date, NULL, NULL), HH_EINVAL);
    assert_int_equal(hh_validate_id_number(lower, NULL, NULL), HH_EINVAL);
    hh_id_number_normalise(lower);
    assert_string_equal(lower, ID_STANDARD_EXAMPLE);
    assert_int_equal(hh_validate_id_number(lower, NULL, NULL), HH_OK);
}

static void virtual_ids(void **state)
{
    char id[19];
    int year = -1;
    (void)state;
    assert_int_equal(hh_virtual_id_make("511823101201", 42, id), HH_OK);
    assert_int_equal(strlen(id), 18);
    assert_int_equal(id[0], 'V');
    assert_memory_equal(id + 1, "5118231012010042", 16);
    assert_int_equal(hh_validate_id_number(id, &year, NULL), HH_OK);
    assert_int_equal(year, 0);
    id[17] = id[17] == '0' ? '1' : '0';
    assert_int_equal(hh_validate_id_number(id, NULL, NULL), HH_EINVAL);
    assert_int_equal(hh_virtual_id_make("5118231012", 1, id), HH_EINVAL);
    assert_int_equal(hh_virtual_id_make("511823101201", 10000, id), HH_EINVAL);
}

static void village_codes_and_dates(void **state)
{
    (void)state;
    assert_int_equal(hh_validate_village_code("511823101201", NULL), HH_OK);
    assert_int_equal(hh_validate_village_code("51182310120", NULL), HH_EINVAL);
    assert_int_equal(hh_validate_village_code("5118231012011", NULL), HH_EINVAL);
    assert_int_equal(hh_validate_village_code("51182310120a", NULL), HH_EINVAL);
    assert_int_equal(hh_validate_village_code("000000000000", NULL), HH_EINVAL);
    assert_int_equal(hh_validate_date("2024-02-29", NULL), HH_OK);
    assert_int_equal(hh_validate_date("2023-02-29", NULL), HH_EINVAL);
    assert_int_equal(hh_validate_date("2100-02-29", NULL), HH_EINVAL);
    assert_int_equal(hh_validate_date("2026-13-01", NULL), HH_EINVAL);
    assert_int_equal(hh_validate_date("2026-04-31", NULL), HH_EINVAL);
    assert_int_equal(hh_validate_date("2026-4-30", NULL), HH_EINVAL);
    assert_int_equal(hh_validate_date("1899-12-31", NULL), HH_EINVAL);
    assert_int_equal(hh_validate_date("2026-10-01x", NULL), HH_EINVAL);
}

static void text_and_money(void **state)
{
    char long_text[80];
    hh_diag d;
    (void)state;
    assert_int_equal(hh_validate_text("name", "张三", HH_NAME_MAX, 0, NULL), HH_OK);
    assert_int_equal(hh_validate_text("name", "a\xC3", HH_NAME_MAX, 0, NULL), HH_EINVAL);
    assert_int_equal(hh_validate_text("name", "\xC0\xAF", HH_NAME_MAX, 0, NULL), HH_EINVAL);
    assert_int_equal(hh_validate_text("name", "\xED\xA0\x80", HH_NAME_MAX, 0, NULL), HH_EINVAL);
    assert_int_equal(hh_validate_text("name", "a\nb", HH_NAME_MAX, 0, NULL), HH_EINVAL);
    assert_int_equal(hh_validate_text("notes", "a\nb", HH_NOTES_MAX, 1, NULL), HH_OK);
    memset(long_text, 'a', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    assert_int_equal(hh_validate_text("name", long_text, HH_NAME_MAX, 0, &d), HH_ERANGE);
    assert_string_equal(d.field, "name");
    assert_int_equal(hh_validate_money("x", 0, NULL), HH_OK);
    assert_int_equal(hh_validate_money("x", HH_MONEY_MAX_YUAN, NULL), HH_OK);
    assert_int_equal(hh_validate_money("x", HH_MONEY_MAX_YUAN + 1, NULL), HH_ERANGE);
    assert_int_equal(hh_validate_money("x", -1, &d), HH_EINVAL);
    assert_non_null(strstr(d.message, "negative"));
}

static void member_rules(void **state)
{
    hh_member m = make_member(HH_RELATION_HEAD, 1);
    hh_diag d;
    (void)state;
    assert_int_equal(hh_member_validate(&m, 2026, NULL), HH_OK);
    m.birth_year = 1981;   /* the ID number says 1980 */
    assert_int_equal(hh_member_validate(&m, 2026, &d), HH_EINVAL);
    assert_string_equal(d.field, "birth_year");
    m = make_member(HH_RELATION_HEAD, 1);
    m.sex = HH_SEX_FEMALE;  /* the 17th digit, 1, is odd: male */
    assert_int_equal(hh_member_validate(&m, 2026, &d), HH_EINVAL);
    assert_string_equal(d.field, "sex");
    assert_int_equal(hh_member_validate_received(&m, 2026, NULL), HH_OK);
    m = make_member(HH_RELATION_HEAD, 2);
    assert_int_equal(m.sex, HH_SEX_FEMALE);
    assert_int_equal(hh_member_validate(&m, 2026, NULL), HH_OK);
    m = make_member(HH_RELATION_HEAD, 1);
    m.health = HH_HEALTH_DISABLED;
    assert_int_equal(hh_member_validate(&m, 2026, &d), HH_EINVAL);
    assert_string_equal(d.field, "disability_grade");
    m.disability_grade = 2;
    assert_int_equal(hh_member_validate(&m, 2026, NULL), HH_OK);
    m.health = HH_HEALTH_HEALTHY;
    assert_int_equal(hh_member_validate(&m, 2026, NULL), HH_EINVAL);
    m = make_member(HH_RELATION_HEAD, 1);
    m.employment = 0;
    assert_int_equal(hh_member_validate(&m, 2026, &d), HH_EINVAL);
    assert_string_equal(d.field, "employment");
    m = make_member(HH_RELATION_HEAD, 1);
    m.name[0] = '\0';
    assert_int_equal(hh_member_validate(&m, 2026, &d), HH_EINVAL);
    assert_string_equal(d.field, "name");
}

static void household_rules(void **state)
{
    hh_household h;
    hh_diag d;
    (void)state;
    make_household(&h, 3);
    assert_int_equal(hh_household_validate(&h, 2026, NULL), HH_OK);
    memcpy(h.members[2].id_number, h.members[1].id_number, sizeof h.members[2].id_number);
    h.members[2].sex = h.members[1].sex;
    assert_int_equal(hh_household_validate(&h, 2026, &d), HH_EINVAL);
    assert_string_equal(d.field, "members[2].id_number");
    make_household(&h, 3);
    h.members[1].relation = HH_RELATION_HEAD;
    assert_int_equal(hh_household_validate(&h, 2026, &d), HH_EINVAL);
    make_household(&h, 3);
    h.members[1].id_number[17] = h.members[1].id_number[17] == '0' ? '1' : '0';
    assert_int_equal(hh_household_validate(&h, 2026, &d), HH_EINVAL);
    assert_string_equal(d.field, "members[1].id_number");
    make_household(&h, 1);
    snprintf(h.resettlement_site, sizeof h.resettlement_site, "安置点");
    assert_int_equal(hh_household_validate(&h, 2026, &d), HH_EINVAL);
    assert_string_equal(d.field, "resettlement_site");
    h.relocated = true;
    assert_int_equal(hh_household_validate(&h, 2026, NULL), HH_OK);
    snprintf(h.registry_no, sizeof h.registry_no, "51 18");
    assert_int_equal(hh_household_validate(&h, 2026, &d), HH_EINVAL);
    assert_string_equal(d.field, "registry_no");
}

static void visit_rules(void **state)
{
    hh_visit v;
    hh_diag d;
    (void)state;
    make_visit(&v, "2026-10-01", 10000);
    assert_int_equal(hh_visit_validate(&v, NULL), HH_OK);
    v.income.operating_yuan = -5;
    assert_int_equal(hh_visit_validate(&v, &d), HH_EINVAL);
    assert_string_equal(d.field, "income_yuan.operating");
    make_visit(&v, "2026-10-01", 10000);
    v.household_size = HH_HOUSEHOLD_SIZE_MAX + 1;
    assert_int_equal(hh_visit_validate(&v, &d), HH_ERANGE);
    make_visit(&v, "2026-10-01", 10000);
    v.has_gps = true;
    v.lat_microdeg = 91000000;
    assert_int_equal(hh_visit_validate(&v, &d), HH_ERANGE);
    make_visit(&v, "2026-02-30", 10000);
    assert_int_equal(hh_visit_validate(&v, &d), HH_EINVAL);
    assert_string_equal(d.field, "visited_on");
    make_visit(&v, "2026-10-01", 10000);
    v.shocks = 1u << 12;
    assert_int_equal(hh_visit_validate(&v, &d), HH_EINVAL);
}

static void printable_text(void **state)
{
    char out[32];
    (void)state;
    hh_text_printable("张三 ok", out, sizeof out);
    assert_string_equal(out, "张三 ok");
    hh_text_printable("a\x1b[31mred\x07", out, sizeof out);     /* an escape sequence, a bell */
    assert_string_equal(out, "a?[31mred?");
    hh_text_printable("\xc2\x9b" "2J \xff\xfe x", out, sizeof out); /* C1 CSI, invalid bytes */
    assert_string_equal(out, "?2J ?? x");
    hh_text_printable("张三张三", out, 8);                         /* never half a character */
    assert_string_equal(out, "张三");
    assert_int_equal(hh_validate_text("name", "\xc2\x9b" "2J", 64, 0, NULL), HH_EINVAL);
}

static void date_days(void **state)
{
    char out[HH_DATE_LEN + 1];
    (void)state;
    assert_int_equal(hh_date_days("1970-01-01"), 0);
    assert_int_equal(hh_date_days("2000-03-01") - hh_date_days("2000-02-28"), 2);   /* leap */
    assert_int_equal(hh_date_days("1900-03-01") - hh_date_days("1900-02-28"), 1);   /* not leap */
    assert_int_equal(hh_date_days("2026-12-02"), 20789);
    assert_int_equal(hh_date_days("2026-02-30"), HH_DATE_INVALID);
    for (long day = hh_date_days("1900-01-01"); day <= hh_date_days("2100-12-31"); day += 37) {
        hh_date_from_days(day, out);
        assert_int_equal(hh_date_days(out), day);
    }
    hh_date_from_days(hh_date_days("2026-12-31") + 1, out);
    assert_string_equal(out, "2027-01-01");
}

static void visit_dates(void **state)
{
    char latest[HH_DATE_LEN + 1];
    (void)state;
    assert_int_equal(hh_visit_latest_date("2026-12-01", latest), HH_OK);
    assert_string_equal(latest, "2026-12-02");
    assert_int_equal(hh_visit_latest_date("2026-12-31", latest), HH_OK);
    assert_string_equal(latest, "2027-01-01");
    assert_int_equal(hh_visit_latest_date("2028-02-28", latest), HH_OK);
    assert_string_equal(latest, "2028-02-29");
    assert_int_equal(hh_visit_latest_date("not a date", latest), HH_EINVAL);
    assert_int_equal(hh_visit_check_date("2026-12-01", "2026-12-01", NULL), HH_OK);
    assert_int_equal(hh_visit_check_date("2026-12-02", "2026-12-01", NULL), HH_OK);
    assert_int_equal(hh_visit_check_date("2026-12-03", "2026-12-01", NULL), HH_EINVAL);
    assert_int_equal(hh_visit_check_date("2099-12-31", "2026-12-01", NULL), HH_EINVAL);
    assert_int_equal(hh_visit_check_date("2014-01-01", "2026-12-01", NULL), HH_OK);
    assert_int_equal(hh_visit_check_date("2013-12-31", "2026-12-01", NULL), HH_EINVAL);
    assert_int_equal(hh_visit_check_date("2026-02-30", "2026-12-01", NULL), HH_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(id_numbers_valid),
        cmocka_unit_test(id_number_wrong_check_digit),
        cmocka_unit_test(id_number_shape),
        cmocka_unit_test(virtual_ids),
        cmocka_unit_test(village_codes_and_dates),
        cmocka_unit_test(text_and_money),
        cmocka_unit_test(member_rules),
        cmocka_unit_test(household_rules),
        cmocka_unit_test(visit_rules),
        cmocka_unit_test(visit_dates),
        cmocka_unit_test(date_days),
        cmocka_unit_test(printable_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
