/* collector/console.c — the reviewers' console (see console.h).
 *
 * One request: the language is chosen, the session looked up, the account
 * read back (a disabled account's session ends there), then one page or one
 * action. Pages read in one read transaction on the thread's own connection;
 * actions take the write connection between sync groups and go through the
 * review service or the queues, which check and audit them. Every text a page
 * shows goes through hh_html_text. */
#include "console.h"

#include <argon2.h>
#include <mbedtls/base64.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "html.h"
#include "limiter.h"
#include "queues.h"
#include "report.h"
#include "review.h"
#include "rstore.h"
#include "model/tier.h"
#include "model/validate.h"
#include "platform/platform.h"
#include "sync/i18n.h"
#include "sync/present.h"

#define SESSIONS_MAX      512
#define TOKEN_BYTES       32
#define TOKEN_HEX         (2 * TOKEN_BYTES)
#define FORM_BYTES_MAX    16384
#define FORM_FIELDS_MAX   16
#define PASSWORD_MAX      128
#define LOCK_WAIT_MS      10000
#define WORKLIST_ROWS_MAX 500
#define VILLAGES_SHOWN    HH_CHART_POINTS_MAX
#define MONTHS_SHOWN      12
#define AUDIT_ROWS        200
#define VISITS_SHOWN      HH_CHART_POINTS_MAX
#define SESSION_COOKIE    "hh_session"
#define LANG_COOKIE       "hh_lang"

typedef struct session {
    char token[TOKEN_HEX + 1];          /* "" : a free slot */
    char csrf[TOKEN_HEX + 1];
    char account[HH_ACCOUNT_NAME_MAX + 1];
    uint64_t created_ms, seen_ms;
} session;

struct hh_console {
    hh_service *service;
    hh_console_config cfg;          /* read and changed under lock */
    char metrics_from[256];         /* cfg.metrics_from points here */
    pthread_mutex_t lock;
    session sessions[SESSIONS_MAX];
    hh_limiter by_account, by_address;
};

/* A POST body's fields, decoded in place. */
typedef struct form {
    char buf[FORM_BYTES_MAX + 1];
    int n;
    const char *key[FORM_FIELDS_MAX], *val[FORM_FIELDS_MAX];
} form;

typedef struct page {
    hh_console *c;
    hh_cstore *reader;
    const hh_request *req;
    hh_response *resp;
    hh_err err;                 /* the first write that failed */
    int zh;
    session who;                /* who.account "" : nobody logged in */
    hh_account acct;
    form *f;
    char today[HH_DATE_LEN + 1];
    uint64_t now_ms;
} page;

/* ---- output ------------------------------------------------------------------------ */

static void out(page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out(page *p, const char *fmt, ...)
{
    va_list ap;

    if (p->err != HH_OK)
        return;
    va_start(ap, fmt);
    p->err = hh_buf_vprintf(&p->resp->body, fmt, ap);
    va_end(ap);
}

/* Text, escaped. */
static void text(page *p, const char *s)
{
    if (p->err == HH_OK)
        p->err = hh_html_text(&p->resp->body, s ? s : "");
}

/* A message in the page's language, escaped. */
static void msg(page *p, const char *english)
{
    text(p, _(english));
}

static void date_ms(page *p, uint64_t ms)
{
    char when[32];

    if (!ms) {
        out(p, "—");
        return;
    }
    hh_platform_format_ms(ms, when, sizeof when);
    text(p, when);
}

static const char *tier_colour(hh_tier t)
{
    static const char *const colours[] = { "#2e7d32", "#f9a825", "#ef6c00", "#c62828" };

    return t >= HH_TIER_GREEN && t <= HH_TIER_RED ? colours[t - HH_TIER_GREEN] : "#777";
}

static void tier_badge(page *p, hh_tier t)
{
    out(p, "<span class=\"tier t%d\">", (int)t);
    text(p, hh_i18n_enum(&hh_tier_names, (int)t));
    out(p, "</span>");
}

static const char *state_text(hh_review_state s)
{
    return hh_i18n_zh() ? hh_review_state_zh(s) : hh_enum_name(&hh_review_state_names, (int)s);
}

/* The measures' names as people read them (the rulebook holds codes). */
static const char *measure_text(const char *code)
{
    static const struct { const char *code, *english; } names[] = {
        { "medical_assistance", N_("medical assistance") },
        { "education_aid", N_("education aid") },
        { "public_welfare_post", N_("public welfare post") },
        { "employment_subsidy", N_("employment subsidy") },
        { "industry_subsidy", N_("industry subsidy") },
        { "micro_credit", N_("micro-credit") },
        { "housing_renovation", N_("housing renovation") },
        { "water_works", N_("drinking-water works") },
        { "minimum_living_allowance", N_("minimum living allowance") },
        { "temporary_assistance", N_("temporary assistance") },
    };

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i].code, code) == 0)
            return _(names[i].english);
    return code;
}

/* The page's head, with the menu for a logged-in account. */
static void page_open(page *p, const char *title)
{
    p->resp->status = 200;
    p->resp->content_type = "text/html; charset=utf-8";
    hh_buf_reset(&p->resp->body);
    out(p, "<!DOCTYPE html><html lang=\"%s\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           "<link rel=\"stylesheet\" href=\"/console.css\"><title>", p->zh ? "zh-CN" : "en");
    msg(p, title);
    out(p, " · ");
    msg(p, "Hearth console");
    out(p, "</title></head><body><header><span class=\"brand\">");
    msg(p, "Hearth console");
    out(p, "</span>");
    if (p->who.account[0]) {
        out(p, "<nav><a href=\"/\">");
        msg(p, "Overview");
        out(p, "</a><a href=\"/worklist\">");
        msg(p, "Worklist");
        out(p, "</a><a href=\"/queues\">");
        msg(p, "Queues");
        out(p, "</a><a href=\"/report\">");
        msg(p, "Monthly report");
        out(p, "</a>");
        if (strcmp(p->acct.role, "admin") == 0) {
            out(p, "<a href=\"/audit\">");
            msg(p, "Audit log");
            out(p, "</a>");
        }
        out(p, "</nav><form class=\"who\" method=\"post\" action=\"/logout\">"
               "<input type=\"hidden\" name=\"csrf\" value=\"%s\"><span>", p->who.csrf);
        text(p, p->who.account);
        out(p, " · %s</span><button>", hh_i18n_enum(&hh_level_names, (int)p->acct.level));
        msg(p, "Log out");
        out(p, "</button></form>");
    }
    out(p, "<a class=\"lang\" href=\"?lang=%s\">%s</a></header><main><h1>", p->zh ? "en" : "zh",
        p->zh ? "English" : "中文");
    msg(p, title);
    out(p, "</h1>");
}

static void page_close(page *p)
{
    out(p, "</main></body></html>");
    if (p->err != HH_OK) {
        /* The page did not fit: say so rather than send half of it. */
        hh_buf_reset(&p->resp->body);
        p->err = HH_OK;
        p->resp->status = 500;
        p->resp->content_type = "text/plain; charset=utf-8";
        out(p, "%s\n", _("the page is too large to show; narrow the filter"));
    }
}

static void notice(page *p, const char *cls, const char *message)
{
    out(p, "<p class=\"%s\">", cls);
    text(p, message);
    out(p, "</p>");
}

/* A table's start: its box (scrolling sideways on a narrow screen), class and
 * column heads (messages). The rows follow; table_close ends it. */
static void table_open(page *p, const char *cls, const char *const *heads, size_t n)
{
    out(p, "<div class=\"scroll\"><table%s%s%s><thead><tr>", cls ? " class=\"" : "", cls ? cls : "",
        cls ? "\"" : "");
    for (size_t i = 0; i < n; i++) {
        out(p, "<th>");
        msg(p, heads[i]);
        out(p, "</th>");
    }
    out(p, "</tr></thead><tbody>");
}

static void table_close(page *p)
{
    out(p, "</tbody></table></div>");
}

/* A whole page saying one thing, with its status. */
static void message_page(page *p, int status, const char *title, const char *message)
{
    page_open(p, title);
    notice(p, "error", message);
    page_close(p);
    p->resp->status = status;
}

static void redirect(page *p, const char *to)
{
    p->resp->status = 303;
    p->resp->content_type = "text/plain; charset=utf-8";
    snprintf(p->resp->location, sizeof p->resp->location, "%s", to);
    hh_buf_reset(&p->resp->body);
    out(p, "%s\n", to);
}

/* ---- input ------------------------------------------------------------------------- */

static int hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decode a form or query value in place; -1 when it is not well formed or
 * holds a NUL or a control character other than a line break or a tab. */
static int url_decode(char *s)
{
    char *w = s;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = hex_value(s[1]), lo = hi < 0 ? -1 : hex_value(s[2]);
            if (lo < 0)
                return -1;
            c = (unsigned char)(hi * 16 + lo);
            s += 2;
        }
        if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f)
            return -1;
        *w++ = (char)c;
    }
    *w = '\0';
    return 0;
}

/* Parse an application/x-www-form-urlencoded body: -1 when it is too large,
 * has too many fields or a field is not well formed. */
static int form_parse(form *f, const hh_request *req)
{
    char *s;

    f->n = 0;
    if (req->body_len > FORM_BYTES_MAX || memchr(req->body, '\0', req->body_len))
        return -1;
    memcpy(f->buf, req->body, req->body_len);
    f->buf[req->body_len] = '\0';
    for (s = f->buf; *s;) {
        char *end = s + strcspn(s, "&"), *eq;
        int last = *end == '\0';
        *end = '\0';
        if (*s) {
            if (f->n == FORM_FIELDS_MAX || !(eq = strchr(s, '=')))
                return -1;
            *eq = '\0';
            if (url_decode(s) != 0 || url_decode(eq + 1) != 0)
                return -1;
            f->key[f->n] = s;
            f->val[f->n++] = eq + 1;
        }
        if (last)
            break;
        s = end + 1;
    }
    return 0;
}

/* A form field, or NULL. */
static const char *field(const page *p, const char *name)
{
    for (int i = 0; p->f && i < p->f->n; i++)
        if (strcmp(p->f->key[i], name) == 0)
            return p->f->val[i];
    return NULL;
}

/* A query argument, or NULL. */
static const char *arg(const page *p, const char *name)
{
    const char *v = p->req->arg ? p->req->arg(p->req, name) : NULL;

    return v && *v ? v : NULL;
}

/* A cookie's value into out; 0 when there is none or it does not fit. */
static int cookie(const hh_request *req, const char *name, char *out, size_t cap)
{
    size_t nlen = strlen(name);

    for (const char *c = req->cookie; c && *c;) {
        c += strspn(c, " ;");
        if (strncmp(c, name, nlen) == 0 && c[nlen] == '=') {
            size_t len = strcspn(c + nlen + 1, ";");
            if (len >= cap)
                return 0;
            memcpy(out, c + nlen + 1, len);
            out[len] = '\0';
            return 1;
        }
        c += strcspn(c, ";");
    }
    return 0;
}

/* Compare secrets without telling where they differ. */
static int same_secret(const char *a, const char *b)
{
    size_t n = strlen(a);
    unsigned diff = n != strlen(b) || n == 0;

    for (size_t i = 0; i < n && b[i]; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

static hh_err random_hex(char out[TOKEN_HEX + 1])
{
    unsigned char raw[TOKEN_BYTES];

    if (hh_platform_random(raw, sizeof raw) != HH_OK)
        return HH_EIO;
    hh_hex_encode(raw, sizeof raw, out);
    return HH_OK;
}

/* ---- sessions ---------------------------------------------------------------------- */

hh_err hh_console_new(hh_service *svc, const hh_console_config *cfg, hh_console **out)
{
    hh_console *c = calloc(1, sizeof *c);

    *out = NULL;
    if (!c)
        return HH_ENOMEM;
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return HH_ENOMEM;
    }
    c->service = svc;
    c->cfg = *cfg;
    snprintf(c->metrics_from, sizeof c->metrics_from, "%s", cfg->metrics_from ? cfg->metrics_from : "");
    c->cfg.metrics_from = c->metrics_from;
    /* Accounts and addresses each have their bound; the overall bound of the
     * limiter is not used (one busy office must not lock out the county). */
    hh_limiter_init(&c->by_account, cfg->login_failures, UINT32_MAX, (uint64_t)cfg->login_window_s * 1000);
    hh_limiter_init(&c->by_address, 4 * cfg->login_failures, UINT32_MAX,
                    (uint64_t)cfg->login_window_s * 1000);
    *out = c;
    return HH_OK;
}

void hh_console_configure(hh_console *c, const hh_console_config *cfg)
{
    pthread_mutex_lock(&c->lock);
    c->cfg.idle_s = cfg->idle_s;
    c->cfg.login_failures = cfg->login_failures;
    c->cfg.login_window_s = cfg->login_window_s;
    snprintf(c->metrics_from, sizeof c->metrics_from, "%s", cfg->metrics_from ? cfg->metrics_from : "");
    pthread_mutex_unlock(&c->lock);
    hh_limiter_bounds(&c->by_account, cfg->login_failures, UINT32_MAX, (uint64_t)cfg->login_window_s * 1000);
    hh_limiter_bounds(&c->by_address, 4 * cfg->login_failures, UINT32_MAX,
                      (uint64_t)cfg->login_window_s * 1000);
}

void hh_console_free(hh_console *c)
{
    if (!c)
        return;
    hh_limiter_free(&c->by_account);
    hh_limiter_free(&c->by_address);
    pthread_mutex_destroy(&c->lock);
    explicit_bzero(c->sessions, sizeof c->sessions);
    free(c);
}

/* The session the cookie names, if it is live: copied to *out, its idle
 * clock restarted. */
static int session_find(hh_console *c, const hh_request *req, uint64_t now_ms, session *out)
{
    char token[TOKEN_HEX + 1];
    int found = 0;

    if (!cookie(req, SESSION_COOKIE, token, sizeof token) || strlen(token) != TOKEN_HEX)
        return 0;
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < SESSIONS_MAX && !found; i++) {
        session *s = &c->sessions[i];
        if (!s->token[0] || !same_secret(s->token, token))
            continue;
        if (now_ms - s->seen_ms > (uint64_t)c->cfg.idle_s * 1000) {
            explicit_bzero(s, sizeof *s);    /* idle too long: over */
            break;
        }
        s->seen_ms = now_ms;
        *out = *s;
        found = 1;
    }
    pthread_mutex_unlock(&c->lock);
    return found;
}

/* A new session for account; the oldest unused one makes room when all are taken. */
static hh_err session_start(hh_console *c, const char *account, uint64_t now_ms, session *out)
{
    session fresh;
    int slot = 0;

    memset(&fresh, 0, sizeof fresh);
    if (random_hex(fresh.token) != HH_OK || random_hex(fresh.csrf) != HH_OK)
        return HH_EIO;
    snprintf(fresh.account, sizeof fresh.account, "%s", account);
    fresh.created_ms = fresh.seen_ms = now_ms;
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < SESSIONS_MAX; i++) {
        if (!c->sessions[i].token[0]) {
            slot = i;
            break;
        }
        if (c->sessions[i].seen_ms < c->sessions[slot].seen_ms)
            slot = i;
    }
    c->sessions[slot] = fresh;
    pthread_mutex_unlock(&c->lock);
    *out = fresh;
    explicit_bzero(&fresh, sizeof fresh);
    return HH_OK;
}

static void session_end(hh_console *c, const char *token)
{
    pthread_mutex_lock(&c->lock);
    for (int i = 0; i < SESSIONS_MAX; i++)
        if (c->sessions[i].token[0] && same_secret(c->sessions[i].token, token))
            explicit_bzero(&c->sessions[i], sizeof c->sessions[i]);
    pthread_mutex_unlock(&c->lock);
}

/* ---- writing ----------------------------------------------------------------------- */

/* One audit line, in its own transaction. */
static void audit(page *p, const char *kind, const char *account, const char *detail)
{
    hh_cstore *store = hh_service_lock(p->c->service, LOCK_WAIT_MS);

    if (!store)
        return;
    if (hh_cstore_begin(store) == HH_OK) {
        if (hh_rstore_audit(store, kind, account, detail) == HH_OK)
            hh_cstore_commit(store);
        else
            hh_cstore_rollback(store);
    }
    hh_service_unlock(p->c->service);
}

/* A household is in the account's villages; when not, the refusal is
 * answered and audited. */
static int in_scope(page *p, const char *household_id, char village[HH_VILLAGE_CODE_LEN + 1])
{
    char detail[160];
    int members;
    hh_err ret = hh_cstore_household_scope(p->reader, household_id, village, &members);

    if (ret == HH_OK && hh_scope_contains(p->acct.scope, village))
        return 1;
    if (ret == HH_OK || ret == HH_ENOTFOUND) {
        snprintf(detail, sizeof detail, "console: household %.36s %s", household_id,
                 ret == HH_OK ? "outside the account's villages" : "not found");
        audit(p, "console_refused", p->who.account, detail);
        message_page(p, ret == HH_OK ? 403 : 404, N_("Not allowed"),
                     ret == HH_OK ? _("this household is outside your villages")
                                  : _("no such household"));
        return 0;
    }
    message_page(p, 503, N_("Busy"), _("the collector cannot read its records now; retry later"));
    return 0;
}

/* ---- login ------------------------------------------------------------------------- */

static void login_form(page *p, int status, const char *problem)
{
    page_open(p, N_("Log in"));
    if (problem)
        notice(p, "error", problem);
    out(p, "<form class=\"login\" method=\"post\" action=\"/login\"><label>");
    msg(p, "Account");
    out(p, "<input name=\"name\" autocomplete=\"username\" required maxlength=\"%d\"></label><label>",
        HH_ACCOUNT_NAME_MAX);
    msg(p, "Password");
    out(p, "<input name=\"password\" type=\"password\" autocomplete=\"current-password\" required "
           "maxlength=\"%d\"></label><button>", PASSWORD_MAX);
    msg(p, "Log in");
    out(p, "</button></form>");
    page_close(p);
    p->resp->status = status;
}

/* Verify a password against an encoded Argon2id hash. An unknown account is
 * checked against a hash of its own too, so the answer takes as long. */
static int password_ok(const hh_account *a, int known, const char *password)
{
    /* The hash of a random password nobody kept, at the cost `user add` uses. */
    static const char unknown[] =
        "$argon2id$v=19$m=65536,t=3,p=1$giHrSfnvbX2Dea4OFaku9Q$"
        "dF88fWZmgOce+6uyQ7OhTlFkm9Sx3c5lq6wrZdIPnxE";
    int ok = argon2id_verify(known ? a->password : unknown, password, strlen(password)) == ARGON2_OK;

    return known && ok;
}

static void login(page *p)
{
    const char *name = field(p, "name"), *password = field(p, "password");
    unsigned wait_a = 0, wait_b = 0, idle_s;
    char detail[160];
    hh_account a;
    session s;
    int known;

    if (!name || !password || !*name || strlen(name) > HH_ACCOUNT_NAME_MAX ||
        strlen(password) > PASSWORD_MAX) {
        login_form(p, 400, _("give the account name and the password"));
        return;
    }
    if (hh_limiter_attempt(&p->c->by_account, name, p->now_ms, &wait_a) ||
        hh_limiter_attempt(&p->c->by_address, p->req->client_addr, p->now_ms, &wait_b)) {
        char problem[200];
        unsigned wait = wait_a > wait_b ? wait_a : wait_b;
        /* Audited once, when the lock engaged (below): a flood of attempts
         * against a locked account writes nothing. */
        snprintf(problem, sizeof problem, _("too many failed logins: try again in %u minutes"),
                 (wait + 59) / 60);
        login_form(p, 429, problem);
        p->resp->retry_after_s = wait;
        return;
    }
    known = hh_rstore_account_get(p->reader, name, &a) == HH_OK && !a.disabled_ms;
    if (!password_ok(&a, known, password)) {
        hh_limiter_failed(&p->c->by_account, name, p->now_ms);
        hh_limiter_failed(&p->c->by_address, p->req->client_addr, p->now_ms);
        snprintf(detail, sizeof detail, "console login failed for %.32s from %.47s", name,
                 p->req->client_addr);
        audit(p, "login_failed", NULL, detail);
        if (hh_limiter_attempt(&p->c->by_account, name, p->now_ms, &wait_a) ||
            hh_limiter_attempt(&p->c->by_address, p->req->client_addr, p->now_ms, &wait_b)) {
            snprintf(detail, sizeof detail, "console login locked for %.32s from %.47s", name,
                     p->req->client_addr);
            audit(p, "login_locked", NULL, detail);
        }
        login_form(p, 401, _("wrong account name or password"));
        return;
    }
    if (session_start(p->c, a.name, p->now_ms, &s) != HH_OK) {
        message_page(p, 503, N_("Busy"), _("no randomness for a session; retry later"));
        return;
    }
    snprintf(detail, sizeof detail, "console login from %.47s", p->req->client_addr);
    audit(p, "login", a.name, detail);
    pthread_mutex_lock(&p->c->lock);
    idle_s = p->c->cfg.idle_s;
    pthread_mutex_unlock(&p->c->lock);
    snprintf(p->resp->set_cookie, sizeof p->resp->set_cookie,
             SESSION_COOKIE "=%s; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=%u", s.token, idle_s);
    explicit_bzero(&s, sizeof s);
    redirect(p, "/");
}

static void logout(page *p)
{
    char token[TOKEN_HEX + 1];

    if (cookie(p->req, SESSION_COOKIE, token, sizeof token))
        session_end(p->c, token);
    audit(p, "logout", p->who.account, "console logout");
    snprintf(p->resp->set_cookie, sizeof p->resp->set_cookie,
             SESSION_COOKIE "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
    redirect(p, "/login");
}

/* ---- overview ---------------------------------------------------------------------- */

/* Two figures month by month, the latest MONTHS_SHOWN months. */
typedef struct monthly {
    int n;
    char months[MONTHS_SHOWN][8];
    int64_t v[2][MONTHS_SHOWN];
} monthly;

/* The index of month in m (months come in order), a new one dropping the oldest. */
static int monthly_slot(monthly *m, const char *month)
{
    if (m->n && strcmp(m->months[m->n - 1], month) == 0)
        return m->n - 1;
    if (m->n == MONTHS_SHOWN) {
        memmove(m->months, m->months + 1, sizeof m->months[0] * (MONTHS_SHOWN - 1));
        for (int k = 0; k < 2; k++)
            memmove(m->v[k], m->v[k] + 1, sizeof m->v[k][0] * (MONTHS_SHOWN - 1));
        m->n--;
    }
    snprintf(m->months[m->n], sizeof m->months[0], "%s", month);
    m->v[0][m->n] = m->v[1][m->n] = 0;
    return m->n++;
}

typedef struct overview {
    page *p;
    int n;
    char villages[VILLAGES_SHOWN][HH_VILLAGE_CODE_LEN + 1];
    int64_t tiers[HH_TIER_RED + 1][VILLAGES_SHOWN];     /* [tier][village] */
    int64_t states[HH_REVIEW_STATE_COUNT + 1][VILLAGES_SHOWN];
    int more;                                           /* villages past the table */
    monthly warnings;            /* opened, released */
    monthly watched;             /* red, orange households */
} overview;

/* The index of village in o (added when new), or -1 when the table is full. */
static int village_slot(overview *o, const char *village)
{
    for (int i = 0; i < o->n; i++)
        if (strcmp(o->villages[i], village) == 0)
            return i;
    if (o->n == VILLAGES_SHOWN) {
        o->more = 1;
        return -1;
    }
    snprintf(o->villages[o->n], sizeof o->villages[0], "%s", village);
    return o->n++;
}

static int tally_row(void *ctx, const void *row)
{
    overview *o = ctx;
    const hh_tally *t = row;
    int i;

    if (!hh_scope_contains(o->p->acct.scope, t->village_code) || (i = village_slot(o, t->village_code)) < 0)
        return 0;
    if (t->tier >= HH_TIER_GREEN && t->tier <= HH_TIER_RED)
        o->tiers[t->tier][i] += t->count;
    o->states[t->state][i] += t->count;
    return 0;
}

static int month_row(void *ctx, const void *row)
{
    overview *o = ctx;
    const hh_month_count *m = row;
    int i;

    if (!hh_scope_contains(o->p->acct.scope, m->village_code))
        return 0;
    i = monthly_slot(&o->warnings, m->month);
    o->warnings.v[0][i] += m->opened;
    o->warnings.v[1][i] += m->released;
    return 0;
}

static int tier_month_row(void *ctx, const void *row)
{
    overview *o = ctx;
    const hh_tier_month *m = row;
    int i;

    if (!hh_scope_contains(o->p->acct.scope, m->village_code) || m->tier < HH_TIER_ORANGE)
        return 0;
    i = monthly_slot(&o->watched, m->month);
    o->watched.v[m->tier == HH_TIER_RED ? 0 : 1][i] += m->households;
    return 0;
}

/* A line chart of m's two figures, or a notice when there is no month. */
static void month_chart(page *p, const monthly *m, const char *title, const char *first, const char *second,
                        hh_tier first_colour, hh_tier second_colour, const char *none)
{
    const char *labels[MONTHS_SHOWN];
    int64_t values[2 * MONTHS_SHOWN];
    hh_chart chart;

    out(p, "<h2>");
    msg(p, title);
    out(p, "</h2>");
    if (!m->n) {
        notice(p, "empty", _(none));
        return;
    }
    memset(&chart, 0, sizeof chart);
    chart.title = _(title);
    chart.n_series = 2;
    chart.series[0] = _(first);
    chart.series[1] = _(second);
    chart.colours[0] = tier_colour(first_colour);
    chart.colours[1] = tier_colour(second_colour);
    chart.n = m->n;
    for (int i = 0; i < m->n; i++) {
        labels[i] = m->months[i];
        values[i] = m->v[0][i];
        values[m->n + i] = m->v[1][i];
    }
    chart.labels = labels;
    chart.values = values;
    if (p->err == HH_OK)
        p->err = hh_html_lines(&p->resp->body, &chart);
}

/* Unsent for two days or a clock two minutes off stands out. */
#define HEALTH_UNSENT_LATE_MS (2 * 86400000ull)
#define HEALTH_SKEW_BAD_MS    120000

static void health_cells(page *p, const hh_device_health *h)
{
    int64_t skew_s;

    if (!h->known) {
        out(p, "<td></td><td></td><td></td><td></td>");
        return;
    }
    out(p, "<td class=\"num\">%u</td><td class=\"num%s\">", h->outbox_depth,
        h->oldest_unsent_age_ms > HEALTH_UNSENT_LATE_MS ? " late" : "");
    if (h->outbox_depth && h->oldest_unsent_age_ms >= 86400000ull)
        out(p, _("%llu d"), (unsigned long long)(h->oldest_unsent_age_ms / 86400000ull));
    else if (h->outbox_depth)
        out(p, _("%llu h"), (unsigned long long)(h->oldest_unsent_age_ms / 3600000ull));
    skew_s = h->clock_skew_ms / 1000;
    out(p, "</td><td class=\"num%s\">%+lld s</td><td>",
        h->clock_skew_ms > HEALTH_SKEW_BAD_MS || h->clock_skew_ms < -HEALTH_SKEW_BAD_MS ? " late" : "",
        (long long)skew_s);
    text(p, h->agent_version);
    out(p, "</td>");
}

static int device_row(void *ctx, const hh_device *dev)
{
    page *p = ctx;
    char first[HH_VILLAGE_CODE_LEN + 1];
    int stale = !dev->revoked_ms && (!dev->last_seen_ms || p->now_ms - dev->last_seen_ms > 7 * 86400000ull);

    snprintf(first, sizeof first, "%.*s", (int)strcspn(dev->villages, ","), dev->villages);
    if (!hh_scope_contains(p->acct.scope, first))
        return 0;
    out(p, "<tr%s><td>", stale ? " class=\"late\"" : "");
    text(p, dev->officer);
    out(p, "</td><td><code>%.8s</code></td><td>", dev->id);
    text(p, dev->villages);
    out(p, "</td><td>");
    date_ms(p, dev->last_seen_ms);
    out(p, "</td><td class=\"num\">%llu</td>", (unsigned long long)dev->acked_seq);
    health_cells(p, &dev->health);
    out(p, "<td>");
    if (dev->revoked_ms)
        msg(p, "revoked");
    else if (stale)
        msg(p, "no sync for a week");
    else
        msg(p, "syncing");
    out(p, "</td></tr>");
    return 0;
}

static void overview_page(page *p)
{
    overview *o = calloc(1, sizeof *o);
    char month[8];
    const char *labels[VILLAGES_SHOWN > MONTHS_SHOWN ? VILLAGES_SHOWN : MONTHS_SHOWN];
    int64_t values[HH_CHART_SERIES_MAX * VILLAGES_SHOWN];
    hh_chart chart;

    snprintf(month, sizeof month, "%.7s", p->today);
    if (!o || (o->p = p, hh_rstore_each_tally(p->reader, tally_row, o)) != HH_OK ||
        hh_rstore_each_month(p->reader, month_row, o) != HH_OK ||
        hh_rstore_each_tier_month(p->reader, tier_month_row, o) != HH_OK) {
        free(o);
        message_page(p, 503, N_("Busy"), _("the collector cannot read its records now; retry later"));
        return;
    }
    page_open(p, N_("Overview"));
    out(p, "<h2>");
    msg(p, "Households by tier");
    out(p, "</h2>");
    if (!o->n)
        notice(p, "empty", _("no household in your villages has a tier yet"));
    /* The chart: red first, stacked per village. */
    memset(&chart, 0, sizeof chart);
    chart.title = _("Households by tier");
    chart.n_series = 4;
    chart.n = o->n;
    for (int s = 0; s < 4; s++) {
        hh_tier t = (hh_tier)(HH_TIER_RED - s);
        chart.series[s] = hh_i18n_enum(&hh_tier_names, (int)t);
        chart.colours[s] = tier_colour(t);
        for (int i = 0; i < o->n; i++)
            values[s * o->n + i] = o->tiers[t][i];
    }
    for (int i = 0; i < o->n; i++)
        labels[i] = o->villages[i];
    chart.labels = labels;
    chart.values = values;
    if (o->n && p->err == HH_OK)
        p->err = hh_html_bars(&p->resp->body, &chart);
    /* The table: tiers, then the review states that hold any household. */
    out(p, "<div class=\"scroll\"><table><thead><tr><th>");
    msg(p, "Village");
    out(p, "</th>");
    for (int t = HH_TIER_RED; t >= HH_TIER_GREEN; t--) {
        out(p, "<th>");
        tier_badge(p, (hh_tier)t);
        out(p, "</th>");
    }
    for (int s = 1; s <= HH_REVIEW_STATE_COUNT; s++) {
        int64_t any = 0;
        for (int i = 0; i < o->n; i++)
            any += o->states[s][i];
        if (any) {
            out(p, "<th>");
            text(p, state_text((hh_review_state)s));
            out(p, "</th>");
        }
    }
    out(p, "</tr></thead><tbody>");
    for (int i = 0; i < o->n; i++) {
        out(p, "<tr><td><a href=\"/worklist?village=%s\">%s</a></td>", o->villages[i], o->villages[i]);
        for (int t = HH_TIER_RED; t >= HH_TIER_GREEN; t--)
            out(p, "<td class=\"num\">%lld</td>", (long long)o->tiers[t][i]);
        for (int s = 1; s <= HH_REVIEW_STATE_COUNT; s++) {
            int64_t any = 0;
            for (int k = 0; k < o->n; k++)
                any += o->states[s][k];
            if (any)
                out(p, "<td class=\"num\">%lld</td>", (long long)o->states[s][i]);
        }
        out(p, "</tr>");
    }
    table_close(p);
    if (o->more)
        notice(p, "note", _("more villages than the table shows: open the worklist by village"));
    /* Month by month: the households under watch (this month as they stand
     * now), and the warnings opened and released. */
    {
        int64_t red = 0, orange = 0;
        int now;
        for (int i = 0; i < o->n; i++) {
            red += o->tiers[HH_TIER_RED][i];
            orange += o->tiers[HH_TIER_ORANGE][i];
        }
        now = monthly_slot(&o->watched, month);
        o->watched.v[0][now] = red;
        o->watched.v[1][now] = orange;
    }
    month_chart(p, &o->watched, N_("Red and orange households, by month"), N_("red"), N_("orange"),
                HH_TIER_RED, HH_TIER_ORANGE, N_("no household has a tier yet"));
    month_chart(p, &o->warnings, N_("Warnings opened and released, by month"), N_("opened"), N_("released"),
                HH_TIER_RED, HH_TIER_GREEN, N_("no warning has been acted on yet"));
    /* The devices. */
    out(p, "<h2>");
    msg(p, "Devices");
    out(p, "</h2>");
    {
        static const char *const heads[] = {
            N_("Officer"), N_("Device"), N_("Villages"), N_("Last sync"), N_("Changes received"),
            N_("Outbox"), N_("Oldest unsent"), N_("Clock skew"), N_("Version"), N_("State"),
        };
        table_open(p, NULL, heads, sizeof heads / sizeof heads[0]);
    }
    if (hh_cstore_each_device(p->reader, device_row, p) != HH_OK)
        p->err = HH_EDB;
    table_close(p);
    free(o);
    page_close(p);
}

/* ---- worklist ---------------------------------------------------------------------- */

typedef struct worklist {
    page *p;
    int tier;                   /* 0: any */
    int overdue;                /* only those with an overdue measure */
    int shown, total;
} worklist;

static void reasons_cell(page *p, uint32_t reasons, int64_t per_capita)
{
    hh_tier_view v;
    char sentences[1024];

    memset(&v, 0, sizeof v);
    v.reasons = reasons;
    v.per_capita_yuan = per_capita;
    hh_present_reasons(&v, hh_cstore_rules(p->reader), "；", sentences, sizeof sentences);
    text(p, sentences);
}

/* The worklist's columns. On a phone each row becomes a card, each cell
 * labelled with its column (data-label, shown by the style sheet). */
static const char *const work_cols[] = {
    N_("Tier"), N_("Head of household"), N_("Registry no."), N_("Village"), N_("Per-capita income (yuan)"),
    N_("Reasons"), N_("Review state"), N_("Measures open"), N_("Last visit"),
};

static void work_cell(page *p, int col, const char *cls)
{
    out(p, "<td%s%s%s data-label=\"", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    if (col >= 2)
        msg(p, work_cols[col]);
    out(p, "\">");
}

static int work_row(void *ctx, const void *row)
{
    worklist *w = ctx;
    const hh_work *k = row;
    page *p = w->p;
    char yuan[32];

    if (!hh_scope_contains(p->acct.scope, k->village_code) || (w->tier && (int)k->tier != w->tier) ||
        (w->overdue && !k->overdue_measures))
        return 0;
    if (++w->total > WORKLIST_ROWS_MAX)
        return 0;
    w->shown++;
    out(p, "<tr>");
    work_cell(p, 0, NULL);
    tier_badge(p, k->tier);
    out(p, "</td>");
    work_cell(p, 1, NULL);
    out(p, "<a href=\"/household?id=%s\">", k->household_id);
    text(p, k->head_name[0] ? k->head_name : _("(no head recorded)"));
    out(p, "</a></td>");
    work_cell(p, 2, NULL);
    text(p, k->registry_no);
    out(p, "</td>");
    work_cell(p, 3, NULL);
    out(p, "%s</td>", k->village_code);
    work_cell(p, 4, "num");
    if (k->per_capita_yuan >= 0) {
        hh_present_yuan(k->per_capita_yuan, yuan, sizeof yuan);
        text(p, yuan);
    }
    out(p, "</td>");
    work_cell(p, 5, NULL);
    reasons_cell(p, k->reasons, k->per_capita_yuan);
    out(p, "</td>");
    work_cell(p, 6, NULL);
    text(p, state_text(k->state));
    out(p, "</td>");
    work_cell(p, 7, k->overdue_measures ? "num late" : "num");
    out(p, "%d", k->open_measures);
    if (k->overdue_measures) {
        out(p, " (");
        out(p, _("%d overdue"), k->overdue_measures);
        out(p, ")");
    }
    out(p, "</td>");
    work_cell(p, 8, NULL);
    text(p, k->last_visit_on);
    out(p, "</td></tr>");
    return 0;
}

/* A <select> of an enumeration, the current choice selected. */
static void select_enum(page *p, const char *name, const char *any, const hh_enum_names *e, int chosen,
                        int reverse)
{
    out(p, "<select name=\"%s\"><option value=\"\">", name);
    msg(p, any);
    out(p, "</option>");
    for (int k = 1; k <= e->count; k++) {
        int v = reverse ? e->count + 1 - k : k;
        out(p, "<option value=\"%s\"%s>", hh_enum_name(e, v), v == chosen ? " selected" : "");
        text(p, e == &hh_review_state_names ? state_text((hh_review_state)v) : hh_i18n_enum(e, v));
        out(p, "</option>");
    }
    out(p, "</select>");
}

static void worklist_page(page *p)
{
    const char *village = arg(p, "village"), *tier = arg(p, "tier"), *state = arg(p, "state");
    worklist w;
    int st = 0;
    hh_err ret;

    memset(&w, 0, sizeof w);
    w.p = p;
    w.overdue = arg(p, "overdue") != NULL;
    if ((village && (strlen(village) != HH_VILLAGE_CODE_LEN || strspn(village, "0123456789") != HH_VILLAGE_CODE_LEN)) ||
        (tier && !(w.tier = hh_enum_parse(&hh_tier_names, tier))) ||
        (state && !(st = hh_enum_parse(&hh_review_state_names, state)))) {
        message_page(p, 400, N_("Worklist"), _("a filter is not valid: choose it from the lists"));
        return;
    }
    page_open(p, N_("Worklist"));
    out(p, "<form class=\"filters\" method=\"get\" action=\"/worklist\"><label>");
    msg(p, "Village");
    out(p, "<input name=\"village\" inputmode=\"numeric\" pattern=\"[0-9]{12}\" maxlength=\"12\" value=\"%s\">"
           "</label><label>", village ? village : "");
    msg(p, "Tier");
    select_enum(p, "tier", N_("any"), &hh_tier_names, w.tier, 1);
    out(p, "</label><label>");
    msg(p, "Review state");
    select_enum(p, "state", N_("open warnings"), &hh_review_state_names, st, 0);
    out(p, "</label><label class=\"check\"><input type=\"checkbox\" name=\"overdue\" value=\"1\"%s>",
        w.overdue ? " checked" : "");
    msg(p, "overdue measures only");
    out(p, "</label><button>");
    msg(p, "Filter");
    out(p, "</button></form>");
    table_open(p, "work", work_cols, sizeof work_cols / sizeof work_cols[0]);
    ret = hh_rstore_each_work(p->reader, (hh_review_state)st, village, 0, p->today, work_row, &w);
    table_close(p);
    if (ret != HH_OK) {
        message_page(p, 503, N_("Busy"), _("the collector cannot read its records now; retry later"));
        return;
    }
    if (!w.total)
        notice(p, "empty", _("no household matches"));
    else if (w.total > w.shown) {
        char line[160];
        snprintf(line, sizeof line, _("the first %d of %d households; narrow the filter to see the rest"),
                 w.shown, w.total);
        notice(p, "note", line);
    }
    page_close(p);
}

/* ---- one household ----------------------------------------------------------------- */

typedef struct history {
    page *p;
    const hh_household *h;
    int n;
    char dates[VISITS_SHOWN][HH_DATE_LEN + 1];
    int64_t per_capita[VISITS_SHOWN];
} history;

static int visit_row(void *ctx, const hh_visit *v)
{
    history *y = ctx;
    page *p = y->p;
    int64_t pc = hh_visit_per_capita(y->h, v);
    char yuan[32], shocks[256] = "";

    if (y->n == VISITS_SHOWN) {
        memmove(y->dates, y->dates + 1, sizeof y->dates[0] * (VISITS_SHOWN - 1));
        memmove(y->per_capita, y->per_capita + 1, sizeof y->per_capita[0] * (VISITS_SHOWN - 1));
        y->n--;
    }
    snprintf(y->dates[y->n], sizeof y->dates[0], "%s", v->visited_on);
    y->per_capita[y->n++] = pc;
    for (int k = 1; k <= hh_shock_names.count; k++)
        if (v->shocks & (1u << k)) {
            size_t used = strlen(shocks);
            snprintf(shocks + used, sizeof shocks - used, "%s%s", used ? "、" : "",
                     hh_i18n_enum(&hh_shock_names, k));
        }
    out(p, "<tr%s><td>", v->supersedes[0] ? " class=\"corr\"" : "");
    text(p, v->visited_on);
    out(p, "</td><td>");
    text(p, v->officer);
    out(p, "</td><td class=\"num\">");
    hh_present_yuan(pc, yuan, sizeof yuan);
    text(p, yuan);
    out(p, "</td><td>");
    text(p, shocks);
    out(p, "</td><td>");
    text(p, v->notes);
    if (v->supersedes[0]) {
        out(p, " <em>");
        msg(p, "(corrects an earlier visit)");
        out(p, "</em>");
    }
    out(p, "</td></tr>");
    return 0;
}

static const char *action_title(hh_review_action a);

static int step_row(void *ctx, const void *row)
{
    page *p = ctx;
    const hh_step *s = row;
    int to = hh_enum_parse(&hh_review_state_names, s->to);
    int act = hh_enum_parse(&hh_review_action_names, s->action);

    out(p, "<li><time>");
    date_ms(p, s->at_ms);
    out(p, "</time> <b>");
    text(p, s->account);
    out(p, "</b> ");
    text(p, to ? state_text((hh_review_state)to) : s->to);
    out(p, " <span class=\"act\">(");
    text(p, act ? action_title((hh_review_action)act) : s->action);
    out(p, ")</span><br>");
    text(p, s->note);
    out(p, "</li>");
    return 0;
}

typedef struct measures {
    page *p;
    int open;
    int64_t ids[HH_OPEN_MEASURES_MAX * 4];
    char names[HH_OPEN_MEASURES_MAX * 4][HH_MEASURE_CODE_MAX + 1];
} measures;

static int measure_row(void *ctx, const void *row)
{
    measures *m = ctx;
    const hh_measure *r = row;
    page *p = m->p;
    int late = !r->closed_ms && strcmp(r->due_on, p->today) < 0;

    if (!r->closed_ms && m->open < (int)(sizeof m->ids / sizeof m->ids[0])) {
        m->ids[m->open] = r->id;
        snprintf(m->names[m->open++], sizeof m->names[0], "%s", r->measure);
    }
    out(p, "<tr%s><td>%lld</td><td>", late ? " class=\"late\"" : "", (long long)r->id);
    text(p, measure_text(r->measure));
    out(p, "</td><td>");
    text(p, r->responsible);
    out(p, "</td><td>");
    text(p, r->due_on);
    out(p, "</td><td>");
    if (r->closed_ms)
        date_ms(p, r->closed_ms);
    else if (late)
        msg(p, "overdue");
    else
        msg(p, "open");
    out(p, "</td></tr>");
    return 0;
}

static const char *action_title(hh_review_action a)
{
    static const char *const titles[] = {
        N_("Verify (home check done)"), N_("Dismiss the warning"), N_("Village appraisal"),
        N_("Township review"), N_("County approval"), N_("Propose release"), N_("Reopen"),
        N_("Add a measure"), N_("Record progress on a measure"), N_("Close a measure"),
    };

    return a >= 1 && a <= (int)(sizeof titles / sizeof titles[0]) ? _(titles[a - 1]) : "?";
}

/* The forms of the actions this account may take now. */
static void action_forms(page *p, const hh_household *h, hh_review_state state, const measures *m)
{
    const hh_rulebook *rules = hh_cstore_rules(p->reader);
    uint32_t suggested = 0;
    int any = 0;

    hh_review_suggested(p->reader, h->id, &suggested);
    for (int a = 1; a <= hh_review_action_names.count; a++) {
        hh_review_state to;
        hh_diag d;

        hh_diag_clear(&d);
        if (hh_review_next(state, (hh_review_action)a, p->acct.level, &to, &d) != HH_OK)
            continue;
        if ((a == HH_ACT_TRACK || a == HH_ACT_CLOSE_MEASURE) && !m->open)
            continue;
        any = 1;
        out(p, "<form class=\"act\" method=\"post\" action=\"/act\"><fieldset><legend>");
        text(p, action_title((hh_review_action)a));
        out(p, "</legend><input type=\"hidden\" name=\"csrf\" value=\"%s\">"
               "<input type=\"hidden\" name=\"household\" value=\"%s\">"
               "<input type=\"hidden\" name=\"action\" value=\"%s\">",
            p->who.csrf, h->id, hh_enum_name(&hh_review_action_names, a));
        if (a == HH_ACT_VERIFY) {
            out(p, "<label class=\"check\"><input type=\"checkbox\" name=\"consent\" value=\"1\">");
            msg(p, "the household signed the consent form (承诺授权书)");
            out(p, "</label>");
        }
        if (a == HH_ACT_INTERVENE) {
            out(p, "<label>");
            msg(p, "Measure");
            out(p, "<select name=\"measure\" required>");
            for (int k = 0; k < rules->measure_count; k++) {
                out(p, "<option value=\"%s\">", rules->measures[k]);
                text(p, measure_text(rules->measures[k]));
                if (suggested & (1u << k)) {
                    out(p, " ★ ");
                    msg(p, "suggested");
                }
                out(p, "</option>");
            }
            out(p, "</select></label><label>");
            msg(p, "Responsible");
            out(p, "<input name=\"responsible\" required maxlength=\"%d\"></label><label>", HH_RESPONSIBLE_MAX);
            msg(p, "Due on");
            out(p, "<input name=\"due_on\" type=\"date\" required></label>");
        }
        if (a == HH_ACT_TRACK || a == HH_ACT_CLOSE_MEASURE) {
            out(p, "<label>");
            msg(p, "Measure");
            out(p, "<select name=\"measure_id\">");
            for (int k = 0; k < m->open; k++) {
                out(p, "<option value=\"%lld\">%lld · ", (long long)m->ids[k], (long long)m->ids[k]);
                text(p, measure_text(m->names[k]));
                out(p, "</option>");
            }
            out(p, "</select></label>");
        }
        out(p, "<label>");
        msg(p, "Note");
        out(p, "<textarea name=\"note\" required maxlength=\"%d\" rows=\"2\"></textarea></label><button>",
            HH_NOTE_MAX);
        text(p, action_title((hh_review_action)a));
        out(p, "</button></fieldset></form>");
    }
    if (!any)
        notice(p, "note", _("no step of the procedure is yours to take now"));
}

static void household_page(page *p, const char *id, const char *problem, const char *done)
{
    hh_household *h = malloc(sizeof *h);
    history *y = calloc(1, sizeof *y);
    measures *m = calloc(1, sizeof *m);
    char village[HH_VILLAGE_CODE_LEN + 1], title[200];
    const char *head = NULL;
    hh_review_state state = HH_REVIEW_COMPUTED;
    uint64_t since = 0;
    hh_ctier tier;
    hh_chart chart;
    const char *labels[VISITS_SHOWN];
    hh_err ret;

    if (!h || !y || !m) {
        message_page(p, 503, N_("Busy"), _("out of memory; retry later"));
        goto cleanup;
    }
    memset(&tier, 0, sizeof tier);
    if (!id || strlen(id) != HH_UUID_LEN) {
        message_page(p, 404, N_("Not allowed"), _("no such household"));
        goto cleanup;
    }
    if (!in_scope(p, id, village))
        goto cleanup;
    if ((ret = hh_records_household_get(hh_cstore_sql(p->reader), id, 1, h)) != HH_OK) {
        message_page(p, 503, N_("Busy"), _("the collector cannot read its records now; retry later"));
        goto cleanup;
    }
    for (int i = 0; i < h->member_count && !head; i++)
        if (h->members[i].relation == HH_RELATION_HEAD)
            head = h->members[i].name;
    snprintf(title, sizeof title, "%s", head ? head : _("(no head recorded)"));
    page_open(p, title);
    if (problem)
        notice(p, "error", problem);
    if (done)
        notice(p, "done", done);
    out(p, "<p class=\"facts\">");
    if (hh_cstore_tier_get(p->reader, id, &tier) == HH_OK) {
        int s = hh_enum_parse(&hh_review_state_names, tier.v.label);
        tier_badge(p, tier.v.tier);
        state = s ? (hh_review_state)s : HH_REVIEW_COMPUTED;
        hh_rstore_review_state(p->reader, id, &state, &since);
        out(p, " ");
        text(p, state_text(state));
        out(p, " · ");
    }
    msg(p, "Registry no.");
    out(p, " ");
    text(p, h->registry_no[0] ? h->registry_no : "—");
    out(p, " · ");
    msg(p, "Village");
    out(p, " %s · ", h->village_code);
    text(p, hh_i18n_enum(&hh_category_names, (int)h->category));
    if (h->relocated) {
        out(p, " · ");
        msg(p, "relocated");
        out(p, " ");
        text(p, h->resettlement_site);
    }
    out(p, "</p>");
    if (tier.v.reasons) {
        out(p, "<p class=\"reasons\">");
        reasons_cell(p, tier.v.reasons, tier.v.per_capita_yuan);
        out(p, "</p>");
    }
    /* Members: ID numbers shown with their middle hidden. */
    out(p, "<h2>");
    msg(p, "Members");
    out(p, "</h2>");
    {
        static const char *const heads[] = { N_("Name"), N_("Relation"), N_("ID number"), N_("Born"),
                                              N_("Labour"), N_("Health"), N_("Work") };
        table_open(p, NULL, heads, sizeof heads / sizeof heads[0]);
    }
    for (int i = 0; i < h->member_count; i++) {
        const hh_member *mb = &h->members[i];
        out(p, "<tr><td>");
        text(p, mb->name);
        out(p, "</td><td>");
        text(p, hh_i18n_enum(&hh_relation_names, (int)mb->relation));
        out(p, "</td><td><code>%.6s********%.4s</code></td><td>%d</td><td>", mb->id_number,
            mb->id_number + (strlen(mb->id_number) >= 4 ? strlen(mb->id_number) - 4 : 0), mb->birth_year);
        text(p, hh_i18n_enum(&hh_labour_names, (int)mb->labour));
        out(p, "</td><td>");
        text(p, hh_i18n_enum(&hh_health_names, (int)mb->health));
        out(p, "</td><td>");
        text(p, hh_i18n_enum(&hh_employment_names, (int)mb->employment));
        out(p, "</td></tr>");
    }
    table_close(p);
    out(p, "<h2>");
    msg(p, "Visits");
    out(p, "</h2>");
    /* The table is written as the visits are read; the chart, drawn from the
     * same rows, goes before it. */
    {
        static const char *const heads[] = { N_("Visited on"), N_("Officer"), N_("Per-capita income (yuan)"),
                                              N_("Shocks"), N_("Notes") };
        size_t chart_at = p->resp->body.len;
        hh_buf rows;

        y->p = p;
        y->h = h;
        table_open(p, NULL, heads, sizeof heads / sizeof heads[0]);
        if (hh_records_each_visit(hh_cstore_sql(p->reader), id, visit_row, y) != HH_OK)
            p->err = HH_EDB;
        table_close(p);
        if (y->n > 1 && p->err == HH_OK) {
            memset(&chart, 0, sizeof chart);
            chart.title = _("Per-capita income by visit (yuan)");
            chart.n_series = 1;
            chart.series[0] = _("per-capita income (yuan)");
            chart.colours[0] = "#1565c0";
            chart.n = y->n;
            for (int i = 0; i < y->n; i++)
                labels[i] = y->dates[i];
            chart.labels = labels;
            chart.values = y->per_capita;
            hh_buf_init(&rows, p->resp->body.max);
            if (hh_buf_append(&rows, p->resp->body.data + chart_at, p->resp->body.len - chart_at) == HH_OK) {
                p->resp->body.len = chart_at;
                p->err = hh_html_lines(&p->resp->body, &chart);
                if (p->err == HH_OK)
                    p->err = hh_buf_append(&p->resp->body, rows.data, rows.len);
            } else {
                p->err = HH_ENOMEM;
            }
            hh_buf_free(&rows);
        }
    }
    out(p, "<h2>");
    msg(p, "Review");
    out(p, "</h2><ol class=\"timeline\">");
    if (hh_rstore_each_step(p->reader, id, step_row, p) != HH_OK)
        p->err = HH_EDB;
    out(p, "</ol><h2>");
    msg(p, "Measures");
    out(p, "</h2>");
    {
        static const char *const heads[] = { "#", N_("Measure"), N_("Responsible"), N_("Due on"), N_("State") };
        table_open(p, NULL, heads, sizeof heads / sizeof heads[0]);
    }
    m->p = p;
    if (hh_rstore_each_measure(p->reader, id, 0, measure_row, m) != HH_OK)
        p->err = HH_EDB;
    table_close(p);
    out(p, "<h2>");
    msg(p, "Actions");
    out(p, "</h2>");
    action_forms(p, h, state, m);
    page_close(p);
cleanup:
    free(h);
    free(y);
    free(m);
}

/* ---- actions ----------------------------------------------------------------------- */

static void act(page *p)
{
    const char *household = field(p, "household"), *action = field(p, "action");
    hh_review_request q;
    hh_review_result r;
    char village[HH_VILLAGE_CODE_LEN + 1], done[200];
    int64_t measure_id = 0;
    hh_cstore *store;
    hh_diag d;
    hh_err ret;

    memset(&q, 0, sizeof q);
    hh_diag_clear(&d);
    if (!household || strlen(household) != HH_UUID_LEN || !action ||
        !(q.act = (hh_review_action)hh_enum_parse(&hh_review_action_names, action))) {
        message_page(p, 400, N_("Not done"), _("the form is not complete; open the household again"));
        return;
    }
    if (!in_scope(p, household, village))
        return;
    if (field(p, "measure_id")) {
        char *end;
        measure_id = strtoll(field(p, "measure_id"), &end, 10);
        if (*end || measure_id <= 0)
            measure_id = -1;
    }
    q.account = p->who.account;
    q.household = household;
    q.note = field(p, "note");
    q.consent_signed = field(p, "consent") != NULL;
    q.measure = field(p, "measure");
    q.responsible = field(p, "responsible");
    q.due_on = field(p, "due_on");
    q.measure_id = measure_id;
    hh_cstore_rollback(p->reader);    /* the action writes; the page after it reads anew */
    if (!(store = hh_service_lock(p->c->service, LOCK_WAIT_MS))) {
        message_page(p, 503, N_("Busy"), _("the collector is busy; retry in a moment"));
        return;
    }
    ret = hh_review_act(store, &q, p->now_ms, &r, &d);
    hh_service_unlock(p->c->service);
    if (hh_cstore_begin_read(p->reader) != HH_OK) {
        message_page(p, 503, N_("Busy"), _("the collector cannot read its records now; retry later"));
        return;
    }
    if (ret != HH_OK) {
        char problem[900];
        snprintf(problem, sizeof problem, "%s: %s%s%s", _("Not done; nothing changed"),
                 d.message[0] ? d.message : hh_strerror(ret), r.unmet[0] ? "\n" : "", r.unmet);
        household_page(p, household, problem, NULL);
        p->resp->status = ret == HH_EPERM ? 403 : ret == HH_ECONFLICT ? 409 : 400;
        return;
    }
    snprintf(done, sizeof done, "%s: %s", action_title(q.act), state_text(r.to));
    household_page(p, household, NULL, done);
}

/* ---- queues ------------------------------------------------------------------------ */

static void resolve_form_open(page *p, const char *kind, const char *key)
{
    out(p, "<form class=\"inline\" method=\"post\" action=\"/resolve\">"
           "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
           "<input type=\"hidden\" name=\"kind\" value=\"%s\"><input type=\"hidden\" name=\"key\" value=\"",
        p->who.csrf, kind);
    text(p, key);
    out(p, "\"><input name=\"note\" required maxlength=\"%d\" placeholder=\"", HH_NOTE_MAX);
    msg(p, "Note");
    out(p, "\">");
}

static void choice_button(page *p, const char *value, const char *label)
{
    out(p, "<button name=\"choice\" value=\"%s\">", value);
    msg(p, label);
    out(p, "</button>");
}

/* The village of a household or member record; "" when it has none. */
static void entity_village(page *p, const char *entity_id, char village[HH_VILLAGE_CODE_LEN + 1])
{
    char household[HH_UUID_LEN + 1];
    hh_member m;
    int members;

    if (hh_cstore_household_scope(p->reader, entity_id, village, &members) == HH_OK)
        return;
    village[0] = '\0';
    if (hh_records_member_get(hh_cstore_sql(p->reader), entity_id, &m, household) != HH_OK ||
        hh_cstore_household_scope(p->reader, household, village, &members) != HH_OK)
        village[0] = '\0';
}

static int conflict_row(void *ctx, const hh_conflict *k)
{
    page *p = ctx;
    char key[24], village[HH_VILLAGE_CODE_LEN + 1];

    entity_village(p, k->entity_id, village);
    if (!hh_scope_contains(p->acct.scope, village))
        return 0;
    snprintf(key, sizeof key, "%lld", (long long)k->id);
    out(p, "<tr><td>%lld</td><td><code>%.8s</code></td><td>", (long long)k->id, k->entity_id);
    text(p, k->field);
    out(p, "</td><td>");
    text(p, k->kept_value);
    out(p, "</td><td>");
    text(p, k->other_value);
    out(p, "</td><td>");
    resolve_form_open(p, "conflict", key);
    choice_button(p, "mine", N_("Keep the value in force"));
    choice_button(p, "theirs", N_("Take the other value"));
    out(p, "</form></td></tr>");
    return 0;
}

static int quarantine_row(void *ctx, const hh_quarantined *q)
{
    page *p = ctx;
    char key[64];

    if (q->village_code[0] && !hh_scope_contains(p->acct.scope, q->village_code))
        return 0;
    snprintf(key, sizeof key, "%s/%llu", q->device_id, (unsigned long long)q->seq);
    out(p, "<tr><td><code>%.8s</code> #%llu</td><td>", q->device_id, (unsigned long long)q->seq);
    text(p, q->registry_no);
    out(p, "</td><td>");
    text(p, q->detail);
    out(p, "</td><td>");
    resolve_form_open(p, "quarantine", key);
    choice_button(p, "accept", N_("Accept"));
    choice_button(p, "discard", N_("Discard"));
    out(p, "</form></td></tr>");
    return 0;
}

static int duplicate_row(void *ctx, const void *row)
{
    page *p = ctx;
    const hh_duplicate *k = row;
    char key[24];

    if (k->resolved_ms || !hh_scope_contains(p->acct.scope, k->village_a) ||
        !hh_scope_contains(p->acct.scope, k->village_b))
        return 0;
    snprintf(key, sizeof key, "%lld", (long long)k->id);
    out(p, "<tr><td>%lld</td><td>", (long long)k->id);
    text(p, k->kind);
    out(p, "</td><td><a href=\"/household?id=%s\">", k->household_a);
    text(p, k->name_a[0] ? k->name_a : k->registry_a);
    out(p, "</a> · <a href=\"/household?id=%s\">", k->household_b);
    text(p, k->name_b[0] ? k->name_b : k->registry_b);
    out(p, "</a></td><td>");
    text(p, k->detail);
    out(p, "</td><td>");
    resolve_form_open(p, "duplicate", key);
    choice_button(p, "keep-both", N_("Keep both"));
    if (strcmp(k->kind, "id_mismatch") != 0) {
        choice_button(p, "merge-a", N_("Merge into the first household"));
        choice_button(p, "merge-b", N_("Merge into the second household"));
    }
    if (strcmp(k->kind, "id_number") == 0) {
        choice_button(p, "move-a", N_("The person belongs to the second household"));
        choice_button(p, "move-b", N_("The person belongs to the first household"));
    }
    out(p, "</form></td></tr>");
    return 0;
}

static void queue_head(page *p, const char *title, const char *const *columns, int n)
{
    out(p, "<h2>");
    msg(p, title);
    out(p, "</h2>");
    table_open(p, NULL, columns, (size_t)n);
}

static void queues_page(page *p, const char *problem, const char *done)
{
    static const char *const conflict_cols[] = { "#", N_("Record"), N_("Field"), N_("Value in force"),
                                                 N_("Other value"), N_("Decision") };
    static const char *const quarantine_cols[] = { N_("Change"), N_("Registry no."), N_("Why refused"),
                                                   N_("Decision") };
    static const char *const duplicate_cols[] = { "#", N_("Kind"), N_("Households"), N_("Detail"),
                                                  N_("Decision") };
    hh_err ret;

    page_open(p, N_("Queues"));
    if (problem)
        notice(p, "error", problem);
    if (done)
        notice(p, "done", done);
    queue_head(p, N_("Conflicting edits"), conflict_cols, 6);
    ret = hh_cstore_each_conflict(p->reader, 0, conflict_row, p);
    table_close(p);
    queue_head(p, N_("Refused changes"), quarantine_cols, 4);
    if (ret == HH_OK)
        ret = hh_cstore_each_quarantined(p->reader, 0, quarantine_row, p);
    table_close(p);
    queue_head(p, N_("Duplicate records (数据比对)"), duplicate_cols, 5);
    if (ret == HH_OK)
        ret = hh_rstore_each_duplicate(p->reader, 1, duplicate_row, p);
    table_close(p);
    if (ret != HH_OK)
        p->err = ret;
    page_close(p);
}

/* A duplicate case: keep both, merge into one side (merge-a, merge-b), or move
 * the person's record to the other side (move-a: a's member to b). */
static hh_err resolve_duplicate(page *p, hh_cstore *store, const char *key, const char *choice, const char *note,
                                hh_diag *d)
{
    hh_dup_request q = { 0, HH_DUP_KEEP_BOTH, p->who.account, note, NULL, NULL };
    hh_duplicate k;
    char *end;
    hh_err ret;

    q.id = strtoll(key, &end, 10);
    if (*end || q.id <= 0)
        return HH_EINVAL;
    if (strcmp(choice, "keep-both") != 0) {
        if ((ret = hh_rstore_duplicate_get(store, q.id, &k)) != HH_OK)
            return ret;
        if (strcmp(choice, "merge-a") == 0 || strcmp(choice, "merge-b") == 0) {
            q.act = HH_DUP_MERGE;
            q.into = choice[6] == 'a' ? k.household_a : k.household_b;
        } else if (strcmp(choice, "move-a") == 0 || strcmp(choice, "move-b") == 0) {
            q.act = HH_DUP_MOVE;
            q.member = choice[5] == 'a' ? k.member_a : k.member_b;
            q.into = choice[5] == 'a' ? k.household_b : k.household_a;
        } else {
            return HH_EINVAL;
        }
    }
    return hh_dupes_resolve(store, &q, p->now_ms, d);
}

static void resolve(page *p)
{
    const char *kind = field(p, "kind"), *key = field(p, "key"), *choice = field(p, "choice");
    const char *note = field(p, "note");
    char *end, problem[400];
    hh_cstore *store;
    hh_diag d;
    hh_err ret = HH_EINVAL;

    hh_diag_clear(&d);
    if (!kind || !key || !choice) {
        message_page(p, 400, N_("Not done"), _("the form is not complete; open the queues again"));
        return;
    }
    hh_cstore_rollback(p->reader);
    if (!(store = hh_service_lock(p->c->service, LOCK_WAIT_MS))) {
        message_page(p, 503, N_("Busy"), _("the collector is busy; retry in a moment"));
        return;
    }
    if (strcmp(kind, "conflict") == 0) {
        hh_conflict_request q = { strtoll(key, &end, 10), p->who.account, note, choice, NULL };
        ret = *end || q.id <= 0 ? HH_EINVAL : hh_conflicts_resolve(store, &q, p->now_ms, &d);
    } else if (strcmp(kind, "quarantine") == 0) {
        char device[HH_UUID_LEN + 1];
        const char *slash = strchr(key, '/');
        hh_quarantine_request q;
        memset(&q, 0, sizeof q);
        if (slash && slash - key == HH_UUID_LEN) {
            snprintf(device, sizeof device, "%.*s", HH_UUID_LEN, key);
            q.device_id = device;
            q.seq = strtoull(slash + 1, &end, 10);
            q.accept = strcmp(choice, "accept") == 0;
            q.account = p->who.account;
            q.note = note;
            ret = *end || !q.seq ? HH_EINVAL : hh_quarantine_decide(store, &q, p->now_ms, &d);
        }
    } else if (strcmp(kind, "duplicate") == 0) {
        ret = resolve_duplicate(p, store, key, choice, note, &d);
    }
    hh_service_unlock(p->c->service);
    if (hh_cstore_begin_read(p->reader) != HH_OK) {
        message_page(p, 503, N_("Busy"), _("the collector cannot read its records now; retry later"));
        return;
    }
    if (ret != HH_OK) {
        snprintf(problem, sizeof problem, "%s: %s", _("Not done; nothing changed"),
                 d.message[0] ? d.message : hh_strerror(ret));
        queues_page(p, problem, NULL);
        p->resp->status = ret == HH_EPERM ? 403 : ret == HH_ECONFLICT ? 409 : 400;
        return;
    }
    queues_page(p, NULL, _("Done: every device gets the decision on its next sync"));
}

/* ---- audit ------------------------------------------------------------------------- */

static int audit_row(void *ctx, const void *row)
{
    page *p = ctx;
    const hh_audit_row *a = row;

    out(p, "<tr><td>");
    date_ms(p, a->at_ms);
    out(p, "</td><td>");
    text(p, a->kind);
    out(p, "</td><td>");
    text(p, a->who);
    out(p, "</td><td>");
    text(p, a->detail);
    out(p, "</td></tr>");
    return 0;
}

static void audit_page(page *p)
{
    if (strcmp(p->acct.role, "admin") != 0) {
        audit(p, "console_refused", p->who.account, "console: audit log needs an admin");
        message_page(p, 403, N_("Not allowed"), _("the audit log is for administrators"));
        return;
    }
    page_open(p, N_("Audit log"));
    {
        static const char *const heads[] = { N_("When"), N_("What"), N_("Who"), N_("Detail") };
        table_open(p, NULL, heads, sizeof heads / sizeof heads[0]);
    }
    if (hh_rstore_each_audit(p->reader, AUDIT_ROWS, audit_row, p) != HH_OK)
        p->err = HH_EDB;
    table_close(p);
    page_close(p);
}

/* ---- the monthly report ------------------------------------------------------------ */

/* The report of ?month= (this month when not given) for the account's
 * villages; names and ID numbers for administrators only. NULL when it
 * cannot be made (answered). */
static hh_report *report_for(page *p, char month[8])
{
    const char *asked = arg(p, "month");
    hh_report *r = malloc(sizeof *r);
    hh_diag d;
    hh_err ret;

    hh_diag_clear(&d);
    snprintf(month, 8, "%.7s", p->today);
    if (asked && hh_report_month_ok(asked, &d) == HH_OK)
        snprintf(month, 8, "%s", asked);
    if (!r || (ret = hh_report_build(p->reader, month, p->acct.scope, strcmp(p->acct.role, "admin") == 0,
                                     r, &d)) != HH_OK) {
        free(r);
        message_page(p, 503, N_("Monthly report"), d.message[0] ? d.message : _("out of memory; retry later"));
        return NULL;
    }
    return r;
}

static void report_page(page *p)
{
    char month[8];
    hh_report *r = report_for(p, month);

    if (!r)
        return;
    page_open(p, N_("Monthly report"));
    out(p, "<form class=\"filters\" method=\"get\" action=\"/report\"><label>");
    msg(p, "Month");
    out(p, "<input name=\"month\" type=\"month\" value=\"%s\" required></label><button>", month);
    msg(p, "Show");
    out(p, "</button></form><p class=\"downloads\"><a href=\"/report.xlsx?month=%s\">", month);
    msg(p, "Download Excel (XLSX)");
    out(p, "</a> · <a href=\"/report.csv?month=%s\">", month);
    msg(p, "Download CSV");
    out(p, "</a></p>");
    if (p->err == HH_OK)
        p->err = hh_report_html(r, &p->resp->body);
    hh_report_free(r);
    free(r);
    page_close(p);
}

/* The report as a file to download, audited. */
static void report_file(page *p, int xlsx)
{
    char month[8], detail[120], path[64] = "/tmp/hearthd-report-XXXXXX";
    hh_report *r = report_for(p, month);
    hh_diag d;
    hh_err ret;

    if (!r)
        return;
    hh_diag_clear(&d);
    hh_buf_reset(&p->resp->body);
    if (xlsx) {
        char *data = NULL;
        size_t len = 0;
        int fd = mkstemp(path);
        if (fd < 0) {
            ret = HH_EIO;
        } else {
            close(fd);
            ret = hh_report_xlsx(r, path, &d);
            if (ret == HH_OK && (ret = hh_platform_read_file(path, p->resp->body.max, &data, &len)) == HH_OK)
                ret = hh_buf_append(&p->resp->body, data, len);
            free(data);
            unlink(path);
        }
    } else {
        ret = hh_report_csv(r, &p->resp->body);
    }
    snprintf(detail, sizeof detail, "console: report %s as %s%s", month, xlsx ? "xlsx" : "csv",
             r->personal ? ", with names and ID numbers" : "");
    hh_report_free(r);
    free(r);
    if (ret != HH_OK) {
        message_page(p, ret == HH_ERANGE ? 413 : 503, N_("Monthly report"),
                     _("the report could not be made; narrow it or retry later"));
        return;
    }
    audit(p, "report", p->who.account, detail);
    p->resp->status = 200;
    p->resp->content_type = xlsx ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                                 : "text/csv; charset=utf-8";
    snprintf(p->resp->disposition, sizeof p->resp->disposition,
             "attachment; filename=\"hearth-report-%s.%s\"", month, xlsx ? "xlsx" : "csv");
}

/* ---- /metrics ---------------------------------------------------------------------- */

/* Is addr one of list's (comma-separated addresses)? */
static int address_listed(const char *list, const char *addr)
{
    size_t n = strlen(addr);

    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, ", ");
        if (len == n && n && strncmp(p, addr, n) == 0)
            return 1;
        p += len;
        p += strspn(p, ", ");
    }
    return 0;
}

/* An administrator's HTTP Basic credential, checked like a login (and
 * counted against the same bounds). */
static int basic_admin(page *p)
{
    const char *h = p->req->authorization;
    unsigned char decoded[HH_ACCOUNT_NAME_MAX + PASSWORD_MAX + 4];
    size_t len = 0;
    unsigned wait = 0;
    char *colon, detail[160];
    hh_account a;
    int known;

    if (!h || strncmp(h, "Basic ", 6) != 0 ||
        mbedtls_base64_decode(decoded, sizeof decoded - 1, &len, (const unsigned char *)h + 6, strlen(h + 6)) != 0)
        return 0;
    decoded[len] = '\0';
    if (strlen((char *)decoded) != len || !(colon = strchr((char *)decoded, ':')) ||
        colon - (char *)decoded > HH_ACCOUNT_NAME_MAX)
        return 0;
    *colon = '\0';
    if (hh_limiter_attempt(&p->c->by_account, (char *)decoded, p->now_ms, &wait) ||
        hh_limiter_attempt(&p->c->by_address, p->req->client_addr, p->now_ms, &wait))
        return 0;
    known = hh_rstore_account_get(p->reader, (char *)decoded, &a) == HH_OK && !a.disabled_ms &&
            strcmp(a.role, "admin") == 0;
    if (password_ok(&a, known, colon + 1)) {
        explicit_bzero(decoded, sizeof decoded);
        return 1;
    }
    hh_limiter_failed(&p->c->by_account, (char *)decoded, p->now_ms);
    hh_limiter_failed(&p->c->by_address, p->req->client_addr, p->now_ms);
    snprintf(detail, sizeof detail, "metrics: credential refused for %.32s from %.47s", (char *)decoded,
             p->req->client_addr);
    explicit_bzero(decoded, sizeof decoded);
    audit(p, "login_failed", NULL, detail);
    return 0;
}

static int count_seen(void *ctx, const hh_device *dev)
{
    int64_t *n = ctx;

    n[0] += !dev->revoked_ms && dev->last_seen_ms + 86400000ull >= (uint64_t)n[1];
    return 0;
}

static void metrics_page(page *p)
{
    int64_t seen[2] = { 0, (int64_t)p->now_ms };
    uint64_t db = 0, wal = 0;
    char wal_path[HH_PATH_MAX + 8];
    int listed;

    pthread_mutex_lock(&p->c->lock);
    listed = address_listed(p->c->metrics_from, p->req->client_addr);
    pthread_mutex_unlock(&p->c->lock);
    if (!listed &&
        !(p->who.account[0] && strcmp(p->acct.role, "admin") == 0) && !basic_admin(p)) {
        hh_buf_reset(&p->resp->body);
        p->resp->status = 401;
        p->resp->content_type = "text/plain; charset=utf-8";
        snprintf(p->resp->authenticate, sizeof p->resp->authenticate, "Basic realm=\"hearthd metrics\"");
        out(p, "an administrator's credential is needed\n");
        return;
    }
    snprintf(wal_path, sizeof wal_path, "%s-wal", p->c->cfg.db_path);
    hh_platform_file_size(p->c->cfg.db_path, &db);
    if (hh_platform_file_size(wal_path, &wal) != HH_OK)
        wal = 0;
    hh_buf_reset(&p->resp->body);
    if (hh_cstore_each_device(p->reader, count_seen, seen) != HH_OK ||
        hh_metrics_write(p->c->cfg.metrics, seen[0], (int64_t)(db + wal), &p->resp->body) != HH_OK) {
        hh_buf_reset(&p->resp->body);
        p->resp->status = 503;
        p->resp->content_type = "text/plain; charset=utf-8";
        out(p, "the collector cannot read its figures now\n");
        return;
    }
    p->resp->status = 200;
    p->resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

/* ---- the style sheet --------------------------------------------------------------- */

static const char style[] =
    "body{margin:0;font:15px/1.5 system-ui,\"Noto Sans CJK SC\",\"Microsoft YaHei\",sans-serif;color:#222;"
    "background:#f6f6f4}"
    "header{display:flex;flex-wrap:wrap;align-items:center;gap:.5em 1.2em;padding:.5em 1em;background:#263238;"
    "color:#fff}"
    "header a{color:#fff;text-decoration:none}header nav a{margin-right:1em}"
    ".brand{font-weight:bold}.who{margin-left:auto;display:flex;gap:.6em;align-items:center}"
    "main{padding:0 1em 2em;max-width:1300px}h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}"
    ".scroll{overflow-x:auto}table{border-collapse:collapse;background:#fff;min-width:60%}"
    "th,td{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}"
    "th{background:#eceff1}.num{text-align:right;white-space:nowrap}"
    ".tier{display:inline-block;padding:0 .5em;border-radius:3px;color:#fff;white-space:nowrap}"
    ".t1{background:#2e7d32}.t2{background:#f9a825;color:#222}.t3{background:#ef6c00}.t4{background:#c62828}"
    ".late,.late td{color:#b71c1c;font-weight:bold}.corr{color:#777}"
    ".error{background:#ffebee;border-left:4px solid #c62828;padding:.5em;white-space:pre-line}"
    ".done{background:#e8f5e9;border-left:4px solid #2e7d32;padding:.5em}"
    ".note,.empty{color:#555}.chart{max-width:680px;width:100%;display:block;background:#fff;margin:.5em 0}"
    "form.filters,form.login{display:flex;flex-wrap:wrap;gap:.6em 1em;align-items:end}"
    "form.login{flex-direction:column;align-items:stretch;max-width:320px}"
    "label{display:flex;flex-direction:column;gap:.2em}label.check{flex-direction:row;align-items:center}"
    "input,select,textarea,button{font:inherit;padding:.3em}button{cursor:pointer}"
    "form.act fieldset{background:#fff;border:1px solid #ccc;margin:.6em 0;max-width:640px;display:flex;"
    "flex-direction:column;gap:.5em}form.inline{display:flex;flex-wrap:wrap;gap:.3em}"
    ".timeline{background:#fff;padding:.5em 2em}.timeline li{margin:.3em 0}.act{color:#666}"
    "@media (max-width:600px){main{padding:0 .5em}header nav a{margin-right:.6em}"
    "table.work,table.work tbody,table.work tr,table.work td{display:block;min-width:0}"
    "table.work thead{display:none}table.work tr{border:1px solid #ccc;margin:.5em 0;padding:.3em;background:#fff}"
    "table.work td{border:none;padding:.1em .3em;text-align:left}"
    "table.work td:not([data-label=\"\"])::before{content:attr(data-label);margin-right:.5em;color:#666;"
    "font-size:.85em}}";

/* ---- routing ----------------------------------------------------------------------- */

int hh_console_path(const char *path)
{
    return strncmp(path, "/v1/", 4) != 0 && strncmp(path, "/v2/", 4) != 0;
}

/* The language: ?lang= (kept in a cookie from then on), else the cookie,
 * else Chinese. */
static int choose_language(const hh_request *req, hh_response *resp)
{
    const char *asked = req->arg ? req->arg(req, "lang") : NULL;
    char kept[4];

    if (asked && (strcmp(asked, "en") == 0 || strcmp(asked, "zh") == 0)) {
        snprintf(resp->set_cookie, sizeof resp->set_cookie,
                 LANG_COOKIE "=%s; Path=/; Secure; SameSite=Strict; Max-Age=31536000", asked);
        return strcmp(asked, "zh") == 0;
    }
    return !(cookie(req, LANG_COOKIE, kept, sizeof kept) && strcmp(kept, "en") == 0);
}

static void route(page *p)
{
    const hh_request *req = p->req;
    int get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;
    const char *path = req->path;

    if (post) {
        const char *t = req->content_type;
        if (!t || strncmp(t, "application/x-www-form-urlencoded", 33) != 0 || form_parse(p->f, req) != 0) {
            message_page(p, 400, N_("Not done"), _("the form could not be read; send it again"));
            return;
        }
    }
    if (get && strcmp(path, "/metrics") == 0) {
        metrics_page(p);
        return;
    }
    if (strcmp(path, "/login") == 0 && (get || post)) {
        if (post)
            login(p);
        else if (p->who.account[0])
            redirect(p, "/");
        else
            login_form(p, 200, NULL);
        return;
    }
    if (!p->who.account[0]) {
        if (get)
            redirect(p, "/login");
        else
            message_page(p, 401, N_("Log in"), _("your session has ended: log in again"));
        return;
    }
    /* Every form carries the session's CSRF token. */
    if (post && !(field(p, "csrf") && same_secret(field(p, "csrf"), p->who.csrf))) {
        audit(p, "console_refused", p->who.account, "console: a form without this session's token");
        message_page(p, 403, N_("Not allowed"), _("this form is not from your session: open the page again"));
        return;
    }
    if (get && strcmp(path, "/") == 0)
        overview_page(p);
    else if (get && strcmp(path, "/worklist") == 0)
        worklist_page(p);
    else if (get && strcmp(path, "/household") == 0)
        household_page(p, arg(p, "id"), NULL, NULL);
    else if (get && strcmp(path, "/queues") == 0)
        queues_page(p, NULL, NULL);
    else if (get && strcmp(path, "/audit") == 0)
        audit_page(p);
    else if (get && strcmp(path, "/report") == 0)
        report_page(p);
    else if (get && strcmp(path, "/report.xlsx") == 0)
        report_file(p, 1);
    else if (get && strcmp(path, "/report.csv") == 0)
        report_file(p, 0);
    else if (post && strcmp(path, "/act") == 0)
        act(p);
    else if (post && strcmp(path, "/resolve") == 0)
        resolve(p);
    else if (post && strcmp(path, "/logout") == 0)
        logout(p);
    else
        message_page(p, 404, N_("Not found"), _("there is no such page"));
}

void hh_console_handle(hh_console *c, hh_cstore *reader, const hh_request *req, hh_response *resp)
{
    page p;

    memset(&p, 0, sizeof p);
    p.c = c;
    p.reader = reader;
    p.req = req;
    p.resp = resp;
    p.now_ms = hh_platform_wall_ms();
    p.zh = choose_language(req, resp);
    hh_i18n_use(p.zh);
    if (strcmp(req->path, "/console.css") == 0) {
        resp->status = 200;
        resp->content_type = "text/css; charset=utf-8";
        hh_buf_reset(&resp->body);
        hh_buf_puts(&resp->body, style);
        return;
    }
    if (hh_platform_today(p.today) != HH_OK || !(p.f = malloc(sizeof *p.f))) {
        message_page(&p, 503, N_("Busy"), _("out of memory; retry later"));
        free(p.f);
        return;
    }
    p.f->n = 0;
    if (hh_cstore_begin_read(reader) != HH_OK) {
        message_page(&p, 503, N_("Busy"), _("the collector cannot read its records now; retry later"));
        free(p.f);
        return;
    }
    /* A session of an account disabled since is over. */
    if (session_find(c, req, p.now_ms, &p.who) &&
        (hh_rstore_account_get(reader, p.who.account, &p.acct) != HH_OK || p.acct.disabled_ms)) {
        char token[TOKEN_HEX + 1];
        if (cookie(req, SESSION_COOKIE, token, sizeof token))
            session_end(c, token);
        memset(&p.who, 0, sizeof p.who);
    }
    route(&p);
    hh_cstore_rollback(reader);
    explicit_bzero(p.f, sizeof *p.f);    /* a login form held a password */
    free(p.f);
    snprintf(resp->log_note, sizeof resp->log_note, "console%s%s", p.who.account[0] ? " " : "",
             p.who.account);
    explicit_bzero(&p.who, sizeof p.who);
}
