/* tests/bench/bench_ingest.c — many devices pushing visits into one collector.
 *
 * A load generator built from the agent's own sync code (sync/codec, sync/pki,
 * sync/client, sync/wire: protocol 2, deflated), shaped like the field: each simulated device enrols with a
 * one-time code (its own key, CSR, certificate), then records its 250
 * households of 4 members each, then — the timed part, once every device is
 * ready — syncs its share of the visits, recorded beforehand as an officer
 * records them (in its outbox, encoded), every visit to a different household
 * of its own, with every field an officer fills in, in batches sized as the
 * agent sizes them (32 changes first, then what each answer asks for) over one
 * kept-alive mutual-TLS connection, one thread per device. Each request names
 * the device's rulebook version and pull cursor, as the agent's do, so answers
 * carry what they carry for a real device.
 *
 * Prints visits merged per second (tier recompute and pull included), p50/p99
 * latency of a batch, requests and TLS handshakes, and, given the collector's
 * PID, the collector's CPU time per visit over the timed part (/proc/PID/stat).
 *
 * With VISITS given as idle:N, each device only enrols and then makes N syncs
 * with nothing to send (an idle device's cost to the collector).
 *
 * usage: bench_ingest URL CA_PEM_FILE CODES_FILE VISITS|idle:N WORKDIR [COLLECTOR_PID]
 *        CODES_FILE: a line per device, "CODE VILLAGE SLOT": its enrolment code,
 *        the village it was enrolled for, and its slot (0..9) among the devices
 *        of that village, which keeps the members' virtual ID numbers apart. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/hlc.h"
#include "model/validate.h"
#include "platform/platform.h"
#include "proto/hearth.pb-c.h"
#include "sync/client.h"
#include "sync/codec.h"
#include "sync/pki.h"
#include "sync/records.h"
#include "sync/wire.h"

#define HOUSEHOLDS_PER_DEVICE 250
#define MEMBERS_PER_HOUSEHOLD 4
#define MAX_DEVICES 256

typedef struct device {
    uint8_t cursor[8];             /* the pull cursor, kept like the agent keeps it */
    int index, slot;
    const char *url, *ca_file, *code, *workdir;
    char village[HH_VILLAGE_CODE_LEN + 1];
    char rulebook[HH_RULEBOOK_VERSION_MAX + 1];
    int visits;
    char id[HH_UUID_LEN + 1];
    uint64_t seq;
    size_t batch;                  /* the next batch's size, as the collector says */
    hh_hlc clock;
    uint64_t *latencies_ns;
    int batches;
    uint64_t requests;
    int failed;
    char error[300];
} device;

static pthread_barrier_t ready, go;
static int idle_mode;        /* VISITS given as idle:N: N empty syncs per device, nothing else */

/* Send the protocol-1 request in body as the agent does: compacted into
 * protocol 2 and deflated. */
static hh_err post(device *d, hh_client *c, const hh_buf *body, hh_buf *resp)
{
    Hearth__V1__SyncResponse *r;
    unsigned retry;
    hh_buf compact;
    hh_err ret;

    hh_buf_init(&compact, HH_WIRE_BATCH_BYTES_MAX + HH_CHANGE_BYTES_MAX);
    ret = hh_wire_request_compact((const uint8_t *)body->data, body->len, &compact);
    hh_client_set_deflate(c, 1);
    if (ret == HH_OK)
        ret = hh_client_request(c, "POST", "/v2/sync", compact.data, compact.len, resp, &retry,
                                d->error, sizeof d->error);
    hh_buf_free(&compact);
    if (ret != HH_OK)
        return ret;
    r = hearth__v1__sync_response__unpack(NULL, resp->len, (uint8_t *)resp->data);
    if (!r)
        return HH_EPROTO;
    if (r->has_cursor && r->cursor.len == sizeof d->cursor)
        memcpy(d->cursor, r->cursor.data, sizeof d->cursor);
    d->batch = hh_wire_batch_next(r);
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
    /* The collector decides the identity; the rulebook version is sent back
     * with every sync, as the agent does, so answers do not carry its text. */
    memcpy(d->id, resp->device_id, sizeof d->id);
    if (resp->rulebook && resp->rulebook->version)
        snprintf(d->rulebook, sizeof d->rulebook, "%s", resp->rulebook->version);
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

/* Start a SyncRequest (protocol, device id, cursor, rulebook) in body;
 * changes are appended. */
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
    req.rulebook_version = d->rulebook[0] ? (char *)d->rulebook : NULL;
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

/* A device's outbox: encoded Changes, each framed as SyncRequest field 3,
 * back to back in framed; ends[n] is where the n-th ends. */
typedef struct outbox {
    hh_buf framed;
    size_t *ends;
    size_t n, cap;
} outbox;

static hh_err outbox_init(outbox *o, size_t cap)
{
    hh_buf_init(&o->framed, (cap + 1) * (HH_CHANGE_BYTES_MAX + 16));
    o->ends = calloc(cap + 1, sizeof *o->ends);
    o->n = 0;
    o->cap = cap;
    return o->ends ? HH_OK : HH_ENOMEM;
}

static void outbox_free(outbox *o)
{
    hh_buf_free(&o->framed);
    free(o->ends);
}

/* Number change ch (stamped by the caller) as the device's next and add it. */
static hh_err outbox_add(device *d, outbox *o, hh_change *ch, hh_buf *change)
{
    hh_err ret;

    if (o->n == o->cap)
        return HH_ERANGE;
    ch->device_id = d->id;
    ch->seq = ++d->seq;
    if ((ret = hh_codec_change_encode(ch, change)) == HH_OK &&
        (ret = append_change(&o->framed, change)) == HH_OK)
        o->ends[o->n++] = o->framed.len;
    return ret;
}

static hh_err flush(device *d, hh_client *c, hh_buf *body, hh_buf *resp)
{
    uint64_t t0 = hh_platform_monotonic_ns();
    hh_err ret = post(d, c, body, resp);

    d->requests++;
    if (ret == HH_OK && d->latencies_ns)
        d->latencies_ns[d->batches++] = hh_platform_monotonic_ns() - t0;
    begin_request(d, body);
    return ret;
}

/* Create change: every field listed with base 0, as the agent lists them. */
static void list_fields(hh_change *ch, const hh_field_view *view, int n)
{
    ch->changed_count = 0;
    for (int i = 0; i < n; i++) {
        ch->changed[ch->changed_count].field = view[i].name;
        ch->changed[ch->changed_count].base_hlc = 0;
        ch->changed_count++;
    }
}

/* The device's households, 4 members each, into its outbox. */
static hh_err record_households(device *d, hh_household *households, outbox *o, hh_buf *change)
{
    hh_field_view view[HH_MEMBER_FIELDS];
    hh_change ch;
    hh_member m;
    hh_err ret = HH_OK;

    for (int i = 0; i < HOUSEHOLDS_PER_DEVICE && ret == HH_OK; i++) {
        hh_household *h = &households[i];
        memset(h, 0, sizeof *h);
        if ((ret = hh_records_new_id(h->id)) != HH_OK)
            break;
        snprintf(h->registry_no, sizeof h->registry_no, "B%03d%04d", d->index, i);
        memcpy(h->village_code, d->village, sizeof h->village_code);
        h->category = i % 5 == 0 ? HH_CATEGORY_ORDINARY : HH_CATEGORY_LIFTED;
        memset(&ch, 0, sizeof ch);
        hh_hlc_tick(&d->clock, hh_platform_wall_ms(), &ch.hlc);
        ch.entity = HH_ENTITY_HOUSEHOLD;
        ch.op = HH_OP_CREATE;
        ch.entity_id = h->id;
        ch.household = h;
        hh_records_household_view(h, view);
        list_fields(&ch, view, HH_HOUSEHOLD_FIELDS);
        if ((ret = outbox_add(d, o, &ch, change)) != HH_OK)
            break;
        for (int k = 0; k < MEMBERS_PER_HOUSEHOLD && ret == HH_OK; k++) {
            hh_member_init(&m);
            if ((ret = hh_records_new_id(m.id)) != HH_OK ||
                (ret = hh_virtual_id_make(d->village, d->slot * 1000 + i * MEMBERS_PER_HOUSEHOLD + k,
                                          m.id_number)) != HH_OK)
                break;
            snprintf(m.name, sizeof m.name, "成员%03d-%d", i, k);
            m.relation = k == 0 ? HH_RELATION_HEAD : k == 1 ? HH_RELATION_SPOUSE : HH_RELATION_CHILD;
            m.sex = k % 2 ? HH_SEX_FEMALE : HH_SEX_MALE;
            m.birth_year = k < 2 ? 1970 + i % 20 : 2008 + k;
            m.labour = k < 2 ? HH_LABOUR_FULL : HH_LABOUR_NONE;
            m.health = i % 13 == 0 && k == 0 ? HH_HEALTH_CHRONIC : HH_HEALTH_HEALTHY;
            m.school = k < 2 ? HH_SCHOOL_NONE : HH_SCHOOL_ENROLLED;
            m.medical_insurance = true;
            m.employment = k < 2 ? HH_EMPLOYMENT_LOCAL : HH_EMPLOYMENT_NONE;
            m.employment_stable = k < 2;
            memset(&ch, 0, sizeof ch);
            hh_hlc_tick(&d->clock, hh_platform_wall_ms(), &ch.hlc);
            ch.entity = HH_ENTITY_MEMBER;
            ch.op = HH_OP_CREATE;
            ch.entity_id = m.id;
            ch.member = &m;
            ch.member_household_id = h->id;
            hh_records_member_view(&m, view);
            list_fields(&ch, view, HH_MEMBER_FIELDS);
            ret = outbox_add(d, o, &ch, change);
        }
    }
    return ret;
}

/* Visit number n of this device, to its household n mod 250, as an officer
 * records it: income from four sources, expenditure, guarantees, a shock now
 * and then, a position and a short note. */
static void make_visit(const device *d, const hh_household *households, int n, hh_visit *v)
{
    static const char *const notes[] = { "", "家中老人慢性病，需跟踪", "外出务工收入稳定",
                                         "房屋漏雨，已报村委" };

    hh_visit_init(v);
    hh_records_new_id(v->id);
    memcpy(v->household_id, households[n % HOUSEHOLDS_PER_DEVICE].id, sizeof v->household_id);
    snprintf(v->visited_on, sizeof v->visited_on, "2026-%02u-%02u", 1 + (unsigned)n % 11u,
             1 + (unsigned)n % 28u);
    snprintf(v->officer, sizeof v->officer, "村信息员-%03d", d->index);
    v->household_size = MEMBERS_PER_HOUSEHOLD;
    v->income.wages_yuan = 8000 + (n * 37) % 20000;
    v->income.operating_yuan = 2000 + (n * 11) % 3000;
    v->income.property_yuan = n % 7 == 0 ? 300 : 0;
    v->income.transfer_yuan = 1500;
    v->expenditure.medical_yuan = n % 9 == 0 ? 12000 : 400;
    v->expenditure.education_yuan = 800;
    v->expenditure.disaster_yuan = n % 31 == 0 ? 5000 : 0;
    v->shocks = n % 11 == 0 ? 1u << HH_SHOCK_ILLNESS : 0;
    if (n % 17 == 0)
        v->guarantees_met &= ~(1u << HH_GUARANTEE_WATER);
    v->has_gps = true;
    v->lat_microdeg = 30500000 + n % 100000;
    v->lon_microdeg = 104000000 + n % 100000;
    snprintf(v->notes, sizeof v->notes, "%s", notes[n % 4]);
}

/* Every visit of the device into its outbox. Recording is the officer's
 * work, not the sync's: it is not timed. */
static hh_err record_visits(device *d, const hh_household *households, outbox *o, hh_buf *change)
{
    hh_change ch;
    hh_visit v;
    hh_err ret = HH_OK;

    for (int n = 0; n < d->visits && ret == HH_OK; n++) {
        make_visit(d, households, n, &v);
        memset(&ch, 0, sizeof ch);
        hh_hlc_tick(&d->clock, hh_platform_wall_ms(), &ch.hlc);
        v.hlc = ch.hlc;
        ch.entity = HH_ENTITY_VISIT;
        ch.op = HH_OP_CREATE;
        ch.entity_id = v.id;
        ch.visit = &v;
        ret = outbox_add(d, o, &ch, change);
    }
    return ret;
}

/* Send the recorded outbox as the agent does: batches of what each answer
 * asks for (the first HH_WIRE_BATCH_FIRST), within the batch bytes. */
static hh_err sync_outbox(device *d, hh_client *c, const outbox *o, hh_buf *body, hh_buf *resp)
{
    const size_t *ends = o->ends;
    hh_err ret = HH_OK;
    size_t n = 0;

    d->batch = HH_WIRE_BATCH_FIRST;
    while (n < o->n && ret == HH_OK) {
        size_t start = n ? ends[n - 1] : 0, count = 0;
        begin_request(d, body);
        while (n < o->n && count < d->batch &&
               (count == 0 || body->len + (ends[n] - start) <= HH_WIRE_BATCH_BYTES_MAX)) {
            n++;
            count++;
        }
        if ((ret = hh_buf_append(body, o->framed.data + start, ends[n - 1] - start)) == HH_OK)
            ret = flush(d, c, body, resp);
    }
    return ret;
}

static void *run_device(void *arg)
{
    device *d = arg;
    char cert[HH_PATH_MAX], key[HH_PATH_MAX];
    hh_client_config cfg = { d->url, d->ca_file, cert, key, 30000, 300000 };
    hh_client *c = NULL;
    hh_household *households = calloc(HOUSEHOLDS_PER_DEVICE, sizeof *households);
    uint64_t *latencies = d->latencies_ns;
    outbox setup, visits;
    hh_buf body, resp, change;
    hh_err ret;

    snprintf(cert, sizeof cert, "%s/device-%d.crt", d->workdir, d->index);
    snprintf(key, sizeof key, "%s/device-%d.key", d->workdir, d->index);
    hh_buf_init(&body, HH_WIRE_BATCH_BYTES_MAX + HH_CHANGE_BYTES_MAX);
    hh_buf_init(&resp, 8 << 20);
    hh_buf_init(&change, HH_CHANGE_BYTES_MAX);
    ret = outbox_init(&setup, idle_mode ? 0 : HOUSEHOLDS_PER_DEVICE * (1 + MEMBERS_PER_HOUSEHOLD));
    if (outbox_init(&visits, idle_mode ? 0 : (size_t)d->visits) != HH_OK)
        ret = HH_ENOMEM;
    d->latencies_ns = NULL;   /* set-up is not timed */
    /* Set-up: enrolment, then the households synced, then the visits recorded. */
    if (ret == HH_OK && !households)
        ret = HH_ENOMEM;
    if (ret == HH_OK && (ret = enrol(d, cert, key)) == HH_OK)
        ret = hh_client_new(&cfg, &c);
    if (ret == HH_OK && idle_mode) {
        begin_request(d, &body);
        ret = flush(d, c, &body, &resp);
    } else if (ret == HH_OK && (ret = record_households(d, households, &setup, &change)) == HH_OK &&
               (ret = sync_outbox(d, c, &setup, &body, &resp)) == HH_OK) {
        ret = record_visits(d, households, &visits, &change);
    }
    d->failed = ret != HH_OK;
    pthread_barrier_wait(&ready);
    pthread_barrier_wait(&go);
    d->latencies_ns = latencies;
    d->requests = 0;
    begin_request(d, &body);
    /* An idle device: a sync with nothing to send, its cursor already current. */
    for (int n = 0; idle_mode && n < d->visits && !d->failed; n++)
        if (flush(d, c, &body, &resp) != HH_OK)
            d->failed = 1;
    if (!idle_mode && !d->failed && sync_outbox(d, c, &visits, &body, &resp) != HH_OK)
        d->failed = 1;
    hh_client_free(c);
    free(households);
    hh_buf_free(&body);
    hh_buf_free(&resp);
    hh_buf_free(&change);
    outbox_free(&setup);
    outbox_free(&visits);
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The collector's user + system CPU time, ns; 0 when it cannot be read. */
static uint64_t collector_cpu_ns(long pid)
{
    char path[64], line[1024], *p;
    unsigned long long utime = 0, stime = 0;
    FILE *f;

    if (pid <= 0)
        return 0;
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if (!(f = fopen(path, "r")))
        return 0;
    p = fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
    fclose(f);
    /* After "(comm)": state is field 3; utime and stime are fields 14 and 15. */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                     &stime) != 2)
        return 0;
    return (utime + stime) * (1000000000ull / (unsigned long long)sysconf(_SC_CLK_TCK));
}

int main(int argc, char **argv)
{
    static device devices[MAX_DEVICES];
    static char codes[MAX_DEVICES][40], villages[MAX_DEVICES][16];
    static int slots[MAX_DEVICES];
    static pthread_t threads[MAX_DEVICES];
    uint64_t *all, start, elapsed, cpu0, cpu1, requests = 0;
    int n = 0, visits, total_batches = 0, failures = 0;
    long pid = argc == 7 ? atol(argv[6]) : 0;
    char line[128];
    FILE *f;

    if (argc >= 5 && strncmp(argv[4], "idle:", 5) == 0)
        idle_mode = 1;
    if ((argc != 6 && argc != 7) || (visits = atoi(argv[4] + (idle_mode ? 5 : 0))) < 1 ||
        visits > 10000000) {
        fprintf(stderr, "usage: bench_ingest URL CA_PEM_FILE CODES_FILE VISITS|idle:SYNCS WORKDIR "
                        "[COLLECTOR_PID]\n");
        return 2;
    }
    if (!(f = fopen(argv[3], "r"))) {
        fprintf(stderr, "bench_ingest: cannot read %s\n", argv[3]);
        return 2;
    }
    while (n < MAX_DEVICES && fgets(line, sizeof line, f)) {
        if (sscanf(line, "%39s %15s %d", codes[n], villages[n], &slots[n]) != 3 ||
            hh_validate_village_code(villages[n], NULL) != HH_OK || slots[n] < 0 || slots[n] > 9) {
            fprintf(stderr, "bench_ingest: %s: want \"CODE VILLAGE SLOT\" lines\n", argv[3]);
            fclose(f);
            return 2;
        }
        n++;
    }
    fclose(f);
    if (n == 0)
        return 2;
    hh_platform_keep_heap();   /* as `hearth sync` does */
    pthread_barrier_init(&ready, NULL, (unsigned)n + 1);
    pthread_barrier_init(&go, NULL, (unsigned)n + 1);
    for (int i = 0; i < n; i++) {
        devices[i] = (device){ .index = i, .slot = slots[i], .url = argv[1], .ca_file = argv[2],
                               .code = codes[i], .workdir = argv[5],
                               .visits = visits / n + (i < visits % n) };
        memcpy(devices[i].village, villages[i], sizeof devices[i].village);
        devices[i].latencies_ns = calloc((size_t)devices[i].visits + 2, sizeof(uint64_t));
    }
    for (int i = 0; i < n; i++)
        pthread_create(&threads[i], NULL, run_device, &devices[i]);
    pthread_barrier_wait(&ready);
    cpu0 = collector_cpu_ns(pid);
    start = hh_platform_monotonic_ns();
    pthread_barrier_wait(&go);
    for (int i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
    elapsed = hh_platform_monotonic_ns() - start;
    cpu1 = collector_cpu_ns(pid);
    all = calloc((size_t)visits + 2 * (size_t)n, sizeof *all);
    for (int i = 0; i < n; i++) {
        if (devices[i].failed) {
            failures++;
            fprintf(stderr, "bench_ingest: device %d failed: %s\n", i, devices[i].error);
        }
        memcpy(all + total_batches, devices[i].latencies_ns, (size_t)devices[i].batches * sizeof *all);
        total_batches += devices[i].batches;
        requests += devices[i].requests;
    }
    qsort(all, (size_t)total_batches, sizeof *all, cmp_u64);
    if (idle_mode) {
        printf("%3d idle devices: %llu syncs with nothing to send; p50 %.2f ms, p99 %.2f ms each",
               n, (unsigned long long)requests, total_batches ? all[total_batches / 2] / 1e6 : 0,
               total_batches ? all[(int)(total_batches * 0.99)] / 1e6 : 0);
        if (cpu1 > cpu0 && requests)
            printf("; collector CPU %.3f ms per sync", (double)(cpu1 - cpu0) / 1e6 / (double)requests);
        printf("%s\n", failures ? " (FAILURES)" : "");
        goto done;
    }
    printf("%3d devices: %d visits in %.2f s = %.0f visits/s; %llu requests on %d TLS connections;"
           " batch p50 %.1f ms, p99 %.1f ms", n, visits, elapsed / 1e9, visits / (elapsed / 1e9),
           (unsigned long long)requests, n,
           total_batches ? all[total_batches / 2] / 1e6 : 0,
           total_batches ? all[(int)(total_batches * 0.99)] / 1e6 : 0);
    if (cpu1 > cpu0)
        printf("; collector CPU %.3f ms/visit", (double)(cpu1 - cpu0) / 1e6 / visits);
    printf("%s\n", failures ? " (FAILURES)" : "");
done:
    for (int i = 0; i < n; i++)
        free(devices[i].latencies_ns);
    free(all);
    pthread_barrier_destroy(&ready);
    pthread_barrier_destroy(&go);
    return failures ? 1 : 0;
}
