/* collector/queues.c — the reviewer's queues: duplicate cases, conflicts, quarantine (see queues.h). */
#include "queues.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"
#include "model/validate.h"
#include "proto/hearth.pb-c.h"
#include "sync/codec.h"
#include "platform/platform.h"
#include "review.h"

/* Is key (an id or a registry number) household id with that registry number? */
static int names(const char *key, const char *id, const char *registry_no)
{
    return strcmp(key, id) == 0 || (registry_no[0] && strcmp(key, registry_no) == 0);
}

static hh_err account_allows(hh_cstore *s, const hh_dup_request *q, const hh_duplicate *c,
                             hh_diag *d)
{
    hh_account a;
    hh_err ret = hh_review_active_account(s, q->account, &a, d);

    if (ret != HH_OK)
        return ret;
    if (!hh_scope_contains(a.scope, c->village_a) || !hh_scope_contains(a.scope, c->village_b))
        return hh_diag_fail(d, HH_EPERM, "--as", "the case's households are not all in the villages of '%s'",
                            a.name);
    return HH_OK;
}

/* The case's changes written: members moved or households merged, then the
 * households touched (devices pull them) and their tiers computed again. */
static hh_err apply(hh_cstore *s, const hh_dup_request *q, const hh_duplicate *c, hh_diag *d)
{
    const char *into = NULL, *from = NULL;
    hh_err ret = HH_OK;

    if (q->act == HH_DUP_KEEP_BOTH)
        return HH_OK;
    if (q->into && names(q->into, c->household_a, c->registry_a))
        into = c->household_a, from = c->household_b;
    else if (q->into && names(q->into, c->household_b, c->registry_b))
        into = c->household_b, from = c->household_a;
    else
        return hh_diag_fail(d, HH_EINVAL, "--into", "must be one of the case's two households");
    if (strcmp(into, from) == 0)
        return hh_diag_fail(d, HH_EINVAL, "--into", "the case has one household: keep both, or "
                            "correct the member on a device");
    if (q->act == HH_DUP_MOVE) {
        char other_member[HH_UUID_LEN + 1], other_household[HH_UUID_LEN + 1];
        hh_member m;
        char household[HH_UUID_LEN + 1];
        if (!q->member || (strcmp(q->member, c->member_a) != 0 && strcmp(q->member, c->member_b) != 0) ||
            !q->member[0])
            return hh_diag_fail(d, HH_EINVAL, "--move", "must be one of the case's two members");
        ret = hh_records_member_get(hh_cstore_sql(s), q->member, &m, household);
        if (ret == HH_ENOTFOUND)
            return hh_diag_fail(d, HH_ENOTFOUND, "--move", "that member record is gone (removed on a "
                                "device since): keep both");
        if (ret != HH_OK)
            return ret;
        if (strcmp(household, into) == 0)
            return hh_diag_fail(d, HH_EINVAL, "--move", "the member is in that household already");
        if ((ret = hh_records_id_number_owner(hh_cstore_sql(s), m.id_number, m.id, other_member,
                                              other_household)) != HH_OK)
            return ret;
        /* The person belongs in `into`: a record of them there already
         * stays, and this one is folded into it; else this one moves. */
        ret = other_member[0] && strcmp(other_household, into) == 0
                  ? hh_rstore_member_fold(s, q->member)
                  : hh_rstore_member_move(s, q->member, into);
    } else {
        ret = hh_rstore_household_merge(s, from, into);
    }
    if (ret == HH_OK && (ret = hh_cstore_household_touch(s, into)) == HH_OK &&
        (ret = hh_cstore_household_touch(s, from)) == HH_OK &&
        (ret = hh_cstore_tier_recompute(s, into)) == HH_OK)
        ret = hh_cstore_tier_recompute(s, from);
    return ret;
}

hh_err hh_dupes_resolve(hh_cstore *s, const hh_dup_request *q, uint64_t now_ms, hh_diag *d)
{
    static const char *const actions[] = { "", "keep-both", "move", "merge" };
    hh_duplicate *c = malloc(sizeof *c);
    char detail[200];
    hh_err ret;

    if (!c)
        return HH_ENOMEM;
    if (!q->note || !q->note[0]) {
        free(c);
        return hh_diag_fail(d, HH_EINVAL, "--note", "say why: the note stays with the case");
    }
    if ((ret = hh_validate_text("--note", q->note, HH_NOTE_MAX, 1, d)) != HH_OK ||
        (ret = hh_cstore_begin(s)) != HH_OK) {
        free(c);
        return ret;
    }
    ret = hh_rstore_duplicate_get(s, q->id, c);
    if (ret == HH_OK && c->resolved_ms)
        ret = HH_ENOTFOUND;
    if (ret == HH_ENOTFOUND)
        ret = hh_diag_fail(d, HH_ENOTFOUND, "case", "no open duplicate case %lld", (long long)q->id);
    snprintf(detail, sizeof detail, "duplicate case %lld (%s) resolved: %s", (long long)q->id,
             ret == HH_OK ? c->kind : "", actions[q->act]);
    if (ret == HH_OK && (ret = account_allows(s, q, c, d)) == HH_OK && (ret = apply(s, q, c, d)) == HH_OK &&
        (ret = hh_rstore_duplicate_close(s, q->id, actions[q->act], q->account, q->note, now_ms)) == HH_OK &&
        (ret = hh_rstore_audit(s, "duplicate", q->account, detail)) == HH_OK) {
        free(c);
        return hh_cstore_commit(s);
    }
    hh_cstore_rollback(s);
    free(c);
    return ret;
}

/* ---- conflicts ------------------------------------------------------------------- */

/* Write value into the conflict's field, as the collector's decision. */
static hh_err decide(hh_cstore *s, const hh_conflict_request *q, const hh_conflict *k, const char *value,
                     hh_diag *d, uint64_t now_ms)
{
    hh_sqlcache *sql = hh_cstore_sql(s);
    hh_household *h = malloc(sizeof *h);
    hh_account a;
    hh_member m;
    char household[HH_UUID_LEN + 1];
    int is_member = 0;
    hh_err ret;

    if (!h)
        return HH_ENOMEM;
    ret = hh_records_household_get(sql, k->entity_id, 1, h);
    if (ret == HH_ENOTFOUND && (ret = hh_records_member_get(sql, k->entity_id, &m, household)) == HH_OK) {
        is_member = 1;
        ret = hh_records_household_get(sql, household, 1, h);
    }
    if (ret == HH_OK && (ret = hh_review_account(s, q->account, h->id, &a, h, d)) == HH_OK) {
        hh_err set = is_member ? hh_records_member_set(&m, k->field, value)
                               : hh_records_household_set(h, k->field, value);
        if (set == HH_OK)
            set = is_member ? hh_member_validate(&m, hh_platform_current_year(), d)
                            : hh_household_validate(h, hh_platform_current_year(), d);
        if (set != HH_OK)
            ret = hh_diag_fail(d, HH_EINVAL, "--value", "not a valid %s: %.60s", k->field, d->message);
        else if (is_member)
            ret = hh_rstore_member_decide(s, h->id, &m, k->field, now_ms);
        else
            ret = hh_rstore_household_decide(s, h, k->field, now_ms);
        if (ret == HH_OK)
            ret = hh_cstore_tier_recompute(s, h->id);
    } else if (ret == HH_ENOTFOUND) {
        ret = hh_diag_fail(d, HH_ENOTFOUND, "conflict", "its record is gone (merged away?)");
    }
    free(h);
    return ret;
}

hh_err hh_conflicts_resolve(hh_cstore *s, const hh_conflict_request *q, uint64_t now_ms, hh_diag *d)
{
    const char *decision, *value;
    hh_conflict k;
    char detail[160];
    hh_err ret;

    if (!q->note || !q->note[0])
        return hh_diag_fail(d, HH_EINVAL, "--note", "say why: the note stays with the conflict");
    if ((q->keep != NULL) == (q->value != NULL))
        return hh_diag_fail(d, HH_EUSAGE, "--keep", "give --keep mine|theirs or --value V");
    if ((ret = hh_validate_text("--note", q->note, HH_NOTE_MAX, 1, d)) != HH_OK ||
        (ret = hh_cstore_begin(s)) != HH_OK)
        return ret;
    ret = hh_cstore_conflict_get(s, q->id, &k);
    if (ret == HH_ENOTFOUND)
        ret = hh_diag_fail(d, HH_ENOTFOUND, "conflict", "no conflict %lld", (long long)q->id);
    else if (ret == HH_OK && k.resolved_ms)
        ret = hh_diag_fail(d, HH_ECONFLICT, "conflict", "conflict %lld is resolved already", (long long)q->id);
    if (ret != HH_OK)
        goto fail;
    if (q->value) {
        decision = "value", value = q->value;
    } else if (strcmp(q->keep, "mine") == 0 || strcmp(q->keep, "kept") == 0) {
        decision = "mine", value = k.kept_value;
    } else if (strcmp(q->keep, "theirs") == 0 || strcmp(q->keep, "other") == 0) {
        decision = "theirs", value = k.other_value;
    } else {
        ret = hh_diag_fail(d, HH_EUSAGE, "--keep", "mine (the value shown) or theirs (the other)");
        goto fail;
    }
    /* The audit says which field and how it was decided, never the value. */
    snprintf(detail, sizeof detail, "conflict %lld resolved: %s of %s, %s", (long long)q->id, k.field,
             k.entity_id, decision);
    if ((ret = decide(s, q, &k, value, d, now_ms)) == HH_OK &&
        (ret = hh_rstore_conflict_close(s, q->id, q->account, decision, q->note, now_ms)) == HH_OK &&
        (ret = hh_rstore_audit(s, "conflict", q->account, detail)) == HH_OK)
        return hh_cstore_commit(s);
fail:
    hh_cstore_rollback(s);
    return ret;
}

/* ---- the quarantine --------------------------------------------------------------- */

/* May account act on a refusal of dev's about household_id ("" if unknown:
 * then every village of the device must be in its scope)? */
static hh_err quarantine_scope(hh_cstore *s, const char *account, const hh_device *dev,
                               const char *household_id, hh_diag *d)
{
    char village[HH_VILLAGE_CODE_LEN + 1];
    hh_household *h;
    hh_account a;
    hh_err ret;

    if (household_id[0] && (h = malloc(sizeof *h))) {
        ret = hh_review_account(s, account, household_id, &a, h, d);
        free(h);
        if (ret != HH_ENOTFOUND)
            return ret;
    }
    if ((ret = hh_review_active_account(s, account, &a, d)) != HH_OK)
        return ret;
    if (!hh_scope_covers(a.scope, dev->villages, village))
        return hh_diag_fail(d, HH_EPERM, "--as", "village %s of the device is outside the villages of '%s'",
                            village, a.name);
    return HH_OK;
}

/* Apply a refused change now, as merge would have. */
static hh_err accept_change(hh_cstore *s, const hh_device *dev, const hh_refused *r, uint64_t now_ms,
                            hh_diag *d)
{
    Hearth__V1__Change *pb = r->body_len ? hearth__v1__change__unpack(NULL, r->body_len, r->body) : NULL;
    hh_change_in *c = malloc(sizeof *c);
    hh_hlc clock = { 0 };
    hh_merge_result m;
    hh_err ret;

    if (!pb || !c) {
        ret = c ? hh_diag_fail(d, HH_ECONFLICT, "change", "its content was not kept (refused before this "
                               "collector kept refused changes): discard it")
                : HH_ENOMEM;
    } else if (hh_codec_change_from_pb(pb, hh_platform_current_year(), c, d) != HH_OK) {
        ret = hh_diag_fail(d, HH_ECONFLICT, "change", "still invalid: %.100s", d->message);
    } else if ((ret = hh_merge_apply(s, dev, c, &clock, now_ms, &m)) == HH_OK && m.reject_reason) {
        ret = hh_diag_fail(d, HH_ECONFLICT, "change", "still refused: %.120s", m.detail);
    } else if (ret == HH_OK && m.household_id[0]) {
        if (m.record_changed)
            ret = hh_cstore_household_touch(s, m.household_id);
        if (ret == HH_OK)
            ret = hh_cstore_tier_recompute(s, m.household_id);
    }
    if (pb)
        hearth__v1__change__free_unpacked(pb, NULL);
    free(c);
    return ret;
}

hh_err hh_quarantine_decide(hh_cstore *s, const hh_quarantine_request *q, uint64_t now_ms, hh_diag *d)
{
    hh_refused *r = malloc(sizeof *r);
    hh_device dev;
    char detail[160];
    hh_err ret;

    if (!r)
        return HH_ENOMEM;
    if (!q->note || !q->note[0])
        ret = hh_diag_fail(d, HH_EINVAL, "--note", "say why: the device's officer reads it");
    else if ((ret = hh_validate_text("--note", q->note, HH_NOTE_MAX, 1, d)) == HH_OK)
        ret = hh_cstore_begin(s);
    if (ret != HH_OK) {
        free(r);
        return ret;
    }
    ret = hh_rstore_refused_get(s, q->device_id, q->seq, q->accept, r);
    if (ret == HH_ECORRUPT && q->accept)
        ret = hh_diag_fail(d, HH_ECONFLICT, "change", "it is larger than a change can be: discard it");
    if (ret == HH_ENOTFOUND)
        ret = hh_diag_fail(d, HH_ENOTFOUND, "change", "device %.36s has no refused change %llu", q->device_id,
                           (unsigned long long)q->seq);
    else if (ret == HH_OK && r->outcome[0])
        ret = hh_diag_fail(d, HH_ECONFLICT, "change", "it was %s already", r->outcome);
    if (ret == HH_OK && (ret = hh_cstore_device_get(s, q->device_id, &dev)) == HH_OK &&
        (ret = quarantine_scope(s, q->account, &dev, r->household_id, d)) == HH_OK &&
        (!q->accept || (ret = accept_change(s, &dev, r, now_ms, d)) == HH_OK)) {
        snprintf(detail, sizeof detail, "refused change %llu of device %s %s", (unsigned long long)q->seq,
                 q->device_id, q->accept ? "accepted" : "discarded");
        if ((ret = hh_rstore_refused_close(s, q->device_id, q->seq, q->accept ? "accepted" : "discarded",
                                           q->account, q->note, now_ms)) == HH_OK &&
            (ret = hh_rstore_audit(s, "quarantine", q->account, detail)) == HH_OK) {
            free(r);
            return hh_cstore_commit(s);
        }
    }
    hh_cstore_rollback(s);
    free(r);
    return ret;
}
