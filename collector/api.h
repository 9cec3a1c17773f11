/* collector/api.h — the collector's HTTP API (protocol v1, DESIGN 5 and 6).
 *
 *   GET  /v1/health  no certificate needed: "ok"
 *   GET  /v1/ca      no certificate needed: the CA certificate (PEM), whose key
 *                    the device checks against the pin it was given
 *   POST /v1/enroll  no certificate needed: EnrollRequest -> EnrollResponse
 *   POST /v1/sync    device certificate required: SyncRequest -> SyncResponse
 *   POST /v2/sync    the same in protocol 2 (sync/wire.h): compact changes, the
 *                    body deflated or not (Content-Encoding), the answer
 *                    deflated when the device's Accept-Encoding lists deflate;
 *                    a body that inflates past max_body_bytes is refused (413)
 *
 * Every other path is the reviewers' console's (console.h), when there is one.
 *
 * Writes go through the sync service's group commit (service.h); a request
 * that waits too long for its turn gets 503 and Retry-After. Pulls read on a
 * connection of their server thread's own. */
#ifndef HH_API_H
#define HH_API_H

#include <pthread.h>

#include "limiter.h"
#include "metrics.h"
#include "server.h"
#include "service.h"

typedef struct hh_api {
    hh_service *service;           /* borrowed */
    const char *db_path;           /* each server thread opens its reader on it */
    size_t max_body_bytes;         /* an inflated body's bound, as a plain body's */
    const char *ca_pem;
    const char *ca_key_pem;
    int device_cert_days;
    hh_limiter enrolments;         /* refused enrolments per address, attempts overall */
    pthread_key_t worker;          /* each server thread's reader and scratch */
    struct hh_console *console;    /* borrowed; NULL: no console (every other path 404) */
    hh_metrics metrics;            /* every request counted (console.h serves /metrics) */
} hh_api;

/* Set up what the handler keeps besides the store: enrolment guessing is
 * bounded to failures_per_address refused attempts per client address and
 * attempts_total attempts from everywhere in each window_ms (a code is also
 * locked after HH_ENROL_CODE_TRIES wrong tries against it, cstore.h).
 * HH_ENOMEM when it cannot; undo with hh_api_free. The caller sets service,
 * db_path and the CA. */
hh_err hh_api_init(hh_api *api, unsigned failures_per_address, unsigned attempts_total,
                 uint64_t window_ms);
void hh_api_free(hh_api *api);

/* The server handler; ctx is an hh_api. */
void hh_api_handle(void *ctx, const hh_request *req, hh_response *resp);

#endif
