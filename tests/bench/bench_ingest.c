/* tests/bench/bench_ingest.c — many devices pushing visits into one collector.
 *
 * A load generator built from the agent's own sync code (sync/codec, sync/pki,
 * sync/client): each simulated device enrols with a one-time code (its own key,
 * CSR, certificate), creates its households, then pushes its share of the visits
 * in 32 KB batches over one kept-alive mutual-TLS connection, one thread per
 * device, keeping its pull cursor as the agent does. Prints visits merged per second (tier recompute included) and the
 * p50/p99 latency of a batch. The collector's peak RSS is read by run.sh.
 *
 * usage: bench_ingest URL CA_PEM_FILE CODES_FILE VISITS WORKDIR
 *        CODES_FILE: one enrolment code per line, one per device. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/hlc.h"
#include "model/validate.h"
#include "platform/platform.h"
#include "proto/hearth.pb-c.h"
#include "sync/client.h"
#include "sync/codec.h"
#include "sync/pki.h"

#define HOUSEHOLDS_PER_DEVICE 20
#define BATCH_BYTES (32 * 1024)
#define MAX_DEVICES 64

typedef struct device {
    uint8_t cursor[8];             /* the pull cursor, kept like the agent keeps it */
    int index;
    const char *url, *ca_file, *code, *workdir;
    int visits;
    char id[HH_UUID_LEN + 1];
    uint64_t *latencies_ns;
    int batches;
    int failed;
    char error[300];
} device;

static hh_err post(device *d, hh_client *c, const hh_buf *body, hh_buf *resp)
{
    Hearth__V1__SyncResponse *r;
    unsigned retry;
    hh_err ret = hh_client_request(c, "POST", "/v1/sync", body->data, body->len, resp, &retry,
                                   d->error, sizeof d->error);

    if (ret != HH_OK)
        return ret;
    r = hearth__v1__sync_response__unpack(NULL, resp->len, (uint8_t *)resp->data);
    if (!r)
        return HH_EPROTO;
    if (r->has_cursor && r->cursor.len == sizeof d->cursor)
        memcpy(d->cursor, r->cursor.data, sizeof d->cursor);
    hearth__v1__sync_response__free_unpacked(r, NULL);
    return HH_OK;
}

static hh_err enrol(device *d, char *cert_file, char *key_file)
{
    Hearth__V1__EnrollRequest req = HEARTH__V1__ENROLL_REQUEST__INIT;
    Hearth__V1__EnrollResponse *resp;
    hh_client_config cfg = { d->url, d->ca_file, NULL, NULL, 10000, 60000 };
    hh_client *c = NULL;
    hh_buf key, csr, body, answer;
    uint8_t random[10];
    unsigned retry;
    void *where;
    hh_err ret;

    hh_platform_random(random, sizeof random);
    hh_uuid_v7(hh_platform_wall_ms(), random, d->id);
    hh_buf_init(&key, HH_PKI_PEM_MAX);
    hh_buf_init(&csr, HH_PKI_PEM_MAX);
    hh_buf_init(&body, 64 * 1024);
    hh_buf_init(&answer, 1 << 20);
    if ((ret = hh_pki_key_new(&key)) != HH_OK || (ret = hh_pki_csr_new(key.data, d->id, &csr)) != HH_OK)
        goto cleanup;
    req.code = (char *)d->code;
    req.has_csr_pem = 1;
    req.csr_pem.data = (uint8_t *)csr.data;
    req.csr_pem.len = csr.len;
    if ((ret = hh_buf_extend(&body, hearth__v1__enroll_request__get_packed_size(&req), &where)) != HH_OK)
        goto cleanup;
    hearth__v1__enroll_request__pack(&req, where);
    if ((ret = hh_client_new(&cfg, &c)) != HH_OK ||
        (ret = hh_client_request(c, "POST", "/v1/enroll", body.data, body.len, &answer, &retry,
                                 d->error, sizeof d->error)) != HH_OK)
        goto cleanup;
    resp = hearth__v1__enroll_response__unpack(NULL, answer.len, (uint8_t *)answer.data);
    if (!resp || !resp->has_certificate_pem || !resp->device_id ||
        hh_validate_uuid(resp->device_id, NULL) != HH_OK) {
        if (resp)
            hearth__v1__enroll_response__free_unpacked(resp, NULL);
        ret = HH_EPROTO;
        goto cleanup;
    }
    /* The collector decides the identity. */
    memcpy(d->id, resp->device_id, sizeof d->id);
    ret = hh_platform_write_file_durable(cert_file, resp->certificate_pem.data, resp->certificate_pem.len, 0600);
    hearth__v1__enroll_response__free_unpacked(resp, NULL);
    if (ret == HH_OK)
        ret = hh_platform_write_file_durable(key_file, key.data, key.len, 0600);
cleanup:
    hh_client_free(c);
    hh_buf_free_secret(&key);
    hh_buf_free(&csr);
    hh_buf_free(&body);
    hh_buf_free(&answer);
    return ret;
}

/* Start a SyncRequest (protocol, device id) in body; changes are appended. */
static hh_err begin_request(const device *d, hh_buf *body)
{
    Hearth__V1__SyncRequest req = HEARTH__V1__SYNC_REQUEST__INIT;
    void *where;
    hh_err ret;

    hh_buf_reset(body);
    req.has_protocol = 1;
    req.protocol = 1;
    req.device_id = (char *)d->id;
    req.has_pull_cursor = 1;
    req.pull_cursor.data = (uint8_t *)d->cursor;
    req.pull_cursor.len = sizeof d->cursor;
    if ((ret = hh_buf_extend(body, hearth__v1__sync_request__get_packed_size(&req), &where)) != HH_OK)
        return ret;
    hearth__v1__sync_request__pack(&req, where);
    return HH_OK;
}

/* Append one encoded Change as SyncRequest field 3. */
static hh_err append_change(hh_buf *body, const hh_buf *change)
{
    uint8_t head[11];
    size_t h = 0;

    head[h++] = (3 << 3) | 2;
    for (size_t v = change->len; ; v >>= 7) {
        head[h++] = (uint8_t)((v & 0x7F) | (v > 0x7F ? 0x80 : 0));
        if (v <= 0x7F)
            break;
    }
    if (hh_buf_append(body, head, h) != HH_OK)
        return HH_ERANGE;
    return hh_buf_append(body, change->data, change->len);
}

static void *run_device(void *arg)
{
    device *d = arg;
    char cert[HH_PATH_MAX], key[HH_PATH_MAX];
    hh_client_config cfg = { d->url, d->ca_file, cert, key, 10000, 120000 };
    hh_client *c = NULL;
    hh_household households[HOUSEHOLDS_PER_DEVICE];
    hh_buf body, resp, change;
    hh_hlc clock = { 0 };
    uint64_t seq = 0;
    hh_change ch;
    hh_visit v;

    snprintf(cert, sizeof cert, "%s/device-%d.crt", d->workdir, d->index);
    snprintf(key, sizeof key, "%s/device-%d.key", d->workdir, d->index);
    hh_buf_init(&body, BATCH_BYTES + HH_CHANGE_BYTES_MAX);
    hh_buf_init(&resp, 4 << 20);
    hh_buf_init(&change, HH_CHANGE_BYTES_MAX);
    if (enrol(d, cert, key) != HH_OK || hh_client_new(&cfg, &c) != HH_OK) {
        d->failed = 1;
        goto done;
    }
    /* Its households, in one request. */
    begin_request(d, &body);
    for (int i = 0; i < HOUSEHOLDS_PER_DEVICE; i++) {
        hh_household *h = &households[i];
        uint8_t random[10];
        memset(h, 0, sizeof *h);
        hh_platform_random(random, sizeof random);
        hh_uuid_v7(hh_platform_wall_ms(), random, h->id);
        snprintf(h->registry_no, sizeof h->registry_no, "B%02d%04d", d->index, i);
        /* Each device its own village, as an officer's device is in the field. */
        snprintf(h->village_code, sizeof h->village_code, "51182310%04u", 1u + (unsigned)d->index % 9999u);
        h->category = HH_CATEGORY_LIFTED;
        memset(&ch, 0, sizeof ch);
        ch.device_id = d->id;
        ch.seq = ++seq;
        hh_hlc_tick(&clock, hh_platform_wall_ms(), &ch.hlc);
        ch.entity = HH_ENTITY_HOUSEHOLD;
        ch.op = HH_OP_CREATE;
        ch.entity_id = h->id;
        ch.household = h;
        if (hh_codec_change_encode(&ch, &change) != HH_OK || append_change(&body, &change) != HH_OK)
            d->failed = 1;
    }
    if (d->failed || post(d, c, &body, &resp) != HH_OK) {
        d->failed = 1;
        goto done;
    }
    /* Its visits, in 32 KB batches. */
    for (int sent = 0; sent < d->visits && !d->failed; ) {
        uint64_t t0;
        begin_request(d, &body);
        while (sent < d->visits && body.len < BATCH_BYTES - 400) {
            uint8_t random[10];
            hh_visit_init(&v);
            hh_platform_random(random, sizeof random);
            hh_uuid_v7(hh_platform_wall_ms(), random, v.id);
            memcpy(v.household_id, households[sent % HOUSEHOLDS_PER_DEVICE].id, sizeof v.household_id);
            snprintf(v.visited_on, sizeof v.visited_on, "2025-%02u-%02u", 1 + (unsigned)sent % 12u,
                     1 + (unsigned)sent % 28u);
            snprintf(v.officer, sizeof v.officer, "officer-%03d", d->index);
            v.household_size = 4;
            v.income.wages_yuan = 8000 + (sent * 37) % 20000;
            v.income.transfer_yuan = 1500;
            v.shocks = sent % 11 == 0 ? 1u << HH_SHOCK_ILLNESS : 0;
            memset(&ch, 0, sizeof ch);
            ch.device_id = d->id;
            ch.seq = ++seq;
            hh_hlc_tick(&clock, hh_platform_wall_ms(), &ch.hlc);
            v.hlc = ch.hlc;
            ch.entity = HH_ENTITY_VISIT;
            ch.op = HH_OP_CREATE;
            ch.entity_id = v.id;
            ch.visit = &v;
            if (hh_codec_change_encode(&ch, &change) != HH_OK || append_change(&body, &change) != HH_OK) {
                d->failed = 1;
                break;
            }
            sent++;
        }
        t0 = hh_platform_monotonic_ns();
        if (post(d, c, &body, &resp) != HH_OK) {
            d->failed = 1;
            break;
        }
        d->latencies_ns[d->batches++] = hh_platform_monotonic_ns() - t0;
    }
done:
    hh_client_free(c);
    hh_buf_free(&body);
    hh_buf_free(&resp);
    hh_buf_free(&change);
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    static device devices[MAX_DEVICES];
    static char codes[MAX_DEVICES][40];
    pthread_t threads[MAX_DEVICES];
    uint64_t *all, start, elapsed;
    int n = 0, visits, total_batches = 0, failures = 0;
    FILE *f;

    if (argc != 6 || (visits = atoi(argv[4])) < 1 || visits > 10000000) {
        fprintf(stderr, "usage: bench_ingest URL CA_PEM_FILE CODES_FILE VISITS WORKDIR\n");
        return 2;
    }
    if (!(f = fopen(argv[3], "r"))) {
        fprintf(stderr, "bench_ingest: cannot read %s\n", argv[3]);
        return 2;
    }
    while (n < MAX_DEVICES && fgets(codes[n], sizeof codes[n], f)) {
        codes[n][strcspn(codes[n], "\r\n")] = '\0';
        if (codes[n][0])
            n++;
    }
    fclose(f);
    if (n == 0)
        return 2;
    for (int i = 0; i < n; i++) {
        devices[i] = (device){ .index = i, .url = argv[1], .ca_file = argv[2], .code = codes[i],
                               .workdir = argv[5], .visits = visits / n + (i < visits % n) };
        devices[i].latencies_ns = calloc((size_t)devices[i].visits + 1, sizeof(uint64_t));
    }
    start = hh_platform_monotonic_ns();
    for (int i = 0; i < n; i++)
        pthread_create(&threads[i], NULL, run_device, &devices[i]);
    for (int i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
    elapsed = hh_platform_monotonic_ns() - start;
    all = calloc((size_t)visits + 1, sizeof *all);
    for (int i = 0; i < n; i++) {
        if (devices[i].failed) {
            failures++;
            fprintf(stderr, "bench_ingest: device %d failed: %s\n", i, devices[i].error);
        }
        memcpy(all + total_batches, devices[i].latencies_ns, (size_t)devices[i].batches * sizeof *all);
        total_batches += devices[i].batches;
    }
    qsort(all, (size_t)total_batches, sizeof *all, cmp_u64);
    printf("%2d devices: %d visits in %.2f s (enrolment included) = %.0f visits/s; %d batches, "
           "p50 %.1f ms, p99 %.1f ms per batch%s\n", n, visits, elapsed / 1e9, visits / (elapsed / 1e9),
           total_batches, total_batches ? all[total_batches / 2] / 1e6 : 0,
           total_batches ? all[(int)(total_batches * 0.99)] / 1e6 : 0, failures ? " (FAILURES)" : "");
    for (int i = 0; i < n; i++)
        free(devices[i].latencies_ns);
    free(all);
    return failures ? 1 : 0;
}
