/* tests/crash/test_powercut.c — power cut at thousands of random points while
 * the device and the collector write, and after each: the database opens,
 * integrity_check is ok, and everything that was reported durable is there
 * exactly once.
 *
 * Five kinds of work, each from the same starting databases (copied fresh for
 * every run), run in a child process under the power-cut VFS (crashvfs.h):
 *   visit    `hearth visit record`: three visits, each with its draft removed,
 *            one transaction each; and the same on a sealed database
 *            (platform/vfs.h: every page and WAL frame encrypted)
 *   import   `hearth import`: three households with their members, one
 *            transaction
 *   draft    the visit form saving its draft after every answer (six saves)
 *   sync     the device side of a sync: an acknowledgement, then a pull
 *   push     the collector side: two batches of the device's changes through
 *            the sync service's group commit
 * First each kind runs without a cut, counting its writes, syncs and
 * truncations (E); then RUNS/5 times with the power cut at a random one of
 * them (1..E). The child reports each step the moment it returns success (the
 * point where the program would tell its user "saved"); the parent, after the
 * cut, opens the files normally and checks them. Prints TAP.
 *
 * usage: test_powercut [--runs N] [--seed S] SAMPLE_JSONL */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "agent/store.h"
#include "collector/cstore.h"
#include "collector/service.h"
#include "crashvfs.h"
#include "model/exchange.h"
#include "model/rulebook.h"
#include "platform/platform.h"
#include "platform/vfs.h"
#include "proto/hearth.pb-c.h"

#define DEVICE_HOUSEHOLDS 12
#define REPORT_MAX 64
#define LINE 160

typedef enum kind { K_VISIT, K_SEALED, K_IMPORT, K_DRAFT, K_SYNC, K_PUSH, K_COUNT } kind;
static const char *const kind_names[K_COUNT] = { "visit", "visit (sealed)", "import", "draft", "sync",
                                                 "push" };

static char dir[256], base_device[300], base_collector[300], run_device[300], run_collector[300];
static char base_sealed[300], run_sealed[300];
static uint8_t seal_key[HH_VFS_KEY_LEN];
static hh_exchange_record records[DEVICE_HOUSEHOLDS + 3];
static char device_id[HH_UUID_LEN + 1];
static int tap_n, failures;
static long base_outbox;
static Hearth__V1__Change *changes[256];
static size_t n_changes;

static void tap(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tap(int ok, const char *fmt, ...)
{
    va_list ap;

    printf("%sok %d - ", ok ? "" : "not ", ++tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    failures += !ok;
}

static void die(const char *what, const hh_diag *d)
{
    fprintf(stderr, "test_powercut: %s%s%s\n", what, d && d->message[0] ? ": " : "",
            d ? d->message : "");
    exit(2);
}

/* ---- the starting databases ------------------------------------------------------ */

static void read_sample(const char *path)
{
    char *text;
    size_t len, n = 0;
    const char *line;
    size_t line_len;
    hh_lines it;
    hh_diag d;

    if (hh_platform_read_file(path, 64u << 20, &text, &len) != HH_OK)
        die("cannot read the sample", NULL);
    it = (hh_lines){ text, len, 0, 0 };
    while (n < sizeof records / sizeof records[0] && hh_lines_next(&it, &line, &line_len)) {
        hh_diag_clear(&d);
        if (hh_exchange_parse(line, line_len, hh_platform_current_year(), &records[n], &d) != HH_OK)
            die("a sample line does not parse", &d);
        if (records[n].has_household && records[n].has_visit)
            n++;
    }
    free(text);
    if (n < sizeof records / sizeof records[0])
        die("the sample has too few households with visits", NULL);
}

static void make_bases(void)
{
    hh_store *s;
    hh_cstore *c;
    hh_device dev;
    hh_sync_state st;
    hh_diag d;

    char villages[HH_VILLAGES_TEXT_MAX + 1] = "";

    /* The device covers the villages of every household it will hold. */
    for (size_t i = 0; i < sizeof records / sizeof records[0]; i++)
        if (!strstr(villages, records[i].household.village_code))
            snprintf(villages + strlen(villages), sizeof villages - strlen(villages), "%s%s",
                     villages[0] ? "," : "", records[i].household.village_code);
    hh_diag_clear(&d);
    if (hh_store_create(base_device, &s, &d) != HH_OK ||
        hh_store_enrolled(s, "01900000-0000-7000-8000-00000000c0de", "https://127.0.0.1:1",
                          villages, "officer-001", hh_rulebook_default_text(), &d) != HH_OK)
        die("cannot make the device database", &d);
    if (hh_store_begin(s) != HH_OK)
        die("begin", NULL);
    for (int i = 0; i < DEVICE_HOUSEHOLDS; i++) {
        hh_exchange_record *r = &records[i];
        if (hh_store_household_put(s, &r->household, 1, NULL, &d) != HH_OK)
            die("cannot put a household", &d);
        memcpy(r->visit.household_id, r->household.id, sizeof r->visit.household_id);
        if (hh_store_visit_add(s, &r->visit, NULL, &d) != HH_OK)
            die("cannot add a visit", &d);
    }
    if (hh_store_commit(s) != HH_OK || hh_store_sync_state(s, &st) != HH_OK)
        die("commit", NULL);
    snprintf(device_id, sizeof device_id, "%s", st.device_id);
    /* The starting database whole in its main file: the runs copy that alone. */
    if (hh_store_checkpoint(s) != HH_OK)
        die("checkpoint", NULL);
    hh_store_close(s);
    if (hh_cstore_create(base_collector, &c, &d) != HH_OK || hh_cstore_begin(c) != HH_OK ||
        hh_cstore_code_add(c, "AAAA-BBBB-CCCC", "officer-001", villages, UINT64_MAX / 2) != HH_OK ||
        hh_cstore_code_redeem(c, "AAAA-BBBB-CCCC", device_id, "00", 1, &dev) != HH_OK ||
        hh_cstore_commit(c) != HH_OK)
        die("cannot make the collector database", &d);
    hh_cstore_close(c);
}

static void copy_file(const char *from, const char *to)
{
    char *data;
    size_t len;
    char wal[320], shm[320];

    snprintf(wal, sizeof wal, "%s-wal", to);
    snprintf(shm, sizeof shm, "%s-shm", to);
    unlink(wal);
    unlink(shm);
    if (hh_platform_read_file(from, 256u << 20, &data, &len) != HH_OK ||
        hh_platform_write_file_durable(to, data, len, 0600) != HH_OK)
        die("cannot copy a database", NULL);
    free(data);
}

/* ---- the work, in the child --------------------------------------------------------- */

static int report_fd = -1;

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
    char line[LINE];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    line[n++] = '\n';
    if (write(report_fd, line, (size_t)n) != n)
        _exit(3);
}

static void child_fail(const char *what, const hh_diag *d)
{
    report("error %s %s", what, d ? d->message : "");
    _exit(4);
}

static void work_device(kind k, hh_store *s)
{
    hh_diag d;

    hh_diag_clear(&d);
    if (k == K_VISIT || k == K_SEALED) {
        for (int i = 0; i < 3; i++) {
            hh_visit v = records[i].visit;
            hh_draft draft = { 0 };
            v.id[0] = '\0';
            snprintf(v.visited_on, sizeof v.visited_on, "2026-11-%02d", 10 + i);
            memcpy(v.household_id, records[i].household.id, sizeof v.household_id);
            memcpy(draft.household_id, v.household_id, sizeof draft.household_id);
            if (hh_store_draft_put(s, &draft) != HH_OK || hh_store_begin(s) != HH_OK ||
                hh_store_visit_add(s, &v, NULL, &d) != HH_OK ||
                hh_store_draft_delete(s, v.household_id) != HH_OK || hh_store_commit(s) != HH_OK)
                child_fail("visit", &d);
            report("visit %s", v.id);
        }
    } else if (k == K_IMPORT) {
        if (hh_store_begin(s) != HH_OK)
            child_fail("begin", NULL);
        for (int i = DEVICE_HOUSEHOLDS; i < DEVICE_HOUSEHOLDS + 3; i++)
            if (hh_store_household_put(s, &records[i].household, 1, NULL, &d) != HH_OK)
                child_fail("import", &d);
        if (hh_store_commit(s) != HH_OK)
            child_fail("commit", NULL);
        for (int i = DEVICE_HOUSEHOLDS; i < DEVICE_HOUSEHOLDS + 3; i++)
            report("household %s", records[i].household.id);
    } else if (k == K_DRAFT) {
        for (int step = 1; step <= 6; step++) {
            hh_draft draft = { 0 };
            memcpy(draft.household_id, records[3].household.id, sizeof draft.household_id);
            snprintf(draft.answers, sizeof draft.answers, "step=%d\nwages=%d\n", step, 1000 * step);
            draft.step = step;
            draft.updated_ms = (uint64_t)step;
            if (hh_store_draft_put(s, &draft) != HH_OK)
                child_fail("draft", NULL);
            report("draft %d", step);
        }
    } else {
        hh_pulled_tier tiers[4];
        hh_pull pull = { 0 };
        hh_pull_result got;
        hh_sync_state st;
        size_t acked, quarantined;
        memset(tiers, 0, sizeof tiers);
        if (hh_store_sync_state(s, &st) != HH_OK ||
            hh_store_outbox_ack(s, UINT64_MAX / 4, NULL, 0, &acked, &quarantined) != HH_OK)
            child_fail("ack", NULL);
        report("acked");
        for (int i = 0; i < 4; i++) {
            memcpy(tiers[i].household_id, records[i].household.id, sizeof tiers[i].household_id);
            tiers[i].tier = HH_TIER_RED;
            snprintf(tiers[i].rulebook, sizeof tiers[i].rulebook, "yaan-2026.3");
            tiers[i].per_capita_yuan = -1;
        }
        pull.tiers = tiers;
        pull.n_tiers = 4;
        pull.cursor = 777;
        if (hh_store_apply_pull(s, &pull, &got, &d) != HH_OK)
            child_fail("pull", &d);
        report("pulled 777");
    }
}

/* The device's changes, from its outbox, as the collector receives them. */
static size_t outbox_changes(Hearth__V1__Change **out, size_t cap)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    size_t n = 0;

    if (sqlite3_open_v2(base_device, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT payload FROM outbox ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
        die("cannot read the outbox", NULL);
    while (n < cap && sqlite3_step(st) == SQLITE_ROW)
        if ((out[n] = hearth__v1__change__unpack(NULL, (size_t)sqlite3_column_bytes(st, 0),
                                                 sqlite3_column_blob(st, 0))))
            n++;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}


static void work_collector(hh_cstore *c)
{
    static Hearth__V1__Rejection rejections[256];
    static char details[256][HH_REJECT_DETAIL_MAX];
    hh_service *svc;
    hh_device dev;
    size_t half = n_changes / 2;

    if (hh_cstore_device_get(c, device_id, &dev) != HH_OK || hh_service_new(c, &svc) != HH_OK)
        child_fail("service", NULL);
    for (int batch = 0; batch < 2; batch++) {
        hh_push p;
        memset(&p, 0, sizeof p);
        p.dev = &dev;
        p.changes = changes + (batch ? half : 0);
        p.n_changes = batch ? n_changes - half : half;
        p.rejections = rejections;
        p.details = details;
        if (hh_service_push(svc, &p, 10000) != HH_OK)
            child_fail("push", NULL);
        report("pushed %llu", (unsigned long long)p.acked_seq);
    }
    hh_service_free(svc);
}

static int lying_disk;

static void child(kind k, uint64_t cut, uint64_t seed, int fd)
{
    hh_store *s = NULL;
    hh_cstore *c = NULL;
    hh_diag d;

    report_fd = fd;
    hh_diag_clear(&d);
    hh_crashvfs_arm(cut, seed, lying_disk);
    if (k == K_PUSH) {
        if (hh_cstore_open(run_collector, &c, &d) != HH_OK)
            child_fail("open", &d);
        work_collector(c);
        hh_cstore_close(c);
    } else {
        if (hh_store_open(k == K_SEALED ? run_sealed : run_device, &s, &d) != HH_OK)
            child_fail("open", &d);
        work_device(k, s);
        hh_store_close(s);
    }
    report("events %llu", (unsigned long long)hh_crashvfs_events());
    _exit(0);
}

/* ---- the checks, in the parent -------------------------------------------------------- */

static long count(sqlite3 *db, const char *sql, const char *arg)
{
    sqlite3_stmt *st;
    long n = -1;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -2;
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static const char *say(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static const char *say(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return why;
}

/* What is wrong after the cut, or NULL: every reported step there once. */
static const char *check(kind k, char reports[][LINE], int n_reports, char *why, size_t cap)
{
    const char *path = k == K_PUSH ? run_collector : k == K_SEALED ? run_sealed : run_device;
    sqlite3 *db = NULL;
    sqlite3_stmt *st;
    const char *bad = NULL;
    hh_diag d;

    hh_diag_clear(&d);
    /* The program's own open first: recovery, migrations, its checks. */
    if (k == K_PUSH) {
        hh_cstore *c;
        if (hh_cstore_open(path, &c, &d) != HH_OK)
            return say(why, cap, "the collector cannot open it: %s", d.message);
        hh_cstore_close(c);
    } else {
        hh_store *s;
        if (hh_store_open(path, &s, &d) != HH_OK)
            return say(why, cap, "the device cannot open it: %s", d.message);
        if (hh_store_check(s, &d) != HH_OK)
            bad = say(why, cap, "the device's check fails: %s", d.message);
        hh_store_close(s);
        if (bad)
            return bad;
    }
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, hh_vfs_name()) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return "cannot open it for integrity_check";
    }
    if (sqlite3_step(st) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)
        bad = say(why, cap, "integrity_check: %s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    /* Nothing the device held before is lost: its outbox still holds every
     * change of the starting database. */
    if (!bad && k != K_PUSH && count(db, "SELECT count(*) FROM outbox", NULL) < base_outbox)
        bad = say(why, cap, "the outbox lost changes it held before");
    for (int i = 0; i < n_reports && !bad; i++) {
        char *r = reports[i], *arg = strchr(r, ' ');
        arg = arg ? arg + 1 : r + strlen(r);
        if (strncmp(r, "visit ", 6) == 0) {
            if (count(db, "SELECT count(*) FROM visits WHERE id = ?1", arg) != 1 ||
                count(db, "SELECT count(*) FROM outbox WHERE entity_id = ?1", arg) != 1)
                bad = say(why, cap, "visit %s is not there exactly once (with its change)", arg);
        } else if (strncmp(r, "household ", 10) == 0) {
            if (count(db, "SELECT count(*) FROM households WHERE id = ?1", arg) != 1 ||
                count(db, "SELECT count(*) FROM outbox WHERE entity_id = ?1 AND entity = 'household'", arg) != 1)
                bad = say(why, cap, "household %s is not there exactly once", arg);
        } else if (strncmp(r, "draft ", 6) == 0) {
            if (count(db, "SELECT step FROM drafts", NULL) < atoi(arg))
                bad = say(why, cap, "draft step %s was saved but the draft is older", arg);
        } else if (strcmp(r, "acked") == 0) {
            if (count(db, "SELECT count(*) FROM outbox WHERE state = 'pending'", NULL) != 0)
                bad = say(why, cap, "the acknowledgement was stored but changes are pending");
        } else if (strncmp(r, "pulled ", 7) == 0) {
            if (count(db, "SELECT count(*) FROM tiers WHERE source = 'collector'", NULL) != 4)
                bad = say(why, cap, "the pull was stored but its tiers are not");
        } else if (strncmp(r, "pushed ", 7) == 0) {
            long high = atol(arg);
            if (count(db, "SELECT count(*) FROM applied WHERE seq <= ?1", arg) != high -
                    (long)changes[0]->seq + 1)
                bad = say(why, cap, "the collector acknowledged up to %s but holds %ld of them",
                               arg, count(db, "SELECT count(*) FROM applied WHERE seq <= ?1", arg));
        }
    }
    sqlite3_close(db);
    return bad;
}

/* Run kind k with the power cut at event `cut` (0: none); the reports and the
 * events counted (when it ran to its end). -1 when the child failed otherwise. */
static int run(kind k, uint64_t cut, uint64_t seed, char reports[][LINE], int *n_reports,
               uint64_t *events, int *was_cut)
{
    int fds[2], status;
    pid_t pid;
    FILE *in;
    char line[LINE];

    copy_file(k == K_PUSH ? base_collector : k == K_SEALED ? base_sealed : base_device,
              k == K_PUSH ? run_collector : k == K_SEALED ? run_sealed : run_device);
    if (pipe(fds) != 0 || (pid = fork()) < 0)
        die("cannot fork", NULL);
    if (pid == 0) {
        close(fds[0]);
        child(k, cut, seed, fds[1]);
    }
    close(fds[1]);
    in = fdopen(fds[0], "r");
    *n_reports = 0;
    while (in && fgets(line, sizeof line, in)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "events ", 7) == 0)
            *events = strtoull(line + 7, NULL, 10);
        else if (strncmp(line, "error ", 6) == 0)
            fprintf(stderr, "# child: %s\n", line);
        else if (*n_reports < REPORT_MAX)
            snprintf(reports[(*n_reports)++], LINE, "%s", line);
    }
    if (in)
        fclose(in);
    if (waitpid(pid, &status, 0) != pid)
        die("waitpid", NULL);
    *was_cut = WIFEXITED(status) && WEXITSTATUS(status) == HH_CRASH_EXIT;
    return WIFEXITED(status) && (WEXITSTATUS(status) == 0 || *was_cut) ? 0 : -1;
}

int main(int argc, char **argv)
{
    long runs = 10000;
    uint64_t seed = 20261202;
    const char *sample = NULL, *tmp = getenv("TMPDIR");
    char reports[REPORT_MAX][LINE], why[300];

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atol(argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: test_powercut [--runs N] [--seed S] SAMPLE_JSONL\n");
            return 0;
        } else
            sample = argv[i];
    }
    if (!sample || runs < K_COUNT || runs > 10000000) {
        fprintf(stderr, "usage: test_powercut [--runs N (>= %d)] [--seed S] SAMPLE_JSONL\n", K_COUNT);
        return 2;
    }
    hh_cstore_library_init();
    if (hh_crashvfs_install() != 0)
        die("cannot install the power-cut VFS", NULL);
    snprintf(dir, sizeof dir, "%s/hearth-powercut.XXXXXX",
             tmp && tmp[0] ? tmp : access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(dir))
        die("cannot make a directory", NULL);
    snprintf(base_device, sizeof base_device, "%s/device-base.db", dir);
    snprintf(base_collector, sizeof base_collector, "%s/collector-base.db", dir);
    snprintf(run_device, sizeof run_device, "%s/device.db", dir);
    snprintf(run_collector, sizeof run_collector, "%s/collector.db", dir);
    snprintf(base_sealed, sizeof base_sealed, "%s/sealed-base.db", dir);
    snprintf(run_sealed, sizeof run_sealed, "%s/sealed.db", dir);
    read_sample(sample);
    make_bases();
    n_changes = outbox_changes(changes, sizeof changes / sizeof changes[0]);
    base_outbox = (long)n_changes;
    /* The sealed device: the same database, sealed under a key of its own;
     * its copies open with that key wherever they are. */
    copy_file(base_device, base_sealed);
    {
        hh_diag d;
        hh_diag_clear(&d);
        if (hh_platform_random(seal_key, sizeof seal_key) != HH_OK ||
            hh_store_seal(base_sealed, seal_key, &d) != HH_OK || hh_vfs_set_key(run_sealed, seal_key) != HH_OK)
            die("cannot seal the device database", &d);
    }
    if (n_changes < 4)
        die("the device's outbox is too small to push", NULL);

    for (int k = 0; k < K_COUNT; k++) {
        uint64_t events = 0, rng = seed + (uint64_t)k * 7919;
        long cuts = 0, completed = 0, per = runs / K_COUNT, bad_runs = 0;
        int n_reports, was_cut;
        const char *bad = NULL;
        char first_bad[400] = "";

        if (run((kind)k, 0, 0, reports, &n_reports, &events, &was_cut) != 0 || events == 0 ||
            (bad = check((kind)k, reports, n_reports, why, sizeof why))) {
            tap(0, "%s: runs whole without a cut%s%s", kind_names[k], bad ? ": " : "", bad ? bad : "");
            continue;
        }
        tap(1, "%s: runs whole without a cut (%llu writes, syncs and truncations; %d steps reported)",
            kind_names[k], (unsigned long long)events, n_reports);
        for (long r = 0; r < per; r++) {
            uint64_t at, ev = 0;
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            at = 1 + rng % events;
            if (run((kind)k, at, rng, reports, &n_reports, &ev, &was_cut) != 0) {
                if (!bad_runs++)
                    snprintf(first_bad, sizeof first_bad, "cut at %llu: the work failed without a cut",
                             (unsigned long long)at);
                continue;
            }
            cuts += was_cut;
            completed += !was_cut;
            if ((bad = check((kind)k, reports, n_reports, why, sizeof why)) && !bad_runs++)
                snprintf(first_bad, sizeof first_bad, "cut at %llu (seed %llu): %s",
                         (unsigned long long)at, (unsigned long long)rng, bad);
        }
        tap(bad_runs == 0, "%s: %ld power cuts at random points (%ld ran on past theirs): "
            "opens, integrity ok, every reported step there once%s%s", kind_names[k], cuts, completed,
            bad_runs ? "; first failure: " : "", first_bad);
    }
    /* The checks can fail: on a disk that loses synced writes, steps reported
     * durable go missing, and they are caught. */
    {
        uint64_t events = 0, ev, rng = seed ^ 0x5bd1e995;
        int n_reports, was_cut, caught = 0, tries = 0;
        lying_disk = 1;
        run(K_VISIT, 0, 0, reports, &n_reports, &events, &was_cut);
        for (; tries < 400 && caught < 5 && events; tries++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            if (run(K_VISIT, 1 + rng % events, rng, reports, &n_reports, &ev, &was_cut) == 0 && was_cut &&
                check(K_VISIT, reports, n_reports, why, sizeof why))
                caught++;
        }
        lying_disk = 0;
        tap(caught > 0, "a disk that loses synced writes is caught (%d of %d cuts)", caught, tries);
    }
    printf("1..%d\n", tap_n);
    {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "test_powercut: cannot remove %s\n", dir);
    }
    return failures ? 1 : 0;
}
