/* sync/wire.c — protocol 2's compaction and compression (see wire.h). */
#include "wire.h"

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "model/rulebook.h"
#include "model/validate.h"

/* Most changes one request carries (the collector's bound, api.h, is lower). */
#define WIRE_CHANGES_MAX 4096

/* ---- ids ----------------------------------------------------------------------------- */

hh_err hh_wire_key(const char *uuid, uint8_t key[HH_WIRE_KEY_LEN])
{
    /* The five groups of 8-4-4-4-12 digits, hyphens between. */
    static const size_t bytes[] = { 4, 2, 2, 2, 6 };
    size_t at = 0, k = 0;

    if (!uuid || strlen(uuid) != HH_UUID_LEN)
        return HH_EINVAL;
    for (size_t g = 0; g < sizeof bytes / sizeof *bytes; g++) {
        if ((g > 0 && uuid[at++] != '-') || hh_hex_decode(uuid + at, key + k, bytes[g]) != HH_OK)
            return HH_EINVAL;
        at += 2 * bytes[g];
        k += bytes[g];
    }
    return HH_OK;
}

void hh_wire_key_text(const uint8_t key[HH_WIRE_KEY_LEN], char out[HH_UUID_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    size_t o = 0;

    for (size_t k = 0; k < HH_WIRE_KEY_LEN; k++) {
        if (k == 4 || k == 6 || k == 8 || k == 10)
            out[o++] = '-';
        out[o++] = digits[key[k] >> 4];
        out[o++] = digits[key[k] & 15];
    }
    out[o] = '\0';
}

static int key_of(const ProtobufCBinaryData *b, int has, char out[HH_UUID_LEN + 1])
{
    if (!has || b->len != HH_WIRE_KEY_LEN)
        return 0;
    hh_wire_key_text(b->data, out);
    return 1;
}

/* ---- changes ------------------------------------------------------------------------- */

/* What one CompactChange points to while it is packed. */
typedef struct compact_room {
    Hearth__V1__CompactChange msg;
    Hearth__V1__Household household;
    Hearth__V1__Member member;
    Hearth__V1__Visit visit;
    uint8_t entity_key[HH_WIRE_KEY_LEN], household_key[HH_WIRE_KEY_LEN];
} compact_room;

/* A payload's own id and its household's leave it: protocol 2 carries them
 * as the change's keys. */
static void take_ids(char **id, char **household, const char **payload_id, const char **household_id)
{
    *payload_id = *id;
    *household_id = *household;
    *id = *household = NULL;
}

/* Whether m, or a FieldChange of its, holds fields this version does not know:
 * kept by protobuf-c as bytes, they cannot be moved into a compact change
 * (a newer agent's change left in the outbox is sent as it was written). */
static int unknown_fields(const ProtobufCMessage *m, const Hearth__V1__Change *change)
{
    if (m && m->n_unknown_fields)
        return 1;
    for (size_t i = 0; change && i < change->n_changed; i++)
        if (change->changed[i]->base.n_unknown_fields)
            return 1;
    return 0;
}

/* out from in, given the change before it (prev_*) and the request's device
 * and epoch. HH_EINVAL when expanding out would not give in back exactly. */
static hh_err compact_change(const Hearth__V1__Change *in, const char *device_id, uint32_t epoch,
                             uint64_t prev_seq, uint64_t prev_hlc, compact_room *out)
{
    Hearth__V1__CompactChange *c = &out->msg;
    const char *payload_id = NULL, *household_id = NULL;
    const ProtobufCMessage *payload = NULL;

    hearth__v1__compact_change__init(c);
    if (!in->device_id || strcmp(in->device_id, device_id) != 0 || !in->has_seq ||
        in->seq <= prev_seq || !in->has_hlc || !in->has_device_epoch ||
        unknown_fields(&in->base, in) || hh_wire_key(in->entity_id, out->entity_key) != HH_OK)
        return HH_EINVAL;
    if (in->seq - prev_seq != 1) {
        c->has_seq_delta = 1;
        c->seq_delta = in->seq - prev_seq;
    }
    c->has_hlc_delta = 1;
    c->hlc_delta = (int64_t)(in->hlc - prev_hlc);
    c->has_entity = in->has_entity;
    c->entity = in->entity;
    c->has_op = in->has_op;
    c->op = in->op;
    c->has_entity_key = 1;
    c->entity_key.data = out->entity_key;
    c->entity_key.len = HH_WIRE_KEY_LEN;
    c->n_changed = in->n_changed;
    c->changed = in->changed;
    if (in->device_epoch != epoch) {
        c->has_device_epoch = 1;
        c->device_epoch = in->device_epoch;
    }
    switch (in->payload_case) {
    case HEARTH__V1__CHANGE__PAYLOAD_HOUSEHOLD:
        payload = &in->household->base;
        out->household = *in->household;
        payload_id = out->household.id;
        out->household.id = NULL;
        c->payload_case = HEARTH__V1__COMPACT_CHANGE__PAYLOAD_HOUSEHOLD;
        c->household = &out->household;
        break;
    case HEARTH__V1__CHANGE__PAYLOAD_MEMBER:
        payload = &in->member->base;
        out->member = *in->member;
        take_ids(&out->member.id, &out->member.household_id, &payload_id, &household_id);
        c->payload_case = HEARTH__V1__COMPACT_CHANGE__PAYLOAD_MEMBER;
        c->member = &out->member;
        break;
    case HEARTH__V1__CHANGE__PAYLOAD_VISIT:
        payload = &in->visit->base;
        out->visit = *in->visit;
        take_ids(&out->visit.id, &out->visit.household_id, &payload_id, &household_id);
        /* A visit's stamp is its change's. */
        if (!out->visit.has_hlc || out->visit.hlc != in->hlc)
            return HH_EINVAL;
        out->visit.has_hlc = 0;
        c->payload_case = HEARTH__V1__COMPACT_CHANGE__PAYLOAD_VISIT;
        c->visit = &out->visit;
        break;
    default:
        return HH_EINVAL;
    }
    if (!payload_id || strcmp(payload_id, in->entity_id) != 0 || unknown_fields(payload, NULL))
        return HH_EINVAL;
    if (in->payload_case != HEARTH__V1__CHANGE__PAYLOAD_HOUSEHOLD) {
        if (hh_wire_key(household_id, out->household_key) != HH_OK)
            return HH_EINVAL;
        c->has_household_key = 1;
        c->household_key.data = out->household_key;
        c->household_key.len = HH_WIRE_KEY_LEN;
    }
    return HH_OK;
}

hh_err hh_wire_request_compact(const uint8_t *in, size_t len, hh_buf *out)
{
    Hearth__V1__SyncRequest *req = hearth__v1__sync_request__unpack(NULL, len, in);
    Hearth__V1__CompactChange **ptrs = NULL;
    Hearth__V1__Change **changes;
    compact_room *room = NULL;
    uint64_t prev_seq = 0, prev_hlc = 0;
    size_t n_changes;
    void *where;
    hh_err ret = HH_OK;

    if (!req || !req->device_id)
        ret = HH_EPROTO;
    else if (req->n_compact_changes)   /* not protocol 1 (fuzzing found these leaked) */
        ret = HH_EINVAL;
    else if (unknown_fields(&req->base, NULL))
        ret = HH_EINVAL;
    else if (req->n_changes > WIRE_CHANGES_MAX)
        ret = HH_ERANGE;
    else if (req->n_changes &&
             (!(room = malloc(req->n_changes * sizeof *room)) ||
              !(ptrs = malloc(req->n_changes * sizeof *ptrs))))
        ret = HH_ENOMEM;
    if (ret != HH_OK)
        goto cleanup;
    req->protocol = HH_WIRE_PROTOCOL;
    req->has_protocol = 1;
    if (req->n_changes) {
        req->has_device_epoch = 1;
        req->device_epoch = req->changes[0]->device_epoch;
    }
    for (size_t i = 0; i < req->n_changes && ret == HH_OK; i++) {
        ret = compact_change(req->changes[i], req->device_id, req->device_epoch, prev_seq, prev_hlc,
                             &room[i]);
        prev_seq = req->changes[i]->seq;
        prev_hlc = req->changes[i]->hlc;
        ptrs[i] = &room[i].msg;
    }
    if (ret != HH_OK)
        goto cleanup;
    /* The compact changes go out instead of the whole ones; both lists are
     * the request's again before protobuf-c frees it. */
    changes = req->changes;
    n_changes = req->n_changes;
    req->changes = NULL;
    req->n_changes = 0;
    req->compact_changes = ptrs;
    req->n_compact_changes = n_changes;
    hh_buf_reset(out);
    ret = hh_buf_extend(out, hearth__v1__sync_request__get_packed_size(req), &where);
    if (ret == HH_OK)
        hearth__v1__sync_request__pack(req, where);
    req->compact_changes = NULL;
    req->n_compact_changes = 0;
    req->changes = changes;
    req->n_changes = n_changes;
cleanup:
    if (req)
        hearth__v1__sync_request__free_unpacked(req, NULL);
    free(room);
    free(ptrs);
    return ret;
}

hh_err hh_wire_request_expand(const Hearth__V1__SyncRequest *in, hh_wire_change *room,
                              Hearth__V1__Change **changes)
{
    uint64_t seq = 0, hlc = 0;

    for (size_t i = 0; i < in->n_compact_changes; i++) {
        const Hearth__V1__CompactChange *c = in->compact_changes[i];
        hh_wire_change *w = &room[i];
        Hearth__V1__Change *m = &w->msg;
        uint64_t step = c->has_seq_delta ? c->seq_delta : 1;

        if (step == 0 || seq > UINT64_MAX - step || !key_of(&c->entity_key, c->has_entity_key, w->entity_id))
            return HH_EINVAL;
        seq += step;
        hlc += (uint64_t)c->hlc_delta;
        hearth__v1__change__init(m);
        m->device_id = in->device_id;
        m->has_device_epoch = m->has_seq = m->has_hlc = 1;
        m->device_epoch = c->has_device_epoch ? c->device_epoch : in->device_epoch;
        m->seq = seq;
        m->hlc = hlc;
        m->has_entity = c->has_entity;
        m->entity = c->entity;
        m->has_op = c->has_op;
        m->op = c->op;
        m->entity_id = w->entity_id;
        m->n_changed = c->n_changed;
        m->changed = c->changed;
        if (c->payload_case != HEARTH__V1__COMPACT_CHANGE__PAYLOAD_HOUSEHOLD &&
            !key_of(&c->household_key, c->has_household_key, w->household_id))
            return HH_EINVAL;
        switch (c->payload_case) {
        case HEARTH__V1__COMPACT_CHANGE__PAYLOAD_HOUSEHOLD:
            w->household = *c->household;
            w->household.id = w->entity_id;
            m->payload_case = HEARTH__V1__CHANGE__PAYLOAD_HOUSEHOLD;
            m->household = &w->household;
            break;
        case HEARTH__V1__COMPACT_CHANGE__PAYLOAD_MEMBER:
            w->member = *c->member;
            w->member.id = w->entity_id;
            w->member.household_id = w->household_id;
            m->payload_case = HEARTH__V1__CHANGE__PAYLOAD_MEMBER;
            m->member = &w->member;
            break;
        case HEARTH__V1__COMPACT_CHANGE__PAYLOAD_VISIT:
            w->visit = *c->visit;
            w->visit.id = w->entity_id;
            w->visit.household_id = w->household_id;
            if (!w->visit.has_hlc) {
                w->visit.has_hlc = 1;
                w->visit.hlc = hlc;
            }
            m->payload_case = HEARTH__V1__CHANGE__PAYLOAD_VISIT;
            m->visit = &w->visit;
            break;
        default:
            return HH_EINVAL;
        }
        changes[i] = m;
    }
    return HH_OK;
}

/* ---- answers ------------------------------------------------------------------------- */

hh_err hh_wire_response_compact(Hearth__V1__SyncResponse *out, uint8_t (*keys)[HH_WIRE_KEY_LEN],
                                char tiers_rulebook[HH_RULEBOOK_VERSION_MAX + 1])
{
    int shared = out->n_tiers > 0;

    for (size_t i = 0; i < out->n_tiers; i++) {
        Hearth__V1__TierUpdate *u = out->tiers[i];
        if (hh_wire_key(u->household_id, keys[i]) != HH_OK)
            return HH_EINVAL;
        u->household_id = NULL;
        u->has_household_key = 1;
        u->household_key.data = keys[i];
        u->household_key.len = HH_WIRE_KEY_LEN;
        shared = shared && u->rulebook_version &&
                 strcmp(u->rulebook_version, out->tiers[0]->rulebook_version) == 0;
    }
    if (!shared)
        return HH_OK;
    if (strlen(out->tiers[0]->rulebook_version) > HH_RULEBOOK_VERSION_MAX)
        return HH_EINVAL;
    strcpy(tiers_rulebook, out->tiers[0]->rulebook_version);
    out->tiers_rulebook = tiers_rulebook;
    for (size_t i = 0; i < out->n_tiers; i++)
        out->tiers[i]->rulebook_version = NULL;
    return HH_OK;
}

hh_err hh_wire_tier_names(const Hearth__V1__SyncResponse *resp, const Hearth__V1__TierUpdate *u,
                          char household_id[HH_UUID_LEN + 1], const char **rulebook)
{
    if (u->household_id) {
        if (hh_validate_uuid(u->household_id, NULL) != HH_OK)
            return HH_EPROTO;
        memcpy(household_id, u->household_id, HH_UUID_LEN + 1);
    } else if (!key_of(&u->household_key, u->has_household_key, household_id)) {
        return HH_EPROTO;
    }
    *rulebook = u->rulebook_version ? u->rulebook_version : resp->tiers_rulebook;
    return *rulebook ? HH_OK : HH_EPROTO;
}

/* ---- compression --------------------------------------------------------------------- */

hh_err hh_wire_deflate(const void *in, size_t len, hh_buf *out)
{
    uint8_t chunk[16384];
    z_stream z;
    hh_err ret = HH_OK;
    int rc = Z_OK;

    hh_buf_reset(out);
    memset(&z, 0, sizeof z);
    if (len > UINT32_MAX || deflateInit(&z, Z_DEFAULT_COMPRESSION) != Z_OK)
        return len > UINT32_MAX ? HH_ERANGE : HH_ENOMEM;
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    /* In chunks: out's cap bounds the deflated size, not the input's. */
    while (rc != Z_STREAM_END && ret == HH_OK) {
        z.next_out = chunk;
        z.avail_out = sizeof chunk;
        rc = deflate(&z, Z_FINISH);
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
            ret = HH_ENOMEM;
        else
            ret = hh_buf_append(out, chunk, sizeof chunk - z.avail_out);
    }
    deflateEnd(&z);
    if (ret != HH_OK)
        hh_buf_reset(out);
    return ret;
}

hh_err hh_wire_inflate(const void *in, size_t len, size_t max_bytes, hh_buf *out)
{
    uint8_t chunk[16384];
    z_stream z;
    hh_err ret = HH_OK;
    int rc = Z_OK;

    hh_buf_reset(out);
    memset(&z, 0, sizeof z);
    if (len > UINT32_MAX || inflateInit(&z) != Z_OK)
        return len > UINT32_MAX ? HH_ERANGE : HH_ENOMEM;
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    while (rc != Z_STREAM_END && ret == HH_OK) {
        z.next_out = chunk;
        z.avail_out = sizeof chunk;
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            ret = rc == Z_MEM_ERROR ? HH_ENOMEM : HH_EPROTO;
            break;
        }
        if (out->len + (sizeof chunk - z.avail_out) > max_bytes)
            ret = HH_ERANGE;
        else
            ret = hh_buf_append(out, chunk, sizeof chunk - z.avail_out);
        /* Input used up without the stream's end: cut short. */
        if (ret == HH_OK && rc == Z_OK && z.avail_in == 0 && z.avail_out != 0)
            ret = HH_EPROTO;
    }
    /* Bytes after the stream's end are not part of it. */
    if (ret == HH_OK && z.avail_in != 0)
        ret = HH_EPROTO;
    inflateEnd(&z);
    if (ret != HH_OK)
        hh_buf_reset(out);
    return ret;
}

static size_t batch_clamp(size_t n)
{
    return n < HH_WIRE_BATCH_MIN ? HH_WIRE_BATCH_MIN
                                 : n > HH_WIRE_BATCH_CHANGES_MAX ? HH_WIRE_BATCH_CHANGES_MAX : n;
}

uint32_t hh_wire_batch_hint(size_t pushing)
{
    return (uint32_t)batch_clamp(HH_WIRE_BACKLOG_CHANGES / (pushing ? pushing : 1));
}

size_t hh_wire_batch_next(const Hearth__V1__SyncResponse *r)
{
    return r && r->has_batch_changes ? batch_clamp(r->batch_changes) : HH_WIRE_BATCH_UNHINTED;
}
