/* collector/dupes.c — resolving duplicate cases (see dupes.h). */
#include "dupes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/validate.h"
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
    hh_err ret = hh_rstore_account_get(s, q->account, &a);

    if (ret == HH_ENOTFOUND || (ret == HH_OK && a.disabled_ms))
        return hh_diag_fail(d, HH_EPERM, "--as", "no active account '%.32s'", q->account);
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
        if ((ret = hh_records_member_get(hh_cstore_sql(s), q->member, &m, household)) != HH_OK)
            return ret;
        if (strcmp(household, into) == 0)
            return hh_diag_fail(d, HH_EINVAL, "--move", "the member is in that household already");
        if ((ret = hh_records_id_number_owner(hh_cstore_sql(s), m.id_number, m.id, other_member,
                                              other_household)) != HH_OK)
            return ret;
        if (other_member[0] && strcmp(other_household, into) == 0)
            return hh_diag_fail(d, HH_EINVAL, "--move", "the person is in that household already: "
                                "merge the households, or keep both");
        ret = hh_rstore_member_move(s, q->member, into);
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
