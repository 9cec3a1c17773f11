/* collector/console.h — the reviewers' console: web pages served by hearthd
 * beside the sync API, over the same HTTPS.
 *
 *   GET  /login, POST /login, POST /logout
 *   GET  /                 overview: households per village by tier and review
 *                          state (table and SVG chart), warnings opened and
 *                          released per month (SVG), the devices
 *   GET  /worklist         open warnings, red first; ?village= &tier= &state= &overdue=1
 *   GET  /household?id=    members, visits with per-capita income (SVG), the
 *                          reasons, the review timeline, measures, and the
 *                          lifecycle's actions the account may take as forms
 *   POST /act              one lifecycle action (review.h)
 *   GET  /queues, POST /resolve   conflicts, refused changes, duplicate cases
 *   GET  /audit            the audit log (admins)
 *   GET  /console.css
 *   GET  /metrics          Prometheus text: from an address in metrics_from, or
 *                          with an administrator's credential (HTTP Basic, or
 *                          an administrator's session)
 *
 * It is a view over the review service and the queues, never a second
 * implementation: every action goes through hh_review_act and its kin, which
 * check the account's level and villages and audit it.
 *
 * Accounts are the review lifecycle's (`hearthd user add`). A login checks the
 * Argon2id hash; failures are counted per account and per address, and past
 * the bound the login is refused until the window ends (audited). A session is
 * a random 256-bit token in a cookie (Secure, HttpOnly, SameSite=Strict, the
 * console's path), held in memory: it ends at logout, after idle_s without a
 * request, when the account is disabled, and when the collector restarts. Each
 * session has its own CSRF token, which every form carries and every POST must
 * match. Pages are Chinese; ?lang=en (kept in a cookie) shows English. */
#ifndef HH_CONSOLE_H
#define HH_CONSOLE_H

#include "metrics.h"
#include "server.h"
#include "service.h"

typedef struct hh_console_config {
    unsigned idle_s;                /* a session ends after this long unused */
    unsigned login_failures;        /* per account, and per address, in a window */
    unsigned login_window_s;
    const char *metrics_from;       /* addresses that may read /metrics without a
                                       credential (comma-separated), or "" */
    const char *db_path;            /* for the database's size */
    hh_metrics *metrics;            /* the API's counters */
} hh_console_config;

typedef struct hh_console hh_console;

/* A console acting through svc (borrowed). HH_ENOMEM when it cannot. */
hh_err hh_console_new(hh_service *svc, const hh_console_config *cfg, hh_console **out);
void hh_console_free(hh_console *c);

/* Take new settings while serving (SIGHUP): the idle time, the login bounds
 * and metrics_from; db_path and metrics stay as they were. */
void hh_console_configure(hh_console *c, const hh_console_config *cfg);

/* Is path one of the console's? */
int hh_console_path(const char *path);

/* Answer a console request; reader is the calling thread's read connection. */
void hh_console_handle(hh_console *c, hh_cstore *reader, const hh_request *req, hh_response *resp);

#endif
