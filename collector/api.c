/* collector/api.c — the HTTP API's handlers (see api.h).
 *
 * Sync, in one transaction per request: every change of the batch is checked
 * against what was applied before under the same (device, seq) — the same
 * content is answered as before, other content refuses the whole request with
 * 409 — then decoded, validated and merged; refusals are recorded with their
 * reason. Touched households get their tiers recomputed once per request. The
 * response acknowledges the highest seq of the batch and carries the tiers that
 * changed in the device's villages since its cursor. */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mbedtls/sha256.h>

#include "merge.h"
#include "model/validate.h"
#include "platform/platform.h"
#include "proto/hearth.pb-c.h"
#include "sync/pki.h"

#define LOCK_WAIT_MS 10000
#define BUSY_RETRY_S 5
#define ENROLL_CODE_MAX 32

static void text_reply(hh_response *resp, int status, const char *message)
{
    resp->status = status;
    resp->content_type = "text/plain; charset=utf-8";
    hh_buf_reset(&resp->body);
    hh_buf_puts(&resp->body, message);
    hh_buf_puts(&resp->body, "\n");
}

/* Pack a protobuf message into the response. */
static void pb_reply(hh_response *resp, const ProtobufCMessage *msg)
{
    size_t size = protobuf_c_message_get_packed_size(msg);
    void *where;

    hh_buf_reset(&resp->body);
    if (hh_buf_extend(&resp->body, size, &where) != HH_OK) {
        text_reply(resp, 500, "response too large");
        return;
    }
    protobuf_c_message_pack(msg, where);
    resp->status = 200;
    resp->content_type = "application/x-protobuf";
}

/* Protocol bodies are protobuf, and say so (a browser form or a stray POST is
 * refused before anything is decoded). */
static int protobuf_body(const hh_request *req, hh_response *resp)
{
    static const char type[] = "application/x-protobuf";
    const char *t = req->content_type;

    if (t && strncasecmp(t, type, sizeof type - 1) == 0 &&
        (t[sizeof type - 1] == '\0' || t[sizeof type - 1] == ';'))
        return 1;
    text_reply(resp, 415, "Content-Type must be application/x-protobuf");
    return 0;
}

static int lock(hh_api *api, hh_response *resp)
{
    uint64_t until = hh_platform_wall_ms() + LOCK_WAIT_MS;
    struct timespec ts = { (time_t)(until / 1000), (long)(until % 1000) * 1000000L };

    if (pthread_mutex_timedlock(&api->lock, &ts) == 0)
        return 1;
    text_reply(resp, 503, "the collector is busy; retry later");
    resp->retry_after_s = BUSY_RETRY_S;
    return 0;
}

/* ---- enrolment ---------------------------------------------------------------------- */

void hh_api_init(hh_api *api, unsigned failures_per_address, unsigned attempts_total,
                 uint64_t window_ms)
{
    memset(api, 0, sizeof *api);
    pthread_mutex_init(&api->lock, NULL);
    hh_limiter_init(&api->enrolments, failures_per_address, attempts_total, window_ms);
}

void hh_api_free(hh_api *api)
{
    hh_limiter_free(&api->enrolments);
    pthread_mutex_destroy(&api->lock);
}

/* A refused enrolment: counted against the address, audited, answered. */
static void enroll_refused(hh_api *api, const hh_request *req, hh_response *resp, int status,
                           const char *why)
{
    char detail[160];

    hh_limiter_failed(&api->enrolments, req->client_addr, hh_platform_wall_ms());
    snprintf(detail, sizeof detail, "enrolment refused from %s: %s",
             req->client_addr[0] ? req->client_addr : "an unknown address", why);
    if (lock(api, resp)) {
        hh_cstore_audit(api->store, "enrol_refused", NULL, detail);
        pthread_mutex_unlock(&api->lock);
    }
    text_reply(resp, status, why);
    resp->retry_after_s = 0;   /* the refusal stands, whatever the audit's wait */
}

static void enroll(hh_api *api, const hh_request *req, hh_response *resp)
{
    Hearth__V1__EnrollRequest *in = NULL;
    Hearth__V1__EnrollResponse out = HEARTH__V1__ENROLL_RESPONSE__INIT;
    Hearth__V1__Rulebook rulebook = HEARTH__V1__RULEBOOK__INIT;
    char device_id[HH_UUID_LEN + 1], subject[HH_PKI_CN_MAX + 1], sha[65];
    char *villages[HH_VILLAGES_MAX], *rule_text = NULL;
    char village_copy[HH_VILLAGES_TEXT_MAX + 1];
    hh_pki_issue issue = { HH_PKI_ROLE_CLIENT, NULL, NULL, NULL, NULL, NULL, NULL, 0 };
    hh_rulebook rules;
    hh_device dev;
    hh_buf cert;
    unsigned wait_s = 0;
    hh_err ret;

    hh_buf_init(&cert, HH_PKI_PEM_MAX);
    if (!protobuf_body(req, resp))
        goto cleanup;
    /* Guessing codes must be slow: refused before any signing work is done. */
    if (hh_limiter_attempt(&api->enrolments, req->client_addr, hh_platform_wall_ms(), &wait_s)) {
        text_reply(resp, 429, "too many enrolment attempts; wait and try again");
        resp->retry_after_s = wait_s;
        goto cleanup;
    }
    in = hearth__v1__enroll_request__unpack(NULL, req->body_len, req->body);
    if (!in || !in->code || strlen(in->code) == 0 || strlen(in->code) > ENROLL_CODE_MAX ||
        !in->has_csr_pem || in->csr_pem.len == 0 || in->csr_pem.len > HH_PKI_PEM_MAX) {
        enroll_refused(api, req, resp, 400, "malformed enrolment request");
        goto cleanup;
    }
    /* The request must be well formed and signed by its key; its subject is
     * not used. */
    if (hh_pki_csr_subject((const char *)in->csr_pem.data, in->csr_pem.len, subject) != HH_OK) {
        enroll_refused(api, req, resp, 400, "the certificate request is malformed or badly signed");
        goto cleanup;
    }
    /* The device's identity is the collector's to decide: a fresh UUIDv7 for
     * every enrolment, whatever the request's subject names. */
    if (hh_records_new_id(device_id) != HH_OK) {
        text_reply(resp, 500, "cannot make a device identity");
        goto cleanup;
    }
    {
        /* The request as a NUL-terminated string for the signer. */
        char csr[HH_PKI_PEM_MAX + 1];
        memcpy(csr, in->csr_pem.data, in->csr_pem.len);
        csr[in->csr_pem.len] = '\0';
        issue.cn = device_id;
        issue.csr_pem = csr;
        issue.ca_cert_pem = api->ca_pem;
        issue.ca_key_pem = api->ca_key_pem;
        issue.days = api->device_cert_days;
        ret = hh_pki_issue_cert(&issue, &cert);
    }
    if (ret != HH_OK || hh_pki_cert_sha256(cert.data, cert.len, sha) != HH_OK) {
        text_reply(resp, 500, "cannot issue the certificate");
        goto cleanup;
    }
    if (!lock(api, resp))
        goto cleanup;
    ret = hh_cstore_begin(api->store);
    if (ret == HH_OK)
        ret = hh_cstore_code_redeem(api->store, in->code, device_id, sha, hh_platform_wall_ms(), &dev);
    if (ret == HH_OK)
        ret = hh_cstore_audit(api->store, "enrol", device_id, "device enrolled");
    /* A wrong code is counted against the code it names: keep that count. */
    if (ret == HH_OK || ret == HH_ENOTFOUND) {
        hh_err commit = hh_cstore_commit(api->store);
        if (commit != HH_OK)
            ret = commit;
    } else {
        hh_cstore_rollback(api->store);
    }
    if (ret == HH_OK && !(rule_text = malloc(HH_RULEBOOK_TEXT_MAX + 1)))
        ret = HH_ENOMEM;
    if (ret == HH_OK)
        ret = hh_cstore_rulebook(api->store, &rules, rule_text, HH_RULEBOOK_TEXT_MAX + 1);
    pthread_mutex_unlock(&api->lock);
    switch (ret) {
    case HH_OK: break;
    case HH_ENOTFOUND:
        enroll_refused(api, req, resp, 403, "unknown enrolment code");
        goto cleanup;
    case HH_EEXIST:
        enroll_refused(api, req, resp, 403, "this enrolment code has been used already");
        goto cleanup;
    case HH_EREJECTED:
        enroll_refused(api, req, resp, 403, "this enrolment code is locked after too many wrong "
                                            "tries: ask the administrator for a new one");
        goto cleanup;
    case HH_ERANGE:
        enroll_refused(api, req, resp, 403, "this enrolment code has expired");
        goto cleanup;
    default:
        text_reply(resp, 500, "the collector cannot enrol devices now");
        goto cleanup;
    }
    memcpy(village_copy, dev.villages, sizeof village_copy);
    for (char *save = NULL, *v = strtok_r(village_copy, ",", &save); v && out.n_villages < HH_VILLAGES_MAX;
         v = strtok_r(NULL, ",", &save))
        villages[out.n_villages++] = v;
    out.villages = villages;
    out.device_id = device_id;
    out.has_certificate_pem = out.has_ca_pem = 1;
    out.certificate_pem.data = (uint8_t *)cert.data;
    out.certificate_pem.len = cert.len;
    out.ca_pem.data = (uint8_t *)api->ca_pem;
    out.ca_pem.len = strlen(api->ca_pem);
    out.officer = dev.officer;
    rulebook.version = rules.version;
    rulebook.text = rule_text;
    out.rulebook = &rulebook;
    pb_reply(resp, &out.base);
    snprintf(resp->log_note, sizeof resp->log_note, "enrolled=%.36s", device_id);
cleanup:
    free(rule_text);
    hh_buf_free(&cert);
    if (in)
        hearth__v1__enroll_request__free_unpacked(in, NULL);
}

/* ---- sync ----------------------------------------------------------------------------- */

typedef struct changed_household {
    char id[HH_UUID_LEN + 1];
    uint64_t change_no;
} changed_household;

typedef struct household_pull {
    changed_household items[HH_SYNC_PULL_HOUSEHOLDS_MAX];
    size_t count;
} household_pull;

static int pull_household(void *ctx, const char *id, uint64_t change_no)
{
    household_pull *p = ctx;

    memcpy(p->items[p->count].id, id, HH_UUID_LEN + 1);
    p->items[p->count].change_no = change_no;
    p->count++;
    return 0;
}

typedef struct pull_state {
    uint64_t *changes;              /* change number of each tier update */
    Hearth__V1__TierUpdate *updates;
    Hearth__V1__TierUpdate **ptrs;
    const char *(*reasons)[HH_REASON_COUNT];
    char (*ids)[HH_UUID_LEN + 1];
    char (*dates)[HH_DATE_LEN + 1];
    char (*rulebooks)[HH_RULEBOOK_VERSION_MAX + 1];
    size_t count;
    uint64_t last_change;
} pull_state;

static Hearth__V1__ReviewState review_state(const char *review)
{
    if (strcmp(review, "verified") == 0)
        return HEARTH__V1__REVIEW_STATE__REVIEW_VERIFIED;
    if (strcmp(review, "intervening") == 0)
        return HEARTH__V1__REVIEW_STATE__REVIEW_INTERVENING;
    if (strcmp(review, "released") == 0)
        return HEARTH__V1__REVIEW_STATE__REVIEW_RELEASED;
    return HEARTH__V1__REVIEW_STATE__REVIEW_COMPUTED;
}

static int pull_one(void *ctx, const hh_ctier *t)
{
    pull_state *p = ctx;
    Hearth__V1__TierUpdate *u = &p->updates[p->count];
    size_t n = 0;

    hearth__v1__tier_update__init(u);
    memcpy(p->ids[p->count], t->v.household_id, sizeof p->ids[0]);
    memcpy(p->dates[p->count], t->v.last_visit_on, sizeof p->dates[0]);
    memcpy(p->rulebooks[p->count], t->v.rulebook, sizeof p->rulebooks[0]);
    u->household_id = p->ids[p->count];
    u->has_tier = u->has_source = u->has_review = 1;
    u->tier = (Hearth__V1__Tier)t->v.tier;
    u->source = HEARTH__V1__TIER_SOURCE__TIER_SOURCE_COLLECTOR;
    u->review = review_state(t->v.label);
    u->rulebook_version = p->rulebooks[p->count];
    u->has_per_capita_yuan = 1;
    u->per_capita_yuan = t->v.per_capita_yuan;
    u->last_visit_on = p->dates[p->count];
    for (int i = 0; i < HH_REASON_COUNT; i++)
        if (t->v.reasons & (1u << i))
            p->reasons[p->count][n++] = hh_reason_code(1u << i);
    u->n_reasons = n;
    u->reasons = (char **)p->reasons[p->count];
    p->ptrs[p->count] = u;
    p->changes[p->count] = t->change_no;
    p->count++;
    return 0;
}

static uint64_t cursor_value(const Hearth__V1__SyncRequest *in)
{
    uint64_t v = 0;

    if (!in->has_pull_cursor || in->pull_cursor.len != 8)
        return 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | in->pull_cursor.data[i];
    return v;
}

/* One change of the batch: returns HH_ECONFLICT for a changed replay (the
 * whole request is then refused), another error if the database failed. */
static hh_err sync_change(hh_api *api, const hh_device *dev, const Hearth__V1__Change *pb,
                          hh_change_in *c, hh_buf *touched, Hearth__V1__Rejection *rej,
                          char *detail, int *rejected)
{
    uint8_t digest[32], packed_stack[4096], *packed = packed_stack;
    size_t size = hearth__v1__change__get_packed_size(pb);
    hh_applied before;
    hh_merge_result r;
    hh_diag d;
    hh_err ret;
    const char *entity = "unknown", *entity_id = "";

    *rejected = 0;
    if (size > sizeof packed_stack && !(packed = malloc(size)))
        return HH_ENOMEM;
    hearth__v1__change__pack(pb, packed);
    mbedtls_sha256(packed, size, digest, 0);
    if (packed != packed_stack)
        free(packed);
    if ((ret = hh_cstore_applied_get(api->store, dev->id, pb->seq, &before)) != HH_OK)
        return ret;
    if (before.found) {
        if (memcmp(before.digest, digest, sizeof digest) != 0)
            return HH_ECONFLICT;
        if (before.reject_reason) {
            *rejected = 1;
            rej->reason = (Hearth__V1__RejectReason)before.reject_reason;
            snprintf(detail, 160, "%s", before.detail);
        }
        return HH_OK;
    }
    hh_diag_clear(&d);
    memset(&r, 0, sizeof r);
    if (hh_codec_change_from_pb(pb, hh_platform_current_year(), c, &d) != HH_OK) {
        r.reject_reason = HEARTH__V1__REJECT_REASON__REJECT_INVALID;
        /* Cut to the detail's bound: it is a hint for the officer, not a record. */
        if (snprintf(r.detail, sizeof r.detail, "%s: %s", d.field, d.message) < 0)
            r.detail[0] = '\0';
    } else if ((ret = hh_merge_apply(api->store, dev, c, &api->clock, hh_platform_wall_ms(), &r)) != HH_OK) {
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
    if ((ret = hh_cstore_applied_put(api->store, dev->id, pb->seq, digest, r.reject_reason,
                                     r.detail, entity, entity_id, hh_platform_wall_ms())) != HH_OK)
        return ret;
    if (r.reject_reason) {
        *rejected = 1;
        rej->reason = (Hearth__V1__RejectReason)r.reject_reason;
        snprintf(detail, 160, "%s", r.detail);
        return hh_cstore_audit(api->store, "quarantine", dev->id, r.detail);
    }
    /* Each touched household is listed once per change: '+' when its own or
     * its members' fields changed (devices pull it again), '-' when only its
     * visits did (its tier is recomputed). */
    if (r.touched && r.household_id[0]) {
        char entry[HH_UUID_LEN + 2];
        entry[0] = r.record_changed ? '+' : '-';
        memcpy(entry + 1, r.household_id, HH_UUID_LEN + 1);
        return hh_buf_append(touched, entry, sizeof entry);
    }
    return HH_OK;
}

static void sync_request(hh_api *api, const hh_request *req, hh_response *resp)
{
    Hearth__V1__SyncRequest *in = NULL;
    Hearth__V1__SyncResponse out = HEARTH__V1__SYNC_RESPONSE__INIT;
    Hearth__V1__Rulebook rulebook = HEARTH__V1__RULEBOOK__INIT;
    Hearth__V1__Rejection *rejections = NULL, **rejection_ptrs = NULL;
    char (*details)[160] = NULL;
    char *rule_text = NULL;
    hh_change_in *change = NULL;
    pull_state pull = { 0 };
    household_pull *households = NULL;
    hh_snapshot *snapshot = NULL;
    hh_snapshot_pb *snapshot_pbs[HH_SYNC_PULL_HOUSEHOLDS_MAX] = { 0 };
    Hearth__V1__Household *household_ptrs[HH_SYNC_PULL_HOUSEHOLDS_MAX];
    uint64_t bound = UINT64_MAX;
    hh_rulebook rules;
    hh_device dev;
    hh_buf touched;
    uint8_t cursor[8];
    uint64_t acked = 0, since;
    int locked = 0, rejected;
    hh_err ret;

    hh_buf_init(&touched, (HH_SYNC_CHANGES_MAX + 1) * (HH_UUID_LEN + 2));
    if (!req->client_verified) {
        text_reply(resp, 401, "a device certificate from this collector is required");
        goto cleanup;
    }
    if (!protobuf_body(req, resp))
        goto cleanup;
    in = hearth__v1__sync_request__unpack(NULL, req->body_len, req->body);
    if (!in) {
        text_reply(resp, 400, "the body is not a SyncRequest");
        goto cleanup;
    }
    if (in->protocol != 1 || !in->device_id || strcmp(in->device_id, req->client_cn) != 0) {
        text_reply(resp, 400, "protocol 1 and the certificate's device id are required");
        goto cleanup;
    }
    if (in->n_changes > HH_SYNC_CHANGES_MAX) {
        text_reply(resp, 413, "too many changes in one request");
        goto cleanup;
    }
    for (size_t i = 1; i < in->n_changes; i++) {
        if (!in->changes[i]->has_seq || in->changes[i]->seq <= in->changes[i - 1]->seq) {
            text_reply(resp, 400, "changes must be in increasing seq order");
            goto cleanup;
        }
    }
    change = malloc(sizeof *change);
    rejections = calloc(in->n_changes + 1, sizeof *rejections);
    rejection_ptrs = calloc(in->n_changes + 1, sizeof *rejection_ptrs);
    details = calloc(in->n_changes + 1, sizeof *details);
    pull.changes = calloc(HH_SYNC_PULL_MAX, sizeof *pull.changes);
    households = calloc(1, sizeof *households);
    snapshot = malloc(sizeof *snapshot);
    pull.updates = calloc(HH_SYNC_PULL_MAX, sizeof *pull.updates);
    pull.ptrs = calloc(HH_SYNC_PULL_MAX, sizeof *pull.ptrs);
    pull.reasons = calloc(HH_SYNC_PULL_MAX, sizeof *pull.reasons);
    pull.ids = calloc(HH_SYNC_PULL_MAX, sizeof *pull.ids);
    pull.dates = calloc(HH_SYNC_PULL_MAX, sizeof *pull.dates);
    pull.rulebooks = calloc(HH_SYNC_PULL_MAX, sizeof *pull.rulebooks);
    rule_text = malloc(HH_RULEBOOK_TEXT_MAX + 1);
    if (!change || !rejections || !rejection_ptrs || !details || !pull.updates || !pull.ptrs ||
        !pull.changes || !households || !snapshot ||
        !pull.reasons || !pull.ids || !pull.dates || !pull.rulebooks || !rule_text) {
        text_reply(resp, 503, "out of memory; retry later");
        resp->retry_after_s = BUSY_RETRY_S;
        goto cleanup;
    }
    if (!lock(api, resp))
        goto cleanup;
    locked = 1;
    ret = hh_cstore_device_get(api->store, req->client_cn, &dev);
    if (ret != HH_OK || dev.revoked_ms || strcmp(dev.cert_sha256, req->client_sha256) != 0) {
        text_reply(resp, 401, ret == HH_OK && dev.revoked_ms
                                  ? "this device has been revoked: enrol it again"
                                  : "unknown device or superseded certificate: enrol it again");
        goto cleanup;
    }
    if ((ret = hh_cstore_begin(api->store)) != HH_OK) {
        text_reply(resp, 503, "the collector database is busy; retry later");
        resp->retry_after_s = BUSY_RETRY_S;
        goto cleanup;
    }
    for (size_t i = 0; i < in->n_changes; i++) {
        Hearth__V1__Rejection *rej = &rejections[out.n_rejections];
        hearth__v1__rejection__init(rej);
        ret = sync_change(api, &dev, in->changes[i], change, &touched, rej, details[out.n_rejections],
                          &rejected);
        if (ret == HH_ECONFLICT) {
            hh_cstore_rollback(api->store);
            hh_cstore_audit(api->store, "seq_mismatch", dev.id, "a seq was replayed with other content");
            text_reply(resp, 409, "a change reuses a seq already applied with other content");
            /* The device (restored from a backup, say) starts a new epoch above this. */
            if (hh_cstore_applied_high(api->store, dev.id, &resp->seq_high) != HH_OK)
                resp->seq_high = 0;
            snprintf(resp->log_note, sizeof resp->log_note, "seq=%llu replayed with other content",
                     (unsigned long long)in->changes[i]->seq);
            goto cleanup;
        }
        if (ret != HH_OK) {
            hh_cstore_rollback(api->store);
            text_reply(resp, 503, "the collector could not store the batch; retry later");
            resp->retry_after_s = BUSY_RETRY_S;
            goto cleanup;
        }
        if (rejected) {
            rej->has_seq = rej->has_reason = 1;
            rej->seq = in->changes[i]->seq;
            rej->detail = details[out.n_rejections];
            rejection_ptrs[out.n_rejections++] = rej;
        }
        acked = in->changes[i]->seq;
    }
    /* One tier recompute per touched household, however many changes it had;
     * a new change number only for those whose records changed. */
    for (size_t off = 0; off + HH_UUID_LEN + 1 < touched.len; off += HH_UUID_LEN + 2) {
        const char *id = touched.data + off + 1;
        int seen = 0, changed = 0;
        for (size_t prev = 0; prev < off && !seen; prev += HH_UUID_LEN + 2)
            seen = strcmp(touched.data + prev + 1, id) == 0;
        if (seen)
            continue;
        for (size_t next = off; next + HH_UUID_LEN + 1 < touched.len && !changed; next += HH_UUID_LEN + 2)
            changed = touched.data[next] == '+' && strcmp(touched.data + next + 1, id) == 0;
        if ((changed && (ret = hh_cstore_household_touch(api->store, id)) != HH_OK) ||
            (ret = hh_cstore_tier_recompute(api->store, id)) != HH_OK)
            break;
    }
    if (acked == 0)
        acked = dev.acked_seq;
    if (ret == HH_OK || ret == HH_ECONFLICT)
        ret = hh_cstore_device_seen(api->store, dev.id, acked, hh_platform_wall_ms());
    if (ret == HH_OK)
        ret = hh_cstore_commit(api->store);
    else
        hh_cstore_rollback(api->store);
    if (ret != HH_OK) {
        text_reply(resp, 503, "the collector could not store the batch; retry later");
        resp->retry_after_s = BUSY_RETRY_S;
        goto cleanup;
    }
    hh_platform_fault_point("collector-before-reply");
    /* Pull: tiers changed in the device's villages since its cursor. */
    since = cursor_value(in);
    if ((ret = hh_cstore_each_tier_since(api->store, dev.villages, since, HH_SYNC_PULL_MAX,
                                         pull_one, &pull)) != HH_OK ||
        (ret = hh_cstore_each_household_since(api->store, dev.villages, since,
                                              HH_SYNC_PULL_HOUSEHOLDS_MAX, pull_household,
                                              households)) != HH_OK) {
        text_reply(resp, 503, "the collector cannot read its tiers now; retry later");
        resp->retry_after_s = BUSY_RETRY_S;
        goto cleanup;
    }
    /* Two streams under one cursor: where either was cut at its limit, both
     * stop at that change number, and the rest comes with the next request. */
    if (pull.count == HH_SYNC_PULL_MAX)
        bound = pull.changes[pull.count - 1];
    if (households->count == HH_SYNC_PULL_HOUSEHOLDS_MAX &&
        households->items[households->count - 1].change_no < bound)
        bound = households->items[households->count - 1].change_no;
    while (pull.count > 0 && pull.changes[pull.count - 1] > bound)
        pull.count--;
    while (households->count > 0 && households->items[households->count - 1].change_no > bound)
        households->count--;
    pull.last_change = since;
    if (pull.count && pull.changes[pull.count - 1] > pull.last_change)
        pull.last_change = pull.changes[pull.count - 1];
    if (households->count && households->items[households->count - 1].change_no > pull.last_change)
        pull.last_change = households->items[households->count - 1].change_no;
    if (bound != UINT64_MAX)
        pull.last_change = bound;
    for (size_t i = 0; i < households->count; i++) {
        if (hh_cstore_snapshot(api->store, households->items[i].id, snapshot) != HH_OK ||
            !(snapshot_pbs[i] = hh_codec_snapshot_to_pb(snapshot))) {
            text_reply(resp, 503, "the collector cannot read its households now; retry later");
            resp->retry_after_s = BUSY_RETRY_S;
            goto cleanup;
        }
        household_ptrs[i] = (Hearth__V1__Household *)hh_snapshot_pb_message(snapshot_pbs[i]);
    }
    out.n_households = households->count;
    out.households = households->count ? household_ptrs : NULL;
    for (int i = 0; i < 8; i++)
        cursor[i] = (uint8_t)(pull.last_change >> (56 - 8 * i));
    out.has_protocol = out.has_acked_seq = out.has_cursor = out.has_more = out.has_server_hlc = 1;
    out.protocol = 1;
    out.acked_seq = acked;
    out.rejections = rejection_ptrs;
    out.n_tiers = pull.count;
    out.tiers = pull.ptrs;
    out.cursor.data = cursor;
    out.cursor.len = sizeof cursor;
    out.more = bound != UINT64_MAX;
    if (hh_hlc_tick(&api->clock, hh_platform_wall_ms(), &out.server_hlc) != HH_OK)
        out.has_server_hlc = 0;
    /* The rulebook's text only for a device that has another version. */
    if (!in->rulebook_version ||
        strcmp(in->rulebook_version, hh_cstore_rulebook_current(api->store)->version) != 0) {
        if (hh_cstore_rulebook(api->store, &rules, rule_text, HH_RULEBOOK_TEXT_MAX + 1) != HH_OK) {
            text_reply(resp, 503, "the collector cannot read its rulebook now; retry later");
            resp->retry_after_s = BUSY_RETRY_S;
            goto cleanup;
        }
        rulebook.version = rules.version;
        rulebook.text = rule_text;
        out.rulebook = &rulebook;
    }
    pb_reply(resp, &out.base);
    snprintf(resp->log_note, sizeof resp->log_note, "changes=%zu rejected=%zu pulled=%zu+%zu",
             in->n_changes, out.n_rejections, pull.count, out.n_households);
cleanup:
    if (locked)
        pthread_mutex_unlock(&api->lock);
    hh_buf_free(&touched);
    free(change);
    free(rejections);
    free(rejection_ptrs);
    free(details);
    for (size_t i = 0; i < HH_SYNC_PULL_HOUSEHOLDS_MAX; i++)
        hh_snapshot_pb_free(snapshot_pbs[i]);
    free(households);
    free(snapshot);
    free(pull.changes);
    free(pull.updates);
    free(pull.ptrs);
    free(pull.reasons);
    free(pull.ids);
    free(pull.dates);
    free(pull.rulebooks);
    free(rule_text);
    if (in)
        hearth__v1__sync_request__free_unpacked(in, NULL);
}

void hh_api_handle(void *ctx, const hh_request *req, hh_response *resp)
{
    hh_api *api = ctx;
    int get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;

    if (strcmp(req->path, "/v1/health") == 0 && get) {
        text_reply(resp, 200, "ok");
    } else if (strcmp(req->path, "/v1/ca") == 0 && get) {
        text_reply(resp, 200, api->ca_pem);
        resp->content_type = "application/x-pem-file";
    } else if (strcmp(req->path, "/v1/enroll") == 0 && post) {
        enroll(api, req, resp);
    } else if (strcmp(req->path, "/v1/sync") == 0 && post) {
        sync_request(api, req, resp);
    } else if (strcmp(req->path, "/v1/health") == 0 || strcmp(req->path, "/v1/ca") == 0 ||
               strcmp(req->path, "/v1/enroll") == 0 || strcmp(req->path, "/v1/sync") == 0) {
        text_reply(resp, 405, "method not allowed");
    } else {
        text_reply(resp, 404, "not found");
    }
}
