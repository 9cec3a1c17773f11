/* tests/unit/helpers.h — fixtures shared by the unit tests. */
#ifndef HH_TEST_HELPERS_H
#define HH_TEST_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/record.h"
#include "model/validate.h"

/* Two ID numbers whose check digits were computed outside Hearth: the first is
 * the worked example of GB 11643-1999, the second by hand. */
#define ID_STANDARD_EXAMPLE "11010519491231002X"
#define ID_1970 "511823197001010018"

/* An 18-character ID number for birth_year with a correct check digit. */
static inline void make_id_number(char out[19], int birth_year, int serial)
{
    snprintf(out, 19, "511823%04d0101%03d", birth_year, serial % 1000);
    out[17] = hh_mod11_2_check(out, 17);
    out[18] = '\0';
}

/* A valid working-age member. */
static inline hh_member make_member(hh_relation relation, int serial)
{
    hh_member m;

    hh_member_init(&m);
    snprintf(m.name, sizeof m.name, "成员%d", serial);
    make_id_number(m.id_number, 1980, serial);
    m.relation = relation;
    m.sex = (hh_sex)hh_id_number_sex(m.id_number);   /* odd serial: male */
    m.birth_year = 1980;
    m.labour = HH_LABOUR_FULL;
    m.health = HH_HEALTH_HEALTHY;
    m.school = HH_SCHOOL_NONE;
    m.medical_insurance = true;
    m.employment = HH_EMPLOYMENT_MIGRANT;
    return m;
}

/* A valid household of `members` people in village 511823101201. */
static inline void make_household(hh_household *h, int members)
{
    memset(h, 0, sizeof *h);
    snprintf(h->registry_no, sizeof h->registry_no, "5118231012010001");
    snprintf(h->village_code, sizeof h->village_code, "511823101201");
    h->category = HH_CATEGORY_LIFTED;
    for (int i = 0; i < members; i++)
        h->members[i] = make_member(i == 0 ? HH_RELATION_HEAD : HH_RELATION_CHILD, i + 1);
    h->member_count = members;
}

/* A valid visit with the given total income, all guarantees met. */
static inline void make_visit(hh_visit *v, const char *date, int64_t total_income)
{
    hh_visit_init(v);
    snprintf(v->visited_on, sizeof v->visited_on, "%s", date);
    snprintf(v->officer, sizeof v->officer, "officer-001");
    v->income.wages_yuan = total_income;
}

#endif
