/* collector/review.h — the review service: the lifecycle's rules
 * (model/review.h) applied to the collector's records, by named accounts.
 *
 * Each action is one transaction: it is checked (the account exists, is
 * enabled, has the level the step needs and the household in its villages;
 * the state allows the step; the notice has run; the elimination criteria
 * hold), then written with who, when and the note as a step of the
 * household's case, in the audit log (without the note: free text may hold
 * personal data), and on the tier the devices pull. A refused action changes
 * nothing. No HTTP and no command line here: the CLI (collector/cmd_review.c)
 * and the console are views over these calls. */
#ifndef HH_COLLECTOR_REVIEW_H
#define HH_COLLECTOR_REVIEW_H

#include "cstore.h"
#include "rstore.h"

typedef struct hh_review_request {
    hh_review_action act;
    const char *account;        /* --as NAME */
    const char *household;      /* id or registry number */
    const char *note;           /* required, 1..HH_NOTE_MAX bytes */
    int consent_signed;         /* verify: 承诺授权书 signed */
    const char *measure;        /* intervene: a code of the rulebook's list */
    const char *responsible;    /* intervene */
    const char *due_on;         /* intervene: YYYY-MM-DD */
    int64_t measure_id;         /* track, close-measure */
} hh_review_request;

typedef struct hh_review_result {
    char household_id[HH_UUID_LEN + 1];
    hh_review_state from, to;
    int64_t case_id, measure_id;
    uint64_t notice_until_ms;   /* village: when the township may act */
    hh_category category;       /* county approval: the 监测对象 category */
    char unmet[600];            /* propose-release refused: one criterion per line */
} hh_review_result;

/* Take one action at now_ms (today is its calendar day). On refusal d says
 * why: HH_EPERM (account, level, scope), HH_ECONFLICT (state, notice,
 * criteria: out->unmet lists them), HH_EINVAL (a value), HH_ENOTFOUND. */
hh_err hh_review_act(hh_cstore *s, const hh_review_request *q, uint64_t now_ms,
                     hh_review_result *out, hh_diag *d);

/* The measures the rulebook suggests for a household now (its tier's
 * reasons, its latest visit's shocks): bits into the rulebook's measures. */
hh_err hh_review_suggested(hh_cstore *s, const char *household_id, uint32_t *measures);

/* An account that exists and is enabled (HH_EPERM, saying which, if not). */
hh_err hh_review_active_account(hh_cstore *s, const char *account, hh_account *a, hh_diag *d);

/* An account that may act on household (enabled, its villages): loads both. */
hh_err hh_review_account(hh_cstore *s, const char *account, const char *household,
                         hh_account *a, hh_household *h, hh_diag *d);

#endif
