/* agent/cmd_sync.c — `hearth enroll` and `hearth sync`.
 *
 * Enrolment: the device makes its own key (it never leaves the device), fetches
 * the collector's CA over an unverified connection and accepts it only if its
 * key matches the pin the administrator gave; then, now verifying the server
 * against that CA, sends a certificate request with the one-time code. Only
 * after the collector answers are the key, the CA and the certificate written
 * (beside the database, in DB.keys/, mode 0600 for the key) and the enrolment
 * recorded: a refused code leaves the device as it was.
 *
 * Sync: outbox batches (32 changes first, then as many as each answer asks for,
 * sync/wire.h) in order over one kept-alive mutual-TLS
 * connection until the outbox is empty, then pulls until the collector has no
 * more. An acknowledgement is stored in its own transaction, pulled tiers with
 * their cursor in another. Transient failures are retried with exponential
 * backoff and jitter (honouring Retry-After); trust failures and revocation are
 * not retried. */
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "answer.h"
#include "commands.h"
#include "sync/i18n.h"
#include "model/hlc.h"
#include "model/validate.h"
#include "proto/hearth.pb-c.h"
#include "sync/client.h"
#include "sync/codec.h"
#include "sync/pki.h"
#include "sync/wire.h"

#define QUARANTINE_ASK_MAX 64     /* refused changes asked about per request */
#define RESPONSE_BYTES_MAX (4u * 1024 * 1024)
#define ROUNDS_MAX        100000   /* a bound on one sync's requests */

static void key_path(const cli *c, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s.keys/%s", agent_db_path(c), name);
}

static int sync_fail(hh_err err, const char *what, const char *message)
{
    static const char *const advice[] = {
        [HH_ENET] = "no connection to the collector: try again when there is signal",
        [HH_ETIMEOUT] = "the collector did not answer in time: try again later",
        [HH_ETLS] = "the collector's identity could not be verified: check the URL and "
                    "the CA pin with the administrator; nothing was sent",
        [HH_EREVOKED] = "the collector does not accept this device: it may have been revoked; "
                        "ask for a new enrolment code",
        [HH_EBUSY] = "the collector is busy: try again later",
        [HH_ECONFLICT] = "the collector holds different content for a change already sent: "
                         "report this to the administrator",
        [HH_EPROTO] = "the collector's answer was not understood",
        [HH_ECLOCK] = "set this device's date and time, then sync again; nothing was lost, "
                      "every change waits in the outbox",
    };
    const char *hint = (size_t)err < sizeof advice / sizeof advice[0] && advice[err] ? advice[err] : NULL;

    fprintf(stderr, _("hearth: %s: %s\n"), what, message && message[0] ? message : hh_strerror(err));
    if (hint)
        fprintf(stderr, _("hearth: %s\n"), hint);
    return cli_exit_status(err);
}

/* ---- enroll ---------------------------------------------------------------------------- */

static int pin_ok(const char *pin)
{
    return strlen(pin) == HH_PKI_PIN_LEN && strncmp(pin, "sha256//", 8) == 0;
}

static int run_enroll(cli *c)
{
    const char *url = cli_get(c, "server"), *code = cli_get(c, "code"), *pin = cli_get(c, "ca-pin");
    Hearth__V1__EnrollRequest req = HEARTH__V1__ENROLL_REQUEST__INIT;
    Hearth__V1__EnrollResponse *resp = NULL;
    hh_client_config cfg = { url, NULL, NULL, NULL, 10000, 60000 };
    hh_client *client = NULL;
    hh_sync_state state;
    hh_buf key, csr, ca, body, answer;
    char message[300], got_pin[HH_PKI_PIN_LEN + 1], path[HH_PATH_MAX + 32] = "";
    char villages[HH_DEVICE_VILLAGES_MAX + 1];
    char cn[HH_PKI_CN_MAX + 1];
    char joined_url[HH_ENROL_STRING_MAX + 1], joined_code[HH_ENROL_CODE_LEN + 1];
    char short_pin[HH_PKI_SHORT_PIN_LEN + 1], got_short[HH_PKI_SHORT_PIN_LEN + 1];
    unsigned retry;
    hh_diag d;
    hh_err ret;
    int rc = HH_EXIT_OK;

    hh_diag_clear(&d);
    if (c->nargs == 1) {
        /* The short string: hearth://HOST:PORT/CODE/PIN. */
        if (url || code || pin)
            return cli_usage(c, "give the enrolment string, or --server, --code and --ca-pin; not both");
        if ((ret = hh_pki_enrol_parse(c->args[0], joined_url, joined_code, short_pin, &d)) != HH_OK)
            return cli_fail(HH_EINVAL, &d, "not an enrolment string");
        url = joined_url;
        code = joined_code;
    } else if (!url || !code || !pin) {
        return cli_usage(c, "give the enrolment string (hearth://…), or --server, --code and --ca-pin");
    }
    if (strncmp(url, "https://", 8) != 0 || strlen(url) > HH_SERVER_URL_MAX)
        return cli_usage(c, "--server must be an https:// URL of at most %d characters", HH_SERVER_URL_MAX);
    if (pin && !pin_ok(pin))
        return cli_usage(c, "--ca-pin must look like sha256//<44 base64 characters>");
    cfg.base_url = url;
    if (strlen(code) == 0 || strlen(code) > 32)
        return cli_usage(c, "--code is the one-time code the administrator gave (at most 32 characters)");
    if ((ret = hh_store_sync_state(agent_store(c), &state)) != HH_OK)
        return cli_fail(ret, NULL, "cannot read the device state");
    if (state.enrolled && !cli_has(c, "again"))
        return cli_fail(HH_EEXIST, NULL, "this device is enrolled with %s already (use --again to "
                        "enrol it afresh)", state.server_url);
    hh_buf_init(&key, HH_PKI_PEM_MAX);
    hh_buf_init(&csr, HH_PKI_PEM_MAX);
    hh_buf_init(&ca, HH_PKI_PEM_MAX);
    hh_buf_init(&body, 64 * 1024);
    hh_buf_init(&answer, RESPONSE_BYTES_MAX);
    if ((ret = hh_pki_key_new(&key)) != HH_OK || (ret = hh_pki_csr_new(key.data, state.device_id, &csr)) != HH_OK) {
        rc = cli_fail(ret, NULL, "cannot make the device key");
        goto cleanup;
    }
    /* 1. The CA, checked against the pin before anything is sent. */
    if ((ret = hh_client_new(&cfg, &client)) != HH_OK) {
        rc = cli_fail(ret, NULL, "bad --server URL");
        goto cleanup;
    }
    ret = hh_client_request(client, "GET", "/v1/ca", NULL, 0, &ca, &retry, message, sizeof message);
    hh_client_free(client);
    client = NULL;
    if (ret != HH_OK) {
        rc = sync_fail(ret, "enrolment", message);
        goto cleanup;
    }
    if (hh_pki_pin(ca.data, ca.len, got_pin) != HH_OK ||
        (pin ? strcmp(got_pin, pin) != 0
             : hh_pki_short_pin(got_pin, got_short) != HH_OK || strcmp(got_short, short_pin) != 0)) {
        rc = sync_fail(HH_ETLS, "enrolment", pin ? "the collector's CA does not match --ca-pin"
                                                 : "the collector's CA does not match the enrolment string's pin");
        goto cleanup;
    }
    /* The CA goes to a temporary name until the enrolment succeeds. */
    key_path(c, "ca.crt.new", path, sizeof path);
    if (hh_platform_mkdirs_for(path, 0700) != HH_OK ||
        hh_platform_write_file_durable(path, ca.data, ca.len, 0644) != HH_OK) {
        rc = cli_fail(HH_EIO, NULL, "cannot write %s", path);
        goto cleanup;
    }
    /* 2. The request, to a server now verified against that CA. */
    cfg.ca_file = path;
    req.code = (char *)code;
    req.has_csr_pem = 1;
    req.csr_pem.data = (uint8_t *)csr.data;
    req.csr_pem.len = csr.len;
    req.agent_version = "hearth 0.1.0";
    {
        void *where;
        size_t size = hearth__v1__enroll_request__get_packed_size(&req);
        if (hh_buf_extend(&body, size, &where) != HH_OK) {
            rc = cli_fail(HH_ERANGE, NULL, "enrolment request too large");
            goto cleanup;
        }
        hearth__v1__enroll_request__pack(&req, where);
    }
    if ((ret = hh_client_new(&cfg, &client)) == HH_OK)
        ret = hh_client_request(client, "POST", "/v1/enroll", body.data, body.len, &answer, &retry,
                                message, sizeof message);
    if (ret != HH_OK) {
        rc = sync_fail(ret == HH_EREVOKED ? HH_EINVAL : ret, "enrolment refused", message);
        goto cleanup;
    }
    /* The collector decides the device's identity: the certificate must name the
     * id its answer gives, and the device takes that id. */
    resp = hearth__v1__enroll_response__unpack(NULL, answer.len, (const uint8_t *)answer.data);
    if (!resp || !resp->device_id || hh_validate_uuid(resp->device_id, NULL) != HH_OK ||
        !resp->has_certificate_pem || resp->certificate_pem.len > HH_PKI_PEM_MAX || !resp->rulebook ||
        !resp->rulebook->text || !resp->officer || resp->n_villages == 0 || resp->n_villages > 64 ||
        hh_pki_cert_cn((const char *)resp->certificate_pem.data, resp->certificate_pem.len, cn) != HH_OK ||
        strcmp(cn, resp->device_id) != 0) {
        rc = sync_fail(HH_EPROTO, "enrolment", "the collector's answer is not a certificate for this device");
        goto cleanup;
    }
    if (resp->has_id_key && resp->id_key.len != HH_ID_KEY_LEN) {
        rc = sync_fail(HH_EPROTO, "enrolment", "the collector sent an ID-number key that is not 32 bytes");
        goto cleanup;
    }
    villages[0] = '\0';
    for (size_t i = 0; i < resp->n_villages; i++) {
        if (!resp->villages[i] || hh_validate_village_code(resp->villages[i], NULL) != HH_OK) {
            rc = sync_fail(HH_EPROTO, "enrolment", "the collector sent a bad village code");
            goto cleanup;
        }
        snprintf(villages + strlen(villages), sizeof villages - strlen(villages), "%s%s", i ? "," : "",
                 resp->villages[i]);
    }
    /* 3. Only now: the key, the certificate and the CA in place, then the state. */
    {
        char final_path[HH_PATH_MAX + 32];
        key_path(c, "device.key", final_path, sizeof final_path);
        if (hh_platform_write_file_durable(final_path, key.data, key.len, 0600) != HH_OK)
            goto write_failed;
        key_path(c, "device.crt", final_path, sizeof final_path);
        if (hh_platform_write_file_durable(final_path, resp->certificate_pem.data,
                                           resp->certificate_pem.len, 0644) != HH_OK)
            goto write_failed;
        key_path(c, "ca.crt", final_path, sizeof final_path);
        if (hh_platform_write_file_durable(final_path, ca.data, ca.len, 0644) != HH_OK)
            goto write_failed;
        hh_platform_remove(path);
    }
    if ((ret = hh_store_enrolled(agent_store(c), resp->device_id, url, villages, resp->officer,
                                 resp->rulebook->text, &d)) != HH_OK) {
        rc = cli_fail(ret, &d, "enrolled, but the device database could not record it");
        goto cleanup;
    }
    /* The county's key for the keyed hash of ID numbers (an older collector
     * sends none: ID numbers are then compared as they are). */
    if (resp->has_id_key && (ret = hh_store_set_id_key(agent_store(c), resp->id_key.data)) != HH_OK) {
        rc = cli_fail(ret, NULL, "enrolled, but the ID-number key could not be kept");
        goto cleanup;
    }
    printf(_("enrolled %s with %s\nofficer   %s\nvillages  %s\nrulebook  %s\n"), resp->device_id, url,
           resp->officer, villages, resp->rulebook->version ? resp->rulebook->version : "?");
    goto cleanup;
write_failed:
    rc = cli_fail(HH_EIO, NULL, "cannot write the device's key and certificate beside %s", agent_db_path(c));
cleanup:
    if (rc != HH_EXIT_OK && path[0])
        hh_platform_remove(path);   /* a refused enrolment leaves nothing behind */
    if (resp)
        hearth__v1__enroll_response__free_unpacked(resp, NULL);
    hh_client_free(client);
    hh_buf_free_secret(&key);
    hh_buf_free(&csr);
    hh_buf_free(&ca);
    hh_buf_free(&body);
    hh_buf_free(&answer);
    return rc;
}

/* ---- sync ------------------------------------------------------------------------------- */

typedef struct sync_totals {
    uint32_t protocol;        /* the newest protocol to speak (1 after a collector said 404 to 2) */
    size_t batch;             /* the most changes the next request carries */
    size_t sent, acked, quarantined, pulled, households, history, skipped;
    int has_skew;
    char rulebook_refused[200];  /* why the collector's rulebook was not taken, or "" */
    int64_t skew_ms;          /* this device's clock minus the collector's, last answer */
} sync_totals;

/* Acknowledged changes stay in the outbox listing this long, by default. */
#define KEEP_ACKED_DAYS 30

/* A clock further than this from the collector's is reported after a sync. */
#define SKEW_REPORT_MS (2 * 60 * 1000)
/* A TLS failure with a clock further off than this is a clock problem. */
#define SKEW_TLS_MS (24 * 3600 * 1000LL)

/* "1 h 5 min", "3 d 2 h", "40 s": an amount of time for the officer. */
static void span_text(int64_t ms, char *out, size_t cap)
{
    int64_t s = (ms < 0 ? -ms : ms) / 1000;

    if (s >= 2 * 86400)
        snprintf(out, cap, "%lld d %lld h", (long long)(s / 86400), (long long)(s % 86400 / 3600));
    else if (s >= 3600)
        snprintf(out, cap, "%lld h %lld min", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else if (s >= 60)
        snprintf(out, cap, "%lld min %lld s", (long long)(s / 60), (long long)(s % 60));
    else
        snprintf(out, cap, "%lld s", (long long)s);
}

/* Say how far this device's clock is from the collector's, with both times. */
static void report_skew(int64_t skew_ms, int64_t collector_s)
{
    char span[32], mine[21], theirs[21];

    span_text(skew_ms, span, sizeof span);
    hh_platform_utc_format((int64_t)(hh_platform_wall_ms() / 1000), mine);
    hh_platform_utc_format(collector_s, theirs);
    fprintf(stderr, _("hearth: this device's clock is %s %s the collector's (device %s, collector %s)\n"),
            span, skew_ms > 0 ? "ahead of" : "behind", mine, theirs);
}

/* After a trust failure: is it this device's clock? Asks the collector for the
 * time without verifying it (GET /v1/health sends nothing of the device's) and
 * compares. HH_ECLOCK (reported) if the clocks are more than a day apart, else
 * HH_ETLS: the trust failure stands. */
static hh_err trust_or_clock(const char *url)
{
    hh_client_config cfg = { url, NULL, NULL, NULL, 10000, 20000 };
    hh_client *probe = NULL;
    hh_buf answer;
    char message[200];
    unsigned retry;
    int64_t collector_s = 0, skew_ms;

    hh_buf_init(&answer, 4096);
    if (hh_client_new(&cfg, &probe) == HH_OK &&
        hh_client_request(probe, "GET", "/v1/health", NULL, 0, &answer, &retry, message,
                          sizeof message) == HH_OK)
        collector_s = hh_client_stats_get(probe)->server_date_s;
    hh_client_free(probe);
    hh_buf_free(&answer);
    if (collector_s <= 0)
        return HH_ETLS;
    skew_ms = (int64_t)hh_platform_wall_ms() - collector_s * 1000;
    if (skew_ms < SKEW_TLS_MS && skew_ms > -SKEW_TLS_MS)
        return HH_ETLS;
    report_skew(skew_ms, collector_s);
    fprintf(stderr, _("hearth: the collector's certificate cannot be checked with this clock "
                    "(if the date and time are right, this is a trust failure: check the URL "
                    "and the CA pin with the administrator)\n"));
    return HH_ECLOCK;
}

/* Sleep with exponential backoff and jitter, or for the server's Retry-After. */
static void back_off(int attempt, unsigned retry_after_s)
{
    uint64_t ms;
    uint32_t jitter = 0;

    if (retry_after_s) {
        ms = (uint64_t)retry_after_s * 1000;
    } else {
        ms = 1000u << (attempt < 6 ? attempt : 6);     /* 1, 2, 4 … 64 s */
        hh_platform_random(&jitter, sizeof jitter);
        ms = ms / 2 + jitter % (ms / 2 + 1);            /* 50-100 % of it */
    }
    fprintf(stderr, _("hearth: retrying in %.1f s\n"), ms / 1000.0);
    hh_platform_sleep_ms(ms);
}

/* One request: the pending batch (maybe empty) and the pull. */

static hh_err sync_round(cli *c, hh_client *client, const hh_sync_state *st, sync_totals *t,
                         int *more, unsigned *retry_after, char *message, size_t cap)
{
    Hearth__V1__SyncRequest req = HEARTH__V1__SYNC_REQUEST__INIT;
    Hearth__V1__DeviceHealth health = HEARTH__V1__DEVICE_HEALTH__INIT;
    hh_answer got_answer = { 0 };
    hh_store *store = agent_store(c);
    int64_t pending = 0;
    uint64_t oldest_pending_ms = 0;
    uint64_t waiting[QUARANTINE_ASK_MAX];
    hh_buf body, compact, answer;
    uint8_t cursor[8];
    size_t count = 0, acked = 0, quarantined = 0;
    uint32_t protocol = HH_WIRE_PROTOCOL;
    hh_pull_result got;
    uint64_t last_seq = 0;
    hh_diag d;
    hh_err ret;

    hh_diag_clear(&d);
    hh_buf_init(&body, HH_WIRE_BATCH_BYTES_MAX + 64 * 1024);
    hh_buf_init(&compact, HH_WIRE_BATCH_BYTES_MAX + 64 * 1024);
    hh_buf_init(&answer, RESPONSE_BYTES_MAX);
    if ((ret = hh_store_outbox_health(store, &pending, &oldest_pending_ms)) != HH_OK)
        goto cleanup;
    for (int i = 0; i < 8; i++)
        cursor[i] = (uint8_t)(st->cursor >> (56 - 8 * i));
    req.has_protocol = 1;
    req.protocol = 1;
    req.device_id = (char *)st->device_id;
    req.has_pull_cursor = 1;
    req.pull_cursor.data = cursor;
    req.pull_cursor.len = sizeof cursor;
    req.rulebook_version = (char *)hh_store_rulebook(store)->version;
    /* Refused changes still waiting: the collector says what reviewers decided. */
    if ((ret = hh_store_quarantine_waiting(store, waiting, QUARANTINE_ASK_MAX, &req.n_quarantined_seqs)) != HH_OK)
        goto cleanup;
    req.quarantined_seqs = waiting;
    health.has_outbox_depth = health.has_oldest_unsent_age_ms = health.has_clock_ms = 1;
    health.outbox_depth = (uint32_t)pending;
    health.oldest_unsent_age_ms = oldest_pending_ms ? hh_platform_wall_ms() - oldest_pending_ms : 0;
    health.clock_ms = hh_platform_wall_ms();
    health.agent_version = "hearth 0.1.0";
    req.health = &health;
    {
        void *where;
        size_t size = hearth__v1__sync_request__get_packed_size(&req);
        if ((ret = hh_buf_extend(&body, size, &where)) != HH_OK)
            goto cleanup;
        hearth__v1__sync_request__pack(&req, where);
    }
    /* The changes go out as the bytes the outbox holds: appended as field 3. */
    if ((ret = hh_store_outbox_frame(store, HH_WIRE_BATCH_BYTES_MAX, t->batch, &body, &count,
                                     &last_seq)) != HH_OK)
        goto cleanup;
    /* Protocol 2 (sync/wire.h) when the batch compacts exactly and the
     * collector speaks it; else protocol 1, which carries anything. */
    if (t->protocol < HH_WIRE_PROTOCOL ||
        hh_wire_request_compact((const uint8_t *)body.data, body.len, &compact) != HH_OK)
        protocol = 1;
    hh_client_set_deflate(client, protocol == HH_WIRE_PROTOCOL);
    if (protocol == HH_WIRE_PROTOCOL)
        ret = hh_client_request(client, "POST", "/v2/sync", compact.data, compact.len, &answer,
                                retry_after, message, cap);
    if (protocol == 1 || (ret == HH_EPROTO && hh_client_stats_get(client)->status == 404)) {
        /* A collector from before protocol 2 answers 404: it gets protocol 1. */
        protocol = t->protocol = 1;
        hh_client_set_deflate(client, 0);
        ret = hh_client_request(client, "POST", "/v1/sync", body.data, body.len, &answer,
                                retry_after, message, cap);
    }
    if (ret != HH_OK)
        goto cleanup;
    if ((ret = hh_answer_read((const uint8_t *)answer.data, answer.len, protocol, count, last_seq,
                              st->cursor, &got_answer, message, cap)) != HH_OK)
        goto cleanup;
    if (got_answer.wipe) {
        /* Revoked: the records go, the unsent changes stay sealed for the
         * administrator. Nothing more is asked of the collector. */
        ret = agent_wipe(c, message, cap);
        goto cleanup;
    }
    t->batch = hh_wire_batch_next(got_answer.msg);
    hh_platform_fault_point("sync-before-ack");
    /* 1. The acknowledgement, on its own. */
    if (count && (ret = hh_store_outbox_ack(store, got_answer.msg->acked_seq, got_answer.rejected,
                                            got_answer.n_rejected, &acked, &quarantined)) != HH_OK)
        goto cleanup;
    hh_platform_fault_point("sync-before-pull");
    /* 2. What was pulled, with its cursor. */
    if (got_answer.msg->has_server_hlc) {
        t->has_skew = 1;
        t->skew_ms = (int64_t)hh_platform_wall_ms() - (int64_t)HH_HLC_MS(got_answer.msg->server_hlc);
    }
    if ((ret = hh_store_apply_pull(store, &got_answer.pull, &got, &d)) != HH_OK) {
        if (snprintf(message, cap, "cannot store what was pulled: %s", d.message[0] ? d.message
                     : hh_strerror(ret)) < 0)
            message[0] = '\0';
        goto cleanup;
    }
    t->sent += count;
    t->acked += acked;
    t->quarantined += quarantined;
    t->pulled += got.tiers;
    t->households += got.households;
    t->history += got.visits;
    t->skipped += got.tiers_skipped + got.households_skipped;
    if (got.rulebook_refused)
        snprintf(t->rulebook_refused, sizeof t->rulebook_refused, "%s", got.rulebook_reason);
    *more = got_answer.msg->more || count > 0;
cleanup:
    hh_answer_free(&got_answer);
    hh_buf_free(&body);
    hh_buf_free(&compact);
    hh_buf_free(&answer);
    return ret;
}

static int run_sync(cli *c)
{
    char ca[HH_PATH_MAX + 32], cert[HH_PATH_MAX + 32], key[HH_PATH_MAX + 32], message[300] = "";
    hh_client_config cfg = { NULL, ca, cert, key, 15000, 120000 };
    hh_client *client = NULL;
    hh_sync_state st;
    sync_totals t = { HH_WIRE_PROTOCOL, HH_WIRE_BATCH_FIRST };
    int64_t retries = 3, protocol = HH_WIRE_PROTOCOL, keep_days = KEEP_ACKED_DAYS;
    int progress = hh_platform_isatty(2) && !cli_has(c, "quiet"), attempt = 0, more = 1, rounds = 0;
    int new_epoch = 0;
    unsigned retry_after = 0;
    hh_diag d;
    hh_err ret;

    /* Every batch unpacks, compacts and packs the same sizes again. */
    hh_platform_keep_heap();
    hh_diag_clear(&d);
    if (cli_has(c, "retries") &&
        (ret = cli_parse_int("--retries", cli_get(c, "retries"), 0, 20, &retries, &d)) != HH_OK)
        return cli_fail(ret, &d, "--retries");
    if (cli_has(c, "protocol") &&
        (ret = cli_parse_int("--protocol", cli_get(c, "protocol"), 1, HH_WIRE_PROTOCOL, &protocol,
                             &d)) != HH_OK)
        return cli_fail(ret, &d, "--protocol");
    t.protocol = (uint32_t)protocol;
    if (cli_has(c, "keep-acked") &&
        (ret = cli_parse_int("--keep-acked", cli_get(c, "keep-acked"), 0, 3650, &keep_days, &d)) != HH_OK)
        return cli_fail(ret, &d, "--keep-acked");
    if ((ret = hh_store_sync_state(agent_store(c), &st)) != HH_OK)
        return cli_fail(ret, NULL, "cannot read the device state");
    if (!st.enrolled)
        return cli_fail(HH_EREVOKED, NULL, "this device is not enrolled: run `hearth enroll` first");
    key_path(c, "ca.crt", ca, sizeof ca);
    key_path(c, "device.crt", cert, sizeof cert);
    key_path(c, "device.key", key, sizeof key);
    cfg.base_url = st.server_url;
    if ((ret = hh_client_new(&cfg, &client)) != HH_OK)
        return cli_fail(ret, NULL, "cannot set up the connection to %s", st.server_url);
    while (more && rounds < ROUNDS_MAX) {
        more = 0;
        ret = sync_round(c, client, &st, &t, &more, &retry_after, message, sizeof message);
        if (ret == HH_ENET || ret == HH_ETIMEOUT || ret == HH_EBUSY) {
            if (attempt >= retries)
                break;
            fprintf(stderr, _("hearth: sync: %s\n"), message[0] ? message : hh_strerror(ret));
            back_off(attempt++, retry_after);
            more = 1;
            continue;
        }
        if (ret == HH_ECONFLICT && !new_epoch && hh_client_stats_get(client)->seq_high) {
            /* The collector holds some of our seqs with other content: this
             * database was restored from a backup, or copied. A new epoch
             * re-sends every unsent change above what the collector holds. */
            uint64_t high = hh_client_stats_get(client)->seq_high;
            size_t moved = 0;
            new_epoch = 1;
            if ((ret = hh_store_new_epoch(agent_store(c), high, &moved)) != HH_OK) {
                snprintf(message, sizeof message, "cannot start a new device epoch: %s", hh_strerror(ret));
                break;
            }
            fprintf(stderr, _("hearth: the collector holds this device's change numbers up to %llu with "
                            "other content (restored from a backup?): new epoch %u, %zu unsent "
                            "change%s sent again under new numbers\n"), (unsigned long long)high,
                    hh_store_epoch(agent_store(c)), moved, moved == 1 ? "" : "s");
            more = 1;
            continue;
        }
        if (ret != HH_OK)
            break;
        attempt = 0;
        rounds++;
        if ((ret = hh_store_sync_state(agent_store(c), &st)) != HH_OK)
            break;
        if (progress) {
            fputc('\r', stderr);   /* the progress line overwrites itself */
            fprintf(stderr, _("sync: %zu sent, %zu acknowledged, %zu pulled"), t.sent, t.acked, t.pulled);
        }
    }
    if (progress)
        fputc('\n', stderr);
    {
        const hh_client_stats *stats = hh_client_stats_get(client);
        printf(_("sync: %zu sent, %zu acknowledged, %zu quarantined, %zu pulled (%zu households); "
               "%llu requests, %llu bytes up, %llu bytes down"), t.sent, t.acked, t.quarantined,
               t.pulled, t.households,
               (unsigned long long)stats->requests, (unsigned long long)stats->bytes_up,
               (unsigned long long)stats->bytes_down);
        if (t.history)
            printf(_("; %zu earlier visits pulled"), t.history);
        if (t.has_skew)
            printf(_("; clock %+lld s against the collector"), (long long)(t.skew_ms / 1000));
        putchar('\n');
    }
    hh_client_free(client);
    if (t.has_skew && (t.skew_ms > SKEW_REPORT_MS || t.skew_ms < -SKEW_REPORT_MS)) {
        report_skew(t.skew_ms, (int64_t)(hh_platform_wall_ms() / 1000) - t.skew_ms / 1000);
        fprintf(stderr, _("hearth: set this device's date and time; what it recorded is kept, and "
                        "the collector orders it by its own clock\n"));
    }
    if (t.rulebook_refused[0])
        fprintf(stderr, _("hearth: the collector's rulebook cannot be read by this hearth (%s): "
                        "provisional tiers here keep rulebook %s; update hearth\n"),
                t.rulebook_refused, hh_store_rulebook(agent_store(c))->version);
    if (ret == HH_ETLS)
        ret = trust_or_clock(st.server_url);
    if (ret != HH_OK)
        return sync_fail(ret, "sync stopped", message);
    {
        /* What the collector acknowledged long enough ago is forgotten (its
         * records stay), and the WAL is folded into the database file. */
        int64_t pruned = 0;
        uint64_t keep_ms = (uint64_t)keep_days * 24 * 3600 * 1000, now = hh_platform_wall_ms();
        if (hh_store_outbox_prune(agent_store(c), now > keep_ms ? now - keep_ms : 0, &pruned) != HH_OK ||
            hh_store_checkpoint(agent_store(c)) != HH_OK)
            fprintf(stderr, _("hearth: sync: could not tidy the outbox now (nothing is lost; the next "
                            "sync tries again)\n"));
    }
    if (t.quarantined) {
        /* Everything else is synced; these wait on the device, kept, until
         * a reviewer accepts them or the officer records them again. */
        fprintf(stderr, _("hearth: %zu change%s refused by the collector and kept on this device.\n"
                        "  See why: hearth outbox --quarantined\n"
                        "  Then correct the record and sync again, or ask the county reviewer to "
                        "accept it (hearthd quarantine accept)\n"),
                t.quarantined, t.quarantined == 1 ? " was" : "s were");
        return HH_EXIT_REFUSED;
    }
    return HH_EXIT_OK;
}

static const cli_opt enroll_opts[] = {
    { "server", "URL", N_("the collector, https://HOST:PORT"), 0 },
    { "code", "CODE", N_("the one-time enrolment code from the administrator"), 0 },
    { "ca-pin", "PIN", N_("the collector CA's pin, sha256//…, from the administrator"), 0 },
    { "again", NULL, N_("enrol afresh a device that was enrolled before"), 0 },
    { NULL, NULL, NULL, 0 }
};

static const cli_opt sync_opts[] = {
    { "retries", "N", N_("retries after a network failure or a busy collector (default 3)"), 0 },
    { "quiet", NULL, N_("no progress line, only the summary"), 0 },
    { "protocol", "N", N_("speak protocol N (1 or 2, default 2: compact, compressed)"), 0 },
    { "keep-acked", "DAYS", N_("keep acknowledged changes in the outbox listing this long "
                            "(default 30; 0: forget them once acknowledged)"), 0 },
    { NULL, NULL, NULL, 0 }
};

const cli_cmd hh_cmd_enroll = {
    "enroll", "[hearth://HOST:PORT/CODE/PIN]", N_("Enrol this device with a collector: the "
    "enrolment string from the administrator (or its parts as options)."), 0, 1, enroll_opts, run_enroll, AGENT_NEEDS_STORE | AGENT_WRITES };
const cli_cmd hh_cmd_sync = {
    "sync", "", N_("Send the outbox to the collector and bring back its tiers."),
    0, 0, sync_opts, run_sync, AGENT_NEEDS_STORE | AGENT_WRITES };
