/* collector/api.c — the HTTP API's handlers (see api.h).
 *
 * The HTTP layer: a request's bytes become a decoded, checked request, and a
 * result becomes an answer with its status. What a sync does is the sync
 * service's (service.h): its push is applied in a group commit, then its pull
 * is read on this thread's own connection. The answer acknowledges the
 * highest seq of the batch and carries the tiers and households that changed
 * in the device's villages since its cursor. */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mbedtls/sha256.h>

#include "console.h"
#include "platform/platform.h"
#include "proto/hearth.pb-c.h"
#include "sync/i18n.h"
#include "sync/pki.h"
#include "sync/wire.h"

#define LOCK_WAIT_MS 10000
#define BUSY_RETRY_S 5
#define ENROLL_CODE_MAX 32

_Static_assert(HH_WIRE_BATCH_CHANGES_MAX <= HH_SYNC_CHANGES_MAX,
               "the batch a collector asks for is one it takes");

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

/* The write connection, or NULL with a 503 answer when it stays busy. */
static hh_cstore *lock(hh_api *api, hh_response *resp)
{
    hh_cstore *store = hh_service_lock(api->service, LOCK_WAIT_MS);

    if (!store) {
        text_reply(resp, 503, "the collector is busy; retry later");
        resp->retry_after_s = BUSY_RETRY_S;
    }
    return store;
}

/* ---- enrolment ---------------------------------------------------------------------- */

static void worker_free(void *arg);

hh_err hh_api_init(hh_api *api, unsigned failures_per_address, unsigned attempts_total,
                   uint64_t window_ms)
{
    memset(api, 0, sizeof *api);
    hh_metrics_init(&api->metrics);
    if (pthread_key_create(&api->worker, worker_free) != 0)
        return HH_ENOMEM;
    hh_limiter_init(&api->enrolments, failures_per_address, attempts_total, window_ms);
    return HH_OK;
}

void hh_api_free(hh_api *api)
{
    hh_limiter_free(&api->enrolments);
    pthread_key_delete(api->worker);
}

/* A refused enrolment: counted against the address, audited, answered. */
static void enroll_refused(hh_api *api, const hh_request *req, hh_response *resp, int status,
                           const char *why)
{
    char detail[160];
    hh_cstore *store;

    hh_limiter_failed(&api->enrolments, req->client_addr, hh_platform_wall_ms());
    snprintf(detail, sizeof detail, "enrolment refused from %s: %s",
             req->client_addr[0] ? req->client_addr : "an unknown address", why);
    if ((store = lock(api, resp))) {
        hh_cstore_audit(store, "enrol_refused", NULL, detail);
        hh_service_unlock(api->service);
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
    hh_cstore *store;
    hh_buf cert;
    uint8_t id_key[HH_ID_KEY_LEN];
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
    if (!(store = lock(api, resp)))
        goto cleanup;
    ret = hh_cstore_begin(store);
    if (ret == HH_OK)
        ret = hh_cstore_code_redeem(store, in->code, device_id, sha, hh_platform_wall_ms(), &dev);
    if (ret == HH_OK)
        ret = hh_cstore_audit(store, "enrol", device_id, "device enrolled");
    /* A wrong code is counted against the code it names: keep that count. */
    if (ret == HH_OK || ret == HH_ENOTFOUND) {
        hh_err commit = hh_cstore_commit(store);
        if (commit != HH_OK)
            ret = commit;
    } else {
        hh_cstore_rollback(store);
    }
    if (ret == HH_OK && !(rule_text = malloc(HH_RULEBOOK_TEXT_MAX + 1)))
        ret = HH_ENOMEM;
    if (ret == HH_OK)
        ret = hh_cstore_rulebook(store, &rules, rule_text, HH_RULEBOOK_TEXT_MAX + 1);
    if (ret == HH_OK && hh_cstore_id_key(store, id_key) == HH_OK) {
        out.has_id_key = 1;
        out.id_key.data = id_key;
        out.id_key.len = sizeof id_key;
    }
    hh_service_unlock(api->service);
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
    explicit_bzero(id_key, sizeof id_key);
    free(rule_text);
    hh_buf_free(&cert);
    if (in)
        hearth__v1__enroll_request__free_unpacked(in, NULL);
}

/* ---- sync ----------------------------------------------------------------------------- */

/* What each server thread keeps between requests: its own read connection for
 * pulls and the scratch of one request, allocated once. */
typedef struct worker {
    hh_cstore *reader;
    hh_pull *pull;
    Hearth__V1__Rejection rejections[HH_SYNC_CHANGES_MAX];
    Hearth__V1__Rejection *rejection_ptrs[HH_SYNC_CHANGES_MAX];
    char details[HH_SYNC_CHANGES_MAX][HH_REJECT_DETAIL_MAX];
    /* protocol 2 */
    hh_buf body;                               /* the inflated request, the deflated answer */
    hh_wire_change expanded[HH_SYNC_CHANGES_MAX];
    Hearth__V1__Change *changes[HH_SYNC_CHANGES_MAX];
    uint8_t tier_keys[HH_SYNC_PULL_MAX][HH_WIRE_KEY_LEN];
    char tiers_rulebook[HH_RULEBOOK_VERSION_MAX + 1];
} worker;

static void worker_free(void *arg)
{
    worker *w = arg;

    if (!w)
        return;
    hh_cstore_close(w->reader);
    hh_pull_free(w->pull);
    hh_buf_free(&w->body);
    free(w);
}

/* This thread's worker, made on its first request; NULL when it cannot be. */
static worker *worker_get(hh_api *api)
{
    worker *w = pthread_getspecific(api->worker);
    hh_diag d;

    if (w)
        return w;
    hh_diag_clear(&d);
    if ((w = calloc(1, sizeof *w)))
        hh_buf_init(&w->body, api->max_body_bytes);
    if (!w || !(w->pull = hh_pull_new()) ||
        hh_cstore_open_reader(api->db_path, &w->reader, &d) != HH_OK ||
        pthread_setspecific(api->worker, w) != 0) {
        worker_free(w);
        return NULL;
    }
    return w;
}

static void busy(hh_response *resp, const char *message)
{
    text_reply(resp, 503, message);
    resp->retry_after_s = BUSY_RETRY_S;
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

/* Does a comma-separated header value list `token` (any case)? */
static int lists(const char *value, const char *token)
{
    size_t n = strlen(token);

    for (const char *p = value; p && *p; ) {
        p += strspn(p, " \t,");
        if (strncasecmp(p, token, n) == 0 && strchr(" \t,;", p[n] ? p[n] : ' '))
            return 1;
        p += strcspn(p, ",");
    }
    return 0;
}

/* The request body as protobuf bytes: as sent, or inflated (protocol 2) into
 * w->body no further than the body limit. NULL with the answer set when it
 * cannot be had. */
static const uint8_t *sync_body(hh_api *api, const hh_request *req, int protocol, worker *w,
                                size_t *len, hh_response *resp)
{
    const char *encoding = req->content_encoding;
    hh_err ret;

    *len = req->body_len;
    if (!encoding || strcasecmp(encoding, "identity") == 0)
        return req->body;
    if (protocol < 2 || strcasecmp(encoding, "deflate") != 0) {
        text_reply(resp, 415, protocol < 2 ? "protocol 1 bodies are not encoded"
                                           : "Content-Encoding must be deflate");
        return NULL;
    }
    if ((ret = hh_wire_inflate(req->body, req->body_len, api->max_body_bytes, &w->body)) != HH_OK) {
        if (ret == HH_ERANGE)
            text_reply(resp, 413, "the body inflates past the collector's limit");
        else if (ret == HH_ENOMEM)
            busy(resp, "out of memory; retry later");
        else
            text_reply(resp, 400, "the body is not a whole deflate (zlib) stream");
        return NULL;
    }
    *len = w->body.len;
    return (const uint8_t *)w->body.data;
}

/* The request as a push, checked, its changes in *changes (protocol 2:
 * expanded in w): NULL with the answer set when it is not one. */
static Hearth__V1__SyncRequest *sync_decode(hh_api *api, const hh_request *req, int protocol,
                                            worker *w, Hearth__V1__Change ***changes, size_t *n,
                                            hh_response *resp)
{
    Hearth__V1__SyncRequest *in;
    const uint8_t *body;
    size_t len;

    if (!req->client_verified) {
        text_reply(resp, 401, "a device certificate from this collector is required");
        return NULL;
    }
    if (!protobuf_body(req, resp) || !(body = sync_body(api, req, protocol, w, &len, resp)))
        return NULL;
    if (!(in = hearth__v1__sync_request__unpack(NULL, len, body))) {
        text_reply(resp, 400, "the body is not a SyncRequest");
        return NULL;
    }
    *changes = in->changes;
    *n = in->n_changes;
    if (in->protocol != (uint32_t)protocol || !in->device_id || strcmp(in->device_id, req->client_cn) != 0) {
        text_reply(resp, 400, protocol == 1
                                  ? "protocol 1 and the certificate's device id are required"
                                  : "protocol 2 and the certificate's device id are required");
    } else if (in->n_changes > HH_SYNC_CHANGES_MAX || in->n_compact_changes > HH_SYNC_CHANGES_MAX) {
        text_reply(resp, 413, "too many changes in one request");
    } else if (protocol == 2 && in->n_changes) {
        text_reply(resp, 400, "protocol 2 sends compact changes only");
    } else if (protocol == 2 && hh_wire_request_expand(in, w->expanded, w->changes) != HH_OK) {
        text_reply(resp, 400, "a compact change is malformed");
    } else {
        size_t i = 1;
        if (protocol == 2) {
            *changes = w->changes;
            *n = in->n_compact_changes;
        }
        while (i < *n && (*changes)[i]->has_seq && (*changes)[i]->seq > (*changes)[i - 1]->seq)
            i++;
        if (i >= *n)
            return in;
        text_reply(resp, 400, "changes must be in increasing seq order");
    }
    hearth__v1__sync_request__free_unpacked(in, NULL);
    return NULL;
}

/* Protocol 2's answer: tiers named by key, deflated when the device takes it. */
static void answer_v2(const hh_request *req, worker *w, Hearth__V1__SyncResponse *out,
                      hh_response *resp)
{
    if (hh_wire_response_compact(out, w->tier_keys, w->tiers_rulebook) != HH_OK) {
        text_reply(resp, 500, "a tier names a household badly");
        return;
    }
    pb_reply(resp, &out->base);
    if (resp->status != 200 || !lists(req->accept_encoding, "deflate"))
        return;
    if (hh_wire_deflate(resp->body.data, resp->body.len, &w->body) == HH_OK) {
        hh_buf_reset(&resp->body);
        if (hh_buf_append(&resp->body, w->body.data, w->body.len) == HH_OK)
            resp->content_encoding = "deflate";
        else
            text_reply(resp, 500, "response too large");
    }
}

/* What the device says of itself, bounded: a version of printable ASCII (else
 * "?"), ages and skews within ten years (past that the clock is nonsense and
 * the figure is clamped, not refused: the sync itself goes on). */
static void device_health(const Hearth__V1__DeviceHealth *in, uint64_t now_ms, hh_device_health *out)
{
    const int64_t ten_years_ms = 10LL * 366 * 86400 * 1000;
    const char *v;

    memset(out, 0, sizeof *out);
    if (!in)
        return;
    out->known = 1;
    out->outbox_depth = in->has_outbox_depth ? in->outbox_depth : 0;
    out->oldest_unsent_age_ms = in->has_oldest_unsent_age_ms && in->oldest_unsent_age_ms < (uint64_t)ten_years_ms
                              ? in->oldest_unsent_age_ms : in->has_oldest_unsent_age_ms ? (uint64_t)ten_years_ms : 0;
    if (in->has_clock_ms) {
        int64_t skew = (int64_t)(in->clock_ms - now_ms);
        if (in->clock_ms > now_ms + (uint64_t)ten_years_ms)
            skew = ten_years_ms;
        else if (in->clock_ms + (uint64_t)ten_years_ms < now_ms)
            skew = -ten_years_ms;
        out->clock_skew_ms = skew;
    }
    v = in->agent_version ? in->agent_version : "";
    for (size_t i = 0; v[i]; i++) {
        if (i >= HH_AGENT_VERSION_MAX || v[i] < 0x20 || v[i] > 0x7e) {
            v = "?";
            break;
        }
    }
    snprintf(out->agent_version, sizeof out->agent_version, "%s", v);
}

static void sync_request(hh_api *api, const hh_request *req, int protocol, hh_response *resp)
{
    Hearth__V1__SyncRequest *in = NULL;
    Hearth__V1__SyncResponse out = HEARTH__V1__SYNC_RESPONSE__INIT;
    Hearth__V1__Change **changes;
    hh_push push = { 0 };
    hh_pull_view pulled;
    worker *w;
    hh_device dev;
    uint8_t cursor[8];
    size_t n_changes;
    hh_err ret;

    if (!(w = worker_get(api))) {
        busy(resp, "the collector cannot serve this request now; retry later");
        return;
    }
    if (!(in = sync_decode(api, req, protocol, w, &changes, &n_changes, resp)))
        return;
    ret = hh_cstore_device_get(w->reader, req->client_cn, &dev);
    if (ret == HH_OK && dev.revoked_ms && strcmp(dev.cert_sha256, req->client_sha256) == 0) {
        /* The device itself, revoked: it is told to wipe its records (it
         * keeps its unsent changes sealed for the administrator). Nothing of
         * its batch is taken. */
        hh_cstore *store;
        out.has_protocol = out.has_wipe = 1;
        out.protocol = (uint32_t)protocol;
        out.wipe = 1;
        if ((store = lock(api, resp))) {
            hh_cstore_audit(store, "wipe", dev.id, "a revoked device was told to wipe its records");
            hh_service_unlock(api->service);
        }
        pb_reply(resp, &out.base);
        resp->retry_after_s = 0;
        snprintf(resp->log_note, sizeof resp->log_note, "revoked: told to wipe");
        goto cleanup;
    }
    if (ret != HH_OK || dev.revoked_ms || strcmp(dev.cert_sha256, req->client_sha256) != 0) {
        if (ret != HH_OK && ret != HH_ENOTFOUND)
            busy(resp, "the collector database is busy; retry later");
        else
            text_reply(resp, 401, ret == HH_OK && dev.revoked_ms
                                      ? "this device has been revoked: enrol it again"
                                      : "unknown device or superseded certificate: enrol it again");
        goto cleanup;
    }
    push.dev = &dev;
    push.changes = changes;
    push.n_changes = n_changes;
    push.rejections = w->rejections;
    push.details = w->details;
    device_health(in->health, hh_platform_wall_ms(), &push.health);
    push.pull = w->pull;
    push.ask = (hh_pull_ask){ cursor_value(in), in->rulebook_version, in->quarantined_seqs,
                              in->n_quarantined_seqs };
    switch (hh_service_push(api->service, &push, LOCK_WAIT_MS)) {
    case HH_OK:
        break;
    case HH_ECONFLICT:
        text_reply(resp, 409, "a change reuses a seq already applied with other content");
        resp->seq_high = push.seq_high;
        snprintf(resp->log_note, sizeof resp->log_note, "seq=%llu replayed with other content",
                 (unsigned long long)push.conflict_seq);
        goto cleanup;
    case HH_EBUSY:
        busy(resp, "the collector is busy; retry later");
        goto cleanup;
    default:
        busy(resp, "the collector could not store the batch; retry later");
        goto cleanup;
    }
    hh_metrics_changes(&api->metrics, push.n_changes - push.n_rejections, push.n_rejections);
    hh_platform_fault_point("collector-before-reply");
    if (!push.pulled && hh_service_pull(w->reader, &dev, &push.ask, w->pull) != HH_OK) {
        busy(resp, "the collector cannot read its tiers now; retry later");
        goto cleanup;
    }
    hh_pull_view_get(w->pull, &pulled);
    for (size_t i = 0; i < push.n_rejections; i++)
        w->rejection_ptrs[i] = &w->rejections[i];
    for (int i = 0; i < 8; i++)
        cursor[i] = (uint8_t)(pulled.cursor >> (56 - 8 * i));
    out.has_protocol = out.has_acked_seq = out.has_cursor = out.has_more = out.has_server_hlc = 1;
    out.protocol = (uint32_t)protocol;
    out.acked_seq = push.acked_seq;
    out.n_rejections = push.n_rejections;
    out.rejections = w->rejection_ptrs;
    out.n_tiers = pulled.n_tiers;
    out.tiers = pulled.tiers;
    out.n_households = pulled.n_households;
    out.households = pulled.households;
    out.cursor.data = cursor;
    out.cursor.len = sizeof cursor;
    out.more = pulled.more;
    out.rulebook = pulled.rulebook;
    out.n_quarantine_results = pulled.n_results;
    out.quarantine_results = pulled.results;
    out.n_visits = pulled.n_visits;
    out.visits = pulled.visits;
    if (hh_service_tick(api->service, &out.server_hlc) != HH_OK)
        out.has_server_hlc = 0;
    /* The next batch's size, from the devices syncing now: the connections
     * open (a device keeps its own open through a sync; the server's threads
     * bound how many pushes the service itself sees waiting), or the pushes
     * of this commit and those queued for the next, if more. */
    {
        size_t pushing = push.group + hh_service_queued(api->service);
        out.has_batch_changes = 1;
        out.batch_changes = hh_wire_batch_hint(req->connections > pushing ? req->connections : pushing);
    }
    if (protocol == 2)
        answer_v2(req, w, &out, resp);
    else
        pb_reply(resp, &out.base);
    snprintf(resp->log_note, sizeof resp->log_note,
             "v%d changes=%zu rejected=%zu pulled=%zu+%zu+%zu group=%zu next=%u", protocol, n_changes,
             push.n_rejections, pulled.n_tiers, pulled.n_households, pulled.n_visits, push.group,
             (unsigned)out.batch_changes);
cleanup:
    hearth__v1__sync_request__free_unpacked(in, NULL);
}

static void route(hh_api *api, const hh_request *req, hh_response *resp)
{
    int get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;

    if (strcmp(req->path, "/v1/health") == 0 && get) {
        text_reply(resp, 200, "ok");
    } else if (strcmp(req->path, "/v1/ca") == 0 && get) {
        text_reply(resp, 200, api->ca_pem);
        resp->content_type = "application/x-pem-file";
    } else if (strcmp(req->path, "/v1/enroll") == 0 && post) {
        enroll(api, req, resp);
    } else if (strcmp(req->path, "/v1/sync") == 0 && post) {
        sync_request(api, req, 1, resp);
    } else if (strcmp(req->path, "/v2/sync") == 0 && post) {
        sync_request(api, req, 2, resp);
    } else if (strcmp(req->path, "/v1/health") == 0 || strcmp(req->path, "/v1/ca") == 0 ||
               strcmp(req->path, "/v1/enroll") == 0 || strcmp(req->path, "/v1/sync") == 0 ||
               strcmp(req->path, "/v2/sync") == 0) {
        text_reply(resp, 405, "method not allowed");
    } else if (api->console && hh_console_path(req->path)) {
        worker *w = worker_get(api);
        if (w)
            hh_console_handle(api->console, w->reader, req, resp);
        else
            busy(resp, "the collector cannot read its records now; retry later");
    } else {
        text_reply(resp, 404, "not found");
    }
}

void hh_api_handle(void *ctx, const hh_request *req, hh_response *resp)
{
    hh_api *api = ctx;
    uint64_t start = hh_platform_monotonic_ns();

    /* The protocol speaks English (a refusal's detail is stored, and shown by
     * the device as it came); the console chooses its page's language itself. */
    hh_i18n_use(0);
    route(api, req, resp);
    hh_metrics_request(&api->metrics, req->path, resp->status, hh_platform_monotonic_ns() - start);
}
