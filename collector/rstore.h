/* collector/rstore.h — the review lifecycle's tables (collector/cstore.c
 * migration 4): accounts, cases and their steps, measures, duplicate cases.
 *
 * SQL only: the rules live in model/review.h, their application in
 * collector/review.c. Every function runs on the caller's transaction
 * (hh_cstore_begin) or, for reads, its own statement. Text read back is
 * checked against the bound it was written with (HH_ECORRUPT otherwise). */
#ifndef HH_RSTORE_H
#define HH_RSTORE_H

#include <stdint.h>

#include "cstore.h"
#include "model/review.h"

#define HH_ACCOUNT_NAME_MAX  32
#define HH_ACCOUNT_SCOPE_MAX HH_VILLAGES_TEXT_MAX
#define HH_PASSWORD_HASH_MAX 160
#define HH_NOTE_MAX          500

/* Each iterator below calls cb with every row it reads, as a pointer to its
 * struct (an hh_account for accounts, …), until cb returns non-zero. */
typedef int (*hh_row_cb)(void *ctx, const void *row);

typedef struct hh_account {
    char name[HH_ACCOUNT_NAME_MAX + 1];
    char role[12];                              /* reviewer | admin */
    hh_level level;
    char scope[HH_ACCOUNT_SCOPE_MAX + 1];       /* codes: county (6), township (9), village (12) */
    char password[HH_PASSWORD_HASH_MAX + 1];    /* Argon2id, encoded */
    uint64_t created_ms, disabled_ms;
} hh_account;

hh_err hh_rstore_account_add(hh_cstore *s, const hh_account *a);
hh_err hh_rstore_account_get(hh_cstore *s, const char *name, hh_account *out);
hh_err hh_rstore_account_disable(hh_cstore *s, const char *name, uint64_t now_ms);
hh_err hh_rstore_account_password(hh_cstore *s, const char *name, const char *hash);
hh_err hh_rstore_each_account(hh_cstore *s, hh_row_cb cb, void *ctx);

/* Parse a scope: comma-separated codes, each 6 (county), 9 (township) or
 * 12 (village) digits, at least one (option names it in d's message). */
hh_err hh_scope_parse(const char *option, const char *text, char out[HH_ACCOUNT_SCOPE_MAX + 1], hh_diag *d);

/* Is village_code inside scope (a comma-separated list of code prefixes)? */
int hh_scope_contains(const char *scope, const char *village_code);
/* The first of villages (comma-separated codes) outside scope, into
 * outside; 1 when every one is inside. */
int hh_scope_covers(const char *scope, const char *villages, char outside[HH_VILLAGE_CODE_LEN + 1]);

/* A warning and where its procedure stands. */
typedef struct hh_case {
    int64_t id;
    char household_id[HH_UUID_LEN + 1];
    uint64_t opened_ms, state_ms, notice_until_ms, closed_ms;
    int consent;
    char category[20];
} hh_case;

/* The household's open case, or (latest) its last one; HH_ENOTFOUND if none. */
hh_err hh_rstore_case_open(hh_cstore *s, const char *household_id, hh_case *out);
hh_err hh_rstore_case_latest(hh_cstore *s, const char *household_id, hh_case *out);
hh_err hh_rstore_case_create(hh_cstore *s, const char *household_id, uint64_t opened_ms,
                             int64_t *id);
hh_err hh_rstore_case_save(hh_cstore *s, const hh_case *c);

/* Record one step of case_id, and give the household's tier its new state
 * (and a new change number, so the devices pull it). */
hh_err hh_rstore_step(hh_cstore *s, int64_t case_id, const char *household_id, uint64_t at_ms,
                      const char *account, const char *action, hh_review_state from,
                      hh_review_state to, const char *note);

typedef struct hh_step {
    int64_t case_id;
    uint64_t at_ms;
    char account[HH_ACCOUNT_NAME_MAX + 1];
    char action[20];
    char from[32], to[32];
    char note[HH_NOTE_MAX + 1];
} hh_step;
hh_err hh_rstore_each_step(hh_cstore *s, const char *household_id, hh_row_cb cb, void *ctx);

typedef struct hh_measure {
    int64_t id, case_id;
    char household_id[HH_UUID_LEN + 1];
    char measure[HH_MEASURE_CODE_MAX + 1];
    char responsible[HH_RESPONSIBLE_MAX + 1];
    char due_on[HH_DATE_LEN + 1];
    uint64_t opened_ms, closed_ms;
} hh_measure;

hh_err hh_rstore_measure_add(hh_cstore *s, const hh_measure *m, int64_t *id);
hh_err hh_rstore_measure_get(hh_cstore *s, int64_t id, hh_measure *out);
hh_err hh_rstore_measure_close(hh_cstore *s, int64_t id, uint64_t now_ms);
/* A household's measures (open ones only when open_only), oldest first. */
hh_err hh_rstore_each_measure(hh_cstore *s, const char *household_id, int open_only,
                              hh_row_cb cb, void *ctx);

/* The household's tier row as the review reads it. */
hh_err hh_rstore_review_state(hh_cstore *s, const char *household_id, hh_review_state *state,
                              uint64_t *since_ms);

/* A household by id, or by registry number when that names exactly one
 * (HH_ECONFLICT when it names several: give the id). */
hh_err hh_rstore_household_find(hh_cstore *s, const char *key, hh_household *out);

/* Write a household's fields as the collector's own decision: a new version
 * of `field` stamped after every version it had, owned by no device, and a
 * new change number so every device pulls it. */
hh_err hh_rstore_household_decide(hh_cstore *s, const hh_household *h, const char *field,
                                  uint64_t now_ms);

/* The same for one field of a member (its household is touched). */
hh_err hh_rstore_member_decide(hh_cstore *s, const char *household_id, const hh_member *m,
                               const char *field, uint64_t now_ms);

/* Close an open conflict with the decision; HH_ENOTFOUND when not open. */
hh_err hh_rstore_conflict_close(hh_cstore *s, int64_t id, const char *account, const char *decision,
                                const char *note, uint64_t now_ms);

/* One line of the review worklist. */
typedef struct hh_work {
    char household_id[HH_UUID_LEN + 1];
    char registry_no[HH_REGISTRY_NO_MAX + 1];
    char village_code[HH_VILLAGE_CODE_LEN + 1];
    hh_tier tier;
    hh_review_state state;
    uint64_t since_ms;          /* the state's start */
    uint64_t case_opened_ms;    /* 0: no open case */
    int open_measures, overdue_measures;
    char head_name[HH_NAME_MAX + 1];   /* "" when no head is recorded */
    uint32_t reasons;           /* HH_REASON_* bits */
    char last_visit_on[HH_DATE_LEN + 1];
    int64_t per_capita_yuan;    /* -1: not known */
    hh_category category;
    char head_id_number[HH_ID_NUMBER_LEN + 1];
} hh_work;
/* Households with a tier, red first: in state (0: any) and village (NULL:
 * any); unless all (or a state is named), only open warnings (a tier above
 * green or a review under way, not released or dismissed). Measures due
 * before today are overdue. */
hh_err hh_rstore_each_work(hh_cstore *s, hh_review_state state, const char *village, int all,
                           const char *today, hh_row_cb cb, void *ctx);

/* A duplicate case (数据比对) with both sides as a reviewer judges them. */
typedef struct hh_duplicate {
    int64_t id;
    char kind[16];                               /* id_number | registry_no | id_mismatch */
    char household_a[HH_UUID_LEN + 1], member_a[HH_UUID_LEN + 1];
    char household_b[HH_UUID_LEN + 1], member_b[HH_UUID_LEN + 1];
    char registry_a[HH_REGISTRY_NO_MAX + 1], village_a[HH_VILLAGE_CODE_LEN + 1];
    char registry_b[HH_REGISTRY_NO_MAX + 1], village_b[HH_VILLAGE_CODE_LEN + 1];
    char name_a[HH_NAME_MAX + 1], name_b[HH_NAME_MAX + 1];   /* "" for households */
    char detail[160];
    uint64_t found_ms, resolved_ms;
    char resolution[24];
    char account[HH_ACCOUNT_NAME_MAX + 1];
} hh_duplicate;
/* The cases, open ones first (all when open_only is 0), oldest first. */
hh_err hh_rstore_each_duplicate(hh_cstore *s, int open_only, hh_row_cb cb, void *ctx);
hh_err hh_rstore_duplicate_get(hh_cstore *s, int64_t id, hh_duplicate *out);
/* Close an open case; HH_ENOTFOUND when it is not open. */
hh_err hh_rstore_duplicate_close(hh_cstore *s, int64_t id, const char *resolution,
                                 const char *account, const char *note, uint64_t now_ms);
/* Remove a member record folded into another record of the same person,
 * with its field versions. */
hh_err hh_rstore_member_fold(hh_cstore *s, const char *member_id);
/* Move a member record to another household (last position). */
hh_err hh_rstore_member_move(hh_cstore *s, const char *member_id, const char *household_id);
/* Fold household from into into: every visit and every member moves, except
 * a member whose ID number into already holds (the same person: into's record
 * is kept, from's removed with its field versions); from's tier goes. */
hh_err hh_rstore_household_merge(hh_cstore *s, const char *from, const char *into);

/* A refused change (the quarantine) as stored: its body (the packed Change;
 * read only with_body, and HH_ECORRUPT past the room here), household,
 * outcome ("" while waiting) and the note. */
typedef struct hh_refused {
    int reason;
    char household_id[HH_UUID_LEN + 1];
    char outcome[12];
    char note[HH_NOTE_MAX + 1];
    uint8_t body[HH_REFUSED_BODY_MAX];
    size_t body_len;
} hh_refused;
hh_err hh_rstore_refused_get(hh_cstore *s, const char *device_id, uint64_t seq, int with_body,
                             hh_refused *out);
/* Decide a waiting refusal; HH_ENOTFOUND when it is not waiting. */
hh_err hh_rstore_refused_close(hh_cstore *s, const char *device_id, uint64_t seq, const char *outcome,
                               const char *account, const char *note, uint64_t now_ms);

/* The shocks (bits, 1u << hh_shock) of the household's latest visit. */
hh_err hh_rstore_latest_shocks(hh_cstore *s, const char *household_id, uint32_t *shocks);

/* The console's overview: households per village, tier and review state. */
typedef struct hh_tally {
    char village_code[HH_VILLAGE_CODE_LEN + 1];
    hh_tier tier;
    hh_review_state state;
    int64_t count;
} hh_tally;
hh_err hh_rstore_each_tally(hh_cstore *s, hh_row_cb cb, void *ctx);

/* A report's figures per village: households, by tier (no tier: counted
 * in households only) and by category, and the measures open and overdue
 * (due before today). */
typedef struct hh_village_summary {
    char village_code[HH_VILLAGE_CODE_LEN + 1];
    int64_t households;
    int64_t tiers[HH_TIER_RED + 1];                  /* [HH_TIER_GREEN..HH_TIER_RED] */
    int64_t categories[HH_CATEGORY_SUDDEN_HARDSHIP + 1];
    int64_t measures_open, measures_overdue;
} hh_village_summary;
hh_err hh_rstore_each_village_summary(hh_cstore *s, const char *today, hh_row_cb cb, void *ctx);

/* Warnings opened (cases) and released per month (YYYY-MM, local time) and village,
 * by month. */
typedef struct hh_month_count {
    char month[8];
    char village_code[HH_VILLAGE_CODE_LEN + 1];
    int64_t opened, released;
} hh_month_count;
hh_err hh_rstore_each_month(hh_cstore *s, hh_row_cb cb, void *ctx);

/* Households per village and tier this month, counted now (replacing this
 * month's earlier count); in the caller's write transaction. */
hh_err hh_rstore_count_month(hh_cstore *s);

/* Those counts, month by month (YYYY-MM, local time). */
typedef struct hh_tier_month {
    char month[8];
    char village_code[HH_VILLAGE_CODE_LEN + 1];
    hh_tier tier;
    int64_t households;
} hh_tier_month;
hh_err hh_rstore_each_tier_month(hh_cstore *s, hh_row_cb cb, void *ctx);

/* The audit log, newest first, at most limit lines; who is the account or
 * the device. */
typedef struct hh_audit_row {
    uint64_t at_ms;
    char kind[32];
    char who[HH_UUID_LEN + 1];
    char detail[600];
} hh_audit_row;
hh_err hh_rstore_each_audit(hh_cstore *s, int limit, hh_row_cb cb, void *ctx);

/* Audit an account's action (no personal data in detail). */
hh_err hh_rstore_audit(hh_cstore *s, const char *kind, const char *account, const char *detail);

#endif
