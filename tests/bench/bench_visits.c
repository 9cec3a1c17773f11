/* tests/bench/bench_visits.c — how fast a device records visits, durably.
 *
 * Records N visits (default 10,000) spread over HOUSEHOLDS households (500: a
 * village officer's device after some years), one transaction each, through the real store
 * (validation, outbox Change, tier recompute, WAL with synchronous=FULL), and in
 * the same run N bare one-row SQLite transactions under the same pragmas: the
 * floor set by the disk's flush. Prints visits/s, p50/p99 latency for both and
 * their ratio; on a shared machine the ratio is the figure to compare.
 *
 * usage: bench_visits [N] [DIR] */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/store.h"
#include "platform/platform.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, uint64_t *lat_ns, int n, uint64_t total_ns, double *p50_out)
{
    qsort(lat_ns, (size_t)n, sizeof *lat_ns, cmp_u64);
    *p50_out = lat_ns[n / 2] / 1e6;
    printf("%-28s %8.0f /s   p50 %6.3f ms   p99 %6.3f ms   max %7.3f ms\n", what,
           n / (total_ns / 1e9), lat_ns[n / 2] / 1e6, lat_ns[(int)(n * 0.99)] / 1e6,
           lat_ns[n - 1] / 1e6);
}

static int bench_store(const char *path, int n, uint64_t *lat, uint64_t *total)
{
    enum { HOUSEHOLDS = 500 };
    hh_store *s = NULL;
    static char ids[HOUSEHOLDS][HH_UUID_LEN + 1];
    hh_household h;
    hh_diag d;
    uint64_t start;

    if (hh_store_create(path, &s, &d) != HH_OK) {
        fprintf(stderr, "bench: %s: %s\n", d.field, d.message);
        return 1;
    }
    if (hh_store_begin(s) != HH_OK)
        return 1;
    for (int i = 0; i < HOUSEHOLDS; i++) {
        memset(&h, 0, sizeof h);
        snprintf(h.registry_no, sizeof h.registry_no, "51182310120%05d", i);
        strcpy(h.village_code, "511823101201");
        h.category = HH_CATEGORY_LIFTED;
        if (hh_store_household_put(s, &h, 0, NULL, &d) != HH_OK) {
            fprintf(stderr, "bench: cannot add household %d\n", i);
            hh_store_close(s);
            return 1;
        }
        memcpy(ids[i], h.id, sizeof ids[i]);
    }
    if (hh_store_commit(s) != HH_OK)
        return 1;
    start = hh_platform_monotonic_ns();
    for (int i = 0; i < n; i++) {
        hh_visit v;
        uint64_t t0 = hh_platform_monotonic_ns();
        hh_visit_init(&v);
        memcpy(v.household_id, ids[i % HOUSEHOLDS], sizeof v.household_id);
        snprintf(v.visited_on, sizeof v.visited_on, "2025-%02d-%02d", 1 + i % 12, 1 + i % 28);
        strcpy(v.officer, "officer-017");
        v.household_size = 4;
        v.income.wages_yuan = 10000 + i % 9000;
        v.income.transfer_yuan = 2000;
        v.shocks = (i % 7 == 0) ? 1u << HH_SHOCK_ILLNESS : 0;
        if (hh_store_begin(s) != HH_OK || hh_store_visit_add(s, &v, NULL, &d) != HH_OK ||
            hh_store_commit(s) != HH_OK) {
            fprintf(stderr, "bench: visit %d failed: %s %s\n", i, d.field, d.message);
            hh_store_close(s);
            return 1;
        }
        lat[i] = hh_platform_monotonic_ns() - t0;
    }
    *total = hh_platform_monotonic_ns() - start;
    hh_store_close(s);
    return 0;
}

static int bench_floor(const char *path, int n, uint64_t *lat, uint64_t *total)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    uint64_t start;

    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                         "CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO t (payload) VALUES (randomblob(240))", -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench: floor: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    start = hh_platform_monotonic_ns();
    for (int i = 0; i < n; i++) {
        uint64_t t0 = hh_platform_monotonic_ns();
        sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        sqlite3_step(st);
        sqlite3_reset(st);
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            return 1;
        lat[i] = hh_platform_monotonic_ns() - t0;
    }
    *total = hh_platform_monotonic_ns() - start;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return 0;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10000;
    const char *dir = argc > 2 ? argv[2] : "/tmp";
    char store_path[HH_PATH_MAX], floor_path[HH_PATH_MAX];
    uint64_t *lat, total_store, total_floor;
    double p50_store, p50_floor;
    uint64_t size = 0;

    if (n < 100 || n > 1000000) {
        fprintf(stderr, "usage: bench_visits [N: 100..1000000] [DIR]\n");
        return 2;
    }
    if (snprintf(store_path, sizeof store_path, "%s/bench-store.db", dir) >= (int)sizeof store_path ||
        snprintf(floor_path, sizeof floor_path, "%s/bench-floor.db", dir) >= (int)sizeof floor_path) {
        fprintf(stderr, "bench: DIR is too long\n");
        return 2;
    }
    if (hh_platform_exists(store_path) || hh_platform_exists(floor_path)) {
        fprintf(stderr, "bench: %s already has bench databases; use an empty DIR\n", dir);
        return 2;
    }
    lat = malloc((size_t)n * sizeof *lat);
    if (!lat)
        return 1;
    printf("recording %d visits to 500 households, one durable transaction each "
           "(WAL, synchronous=FULL)\n", n);
    if (bench_floor(floor_path, n, lat, &total_floor))
        return 1;
    report("bare SQLite commit (floor)", lat, n, total_floor, &p50_floor);
    if (bench_store(store_path, n, lat, &total_store))
        return 1;
    report("hearth visit record", lat, n, total_store, &p50_store);
    printf("ratio hearth / floor: throughput %.2f, p50 latency %.2f\n",
           ((double)n / total_store) / ((double)n / total_floor), p50_store / p50_floor);
    hh_platform_file_size(store_path, &size);
    printf("database after %d visits: %.1f MiB (%.0f bytes/visit incl. outbox)\n", n,
           size / 1048576.0, (double)size / n);
    printf("peak RSS: %.1f MiB\n", hh_platform_peak_rss_bytes() / 1048576.0);
    free(lat);
    return 0;
}
