/* collector/server.c — libmicrohttpd glue (see server.h).
 *
 * libmicrohttpd calls the access handler several times per request: once with
 * the headers (we check the declared size there), once per chunk of body (we
 * copy it into a capped buffer), and once at the end (we verify the client
 * certificate, call the handler and queue its response). The completion
 * callback logs the request and frees its state. */
#define _GNU_SOURCE
#include "server.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include "platform/platform.h"

#define RESPONSE_BYTES_MAX (8u * 1024 * 1024)

/* TLS 1.2 and 1.3, AEAD ciphers only (AES-GCM, ChaCha20-Poly1305) with ECDHE:
 * no CBC, no SHA-1 MACs, no static RSA or DH key exchange. */
#define HH_SERVER_TLS_PRIORITIES                                                   \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:"        \
    "+AES-256-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA"

/* What the watchdog knows of one connection (the socket context). */
typedef struct conn_watch {
    int used;
    int fd;
    int in_request;                /* headers in: the access handler has it */
    int shut;
    uint64_t phase_start_ns;       /* connection start, or its last request's end */
    /* The client certificate verified on this connection: a later request
     * that presents the same one (its SHA-256) is not verified again. */
    unsigned char verified_sha256[32];
    char verified_cn[65];
} conn_watch;

struct hh_server {
    struct MHD_Daemon *daemon;
    pthread_t watchdog;
    int watchdog_running;
    pthread_mutex_t watch_lock;
    pthread_cond_t watch_wake;
    int stopping;
    conn_watch *watches;
    size_t watch_count;
    size_t open;                   /* connections open now */
    uint64_t header_ns_max;
    hh_handler handler;
    void *ctx;
    size_t max_body;
    uint64_t request_ns_max;
    uint64_t min_rate_bytes_s;
};

typedef struct request_state {
    hh_buf body;
    uint64_t received;             /* body bytes, kept or not */
    int too_large;
    int status;
    size_t bytes_out;
    uint64_t start_ns;
    char note[96];
    char method[8];
    char path[64];
    char cn[65];
} request_state;

/* The peer's address as text ("" if unknown). */
static void client_address(struct MHD_Connection *conn, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;

    out[0] = '\0';
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)cap);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)cap);
}

/* The client certificate, if one chaining to our CA was presented: verified
 * once per connection and certificate. */
static void client_identity(struct MHD_Connection *conn, conn_watch *w, hh_request *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    gnutls_session_t tls;
    const gnutls_datum_t *certs;
    unsigned int count = 0, status = 0;
    gnutls_x509_crt_t crt;
    unsigned char digest[32];
    size_t digest_len = sizeof digest, cn_len = sizeof req->client_cn - 1;

    if (!ci || !ci->tls_session)
        return;
    tls = ci->tls_session;
    certs = gnutls_certificate_get_peers(tls, &count);
    if (!certs || count == 0 ||
        gnutls_fingerprint(GNUTLS_DIG_SHA256, &certs[0], digest, &digest_len) != 0 ||
        digest_len != sizeof digest)
        return;
    if (w && w->verified_cn[0] && memcmp(w->verified_sha256, digest, sizeof digest) == 0) {
        memcpy(req->client_cn, w->verified_cn, sizeof req->client_cn);
        hh_hex_encode(digest, sizeof digest, req->client_sha256);
        req->client_verified = 1;
        return;
    }
    if (gnutls_certificate_verify_peers2(tls, &status) != 0 || status != 0)
        return;
    if (gnutls_x509_crt_init(&crt) != 0)
        return;
    if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == 0 &&
        gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, req->client_cn,
                                      &cn_len) == 0) {
        req->client_cn[cn_len < sizeof req->client_cn ? cn_len : sizeof req->client_cn - 1] = '\0';
        hh_hex_encode(digest, sizeof digest, req->client_sha256);
        req->client_verified = 1;
        if (w && req->client_cn[0]) {
            memcpy(w->verified_sha256, digest, sizeof digest);
            memcpy(w->verified_cn, req->client_cn, sizeof w->verified_cn);
        }
    }
    gnutls_x509_crt_deinit(crt);
}

/* The headers a page for a browser carries. */
static void page_headers(struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
                            " frame-ancestors 'none'; base-uri 'none'");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
}

static enum MHD_Result reply(struct MHD_Connection *conn, request_state *rs, int status,
                             const char *type, const char *encoding, const void *data, size_t len,
                             unsigned retry_after, uint64_t seq_high, const hh_response *r)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)data,
                                                                MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;
    char number[24];

    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (encoding)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, encoding);
    if (retry_after) {
        snprintf(number, sizeof number, "%u", retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, number);
    }
    if (seq_high) {
        snprintf(number, sizeof number, "%llu", (unsigned long long)seq_high);
        MHD_add_response_header(resp, "Hearth-Seq-High", number);
    }
    if (r) {
        if (strncmp(type, "text/html", 9) == 0 || r->disposition[0])
            page_headers(resp);
        if (r->set_cookie[0])
            MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, r->set_cookie);
        if (r->location[0])
            MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
        if (r->disposition[0])
            MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, r->disposition);
        if (r->authenticate[0])
            MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, r->authenticate);
    }
    rs->status = status;
    rs->bytes_out = len;
    ret = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- the header watchdog -----------------------------------------------------------
 * libmicrohttpd bounds the gap between two bytes, not the time a peer may take
 * to send a request's headers: a client sending a byte every few seconds would
 * hold its connection for ever. Every connection is watched from its start (or
 * its last request's end) until its headers are in; past header_time_max_s the
 * watchdog shuts its socket down, and libmicrohttpd then closes it as it would
 * a peer that hung up. A slot is freed, under the same lock, when the
 * connection is closed, so the watchdog never touches a descriptor that is no
 * longer this connection's. */

static conn_watch *watch_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static void watch_phase(hh_server *s, struct MHD_Connection *conn, int in_request)
{
    conn_watch *w = watch_of(conn);

    if (!w)
        return;
    pthread_mutex_lock(&s->watch_lock);
    w->in_request = in_request;
    w->phase_start_ns = hh_platform_monotonic_ns();
    pthread_mutex_unlock(&s->watch_lock);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode what)
{
    hh_server *s = cls;
    conn_watch *w = *socket_context;

    pthread_mutex_lock(&s->watch_lock);
    if (what == MHD_CONNECTION_NOTIFY_STARTED)
        s->open++;
    else if (s->open)
        s->open--;
    if (what == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        for (size_t i = 0; i < s->watch_count && ci; i++) {
            if (s->watches[i].used)
                continue;
            w = &s->watches[i];
            *w = (conn_watch){ 1, ci->connect_fd, 0, 0, hh_platform_monotonic_ns() };
            *socket_context = w;
            break;
        }
    } else if (w) {
        w->used = 0;
        *socket_context = NULL;
    }
    pthread_mutex_unlock(&s->watch_lock);
}

static void *watchdog(void *arg)
{
    hh_server *s = arg;

    pthread_mutex_lock(&s->watch_lock);
    while (!s->stopping) {
        struct timespec until;
        uint64_t now = hh_platform_monotonic_ns();
        for (size_t i = 0; i < s->watch_count; i++) {
            conn_watch *w = &s->watches[i];
            if (w->used && !w->in_request && !w->shut && now - w->phase_start_ns > s->header_ns_max) {
                shutdown(w->fd, SHUT_RDWR);
                w->shut = 1;
            }
        }
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&s->watch_wake, &s->watch_lock, &until);
    }
    pthread_mutex_unlock(&s->watch_lock);
    return NULL;
}

static const char *query_arg(const hh_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    hh_server *s = cls;
    request_state *rs = *con_cls;
    hh_request req;
    hh_response resp;
    enum MHD_Result ret;

    (void)version;
    if (!rs) {
        const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (!(rs = calloc(1, sizeof *rs)))
            return MHD_NO;
        *con_cls = rs;
        rs->start_ns = hh_platform_monotonic_ns();
        watch_phase(s, conn, 1);
        snprintf(rs->method, sizeof rs->method, "%s", method);
        snprintf(rs->path, sizeof rs->path, "%s", url);
        hh_buf_init(&rs->body, s->max_body);
        if (length && strtoull(length, NULL, 10) > s->max_body) {
            static const char msg[] = "request body too large\n";
            rs->too_large = 1;
            return reply(conn, rs, 413, "text/plain", NULL, msg, sizeof msg - 1, 0, 0, NULL);
        }
        return MHD_YES;
    }
    if (*upload_size > 0) {
        uint64_t elapsed_ns = hh_platform_monotonic_ns() - rs->start_ns;
        rs->received += *upload_size;
        /* Too long, or too slow once past the grace: close the connection. */
        if (elapsed_ns > s->request_ns_max ||
            (elapsed_ns > (uint64_t)HH_SERVER_RATE_GRACE_S * 1000000000u &&
             rs->received * 1000000000u / elapsed_ns < s->min_rate_bytes_s)) {
            snprintf(rs->note, sizeof rs->note, "closed: body too slow (%llu bytes in %.0f s)",
                     (unsigned long long)rs->received, elapsed_ns / 1e9);
            return MHD_NO;
        }
        if (!rs->too_large && hh_buf_append(&rs->body, upload_data, *upload_size) != HH_OK)
            rs->too_large = 1;
        if (rs->too_large && rs->received > s->max_body + 65536) {
            /* An undeclared body far past the limit: stop reading it at all. */
            snprintf(rs->note, sizeof rs->note, "closed: body over %zu bytes", s->max_body);
            return MHD_NO;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (rs->status)
        return MHD_YES;   /* answered already (413) */
    if (rs->too_large) {
        static const char msg[] = "request body too large\n";
        return reply(conn, rs, 413, "text/plain", NULL, msg, sizeof msg - 1, 0, 0, NULL);
    }
    memset(&req, 0, sizeof req);
    req.method = method;
    req.path = url;
    req.body = (const uint8_t *)hh_buf_str(&rs->body);
    req.body_len = rs->body.len;
    client_identity(conn, watch_of(conn), &req);
    client_address(conn, req.client_addr, sizeof req.client_addr);
    req.content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    req.content_encoding =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING);
    req.accept_encoding =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    req.cookie = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE);
    req.authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    req.arg = query_arg;
    req.conn = conn;
    pthread_mutex_lock(&s->watch_lock);
    req.connections = s->open;
    pthread_mutex_unlock(&s->watch_lock);
    memcpy(rs->cn, req.client_cn, sizeof rs->cn);
    memset(&resp, 0, sizeof resp);
    resp.status = 500;
    resp.content_type = "text/plain";
    hh_buf_init(&resp.body, RESPONSE_BYTES_MAX);
    s->handler(s->ctx, &req, &resp);
    _Static_assert(sizeof rs->note == sizeof resp.log_note, "a log note is kept whole");
    memcpy(rs->note, resp.log_note, sizeof rs->note);
    ret = reply(conn, rs, resp.status, resp.content_type, resp.content_encoding,
                hh_buf_str(&resp.body), resp.body.len, resp.retry_after_s, resp.seq_high, &resp);
    hh_buf_free(&resp.body);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
    request_state *rs = *con_cls;
    char when[21];

    watch_phase(cls, conn, 0);   /* the next request's headers are timed from now */
    if (!rs)
        return;
    hh_platform_utc_now(when);
    /* The device id is the certificate's CN: not personal data. */
    fprintf(stderr, "%s %s %s %d in=%zu out=%zu %.1fms%s%s%s%s%s\n", when, rs->method, rs->path,
            rs->status, rs->body.len, rs->bytes_out,
            (hh_platform_monotonic_ns() - rs->start_ns) / 1e6, rs->cn[0] ? " device=" : "", rs->cn,
            rs->note[0] ? " " : "", rs->note,
            why == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection ended early)");
    hh_buf_free(&rs->body);
    free(rs);
    *con_cls = NULL;
}

/* Parse "ADDR:PORT" or "[V6]:PORT" into a socket address. */
static hh_err parse_listen(const char *text, struct sockaddr_storage *out, int *v6)
{
    char host[64];
    const char *colon;
    char *end;
    unsigned long port;
    size_t n;

    memset(out, 0, sizeof *out);
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':')
            return HH_EINVAL;
        n = (size_t)(close - text - 1);
        colon = close + 1;
        if (n >= sizeof host)
            return HH_EINVAL;
        memcpy(host, text + 1, n);
    } else {
        colon = strrchr(text, ':');
        if (!colon)
            return HH_EINVAL;
        n = (size_t)(colon - text);
        if (n >= sizeof host)
            return HH_EINVAL;
        memcpy(host, text, n);
    }
    host[n] = '\0';
    port = strtoul(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port > 65535)
        return HH_EINVAL;
    if (inet_pton(AF_INET, host, &((struct sockaddr_in *)out)->sin_addr) == 1) {
        ((struct sockaddr_in *)out)->sin_family = AF_INET;
        ((struct sockaddr_in *)out)->sin_port = htons((uint16_t)port);
        *v6 = 0;
        return HH_OK;
    }
    if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)out)->sin6_addr) == 1) {
        ((struct sockaddr_in6 *)out)->sin6_family = AF_INET6;
        ((struct sockaddr_in6 *)out)->sin6_port = htons((uint16_t)port);
        *v6 = 1;
        return HH_OK;
    }
    return HH_EINVAL;
}

hh_err hh_server_start(const hh_server_config *cfg, hh_handler handler, void *ctx,
                       hh_server **out, uint16_t *port, hh_diag *d)
{
    struct sockaddr_storage addr;
    const union MHD_DaemonInfo *info;
    hh_server *s;
    int v6 = 0;

    *out = NULL;
    if (parse_listen(cfg->listen, &addr, &v6) != HH_OK)
        return hh_diag_fail(d, HH_EINVAL, "listen", "'%s' is not ADDRESS:PORT or [V6ADDRESS]:PORT",
                            cfg->listen);
    if (!(s = calloc(1, sizeof *s)))
        return HH_ENOMEM;
    s->handler = handler;
    s->ctx = ctx;
    s->max_body = cfg->max_body_bytes;
    s->header_ns_max = (uint64_t)cfg->header_time_max_s * 1000000000u;
    s->watch_count = (size_t)cfg->connection_limit + 16;
    pthread_mutex_init(&s->watch_lock, NULL);
    pthread_cond_init(&s->watch_wake, NULL);
    if (!(s->watches = calloc(s->watch_count, sizeof *s->watches)) ||
        pthread_create(&s->watchdog, NULL, watchdog, s) != 0) {
        hh_server_stop(s);
        return HH_ENOMEM;
    }
    s->watchdog_running = 1;
    s->request_ns_max = (uint64_t)cfg->request_time_max_s * 1000000000u;
    s->min_rate_bytes_s = cfg->min_rate_bytes_s;
    s->daemon = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_TLS | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0),
        0, NULL, NULL, on_request, s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_HTTPS_MEM_KEY, cfg->key_pem,
        MHD_OPTION_HTTPS_MEM_CERT, cfg->cert_pem,
        MHD_OPTION_HTTPS_MEM_TRUST, cfg->ca_pem,
        MHD_OPTION_HTTPS_PRIORITIES, HH_SERVER_TLS_PRIORITIES,
        MHD_OPTION_CONNECTION_LIMIT, cfg->connection_limit,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->per_ip_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)128 * 1024,
        MHD_OPTION_THREAD_POOL_SIZE, cfg->threads,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_END);
    if (!s->daemon) {
        hh_server_stop(s);
        return hh_diag_fail(d, HH_EIO, "listen",
                            "cannot serve on %s (address in use, or the key and certificate do not match)",
                            cfg->listen);
    }
    info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    *port = info ? info->port : 0;
    *out = s;
    return HH_OK;
}

void hh_server_stop(hh_server *s)
{
    if (!s)
        return;
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    if (s->watchdog_running) {
        pthread_mutex_lock(&s->watch_lock);
        s->stopping = 1;
        pthread_cond_signal(&s->watch_wake);
        pthread_mutex_unlock(&s->watch_lock);
        pthread_join(s->watchdog, NULL);
    }
    pthread_cond_destroy(&s->watch_wake);
    pthread_mutex_destroy(&s->watch_lock);
    free(s->watches);
    free(s);
}
