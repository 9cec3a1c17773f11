/* collector/merge.c — applying one device change to the collector's records.
 *
 * DESIGN 5. Households and members merge field by field. Every changed field
 * carries the version (HLC) of it the device had seen (its base):
 *   - the collector's version is that base: the device saw the current value,
 *     its write wins;
 *   - otherwise two devices changed the field without seeing each other: the
 *     higher (hlc, device id) wins, and both values go to the conflicts table
 *     for a reviewer. A create of a record the collector already holds is not
 *     such an edit: the newer write wins, without a conflict.
 * Visits are immutable: stored once, by id. A device may only write households
 * of its villages.
 *
 * Wrong clocks: a stamp more than HH_HLC_AHEAD_MAX_MS ahead of the collector's
 * clock is not refused (the officer's work would be lost) but never trusted:
 * what it writes is versioned with the collector's own stamp, and in a
 * concurrent edit it loses to the other side whatever the stamps say. The
 * device's stamp is kept with the field's owner, so the same device's next
 * edit, whose base is that stamp, still counts as having seen the value. */
#include "merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/hlc.h"
#include "model/validate.h"
#include "platform/platform.h"
#include "proto/hearth.pb-c.h"

static hh_err reject(hh_merge_result *r, int reason, const char *fmt, const char *arg)
{
    r->reject_reason = reason;
    snprintf(r->detail, sizeof r->detail, fmt, arg);
    return HH_OK;
}

/* Who last wrote a field, and the stamp that device gave the write (its
 * version, unless the collector replaced a stamp that was ahead). */
static hh_err field_owner(hh_cstore *s, const char *entity_id, const char *field,
                          char device[HH_UUID_LEN + 1], uint64_t *sent_hlc)
{
    static const char sql[] =
        "SELECT device_id, sent_hlc FROM field_owners WHERE entity_id = ?1 AND field = ?2";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);
    hh_err ret = HH_OK;

    if (!st)
        return HH_EDB;
    device[0] = '\0';
    *sent_hlc = 0;
    hh_sql_bind_text(st, 1, entity_id);
    hh_sql_bind_text(st, 2, field);
    if (sqlite3_step(st) == SQLITE_ROW) {
        ret = hh_sql_col_text(st, 0, device, HH_UUID_LEN + 1);
        *sent_hlc = (uint64_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return ret;
}

static hh_err field_owner_set(hh_cstore *s, const hh_change_in *c, const char *field)
{
    static const char sql[] =
        "INSERT INTO field_owners (entity_id, field, device_id, sent_hlc) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT (entity_id, field) DO UPDATE SET device_id = excluded.device_id,"
        " sent_hlc = excluded.sent_hlc";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, c->entity_id);
    hh_sql_bind_text(st, 2, field);
    hh_sql_bind_text(st, 3, c->device_id);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)c->sent_hlc);
    return hh_sql_done(st);
}

static const char *view_text(const hh_field_view *v, int n, const char *field)
{
    for (int i = 0; i < n; i++)
        if (strcmp(v[i].name, field) == 0)
            return v[i].text;
    return NULL;
}

/* Decide, field by field, which of the change's fields win over the stored
 * ones. take(field) is called for each winning field; conflicts are recorded.
 * stored/incoming are the two records' views. */
typedef int (*take_fn)(void *dst, const void *src, const char *field);

static hh_err merge_fields(hh_cstore *s, const hh_change_in *c, const hh_field_view *stored,
                           const hh_field_view *incoming, int n, void *dst, const void *src,
                           take_fn take, int *changed)
{
    hh_sqlcache *sql = hh_cstore_sql(s);
    hh_err ret;

    for (size_t i = 0; i < c->changed_count; i++) {
        const char *field = c->changed[i].field;
        const char *old_text = view_text(stored, n, field);
        const char *new_text = view_text(incoming, n, field);
        char owner[HH_UUID_LEN + 1];
        uint64_t version, owner_sent;
        int wins, seen;

        if (!old_text || !new_text)
            continue;   /* a field this collector does not know: ignored */
        if ((ret = hh_records_field_version(sql, c->entity_id, field, &version)) != HH_OK ||
            (ret = field_owner(s, c->entity_id, field, owner, &owner_sent)) != HH_OK)
            return ret;
        /* The device saw the current value: its base is the version, or the
         * stamp it gave that value itself when the collector replaced it. */
        seen = c->changed[i].base_hlc == version ||
               (owner_sent && c->changed[i].base_hlc == owner_sent && strcmp(owner, c->device_id) == 0);
        if (version == 0 || seen) {
            wins = c->hlc > version || version == 0;
        } else if (c->op == HH_OP_CREATE) {
            /* A device creating a record the collector already holds (handed
             * over without its versions) changed nothing: newer wins, no conflict. */
            wins = !c->clock_ahead && c->hlc > version;
        } else {
            /* Concurrent: the higher stamp wins, then the higher device id; a
             * stamp that was ahead of the collector's clock never wins over an
             * honest one, on either side. */
            hh_conflict k;
            int stored_ahead = owner_sent && owner_sent != version;
            wins = !c->clock_ahead &&
                   (stored_ahead || c->hlc > version ||
                    (c->hlc == version && strcmp(c->device_id, owner) > 0));
            if (strcmp(old_text, new_text) != 0) {
                memset(&k, 0, sizeof k);
                snprintf(k.entity_id, sizeof k.entity_id, "%s", c->entity_id);
                snprintf(k.field, sizeof k.field, "%s", field);
                snprintf(k.kept_value, sizeof k.kept_value, "%s", wins ? new_text : old_text);
                snprintf(k.other_value, sizeof k.other_value, "%s", wins ? old_text : new_text);
                snprintf(k.kept_device, sizeof k.kept_device, "%s", wins ? c->device_id : owner);
                snprintf(k.other_device, sizeof k.other_device, "%s", wins ? owner : c->device_id);
                k.kept_hlc = wins ? c->hlc : version;
                k.other_hlc = wins ? version : c->hlc;
                if ((ret = hh_cstore_conflict_add(s, &k)) != HH_OK)
                    return ret;
            }
        }
        if (!wins)
            continue;
        take(dst, src, field);
        if ((ret = hh_records_field_version_set(sql, c->entity_id, field, c->hlc)) != HH_OK ||
            (ret = field_owner_set(s, c, field)) != HH_OK)
            return ret;
        *changed = 1;
    }
    return HH_OK;
}

static int take_household(void *dst, const void *src, const char *field)
{
    return hh_records_household_take(dst, src, field);
}

static int take_member(void *dst, const void *src, const char *field)
{
    return hh_records_member_take(dst, src, field);
}

/* 数据比对: another household with the same registry number is kept, and
 * both are listed for a reviewer (the lower id first, so a pair is one case). */
static hh_err registry_compare(hh_cstore *s, const char *household_id, const char *registry_no)
{
    static const char sql[] =
        "SELECT id FROM households WHERE registry_no = ?1 AND id <> ?2 ORDER BY id LIMIT 1";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);
    char other[HH_UUID_LEN + 1] = "";
    hh_err ret = HH_OK;

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, registry_no);
    hh_sql_bind_text(st, 2, household_id);
    if (sqlite3_step(st) == SQLITE_ROW)
        ret = hh_sql_col_text(st, 0, other, sizeof other);
    sqlite3_reset(st);
    if (ret != HH_OK || !other[0])
        return ret;
    return strcmp(household_id, other) < 0
               ? hh_cstore_duplicate_add(s, "registry_no", household_id, "", other, "",
                                         "one registry number on two households")
               : hh_cstore_duplicate_add(s, "registry_no", other, "", household_id, "",
                                         "one registry number on two households");
}

/* 数据比对 for a member as stored: the same ID number on another member, and
 * a sex or birth year the ID number contradicts, are kept and listed for a
 * reviewer. */
static hh_err member_compare(hh_cstore *s, const char *household_id, const hh_member *m)
{
    char other_member[HH_UUID_LEN + 1], other_household[HH_UUID_LEN + 1];
    int sex = hh_id_number_sex(m->id_number);
    hh_err ret;

    int id_year = 0;

    if (sex && sex != (int)m->sex &&
        (ret = hh_cstore_duplicate_add(s, "id_mismatch", household_id, m->id, household_id, m->id,
                                       "the sex contradicts the ID number")) != HH_OK)
        return ret;
    if (hh_validate_id_number(m->id_number, &id_year, NULL) == HH_OK && id_year && id_year != m->birth_year &&
        (ret = hh_cstore_duplicate_add(s, "id_mismatch", household_id, m->id, household_id, m->id,
                                       "the birth year contradicts the ID number")) != HH_OK)
        return ret;
    if ((ret = hh_records_id_number_owner(hh_cstore_sql(s), m->id_number, m->id, other_member,
                                          other_household)) != HH_OK || !other_member[0])
        return ret;
    return strcmp(m->id, other_member) < 0
               ? hh_cstore_duplicate_add(s, "id_number", household_id, m->id, other_household,
                                         other_member, "one ID number on two members")
               : hh_cstore_duplicate_add(s, "id_number", other_household, other_member,
                                         household_id, m->id, "one ID number on two members");
}

static hh_err apply_household(hh_cstore *s, const hh_device *dev, const hh_change_in *c,
                              hh_household *stored, hh_merge_result *r)
{
    hh_sqlcache *sql = hh_cstore_sql(s);
    hh_field_view old_view[HH_HOUSEHOLD_FIELDS], new_view[HH_HOUSEHOLD_FIELDS];
    hh_household merged;
    int is_new, changed = 0;
    hh_err ret;

    if (!hh_villages_contain(dev->villages, c->household.village_code))
        return reject(r, HEARTH__V1__REJECT_REASON__REJECT_OUT_OF_SCOPE,
                      "village %s is not one of this device's villages", c->household.village_code);
    ret = hh_records_household_get(sql, c->entity_id, 1, stored);
    if (ret != HH_OK && ret != HH_ENOTFOUND)
        return ret;
    is_new = ret == HH_ENOTFOUND;
    if (!is_new && !hh_villages_contain(dev->villages, stored->village_code))
        return reject(r, HEARTH__V1__REJECT_REASON__REJECT_OUT_OF_SCOPE,
                      "household belongs to village %s, not one of this device's", stored->village_code);
    if (is_new) {
        memset(stored, 0, sizeof *stored);
        memcpy(stored->id, c->entity_id, sizeof stored->id);
    }
    merged = *stored;
    hh_records_household_view(stored, old_view);
    hh_records_household_view(&c->household, new_view);
    if (is_new) {
        /* Every field is new: take them all, versions at the change's stamp. */
        merged = c->household;
        for (int i = 0; i < HH_HOUSEHOLD_FIELDS; i++)
            if ((ret = hh_records_field_version_set(sql, c->entity_id, new_view[i].name, c->hlc)) != HH_OK ||
                (ret = field_owner_set(s, c, new_view[i].name)) != HH_OK)
                return ret;
        changed = 1;
    } else if ((ret = merge_fields(s, c, old_view, new_view, HH_HOUSEHOLD_FIELDS, &merged,
                                   &c->household, take_household, &changed)) != HH_OK) {
        return ret;
    }
    if (changed && (ret = hh_records_household_write(sql, &merged, is_new, c->hlc)) != HH_OK)
        return ret;
    if (changed && merged.registry_no[0] &&
        (ret = registry_compare(s, merged.id, merged.registry_no)) != HH_OK)
        return ret;
    memcpy(r->household_id, c->entity_id, sizeof r->household_id);
    r->touched = r->record_changed = changed;
    return HH_OK;
}

/* The household a member or visit change refers to, checked for scope. */
/* Is a household in village_code (found: it exists) one device dev may write? */
static int in_scope(const hh_device *dev, const char *household_id, int found,
                    const char *village_code, hh_merge_result *r)
{
    if (!found) {
        reject(r, HEARTH__V1__REJECT_REASON__REJECT_UNKNOWN_ENTITY,
               "household %s is unknown to the collector", household_id);
        return 0;
    }
    if (!hh_villages_contain(dev->villages, village_code)) {
        reject(r, HEARTH__V1__REJECT_REASON__REJECT_OUT_OF_SCOPE,
               "household belongs to village %s, not one of this device's", village_code);
        return 0;
    }
    memcpy(r->household_id, household_id, sizeof r->household_id);
    return 1;
}

static hh_err scoped_household(hh_cstore *s, const hh_device *dev, const char *household_id,
                               hh_household *h, hh_merge_result *r, int *ok)
{
    hh_err ret = hh_records_household_get(hh_cstore_sql(s), household_id, 1, h);

    *ok = 0;
    if (ret != HH_OK && ret != HH_ENOTFOUND)
        return ret;
    *ok = in_scope(dev, household_id, ret == HH_OK, h->village_code, r);
    return HH_OK;
}

static hh_err apply_member(hh_cstore *s, const hh_device *dev, const hh_change_in *c,
                           hh_household *h, hh_merge_result *r)
{
    hh_sqlcache *sql = hh_cstore_sql(s);
    hh_field_view old_view[HH_MEMBER_FIELDS], new_view[HH_MEMBER_FIELDS];
    char stored_household[HH_UUID_LEN + 1];
    hh_member stored, merged;
    int ok, is_new, position, changed = 0;
    hh_err ret;

    if ((ret = scoped_household(s, dev, c->member_household_id, h, r, &ok)) != HH_OK || !ok)
        return ret;
    ret = hh_records_member_get(sql, c->entity_id, &stored, stored_household);
    if (ret != HH_OK && ret != HH_ENOTFOUND)
        return ret;
    is_new = ret == HH_ENOTFOUND;
    if (!is_new && strcmp(stored_household, c->member_household_id) != 0)
        return reject(r, HEARTH__V1__REJECT_REASON__REJECT_INVALID,
                      "member %s belongs to another household", c->entity_id);
    if (c->op == HH_OP_DELETE) {
        if (!is_new && (ret = hh_records_member_delete(sql, c->entity_id)) != HH_OK)
            return ret;
        r->touched = r->record_changed = !is_new;
        return HH_OK;
    }
    position = h->member_count;
    for (int i = 0; i < h->member_count; i++)
        if (strcmp(h->members[i].id, c->entity_id) == 0)
            position = i;
    if (is_new && h->member_count >= HH_MEMBERS_MAX)
        return reject(r, HEARTH__V1__REJECT_REASON__REJECT_INVALID,
                      "a household has at most %s members", "30");
    if (is_new) {
        merged = c->member;
        hh_records_member_view(&merged, new_view);
        for (int i = 0; i < HH_MEMBER_FIELDS; i++)
            if ((ret = hh_records_field_version_set(sql, c->entity_id, new_view[i].name, c->hlc)) != HH_OK ||
                (ret = field_owner_set(s, c, new_view[i].name)) != HH_OK)
                return ret;
        changed = 1;
    } else {
        merged = stored;
        hh_records_member_view(&stored, old_view);
        hh_records_member_view(&c->member, new_view);
        if ((ret = merge_fields(s, c, old_view, new_view, HH_MEMBER_FIELDS, &merged, &c->member,
                                take_member, &changed)) != HH_OK)
            return ret;
    }
    if (changed && (ret = hh_records_member_write(sql, c->member_household_id, position, &merged,
                                                  c->hlc)) != HH_OK)
        return ret;
    if (changed && (ret = member_compare(s, c->member_household_id, &merged)) != HH_OK)
        return ret;
    r->touched = r->record_changed = changed;
    return HH_OK;
}

static hh_err apply_visit(hh_cstore *s, const hh_device *dev, const hh_change_in *c,
                          hh_household *h, hh_merge_result *r)
{
    hh_sqlcache *sql = hh_cstore_sql(s);
    hh_visit existing;
    int inserted;
    hh_err ret;

    if (c->op != HH_OP_CREATE)
        return reject(r, HEARTH__V1__REJECT_REASON__REJECT_INVALID,
                      "visits are immutable: %s", "record a correction instead");
    /* A visit needs no more of its household than where it is and its size. */
    ret = hh_cstore_household_scope(s, c->visit.household_id, h->village_code, &h->member_count);
    if (ret != HH_OK && ret != HH_ENOTFOUND)
        return ret;
    if (!in_scope(dev, c->visit.household_id, ret == HH_OK, h->village_code, r))
        return HH_OK;
    {
        /* Judged by the collector's calendar: a device's clock may be wrong. */
        hh_diag d;
        hh_diag_clear(&d);
        if ((ret = hh_records_visit_date_ok(c->visit.visited_on, &d)) == HH_EIO)
            return ret;
        if (ret != HH_OK)
            return reject(r, HEARTH__V1__REJECT_REASON__REJECT_INVALID, "%.150s", d.message);
    }
    if (c->visit.supersedes[0]) {
        ret = hh_records_visit_get(sql, c->visit.supersedes, &existing);
        if (ret == HH_ENOTFOUND || (ret == HH_OK && strcmp(existing.household_id, c->visit.household_id) != 0))
            return reject(r, HEARTH__V1__REJECT_REASON__REJECT_UNKNOWN_ENTITY,
                          "the visit it corrects (%s) is unknown", c->visit.supersedes);
        if (ret != HH_OK)
            return ret;
    }
    if (c->visit.household_size == 0 && h->member_count == 0)
        return reject(r, HEARTH__V1__REJECT_REASON__REJECT_INVALID,
                      "household_size is required while the household has no members%s", "");
    /* Stored once, by id: a visit already held is the same visit again (a
     * device that never saw the answer) or a refusal. */
    if ((ret = hh_records_visit_insert_new(sql, &c->visit, &inserted)) != HH_OK)
        return ret;
    if (inserted) {
        r->touched = 1;
        return HH_OK;
    }
    if ((ret = hh_records_visit_get(sql, c->entity_id, &existing)) != HH_OK)
        return ret;
    return hh_records_visit_same(&existing, &c->visit)
               ? HH_OK
               : reject(r, HEARTH__V1__REJECT_REASON__REJECT_INVALID,
                        "visit %s is already stored with other content", c->entity_id);
}

hh_err hh_merge_apply(hh_cstore *s, const hh_device *dev, hh_change_in *c, hh_hlc *clock,
                      uint64_t now_ms, hh_merge_result *r)
{
    hh_household *h = malloc(sizeof *h);
    hh_err ret = HH_OK;

    memset(r, 0, sizeof *r);
    if (!h)
        return HH_ENOMEM;
    c->sent_hlc = c->hlc;
    c->clock_ahead = HH_HLC_MS(c->hlc) > now_ms + HH_HLC_AHEAD_MAX_MS;
    if (c->clock_ahead)
        ret = hh_hlc_tick(clock, now_ms, &c->hlc);
    else
        ret = hh_hlc_observe(clock, c->hlc, now_ms, HH_HLC_AHEAD_MAX_MS);
    if (ret != HH_OK) {
        ret = reject(r, HEARTH__V1__REJECT_REASON__REJECT_CLOCK_AHEAD,
                     "stamped %s: the collector's clock cannot order it", "beyond any usable time");
    } else if (strcmp(c->device_id, dev->id) != 0) {
        ret = reject(r, HEARTH__V1__REJECT_REASON__REJECT_INVALID,
                     "the change names device %s, not the one that sent it", c->device_id);
    } else {
        switch (c->entity) {
        case HH_ENTITY_HOUSEHOLD: ret = apply_household(s, dev, c, h, r); break;
        case HH_ENTITY_MEMBER:    ret = apply_member(s, dev, c, h, r); break;
        case HH_ENTITY_VISIT:     ret = apply_visit(s, dev, c, h, r); break;
        default:                  ret = HH_EINVAL;
        }
    }
    free(h);
    return ret;
}
