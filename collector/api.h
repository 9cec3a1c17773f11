/* collector/api.h — the collector's HTTP API (protocol v1, DESIGN 5 and 6).
 *
 *   GET  /v1/health  no certificate needed: "ok"
 *   GET  /v1/ca      no certificate needed: the CA certificate (PEM), whose key
 *                    the device checks against the pin it was given
 *   POST /v1/enroll  no certificate needed: EnrollRequest -> EnrollResponse
 *   POST /v1/sync    device certificate required: SyncRequest -> SyncResponse
 *
 * Requests are handled one at a time against the database (SQLite has one
 * writer); a request that waits too long for its turn gets 503 and Retry-After. */
#ifndef HH_API_H
#define HH_API_H

#include <pthread.h>

#include "cstore.h"
#include "limiter.h"
#include "model/hlc.h"
#include "server.h"

/* Most changes one sync request may carry, and pulled tiers one response holds. */
#define HH_SYNC_CHANGES_MAX 512
#define HH_SYNC_PULL_MAX    500
#define HH_SYNC_PULL_HOUSEHOLDS_MAX 64   /* snapshots are large: fewer per response */

typedef struct hh_api {
    hh_cstore *store;
    pthread_mutex_t lock;          /* one request at a time on the database */
    const char *ca_pem;
    const char *ca_key_pem;
    int device_cert_days;
    hh_hlc clock;                  /* the collector's HLC, under lock */
    hh_limiter enrolments;         /* refused enrolments per address, attempts overall */
} hh_api;

/* Set up what the handler keeps besides the store: enrolment guessing is
 * bounded to failures_per_address refused attempts per client address and
 * attempts_total attempts from everywhere in each window_ms (a code is also
 * locked after HH_ENROL_CODE_TRIES wrong tries against it, cstore.h). Cannot
 * fail; undo with hh_api_free. */
void hh_api_init(hh_api *api, unsigned failures_per_address, unsigned attempts_total,
                 uint64_t window_ms);
void hh_api_free(hh_api *api);

/* The server handler; ctx is an hh_api. */
void hh_api_handle(void *ctx, const hh_request *req, hh_response *resp);

#endif
