/* sync/client.h — HTTPS requests to the collector (libcurl on mbedTLS).
 *
 * One client is one connection kept alive across requests, so a sync of many
 * batches costs one TLS handshake. Trust is explicit: either the collector's CA
 * file (every later request, with the device's certificate and key), or, for
 * the very first contact, no verification at all — the caller must then check
 * what it received against the pin it was given (see agent enrolment).
 *
 * Failures are classified so the caller can act on them: HH_ENET / HH_ETIMEOUT
 * (no network: retry later; a handshake cut or refused midway is one too),
 * HH_ETLS (a certificate or pin that does not verify: never retry blindly),
 * HH_EREVOKED (401/403: enrol again), HH_EBUSY (429/503/5xx: retry after the
 * server's Retry-After), HH_ECONFLICT (409), HH_EPROTO (any other status). */
#ifndef HH_CLIENT_H
#define HH_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "model/buf.h"

typedef struct hh_client_config {
    const char *base_url;          /* "https://host:port" */
    const char *ca_file;           /* PEM; NULL: no verification (first contact only) */
    const char *cert_file;         /* the device's certificate, or NULL */
    const char *key_file;          /* its key, or NULL */
    long connect_timeout_ms;
    long timeout_ms;               /* whole request */
} hh_client_config;

typedef struct hh_client_stats {
    uint64_t requests;
    long status;                   /* the last answer's HTTP status (0: none) */
    uint64_t bytes_up;             /* request headers and bodies */
    uint64_t bytes_down;           /* response headers and bodies */
    int64_t server_date_s;         /* the last answer's Date header (unix s), 0: none */
    uint64_t seq_high;             /* the last 409's Hearth-Seq-High: the highest seq the
                                      collector holds for this device (0: none) */
} hh_client_stats;

typedef struct hh_client hh_client;

hh_err hh_client_new(const hh_client_config *cfg, hh_client **out);
void hh_client_free(hh_client *c);

/* Send method path with body (may be NULL for GET). On HH_OK the status was 2xx
 * and response holds the body (at most its cap). On another error, message
 * (cap bytes) says what happened, *retry_after_s holds the server's Retry-After
 * (0 if none). */
hh_err hh_client_request(hh_client *c, const char *method, const char *path, const void *body,
                         size_t len, hh_buf *response, unsigned *retry_after_s, char *message,
                         size_t cap);

/* Deflate every POST body from now on (Content-Encoding: deflate) and accept
 * deflated answers, which hh_client_request inflates — no further than the
 * response buffer's cap — before handing them over. Protocol 2 only. */
void hh_client_set_deflate(hh_client *c, int on);

const hh_client_stats *hh_client_stats_get(const hh_client *c);

#endif
