/* model/validate.c — field and record validation (see validate.h). */
#include "validate.h"

#include <stdio.h>
#include <string.h>

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int all_digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return 0;
    return 1;
}

char hh_mod11_2_check(const char *digits, int n)
{
    static const char map[] = "10X98765432";
    int sum = 0, weight = 1;

    /* Weight of position i (from the left) is 2^(n-i) mod 11. */
    for (int i = n - 1; i >= 0; i--) {
        weight = (weight * 2) % 11;
        sum += (digits[i] - '0') * weight;
    }
    return map[sum % 11];
}

static int days_in_month(int year, int month)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    return month == 2 && leap ? 29 : days[month - 1];
}

static int parse_ymd(const char *s, int with_dashes, int *y, int *m, int *day)
{
    int step = with_dashes ? 1 : 0;

    if (!all_digits(s, 4) || !all_digits(s + 4 + step, 2) || !all_digits(s + 6 + 2 * step, 2))
        return 0;
    if (with_dashes && (s[4] != '-' || s[7] != '-'))
        return 0;
    *y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    *m = (s[4 + step] - '0') * 10 + (s[5 + step] - '0');
    *day = (s[6 + 2 * step] - '0') * 10 + (s[7 + 2 * step] - '0');
    return *y >= 1900 && *y <= 2100 && *m >= 1 && *m <= 12 && *day >= 1 &&
           *day <= days_in_month(*y, *m);
}

void hh_id_number_normalise(char *id)
{
    size_t n = strlen(id);

    if (n == HH_ID_NUMBER_LEN && id[n - 1] == 'x')
        id[n - 1] = 'X';
}

int hh_id_number_sex(const char *id)
{
    if (id[0] == 'V' || hh_validate_id_number(id, NULL, NULL) != HH_OK)
        return 0;
    return (id[16] - '0') % 2 ? HH_SEX_MALE : HH_SEX_FEMALE;
}

hh_err hh_validate_id_number(const char *id, int *birth_year_out, hh_diag *d)
{
    size_t len = strlen(id);
    int y, m, day;
    char want;

    if (birth_year_out)
        *birth_year_out = 0;
    if (len != HH_ID_NUMBER_LEN)
        return hh_diag_fail(d, HH_EINVAL, "id_number",
                            "must be 18 characters, got %zu", len);
    if (id[0] == 'V') {
        if (!all_digits(id + 1, 16))
            return hh_diag_fail(d, HH_EINVAL, "id_number",
                                "virtual ID must be 'V', 16 digits and a check character");
        if (strspn(id + 1, "0") >= HH_VILLAGE_CODE_LEN)
            return hh_diag_fail(d, HH_EINVAL, "id_number", "virtual ID has a bad village code");
        want = hh_mod11_2_check(id + 1, 16);
        if (id[17] != want)
            return hh_diag_fail(d, HH_EINVAL, "id_number",
                                "virtual ID check character is wrong (expected %c)", want);
        return HH_OK;
    }
    if (!all_digits(id, 17) || !(is_digit(id[17]) || id[17] == 'X'))
        return hh_diag_fail(d, HH_EINVAL, "id_number",
                            "must be 17 digits and a check character 0-9 or X");
    if (id[0] == '0')
        return hh_diag_fail(d, HH_EINVAL, "id_number", "region code cannot start with 0");
    if (!parse_ymd(id + 6, 0, &y, &m, &day))
        return hh_diag_fail(d, HH_EINVAL, "id_number",
                            "digits 7-14 are not a birth date between 1900 and 2100");
    want = hh_mod11_2_check(id, 17);
    if (id[17] != want)
        return hh_diag_fail(d, HH_EINVAL, "id_number",
                            "check digit is wrong (expected %c): a digit was mistyped", want);
    if (birth_year_out)
        *birth_year_out = y;
    return HH_OK;
}

hh_err hh_virtual_id_make(const char *village_code, int serial,
                          char out[HH_ID_NUMBER_LEN + 1])
{
    if (hh_validate_village_code(village_code, NULL) != HH_OK || serial < 0 || serial > 9999)
        return HH_EINVAL;
    snprintf(out, HH_ID_NUMBER_LEN + 1, "V%s%04d", village_code, serial);
    out[17] = hh_mod11_2_check(out + 1, 16);
    out[18] = '\0';
    return HH_OK;
}

hh_err hh_validate_village_code(const char *code, hh_diag *d)
{
    if (strlen(code) != HH_VILLAGE_CODE_LEN || !all_digits(code, HH_VILLAGE_CODE_LEN))
        return hh_diag_fail(d, HH_EINVAL, "village_code", "must be exactly 12 digits");
    if (strspn(code, "0") == HH_VILLAGE_CODE_LEN)
        return hh_diag_fail(d, HH_EINVAL, "village_code", "cannot be all zeros");
    return HH_OK;
}

int hh_villages_contain(const char *villages, const char *village)
{
    size_t n = strlen(village);

    if (n != HH_VILLAGE_CODE_LEN)
        return 0;
    for (const char *p = villages; *p; ) {
        size_t len = strcspn(p, ",");
        if (len == n && memcmp(p, village, n) == 0)
            return 1;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

hh_err hh_validate_date(const char *date, hh_diag *d)
{
    int y, m, day;

    if (strlen(date) != HH_DATE_LEN || !parse_ymd(date, 1, &y, &m, &day))
        return hh_diag_fail(d, HH_EINVAL, "date",
                            "must be a real date YYYY-MM-DD between 1900 and 2100");
    return HH_OK;
}

/* The proleptic Gregorian calendar counted in 400-year eras of 146,097 days,
 * each starting on 1 March so that leap days fall at an era-year's end. */
long hh_date_days(const char *date)
{
    int y, m, d;
    long era, yoe, doy, doe;

    if (hh_validate_date(date, NULL) != HH_OK || !parse_ymd(date, 1, &y, &m, &d))
        return HH_DATE_INVALID;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void hh_date_from_days(long days, char out[HH_DATE_LEN + 1])
{
    long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1, m = mp + (mp < 10 ? 3 : -9), y = yoe + era * 400 + (m <= 2);

    snprintf(out, HH_DATE_LEN + 1, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u);
}

hh_err hh_validate_uuid(const char *uuid, hh_diag *d)
{
    if (strlen(uuid) != HH_UUID_LEN)
        goto bad;
    for (int i = 0; i < HH_UUID_LEN; i++) {
        char c = uuid[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                goto bad;
        } else if (!is_digit(c) && !(c >= 'a' && c <= 'f')) {
            goto bad;
        }
    }
    return HH_OK;
bad:
    return hh_diag_fail(d, HH_EINVAL, "id", "must be a lowercase UUID (8-4-4-4-12 hex)");
}

size_t hh_utf8_sequence(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n;
    unsigned cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07; }
    else return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

hh_err hh_validate_text(const char *field, const char *text, size_t max_bytes,
                        int multiline, hh_diag *d)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t len = strlen(text);

    if (len > max_bytes)
        return hh_diag_fail(d, HH_ERANGE, field, "is %zu bytes, more than the %zu allowed",
                            len, max_bytes);
    while (*p) {
        size_t n = hh_utf8_sequence(p);
        if (n == 0)
            return hh_diag_fail(d, HH_EINVAL, field, "is not valid UTF-8");
        if ((n == 1 && (*p < 0x20 || *p == 0x7F) && !(multiline && (*p == '\n' || *p == '\t'))) ||
            (n == 2 && p[0] == 0xC2 && p[1] < 0xA0))   /* C1 controls: CSI and friends */
            return hh_diag_fail(d, HH_EINVAL, field, "contains a control character");
        p += n;
    }
    return HH_OK;
}

void hh_text_printable(const char *in, char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t o = 0;

    if (cap == 0)
        return;
    while (*p && o + 1 < cap) {
        size_t n = hh_utf8_sequence(p);
        if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7F)) || (n == 2 && p[0] == 0xC2 && p[1] < 0xA0)) {
            out[o++] = '?';
            p += n ? n : 1;
            continue;
        }
        if (o + n >= cap)
            break;   /* never half a character */
        memcpy(out + o, p, n);
        o += n;
        p += n;
    }
    out[o] = '\0';
}

hh_err hh_validate_money(const char *field, int64_t yuan, hh_diag *d)
{
    if (yuan < 0)
        return hh_diag_fail(d, HH_EINVAL, field, "cannot be negative (got %lld)", (long long)yuan);
    if (yuan > HH_MONEY_MAX_YUAN)
        return hh_diag_fail(d, HH_ERANGE, field, "is over the bound of %d yuan",
                            HH_MONEY_MAX_YUAN);
    return HH_OK;
}

static hh_err check_enum(const hh_enum_names *e, int value, hh_diag *d)
{
    if (!hh_enum_name(e, value))
        return hh_diag_fail(d, HH_EINVAL, e->kind, "is missing or not a known %s", e->kind);
    return HH_OK;
}

/* Every field of m; the birth year must agree with the ID number when
 * id_agreement is set. */
static hh_err member_check(const hh_member *m, int current_year, int id_agreement, hh_diag *d)
{
    hh_err ret;
    int id_year = 0;

    if (m->id[0] && (ret = hh_validate_uuid(m->id, d)) != HH_OK)
        return ret;
    if (m->name[0] == '\0')
        return hh_diag_fail(d, HH_EINVAL, "name", "is required");
    if ((ret = hh_validate_text("name", m->name, HH_NAME_MAX, 0, d)) != HH_OK)
        return ret;
    if ((ret = hh_validate_id_number(m->id_number, &id_year, d)) != HH_OK)
        return ret;
    if ((ret = check_enum(&hh_relation_names, (int)m->relation, d)) != HH_OK ||
        (ret = check_enum(&hh_sex_names, (int)m->sex, d)) != HH_OK ||
        (ret = check_enum(&hh_labour_names, (int)m->labour, d)) != HH_OK ||
        (ret = check_enum(&hh_health_names, (int)m->health, d)) != HH_OK ||
        (ret = check_enum(&hh_school_names, (int)m->school, d)) != HH_OK ||
        (ret = check_enum(&hh_employment_names, (int)m->employment, d)) != HH_OK)
        return ret;
    if (m->birth_year < 1900 || m->birth_year > current_year)
        return hh_diag_fail(d, HH_EINVAL, "birth_year", "must be between 1900 and %d",
                            current_year);
    if (id_agreement && id_year != 0 && id_year != m->birth_year)
        return hh_diag_fail(d, HH_EINVAL, "birth_year",
                            "is not %d, the birth year in the ID number", id_year);
    if (id_agreement && hh_id_number_sex(m->id_number) && hh_id_number_sex(m->id_number) != (int)m->sex)
        return hh_diag_fail(d, HH_EINVAL, "sex", "is not %s, the sex the ID number states",
                            hh_id_number_sex(m->id_number) == HH_SEX_MALE ? "m" : "f");
    if (m->health == HH_HEALTH_DISABLED) {
        if (m->disability_grade < 1 || m->disability_grade > 4)
            return hh_diag_fail(d, HH_EINVAL, "disability_grade",
                                "must be 1..4 for a disabled member");
    } else if (m->disability_grade != 0) {
        return hh_diag_fail(d, HH_EINVAL, "disability_grade",
                            "is only for members whose health is 'disabled'");
    }
    if (m->employment_stable < -1 || m->employment_stable > 1)
        return hh_diag_fail(d, HH_EINVAL, "employment_stable", "must be true, false or absent");
    return HH_OK;
}

hh_err hh_member_validate(const hh_member *m, int current_year, hh_diag *d)
{
    return member_check(m, current_year, 1, d);
}

hh_err hh_member_validate_received(const hh_member *m, int current_year, hh_diag *d)
{
    return member_check(m, current_year, 0, d);
}

static hh_err household_check(const hh_household *h, int current_year, int id_agreement, hh_diag *d)
{
    hh_err ret;
    char field[32];
    size_t reg_len = strlen(h->registry_no);
    int heads = 0;

    if (h->id[0] && (ret = hh_validate_uuid(h->id, d)) != HH_OK)
        return ret;
    if (reg_len > 0) {
        if (reg_len > HH_REGISTRY_NO_MAX ||
            strspn(h->registry_no, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-") != reg_len)
            return hh_diag_fail(d, HH_EINVAL, "registry_no",
                                "must be 1-%d letters, digits or '-'", HH_REGISTRY_NO_MAX);
    }
    if ((ret = hh_validate_village_code(h->village_code, d)) != HH_OK)
        return ret;
    if ((ret = check_enum(&hh_category_names, (int)h->category, d)) != HH_OK)
        return ret;
    if ((ret = hh_validate_text("resettlement_site", h->resettlement_site, HH_SITE_MAX, 0, d)) != HH_OK)
        return ret;
    if (!h->relocated && h->resettlement_site[0])
        return hh_diag_fail(d, HH_EINVAL, "resettlement_site",
                            "is only for relocated households");
    if (h->member_count < 0 || h->member_count > HH_MEMBERS_MAX)
        return hh_diag_fail(d, HH_ERANGE, "members", "at most %d members", HH_MEMBERS_MAX);
    for (int i = 0; i < h->member_count; i++) {
        const hh_member *m = &h->members[i];
        snprintf(field, sizeof field, "members[%d].", i);
        if ((ret = member_check(m, current_year, id_agreement, d)) != HH_OK) {
            hh_diag_prefix(d, field);
            return ret;
        }
        if (m->relation == HH_RELATION_HEAD && ++heads > 1)
            return hh_diag_fail(d, HH_EINVAL, "members", "more than one member is the head");
        for (int j = 0; j < i; j++) {
            if (strcmp(h->members[j].id_number, m->id_number) == 0) {
                snprintf(field, sizeof field, "members[%d].id_number", i);
                return hh_diag_fail(d, HH_EINVAL, field, "repeats the ID number of members[%d]", j);
            }
            if (m->id[0] && strcmp(h->members[j].id, m->id) == 0) {
                snprintf(field, sizeof field, "members[%d].id", i);
                return hh_diag_fail(d, HH_EINVAL, field, "repeats the id of members[%d]", j);
            }
        }
    }
    return HH_OK;
}

hh_err hh_household_validate(const hh_household *h, int current_year, hh_diag *d)
{
    return household_check(h, current_year, 1, d);
}

hh_err hh_household_validate_received(const hh_household *h, int current_year, hh_diag *d)
{
    return household_check(h, current_year, 0, d);
}

hh_err hh_visit_latest_date(const char *today, char out[HH_DATE_LEN + 1])
{
    int y, m, day;

    if (!parse_ymd(today, 1, &y, &m, &day))
        return HH_EINVAL;
    for (int i = 0; i < HH_VISIT_FUTURE_SLACK_DAYS; i++) {
        if (++day > days_in_month(y, m)) {
            day = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
    snprintf(out, HH_DATE_LEN + 1, "%04d-%02d-%02d", y, m, day);
    return HH_OK;
}

hh_err hh_visit_check_date(const char *visited_on, const char *today, hh_diag *d)
{
    char latest[HH_DATE_LEN + 1];

    if (hh_validate_date(visited_on, d) != HH_OK)
        return hh_diag_fail(d, HH_EINVAL, "visited_on", "must be a real date YYYY-MM-DD");
    if (strcmp(visited_on, HH_VISIT_DATE_MIN) < 0)
        return hh_diag_fail(d, HH_EINVAL, "visited_on", "%s is before %s, when monitoring records "
                            "began", visited_on, HH_VISIT_DATE_MIN);
    if (hh_visit_latest_date(today, latest) != HH_OK)
        return hh_diag_fail(d, HH_EINVAL, "visited_on", "today's date is unknown");
    if (strcmp(visited_on, latest) > 0)
        return hh_diag_fail(d, HH_EINVAL, "visited_on", "%s is in the future (today is %s): "
                            "check the date, and the device's clock", visited_on, today);
    return HH_OK;
}

hh_err hh_visit_validate(const hh_visit *v, hh_diag *d)
{
    hh_err ret;

    if (v->id[0] && (ret = hh_validate_uuid(v->id, d)) != HH_OK)
        return ret;
    if (hh_validate_date(v->visited_on, d) != HH_OK)
        return hh_diag_fail(d, HH_EINVAL, "visited_on",
                            "must be a real date YYYY-MM-DD between 1900 and 2100");
    if (v->officer[0] == '\0')
        return hh_diag_fail(d, HH_EINVAL, "officer", "is required");
    if ((ret = hh_validate_text("officer", v->officer, HH_OFFICER_MAX, 0, d)) != HH_OK)
        return ret;
    if (v->household_size < 0 || v->household_size > HH_HOUSEHOLD_SIZE_MAX)
        return hh_diag_fail(d, HH_ERANGE, "household_size", "must be 1..%d",
                            HH_HOUSEHOLD_SIZE_MAX);
    if ((ret = hh_validate_money("income_yuan.wages", v->income.wages_yuan, d)) != HH_OK ||
        (ret = hh_validate_money("income_yuan.operating", v->income.operating_yuan, d)) != HH_OK ||
        (ret = hh_validate_money("income_yuan.property", v->income.property_yuan, d)) != HH_OK ||
        (ret = hh_validate_money("income_yuan.transfer", v->income.transfer_yuan, d)) != HH_OK ||
        (ret = hh_validate_money("expenditure_yuan.medical", v->expenditure.medical_yuan, d)) != HH_OK ||
        (ret = hh_validate_money("expenditure_yuan.education", v->expenditure.education_yuan, d)) != HH_OK ||
        (ret = hh_validate_money("expenditure_yuan.disaster", v->expenditure.disaster_yuan, d)) != HH_OK)
        return ret;
    if (v->shocks & ~HH_SHOCKS_ALL)
        return hh_diag_fail(d, HH_EINVAL, "shocks", "contains an unknown shock");
    if (v->guarantees_met & ~HH_GUARANTEES_ALL)
        return hh_diag_fail(d, HH_EINVAL, "guarantees", "contains an unknown guarantee");
    if (v->has_gps && (v->lat_microdeg < -90000000 || v->lat_microdeg > 90000000 ||
                       v->lon_microdeg < -180000000 || v->lon_microdeg > 180000000))
        return hh_diag_fail(d, HH_ERANGE, "gps", "latitude must be -90..90 and longitude -180..180");
    if ((ret = hh_validate_text("notes", v->notes, HH_NOTES_MAX, 1, d)) != HH_OK)
        return ret;
    if (v->supersedes[0] && (ret = hh_validate_uuid(v->supersedes, d)) != HH_OK)
        return hh_diag_fail(d, ret, "supersedes", "must be the UUID of an earlier visit");
    return HH_OK;
}
