/* model/record.h — households, members and visits, and their enumerations.
 *
 * The in-memory shape of Hearth's domain (DESIGN sections 2 and 2a). Every text
 * field is a fixed array with its bound in the name of its macro, so a record can
 * live on the stack, be copied with `=`, and never holds a pointer to free. The
 * names of enumeration values are the exchange format's names, exactly. */
#ifndef HH_RECORD_H
#define HH_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../platform/err.h"

#define HH_UUID_LEN          36   /* 8-4-4-4-12 hex */
#define HH_REGISTRY_NO_MAX   32   /* bytes */
#define HH_VILLAGE_CODE_LEN  12
#define HH_SITE_MAX          128
#define HH_NAME_MAX          64
#define HH_ID_NUMBER_LEN     18
#define HH_OFFICER_MAX       64
#define HH_NOTES_MAX         2000
#define HH_DATE_LEN          10   /* YYYY-MM-DD */
#define HH_MEMBERS_MAX       30
#define HH_HOUSEHOLD_SIZE_MAX 50
#define HH_MONEY_MAX_YUAN    100000000   /* per field: 100 million yuan */

typedef enum hh_category {
    HH_CATEGORY_ORDINARY = 1, HH_CATEGORY_LIFTED, HH_CATEGORY_UNSTABLE,
    HH_CATEGORY_MARGINAL, HH_CATEGORY_SUDDEN_HARDSHIP
} hh_category;

typedef enum hh_relation {
    HH_RELATION_HEAD = 1, HH_RELATION_SPOUSE, HH_RELATION_CHILD,
    HH_RELATION_CHILD_IN_LAW, HH_RELATION_GRANDCHILD, HH_RELATION_PARENT,
    HH_RELATION_GRANDPARENT, HH_RELATION_SIBLING, HH_RELATION_OTHER
} hh_relation;

typedef enum hh_sex { HH_SEX_MALE = 1, HH_SEX_FEMALE } hh_sex;

typedef enum hh_labour { HH_LABOUR_FULL = 1, HH_LABOUR_PARTIAL, HH_LABOUR_NONE } hh_labour;

typedef enum hh_health {
    HH_HEALTH_HEALTHY = 1, HH_HEALTH_CHRONIC, HH_HEALTH_SERIOUS_ILLNESS, HH_HEALTH_DISABLED
} hh_health;

typedef enum hh_school { HH_SCHOOL_NONE = 1, HH_SCHOOL_ENROLLED, HH_SCHOOL_DROPPED_OUT } hh_school;

typedef enum hh_employment {
    HH_EMPLOYMENT_NONE = 1, HH_EMPLOYMENT_LOCAL, HH_EMPLOYMENT_MIGRANT,
    HH_EMPLOYMENT_PUBLIC_WELFARE_POST, HH_EMPLOYMENT_WORKSHOP, HH_EMPLOYMENT_SELF_EMPLOYED
} hh_employment;

/* Shocks are a set: bit (1u << value). */
typedef enum hh_shock {
    HH_SHOCK_ILLNESS = 1, HH_SHOCK_DISABILITY, HH_SHOCK_EDUCATION, HH_SHOCK_DISASTER,
    HH_SHOCK_EPIDEMIC, HH_SHOCK_ACCIDENT, HH_SHOCK_JOB_LOSS, HH_SHOCK_BUSINESS_LOSS
} hh_shock;

/* The six guarantees, as bits of a set of those that are met. */
typedef enum hh_guarantee {
    HH_GUARANTEE_FOOD = 1, HH_GUARANTEE_CLOTHING, HH_GUARANTEE_EDUCATION,
    HH_GUARANTEE_MEDICAL, HH_GUARANTEE_HOUSING, HH_GUARANTEE_WATER
} hh_guarantee;

#define HH_GUARANTEES_ALL 0x7Eu   /* bits 1..6 */
#define HH_SHOCKS_ALL     0x1FEu  /* bits 1..8 */

/* One enumeration's names; values run from 1 to count. */
typedef struct hh_enum_names {
    const char *kind;                 /* "category", for messages */
    const char *const *names;         /* names[value - 1] */
    int count;
    const char *const *zh;            /* Chinese labels in the same order, or NULL */
} hh_enum_names;

extern const hh_enum_names hh_category_names, hh_relation_names, hh_sex_names,
    hh_labour_names, hh_health_names, hh_school_names, hh_employment_names,
    hh_shock_names, hh_guarantee_names;

/* The value named `name` (its stable name or its Chinese label) in `e`, or 0
 * when there is none. */
int hh_enum_parse(const hh_enum_names *e, const char *name);

/* The Chinese label of `value` (its name when e has none), or NULL when out of
 * range. Static storage. */
const char *hh_enum_zh(const hh_enum_names *e, int value);

/* The name of `value` in `e`, or NULL when it is out of range. Static storage. */
const char *hh_enum_name(const hh_enum_names *e, int value);

/* Write e's names as "a | b | c" into out (for messages). */
void hh_enum_list(const hh_enum_names *e, char *out, size_t cap);

typedef struct hh_member {
    char id[HH_UUID_LEN + 1];
    char name[HH_NAME_MAX + 1];
    char id_number[HH_ID_NUMBER_LEN + 1];
    hh_relation relation;
    hh_sex sex;
    int birth_year;
    hh_labour labour;
    hh_health health;
    int disability_grade;             /* 1..4 when disabled, else 0 */
    hh_school school;
    bool medical_insurance;
    hh_employment employment;
    int employment_stable;            /* -1 unknown, 0 no, 1 yes */
} hh_member;

typedef struct hh_household {
    char id[HH_UUID_LEN + 1];
    char registry_no[HH_REGISTRY_NO_MAX + 1];   /* "" when it has none */
    char village_code[HH_VILLAGE_CODE_LEN + 1];
    hh_category category;
    bool relocated;
    char resettlement_site[HH_SITE_MAX + 1];    /* "" when none */
    int member_count;
    hh_member members[HH_MEMBERS_MAX];
} hh_household;

typedef struct hh_income {
    int64_t wages_yuan, operating_yuan, property_yuan, transfer_yuan;
} hh_income;

typedef struct hh_expenditure {
    int64_t medical_yuan, education_yuan, disaster_yuan;
} hh_expenditure;

typedef struct hh_visit {
    char id[HH_UUID_LEN + 1];
    char household_id[HH_UUID_LEN + 1];
    char visited_on[HH_DATE_LEN + 1];
    char officer[HH_OFFICER_MAX + 1];
    int household_size;               /* 0: count the members */
    hh_income income;
    hh_expenditure expenditure;
    uint32_t shocks;                  /* bits (1u << hh_shock) */
    uint32_t guarantees_met;          /* bits (1u << hh_guarantee) */
    bool has_gps;
    int32_t lat_microdeg, lon_microdeg;
    char notes[HH_NOTES_MAX + 1];
    char supersedes[HH_UUID_LEN + 1]; /* "" unless a correction */
    uint64_t hlc;
} hh_visit;

/* Set member defaults: everything unknown, employment_stable -1. */
void hh_member_init(hh_member *m);

/* Set visit defaults: all guarantees met, no shocks, no money. */
void hh_visit_init(hh_visit *v);

/* The sum of the four income sources, yuan. */
int64_t hh_income_total(const hh_income *income);

#endif
