/* collector/rstore.c — the review lifecycle's tables (see rstore.h). */
#include "rstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/platform.h"

/* Step st; one row read by row(), HH_ENOTFOUND when there is none. */
static hh_err one_row(sqlite3_stmt *st, hh_err (*row)(sqlite3_stmt *, void *), void *out)
{
    int rc = sqlite3_step(st);
    hh_err ret = rc == SQLITE_ROW ? row(st, out) : rc == SQLITE_DONE ? HH_ENOTFOUND : hh_sql_err(rc);

    sqlite3_reset(st);
    return ret;
}

/* Every row of st read by read() into item (room for one row) and handed to
 * cb, until cb asks to stop. */
typedef struct item_rows {
    hh_err (*read)(sqlite3_stmt *st, void *item);
    void *item;
    hh_row_cb cb;
    void *ctx;
} item_rows;

static hh_err item_row(sqlite3_stmt *st, void *ctx, int *stop)
{
    item_rows *r = ctx;
    hh_err ret = r->read(st, r->item);

    if (ret == HH_OK)
        *stop = r->cb(r->ctx, r->item);
    return ret;
}

static hh_err each_item(sqlite3_stmt *st, hh_err (*read)(sqlite3_stmt *, void *), void *item,
                        hh_row_cb cb, void *ctx)
{
    item_rows r = { read, item, cb, ctx };

    return hh_sql_each_stmt(st, item_row, &r);
}

/* Run an UPDATE of one row: HH_ENOTFOUND when it changed none. */
static hh_err done_one(hh_cstore *s, sqlite3_stmt *st)
{
    hh_err ret = hh_sql_done(st);

    if (ret != HH_OK)
        return ret;
    return sqlite3_changes(hh_cstore_sql(s)->db) ? HH_OK : HH_ENOTFOUND;
}

/* ---- accounts ------------------------------------------------------------------ */

#define ACCOUNT_COLS "name, role, level, scope, password, created_ms, ifnull(disabled_ms, 0)"

static hh_err read_account(sqlite3_stmt *st, void *out)
{
    hh_account *a = out;
    char level[12];

    memset(a, 0, sizeof *a);
    if (hh_sql_col_text(st, 0, a->name, sizeof a->name) != HH_OK ||
        hh_sql_col_text(st, 1, a->role, sizeof a->role) != HH_OK ||
        hh_sql_col_text(st, 2, level, sizeof level) != HH_OK ||
        hh_sql_col_text(st, 3, a->scope, sizeof a->scope) != HH_OK ||
        hh_sql_col_text(st, 4, a->password, sizeof a->password) != HH_OK ||
        (a->level = (hh_level)hh_enum_parse(&hh_level_names, level)) == 0)
        return HH_ECORRUPT;
    a->created_ms = (uint64_t)sqlite3_column_int64(st, 5);
    a->disabled_ms = (uint64_t)sqlite3_column_int64(st, 6);
    return HH_OK;
}

hh_err hh_rstore_account_add(hh_cstore *s, const hh_account *a)
{
    static const char sql[] =
        "INSERT INTO accounts (name, role, level, scope, password, created_ms)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (name) DO NOTHING";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);
    hh_err ret;

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, a->name);
    hh_sql_bind_text(st, 2, a->role);
    hh_sql_bind_text(st, 3, hh_enum_name(&hh_level_names, (int)a->level));
    hh_sql_bind_text(st, 4, a->scope);
    hh_sql_bind_text(st, 5, a->password);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)a->created_ms);
    if ((ret = hh_sql_done(st)) != HH_OK)
        return ret;
    return sqlite3_changes(hh_cstore_sql(s)->db) ? HH_OK : HH_EEXIST;
}

hh_err hh_rstore_account_get(hh_cstore *s, const char *name, hh_account *out)
{
    static const char sql[] = "SELECT " ACCOUNT_COLS " FROM accounts WHERE name = ?1";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, name);
    return one_row(st, read_account, out);
}

/* Run an UPDATE of one account by name (?1); HH_ENOTFOUND when none. */
static hh_err account_update(hh_cstore *s, const char *sql, const char *name, const char *text,
                             uint64_t n)
{
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, name);
    if (text)
        hh_sql_bind_text(st, 2, text);
    else
        sqlite3_bind_int64(st, 2, (sqlite3_int64)n);
    return done_one(s, st);
}

hh_err hh_rstore_account_disable(hh_cstore *s, const char *name, uint64_t now_ms)
{
    return account_update(s, "UPDATE accounts SET disabled_ms = ?2 WHERE name = ?1"
                             " AND disabled_ms IS NULL", name, NULL, now_ms);
}

hh_err hh_rstore_account_password(hh_cstore *s, const char *name, const char *hash)
{
    return account_update(s, "UPDATE accounts SET password = ?2 WHERE name = ?1", name, hash, 0);
}

hh_err hh_rstore_each_account(hh_cstore *s, hh_row_cb cb, void *ctx)
{
    static const char sql[] = "SELECT " ACCOUNT_COLS " FROM accounts ORDER BY name";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);
    hh_account row;

    return st ? each_item(st, read_account, &row, cb, ctx) : HH_EDB;
}

hh_err hh_scope_parse(const char *option, const char *text, char out[HH_ACCOUNT_SCOPE_MAX + 1], hh_diag *d)
{
    const char *p = text;
    size_t used = 0;

    out[0] = '\0';
    while (*p) {
        size_t len = strcspn(p, ",");
        if ((len != 6 && len != 9 && len != 12) || strspn(p, "0123456789") < len)
            return hh_diag_fail(d, HH_EINVAL, option, "each code must be 6 (county), 9 (township) "
                                "or 12 (village) digits: '%.*s'", (int)(len > 20 ? 20 : len), p);
        if (used + len + 2 > HH_ACCOUNT_SCOPE_MAX)
            return hh_diag_fail(d, HH_ERANGE, option, "too many codes");
        used += (size_t)snprintf(out + used, HH_ACCOUNT_SCOPE_MAX + 1 - used, "%s%.*s", used ? "," : "",
                                 (int)len, p);
        p += len;
        if (*p == ',')
            p++;
    }
    if (!used)
        return hh_diag_fail(d, HH_EINVAL, option, "name at least one code");
    return HH_OK;
}

int hh_scope_contains(const char *scope, const char *village_code)
{
    const char *p = scope;

    while (*p) {
        size_t len = strcspn(p, ",");
        if (len > 0 && strncmp(p, village_code, len) == 0)
            return 1;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

int hh_scope_covers(const char *scope, const char *villages, char outside[HH_VILLAGE_CODE_LEN + 1])
{
    for (const char *p = villages; *p; ) {
        size_t len = strcspn(p, ",");
        snprintf(outside, HH_VILLAGE_CODE_LEN + 1, "%.*s", (int)len, p);
        if (!hh_scope_contains(scope, outside))
            return 0;
        p += len + (p[len] == ',');
    }
    outside[0] = '\0';
    return 1;
}

/* ---- cases and steps ------------------------------------------------------------- */

#define CASE_COLS "id, household_id, opened_ms, state_ms, ifnull(notice_until_ms, 0), consent," \
                  " ifnull(category, ''), ifnull(closed_ms, 0)"

static hh_err read_case(sqlite3_stmt *st, void *out)
{
    hh_case *c = out;

    memset(c, 0, sizeof *c);
    c->id = sqlite3_column_int64(st, 0);
    if (hh_sql_col_text(st, 1, c->household_id, sizeof c->household_id) != HH_OK ||
        hh_sql_col_text(st, 6, c->category, sizeof c->category) != HH_OK)
        return HH_ECORRUPT;
    c->opened_ms = (uint64_t)sqlite3_column_int64(st, 2);
    c->state_ms = (uint64_t)sqlite3_column_int64(st, 3);
    c->notice_until_ms = (uint64_t)sqlite3_column_int64(st, 4);
    c->consent = sqlite3_column_int(st, 5);
    c->closed_ms = (uint64_t)sqlite3_column_int64(st, 7);
    return HH_OK;
}

static hh_err case_query(hh_cstore *s, const char *sql, const char *household_id, hh_case *out)
{
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, household_id);
    return one_row(st, read_case, out);
}

hh_err hh_rstore_case_open(hh_cstore *s, const char *household_id, hh_case *out)
{
    return case_query(s, "SELECT " CASE_COLS " FROM cases WHERE household_id = ?1"
                         " AND closed_ms IS NULL ORDER BY id DESC LIMIT 1", household_id, out);
}

hh_err hh_rstore_case_latest(hh_cstore *s, const char *household_id, hh_case *out)
{
    return case_query(s, "SELECT " CASE_COLS " FROM cases WHERE household_id = ?1"
                         " ORDER BY id DESC LIMIT 1", household_id, out);
}

hh_err hh_rstore_case_create(hh_cstore *s, const char *household_id, uint64_t opened_ms, int64_t *id)
{
    static const char sql[] =
        "INSERT INTO cases (household_id, opened_ms, state_ms) VALUES (?1, ?2, ?2)";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);
    hh_err ret;

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, household_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)opened_ms);
    if ((ret = hh_sql_done(st)) == HH_OK)
        *id = sqlite3_last_insert_rowid(hh_cstore_sql(s)->db);
    return ret;
}

hh_err hh_rstore_case_save(hh_cstore *s, const hh_case *c)
{
    static const char sql[] =
        "UPDATE cases SET state_ms = ?2, notice_until_ms = nullif(?3, 0), consent = ?4,"
        " category = nullif(?5, ''), closed_ms = nullif(?6, 0) WHERE id = ?1";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);

    if (!st)
        return HH_EDB;
    sqlite3_bind_int64(st, 1, c->id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)c->state_ms);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)c->notice_until_ms);
    sqlite3_bind_int(st, 4, c->consent);
    hh_sql_bind_text(st, 5, c->category);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)c->closed_ms);
    return hh_sql_done(st);
}

hh_err hh_rstore_step(hh_cstore *s, int64_t case_id, const char *household_id, uint64_t at_ms,
                      const char *account, const char *action, hh_review_state from,
                      hh_review_state to, const char *note)
{
    static const char step[] =
        "INSERT INTO review_steps (case_id, at_ms, account, action, from_state, to_state, note)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    static const char tier[] =
        "UPDATE tiers SET review = ?2, since_ms = CASE WHEN review = ?2 THEN since_ms ELSE ?3 END,"
        " change_no = ?4 WHERE household_id = ?1";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), step);
    uint64_t change_no;
    hh_err ret;

    if (!st)
        return HH_EDB;
    sqlite3_bind_int64(st, 1, case_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)at_ms);
    hh_sql_bind_text(st, 3, account);
    hh_sql_bind_text(st, 4, action);
    hh_sql_bind_text(st, 5, hh_enum_name(&hh_review_state_names, (int)from));
    hh_sql_bind_text(st, 6, hh_enum_name(&hh_review_state_names, (int)to));
    hh_sql_bind_text(st, 7, note);
    if ((ret = hh_sql_done(st)) != HH_OK || (ret = hh_cstore_next_change(s, &change_no)) != HH_OK)
        return ret;
    if (!(st = hh_sql(hh_cstore_sql(s), tier)))
        return HH_EDB;
    hh_sql_bind_text(st, 1, household_id);
    hh_sql_bind_text(st, 2, hh_enum_name(&hh_review_state_names, (int)to));
    sqlite3_bind_int64(st, 3, (sqlite3_int64)at_ms);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)change_no);
    return hh_sql_done(st);
}

static hh_err read_step(sqlite3_stmt *st, void *out)
{
    hh_step *p = out;

    memset(p, 0, sizeof *p);
    p->case_id = sqlite3_column_int64(st, 0);
    p->at_ms = (uint64_t)sqlite3_column_int64(st, 1);
    if (hh_sql_col_text(st, 2, p->account, sizeof p->account) != HH_OK ||
        hh_sql_col_text(st, 3, p->action, sizeof p->action) != HH_OK ||
        hh_sql_col_text(st, 4, p->from, sizeof p->from) != HH_OK ||
        hh_sql_col_text(st, 5, p->to, sizeof p->to) != HH_OK ||
        hh_sql_col_text(st, 6, p->note, sizeof p->note) != HH_OK)
        return HH_ECORRUPT;
    return HH_OK;
}

hh_err hh_rstore_each_step(hh_cstore *s, const char *household_id, hh_row_cb cb, void *ctx)
{
    static const char sql[] =
        "SELECT p.case_id, p.at_ms, p.account, p.action, p.from_state, p.to_state, p.note"
        " FROM review_steps p JOIN cases c ON c.id = p.case_id WHERE c.household_id = ?1"
        " ORDER BY p.id";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);
    hh_step row;

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, household_id);
    return each_item(st, read_step, &row, cb, ctx);
}

/* ---- measures ---------------------------------------------------------------- */

#define MEASURE_COLS "id, case_id, household_id, measure, responsible, due_on, opened_ms," \
                     " ifnull(closed_ms, 0)"

static hh_err read_measure(sqlite3_stmt *st, void *out)
{
    hh_measure *m = out;

    memset(m, 0, sizeof *m);
    m->id = sqlite3_column_int64(st, 0);
    m->case_id = sqlite3_column_int64(st, 1);
    if (hh_sql_col_text(st, 2, m->household_id, sizeof m->household_id) != HH_OK ||
        hh_sql_col_text(st, 3, m->measure, sizeof m->measure) != HH_OK ||
        hh_sql_col_text(st, 4, m->responsible, sizeof m->responsible) != HH_OK ||
        hh_sql_col_text(st, 5, m->due_on, sizeof m->due_on) != HH_OK)
        return HH_ECORRUPT;
    m->opened_ms = (uint64_t)sqlite3_column_int64(st, 6);
    m->closed_ms = (uint64_t)sqlite3_column_int64(st, 7);
    return HH_OK;
}

hh_err hh_rstore_measure_add(hh_cstore *s, const hh_measure *m, int64_t *id)
{
    static const char sql[] =
        "INSERT INTO measures (case_id, household_id, measure, responsible, due_on, opened_ms)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);
    hh_err ret;

    if (!st)
        return HH_EDB;
    sqlite3_bind_int64(st, 1, m->case_id);
    hh_sql_bind_text(st, 2, m->household_id);
    hh_sql_bind_text(st, 3, m->measure);
    hh_sql_bind_text(st, 4, m->responsible);
    hh_sql_bind_text(st, 5, m->due_on);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)m->opened_ms);
    if ((ret = hh_sql_done(st)) == HH_OK)
        *id = sqlite3_last_insert_rowid(hh_cstore_sql(s)->db);
    return ret;
}

hh_err hh_rstore_measure_get(hh_cstore *s, int64_t id, hh_measure *out)
{
    static const char sql[] = "SELECT " MEASURE_COLS " FROM measures WHERE id = ?1";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);

    if (!st)
        return HH_EDB;
    sqlite3_bind_int64(st, 1, id);
    return one_row(st, read_measure, out);
}

hh_err hh_rstore_measure_close(hh_cstore *s, int64_t id, uint64_t now_ms)
{
    static const char sql[] = "UPDATE measures SET closed_ms = ?2 WHERE id = ?1 AND closed_ms IS NULL";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);

    if (!st)
        return HH_EDB;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)now_ms);
    return done_one(s, st);
}

hh_err hh_rstore_each_measure(hh_cstore *s, const char *household_id, int open_only,
                              hh_row_cb cb, void *ctx)
{
    static const char sql[] = "SELECT " MEASURE_COLS " FROM measures WHERE household_id = ?1"
                              " AND (?2 = 0 OR closed_ms IS NULL) ORDER BY id";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);
    hh_measure row;

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, household_id);
    sqlite3_bind_int(st, 2, open_only);
    return each_item(st, read_measure, &row, cb, ctx);
}

/* ---- households and visits as the review reads them ---------------------------------- */

typedef struct review_row {
    hh_review_state state;
    uint64_t since_ms;
} review_row;

static hh_err read_review(sqlite3_stmt *st, void *out)
{
    review_row *r = out;
    char state[32];

    if (hh_sql_col_text(st, 0, state, sizeof state) != HH_OK ||
        (r->state = (hh_review_state)hh_enum_parse(&hh_review_state_names, state)) == 0)
        return HH_ECORRUPT;
    r->since_ms = (uint64_t)sqlite3_column_int64(st, 1);
    return HH_OK;
}

hh_err hh_rstore_review_state(hh_cstore *s, const char *household_id, hh_review_state *state,
                              uint64_t *since_ms)
{
    static const char sql[] = "SELECT review, since_ms FROM tiers WHERE household_id = ?1";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);
    review_row r = { 0, 0 };
    hh_err ret;

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, household_id);
    if ((ret = one_row(st, read_review, &r)) == HH_OK) {
        *state = r.state;
        *since_ms = r.since_ms;
    }
    return ret;
}

static hh_err read_count(sqlite3_stmt *st, void *out)
{
    *(int *)out = sqlite3_column_int(st, 0);
    return HH_OK;
}

hh_err hh_rstore_household_find(hh_cstore *s, const char *key, hh_household *out)
{
    static const char count[] = "SELECT count(*) FROM households WHERE registry_no = ?1";
    hh_sqlcache *sql = hh_cstore_sql(s);
    sqlite3_stmt *st;
    hh_err ret = hh_records_household_get(sql, key, 1, out);
    int n = 0;

    if (ret != HH_ENOTFOUND)
        return ret;
    if (!(st = hh_sql(sql, count)))
        return HH_EDB;
    hh_sql_bind_text(st, 1, key);
    if ((ret = one_row(st, read_count, &n)) != HH_OK)
        return ret;
    if (n > 1)
        return HH_ECONFLICT;
    return n == 1 ? hh_records_household_get(sql, key, 0, out) : HH_ENOTFOUND;
}

/* A new version of entity_id's field, stamped after every version it had,
 * owned by no device: the stamp to write the value with. */
static hh_err decide_version(hh_cstore *s, const char *entity_id, const char *field, uint64_t now_ms,
                             uint64_t *stamp)
{
    static const char owner[] = "DELETE FROM field_owners WHERE entity_id = ?1 AND field = ?2";
    hh_sqlcache *sql = hh_cstore_sql(s);
    uint64_t version;
    sqlite3_stmt *st;
    hh_err ret;

    if ((ret = hh_records_field_version(sql, entity_id, field, &version)) != HH_OK)
        return ret;
    *stamp = now_ms << 16;
    if (*stamp <= version)
        *stamp = version + 1;
    if ((ret = hh_records_field_version_set(sql, entity_id, field, *stamp)) != HH_OK)
        return ret;
    if (!(st = hh_sql(sql, owner)))
        return HH_EDB;
    hh_sql_bind_text(st, 1, entity_id);
    hh_sql_bind_text(st, 2, field);
    return hh_sql_done(st);
}

hh_err hh_rstore_household_decide(hh_cstore *s, const hh_household *h, const char *field,
                                  uint64_t now_ms)
{
    uint64_t stamp;
    hh_err ret;

    if ((ret = decide_version(s, h->id, field, now_ms, &stamp)) != HH_OK ||
        (ret = hh_records_household_write(hh_cstore_sql(s), h, 0, stamp)) != HH_OK)
        return ret;
    return hh_cstore_household_touch(s, h->id);
}

static hh_err read_position(sqlite3_stmt *st, void *out)
{
    *(int *)out = sqlite3_column_int(st, 0);
    return HH_OK;
}

hh_err hh_rstore_member_decide(hh_cstore *s, const char *household_id, const hh_member *m,
                               const char *field, uint64_t now_ms)
{
    static const char where[] = "SELECT position FROM members WHERE id = ?1";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), where);
    uint64_t stamp;
    int position = 0;
    hh_err ret;

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, m->id);
    if ((ret = one_row(st, read_position, &position)) != HH_OK ||
        (ret = decide_version(s, m->id, field, now_ms, &stamp)) != HH_OK ||
        (ret = hh_records_member_write(hh_cstore_sql(s), household_id, position, m, stamp)) != HH_OK)
        return ret;
    return hh_cstore_household_touch(s, household_id);
}

/* Close an open case row: sql sets ?2 (the time) and ?3..?5 (three texts)
 * where id = ?1 and it is still open. HH_ENOTFOUND when it is not. */
static hh_err close_row(hh_cstore *s, const char *sql, int64_t id, uint64_t now_ms, const char *a,
                        const char *b, const char *c)
{
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);

    if (!st)
        return HH_EDB;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)now_ms);
    hh_sql_bind_text(st, 3, a);
    hh_sql_bind_text(st, 4, b);
    hh_sql_bind_text(st, 5, c);
    return done_one(s, st);
}

hh_err hh_rstore_conflict_close(hh_cstore *s, int64_t id, const char *account, const char *decision,
                                const char *note, uint64_t now_ms)
{
    return close_row(s, "UPDATE conflicts SET resolved_ms = ?2, account = ?3, decision = ?4, note = ?5"
                        " WHERE id = ?1 AND resolved_ms IS NULL", id, now_ms, account, decision, note);
}

static hh_err read_work(sqlite3_stmt *st, void *out)
{
    hh_work *w = out;
    char state[32], reasons[256];
    int category;

    memset(w, 0, sizeof *w);
    if (hh_sql_col_text(st, 0, w->household_id, sizeof w->household_id) != HH_OK ||
        hh_sql_col_text(st, 1, w->registry_no, sizeof w->registry_no) != HH_OK ||
        hh_sql_col_text(st, 2, w->village_code, sizeof w->village_code) != HH_OK ||
        hh_sql_col_text(st, 4, state, sizeof state) != HH_OK ||
        (w->state = (hh_review_state)hh_enum_parse(&hh_review_state_names, state)) == 0)
        return HH_ECORRUPT;
    w->tier = (hh_tier)sqlite3_column_int(st, 3);
    w->since_ms = (uint64_t)sqlite3_column_int64(st, 5);
    w->case_opened_ms = (uint64_t)sqlite3_column_int64(st, 6);
    w->open_measures = sqlite3_column_int(st, 7);
    w->overdue_measures = sqlite3_column_int(st, 8);
    if (hh_sql_col_text(st, 9, w->head_name, sizeof w->head_name) != HH_OK ||
        hh_sql_col_text(st, 10, reasons, sizeof reasons) != HH_OK ||
        hh_sql_col_text(st, 11, w->last_visit_on, sizeof w->last_visit_on) != HH_OK)
        return HH_ECORRUPT;
    w->reasons = hh_reasons_parse(reasons);
    w->per_capita_yuan = sqlite3_column_type(st, 12) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 12);
    if (hh_sql_col_enum(st, 13, &hh_category_names, &category) != HH_OK ||
        hh_sql_col_text(st, 14, w->head_id_number, sizeof w->head_id_number) != HH_OK)
        return HH_ECORRUPT;
    w->category = (hh_category)category;
    return HH_OK;
}

hh_err hh_rstore_each_work(hh_cstore *s, hh_review_state state, const char *village, int all,
                           const char *today, hh_row_cb cb, void *ctx)
{
    static const char sql[] =
        "SELECT t.household_id, ifnull(h.registry_no, ''), h.village_code, t.tier, t.review,"
        " t.since_ms,"
        " ifnull((SELECT opened_ms FROM cases c WHERE c.household_id = t.household_id"
        "   AND c.closed_ms IS NULL ORDER BY c.id DESC LIMIT 1), 0),"
        " (SELECT count(*) FROM measures m WHERE m.household_id = t.household_id"
        "   AND m.closed_ms IS NULL),"
        " (SELECT count(*) FROM measures m WHERE m.household_id = t.household_id"
        "   AND m.closed_ms IS NULL AND m.due_on < ?3),"
        " ifnull((SELECT name FROM members m WHERE m.household_id = t.household_id"
        "   AND m.relation = 'head' ORDER BY m.position LIMIT 1), ''),"
        " t.reasons, ifnull(t.last_visit_on, ''), t.per_capita_yuan, h.category,"
        " ifnull((SELECT id_number FROM members m WHERE m.household_id = t.household_id"
        "   AND m.relation = 'head' ORDER BY m.position LIMIT 1), '')"
        " FROM tiers t JOIN households h ON h.id = t.household_id"
        " WHERE (?1 IS NULL OR t.review = ?1) AND (?2 IS NULL OR h.village_code = ?2)"
        " AND (?4 OR (t.review <> 'released' AND t.review <> 'dismissed'"
        "             AND (t.tier > 1 OR t.review <> 'computed')))"
        " ORDER BY t.tier DESC, h.village_code, h.registry_no, h.id";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);
    hh_work row;

    if (!st)
        return HH_EDB;
    if (state)
        hh_sql_bind_text(st, 1, hh_enum_name(&hh_review_state_names, (int)state));
    else
        sqlite3_bind_null(st, 1);
    hh_sql_bind_optional(st, 2, village);
    hh_sql_bind_text(st, 3, today);
    sqlite3_bind_int(st, 4, all || state);
    return each_item(st, read_work, &row, cb, ctx);
}

/* ---- duplicate cases --------------------------------------------------------------- */

#define DUPLICATE_SELECT \
    "SELECT d.id, d.kind, d.household_a, d.member_a, d.household_b, d.member_b," \
    " ifnull(ha.registry_no, ''), ifnull(ha.village_code, ''), ifnull(hb.registry_no, '')," \
    " ifnull(hb.village_code, ''), ifnull(ma.name, ''), ifnull(mb.name, ''), d.detail, d.found_ms," \
    " ifnull(d.resolved_ms, 0), ifnull(d.resolution, ''), ifnull(d.account, '')" \
    " FROM duplicates d LEFT JOIN households ha ON ha.id = d.household_a" \
    " LEFT JOIN households hb ON hb.id = d.household_b" \
    " LEFT JOIN members ma ON ma.id = d.member_a LEFT JOIN members mb ON mb.id = d.member_b"

static hh_err read_duplicate(sqlite3_stmt *st, void *out)
{
    hh_duplicate *c = out;

    memset(c, 0, sizeof *c);
    c->id = sqlite3_column_int64(st, 0);
    if (hh_sql_col_text(st, 1, c->kind, sizeof c->kind) != HH_OK ||
        hh_sql_col_text(st, 2, c->household_a, sizeof c->household_a) != HH_OK ||
        hh_sql_col_text(st, 3, c->member_a, sizeof c->member_a) != HH_OK ||
        hh_sql_col_text(st, 4, c->household_b, sizeof c->household_b) != HH_OK ||
        hh_sql_col_text(st, 5, c->member_b, sizeof c->member_b) != HH_OK ||
        hh_sql_col_text(st, 6, c->registry_a, sizeof c->registry_a) != HH_OK ||
        hh_sql_col_text(st, 7, c->village_a, sizeof c->village_a) != HH_OK ||
        hh_sql_col_text(st, 8, c->registry_b, sizeof c->registry_b) != HH_OK ||
        hh_sql_col_text(st, 9, c->village_b, sizeof c->village_b) != HH_OK ||
        hh_sql_col_text(st, 10, c->name_a, sizeof c->name_a) != HH_OK ||
        hh_sql_col_text(st, 11, c->name_b, sizeof c->name_b) != HH_OK ||
        hh_sql_col_text(st, 12, c->detail, sizeof c->detail) != HH_OK ||
        hh_sql_col_text(st, 15, c->resolution, sizeof c->resolution) != HH_OK ||
        hh_sql_col_text(st, 16, c->account, sizeof c->account) != HH_OK)
        return HH_ECORRUPT;
    c->found_ms = (uint64_t)sqlite3_column_int64(st, 13);
    c->resolved_ms = (uint64_t)sqlite3_column_int64(st, 14);
    return HH_OK;
}

hh_err hh_rstore_each_duplicate(hh_cstore *s, int open_only, hh_row_cb cb, void *ctx)
{
    static const char sql[] = DUPLICATE_SELECT " WHERE ?1 = 0 OR d.resolved_ms IS NULL"
                              " ORDER BY d.resolved_ms IS NOT NULL, d.id";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);
    hh_duplicate row;

    if (!st)
        return HH_EDB;
    sqlite3_bind_int(st, 1, open_only);
    return each_item(st, read_duplicate, &row, cb, ctx);
}

hh_err hh_rstore_duplicate_get(hh_cstore *s, int64_t id, hh_duplicate *out)
{
    static const char sql[] = DUPLICATE_SELECT " WHERE d.id = ?1";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);

    if (!st)
        return HH_EDB;
    sqlite3_bind_int64(st, 1, id);
    return one_row(st, read_duplicate, out);
}

hh_err hh_rstore_duplicate_close(hh_cstore *s, int64_t id, const char *resolution,
                                 const char *account, const char *note, uint64_t now_ms)
{
    return close_row(s, "UPDATE duplicates SET resolved_ms = ?2, resolution = ?3, account = ?4, note = ?5"
                        " WHERE id = ?1 AND resolved_ms IS NULL", id, now_ms, resolution, account, note);
}

/* Run sql with ?1 bound to a, and ?2 to b when it has one. */
static hh_err exec2(hh_cstore *s, const char *sql, const char *a, const char *b)
{
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, a);
    if (sqlite3_bind_parameter_count(st) > 1)   /* some steps name one record only */
        hh_sql_bind_text(st, 2, b);
    return hh_sql_done(st);
}

hh_err hh_rstore_member_fold(hh_cstore *s, const char *member_id)
{
    static const char *const steps[] = {
        "DELETE FROM field_versions WHERE entity_id = ?1",
        "DELETE FROM field_owners WHERE entity_id = ?1",
        "DELETE FROM members WHERE id = ?1",
    };
    hh_err ret = HH_OK;

    for (size_t i = 0; i < sizeof steps / sizeof steps[0] && ret == HH_OK; i++)
        ret = exec2(s, steps[i], member_id, NULL);
    return ret;
}

hh_err hh_rstore_member_move(hh_cstore *s, const char *member_id, const char *household_id)
{
    return exec2(s, "UPDATE members SET household_id = ?2, position = (SELECT ifnull(max(position), -1) + 1"
                    " FROM members WHERE household_id = ?2) WHERE id = ?1", member_id, household_id);
}

hh_err hh_rstore_household_merge(hh_cstore *s, const char *from, const char *into)
{
    static const char *const steps[] = {
        /* The same person on both sides: into's record stays. */
        "DELETE FROM field_versions WHERE entity_id IN (SELECT f.id FROM members f WHERE"
        " f.household_id = ?1 AND EXISTS (SELECT 1 FROM members t WHERE t.household_id = ?2"
        " AND t.id_number = f.id_number))",
        "DELETE FROM field_owners WHERE entity_id IN (SELECT f.id FROM members f WHERE"
        " f.household_id = ?1 AND EXISTS (SELECT 1 FROM members t WHERE t.household_id = ?2"
        " AND t.id_number = f.id_number))",
        ("DELETE FROM members WHERE household_id = ?1 AND id_number IN"
         " (SELECT id_number FROM members WHERE household_id = ?2)"),
        "UPDATE members SET household_id = ?2, position = position + 1000 WHERE household_id = ?1",
        "UPDATE visits SET household_id = ?2 WHERE household_id = ?1",
        "DELETE FROM tiers WHERE household_id = ?1",
    };
    hh_err ret = HH_OK;

    for (size_t i = 0; i < sizeof steps / sizeof steps[0] && ret == HH_OK; i++)
        ret = exec2(s, steps[i], from, into);
    return ret;
}

/* ---- the quarantine ---------------------------------------------------------------- */

static hh_err read_refused(sqlite3_stmt *st, void *out)
{
    hh_refused *r = out;
    int len = sqlite3_column_type(st, 4) == SQLITE_NULL ? 0 : sqlite3_column_bytes(st, 4);

    r->reason = sqlite3_column_int(st, 0);
    if (hh_sql_col_text(st, 1, r->household_id, sizeof r->household_id) != HH_OK ||
        hh_sql_col_text(st, 2, r->outcome, sizeof r->outcome) != HH_OK ||
        hh_sql_col_text(st, 3, r->note, sizeof r->note) != HH_OK ||
        len < 0 || (size_t)len > sizeof r->body)
        return HH_ECORRUPT;
    r->body_len = (size_t)len;
    if (len)
        memcpy(r->body, sqlite3_column_blob(st, 4), (size_t)len);
    return HH_OK;
}

hh_err hh_rstore_refused_get(hh_cstore *s, const char *device_id, uint64_t seq, int with_body,
                             hh_refused *out)
{
    static const char whole[] =
        "SELECT reject_reason, ifnull(household_id, ''), ifnull(outcome, ''), ifnull(outcome_note, ''),"
        " body FROM applied WHERE device_id = ?1 AND seq = ?2 AND reject_reason <> 0";
    static const char outcome[] =
        "SELECT reject_reason, ifnull(household_id, ''), ifnull(outcome, ''), ifnull(outcome_note, ''),"
        " NULL FROM applied WHERE device_id = ?1 AND seq = ?2 AND reject_reason <> 0";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), with_body ? whole : outcome);

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, device_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
    return one_row(st, read_refused, out);
}

hh_err hh_rstore_refused_close(hh_cstore *s, const char *device_id, uint64_t seq, const char *outcome,
                               const char *account, const char *note, uint64_t now_ms)
{
    static const char sql[] =
        "UPDATE applied SET outcome = ?3, outcome_account = ?4, outcome_note = ?5, outcome_ms = ?6"
        " WHERE device_id = ?1 AND seq = ?2 AND reject_reason <> 0 AND outcome IS NULL";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, device_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
    hh_sql_bind_text(st, 3, outcome);
    hh_sql_bind_text(st, 4, account);
    hh_sql_bind_text(st, 5, note);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)now_ms);
    return done_one(s, st);
}

static hh_err read_shocks(sqlite3_stmt *st, void *out)
{
    *(uint32_t *)out = (uint32_t)sqlite3_column_int64(st, 0);
    return HH_OK;
}

hh_err hh_rstore_latest_shocks(hh_cstore *s, const char *household_id, uint32_t *shocks)
{
    static const char sql[] =
        "SELECT shocks FROM visits v WHERE household_id = ?1"
        " AND NOT EXISTS (SELECT 1 FROM visits c WHERE c.supersedes = v.id)"
        " ORDER BY visited_on DESC, hlc DESC LIMIT 1";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);
    hh_err ret;

    if (!st)
        return HH_EDB;
    *shocks = 0;
    hh_sql_bind_text(st, 1, household_id);
    ret = one_row(st, read_shocks, shocks);
    return ret == HH_ENOTFOUND ? HH_OK : ret;
}

hh_err hh_rstore_audit(hh_cstore *s, const char *kind, const char *account, const char *detail)
{
    static const char sql[] =
        "INSERT INTO audit (at_ms, kind, account, detail) VALUES (?1, ?2, ?3, ?4)";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);

    if (!st)
        return HH_EDB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)hh_platform_wall_ms());
    hh_sql_bind_text(st, 2, kind);
    hh_sql_bind_text(st, 3, account);
    hh_sql_bind_text(st, 4, detail);
    return hh_sql_done(st);
}

/* ---- the console's counts --------------------------------------------------------- */

static hh_err read_tally(sqlite3_stmt *st, void *out)
{
    hh_tally *t = out;
    char state[32];

    memset(t, 0, sizeof *t);
    if (hh_sql_col_text(st, 0, t->village_code, sizeof t->village_code) != HH_OK ||
        hh_sql_col_text(st, 2, state, sizeof state) != HH_OK ||
        (t->state = (hh_review_state)hh_enum_parse(&hh_review_state_names, state)) == 0)
        return HH_ECORRUPT;
    t->tier = (hh_tier)sqlite3_column_int(st, 1);
    t->count = sqlite3_column_int64(st, 3);
    return HH_OK;
}

hh_err hh_rstore_each_tally(hh_cstore *s, hh_row_cb cb, void *ctx)
{
    static const char sql[] =
        "SELECT h.village_code, t.tier, t.review, count(*) FROM tiers t"
        " JOIN households h ON h.id = t.household_id GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);
    hh_tally row;

    return st ? each_item(st, read_tally, &row, cb, ctx) : HH_EDB;
}

static hh_err read_month(sqlite3_stmt *st, void *out)
{
    hh_month_count *m = out;

    memset(m, 0, sizeof *m);
    if (hh_sql_col_text(st, 0, m->month, sizeof m->month) != HH_OK ||
        hh_sql_col_text(st, 1, m->village_code, sizeof m->village_code) != HH_OK)
        return HH_ECORRUPT;
    m->opened = sqlite3_column_int64(st, 2);
    m->released = sqlite3_column_int64(st, 3);
    return HH_OK;
}

hh_err hh_rstore_each_month(hh_cstore *s, hh_row_cb cb, void *ctx)
{
    /* Months in local time, as every date the collector shows. */
    static const char sql[] =
        "SELECT month, village_code, sum(opened), sum(released) FROM ("
        " SELECT strftime('%Y-%m', c.opened_ms / 1000, 'unixepoch', 'localtime') AS month,"
        "  h.village_code AS village_code, 1 AS opened, 0 AS released"
        "  FROM cases c JOIN households h ON h.id = c.household_id"
        " UNION ALL"
        " SELECT strftime('%Y-%m', r.at_ms / 1000, 'unixepoch', 'localtime'), h.village_code, 0, 1"
        "  FROM review_steps r JOIN cases c ON c.id = r.case_id"
        "  JOIN households h ON h.id = c.household_id WHERE r.to_state = 'released')"
        " GROUP BY 1, 2 ORDER BY 1, 2";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);
    hh_month_count row;

    return st ? each_item(st, read_month, &row, cb, ctx) : HH_EDB;
}

static hh_err read_audit(sqlite3_stmt *st, void *out)
{
    hh_audit_row *a = out;

    memset(a, 0, sizeof *a);
    a->at_ms = (uint64_t)sqlite3_column_int64(st, 0);
    if (hh_sql_col_text(st, 1, a->kind, sizeof a->kind) != HH_OK ||
        hh_sql_col_text(st, 2, a->who, sizeof a->who) != HH_OK ||
        hh_sql_col_text(st, 3, a->detail, sizeof a->detail) != HH_OK)
        return HH_ECORRUPT;
    return HH_OK;
}

hh_err hh_rstore_each_audit(hh_cstore *s, int limit, hh_row_cb cb, void *ctx)
{
    static const char sql[] =
        "SELECT at_ms, kind, coalesce(account, device_id, ''), detail FROM audit"
        " ORDER BY id DESC LIMIT ?1";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);
    hh_audit_row row;

    if (!st)
        return HH_EDB;
    sqlite3_bind_int(st, 1, limit);
    return each_item(st, read_audit, &row, cb, ctx);
}

static hh_err read_village_summary(sqlite3_stmt *st, void *out)
{
    hh_village_summary *v = out;

    memset(v, 0, sizeof *v);
    if (hh_sql_col_text(st, 0, v->village_code, sizeof v->village_code) != HH_OK)
        return HH_ECORRUPT;
    v->households = sqlite3_column_int64(st, 1);
    for (int t = HH_TIER_GREEN; t <= HH_TIER_RED; t++)
        v->tiers[t] = sqlite3_column_int64(st, 1 + t);
    for (int c = 1; c <= hh_category_names.count; c++)
        v->categories[c] = sqlite3_column_int64(st, 5 + c);
    v->measures_open = sqlite3_column_int64(st, 11);
    v->measures_overdue = sqlite3_column_int64(st, 12);
    return HH_OK;
}

hh_err hh_rstore_each_village_summary(hh_cstore *s, const char *today, hh_row_cb cb, void *ctx)
{
    static const char sql[] =
        "SELECT h.village_code, count(*),"
        " sum(t.tier = 1), sum(t.tier = 2), sum(t.tier = 3), sum(t.tier = 4),"
        " sum(h.category = 'ordinary'), sum(h.category = 'lifted'), sum(h.category = 'unstable'),"
        " sum(h.category = 'marginal'), sum(h.category = 'sudden_hardship'),"
        " (SELECT count(*) FROM measures m JOIN households h2 ON h2.id = m.household_id"
        "   WHERE h2.village_code = h.village_code AND m.closed_ms IS NULL),"
        " (SELECT count(*) FROM measures m JOIN households h2 ON h2.id = m.household_id"
        "   WHERE h2.village_code = h.village_code AND m.closed_ms IS NULL AND m.due_on < ?1)"
        " FROM households h LEFT JOIN tiers t ON t.household_id = h.id"
        " GROUP BY h.village_code ORDER BY h.village_code";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);
    hh_village_summary row;

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, today);
    return each_item(st, read_village_summary, &row, cb, ctx);
}

hh_err hh_rstore_count_month(hh_cstore *s)
{
    static const char clear[] =
        "DELETE FROM tier_months WHERE month = strftime('%Y-%m', 'now', 'localtime')";
    static const char count[] =
        "INSERT INTO tier_months (month, village_code, tier, households)"
        " SELECT strftime('%Y-%m', 'now', 'localtime'), h.village_code, t.tier, count(*)"
        " FROM tiers t JOIN households h ON h.id = t.household_id GROUP BY h.village_code, t.tier";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), clear);
    hh_err ret;

    if (!st || (ret = hh_sql_done(st)) != HH_OK)
        return st ? ret : HH_EDB;
    if (!(st = hh_sql(hh_cstore_sql(s), count)))
        return HH_EDB;
    return hh_sql_done(st);
}

static hh_err read_tier_month(sqlite3_stmt *st, void *out)
{
    hh_tier_month *m = out;

    memset(m, 0, sizeof *m);
    if (hh_sql_col_text(st, 0, m->month, sizeof m->month) != HH_OK ||
        hh_sql_col_text(st, 1, m->village_code, sizeof m->village_code) != HH_OK)
        return HH_ECORRUPT;
    m->tier = (hh_tier)sqlite3_column_int(st, 2);
    m->households = sqlite3_column_int64(st, 3);
    return HH_OK;
}

hh_err hh_rstore_each_tier_month(hh_cstore *s, hh_row_cb cb, void *ctx)
{
    static const char sql[] =
        "SELECT month, village_code, tier, households FROM tier_months ORDER BY month, village_code, tier";
    sqlite3_stmt *st = hh_sql(hh_cstore_sql(s), sql);
    hh_tier_month row;

    return st ? each_item(st, read_tier_month, &row, cb, ctx) : HH_EDB;
}
