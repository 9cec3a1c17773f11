/* collector/service.c — the sync service (see service.h).
 *
 * A push: every change of the batch is checked against what was applied
 * before under the same (device, seq) — the same content is answered as
 * before, other content refuses the whole push — then decoded, validated and
 * merged; refusals are recorded with their reason. The households a group
 * touched get their tiers recomputed once, however many changes they had.
 *
 * Group commit is leader/follower: a push joins the queue; if nobody is
 * writing, its thread becomes the writer, takes the queue (up to
 * HH_SERVICE_GROUP_CHANGES_MAX changes), writes it in one transaction, marks
 * every push in it done and wakes their threads. */
#include "service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/sha256.h>

#include "merge.h"
#include "rstore.h"
#include "model/validate.h"
#include "platform/platform.h"
#include "sync/codec.h"

/* A household a change of the group touched. Sorted by recompute_touched,
 * a household's entries are side by side, and its first says which visits
 * its tier was computed from: the pulls made in the same transaction take
 * them from there, and know which of them a device has just sent. */
typedef struct touched {
    char id[HH_UUID_LEN + 1];
    char record_changed;               /* its own or its members' fields changed:
                                          devices pull it again */
    char entity_id[HH_UUID_LEN + 1];   /* what the change was to; "" unknown */
    const char *device_id;             /* who sent it (its push outlives the group) */
    hh_latest_ids latest;              /* in a household's first entry */
} touched;

#define TOUCHED_MAX (HH_SERVICE_GROUP_CHANGES_MAX + HH_SYNC_CHANGES_MAX)

/* One household's entries in the touched list: [from, to). */
typedef struct touched_range {
    const touched *from, *to;
} touched_range;

struct hh_service {
    hh_cstore *w;
    pthread_mutex_t queue_lock;
    pthread_cond_t queue_done;
    hh_push *head, *tail;
    size_t queued;                     /* pushes in the queue, not yet taken */
    int writing;
    pthread_mutex_t write_lock;        /* the write connection */
    pthread_mutex_t clock_lock;
    hh_hlc clock;
    /* the writer's scratch */
    hh_change_in change;
    touched touched[TOUCHED_MAX];
    size_t n_touched;
};

hh_err hh_service_new(hh_cstore *writer, hh_service **out)
{
    hh_service *svc = calloc(1, sizeof *svc);

    *out = NULL;
    if (!svc)
        return HH_ENOMEM;
    svc->w = writer;
    pthread_mutex_init(&svc->queue_lock, NULL);
    pthread_cond_init(&svc->queue_done, NULL);
    pthread_mutex_init(&svc->write_lock, NULL);
    pthread_mutex_init(&svc->clock_lock, NULL);
    *out = svc;
    return HH_OK;
}

void hh_service_free(hh_service *svc)
{
    if (!svc)
        return;
    pthread_mutex_destroy(&svc->queue_lock);
    pthread_cond_destroy(&svc->queue_done);
    pthread_mutex_destroy(&svc->write_lock);
    pthread_mutex_destroy(&svc->clock_lock);
    free(svc);
}

static struct timespec deadline_in(unsigned wait_ms)
{
    uint64_t until = hh_platform_wall_ms() + wait_ms;
    return (struct timespec){ (time_t)(until / 1000), (long)(until % 1000) * 1000000L };
}

hh_cstore *hh_service_lock(hh_service *svc, unsigned wait_ms)
{
    struct timespec until = deadline_in(wait_ms);

    return pthread_mutex_timedlock(&svc->write_lock, &until) == 0 ? svc->w : NULL;
}

void hh_service_unlock(hh_service *svc)
{
    pthread_mutex_unlock(&svc->write_lock);
}

hh_err hh_service_tick(hh_service *svc, uint64_t *out)
{
    hh_err ret;

    pthread_mutex_lock(&svc->clock_lock);
    ret = hh_hlc_tick(&svc->clock, hh_platform_wall_ms(), out);
    pthread_mutex_unlock(&svc->clock_lock);
    return ret;
}

/* ---- one push ------------------------------------------------------------------------ */

static hh_err record_change(hh_service *svc, hh_push *p, const Hearth__V1__Change *pb,
                            uint64_t applied_high, const uint8_t *packed, size_t size,
                            const uint8_t digest[32]);

/* One change of push p: HH_ECONFLICT for a changed replay (the whole push is
 * then refused), another error if the database failed. */
static hh_err apply_change(hh_service *svc, hh_push *p, const Hearth__V1__Change *pb,
                           uint64_t applied_high)
{
    uint8_t digest[32], packed_stack[4096], *packed = packed_stack;
    size_t size = hearth__v1__change__get_packed_size(pb);
    hh_err ret;

    if (size > sizeof packed_stack && !(packed = malloc(size)))
        return HH_ENOMEM;
    hearth__v1__change__pack(pb, packed);
    mbedtls_sha256(packed, size, digest, 0);
    ret = record_change(svc, p, pb, applied_high, packed, size, digest);
    if (packed != packed_stack)
        free(packed);
    return ret;
}

/* The fields a change sets, comma-separated, cut to cap at a field. A name
 * is the device's text: only one that can be a field name (a-z and '_') is
 * kept, so the listing never carries quotes or terminal controls. */
static void changed_fields(const hh_change_in *c, char *out, size_t cap)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0; i < c->changed_count; i++) {
        size_t len = strlen(c->changed[i].field);
        if (strspn(c->changed[i].field, "abcdefghijklmnopqrstuvwxyz_") != len)
            continue;
        if (used + len + 2 > cap)
            break;
        used += (size_t)snprintf(out + used, cap - used, "%s%s", used ? "," : "", c->changed[i].field);
    }
}

/* The household a change is about, when its id is one. */
static const char *change_household(const hh_change_in *c, const hh_merge_result *r)
{
    const char *id = r->household_id[0] ? r->household_id
                     : c->entity == HH_ENTITY_VISIT  ? c->visit.household_id
                     : c->entity == HH_ENTITY_MEMBER ? c->member_household_id
                     : c->entity_id;

    return hh_validate_uuid(id, NULL) == HH_OK ? id : "";
}

static hh_err record_change(hh_service *svc, hh_push *p, const Hearth__V1__Change *pb,
                            uint64_t applied_high, const uint8_t *packed, size_t size,
                            const uint8_t digest[32])
{
    hh_change_in *c = &svc->change;
    hh_applied before;
    hh_merge_result r;
    hh_diag d;
    hh_err ret;
    const char *entity = "unknown", *entity_id = "";
    char *detail = p->details[p->n_rejections], fields[64] = "";
    int decoded = 0;

    /* A seq above every one applied is new: no need to look it up. */
    memset(&before, 0, sizeof before);
    if (pb->seq <= applied_high &&
        (ret = hh_cstore_applied_get(svc->w, p->dev->id, pb->seq, &before)) != HH_OK)
        return ret;
    memset(&r, 0, sizeof r);
    if (before.found) {
        if (memcmp(before.digest, digest, sizeof before.digest) != 0)
            return HH_ECONFLICT;
        r.reject_reason = before.reject_reason;
        memcpy(r.detail, before.detail, sizeof r.detail);
    } else {
        hh_diag_clear(&d);
        if (hh_codec_change_from_pb(pb, hh_platform_current_year(), c, &d) != HH_OK) {
            r.reject_reason = HEARTH__V1__REJECT_REASON__REJECT_INVALID;
            /* Cut to the detail's bound: a hint for the officer, not a record. */
            if (snprintf(r.detail, sizeof r.detail, "%s: %s", d.field, d.message) < 0)
                r.detail[0] = '\0';
            snprintf(fields, sizeof fields, "%.63s", d.field);
        } else {
            decoded = 1;
            pthread_mutex_lock(&svc->clock_lock);
            ret = hh_merge_apply(svc->w, p->dev, c, &svc->clock, hh_platform_wall_ms(), &r);
            pthread_mutex_unlock(&svc->clock_lock);
            if (ret != HH_OK)
                return ret;
        }
        if (c->entity >= HH_ENTITY_HOUSEHOLD && c->entity <= HH_ENTITY_VISIT)
            entity = hh_entity_name(c->entity);
        /* Only an id that is one is recorded: what is stored must read back. */
        if (pb->entity_id && hh_validate_uuid(pb->entity_id, NULL) == HH_OK)
            entity_id = pb->entity_id;
        {
            /* A refusal may quote what the device sent: never raw bytes back. */
            char safe[sizeof r.detail];
            hh_text_printable(r.detail, safe, sizeof safe);
            memcpy(r.detail, safe, sizeof safe);
        }
        if (r.reject_reason && decoded && !fields[0])
            changed_fields(c, fields, sizeof fields);
        {
            hh_refusal refused = { r.reject_reason, r.detail, packed, size,
                                   decoded ? change_household(c, &r) : "", fields };
            if ((ret = hh_cstore_applied_put(svc->w, p->dev->id, pb->seq, digest,
                                             r.reject_reason ? &refused : NULL, entity, entity_id,
                                             hh_platform_wall_ms())) != HH_OK)
                return ret;
        }
        if (r.reject_reason &&
            (ret = hh_cstore_audit(svc->w, "quarantine", p->dev->id, r.detail)) != HH_OK)
            return ret;
    }
    if (r.reject_reason) {
        Hearth__V1__Rejection *rej = &p->rejections[p->n_rejections++];
        hearth__v1__rejection__init(rej);
        rej->has_seq = rej->has_reason = 1;
        rej->seq = pb->seq;
        rej->reason = (Hearth__V1__RejectReason)r.reject_reason;
        snprintf(detail, HH_REJECT_DETAIL_MAX, "%s", r.detail);
        rej->detail = detail;
        return HH_OK;
    }
    if (r.touched && r.household_id[0]) {
        touched *t;
        if (svc->n_touched >= TOUCHED_MAX)
            return HH_ERANGE;
        t = &svc->touched[svc->n_touched];
        memcpy(t->id, r.household_id, HH_UUID_LEN + 1);
        t->record_changed = (char)r.record_changed;
        snprintf(t->entity_id, sizeof t->entity_id, "%s", entity_id ? entity_id : "");
        t->device_id = p->dev->id;
        t->latest.count = -1;
        svc->n_touched++;
    }
    return HH_OK;
}

/* Push p inside the group's transaction, in a savepoint of its own. */
static hh_err apply_push(hh_service *svc, hh_push *p)
{
    size_t touched_before = svc->n_touched;
    uint64_t applied_high = 0;
    hh_err ret;

    p->n_rejections = 0;
    p->acked_seq = p->dev->acked_seq;
    if ((ret = hh_cstore_savepoint(svc->w)) != HH_OK ||
        (p->n_changes && (ret = hh_cstore_applied_high(svc->w, p->dev->id, &applied_high)) != HH_OK))
        return ret;
    for (size_t i = 0; i < p->n_changes && ret == HH_OK; i++) {
        if ((ret = apply_change(svc, p, p->changes[i], applied_high)) == HH_OK)
            p->acked_seq = p->changes[i]->seq;
        else if (ret == HH_ECONFLICT)
            p->conflict_seq = p->changes[i]->seq;
    }
    if (ret == HH_OK)
        ret = hh_cstore_device_seen(svc->w, p->dev->id, p->acked_seq, hh_platform_wall_ms(), &p->health);
    if (ret == HH_ECONFLICT) {
        /* Nothing of this push stays; the refusal is recorded, and the device
         * (restored from a backup, say) starts a new epoch above seq_high. */
        svc->n_touched = touched_before;
        p->n_rejections = 0;
        if (hh_cstore_savepoint_end(svc->w, 0) != HH_OK ||
            hh_cstore_audit(svc->w, "seq_mismatch", p->dev->id,
                            "a seq was replayed with other content") != HH_OK ||
            hh_cstore_applied_high(svc->w, p->dev->id, &p->seq_high) != HH_OK)
            return HH_EDB;
        return HH_ECONFLICT;
    }
    if (ret != HH_OK)
        return ret;
    return hh_cstore_savepoint_end(svc->w, 1);
}

static int touched_order(const void *a, const void *b)
{
    const touched *x = a, *y = b;
    int by_id = strcmp(x->id, y->id);

    /* '+' sorts before '-': the first of each household says whether any of
     * its changes touched its records. */
    return by_id ? by_id : (x->record_changed < y->record_changed) - (x->record_changed > y->record_changed);
}

/* One tier recompute per touched household; a new change number for those
 * whose records changed. */
static hh_err recompute_touched(hh_service *svc)
{
    hh_err ret = HH_OK;

    qsort(svc->touched, svc->n_touched, sizeof *svc->touched, touched_order);
    for (size_t i = 0; i < svc->n_touched && ret == HH_OK; i++) {
        touched *t = &svc->touched[i];
        if (i > 0 && strcmp(t->id, svc->touched[i - 1].id) == 0)
            continue;
        if (t->record_changed && (ret = hh_cstore_household_touch(svc->w, t->id)) != HH_OK)
            break;
        ret = hh_cstore_tier_recompute_seen(svc->w, t->id, &t->latest);
    }
    return ret;
}

static int touched_by_id(const void *key, const void *elem)
{
    return strcmp(key, ((const touched *)elem)->id);
}

/* What the group's transaction knows of household_id: its entries in
 * svc->touched (after recompute_touched), none when svc is NULL. */
static touched_range touched_find(const hh_service *svc, const char *household_id)
{
    touched_range r = { NULL, NULL };
    const touched *end;

    if (!svc || !(r.from = bsearch(household_id, svc->touched, svc->n_touched, sizeof *svc->touched,
                                   touched_by_id)))
        return r;
    end = svc->touched + svc->n_touched;
    while (r.from > svc->touched && strcmp(r.from[-1].id, household_id) == 0)
        r.from--;
    for (r.to = r.from; r.to < end && strcmp(r.to->id, household_id) == 0; r.to++)
        ;
    return r;
}

static hh_err pull_read(hh_cstore *reader, const hh_service *written, const hh_device *dev,
                        const hh_pull_ask *ask, hh_pull *p);

/* Write the pushes of group in one transaction, with their pulls; set each
 * one's result. */
static void write_group(hh_service *svc, hh_push *group)
{
    hh_err ret = hh_cstore_begin(svc->w);
    size_t pushes = 0;

    for (hh_push *p = group; p; p = p->next)
        pushes++;
    for (hh_push *p = group; p; p = p->next)
        p->group = pushes;
    svc->n_touched = 0;
    for (hh_push *p = group; p && ret == HH_OK; p = p->next) {
        p->result = apply_push(svc, p);
        if (p->result != HH_OK && p->result != HH_ECONFLICT)
            ret = p->result;
    }
    if (ret == HH_OK)
        ret = recompute_touched(svc);
    /* A pull that fails here is made again on a read connection. */
    for (hh_push *p = group; p && ret == HH_OK; p = p->next)
        p->pulled = p->result == HH_OK && p->pull && p->n_changes &&
                    pull_read(svc->w, svc, p->dev, &p->ask, p->pull) == HH_OK;
    if (ret == HH_OK)
        ret = hh_cstore_commit(svc->w);
    else
        hh_cstore_rollback(svc->w);
    if (ret != HH_OK)
        for (hh_push *p = group; p; p = p->next)
            p->result = ret;
}

/* Take the head of the queue up to the group's bound (at least one push). */
static hh_push *take_group(hh_service *svc)
{
    hh_push *group = svc->head, *last = group;
    size_t changes = group->n_changes;

    group->taken = 1;
    while (last->next && changes + last->next->n_changes <= HH_SERVICE_GROUP_CHANGES_MAX) {
        last = last->next;
        last->taken = 1;
        changes += last->n_changes;
    }
    svc->head = last->next;
    if (!svc->head)
        svc->tail = NULL;
    last->next = NULL;
    for (hh_push *p = group; p; p = p->next)
        svc->queued--;
    return group;
}

static void unqueue(hh_service *svc, hh_push *p)
{
    hh_push **at = &svc->head, *prev = NULL;

    while (*at && *at != p) {
        prev = *at;
        at = &(*at)->next;
    }
    if (!*at)
        return;
    *at = p->next;
    if (svc->tail == p)
        svc->tail = prev;
    svc->queued--;
}

hh_err hh_service_push(hh_service *svc, hh_push *p, unsigned wait_ms)
{
    struct timespec until = deadline_in(wait_ms);

    p->next = NULL;
    p->taken = p->done = p->pulled = 0;
    p->result = HH_EBUSY;
    p->n_rejections = 0;
    pthread_mutex_lock(&svc->queue_lock);
    if (svc->tail)
        svc->tail->next = p;
    else
        svc->head = p;
    svc->tail = p;
    svc->queued++;
    while (!p->done) {
        if (!svc->writing && svc->head) {
            hh_push *group = take_group(svc), *next;
            svc->writing = 1;
            pthread_mutex_unlock(&svc->queue_lock);
            pthread_mutex_lock(&svc->write_lock);
            write_group(svc, group);
            pthread_mutex_unlock(&svc->write_lock);
            pthread_mutex_lock(&svc->queue_lock);
            svc->writing = 0;
            for (hh_push *g = group; g; g = next) {
                next = g->next;
                g->next = NULL;
                g->done = 1;
            }
            pthread_cond_broadcast(&svc->queue_done);
            continue;
        }
        if (pthread_cond_timedwait(&svc->queue_done, &svc->queue_lock, &until) != 0 && !p->taken) {
            /* Nobody took it in time: it leaves the queue unapplied. */
            unqueue(svc, p);
            p->result = HH_EBUSY;
            break;
        }
        if (p->taken && !p->done)
            until = deadline_in(1000);   /* it is being written: wait for the commit */
    }
    pthread_mutex_unlock(&svc->queue_lock);
    return p->result;
}

size_t hh_service_queued(hh_service *svc)
{
    size_t n;

    pthread_mutex_lock(&svc->queue_lock);
    n = svc->queued;
    pthread_mutex_unlock(&svc->queue_lock);
    return n;
}

/* ---- pulls --------------------------------------------------------------------------- */

typedef struct changed_household {
    char id[HH_UUID_LEN + 1];
    uint64_t change_no;
} changed_household;

struct hh_pull {
    /* tiers */
    uint64_t changes[HH_SYNC_PULL_MAX];            /* change number of each update */
    Hearth__V1__TierUpdate updates[HH_SYNC_PULL_MAX];
    Hearth__V1__TierUpdate *update_ptrs[HH_SYNC_PULL_MAX];
    const char *reasons[HH_SYNC_PULL_MAX][HH_REASON_COUNT];
    char ids[HH_SYNC_PULL_MAX][HH_UUID_LEN + 1];
    char dates[HH_SYNC_PULL_MAX][HH_DATE_LEN + 1];
    char rulebooks[HH_SYNC_PULL_MAX][HH_RULEBOOK_VERSION_MAX + 1];
    hh_open_measure measures[HH_SYNC_PULL_MAX][HH_OPEN_MEASURES_MAX];
    Hearth__V1__OpenMeasure measure_msgs[HH_SYNC_PULL_MAX][HH_OPEN_MEASURES_MAX];
    Hearth__V1__OpenMeasure *measure_ptrs[HH_SYNC_PULL_MAX][HH_OPEN_MEASURES_MAX];
    size_t n_tiers;
    /* households */
    changed_household changed[HH_SYNC_PULL_HOUSEHOLDS_MAX];
    size_t n_changed;
    hh_snapshot snapshot;
    hh_snapshot_pb *snapshot_pbs[HH_SYNC_PULL_HOUSEHOLDS_MAX];
    Hearth__V1__Household *household_ptrs[HH_SYNC_PULL_HOUSEHOLDS_MAX];
    /* history */
    hh_visit visit;                                /* one read for the history */
    hh_visit_pb *visit_pbs[HH_SYNC_PULL_VISITS_MAX];
    Hearth__V1__Visit *visit_ptrs[HH_SYNC_PULL_VISITS_MAX];
    size_t n_visits;
    /* the rest */
    uint64_t cursor;
    int more;
    Hearth__V1__Rulebook rulebook;
    int has_rulebook;
    char rule_version[HH_RULEBOOK_VERSION_MAX + 1];
    char rule_text[HH_RULEBOOK_TEXT_MAX + 1];
    /* reviewers' decisions on the device's refused changes */
    Hearth__V1__QuarantineResult results[HH_SYNC_QUARANTINE_ASK_MAX];
    Hearth__V1__QuarantineResult *result_ptrs[HH_SYNC_QUARANTINE_ASK_MAX];
    char result_notes[HH_SYNC_QUARANTINE_ASK_MAX][HH_NOTE_MAX + 1];
    size_t n_results;
    hh_refused refused;
};

hh_pull *hh_pull_new(void)
{
    return calloc(1, sizeof(hh_pull));
}

static void pull_clear(hh_pull *p)
{
    for (size_t i = 0; i < HH_SYNC_PULL_HOUSEHOLDS_MAX; i++) {
        hh_snapshot_pb_free(p->snapshot_pbs[i]);
        p->snapshot_pbs[i] = NULL;
    }
    for (size_t i = 0; i < p->n_visits; i++)
        hh_visit_pb_free(p->visit_pbs[i]);
    p->n_tiers = p->n_changed = p->n_results = p->n_visits = 0;
    p->has_rulebook = 0;
    p->more = 0;
}

void hh_pull_free(hh_pull *p)
{
    if (!p)
        return;
    pull_clear(p);
    free(p);
}

static Hearth__V1__ReviewState review_state(const char *review)
{
    return (Hearth__V1__ReviewState)hh_codec_review_to_pb(hh_enum_parse(&hh_review_state_names, review));
}

static int pull_tier(void *ctx, const hh_ctier *t)
{
    hh_pull *p = ctx;
    size_t i = p->n_tiers, n = 0;
    Hearth__V1__TierUpdate *u = &p->updates[i];

    hearth__v1__tier_update__init(u);
    memcpy(p->ids[i], t->v.household_id, sizeof p->ids[0]);
    memcpy(p->dates[i], t->v.last_visit_on, sizeof p->dates[0]);
    memcpy(p->rulebooks[i], t->v.rulebook, sizeof p->rulebooks[0]);
    u->household_id = p->ids[i];
    u->has_tier = u->has_source = u->has_review = 1;
    u->tier = (Hearth__V1__Tier)t->v.tier;
    u->source = HEARTH__V1__TIER_SOURCE__TIER_SOURCE_COLLECTOR;
    u->review = review_state(t->v.label);
    u->rulebook_version = p->rulebooks[i];
    u->has_per_capita_yuan = 1;
    u->per_capita_yuan = t->v.per_capita_yuan;
    u->last_visit_on = p->dates[i];
    for (int r = 0; r < HH_REASON_COUNT; r++)
        if (t->v.reasons & (1u << r))
            p->reasons[i][n++] = hh_reason_code(1u << r);
    u->n_reasons = n;
    u->reasons = (char **)p->reasons[i];
    for (int m = 0; m < t->n_measures; m++) {
        Hearth__V1__OpenMeasure *o = &p->measure_msgs[i][m];
        p->measures[i][m] = t->measures[m];
        hearth__v1__open_measure__init(o);
        o->has_id = 1;
        o->id = (uint64_t)t->measures[m].id;
        o->measure = p->measures[i][m].measure;
        o->responsible = p->measures[i][m].responsible;
        o->due_on = p->measures[i][m].due_on;
        p->measure_ptrs[i][m] = o;
    }
    u->n_measures = (size_t)t->n_measures;
    u->measures = p->measure_ptrs[i];
    p->update_ptrs[i] = u;
    p->changes[i] = t->change_no;
    p->n_tiers++;
    return 0;
}

static int pull_household(void *ctx, const char *id, uint64_t change_no)
{
    hh_pull *p = ctx;

    memcpy(p->changed[p->n_changed].id, id, HH_UUID_LEN + 1);
    p->changed[p->n_changed].change_no = change_no;
    p->n_changed++;
    return 0;
}

/* Two streams under one cursor: where either was cut at its limit, both stop
 * at that change number and the rest comes with the next request; where
 * neither was, the device has seen everything up to `high`. */
static void pull_bound(hh_pull *p, uint64_t since, uint64_t high)
{
    uint64_t bound = UINT64_MAX;

    if (p->n_tiers == HH_SYNC_PULL_MAX)
        bound = p->changes[p->n_tiers - 1];
    if (p->n_changed == HH_SYNC_PULL_HOUSEHOLDS_MAX && p->changed[p->n_changed - 1].change_no < bound)
        bound = p->changed[p->n_changed - 1].change_no;
    while (p->n_tiers > 0 && p->changes[p->n_tiers - 1] > bound)
        p->n_tiers--;
    while (p->n_changed > 0 && p->changed[p->n_changed - 1].change_no > bound)
        p->n_changed--;
    p->more = bound != UINT64_MAX;
    p->cursor = p->more ? bound : high > since ? high : since;
}

/* Whether the device sent the visit id in this transaction's group. */
static int sent_in_group(touched_range r, const char *device_id, const char *id)
{
    for (const touched *t = r.from; t && t < r.to; t++)
        if (strcmp(t->entity_id, id) == 0 && strcmp(t->device_id, device_id) == 0)
            return 1;
    return 0;
}

/* Add the visit id (v, or read when v is NULL) to the pull unless the device
 * sent it. */
static hh_err pull_visit(hh_cstore *reader, touched_range here, const hh_device *dev, const char *id,
                         const hh_visit *v, hh_pull *p)
{
    int sent = sent_in_group(here, dev->id, id);
    hh_err ret = sent ? HH_OK : hh_cstore_device_sent(reader, dev->id, id, &sent);

    if (ret != HH_OK || sent)
        return ret;
    if (p->n_visits == HH_SYNC_PULL_VISITS_MAX)
        return HH_OK;
    if (!v) {
        if ((ret = hh_records_visit_get(hh_cstore_sql(reader), id, &p->visit)) != HH_OK)
            return ret;
        v = &p->visit;
    }
    if (!(p->visit_pbs[p->n_visits] = hh_codec_visit_to_pb(v)))
        return HH_ENOMEM;
    p->visit_ptrs[p->n_visits] = (Hearth__V1__Visit *)hh_visit_pb_message(p->visit_pbs[p->n_visits]);
    p->n_visits++;
    return HH_OK;
}

/* The latest visits of every household whose tier is pulled, each after the
 * visits it corrects (up to HH_SYNC_HISTORY_DEPTH), oldest first: a device
 * that takes a village over judges its next visit on the same inputs as the
 * collector (income_drop needs the visit before). */
static hh_err pull_history(hh_cstore *reader, const hh_service *written, const hh_device *dev,
                           hh_pull *p)
{
    hh_visit latest[HH_SYNC_HISTORY_VISITS], chain[HH_SYNC_HISTORY_DEPTH];
    hh_latest_ids read;
    hh_err ret;

    for (size_t i = 0; i < p->n_tiers; i++) {
        /* The visits this transaction's recompute read, else the stored ones
         * (then read whole: `full`). */
        touched_range here = touched_find(written, p->ids[i]);
        const hh_latest_ids *ids = &read;
        const hh_visit *full = NULL;
        if (here.from && here.from->latest.count >= 0) {
            ids = &here.from->latest;
        } else {
            int count = 0;
            if ((ret = hh_records_latest_visits(hh_cstore_sql(reader), p->ids[i], latest, &count)) != HH_OK)
                return ret;
            hh_records_latest_ids(latest, count, &read);
            full = latest;
        }
        for (int k = ids->count - 1; k >= 0; k--) {
            int depth = 0;
            const char *corrects = ids->supersedes[k];
            while (corrects[0] && depth < HH_SYNC_HISTORY_DEPTH &&
                   hh_records_visit_get(hh_cstore_sql(reader), corrects, &chain[depth]) == HH_OK)
                corrects = chain[depth++].supersedes;
            while (depth-- > 0)
                if ((ret = pull_visit(reader, here, dev, chain[depth].id, &chain[depth], p)) != HH_OK)
                    return ret;
            if ((ret = pull_visit(reader, here, dev, ids->id[k], full ? &full[k] : NULL, p)) != HH_OK)
                return ret;
        }
    }
    return HH_OK;
}

/* What reviewers decided about the refused changes the device asks about. */
static hh_err pull_outcomes(hh_cstore *reader, const hh_device *dev, const uint64_t *seqs, size_t n,
                            hh_pull *p)
{
    for (size_t i = 0; i < n && i < HH_SYNC_QUARANTINE_ASK_MAX; i++) {
        Hearth__V1__QuarantineResult *q = &p->results[p->n_results];
        hh_err ret = hh_rstore_refused_get(reader, dev->id, seqs[i], 0, &p->refused);
        if (ret == HH_ENOTFOUND || (ret == HH_OK && !p->refused.outcome[0]))
            continue;
        if (ret != HH_OK)
            return ret;
        hearth__v1__quarantine_result__init(q);
        q->has_seq = q->has_outcome = 1;
        q->seq = seqs[i];
        q->outcome = strcmp(p->refused.outcome, "accepted") == 0
                         ? HEARTH__V1__QUARANTINE_OUTCOME__OUTCOME_ACCEPTED
                         : HEARTH__V1__QUARANTINE_OUTCOME__OUTCOME_DISCARDED;
        memcpy(p->result_notes[p->n_results], p->refused.note, sizeof p->refused.note);
        q->note = p->result_notes[p->n_results];
        p->result_ptrs[p->n_results++] = q;
    }
    return HH_OK;
}

/* hh_service_pull inside a transaction already begun on reader; written is
 * the service when that is its group's write transaction, else NULL. */
static hh_err pull_read(hh_cstore *reader, const hh_service *written, const hh_device *dev,
                        const hh_pull_ask *ask, hh_pull *p)
{
    const uint64_t since = ask->since;
    uint64_t high = 0;
    hh_rulebook rules;
    hh_err ret;

    pull_clear(p);
    if ((ret = hh_cstore_change_high(reader, &high)) != HH_OK ||
        (ret = hh_cstore_each_tier_since(reader, dev->villages, since, HH_SYNC_PULL_MAX, pull_tier,
                                         p)) != HH_OK ||
        (ret = hh_cstore_each_household_since(reader, dev->villages, since,
                                              HH_SYNC_PULL_HOUSEHOLDS_MAX, pull_household, p)) != HH_OK)
        goto done;
    pull_bound(p, since, high);
    if ((ret = pull_outcomes(reader, dev, ask->quarantined, ask->n_quarantined, p)) != HH_OK ||
        (ret = pull_history(reader, written, dev, p)) != HH_OK)
        goto done;
    for (size_t i = 0; i < p->n_changed; i++) {
        if ((ret = hh_cstore_snapshot(reader, p->changed[i].id, &p->snapshot)) != HH_OK)
            goto done;
        if (!(p->snapshot_pbs[i] = hh_codec_snapshot_to_pb(&p->snapshot))) {
            ret = HH_ENOMEM;
            goto done;
        }
        p->household_ptrs[i] = (Hearth__V1__Household *)hh_snapshot_pb_message(p->snapshot_pbs[i]);
    }
    /* The rulebook's text only for a device that has another version. */
    if (!ask->rulebook_version ||
        strcmp(ask->rulebook_version, hh_cstore_rulebook_current(reader)->version) != 0) {
        if ((ret = hh_cstore_rulebook(reader, &rules, p->rule_text, sizeof p->rule_text)) != HH_OK)
            goto done;
        hearth__v1__rulebook__init(&p->rulebook);
        memcpy(p->rule_version, rules.version, sizeof p->rule_version);
        p->rulebook.version = p->rule_version;
        p->rulebook.text = p->rule_text;
        p->has_rulebook = 1;
    }
done:
    return ret;
}

hh_err hh_service_pull(hh_cstore *reader, const hh_device *dev, const hh_pull_ask *ask, hh_pull *p)
{
    hh_err ret = hh_cstore_begin_read(reader);

    if (ret != HH_OK)
        return ret;
    ret = pull_read(reader, NULL, dev, ask, p);
    hh_cstore_rollback(reader);   /* a read transaction: nothing to keep */
    return ret;
}

void hh_pull_view_get(const hh_pull *p, hh_pull_view *out)
{
    out->tiers = (Hearth__V1__TierUpdate **)p->update_ptrs;
    out->n_tiers = p->n_tiers;
    out->households = (Hearth__V1__Household **)p->household_ptrs;
    out->n_households = p->n_changed;
    out->cursor = p->cursor;
    out->more = p->more;
    out->rulebook = p->has_rulebook ? (Hearth__V1__Rulebook *)&p->rulebook : NULL;
    out->results = (Hearth__V1__QuarantineResult **)p->result_ptrs;
    out->n_results = p->n_results;
    out->visits = (Hearth__V1__Visit **)p->visit_ptrs;
    out->n_visits = p->n_visits;
}
