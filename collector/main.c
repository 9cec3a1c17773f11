/* collector/main.c — `hearthd`, the collector: set-up, serving, and the
 * administrator's commands. Everything lives in one directory (--dir):
 *
 *   hearthd.conf   settings (key = value; written by init, documented inside)
 *   ca.key ca.crt  the collector's CA (the key is mode 0600)
 *   server.key server.crt   the HTTPS identity, signed by the CA
 *   collector.db   the database
 *   hearthd.url    written by serve: the URL it listens on (for scripts) */
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>
#include <mbedtls/version.h>
#include <protobuf-c/protobuf-c.h>
#include <sqlite3.h>

#include "api.h"
#include "console.h"
#include "commands.h"
#include "cstore.h"
#include "rstore.h"
#include "model/exchange.h"
#include "model/kv.h"
#include "model/validate.h"
#include "platform/platform.h"
#include "server.h"
#include "sync/cli.h"
#include "sync/export.h"
#include "sync/i18n.h"
#include "sync/pki.h"

#define HEARTHD_VERSION "0.1.0"
#define CONFIG_BYTES_MAX 8192

typedef struct config {
    char listen[80];
    char url[128];
    char metrics_from[256];
    int64_t enrol_code_ttl_s;
    int64_t device_cert_days;
    int64_t max_body_bytes;
    int64_t connection_limit;
    int64_t per_ip_connection_limit;
    int64_t timeout_s;
    int64_t threads;
    int64_t header_time_max_s;
    int64_t request_time_max_s;
    int64_t min_rate_bytes_s;
    int64_t enrol_failures_per_address;
    int64_t enrol_attempts_total;
    int64_t enrol_window_s;
    int64_t console_idle_s;
    int64_t login_failures;
    int64_t login_window_s;
} config;

typedef struct collector {
    char dir[HH_PATH_MAX];
    config cfg;
    hh_cstore *store;
} collector;

static collector app;

enum { NEEDS_STORE = HH_CMD_NEEDS_STORE };

hh_cstore *hh_collector_store(void)
{
    return app.store;
}

static const char *dir_file(const char *name)
{
    static char paths[4][HH_PATH_MAX + 32];
    static int next;
    char *p = paths[next++ % 4];

    snprintf(p, sizeof paths[0], "%s/%s", app.dir, name);
    return p;
}

/* ---- configuration ---------------------------------------------------------------- */

typedef struct config_key {
    const char *name;
    size_t offset;
    int64_t min, max;    /* numbers; min > max: text of at most max_text bytes */
    size_t max_text;
} config_key;

#define CFG(field) offsetof(config, field)
static const config_key config_keys[] = {
    { "listen", CFG(listen), 1, 0, sizeof ((config *)0)->listen },
    { "url", CFG(url), 1, 0, sizeof ((config *)0)->url },
    { "metrics_from", CFG(metrics_from), 1, 0, sizeof ((config *)0)->metrics_from },
    { "enrol_code_ttl_s", CFG(enrol_code_ttl_s), 60, 30 * 86400 },
    { "device_cert_days", CFG(device_cert_days), 1, 3650 },
    { "max_body_bytes", CFG(max_body_bytes), 4096, 64 * 1024 * 1024 },
    { "connection_limit", CFG(connection_limit), 1, 10000 },
    { "per_ip_connection_limit", CFG(per_ip_connection_limit), 1, 10000 },
    { "timeout_s", CFG(timeout_s), 1, 3600 },
    { "threads", CFG(threads), 1, 64 },
    { "header_time_max_s", CFG(header_time_max_s), 1, 3600 },
    { "request_time_max_s", CFG(request_time_max_s), 1, 3600 },
    { "min_rate_bytes_s", CFG(min_rate_bytes_s), 0, 1000000 },
    { "enrol_failures_per_address", CFG(enrol_failures_per_address), 1, 100000 },
    { "enrol_attempts_total", CFG(enrol_attempts_total), 1, 1000000 },
    { "enrol_window_s", CFG(enrol_window_s), 1, 86400 },
    { "console_idle_s", CFG(console_idle_s), 5, 86400 },
    { "login_failures", CFG(login_failures), 1, 1000 },
    { "login_window_s", CFG(login_window_s), 10, 86400 },
};

static hh_err config_take(void *ctx, const char *key, const char *value, int line_no,
                          const char *where, hh_diag *d)
{
    config *cfg = ctx;

    (void)line_no;
    for (size_t i = 0; i < sizeof config_keys / sizeof config_keys[0]; i++) {
        const config_key *k = &config_keys[i];
        char *field = (char *)cfg + k->offset;
        if (strcmp(k->name, key) != 0)
            continue;
        if (k->min > k->max) {
            size_t cap = k->max_text;
            if (strlen(value) == 0 || strlen(value) >= cap)
                return hh_diag_fail(d, HH_EPARSE, where, "%s must be 1-%zu characters", key, cap - 1);
            memcpy(field, value, strlen(value) + 1);
            return HH_OK;
        }
        return cli_parse_int(where, value, k->min, k->max, (int64_t *)field, d) == HH_OK
               ? HH_OK : hh_diag_fail(d, HH_EPARSE, where, "%s must be a whole number in %lld..%lld",
                                      key, (long long)k->min, (long long)k->max);
    }
    return hh_diag_fail(d, HH_EPARSE, where, "unknown setting '%.40s'", key);
}

static void config_defaults(config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->listen, sizeof cfg->listen, "127.0.0.1:8443");
    snprintf(cfg->url, sizeof cfg->url, "https://127.0.0.1:8443");
    cfg->enrol_code_ttl_s = 86400;
    cfg->device_cert_days = 730;
    cfg->max_body_bytes = 1024 * 1024;
    /* Room for slow or hostile connections beside the devices, and for a
     * village's devices behind one carrier NAT address. */
    cfg->connection_limit = 1024;
    cfg->per_ip_connection_limit = 128;
    cfg->timeout_s = 30;
    cfg->threads = 16;   /* a push holds its thread until its group is durable */
    cfg->header_time_max_s = 30;
    cfg->request_time_max_s = 120;
    cfg->min_rate_bytes_s = 64;
    cfg->enrol_failures_per_address = 10;
    cfg->enrol_attempts_total = 300;
    cfg->enrol_window_s = 600;
    cfg->console_idle_s = 1800;
    cfg->login_failures = 5;
    cfg->login_window_s = 900;
}

static hh_err config_load(config *cfg, hh_diag *d)
{
    char *text = NULL;
    size_t len = 0;
    hh_err ret;

    config_defaults(cfg);
    if ((ret = hh_platform_read_file(dir_file("hearthd.conf"), CONFIG_BYTES_MAX, &text, &len)) != HH_OK)
        return hh_diag_fail(d, ret, "hearthd.conf", "cannot read %s", dir_file("hearthd.conf"));
    ret = hh_kv_parse(text, len, CONFIG_BYTES_MAX, config_take, cfg, d);
    free(text);
    if (ret != HH_OK)
        hh_diag_prefix(d, "hearthd.conf ");
    return ret;
}

static hh_err config_write(const config *cfg)
{
    char text[4096];
    int n = snprintf(text, sizeof text,
        "# hearthd settings: one `key = value` per line (hearthd serve reads them).\n"
        "# The address to listen on, and the URL devices use to reach it.\n"
        "listen = %s\nurl = %s\n"
        "# How long a one-time enrolment code stays valid, and a device certificate.\n"
        "enrol_code_ttl_s = %lld\ndevice_cert_days = %lld\n"
        "# Limits: request body size, connections in all and per address, idle\n"
        "# seconds before a connection is closed, and server threads.\n"
        "max_body_bytes = %lld\nconnection_limit = %lld\nper_ip_connection_limit = %lld\n"
        "timeout_s = %lld\nthreads = %lld\n"
        "# A connection must send a request's headers (TLS handshake included)\n"
        "# within header_time_max_s seconds; a body must be in within\n"
        "# request_time_max_s, and after the first 10 s arrive at min_rate_bytes_s\n"
        "# or faster; else the connection is cut.\n"
        "header_time_max_s = %lld\nrequest_time_max_s = %lld\nmin_rate_bytes_s = %lld\n"
        "# Enrolment guessing: refused attempts allowed per client address, and\n"
        "# attempts from everywhere, in each window of enrol_window_s seconds.\n"
        "enrol_failures_per_address = %lld\nenrol_attempts_total = %lld\nenrol_window_s = %lld\n"
        "# The reviewers' console: a session ends after console_idle_s seconds\n"
        "# unused; an account (and, four times as many, an address) may fail\n"
        "# login_failures logins in login_window_s seconds, then waits.\n"
        "console_idle_s = %lld\nlogin_failures = %lld\nlogin_window_s = %lld\n"
        "# /metrics answers these addresses (comma-separated) without a credential,\n"
        "# and anybody else only with an administrator's (HTTP Basic).\n"
        "# metrics_from = 127.0.0.1\n",
        cfg->listen, cfg->url, (long long)cfg->enrol_code_ttl_s, (long long)cfg->device_cert_days,
        (long long)cfg->max_body_bytes, (long long)cfg->connection_limit,
        (long long)cfg->per_ip_connection_limit, (long long)cfg->timeout_s, (long long)cfg->threads,
        (long long)cfg->header_time_max_s, (long long)cfg->request_time_max_s,
        (long long)cfg->min_rate_bytes_s,
        (long long)cfg->enrol_failures_per_address, (long long)cfg->enrol_attempts_total,
        (long long)cfg->enrol_window_s, (long long)cfg->console_idle_s,
        (long long)cfg->login_failures, (long long)cfg->login_window_s);

    if (n < 0 || (size_t)n >= sizeof text)
        return HH_ERANGE;
    return hh_platform_write_file_durable(dir_file("hearthd.conf"), text, (size_t)n, 0644);
}

/* ---- init --------------------------------------------------------------------------- */

static hh_err write_pem(const char *name, const hh_buf *pem, mode_t mode)
{
    return hh_platform_write_file_durable(dir_file(name), pem->data, pem->len, mode);
}

static int cmd_init(cli *c)
{
    const char *names_opt = cli_get(c, "name"), *listen = cli_get(c, "listen");
    char names_text[512] = "localhost,127.0.0.1,::1", host[256];
    const char *names[20];
    int n_names = 0;
    hh_buf ca_key, ca_cert, key, cert;
    hh_pki_issue ca = { HH_PKI_ROLE_CA, "Hearth collector CA", NULL, NULL, NULL, NULL, NULL, 3650 };
    hh_pki_issue server = { HH_PKI_ROLE_SERVER, "hearthd", NULL, NULL, NULL, NULL, NULL, 825 };
    hh_cstore *store = NULL;
    char pin[HH_PKI_PIN_LEN + 1];
    hh_diag d;
    hh_err ret;
    int rc = HH_EXIT_OK;

    hh_diag_clear(&d);
    if (hh_platform_exists(dir_file("collector.db")) || hh_platform_exists(dir_file("ca.key")))
        return cli_fail(HH_EEXIST, NULL, "%s already holds a collector", app.dir);
    config_defaults(&app.cfg);
    if (listen) {
        if (strlen(listen) >= sizeof app.cfg.listen)
            return cli_usage(c, "--listen is too long");
        snprintf(app.cfg.listen, sizeof app.cfg.listen, "%s", listen);
        snprintf(app.cfg.url, sizeof app.cfg.url, "https://%s", listen);
    }
    /* The server certificate names: loopback, the host name, and every --name. */
    hh_platform_hostname(host, sizeof host);
    if (host[0] && strlen(names_text) + strlen(host) + 2 < sizeof names_text) {
        strcat(names_text, ",");
        strcat(names_text, host);
    }
    if (names_opt && strlen(names_text) + strlen(names_opt) + 2 < sizeof names_text) {
        strcat(names_text, ",");
        strcat(names_text, names_opt);
    } else if (names_opt) {
        return cli_usage(c, "too many --name values");
    }
    for (char *save = NULL, *t = strtok_r(names_text, ",", &save); t && n_names < 19;
         t = strtok_r(NULL, ",", &save))
        names[n_names++] = t;
    names[n_names] = NULL;
    server.names = names;

    hh_buf_init(&ca_key, HH_PKI_PEM_MAX);
    hh_buf_init(&ca_cert, HH_PKI_PEM_MAX);
    hh_buf_init(&key, HH_PKI_PEM_MAX);
    hh_buf_init(&cert, HH_PKI_PEM_MAX);
    if (hh_platform_mkdirs(app.dir, 0700) != HH_OK) {
        rc = cli_fail(HH_EIO, NULL, "cannot create %s", app.dir);
        goto cleanup;
    }
    ca.subject_key_pem = ca.ca_key_pem = NULL;
    if ((ret = hh_pki_key_new(&ca_key)) != HH_OK || (ret = hh_pki_key_new(&key)) != HH_OK)
        goto pki_failed;
    ca.subject_key_pem = ca.ca_key_pem = ca_key.data;
    if ((ret = hh_pki_issue_cert(&ca, &ca_cert)) != HH_OK)
        goto pki_failed;
    server.subject_key_pem = key.data;
    server.ca_cert_pem = ca_cert.data;
    server.ca_key_pem = ca_key.data;
    if ((ret = hh_pki_issue_cert(&server, &cert)) != HH_OK) {
        rc = cli_fail(ret, NULL, "cannot issue the server certificate (is every --name a host "
                                 "name or an IP address?)");
        goto cleanup;
    }
    if ((ret = write_pem("ca.key", &ca_key, 0600)) != HH_OK ||
        (ret = write_pem("ca.crt", &ca_cert, 0644)) != HH_OK ||
        (ret = write_pem("server.key", &key, 0600)) != HH_OK ||
        (ret = write_pem("server.crt", &cert, 0644)) != HH_OK ||
        (ret = config_write(&app.cfg)) != HH_OK) {
        rc = cli_fail(ret, NULL, "cannot write the collector's files in %s", app.dir);
        goto cleanup;
    }
    if ((ret = hh_cstore_create(dir_file("collector.db"), &store, &d)) != HH_OK) {
        rc = cli_fail(ret, &d, "cannot create the database");
        goto cleanup;
    }
    hh_pki_pin(ca_cert.data, ca_cert.len, pin);
    printf("initialised collector in %s\nurl      %s\nca pin   %s\nnames    ", app.dir, app.cfg.url, pin);
    for (int i = 0; i < n_names; i++)
        printf("%s%s", i ? ", " : "", names[i]);
    printf("\n");
    goto cleanup;
pki_failed:
    rc = cli_fail(ret, NULL, "cannot make the collector's keys");
cleanup:
    hh_cstore_close(store);
    hh_buf_free_secret(&ca_key);
    hh_buf_free_secret(&key);
    hh_buf_free(&ca_cert);
    hh_buf_free(&cert);
    return rc;
}

/* ---- serve ---------------------------------------------------------------------------- */

/* The console's month-by-month history: households per village and tier are
 * counted when serving starts and every so often, the last count of a month
 * standing for it. */
#define MONTH_COUNT_EVERY_MS (10u * 60 * 1000)

static void count_month(hh_service *service)
{
    hh_cstore *store = hh_service_lock(service, 10000);
    hh_err ret = HH_EBUSY;

    if (store) {
        if ((ret = hh_cstore_begin(store)) == HH_OK) {
            if ((ret = hh_rstore_count_month(store)) == HH_OK)
                ret = hh_cstore_commit(store);
            else
                hh_cstore_rollback(store);
        }
        hh_service_unlock(service);
    }
    if (ret != HH_OK)
        fprintf(stderr, "hearthd: cannot count this month's tiers now (%s); next try in %u min\n",
                hh_strerror(ret), MONTH_COUNT_EVERY_MS / 60000);
}

/* SIGHUP: read hearthd.conf again. The console's settings take effect now;
 * a changed setting of the server itself (its address, limits, threads) is
 * named as waiting for a restart. A file that does not parse changes nothing. */
static void reread_config(hh_console *console)
{
    config fresh;
    hh_diag d;

    hh_diag_clear(&d);
    if (config_load(&fresh, &d) != HH_OK) {
        fprintf(stderr, "hearthd: SIGHUP: settings not changed: %s: %s\n", d.field, d.message);
        return;
    }
    hh_console_configure(console, &(hh_console_config){ (unsigned)fresh.console_idle_s,
                                                          (unsigned)fresh.login_failures,
                                                          (unsigned)fresh.login_window_s,
                                                          fresh.metrics_from, NULL, NULL });
    for (size_t i = 0; i < sizeof config_keys / sizeof config_keys[0]; i++) {
        const config_key *k = &config_keys[i];
        const char *was = (const char *)&app.cfg + k->offset, *now = (const char *)&fresh + k->offset;
        int console_key = k->offset == CFG(console_idle_s) || k->offset == CFG(login_failures) ||
                          k->offset == CFG(login_window_s) || k->offset == CFG(metrics_from);
        int changed = k->min > k->max ? strcmp(was, now) != 0
                                      : *(const int64_t *)(const void *)was != *(const int64_t *)(const void *)now;
        if (changed && !console_key)
            fprintf(stderr, "hearthd: SIGHUP: %s changed: it takes effect at the next start\n", k->name);
    }
    fprintf(stderr, "hearthd: SIGHUP: settings read again (console: idle %llds, %lld failed logins per %llds, "
                    "metrics from '%s')\n", (long long)fresh.console_idle_s, (long long)fresh.login_failures,
            (long long)fresh.login_window_s, fresh.metrics_from);
}

static int cmd_serve(cli *c)
{
    char *key = NULL, *cert = NULL, *ca = NULL, *ca_key = NULL, url[200];
    size_t len;
    hh_server_config sc;
    hh_server *server = NULL;
    hh_service *service = NULL;
    hh_console *console = NULL;
    hh_console_config cc = { (unsigned)app.cfg.console_idle_s, (unsigned)app.cfg.login_failures,
                             (unsigned)app.cfg.login_window_s, app.cfg.metrics_from, NULL, NULL };
    char db_path[HH_PATH_MAX];
    hh_api api;
    uint16_t port = 0;
    hh_diag d;
    hh_err ret;
    int rc = HH_EXIT_OK, sig;
    const char *listen = cli_get(c, "listen"), *log_path = cli_get(c, "log");

    hh_diag_clear(&d);
    if (hh_api_init(&api, (unsigned)app.cfg.enrol_failures_per_address,
                    (unsigned)app.cfg.enrol_attempts_total,
                    (uint64_t)app.cfg.enrol_window_s * 1000) != HH_OK)
        return cli_fail(HH_ENOMEM, NULL, "cannot start");
    snprintf(db_path, sizeof db_path, "%s", dir_file("collector.db"));
    if ((ret = hh_platform_read_file(dir_file("server.key"), HH_PKI_PEM_MAX, &key, &len)) != HH_OK ||
        (ret = hh_platform_read_file(dir_file("server.crt"), HH_PKI_PEM_MAX, &cert, &len)) != HH_OK ||
        (ret = hh_platform_read_file(dir_file("ca.crt"), HH_PKI_PEM_MAX, &ca, &len)) != HH_OK ||
        (ret = hh_platform_read_file(dir_file("ca.key"), HH_PKI_PEM_MAX, &ca_key, &len)) != HH_OK) {
        rc = cli_fail(ret, NULL, "cannot read the keys and certificates in %s", app.dir);
        goto cleanup;
    }
    cc.db_path = db_path;
    cc.metrics = &api.metrics;
    if ((ret = hh_service_new(app.store, &service)) != HH_OK ||
        (ret = hh_console_new(service, &cc, &console)) != HH_OK) {
        rc = cli_fail(ret, NULL, "cannot start");
        goto cleanup;
    }
    /* The console's pages are Chinese, or English for a browser that asks. */
    hh_i18n_init("hearth", "zh");
    api.service = service;
    api.console = console;
    api.db_path = db_path;
    api.max_body_bytes = (size_t)app.cfg.max_body_bytes;
    api.ca_pem = ca;
    api.ca_key_pem = ca_key;
    api.device_cert_days = (int)app.cfg.device_cert_days;
    sc = (hh_server_config){ listen ? listen : app.cfg.listen, key, cert, ca,
                             (size_t)app.cfg.max_body_bytes, (unsigned)app.cfg.connection_limit,
                             (unsigned)app.cfg.per_ip_connection_limit, (unsigned)app.cfg.timeout_s,
                             (unsigned)app.cfg.header_time_max_s, (unsigned)app.cfg.request_time_max_s,
                             (unsigned)app.cfg.min_rate_bytes_s,
                             (unsigned)app.cfg.threads };
    {
        /* Every connection is a descriptor: make room, or serve fewer. */
        long fds = hh_platform_raise_fd_limit((long)sc.connection_limit + 64);
        if (fds < (long)sc.connection_limit + 64) {
            unsigned fit = fds > 128 ? (unsigned)(fds - 64) : 64;
            fprintf(stderr, "hearthd: only %ld open files allowed: serving at most %u connections, "
                            "not %u\n", fds, fit, sc.connection_limit);
            sc.connection_limit = fit;
        }
    }
    if (log_path && (ret = hh_platform_redirect_stderr(log_path)) != HH_OK) {
        rc = cli_fail(ret, NULL, "cannot open the log %s", log_path);
        goto cleanup;
    }
    hh_platform_keep_heap();
    /* Every server thread inherits the blocked signals; this thread waits. */
    hh_platform_block_termination();
    if ((ret = hh_server_start(&sc, hh_api_handle, &api, &server, &port, &d)) != HH_OK) {
        rc = cli_fail(ret, &d, "cannot start");
        goto cleanup;
    }
    {
        /* The URL with the port actually bound (the configured one may be 0). */
        const char *colon = strrchr(sc.listen, ':');
        char line[sizeof url + 1];
        snprintf(url, sizeof url, "https://%.*s:%u", (int)(colon - sc.listen), sc.listen, port);
        snprintf(line, sizeof line, "%s\n", url);
        hh_platform_write_file_durable(dir_file("hearthd.url"), line, strlen(line), 0644);
    }
    fprintf(stderr, "hearthd %s: serving %s (pid %ld); SIGTERM stops it\n", HEARTHD_VERSION, url,
            hh_platform_pid());
    /* SIGHUP (log rotation, a closed terminal) does not stop the service: the
     * log is opened again, under its name, and serving goes on. */
    count_month(service);
    for (;;) {
        if (!(sig = hh_platform_wait_termination_for(MONTH_COUNT_EVERY_MS))) {
            count_month(service);
            continue;
        }
        if (!hh_platform_is_hangup(sig))
            break;
        if (log_path && hh_platform_redirect_stderr(log_path) != HH_OK)
            fprintf(stderr, "hearthd: SIGHUP: cannot reopen %s; the log goes on here\n", log_path);
        else
            fprintf(stderr, "hearthd: SIGHUP: log %s; still serving %s\n",
                    log_path ? "reopened" : "unchanged", url);
        reread_config(console);
    }
    fprintf(stderr, "hearthd: signal %d: finishing the requests in flight and stopping\n", sig);
    hh_server_stop(server);
cleanup:
    hh_api_free(&api);
    hh_console_free(console);
    hh_service_free(service);
    if (key)
        explicit_bzero(key, strlen(key));
    if (ca_key)
        explicit_bzero(ca_key, strlen(ca_key));
    free(key);
    free(cert);
    free(ca);
    free(ca_key);
    return rc;
}

/* ---- devices -------------------------------------------------------------------------- */

/* The URL devices should use: the one `serve` wrote when it bound its port
 * (the configured listen address may say port 0), else the configured url. */
static void serving_url(char *out, size_t cap)
{
    char *text = NULL;
    size_t len = 0;

    snprintf(out, cap, "%s", app.cfg.url);
    if (hh_platform_exists(dir_file("hearthd.url")) &&
        hh_platform_read_file(dir_file("hearthd.url"), 256, &text, &len) == HH_OK &&
        len > 8 && strncmp(text, "https://", 8) == 0) {
        text[strcspn(text, "\r\n")] = '\0';
        if (strlen(text) < cap && hh_validate_text("url", text, cap - 1, 0, NULL) == HH_OK)
            snprintf(out, cap, "%s", text);
    }
    free(text);
}

static int cmd_device_add(cli *c)
{
    const char *officer = cli_get(c, "officer"), *villages_opt = cli_get(c, "villages");
    char villages[HH_VILLAGES_TEXT_MAX + 1], code[HH_ENROL_CODE_LEN + 1], pin[HH_PKI_PIN_LEN + 1], url[256];
    char joined[HH_ENROL_STRING_MAX + 1];
    char *ca = NULL;
    size_t len;
    int64_t ttl = app.cfg.enrol_code_ttl_s;
    hh_diag d;
    hh_err ret;

    hh_diag_clear(&d);
    if (!officer || !villages_opt)
        return cli_usage(c, "--officer and --villages are required");
    if ((ret = hh_validate_text("--officer", officer, HH_OFFICER_MAX, 0, &d)) != HH_OK || !officer[0])
        return cli_fail(HH_EINVAL, &d, "--officer must be 1-%d characters", HH_OFFICER_MAX);
    if ((ret = hh_villages_parse(villages_opt, villages, &d)) != HH_OK)
        return cli_fail(ret, &d, "--villages");
    if (cli_has(c, "ttl") && (ret = cli_parse_int("--ttl", cli_get(c, "ttl"), 60, 30 * 86400, &ttl, &d)) != HH_OK)
        return cli_fail(ret, &d, "--ttl");
    if ((ret = hh_platform_read_file(dir_file("ca.crt"), HH_PKI_PEM_MAX, &ca, &len)) != HH_OK ||
        (ret = hh_pki_pin(ca, len, pin)) != HH_OK) {
        free(ca);
        return cli_fail(ret, NULL, "cannot read the CA certificate in %s", app.dir);
    }
    free(ca);
    if ((ret = hh_cstore_begin(app.store)) == HH_OK) {
        /* A code's first group names it among the usable codes: draw again on a clash. */
        for (int draw = 0; draw < 8; draw++) {
            if ((ret = hh_pki_enrol_code(code)) != HH_OK)
                break;
            ret = hh_cstore_code_add(app.store, code, officer, villages,
                                     hh_platform_wall_ms() + (uint64_t)ttl * 1000);
            if (ret != HH_EEXIST)
                break;
        }
        if (ret == HH_OK)
            ret = hh_cstore_audit(app.store, "code", NULL, "enrolment code issued");
        if (ret == HH_OK)
            ret = hh_cstore_commit(app.store);
        else
            hh_cstore_rollback(app.store);
    }
    if (ret != HH_OK)
        return cli_fail(ret, NULL, "cannot store the enrolment code");
    serving_url(url, sizeof url);
    if (hh_pki_enrol_string(url, code, pin, joined) != HH_OK)
        joined[0] = '\0';
    if (cli_has(c, "json")) {
        printf("{\"code\": \"%s\", \"url\": ", code);
        cli_json_string(stdout, url);
        printf(", \"ca_pin\": \"%s\", \"enrol\": ", pin);
        cli_json_string(stdout, joined);
        printf(", \"villages\": \"%s\", \"expires_in_s\": %lld}\n", villages, (long long)ttl);
    } else {
        printf("enrolment code  %s (single use, valid %lld s)\nserver          %s\nca pin          %s\n"
               "villages        %s\n\non the device, type (or scan) one string:\n  hearth enroll %s\n"
               "or, in full:\n  hearth enroll --server %s --code %s --ca-pin '%s'\n",
               code, (long long)ttl, url, pin, villages, joined[0] ? joined : "?", url, code, pin);
    }
    return HH_EXIT_OK;
}

static int print_device(void *ctx, const hh_device *dev)
{
    int json = *(int *)ctx;

    if (json) {
        printf("{\"id\": \"%s\", \"officer\": ", dev->id);
        cli_json_string(stdout, dev->officer);
        printf(", \"villages\": \"%s\", \"enrolled_ms\": %llu, \"revoked\": %s, \"last_seen_ms\": %llu, "
               "\"acked_seq\": %llu}\n", dev->villages, (unsigned long long)dev->enrolled_ms,
               dev->revoked_ms ? "true" : "false", (unsigned long long)dev->last_seen_ms,
               (unsigned long long)dev->acked_seq);
    } else {
        printf("%-36s  %-8s  %-16s  %8llu  %s\n", dev->id, dev->revoked_ms ? "revoked" : "active",
               dev->officer, (unsigned long long)dev->acked_seq, dev->villages);
    }
    return 0;
}

static int cmd_device_list(cli *c)
{
    int json = cli_has(c, "json");
    hh_err ret;

    if (!json)
        printf("%-36s  %-8s  %-16s  %8s  %s\n", "DEVICE", "STATE", "OFFICER", "ACKED", "VILLAGES");
    ret = hh_cstore_each_device(app.store, print_device, &json);
    return ret == HH_OK ? HH_EXIT_OK : cli_fail(ret, NULL, "cannot list devices");
}

static int cmd_device_revoke(cli *c)
{
    hh_err ret = hh_cstore_begin(app.store);

    if (ret == HH_OK) {
        ret = hh_cstore_device_revoke(app.store, c->args[0], hh_platform_wall_ms());
        if (ret == HH_OK)
            ret = hh_cstore_audit(app.store, "revoke", c->args[0], "device revoked");
        if (ret == HH_OK)
            ret = hh_cstore_commit(app.store);
        else
            hh_cstore_rollback(app.store);
    }
    if (ret == HH_ENOTFOUND)
        return cli_fail(ret, NULL, "no active device '%s'", c->args[0]);
    if (ret != HH_OK)
        return cli_fail(ret, NULL, "cannot revoke '%s'", c->args[0]);
    printf("revoked %s: its next sync is told to wipe its records (its unsent changes are kept "
           "sealed for you: hearthd device recover FILE)\n", c->args[0]);
    return HH_EXIT_OK;
}

/* What a revoked device kept for the administrator when it wiped itself: its
 * unsent changes, sealed to this collector's CA key. Opened with ca.key and,
 * with --apply, taken as that device's push (checked and merged like any). */
static int cmd_device_recover(cli *c)
{
    static Hearth__V1__Rejection rejections[HH_SYNC_CHANGES_MAX];
    static char details[HH_SYNC_CHANGES_MAX][HH_REJECT_DETAIL_MAX];
    char *sealed = NULL, *ca_key = NULL;
    size_t sealed_len = 0, key_len = 0, applied = 0, rejected = 0;
    Hearth__V1__SyncRequest *req = NULL;
    hh_service *service = NULL;
    hh_device dev;
    hh_buf plain;
    hh_err ret;
    int rc = HH_EXIT_OK;

    hh_buf_init(&plain, 256u << 20);
    if ((ret = hh_platform_read_file(c->args[0], 256u << 20, &sealed, &sealed_len)) != HH_OK) {
        rc = cli_fail(ret, NULL, "cannot read %s", c->args[0]);
        goto cleanup;
    }
    if ((ret = hh_platform_read_file(dir_file("ca.key"), HH_PKI_PEM_MAX, &ca_key, &key_len)) != HH_OK) {
        rc = cli_fail(ret, NULL, "cannot read the CA key in %s", app.dir);
        goto cleanup;
    }
    if (hh_pki_open_sealed(ca_key, (const uint8_t *)sealed, sealed_len, &plain) != HH_OK ||
        !(req = hearth__v1__sync_request__unpack(NULL, plain.len, (const uint8_t *)plain.data)) ||
        !req->device_id || req->n_changes > 1000000) {
        rc = cli_fail(HH_EINVAL, NULL, "%s is not a recovery file sealed for this collector", c->args[0]);
        goto cleanup;
    }
    if ((ret = hh_cstore_device_get(app.store, req->device_id, &dev)) != HH_OK) {
        rc = cli_fail(ret, NULL, "%s holds %zu changes of device %s, which this collector does not know",
                      c->args[0], req->n_changes, req->device_id);
        goto cleanup;
    }
    printf("%s: %zu unsent changes of device %s (officer %s, %s)\n", c->args[0], req->n_changes, dev.id,
           dev.officer, dev.revoked_ms ? "revoked" : "active");
    if (!cli_has(c, "apply"))
        goto cleanup;
    if ((ret = hh_service_new(app.store, &service)) != HH_OK) {
        rc = cli_fail(ret, NULL, "cannot start");
        goto cleanup;
    }
    /* In batches as a sync would send them, in seq order. */
    for (size_t at = 0; at < req->n_changes; at += HH_SYNC_CHANGES_MAX) {
        hh_push p;
        memset(&p, 0, sizeof p);
        p.dev = &dev;
        p.changes = req->changes + at;
        p.n_changes = req->n_changes - at < HH_SYNC_CHANGES_MAX ? req->n_changes - at : HH_SYNC_CHANGES_MAX;
        p.rejections = rejections;
        p.details = details;
        if ((ret = hh_service_push(service, &p, 30000)) != HH_OK) {
            rc = cli_fail(ret, NULL, "the changes from seq %llu could not be applied",
                          (unsigned long long)(p.n_changes ? p.changes[0]->seq : 0));
            goto cleanup;
        }
        applied += p.n_changes - p.n_rejections;
        rejected += p.n_rejections;
    }
    hh_service_free(service);
    service = NULL;
    if ((ret = hh_cstore_audit(app.store, "recover", dev.id, "a wiped device's unsent changes applied")) != HH_OK)
        rc = cli_fail(ret, NULL, "the changes were applied, but the audit line was not written");
    printf("applied %zu, refused %zu (see hearthd quarantine)\n", applied, rejected);
cleanup:
    hh_service_free(service);
    if (req)
        hearth__v1__sync_request__free_unpacked(req, NULL);
    if (ca_key)
        explicit_bzero(ca_key, key_len);
    free(ca_key);
    free(sealed);
    hh_buf_free(&plain);
    return rc;
}

/* ---- rulebook, tiers, conflicts, quarantine --------------------------------------------- */

static int cmd_rulebook_set(cli *c)
{
    char *text = NULL;
    size_t len = 0;
    hh_rulebook rules;
    hh_diag d;
    hh_err ret;

    hh_diag_clear(&d);
    if ((ret = hh_platform_read_file(c->args[0], HH_RULEBOOK_TEXT_MAX, &text, &len)) != HH_OK)
        return cli_fail(ret, NULL, "cannot read %s", c->args[0]);
    ret = hh_cstore_rulebook_set(app.store, text, len, &d);
    free(text);
    if (ret != HH_OK)
        return cli_fail(ret, &d, "rulebook %s refused", c->args[0]);
    hh_cstore_rulebook(app.store, &rules, NULL, 0);
    printf("rulebook %s is in force; every tier was recomputed, devices get it on their next sync\n",
           rules.version);
    return HH_EXIT_OK;
}

static int print_ctier(void *ctx, const hh_ctier *t)
{
    int json = *(int *)ctx;
    char reasons[256];

    if (!json) {
        hh_reasons_format(t->v.reasons, ", ", reasons, sizeof reasons);
        printf("%-6s  %-12s  %-16s  %-10s  %9lld  %-25s  %s\n",
               hh_enum_name(&hh_tier_names, (int)t->v.tier), t->v.village_code,
               t->v.registry_no[0] ? t->v.registry_no : t->v.household_id, t->v.last_visit_on,
               (long long)t->v.per_capita_yuan, t->v.label, reasons[0] ? reasons : "-");
        return 0;
    }
    {
        hh_tier_json j = { t->v.registry_no, t->v.household_id, t->v.village_code, (int)t->v.tier, t->v.reasons,
                           t->v.rulebook, "collector", t->v.label, t->v.last_visit_on, t->v.per_capita_yuan, 0,
                           t->measures, t->n_measures };
        hh_buf line;
        hh_buf_init(&line, 4096);
        if (hh_exchange_write_tier(&line, &j) == HH_OK)
            fputs(hh_buf_str(&line), stdout);
        hh_buf_free(&line);
    }
    return 0;
}

static int cmd_tiers(cli *c)
{
    int json = cli_has(c, "json"), rc;
    const char *village;
    hh_err ret;

    if ((rc = cli_village(c, &village)) != HH_EXIT_OK)
        return rc;
    if (!json)
        printf("%-6s  %-12s  %-16s  %-10s  %9s  %-25s  %s\n", "TIER", "VILLAGE", "HOUSEHOLD",
               "LAST VISIT", "PER CAP.", "REVIEW", "REASONS");
    ret = hh_cstore_each_tier(app.store, village, print_ctier, &json);
    return ret == HH_OK ? HH_EXIT_OK : cli_fail(ret, NULL, "cannot read the tiers");
}

static int print_conflict(void *ctx, const hh_conflict *k)
{
    int json = *(int *)ctx;

    if (json) {
        printf("{\"id\": %lld, \"entity_id\": \"%s\", \"field\": \"%s\", \"kept\": ", (long long)k->id,
               k->entity_id, k->field);
        cli_json_string(stdout, k->kept_value);
        printf(", \"kept_device\": \"%s\", \"kept_hlc\": %llu, \"other\": ", k->kept_device,
               (unsigned long long)k->kept_hlc);
        cli_json_string(stdout, k->other_value);
        printf(", \"other_device\": \"%s\", \"other_hlc\": %llu}\n", k->other_device,
               (unsigned long long)k->other_hlc);
    } else {
        char kept[sizeof k->kept_value], other[sizeof k->other_value];
        printf("%-5lld  %-36s  %-18s  kept '%s' (%s)  other '%s' (%s)\n", (long long)k->id, k->entity_id,
               k->field, cli_printable(k->kept_value, kept, sizeof kept), k->kept_device,
               cli_printable(k->other_value, other, sizeof other), k->other_device);
    }
    return 0;
}

static int cmd_conflicts(cli *c)
{
    int json = cli_has(c, "json");
    hh_err ret = hh_cstore_each_conflict(app.store, cli_has(c, "all"), print_conflict, &json);

    return ret == HH_OK ? HH_EXIT_OK : cli_fail(ret, NULL, "cannot read the conflicts");
}

static int print_quarantined(void *ctx, const hh_quarantined *q)
{
    int json = *(int *)ctx;

    if (json) {
        printf("{\"device_id\": \"%s\", \"seq\": %llu, \"reason\": %d, \"entity\": \"%s\", "
               "\"entity_id\": \"%s\", \"household_id\": \"%s\", \"registry_no\": \"%s\", "
               "\"village_code\": \"%s\", \"outcome\": %s%s%s, \"field\": ",
               q->device_id, (unsigned long long)q->seq, q->reason, q->entity, q->entity_id,
               q->household_id, q->registry_no, q->village_code, q->outcome[0] ? "\"" : "",
               q->outcome[0] ? q->outcome : "null", q->outcome[0] ? "\"" : "");
        cli_json_string(stdout, q->field);
        printf(", \"detail\": ");
        cli_json_string(stdout, q->detail);
        printf("}\n");
    } else {
        printf("%-36s %5llu  %-12s %-16s %-9s %-14s %s%s%s\n", q->device_id, (unsigned long long)q->seq,
               q->village_code[0] ? q->village_code : "-",
               q->registry_no[0] ? q->registry_no : q->household_id[0] ? q->household_id : "-", q->entity,
               q->field[0] ? q->field : "-", q->detail, q->outcome[0] ? "  => " : "", q->outcome);
    }
    return 0;
}

static int cmd_quarantine(cli *c)
{
    int json = cli_has(c, "json");
    hh_err ret;

    if (!json)
        printf("%-36s %5s  %-12s %-16s %-9s %-14s %s\n", "DEVICE", "SEQ", "VILLAGE", "HOUSEHOLD", "ENTITY",
               "FIELD", "REASON");
    ret = hh_cstore_each_quarantined(app.store, cli_has(c, "all"), print_quarantined, &json);
    return ret == HH_OK ? HH_EXIT_OK : cli_fail(ret, NULL, "cannot read the quarantine");
}

static hh_err collector_tier(void *ctx, const char *household_id, hh_export_tier *out)
{
    hh_ctier t;
    hh_err ret = hh_cstore_tier_get(ctx, household_id, &t);

    if (ret == HH_ENOTFOUND)
        return HH_OK;
    if (ret == HH_OK) {
        out->found = 1;
        out->tier = t.v.tier;
        out->reasons = t.v.reasons;
    }
    return ret;
}

static int cmd_export(cli *c)
{
    const char *village;
    hh_buf out;
    hh_err ret;
    int rc;

    if (cli_has(c, "csv") == cli_has(c, "json"))
        return cli_usage(c, "give exactly one of --json and --csv");
    if ((rc = cli_village(c, &village)) != HH_EXIT_OK)
        return rc;
    hh_buf_init(&out, 1024u * 1024 * 1024);
    ret = hh_export(hh_cstore_sql(app.store), village, cli_has(c, "csv"), collector_tier, app.store, &out);
    if (ret == HH_OK && (ret = hh_cstore_audit(app.store, "export", NULL,
                                               cli_has(c, "csv") ? "csv export" : "json export")) != HH_OK)
        rc = cli_fail(ret, NULL, "cannot record the export in the audit log; nothing exported");
    else
        rc = cli_write_output(ret, cli_get(c, "out"), &out, "export");
    hh_buf_free(&out);
    return rc;
}

/* ---- the program ------------------------------------------------------------------------- */

static const char *version_string(void)
{
    static char text[256];

    snprintf(text, sizeof text, "hearthd %s (sqlite %s, protobuf-c %s, libmicrohttpd %s, mbedTLS %s)",
             HEARTHD_VERSION, sqlite3_libversion(), protobuf_c_version(), MHD_get_version(),
             MBEDTLS_VERSION_STRING);
    return text;
}

static int cmd_version(cli *c)
{
    (void)c;
    printf("%s\n", version_string());
    return HH_EXIT_OK;
}

static const cli_opt no_opts[] = { { NULL, NULL, NULL, 0 } };
static const cli_opt json_opts[] = { { "json", NULL, "print JSON Lines", 0 }, { NULL, NULL, NULL, 0 } };
static const cli_opt queue_opts[] = {
    { "all", NULL, "resolved ones too", 0 },
    { "json", NULL, "print JSON Lines", 0 },
    { NULL, NULL, NULL, 0 }
};
static const cli_opt init_opts[] = {
    { "name", "NAME", "another host name or IP address for the server certificate (repeatable)", 1 },
    { "listen", "ADDR:PORT", "where serve listens (default 127.0.0.1:8443)", 0 },
    { NULL, NULL, NULL, 0 }
};
static const cli_opt serve_opts[] = {
    { "listen", "ADDR:PORT", "override the configured address; port 0 picks a free one", 0 },
    { "log", "FILE", "append the log to FILE (0640) instead of standard error; SIGHUP reopens it, "
                     "for rotation", 0 },
    { NULL, NULL, NULL, 0 }
};
static const cli_opt device_add_opts[] = {
    { "officer", "NAME", "the officer who will carry the device", 0 },
    { "villages", "CODE,CODE", "the 12-digit village codes it may write and receive", 0 },
    { "ttl", "SECONDS", "how long the code is valid (default: enrol_code_ttl_s)", 0 },
    { "json", NULL, "print {\"code\", \"url\", \"ca_pin\", …}", 0 },
    { NULL, NULL, NULL, 0 }
};
static const cli_opt tiers_opts[] = {
    { "village", "CODE", "only this village", 0 },
    { "json", NULL, "one JSON object per household (DESIGN 2a)", 0 },
    { NULL, NULL, NULL, 0 }
};
static const cli_opt export_opts[] = {
    { "json", NULL, "JSON Lines in the exchange format (DESIGN 2a)", 0 },
    { "csv", NULL, "CSV in UTF-8 with a byte order mark (opens in Excel), one row per visit", 0 },
    { "out", "FILE", "write to FILE (atomically, mode 0600) instead of standard output", 0 },
    { "village", "CODE", "only this village", 0 },
    { NULL, NULL, NULL, 0 }
};
static const cli_opt globals[] = {
    { "dir", "DIR", "the collector's directory (default: $HEARTHD_DIR)", 0 },
    { NULL, NULL, NULL, 0 }
};

static const cli_cmd c_init = { "init", "", "Create a collector: CA, server certificate, database, settings.",
                                0, 0, init_opts, cmd_init, 0 };
static const cli_cmd c_serve = { "serve", "", "Serve devices over HTTPS until SIGTERM (SIGHUP reopens the log).",
                                 0, 0, serve_opts, cmd_serve, NEEDS_STORE };
static const cli_cmd c_device_add = { "device add", "", "Issue a one-time enrolment code for a device.",
                                      0, 0, device_add_opts, cmd_device_add, NEEDS_STORE };
static const cli_cmd c_device_list = { "device list", "", "List enrolled devices.",
                                       0, 0, json_opts, cmd_device_list, NEEDS_STORE };
static const cli_cmd c_device_revoke = { "device revoke", "DEVICE", "Revoke a device: its next sync wipes its records.",
                                         1, 1, no_opts, cmd_device_revoke, NEEDS_STORE };
static const cli_opt recover_opts[] = {
    { "apply", NULL, "apply the changes as the device's push (checked and merged like any sync)" },
    { NULL, NULL, NULL, 0 }
};
static const cli_cmd c_device_recover = { "device recover", "FILE",
                                          "Open what a wiped device kept for the administrator.",
                                          1, 1, recover_opts, cmd_device_recover, NEEDS_STORE };
static const cli_cmd c_rulebook_set = { "rulebook set", "FILE", "Put a new rulebook in force.",
                                        1, 1, no_opts, cmd_rulebook_set, NEEDS_STORE };
static const cli_cmd c_tiers = { "tiers", "", "The authoritative worklist, red first.",
                                 0, 0, tiers_opts, cmd_tiers, NEEDS_STORE };
static const cli_cmd c_export = { "export", "", "Export the merged households and visits (audited).",
                                  0, 0, export_opts, cmd_export, NEEDS_STORE };
static const cli_cmd c_conflicts = { "conflicts", "", "Fields two devices changed concurrently, with both values.",
                                     0, 0, queue_opts, cmd_conflicts, NEEDS_STORE };
static const cli_cmd c_quarantine = { "quarantine", "", "Changes the collector refused, with the reason.",
                                      0, 0, queue_opts, cmd_quarantine, NEEDS_STORE };
static const cli_cmd c_version = { "version", "", "Print the versions of hearthd and its libraries.",
                                   0, 0, no_opts, cmd_version, 0 };

static const cli_cmd *const own_commands[] = {
    &c_init, &c_serve, &c_device_add, &c_device_list, &c_device_revoke, &c_device_recover, &c_rulebook_set,
    &c_tiers, &c_export, &c_conflicts, &c_quarantine, NULL
};
/* main.c's, then the review lifecycle's, then version (filled by main). */
static const cli_cmd *commands[64];

static int prepare(cli *c)
{
    const char *dir = cli_global(c, "dir");
    hh_diag d;
    hh_err ret;

    c->app = &app;
    if (!dir)
        dir = hh_platform_getenv("HEARTHD_DIR");
    if (c->cmd == &c_version)
        return HH_EXIT_OK;
    if (!dir)
        return cli_usage(c, "give --dir DIR (or set HEARTHD_DIR)");
    snprintf(app.dir, sizeof app.dir, "%s", dir);
    if (!(c->cmd->flags & NEEDS_STORE))
        return HH_EXIT_OK;
    hh_diag_clear(&d);
    if ((ret = config_load(&app.cfg, &d)) != HH_OK)
        return cli_fail(ret, &d, "cannot load the settings (run `hearthd init` first?)");
    if ((ret = hh_cstore_open(dir_file("collector.db"), &app.store, &d)) != HH_OK)
        return cli_fail(ret, &d, "cannot open the database");
    return HH_EXIT_OK;
}

static void finish(cli *c)
{
    (void)c;
    hh_cstore_close(app.store);
    app.store = NULL;
}

static const hh_cli_program program = {
    "hearthd",
    "Hearth collector: receives the devices' changes over mutual TLS, merges them,\n"
    "computes the authoritative warning tiers and sends them back.",
    commands, globals, prepare, finish, version_string
};

int main(int argc, char **argv)
{
    size_t n = 0;

    for (size_t i = 0; own_commands[i]; i++)
        commands[n++] = own_commands[i];
    /* Each after the last of its group ("conflicts resolve" after
     * "conflicts"), for the help; a new group at the end. */
    for (size_t i = 0; hh_review_commands[i] && n + 2 < sizeof commands / sizeof commands[0]; i++) {
        const char *name = hh_review_commands[i]->name;
        size_t group = strcspn(name, " "), at = n;
        for (size_t j = 0; j < n; j++)
            if (strncmp(commands[j]->name, name, group) == 0 &&
                (commands[j]->name[group] == ' ' || commands[j]->name[group] == '\0'))
                at = j + 1;
        memmove(&commands[at + 1], &commands[at], (n - at) * sizeof commands[0]);
        commands[at] = hh_review_commands[i];
        n++;
    }
    commands[n++] = &c_version;
    commands[n] = NULL;
    hh_cstore_library_init();
    return hh_cli_main(&program, argc, argv);
}
