/* collector/review.c — the review service (see review.h). */
#include "review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/validate.h"
#include "platform/platform.h"

#define DAY_MS (24ull * 60 * 60 * 1000)
#define RELEASE_VISITS_MAX 64

hh_err hh_review_active_account(hh_cstore *s, const char *account, hh_account *a, hh_diag *d)
{
    hh_err ret = hh_rstore_account_get(s, account, a);

    if (ret == HH_ENOTFOUND)
        return hh_diag_fail(d, HH_EPERM, "--as", "no account '%.32s' (hearthd user add)", account);
    if (ret != HH_OK)
        return ret;
    if (a->disabled_ms)
        return hh_diag_fail(d, HH_EPERM, "--as", "account '%s' is disabled", a->name);
    return HH_OK;
}

hh_err hh_review_account(hh_cstore *s, const char *account, const char *household,
                         hh_account *a, hh_household *h, hh_diag *d)
{
    hh_err ret = hh_review_active_account(s, account, a, d);

    if (ret != HH_OK)
        return ret;
    ret = hh_rstore_household_find(s, household, h);
    if (ret == HH_ENOTFOUND)
        return hh_diag_fail(d, HH_ENOTFOUND, "household", "no household '%.40s'", household);
    if (ret == HH_ECONFLICT)
        return hh_diag_fail(d, HH_ECONFLICT, "household",
                            "registry number %.40s is on several households (a duplicate case): "
                            "name the household by its id", household);
    if (ret != HH_OK)
        return ret;
    if (!hh_scope_contains(a->scope, h->village_code))
        return hh_diag_fail(d, HH_EPERM, "--as", "village %s is outside the villages of '%s'",
                            h->village_code, a->name);
    return HH_OK;
}

hh_err hh_review_suggested(hh_cstore *s, const char *household_id, uint32_t *measures)
{
    hh_ctier t;
    uint32_t shocks = 0;
    hh_err ret = hh_cstore_tier_get(s, household_id, &t);

    *measures = 0;
    if (ret == HH_ENOTFOUND)
        return HH_OK;
    if (ret == HH_OK && (ret = hh_rstore_latest_shocks(s, household_id, &shocks)) == HH_OK)
        *measures = hh_review_suggest(hh_cstore_rules(s), t.v.reasons, shocks);
    return ret;
}

/* The values an action needs, checked before anything is read. */
static hh_err check_request(const hh_rulebook *rules, const hh_review_request *q, hh_diag *d)
{
    hh_err ret;

    if (!q->note || !q->note[0])
        return hh_diag_fail(d, HH_EINVAL, "--note", "every step needs a note saying why");
    if ((ret = hh_validate_text("--note", q->note, HH_NOTE_MAX, 1, d)) != HH_OK)
        return ret;
    if (q->act == HH_ACT_VERIFY && !q->consent_signed)
        return hh_diag_fail(d, HH_EINVAL, "--consent-signed",
                            "a home check (入户核实) needs the household's signed consent "
                            "(承诺授权书): give --consent-signed once it is signed");
    if (q->act == HH_ACT_INTERVENE) {
        char list[HH_MEASURES_MAX * (HH_MEASURE_CODE_MAX + 1)] = "";
        if (!q->measure || hh_rulebook_measure(rules, q->measure) < 0) {
            for (int i = 0; i < rules->measure_count; i++) {
                strcat(list, i ? " " : "");
                strcat(list, rules->measures[i]);
            }
            return hh_diag_fail(d, HH_EINVAL, "--measure", "must be one of the rulebook's: %s", list);
        }
        if (!q->responsible || !q->responsible[0] ||
            hh_validate_text("--responsible", q->responsible, HH_RESPONSIBLE_MAX, 0, d) != HH_OK)
            return hh_diag_fail(d, HH_EINVAL, "--responsible",
                                "name the person responsible (1-%d bytes)", HH_RESPONSIBLE_MAX);
        if (!q->due_on || hh_validate_date(q->due_on, d) != HH_OK)
            return hh_diag_fail(d, HH_EINVAL, "--due", "must be a date, YYYY-MM-DD");
    }
    if ((q->act == HH_ACT_TRACK || q->act == HH_ACT_CLOSE_MEASURE) && q->measure_id <= 0)
        return hh_diag_fail(d, HH_EINVAL, "--measure-id", "name the measure (its number in "
                            "`hearthd review history`)");
    return HH_OK;
}

/* The household's visits as the elimination criteria read them: the newest
 * RELEASE_VISITS_MAX, oldest first, without those a correction supersedes or
 * dated past what a visit may carry today. */
typedef struct release_visits {
    const hh_household *h;
    char latest[HH_DATE_LEN + 1];
    int n;
    struct {
        char id[HH_UUID_LEN + 1], supersedes[HH_UUID_LEN + 1];
        hh_release_visit v;
    } at[RELEASE_VISITS_MAX];
} release_visits;

static int take_visit(void *ctx, const hh_visit *v)
{
    release_visits *r = ctx;

    if (strcmp(v->visited_on, r->latest) > 0)
        return 0;
    if (r->n == RELEASE_VISITS_MAX) {        /* keep the newest: drop the oldest */
        memmove(&r->at[0], &r->at[1], (RELEASE_VISITS_MAX - 1) * sizeof r->at[0]);
        r->n--;
    }
    memcpy(r->at[r->n].id, v->id, sizeof r->at[0].id);
    memcpy(r->at[r->n].supersedes, v->supersedes, sizeof r->at[0].supersedes);
    memcpy(r->at[r->n].v.visited_on, v->visited_on, sizeof r->at[0].v.visited_on);
    r->at[r->n].v.per_capita_yuan = hh_visit_per_capita(r->h, v);
    r->n++;
    return 0;
}

/* Those of r that no other visit supersedes, into out; their count. */
static int current_visits(const release_visits *r, hh_release_visit *out)
{
    int n = 0;

    for (int i = 0; i < r->n; i++) {
        int superseded = 0;
        for (int j = 0; j < r->n && !superseded; j++)
            superseded = strcmp(r->at[j].supersedes, r->at[i].id) == 0;
        if (!superseded)
            out[n++] = r->at[i].v;
    }
    return n;
}

/* 风险消除: the criteria on the household's visits, today. */
static hh_err release_criteria(hh_cstore *s, const hh_household *h, hh_review_result *out)
{
    release_visits *r = calloc(1, sizeof *r);
    hh_release_visit *visits = calloc(RELEASE_VISITS_MAX, sizeof *visits);
    char last_visit_on[HH_DATE_LEN + 1], village[HH_VILLAGE_CODE_LEN + 1], today[HH_DATE_LEN + 1];
    hh_tier_result latest;
    int found = 0, count = 0;
    hh_err ret;

    if (!r || !visits) {
        free(r);
        free(visits);
        return HH_ENOMEM;
    }
    r->h = h;
    if ((ret = hh_platform_today(today)) == HH_OK && (ret = hh_visit_latest_date(today, r->latest)) == HH_OK &&
        (ret = hh_records_each_visit(hh_cstore_sql(s), h->id, take_visit, r)) == HH_OK &&
        (ret = hh_records_compute_tier(hh_cstore_sql(s), hh_cstore_rules(s), h->id, &latest,
                                       last_visit_on, village, &found, NULL)) == HH_OK)
        hh_review_release_check(hh_cstore_rules(s), visits, current_visits(r, visits), found ? &latest : NULL,
                                today, out->unmet, sizeof out->unmet, &count);
    free(visits);
    free(r);
    if (ret == HH_OK && count)
        ret = HH_ECONFLICT;
    return ret;
}

/* What the step writes besides its state: the notice, the category, the
 * case's end or reopening, a measure. */
static hh_err step_effects(hh_cstore *s, const hh_review_request *q, hh_household *h, hh_case *c,
                           uint64_t now_ms, hh_review_result *out, hh_diag *d)
{
    const hh_rulebook *rules = hh_cstore_rules(s);
    hh_measure m;
    hh_err ret;

    switch (q->act) {
    case HH_ACT_VERIFY:
        c->consent = 1;
        break;
    case HH_ACT_VILLAGE:
        c->notice_until_ms = now_ms + (uint64_t)rules->notice_days * DAY_MS;
        out->notice_until_ms = c->notice_until_ms;
        break;
    case HH_ACT_COUNTY:
        if (out->to == HH_REVIEW_MONITORED) {
            hh_ctier t;
            if ((ret = hh_cstore_tier_get(s, h->id, &t)) != HH_OK)
                return ret;
            out->category = hh_review_category(rules, h->category, t.v.per_capita_yuan);
            snprintf(c->category, sizeof c->category, "%s",
                     hh_enum_name(&hh_category_names, (int)out->category));
            if (h->category != out->category) {
                h->category = out->category;
                if ((ret = hh_rstore_household_decide(s, h, "category", now_ms)) != HH_OK)
                    return ret;
            }
        } else {
            c->closed_ms = now_ms;
        }
        break;
    case HH_ACT_DISMISS:
        c->closed_ms = now_ms;
        break;
    case HH_ACT_REOPEN:
        c->closed_ms = 0;
        break;
    case HH_ACT_INTERVENE:
        memset(&m, 0, sizeof m);
        m.case_id = c->id;
        memcpy(m.household_id, h->id, sizeof m.household_id);
        snprintf(m.measure, sizeof m.measure, "%s", q->measure);
        snprintf(m.responsible, sizeof m.responsible, "%s", q->responsible);
        snprintf(m.due_on, sizeof m.due_on, "%s", q->due_on);
        m.opened_ms = now_ms;
        return hh_rstore_measure_add(s, &m, &out->measure_id);
    case HH_ACT_TRACK:
    case HH_ACT_CLOSE_MEASURE:
        ret = hh_rstore_measure_get(s, q->measure_id, &m);
        if (ret == HH_ENOTFOUND || (ret == HH_OK && strcmp(m.household_id, h->id) != 0))
            return hh_diag_fail(d, HH_ENOTFOUND, "--measure-id", "household has no measure %lld",
                                (long long)q->measure_id);
        if (ret != HH_OK)
            return ret;
        if (m.closed_ms)
            return hh_diag_fail(d, HH_ECONFLICT, "--measure-id", "measure %lld is closed already",
                                (long long)q->measure_id);
        out->measure_id = m.id;
        return q->act == HH_ACT_CLOSE_MEASURE ? hh_rstore_measure_close(s, m.id, now_ms) : HH_OK;
    default:
        break;
    }
    return HH_OK;
}

/* Checks that need the stored case: the notice, the criteria. */
static hh_err step_allowed(hh_cstore *s, const hh_review_request *q, const hh_household *h,
                           const hh_case *c, uint64_t now_ms, hh_review_result *out, hh_diag *d)
{
    hh_err ret;

    if (q->act == HH_ACT_TOWNSHIP && c->notice_until_ms > now_ms) {
        char until[32];
        hh_platform_format_ms(c->notice_until_ms, until, sizeof until);
        return hh_diag_fail(d, HH_ECONFLICT, "review",
                            "the public notice (公示) runs until %s: the township acts after it", until);
    }
    if (q->act == HH_ACT_PROPOSE_RELEASE && (ret = release_criteria(s, h, out)) != HH_OK)
        return ret == HH_ECONFLICT
                   ? hh_diag_fail(d, HH_ECONFLICT, "review", "风险消除 criteria not met:\n%s", out->unmet)
                   : ret;
    return HH_OK;
}

static hh_err act(hh_cstore *s, const hh_review_request *q, uint64_t now_ms, hh_review_result *out,
                  hh_diag *d)
{
    hh_household *h = malloc(sizeof *h);
    hh_account a;
    hh_case c;
    uint64_t since_ms;
    char detail[160];
    hh_err ret;

    if (!h)
        return HH_ENOMEM;
    if ((ret = hh_review_account(s, q->account, q->household, &a, h, d)) != HH_OK)
        goto done;
    memcpy(out->household_id, h->id, sizeof out->household_id);
    ret = hh_rstore_review_state(s, h->id, &out->from, &since_ms);
    if (ret == HH_ENOTFOUND) {
        ret = hh_diag_fail(d, HH_ECONFLICT, "household", "no tier yet: record a visit first");
        goto done;
    }
    if (ret != HH_OK || (ret = hh_review_next(out->from, q->act, a.level, &out->to, d)) != HH_OK)
        goto done;
    /* The warning's case: the open one, the one to reopen, or a new one from
     * when the warning was computed. */
    ret = q->act == HH_ACT_REOPEN ? hh_rstore_case_latest(s, h->id, &c) : hh_rstore_case_open(s, h->id, &c);
    if (ret == HH_ENOTFOUND) {
        memset(&c, 0, sizeof c);
        memcpy(c.household_id, h->id, sizeof c.household_id);
        c.opened_ms = since_ms;
        ret = hh_rstore_case_create(s, h->id, since_ms, &c.id);
    }
    if (ret != HH_OK || (ret = step_allowed(s, q, h, &c, now_ms, out, d)) != HH_OK ||
        (ret = step_effects(s, q, h, &c, now_ms, out, d)) != HH_OK)
        goto done;
    out->case_id = c.id;
    c.state_ms = now_ms;
    snprintf(detail, sizeof detail, "%s household %s case %lld: %s -> %s",
             hh_enum_name(&hh_review_action_names, (int)q->act), h->id, (long long)c.id,
             hh_enum_name(&hh_review_state_names, (int)out->from),
             hh_enum_name(&hh_review_state_names, (int)out->to));
    if ((ret = hh_rstore_case_save(s, &c)) != HH_OK ||
        (ret = hh_rstore_step(s, c.id, h->id, now_ms, a.name,
                              hh_enum_name(&hh_review_action_names, (int)q->act), out->from, out->to,
                              q->note)) != HH_OK ||
        (ret = hh_rstore_audit(s, "review", a.name, detail)) != HH_OK)
        goto done;
    /* Released or dismissed: the tier is what the visits compute again. */
    if (!hh_review_open(out->to) && hh_review_open(out->from))
        ret = hh_cstore_tier_recompute(s, h->id);
done:
    free(h);
    return ret;
}

hh_err hh_review_act(hh_cstore *s, const hh_review_request *q, uint64_t now_ms,
                     hh_review_result *out, hh_diag *d)
{
    hh_err ret;

    memset(out, 0, sizeof *out);
    if ((ret = hh_cstore_begin(s)) != HH_OK)
        return ret;
    if ((ret = check_request(hh_cstore_rules(s), q, d)) == HH_OK &&
        (ret = act(s, q, now_ms, out, d)) == HH_OK)
        return hh_cstore_commit(s);
    hh_cstore_rollback(s);
    return ret;
}
