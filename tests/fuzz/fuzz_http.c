/* tests/fuzz/fuzz_http.c — a request as the collector's handler receives it
 * from the HTTP server (hh_api_handle): the sync in both protocols, the
 * enrolment, health and the CA, and every console page and form, against a
 * real collector database with an enrolled device and a logged-in reviewer.
 *
 * An input is a request in text, as on the wire after TLS:
 *
 *   METHOD PATH[?QUERY]
 *   Header: value            (Content-Type, Content-Encoding, Accept-Encoding,
 *   …                         Cookie, Authorization; X-Client: the verified
 *                             certificate's CN, "device" for the enrolled one)
 *   (a blank line)
 *   BODY
 *
 * "@session" in the Cookie header and "@csrf" anywhere in the body stand for
 * the reviewer's session and form token, so the fuzzer reaches the pages
 * behind the login. Every answer must have a status, and a body within its
 * cap. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>

#include "collector/api.h"
#include "collector/console.h"
#include "collector/cstore.h"
#include "collector/rstore.h"
#include "fuzz.h"
#include "sync/i18n.h"
#include "sync/pki.h"

#define DEVICE_ID "01900000-0000-7000-8000-0000000000e1"
#define ACCOUNT "fuzz.reviewer"
#define PASSWORD "fuzz-password-2026"
#define BODY_MAX (1u * 1024 * 1024)
#define LINE_MAX_ 2048
#define QUERY_ARGS_MAX 16

static hh_api api;
static hh_cstore *writer;
static hh_service *service;
static hh_console *console;
static hh_buf ca_key, ca_cert;
static char session[128], csrf[128];

typedef struct parsed {
    char method[16];
    char path[LINE_MAX_];
    char query[LINE_MAX_];
    char *names[QUERY_ARGS_MAX], *values[QUERY_ARGS_MAX];
    int n_args;
    char headers[5][LINE_MAX_];
    char client[LINE_MAX_];
    char *body;
    size_t body_len;
} parsed;

static parsed req_text;

static const char *query_arg(const hh_request *req, const char *name)
{
    const parsed *p = req->conn;

    for (int i = 0; i < p->n_args; i++)
        if (strcmp(p->names[i], name) == 0)
            return p->values[i];
    return NULL;
}

static void answer(const char *method, const char *path, const char *cookie, const char *body,
                   hh_response *resp)
{
    hh_request req = { method, path, (const uint8_t *)body, strlen(body), 0, "", "", "127.0.0.1",
                       "application/x-www-form-urlencoded", NULL, NULL, cookie, NULL, query_arg,
                       &req_text };

    memset(&req_text, 0, sizeof req_text);
    memset(resp, 0, sizeof *resp);
    hh_buf_init(&resp->body, 16u * 1024 * 1024);
    hh_api_handle(&api, &req, resp);
}

/* Log the reviewer in once, as a browser does: the session from the cookie,
 * the form token from a page. */
static void log_in(void)
{
    char cookie[160];
    hh_response resp;
    const char *t, *at;

    answer("POST", "/login", NULL, "name=" ACCOUNT "&password=" PASSWORD, &resp);
    if (!(t = strstr(resp.set_cookie, "hh_session=")) || sscanf(t + 11, "%127[0-9a-f]", session) != 1)
        hh_fuzz_setup_failed("the reviewer cannot log in");
    hh_buf_free(&resp.body);
    snprintf(cookie, sizeof cookie, "hh_session=%s", session);
    answer("GET", "/queues", cookie, "", &resp);
    if (!(at = memmem(resp.body.data, resp.body.len, "name=\"csrf\" value=\"", 19)) ||
        sscanf(at + 19, "%127[0-9a-f]", csrf) != 1)
        hh_fuzz_setup_failed("no form token on the reviewer's page");
    hh_buf_free(&resp.body);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    hh_pki_issue ca = { HH_PKI_ROLE_CA, "Hearth fuzz CA", NULL, NULL, NULL, NULL, NULL, 30 };
    hh_console_config cc = { 3600, 1000000, 900, "", NULL, NULL };
    static char db[512];
    unsigned char salt[16] = "hearth-fuzz-salt";
    hh_account a = { ACCOUNT, "admin", HH_LEVEL_COUNTY, "511823", "", 1, 0 };
    hh_device dev;
    hh_diag d;

    (void)argc, (void)argv;
    hh_diag_clear(&d);
    snprintf(db, sizeof db, "%s", hh_fuzz_path("collector.db"));
    hh_buf_init(&ca_key, HH_PKI_PEM_MAX);
    hh_buf_init(&ca_cert, HH_PKI_PEM_MAX);
    ca.subject_key_pem = ca.ca_key_pem = NULL;
    if (hh_pki_key_new(&ca_key) != HH_OK)
        hh_fuzz_setup_failed("cannot make the CA key");
    ca.subject_key_pem = ca.ca_key_pem = ca_key.data;
    if (hh_pki_issue_cert(&ca, &ca_cert) != HH_OK)
        hh_fuzz_setup_failed("cannot make the CA certificate");
    if (hh_cstore_create(db, &writer, &d) != HH_OK)
        hh_fuzz_setup_failed(d.message);
    /* An enrolled device, a code for another, and a county reviewer. */
    if (argon2id_hash_encoded(1, 1024, 1, PASSWORD, strlen(PASSWORD), salt, sizeof salt, 32,
                              a.password, sizeof a.password) != ARGON2_OK ||
        hh_cstore_begin(writer) != HH_OK ||
        hh_cstore_code_add(writer, "AAAA-BBBB-CCCC", "officer-001", "511823101201,511823101202",
                           UINT64_MAX / 2) != HH_OK ||
        hh_cstore_code_add(writer, "DDDD-EEEE-FFFF", "officer-002", "511823101201",
                           UINT64_MAX / 2) != HH_OK ||
        hh_cstore_code_redeem(writer, "AAAA-BBBB-CCCC", DEVICE_ID, "00", 1, &dev) != HH_OK ||
        hh_rstore_account_add(writer, &a) != HH_OK || hh_cstore_commit(writer) != HH_OK)
        hh_fuzz_setup_failed("cannot enrol the device or add the reviewer");
    if (hh_service_new(writer, &service) != HH_OK ||
        hh_api_init(&api, 1000000, 1000000, 1000) != HH_OK)
        hh_fuzz_setup_failed("cannot start the service");
    cc.db_path = db;
    cc.metrics = &api.metrics;
    if (hh_console_new(service, &cc, &console) != HH_OK)
        hh_fuzz_setup_failed("cannot start the console");
    hh_i18n_init("hearth", "zh");
    api.service = service;
    api.console = console;
    api.db_path = db;
    api.max_body_bytes = BODY_MAX;
    api.ca_pem = ca_cert.data;
    api.ca_key_pem = ca_key.data;
    api.device_cert_days = 30;
    log_in();
    return 0;
}

/* Copy [s, e) into out (cap), "@session" and "@csrf" replaced. */
static void substitute(const char *s, const char *e, char *out, size_t cap)
{
    size_t n = 0;

    while (s < e && n + 1 < cap) {
        if (e - s >= 8 && memcmp(s, "@session", 8) == 0) {
            n += (size_t)snprintf(out + n, cap - n, "%s", session);
            s += 8;
        } else if (e - s >= 5 && memcmp(s, "@csrf", 5) == 0) {
            n += (size_t)snprintf(out + n, cap - n, "%s", csrf);
            s += 5;
        } else {
            out[n++] = *s++;
        }
        if (n >= cap)
            n = cap - 1;
    }
    out[n] = '\0';
}

static void split_query(parsed *p)
{
    char *save = NULL;

    for (char *kv = strtok_r(p->query, "&", &save); kv && p->n_args < QUERY_ARGS_MAX;
         kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        p->names[p->n_args] = kv;
        p->values[p->n_args++] = eq ? (*eq = '\0', eq + 1) : kv + strlen(kv);
    }
}

/* The request in data, or 0 when it is not one (no request line). */
static int parse(const uint8_t *data, size_t size, parsed *p)
{
    static const char *const names[5] = { "content-type:", "content-encoding:", "accept-encoding:",
                                          "cookie:", "authorization:" };
    const char *s = (const char *)data, *end = s + size, *nl, *q;
    char line[LINE_MAX_];
    int first = 1;

    memset(p, 0, sizeof *p);
    while (s < end) {
        nl = memchr(s, '\n', (size_t)(end - s));
        if (!nl)
            nl = end;
        if ((size_t)(nl - s) >= sizeof line)
            return 0;
        memcpy(line, s, (size_t)(nl - s));
        line[nl - s] = '\0';
        s = nl < end ? nl + 1 : end;
        if (first) {
            char target[LINE_MAX_];
            if (sscanf(line, "%15s %2047s", p->method, target) != 2 || target[0] != '/')
                return 0;
            if ((q = strchr(target, '?'))) {
                snprintf(p->query, sizeof p->query, "%s", q + 1);
                target[q - target] = '\0';
            }
            snprintf(p->path, sizeof p->path, "%s", target);
            split_query(p);
            first = 0;
            continue;
        }
        if (line[0] == '\0' || strcmp(line, "\r") == 0)
            break;
        for (int i = 0; i < 5; i++)
            if (strncasecmp(line, names[i], strlen(names[i])) == 0) {
                const char *v = line + strlen(names[i]);
                v += strspn(v, " ");
                substitute(v, v + strlen(v), p->headers[i], sizeof p->headers[i]);
            }
        if (strncasecmp(line, "x-client:", 9) == 0)
            snprintf(p->client, sizeof p->client, "%s", line + 9 + strspn(line + 9, " "));
    }
    if (first)
        return 0;
    p->body_len = (size_t)(end - s);
    if (!(p->body = malloc(p->body_len * 16 + 1)))
        return 0;
    substitute(s, end, p->body, p->body_len * 16 + 1);
    /* A body with NUL bytes is bytes, not text: taken as it is. */
    if (memchr(s, '\0', p->body_len))
        memcpy(p->body, s, p->body_len);
    else
        p->body_len = strlen(p->body);
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hh_request req = { 0 };
    hh_response resp;

    if (size > BODY_MAX || !parse(data, size, &req_text))
        return 0;
    /* The session stays: a logout would end it for every input after. */
    if (strcmp(req_text.path, "/logout") == 0) {
        free(req_text.body);
        return 0;
    }
    req.method = req_text.method;
    req.path = req_text.path;
    req.body = (const uint8_t *)req_text.body;
    req.body_len = req_text.body_len;
    if (req_text.client[0]) {
        req.client_verified = 1;
        snprintf(req.client_cn, sizeof req.client_cn, "%s",
                 strcmp(req_text.client, "device") == 0 ? DEVICE_ID : req_text.client);
    }
    snprintf(req.client_addr, sizeof req.client_addr, "127.0.0.1");
    req.content_type = req_text.headers[0][0] ? req_text.headers[0] : NULL;
    req.content_encoding = req_text.headers[1][0] ? req_text.headers[1] : NULL;
    req.accept_encoding = req_text.headers[2][0] ? req_text.headers[2] : NULL;
    req.cookie = req_text.headers[3][0] ? req_text.headers[3] : NULL;
    req.authorization = req_text.headers[4][0] ? req_text.headers[4] : NULL;
    req.arg = query_arg;
    req.conn = &req_text;
    memset(&resp, 0, sizeof resp);
    hh_buf_init(&resp.body, 16u * 1024 * 1024);
    hh_api_handle(&api, &req, &resp);
    HH_FUZZ_CHECK(resp.status >= 200 && resp.status <= 599);
    HH_FUZZ_CHECK(resp.body.len <= 16u * 1024 * 1024);
    hh_buf_free(&resp.body);
    free(req_text.body);
    return 0;
}
