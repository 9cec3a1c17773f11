/* collector/metrics.h — what the county's monitoring scrapes from /metrics
 * (Prometheus text format): requests by path and status, the sync latency
 * histogram, changes applied and refused; devices seen in the last day and
 * the database's size are read when scraped. Counters only: no personal data,
 * no device or household identifier. Lock-free (C11 atomics): every server
 * thread counts as it answers. */
#ifndef HH_METRICS_H
#define HH_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "model/buf.h"

/* The paths counted apart; every other path is "other". */
enum { HH_MP_HEALTH, HH_MP_CA, HH_MP_ENROLL, HH_MP_SYNC1, HH_MP_SYNC2, HH_MP_CONSOLE, HH_MP_METRICS,
       HH_MP_OTHER, HH_MP_COUNT };
/* The statuses counted apart; every other status is "other". */
#define HH_METRIC_STATUSES 14
#define HH_METRIC_BUCKETS  12

typedef struct hh_metrics {
    atomic_uint_fast64_t requests[HH_MP_COUNT][HH_METRIC_STATUSES + 1];
    atomic_uint_fast64_t sync_buckets[HH_METRIC_BUCKETS + 1];   /* the last: +Inf */
    atomic_uint_fast64_t sync_count, sync_sum_us;
    atomic_uint_fast64_t changes_applied, changes_refused;
} hh_metrics;

void hh_metrics_init(hh_metrics *m);

/* One request answered: its path, status and how long it took. */
void hh_metrics_request(hh_metrics *m, const char *path, int status, uint64_t elapsed_ns);

/* One sync's changes. */
void hh_metrics_changes(hh_metrics *m, uint64_t applied, uint64_t refused);

/* The exposition: the counters, then the gauges given. */
hh_err hh_metrics_write(hh_metrics *m, int64_t devices_seen_1d, int64_t database_bytes, hh_buf *out);

#endif
