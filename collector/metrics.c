/* collector/metrics.c — counters for /metrics (see metrics.h). */
#include "metrics.h"

#include <stdio.h>
#include <string.h>

static const char *const path_names[HH_MP_COUNT] = {
    "/v1/health", "/v1/ca", "/v1/enroll", "/v1/sync", "/v2/sync", "console", "/metrics", "other",
};
static const int statuses[HH_METRIC_STATUSES] = {
    200, 303, 400, 401, 403, 404, 405, 409, 413, 415, 429, 500, 503, 504,
};
/* Sync latency bucket bounds, in microseconds. */
static const uint64_t bounds_us[HH_METRIC_BUCKETS] = {
    5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2000000, 5000000, 10000000, 30000000,
};

void hh_metrics_init(hh_metrics *m)
{
    memset(m, 0, sizeof *m);
}

static int path_index(const char *path)
{
    for (int i = 0; i < HH_MP_CONSOLE; i++)
        if (strcmp(path, path_names[i]) == 0)
            return i;
    if (strcmp(path, "/metrics") == 0)
        return HH_MP_METRICS;
    return strncmp(path, "/v1/", 4) == 0 || strncmp(path, "/v2/", 4) == 0 ? HH_MP_OTHER : HH_MP_CONSOLE;
}

void hh_metrics_request(hh_metrics *m, const char *path, int status, uint64_t elapsed_ns)
{
    int p = path_index(path), s = HH_METRIC_STATUSES;

    for (int i = 0; i < HH_METRIC_STATUSES; i++)
        if (statuses[i] == status)
            s = i;
    atomic_fetch_add_explicit(&m->requests[p][s], 1, memory_order_relaxed);
    if (p == HH_MP_SYNC1 || p == HH_MP_SYNC2) {
        uint64_t us = elapsed_ns / 1000;
        int b = 0;
        while (b < HH_METRIC_BUCKETS && us > bounds_us[b])
            b++;
        atomic_fetch_add_explicit(&m->sync_buckets[b], 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&m->sync_count, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&m->sync_sum_us, us, memory_order_relaxed);
    }
}

void hh_metrics_changes(hh_metrics *m, uint64_t applied, uint64_t refused)
{
    atomic_fetch_add_explicit(&m->changes_applied, applied, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->changes_refused, refused, memory_order_relaxed);
}

static unsigned long long load(atomic_uint_fast64_t *v)
{
    return (unsigned long long)atomic_load_explicit(v, memory_order_relaxed);
}

hh_err hh_metrics_write(hh_metrics *m, int64_t devices_seen_1d, int64_t database_bytes, hh_buf *out)
{
    unsigned long long cumulative = 0;
    hh_err ret = hh_buf_puts(out, "# HELP hearthd_requests_total HTTP requests answered, by path and status.\n"
                                  "# TYPE hearthd_requests_total counter\n");

    for (int p = 0; p < HH_MP_COUNT && ret == HH_OK; p++)
        for (int s = 0; s <= HH_METRIC_STATUSES && ret == HH_OK; s++) {
            unsigned long long n = load(&m->requests[p][s]);
            char status[8] = "other";
            if (!n)
                continue;
            if (s < HH_METRIC_STATUSES)
                snprintf(status, sizeof status, "%d", statuses[s]);
            ret = hh_buf_printf(out, "hearthd_requests_total{path=\"%s\",status=\"%s\"} %llu\n",
                                path_names[p], status, n);
        }
    if (ret == HH_OK)
        ret = hh_buf_puts(out, "# HELP hearthd_sync_seconds Time to answer a sync request, push and pull.\n"
                               "# TYPE hearthd_sync_seconds histogram\n");
    for (int b = 0; b <= HH_METRIC_BUCKETS && ret == HH_OK; b++) {
        cumulative += load(&m->sync_buckets[b]);
        if (b < HH_METRIC_BUCKETS)
            ret = hh_buf_printf(out, "hearthd_sync_seconds_bucket{le=\"%g\"} %llu\n", bounds_us[b] / 1e6,
                                cumulative);
        else
            ret = hh_buf_printf(out, "hearthd_sync_seconds_bucket{le=\"+Inf\"} %llu\n", cumulative);
    }
    if (ret == HH_OK)
        ret = hh_buf_printf(out, "hearthd_sync_seconds_sum %.6f\nhearthd_sync_seconds_count %llu\n",
                            load(&m->sync_sum_us) / 1e6, load(&m->sync_count));
    if (ret == HH_OK)
        ret = hh_buf_printf(out,
                            "# HELP hearthd_changes_applied_total Changes from devices acknowledged:"
                            " applied, or held already.\n"
                            "# TYPE hearthd_changes_applied_total counter\n"
                            "hearthd_changes_applied_total %llu\n"
                            "# HELP hearthd_changes_refused_total Changes from devices refused (quarantined).\n"
                            "# TYPE hearthd_changes_refused_total counter\n"
                            "hearthd_changes_refused_total %llu\n"
                            "# HELP hearthd_devices_seen_1d Devices that synced in the last 24 hours.\n"
                            "# TYPE hearthd_devices_seen_1d gauge\n"
                            "hearthd_devices_seen_1d %lld\n"
                            "# HELP hearthd_database_bytes The database and its write-ahead log, in bytes.\n"
                            "# TYPE hearthd_database_bytes gauge\n"
                            "hearthd_database_bytes %lld\n",
                            load(&m->changes_applied), load(&m->changes_refused), (long long)devices_seen_1d,
                            (long long)database_bytes);
    return ret;
}
