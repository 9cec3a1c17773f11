/* collector/server.h — the collector's HTTPS endpoint (libmicrohttpd on GnuTLS).
 *
 * TLS 1.2 and 1.3 only. Clients are asked for a certificate on every
 * connection; whether one is required is the handler's decision per path
 * (enrolment and health need none). The certificate is verified against the
 * collector's CA here, and the handler gets its subject CN and fingerprint.
 * Request bodies are bounded: a declared Content-Length over the limit is
 * refused with 413 before the body is read, and an undeclared (chunked) body is
 * cut off at the limit. A body must arrive within request_time_max_s and, after
 * a grace, at min_rate_bytes_s or faster, or the connection is closed; and the
 * headers (TLS handshake included) within header_time_max_s, else a watchdog
 * shuts the connection down: a client trickling bytes holds no slot for long. Connection count, per-address
 * connections, memory per connection and idle time are all limited explicitly,
 * and the open-file limit is raised to fit the connection limit. One log line per request
 * goes to stderr, without personal data. An HTML answer carries the headers a
 * browser needs to keep it to itself: no scripts, styles or frames from
 * elsewhere, no caching, no referrer. */
#ifndef HH_SERVER_H
#define HH_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "model/buf.h"
#include "model/diag.h"

typedef struct hh_server_config {
    const char *listen;            /* "ADDR:PORT", "[V6]:PORT"; port 0 picks a free one */
    const char *key_pem;
    const char *cert_pem;
    const char *ca_pem;            /* client certificates must chain to this */
    size_t max_body_bytes;
    unsigned connection_limit;
    unsigned per_ip_limit;
    unsigned timeout_s;            /* idle seconds before a connection is closed */
    unsigned header_time_max_s;    /* a connection must have sent a request's headers
                                      (TLS handshake included) by then, counted from
                                      its start or the end of its last request */
    unsigned request_time_max_s;   /* a request's body must be in by then */
    unsigned min_rate_bytes_s;     /* …and arrive at least this fast after a grace */
    unsigned threads;
} hh_server_config;

/* Seconds a request body may start slowly before its rate is judged. */
#define HH_SERVER_RATE_GRACE_S 10

typedef struct hh_request hh_request;
struct hh_request {
    const char *method;
    const char *path;
    const uint8_t *body;
    size_t body_len;
    int client_verified;           /* a certificate from our CA was presented */
    char client_cn[65];
    char client_sha256[65];        /* hex SHA-256 of the certificate (DER) */
    char client_addr[48];          /* the peer's IP address, as text */
    const char *content_type;      /* the request's Content-Type, or NULL */
    const char *content_encoding;  /* …its Content-Encoding, or NULL */
    const char *accept_encoding;   /* …its Accept-Encoding, or NULL */
    const char *cookie;            /* …its Cookie header, or NULL */
    const char *authorization;     /* …its Authorization header, or NULL */
    /* A query-string argument, decoded, or NULL (the server's lookup). */
    const char *(*arg)(const hh_request *req, const char *name);
    void *conn;                    /* the server's, for arg */
    size_t connections;            /* connections open now, this one's included */
};

typedef struct hh_response {
    int status;
    const char *content_type;
    const char *content_encoding;  /* NULL: the body is sent as it is */
    hh_buf body;                   /* cap set by the server */
    unsigned retry_after_s;        /* 0: no Retry-After header */
    uint64_t seq_high;             /* 0: no Hearth-Seq-High header (see api.h, 409) */
    char log_note[96];             /* appended to the request's log line */
    char set_cookie[192];          /* "": no Set-Cookie header */
    char location[256];            /* "": no Location header */
    char disposition[128];         /* "": no Content-Disposition header */
    char authenticate[64];         /* "": no WWW-Authenticate header */
} hh_response;

typedef void (*hh_handler)(void *ctx, const hh_request *req, hh_response *resp);

typedef struct hh_server hh_server;

/* Start serving; the port actually bound is in *port. */
hh_err hh_server_start(const hh_server_config *cfg, hh_handler handler, void *ctx,
                       hh_server **out, uint16_t *port, hh_diag *d);

/* Stop accepting, finish the requests in flight, free everything. NULL ok. */
void hh_server_stop(hh_server *s);

#endif
