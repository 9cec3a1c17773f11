/* sync/records.c — households, members and visits in SQLite (see records.h).
 *
 * The device store (agent/store.c) and the collector (collector/) keep these
 * records in the same tables, so reading, writing and judging them is written
 * once, here. Statements are prepared once per connection and cached by the
 * address of their SQL text. */
#include "records.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/md.h>

#include "model/buf.h"
#include "model/hlc.h"
#include "model/validate.h"
#include "platform/platform.h"

#define VISIT_COLS \
    "id, household_id, visited_on, officer, household_size, wages, operating, property," \
    " transfer, medical, education, disaster, shocks, guarantees_met, lat_microdeg," \
    " lon_microdeg, notes, supersedes, hlc"

/* A prepared statement for sql, reset and unbound, cached by the address of the
 * string literal (every caller passes a literal). NULL on error. */
sqlite3_stmt *hh_sql(hh_sqlcache *c, const char *sql)
{
    int i;

    for (i = 0; i < HH_SQLCACHE_SLOTS && c->slot[i].sql; i++) {
        if (c->slot[i].sql == sql) {
            sqlite3_reset(c->slot[i].st);
            sqlite3_clear_bindings(c->slot[i].st);
            return c->slot[i].st;
        }
    }
    if (i == HH_SQLCACHE_SLOTS)
        return NULL;   /* a programming error: raise HH_SQLCACHE_SLOTS */
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->slot[i].st, NULL) != SQLITE_OK)
        return NULL;
    c->slot[i].sql = sql;
    return c->slot[i].st;
}

void hh_sql_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

void hh_sql_bind_optional(sqlite3_stmt *st, int i, const char *v)
{
    if (v && v[0])
        hh_sql_bind_text(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

/* Copy text column i into dst (cap bytes); a longer value means the file was
 * not written by Hearth. */
hh_err hh_sql_col_text(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    size_t n = v ? (size_t)sqlite3_column_bytes(st, i) : 0;

    if (n >= cap)
        return HH_ECORRUPT;
    memcpy(dst, v ? (const char *)v : "", n);
    dst[n] = '\0';
    return HH_OK;
}

hh_err hh_sql_col_enum(sqlite3_stmt *st, int i, const hh_enum_names *e, int *out)
{
    const unsigned char *v = sqlite3_column_text(st, i);

    *out = v ? hh_enum_parse(e, (const char *)v) : 0;
    return *out ? HH_OK : HH_ECORRUPT;
}

/* Run a statement that returns no rows. */
hh_err hh_records_visit_date_ok(const char *visited_on, hh_diag *d)
{
    char today[HH_DATE_LEN + 1];

    if (hh_platform_today(today) != HH_OK)
        return hh_diag_fail(d, HH_EIO, "visited_on", "cannot read today's date");
    return hh_visit_check_date(visited_on, today, d);
}

hh_err hh_records_new_id(char out[HH_UUID_LEN + 1])
{
    uint8_t random[10];
    hh_err ret = hh_platform_random(random, sizeof random);

    if (ret == HH_OK)
        hh_uuid_v7(hh_platform_wall_ms(), random, out);
    return ret;
}

hh_err hh_sql_err(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK: case SQLITE_DONE: case SQLITE_ROW: return HH_OK;
    case SQLITE_FULL:    return HH_ENOSPC;
    case SQLITE_CORRUPT: case SQLITE_NOTADB: return HH_ECORRUPT;
    default:             return HH_EDB;
    }
}

hh_err hh_sql_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    return rc == SQLITE_DONE ? HH_OK : hh_sql_err(rc);
}

hh_err hh_records_field_version(hh_sqlcache *c, const char *entity_id, const char *field, uint64_t *out)
{
    static const char sql[] = "SELECT hlc FROM field_versions WHERE entity_id = ?1 AND field = ?2";
    sqlite3_stmt *st = hh_sql(c, sql);

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, entity_id);
    hh_sql_bind_text(st, 2, field);
    *out = sqlite3_step(st) == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return HH_OK;
}

hh_err hh_records_field_version_set(hh_sqlcache *c, const char *entity_id, const char *field, uint64_t hlc)
{
    static const char sql[] =
        "INSERT INTO field_versions (entity_id, field, hlc) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (entity_id, field) DO UPDATE SET hlc = excluded.hlc";
    sqlite3_stmt *st = hh_sql(c, sql);

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, entity_id);
    hh_sql_bind_text(st, 2, field);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)hlc);
    return hh_sql_done(st);
}

hh_err hh_records_read_member(sqlite3_stmt *st, hh_member *m)
{
    int e;

    hh_member_init(m);
    if (hh_sql_col_text(st, 0, m->id, sizeof m->id) != HH_OK ||
        hh_sql_col_text(st, 1, m->name, sizeof m->name) != HH_OK ||
        hh_sql_col_text(st, 2, m->id_number, sizeof m->id_number) != HH_OK)
        return HH_ECORRUPT;
    if (hh_sql_col_enum(st, 3, &hh_relation_names, &e) != HH_OK) return HH_ECORRUPT;
    m->relation = (hh_relation)e;
    if (hh_sql_col_enum(st, 4, &hh_sex_names, &e) != HH_OK) return HH_ECORRUPT;
    m->sex = (hh_sex)e;
    m->birth_year = sqlite3_column_int(st, 5);
    if (hh_sql_col_enum(st, 6, &hh_labour_names, &e) != HH_OK) return HH_ECORRUPT;
    m->labour = (hh_labour)e;
    if (hh_sql_col_enum(st, 7, &hh_health_names, &e) != HH_OK) return HH_ECORRUPT;
    m->health = (hh_health)e;
    m->disability_grade = sqlite3_column_int(st, 8);
    if (hh_sql_col_enum(st, 9, &hh_school_names, &e) != HH_OK) return HH_ECORRUPT;
    m->school = (hh_school)e;
    m->medical_insurance = sqlite3_column_int(st, 10) != 0;
    if (hh_sql_col_enum(st, 11, &hh_employment_names, &e) != HH_OK) return HH_ECORRUPT;
    m->employment = (hh_employment)e;
    m->employment_stable = sqlite3_column_type(st, 12) == SQLITE_NULL ? -1
                           : sqlite3_column_int(st, 12) != 0;
    return HH_OK;
}

/* A household's members by position, then id. The index gives the order of
 * positions; the few members that share one (added on two devices) are put
 * in id order here, not by a sort of every household's rows in SQLite. */
static hh_err load_members(hh_sqlcache *c, hh_household *h)
{
    static const char sql[] =
        "SELECT id, name, id_number, relation, sex, birth_year, labour, health, disability_grade,"
        " school, medical_insurance, employment, employment_stable, position"
        " FROM members WHERE household_id = ?1 ORDER BY position";
    sqlite3_stmt *st = hh_sql(c, sql);
    sqlite3_int64 position[HH_MEMBERS_MAX];
    hh_err ret = HH_OK;
    int rc;

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, h->id);
    h->member_count = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int n = h->member_count;
        if (n >= HH_MEMBERS_MAX) {
            ret = HH_ECORRUPT;
            break;
        }
        if ((ret = hh_records_read_member(st, &h->members[n])) != HH_OK)
            break;
        position[n] = sqlite3_column_int64(st, 13);
        for (; n > 0 && position[n - 1] == position[n] &&
               strcmp(h->members[n - 1].id, h->members[n].id) > 0; n--) {
            hh_member m = h->members[n];
            h->members[n] = h->members[n - 1];
            h->members[n - 1] = m;
        }
        h->member_count++;
    }
    if (ret == HH_OK && rc != SQLITE_DONE)
        ret = HH_EDB;
    sqlite3_reset(st);
    return ret;
}

static hh_err read_household(sqlite3_stmt *st, hh_household *h)
{
    int e;

    memset(h, 0, sizeof *h);
    if (hh_sql_col_text(st, 0, h->id, sizeof h->id) != HH_OK ||
        hh_sql_col_text(st, 1, h->registry_no, sizeof h->registry_no) != HH_OK ||
        hh_sql_col_text(st, 2, h->village_code, sizeof h->village_code) != HH_OK ||
        hh_sql_col_enum(st, 3, &hh_category_names, &e) != HH_OK ||
        hh_sql_col_text(st, 5, h->resettlement_site, sizeof h->resettlement_site) != HH_OK)
        return HH_ECORRUPT;
    h->category = (hh_category)e;
    h->relocated = sqlite3_column_int(st, 4) != 0;
    return HH_OK;
}

/* Load by exact id (by_id) or registry number. */
hh_err hh_records_household_get(hh_sqlcache *c, const char *key, int by_id, hh_household *out)
{
    static const char by_id_sql[] =
        "SELECT id, registry_no, village_code, category, relocated, resettlement_site"
        " FROM households WHERE id = ?1";
    static const char by_reg_sql[] =
        "SELECT id, registry_no, village_code, category, relocated, resettlement_site"
        " FROM households WHERE registry_no = ?1";
    sqlite3_stmt *st = hh_sql(c, by_id ? by_id_sql : by_reg_sql);
    hh_err ret;
    int rc;

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, key);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        ret = read_household(st, out);
    else
        ret = rc == SQLITE_DONE ? HH_ENOTFOUND : HH_EDB;
    sqlite3_reset(st);
    if (ret == HH_OK)
        ret = load_members(c, out);
    return ret;
}

hh_err hh_records_member_write(hh_sqlcache *c, const char *household_id, int position,
                           const hh_member *m, uint64_t hlc)
{
    static const char sql[] =
        "INSERT INTO members (id, household_id, position, name, id_number, relation, sex,"
        " birth_year, labour, health, disability_grade, school, medical_insurance, employment,"
        " employment_stable, updated_hlc, id_key)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, hearth_id_key(?5))"
        " ON CONFLICT (id) DO UPDATE SET household_id = excluded.household_id,"
        " position = excluded.position, name = excluded.name, id_number = excluded.id_number,"
        " id_key = excluded.id_key, relation = excluded.relation, sex = excluded.sex,"
        " birth_year = excluded.birth_year, labour = excluded.labour, health = excluded.health,"
        " disability_grade = excluded.disability_grade, school = excluded.school,"
        " medical_insurance = excluded.medical_insurance, employment = excluded.employment,"
        " employment_stable = excluded.employment_stable, updated_hlc = excluded.updated_hlc";
    sqlite3_stmt *st = hh_sql(c, sql);

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, m->id);
    hh_sql_bind_text(st, 2, household_id);
    sqlite3_bind_int(st, 3, position);
    hh_sql_bind_text(st, 4, m->name);
    hh_sql_bind_text(st, 5, m->id_number);
    hh_sql_bind_text(st, 6, hh_enum_name(&hh_relation_names, (int)m->relation));
    hh_sql_bind_text(st, 7, hh_enum_name(&hh_sex_names, (int)m->sex));
    sqlite3_bind_int(st, 8, m->birth_year);
    hh_sql_bind_text(st, 9, hh_enum_name(&hh_labour_names, (int)m->labour));
    hh_sql_bind_text(st, 10, hh_enum_name(&hh_health_names, (int)m->health));
    sqlite3_bind_int(st, 11, m->disability_grade);
    hh_sql_bind_text(st, 12, hh_enum_name(&hh_school_names, (int)m->school));
    sqlite3_bind_int(st, 13, m->medical_insurance);
    hh_sql_bind_text(st, 14, hh_enum_name(&hh_employment_names, (int)m->employment));
    if (m->employment_stable >= 0)
        sqlite3_bind_int(st, 15, m->employment_stable);
    else
        sqlite3_bind_null(st, 15);
    sqlite3_bind_int64(st, 16, (sqlite3_int64)hlc);
    return hh_sql_done(st);
}

hh_err hh_records_id_number_owner(hh_sqlcache *c, const char *id_number, const char *member_id_self,
                                  char member_id[HH_UUID_LEN + 1], char household_id[HH_UUID_LEN + 1])
{
    /* By the keyed hash once there is a key; before (a device not yet
     * enrolled), by the ID numbers themselves. */
    static const char by_key[] =
        "SELECT id, household_id FROM members WHERE id_key = hearth_id_key(?1) AND id <> ?2"
        " ORDER BY id LIMIT 1";
    static const char by_number[] =
        "SELECT id, household_id FROM members WHERE id_number = ?1 AND id <> ?2 ORDER BY id LIMIT 1";
    sqlite3_stmt *st = hh_sql(c, c->id_key.set ? by_key : by_number);
    hh_err ret = HH_OK;

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, id_number);
    hh_sql_bind_text(st, 2, member_id_self);
    member_id[0] = household_id[0] = '\0';
    if (sqlite3_step(st) == SQLITE_ROW &&
        (hh_sql_col_text(st, 0, member_id, HH_UUID_LEN + 1) != HH_OK ||
         hh_sql_col_text(st, 1, household_id, HH_UUID_LEN + 1) != HH_OK))
        ret = HH_ECORRUPT;
    sqlite3_reset(st);
    return ret;
}

hh_err hh_records_read_visit(sqlite3_stmt *st, hh_visit *v)
{
    hh_visit_init(v);
    if (hh_sql_col_text(st, 0, v->id, sizeof v->id) != HH_OK ||
        hh_sql_col_text(st, 1, v->household_id, sizeof v->household_id) != HH_OK ||
        hh_sql_col_text(st, 2, v->visited_on, sizeof v->visited_on) != HH_OK ||
        hh_sql_col_text(st, 3, v->officer, sizeof v->officer) != HH_OK ||
        hh_sql_col_text(st, 16, v->notes, sizeof v->notes) != HH_OK ||
        hh_sql_col_text(st, 17, v->supersedes, sizeof v->supersedes) != HH_OK)
        return HH_ECORRUPT;
    v->household_size = sqlite3_column_int(st, 4);
    v->income.wages_yuan = sqlite3_column_int64(st, 5);
    v->income.operating_yuan = sqlite3_column_int64(st, 6);
    v->income.property_yuan = sqlite3_column_int64(st, 7);
    v->income.transfer_yuan = sqlite3_column_int64(st, 8);
    v->expenditure.medical_yuan = sqlite3_column_int64(st, 9);
    v->expenditure.education_yuan = sqlite3_column_int64(st, 10);
    v->expenditure.disaster_yuan = sqlite3_column_int64(st, 11);
    v->shocks = (uint32_t)sqlite3_column_int64(st, 12);
    v->guarantees_met = (uint32_t)sqlite3_column_int64(st, 13);
    v->has_gps = sqlite3_column_type(st, 14) != SQLITE_NULL;
    v->lat_microdeg = sqlite3_column_int(st, 14);
    v->lon_microdeg = sqlite3_column_int(st, 15);
    v->hlc = (uint64_t)sqlite3_column_int64(st, 18);
    /* What was stored must still pass the checks it passed on the way in. */
    return hh_visit_validate(v, NULL) == HH_OK ? HH_OK : HH_ECORRUPT;
}

hh_err hh_records_visit_get(hh_sqlcache *c, const char *id, hh_visit *out)
{
    static const char sql[] = "SELECT " VISIT_COLS " FROM visits WHERE id = ?1";
    sqlite3_stmt *st = hh_sql(c, sql);
    hh_err ret;
    int rc;

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, id);
    rc = sqlite3_step(st);
    ret = rc == SQLITE_ROW ? hh_records_read_visit(st, out) : rc == SQLITE_DONE ? HH_ENOTFOUND : HH_EDB;
    sqlite3_reset(st);
    return ret;
}

/* Same content, ignoring the stamp (which the device assigns). */
int hh_records_visit_same(const hh_visit *a, const hh_visit *b)
{
    return strcmp(a->household_id, b->household_id) == 0 &&
           strcmp(a->visited_on, b->visited_on) == 0 && strcmp(a->officer, b->officer) == 0 &&
           a->household_size == b->household_size &&
           memcmp(&a->income, &b->income, sizeof a->income) == 0 &&
           memcmp(&a->expenditure, &b->expenditure, sizeof a->expenditure) == 0 &&
           a->shocks == b->shocks && a->guarantees_met == b->guarantees_met &&
           a->has_gps == b->has_gps &&
           (!a->has_gps || (a->lat_microdeg == b->lat_microdeg &&
                            a->lon_microdeg == b->lon_microdeg)) &&
           strcmp(a->notes, b->notes) == 0 && strcmp(a->supersedes, b->supersedes) == 0;
}

/* Put into id the id of a stored visit with the same content as v, if any. */
hh_err hh_records_visit_find_same(hh_sqlcache *c, const hh_visit *v, char id[HH_UUID_LEN + 1])
{
    static const char sql[] =
        "SELECT " VISIT_COLS " FROM visits WHERE household_id = ?1 AND visited_on = ?2"
        " AND officer = ?3";
    sqlite3_stmt *st = hh_sql(c, sql);
    hh_visit candidate;
    hh_err ret = HH_OK;
    int rc;

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, v->household_id);
    hh_sql_bind_text(st, 2, v->visited_on);
    hh_sql_bind_text(st, 3, v->officer);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((ret = hh_records_read_visit(st, &candidate)) != HH_OK)
            break;
        if (hh_records_visit_same(&candidate, v)) {
            memcpy(id, candidate.id, HH_UUID_LEN + 1);
            break;
        }
    }
    if (ret == HH_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        ret = HH_EDB;
    sqlite3_reset(st);
    return ret;
}

/* The latest two visits that no other visit supersedes, newest first, among
 * those with a date a visit may carry today (a visit dated in the future by a
 * wrong clock or a typo must not hide the real latest one). */
hh_err hh_records_latest_visits(hh_sqlcache *c, const char *household_id, hh_visit out[2], int *count)
{
    static const char sql[] =
        "SELECT " VISIT_COLS " FROM visits v WHERE household_id = ?1"
        " AND visited_on BETWEEN ?2 AND ?3"
        " AND NOT EXISTS (SELECT 1 FROM visits c WHERE c.supersedes = v.id)"
        " ORDER BY visited_on DESC, hlc DESC LIMIT 2";
    sqlite3_stmt *st = hh_sql(c, sql);
    char today[HH_DATE_LEN + 1], latest[HH_DATE_LEN + 1];
    hh_err ret = HH_OK;
    int rc;

    *count = 0;
    if (!st)
        return HH_EDB;
    if (hh_platform_today(today) != HH_OK || hh_visit_latest_date(today, latest) != HH_OK)
        return HH_EIO;
    hh_sql_bind_text(st, 1, household_id);
    hh_sql_bind_text(st, 2, HH_VISIT_DATE_MIN);
    hh_sql_bind_text(st, 3, latest);
    while (ret == HH_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        if ((ret = hh_records_read_visit(st, &out[*count])) == HH_OK)
            (*count)++;
    sqlite3_reset(st);
    return ret;
}

/* Run sql with ?1 bound to param (NULL binds NULL) on a private statement (the
 * row callbacks may use the cached ones), calling row(st, ctx, &stop) for each
 * result row until it fails or sets stop. */

hh_err hh_sql_each_stmt(sqlite3_stmt *st, hh_sql_row_fn row, void *ctx)
{
    hh_err ret = HH_OK;
    int rc = SQLITE_DONE, stop = 0;

    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
        if ((ret = row(st, ctx, &stop)) != HH_OK)
            break;
    if (ret == HH_OK && !stop && rc != SQLITE_DONE)
        ret = hh_sql_err(rc);
    sqlite3_reset(st);
    return ret;
}

hh_err hh_sql_each_row(sqlite3 *db, const char *sql, const char *param, hh_sql_row_fn row, void *ctx)
{
    sqlite3_stmt *st;
    hh_err ret;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return HH_EDB;
    hh_sql_bind_optional(st, 1, param);
    ret = hh_sql_each_stmt(st, row, ctx);
    sqlite3_finalize(st);
    return ret;
}

typedef struct household_rows {
    hh_sqlcache *c;
    hh_household_cb cb;
    void *ctx;
    hh_household h;
} household_rows;

static hh_err household_row(sqlite3_stmt *st, void *ctx, int *stop)
{
    household_rows *r = ctx;
    hh_err ret;

    if ((ret = read_household(st, &r->h)) != HH_OK || (ret = load_members(r->c, &r->h)) != HH_OK)
        return ret;
    *stop = r->cb(r->ctx, &r->h);
    return HH_OK;
}

typedef struct visit_rows {
    hh_visit_cb cb;
    void *ctx;
} visit_rows;

static hh_err visit_row(sqlite3_stmt *st, void *ctx, int *stop)
{
    visit_rows *r = ctx;
    hh_visit v;
    hh_err ret = hh_records_read_visit(st, &v);

    if (ret == HH_OK)
        *stop = r->cb(r->ctx, &v);
    return ret;
}

int hh_sql_user_version(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int v = -1;

    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Callback of PRAGMA foreign_key_check: any row is a dangling reference. */
static int count_row(void *ctx, int n, char **values, char **names)
{
    (void)n, (void)values, (void)names;
    ++*(int *)ctx;
    return 0;
}

/* One migration to version, in its own transaction with the version bump. */
static hh_err migrate_one(sqlite3 *db, const char *sql_text, int version, hh_diag *d)
{
    char bump[48];
    int dangling = 0;
    hh_err ret;

    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return hh_diag_fail(d, HH_EDB, "database", "cannot start a migration: %s",
                            sqlite3_errmsg(db));
    snprintf(bump, sizeof bump, "PRAGMA user_version = %d", version);
    if (sqlite3_exec(db, sql_text, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, bump, NULL, NULL, NULL) != SQLITE_OK)
        ret = hh_diag_fail(d, HH_EDB, "database", "migration to version %d failed: %s",
                           version, sqlite3_errmsg(db));
    else if (sqlite3_exec(db, "PRAGMA foreign_key_check", count_row, &dangling, NULL) != SQLITE_OK ||
             dangling)
        ret = hh_diag_fail(d, HH_EDB, "database",
                           "migration to version %d left %d dangling references", version, dangling);
    else if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        ret = hh_diag_fail(d, HH_EDB, "database", "cannot commit a migration: %s",
                           sqlite3_errmsg(db));
    else
        return HH_OK;
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return ret;
}

hh_err hh_sql_migrate(sqlite3 *db, const char *const *list, int count, const char *program,
                      hh_diag *d)
{
    int v = hh_sql_user_version(db);

    if (v < 0)
        return hh_diag_fail(d, HH_EDB, "database", "cannot read the schema version: %s",
                            sqlite3_errmsg(db));
    if (v > count)
        return hh_diag_fail(d, HH_ESCHEMA, "database",
                            "schema version %d is newer than this %s (%d): update %s",
                            v, program, count, program);
    if (v == count)
        return HH_OK;
    /* A migration may rebuild a table others refer to (SQLite's own recipe:
     * foreign keys off, then every reference checked before the commit). */
    if (sqlite3_exec(db, "PRAGMA foreign_keys = OFF", NULL, NULL, NULL) != SQLITE_OK)
        return hh_diag_fail(d, HH_EDB, "database", "cannot prepare a migration: %s",
                            sqlite3_errmsg(db));
    for (; v < count; v++) {
        hh_err ret = migrate_one(db, list[v], v + 1, d);
        if (ret != HH_OK) {
            sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
            return ret;
        }
    }
    if (sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK)
        return hh_diag_fail(d, HH_EDB, "database", "cannot finish a migration: %s",
                            sqlite3_errmsg(db));
    return HH_OK;
}

void hh_records_household_view(const hh_household *h, hh_field_view v[HH_HOUSEHOLD_FIELDS])
{
    static const char *const names[HH_HOUSEHOLD_FIELDS] = {
        "registry_no", "village_code", "category", "relocated", "resettlement_site" };

    for (int i = 0; i < HH_HOUSEHOLD_FIELDS; i++)
        v[i].name = names[i];
    snprintf(v[0].text, HH_FIELD_TEXT_MAX, "%s", h->registry_no);
    snprintf(v[1].text, HH_FIELD_TEXT_MAX, "%s", h->village_code);
    snprintf(v[2].text, HH_FIELD_TEXT_MAX, "%s", hh_enum_name(&hh_category_names, (int)h->category));
    snprintf(v[3].text, HH_FIELD_TEXT_MAX, "%d", h->relocated ? 1 : 0);
    snprintf(v[4].text, HH_FIELD_TEXT_MAX, "%s", h->resettlement_site);
}

void hh_records_member_view(const hh_member *m, hh_field_view v[HH_MEMBER_FIELDS])
{
    static const char *const names[HH_MEMBER_FIELDS] = {
        "name", "id_number", "relation", "sex", "birth_year", "labour", "health",
        "disability_grade", "school", "medical_insurance", "employment", "employment_stable" };

    for (int i = 0; i < HH_MEMBER_FIELDS; i++)
        v[i].name = names[i];
    snprintf(v[0].text, HH_FIELD_TEXT_MAX, "%s", m->name);
    snprintf(v[1].text, HH_FIELD_TEXT_MAX, "%s", m->id_number);
    snprintf(v[2].text, HH_FIELD_TEXT_MAX, "%s", hh_enum_name(&hh_relation_names, (int)m->relation));
    snprintf(v[3].text, HH_FIELD_TEXT_MAX, "%s", hh_enum_name(&hh_sex_names, (int)m->sex));
    snprintf(v[4].text, HH_FIELD_TEXT_MAX, "%d", m->birth_year);
    snprintf(v[5].text, HH_FIELD_TEXT_MAX, "%s", hh_enum_name(&hh_labour_names, (int)m->labour));
    snprintf(v[6].text, HH_FIELD_TEXT_MAX, "%s", hh_enum_name(&hh_health_names, (int)m->health));
    snprintf(v[7].text, HH_FIELD_TEXT_MAX, "%d", m->disability_grade);
    snprintf(v[8].text, HH_FIELD_TEXT_MAX, "%s", hh_enum_name(&hh_school_names, (int)m->school));
    snprintf(v[9].text, HH_FIELD_TEXT_MAX, "%d", m->medical_insurance ? 1 : 0);
    snprintf(v[10].text, HH_FIELD_TEXT_MAX, "%s", hh_enum_name(&hh_employment_names, (int)m->employment));
    snprintf(v[11].text, HH_FIELD_TEXT_MAX, "%d", m->employment_stable);
}

/* Text into a field: a string of cap bytes, an enumeration of e, or a whole
 * number in [min, max]. */
static hh_err set_string(char *dst, size_t cap, const char *text)
{
    if (strlen(text) >= cap)
        return HH_EINVAL;
    memcpy(dst, text, strlen(text) + 1);
    return HH_OK;
}

static hh_err set_enum(int *dst, const hh_enum_names *e, const char *text)
{
    int v = hh_enum_parse(e, text);

    if (!v)
        return HH_EINVAL;
    *dst = v;
    return HH_OK;
}

static hh_err set_number(int *dst, const char *text, int min, int max)
{
    char *end;
    long v = strtol(text, &end, 10);

    if (!text[0] || *end || v < min || v > max)
        return HH_EINVAL;
    *dst = (int)v;
    return HH_OK;
}

hh_err hh_records_household_set(hh_household *h, const char *field, const char *text)
{
    int v = 0;
    hh_err ret;

    if (strcmp(field, "registry_no") == 0)
        return set_string(h->registry_no, sizeof h->registry_no, text);
    if (strcmp(field, "village_code") == 0)
        return set_string(h->village_code, sizeof h->village_code, text);
    if (strcmp(field, "resettlement_site") == 0)
        return set_string(h->resettlement_site, sizeof h->resettlement_site, text);
    if (strcmp(field, "category") == 0) {
        if ((ret = set_enum(&v, &hh_category_names, text)) == HH_OK)
            h->category = (hh_category)v;
        return ret;
    }
    if (strcmp(field, "relocated") == 0) {
        if ((ret = set_number(&v, text, 0, 1)) == HH_OK)
            h->relocated = v;
        return ret;
    }
    return HH_EINVAL;
}

_Static_assert(sizeof(hh_sex) == sizeof(int) && sizeof(hh_relation) == sizeof(int),
               "member enumerations are set through an int");

hh_err hh_records_member_set(hh_member *m, const char *field, const char *text)
{
    static const struct { const char *field; const hh_enum_names *names; size_t offset; } enums[] = {
        { "relation", &hh_relation_names, offsetof(hh_member, relation) },
        { "sex", &hh_sex_names, offsetof(hh_member, sex) },
        { "labour", &hh_labour_names, offsetof(hh_member, labour) },
        { "health", &hh_health_names, offsetof(hh_member, health) },
        { "school", &hh_school_names, offsetof(hh_member, school) },
        { "employment", &hh_employment_names, offsetof(hh_member, employment) },
    };
    int v = 0;
    hh_err ret;

    if (strcmp(field, "name") == 0)
        return set_string(m->name, sizeof m->name, text);
    if (strcmp(field, "id_number") == 0)
        return set_string(m->id_number, sizeof m->id_number, text);
    for (size_t i = 0; i < sizeof enums / sizeof enums[0]; i++)
        if (strcmp(field, enums[i].field) == 0) {
            if ((ret = set_enum(&v, enums[i].names, text)) == HH_OK)
                memcpy((char *)m + enums[i].offset, &v, sizeof v);
            return ret;
        }
    if (strcmp(field, "birth_year") == 0)
        return set_number(&m->birth_year, text, 1900, 2100);
    if (strcmp(field, "disability_grade") == 0)
        return set_number(&m->disability_grade, text, 0, 4);
    if (strcmp(field, "medical_insurance") == 0 && (ret = set_number(&v, text, 0, 1)) == HH_OK)
        m->medical_insurance = v;
    else if (strcmp(field, "employment_stable") == 0)
        ret = set_number(&m->employment_stable, text, -1, 1);
    else
        ret = HH_EINVAL;
    return ret;
}

int hh_records_household_take(hh_household *dst, const hh_household *src, const char *field)
{
    if (strcmp(field, "registry_no") == 0)
        memcpy(dst->registry_no, src->registry_no, sizeof dst->registry_no);
    else if (strcmp(field, "village_code") == 0)
        memcpy(dst->village_code, src->village_code, sizeof dst->village_code);
    else if (strcmp(field, "category") == 0)
        dst->category = src->category;
    else if (strcmp(field, "relocated") == 0)
        dst->relocated = src->relocated;
    else if (strcmp(field, "resettlement_site") == 0)
        memcpy(dst->resettlement_site, src->resettlement_site, sizeof dst->resettlement_site);
    else
        return 0;
    return 1;
}

int hh_records_member_take(hh_member *dst, const hh_member *src, const char *field)
{
#define TAKE(name, member)                                                   \
    if (strcmp(field, name) == 0) {                                          \
        memcpy(&dst->member, &src->member, sizeof dst->member);              \
        return 1;                                                            \
    }
    TAKE("name", name)
    TAKE("id_number", id_number)
    TAKE("relation", relation)
    TAKE("sex", sex)
    TAKE("birth_year", birth_year)
    TAKE("labour", labour)
    TAKE("health", health)
    TAKE("disability_grade", disability_grade)
    TAKE("school", school)
    TAKE("medical_insurance", medical_insurance)
    TAKE("employment", employment)
    TAKE("employment_stable", employment_stable)
#undef TAKE
    return 0;
}

hh_err hh_records_read_tier(sqlite3_stmt *st, hh_tier_view *out)
{
    char reasons[256];
    int tier = sqlite3_column_int(st, 3);

    memset(out, 0, sizeof *out);
    if (hh_sql_col_text(st, 0, out->household_id, sizeof out->household_id) != HH_OK ||
        hh_sql_col_text(st, 1, out->registry_no, sizeof out->registry_no) != HH_OK ||
        hh_sql_col_text(st, 2, out->village_code, sizeof out->village_code) != HH_OK ||
        hh_sql_col_text(st, 4, reasons, sizeof reasons) != HH_OK ||
        hh_sql_col_text(st, 5, out->rulebook, sizeof out->rulebook) != HH_OK ||
        hh_sql_col_text(st, 6, out->label, sizeof out->label) != HH_OK ||
        hh_sql_col_text(st, 7, out->last_visit_on, sizeof out->last_visit_on) != HH_OK ||
        tier < HH_TIER_GREEN || tier > HH_TIER_RED)
        return HH_ECORRUPT;
    out->tier = (hh_tier)tier;
    out->reasons = hh_reasons_parse(reasons);
    out->per_capita_yuan = sqlite3_column_type(st, 8) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 8);
    return HH_OK;
}

hh_err hh_records_bind_tier(sqlite3_stmt *st, const char *household_id, const hh_tier_result *r,
                            const char *rulebook_version, const char *last_visit_on)
{
    char reasons[256];
    hh_err ret = hh_reasons_format(r->reasons, ",", reasons, sizeof reasons);

    if (ret != HH_OK)
        return ret;
    hh_sql_bind_text(st, 1, household_id);
    sqlite3_bind_int(st, 2, (int)r->tier);
    hh_sql_bind_text(st, 3, reasons);
    hh_sql_bind_text(st, 4, rulebook_version);
    hh_sql_bind_text(st, 5, last_visit_on);
    sqlite3_bind_int64(st, 6, r->per_capita_yuan);
    return HH_OK;
}

/* hearth_id_key(text): the keyed hash of an ID number, or NULL without a key. */
static void id_key_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const hh_sqlcache *c = sqlite3_user_data(ctx);
    unsigned char mac[32];
    char hex[2 * HH_ID_HASH_LEN + 1];

    (void)argc;
    if (!c->id_key.set || sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
        sqlite3_result_null(ctx);
        return;
    }
    if (mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), c->id_key.key, HH_ID_KEY_LEN,
                        sqlite3_value_text(argv[0]), (size_t)sqlite3_value_bytes(argv[0]), mac) != 0) {
        sqlite3_result_error(ctx, "cannot hash the ID number", -1);
        return;
    }
    hh_hex_encode(mac, HH_ID_HASH_LEN, hex);
    sqlite3_result_text(ctx, hex, 2 * HH_ID_HASH_LEN, SQLITE_TRANSIENT);
}

void hh_sqlcache_init(hh_sqlcache *c, sqlite3 *db)
{
    memset(c, 0, sizeof *c);
    c->db = db;
    /* Deterministic within a statement (the key never changes during one), so
     * `id_key = hearth_id_key(?)` is looked up in the index. */
    sqlite3_create_function(db, "hearth_id_key", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, c, id_key_fn,
                            NULL, NULL);
}

hh_err hh_records_set_id_key(hh_sqlcache *c, const char *hex)
{
    uint8_t key[HH_ID_KEY_LEN];

    if (strlen(hex) != 2 * HH_ID_KEY_LEN || hh_hex_decode(hex, key, sizeof key) != HH_OK) {
        explicit_bzero(key, sizeof key);
        return HH_ECORRUPT;
    }
    memcpy(c->id_key.key, key, HH_ID_KEY_LEN);
    c->id_key.set = 1;
    explicit_bzero(key, sizeof key);
    return HH_OK;
}

hh_err hh_records_fill_id_keys(hh_sqlcache *c)
{
    return sqlite3_exec(c->db, "UPDATE members SET id_key = hearth_id_key(id_number) WHERE id_key IS NULL",
                        NULL, NULL, NULL) == SQLITE_OK ? HH_OK : HH_EDB;
}

void hh_sqlcache_free(hh_sqlcache *c)
{
    for (int i = 0; i < HH_SQLCACHE_SLOTS && c->slot[i].sql; i++)
        sqlite3_finalize(c->slot[i].st);
    memset(c->slot, 0, sizeof c->slot);
}

hh_err hh_records_household_write(hh_sqlcache *c, const hh_household *h, int is_new, uint64_t hlc)
{
    static const char insert_sql[] =
        "INSERT INTO households (id, registry_no, village_code, category, relocated,"
        " resettlement_site, created_hlc, updated_hlc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)";
    static const char update_sql[] =
        "UPDATE households SET registry_no = ?2, village_code = ?3, category = ?4,"
        " relocated = ?5, resettlement_site = ?6, updated_hlc = ?7 WHERE id = ?1";
    sqlite3_stmt *st = hh_sql(c, is_new ? insert_sql : update_sql);

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, h->id);
    hh_sql_bind_optional(st, 2, h->registry_no);
    hh_sql_bind_text(st, 3, h->village_code);
    hh_sql_bind_text(st, 4, hh_enum_name(&hh_category_names, (int)h->category));
    sqlite3_bind_int(st, 5, h->relocated);
    hh_sql_bind_text(st, 6, h->resettlement_site);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)hlc);
    return hh_sql_done(st);
}

hh_err hh_records_member_delete(hh_sqlcache *c, const char *member_id)
{
    static const char del_member[] = "DELETE FROM members WHERE id = ?1";
    static const char del_versions[] = "DELETE FROM field_versions WHERE entity_id = ?1";
    sqlite3_stmt *st;
    hh_err ret;

    if (!(st = hh_sql(c, del_member)))
        return HH_EDB;
    hh_sql_bind_text(st, 1, member_id);
    if ((ret = hh_sql_done(st)) != HH_OK)
        return ret;
    if (!(st = hh_sql(c, del_versions)))
        return HH_EDB;
    hh_sql_bind_text(st, 1, member_id);
    return hh_sql_done(st);
}

hh_err hh_records_member_get(hh_sqlcache *c, const char *member_id, hh_member *out,
                             char household_id[HH_UUID_LEN + 1])
{
    static const char sql[] =
        "SELECT id, name, id_number, relation, sex, birth_year, labour, health, disability_grade,"
        " school, medical_insurance, employment, employment_stable, household_id"
        " FROM members WHERE id = ?1";
    sqlite3_stmt *st = hh_sql(c, sql);
    hh_err ret;
    int rc;

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, member_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        ret = hh_records_read_member(st, out);
        if (ret == HH_OK)
            ret = hh_sql_col_text(st, 13, household_id, HH_UUID_LEN + 1);
    } else {
        ret = rc == SQLITE_DONE ? HH_ENOTFOUND : HH_EDB;
    }
    sqlite3_reset(st);
    return ret;
}

/* Bind v to the 19 parameters of a visit insert, in VISIT_COLS order. */
static void bind_visit(sqlite3_stmt *st, const hh_visit *v)
{
    hh_sql_bind_text(st, 1, v->id);
    hh_sql_bind_text(st, 2, v->household_id);
    hh_sql_bind_text(st, 3, v->visited_on);
    hh_sql_bind_text(st, 4, v->officer);
    sqlite3_bind_int(st, 5, v->household_size);
    sqlite3_bind_int64(st, 6, v->income.wages_yuan);
    sqlite3_bind_int64(st, 7, v->income.operating_yuan);
    sqlite3_bind_int64(st, 8, v->income.property_yuan);
    sqlite3_bind_int64(st, 9, v->income.transfer_yuan);
    sqlite3_bind_int64(st, 10, v->expenditure.medical_yuan);
    sqlite3_bind_int64(st, 11, v->expenditure.education_yuan);
    sqlite3_bind_int64(st, 12, v->expenditure.disaster_yuan);
    sqlite3_bind_int64(st, 13, v->shocks);
    sqlite3_bind_int64(st, 14, v->guarantees_met);
    if (v->has_gps) {
        sqlite3_bind_int(st, 15, v->lat_microdeg);
        sqlite3_bind_int(st, 16, v->lon_microdeg);
    }
    hh_sql_bind_text(st, 17, v->notes);
    hh_sql_bind_optional(st, 18, v->supersedes);
    sqlite3_bind_int64(st, 19, (sqlite3_int64)v->hlc);
}

#define VISIT_INSERT \
    "INSERT INTO visits (" VISIT_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10," \
    " ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"

hh_err hh_records_visit_insert(hh_sqlcache *c, const hh_visit *v)
{
    static const char sql[] = VISIT_INSERT;
    sqlite3_stmt *st = hh_sql(c, sql);

    if (!st)
        return HH_EDB;
    bind_visit(st, v);
    return hh_sql_done(st);
}

hh_err hh_records_visit_insert_new(hh_sqlcache *c, const hh_visit *v, int *inserted)
{
    static const char sql[] = VISIT_INSERT " ON CONFLICT (id) DO NOTHING";
    sqlite3_stmt *st = hh_sql(c, sql);
    hh_err ret;

    *inserted = 0;
    if (!st)
        return HH_EDB;
    bind_visit(st, v);
    if ((ret = hh_sql_done(st)) == HH_OK)
        *inserted = sqlite3_changes(c->db) > 0;
    return ret;
}

void hh_records_latest_ids(const hh_visit *visits, int count, hh_latest_ids *out)
{
    for (int i = 0; i < count; i++) {
        memcpy(out->id[i], visits[i].id, HH_UUID_LEN + 1);
        memcpy(out->supersedes[i], visits[i].supersedes, HH_UUID_LEN + 1);
    }
    out->count = count;
}

hh_err hh_records_compute_tier(hh_sqlcache *c, const hh_rulebook *rules, const char *household_id,
                               hh_tier_result *out, char last_visit_on[HH_DATE_LEN + 1],
                               char village_code[HH_VILLAGE_CODE_LEN + 1], int *found,
                               hh_latest_ids *seen)
{
    hh_household *h = malloc(sizeof *h);
    hh_visit *visits = malloc(2 * sizeof *visits);
    int count = 0;
    hh_err ret = HH_ENOMEM;

    *found = 0;
    if (seen)
        seen->count = -1;
    if (!h || !visits)
        goto cleanup;
    if ((ret = hh_records_household_get(c, household_id, 1, h)) != HH_OK ||
        (ret = hh_records_latest_visits(c, household_id, visits, &count)) != HH_OK)
        goto cleanup;
    if (seen)
        hh_records_latest_ids(visits, count, seen);
    /* No visit, or no size to divide by: no tier rather than a wrong one. */
    if (count > 0 && hh_tier_compute(rules, h, &visits[0], count > 1 ? &visits[1] : NULL, out) == HH_OK) {
        memcpy(last_visit_on, visits[0].visited_on, HH_DATE_LEN + 1);
        if (village_code)
            memcpy(village_code, h->village_code, HH_VILLAGE_CODE_LEN + 1);
        *found = 1;
    }
cleanup:
    free(h);
    free(visits);
    return ret;
}

hh_err hh_records_each_household(hh_sqlcache *c, const char *village, hh_household_cb cb, void *ctx)
{
    static const char sql[] =
        "SELECT id, registry_no, village_code, category, relocated, resettlement_site"
        " FROM households WHERE ?1 IS NULL OR village_code = ?1"
        " ORDER BY village_code, registry_no, id";
    household_rows *r = malloc(sizeof *r);
    hh_err ret;

    if (!r)
        return HH_ENOMEM;
    *r = (household_rows){ .c = c, .cb = cb, .ctx = ctx };
    ret = hh_sql_each_row(c->db, sql, village, household_row, r);
    free(r);
    return ret;
}

hh_err hh_records_each_visit(hh_sqlcache *c, const char *household_id, hh_visit_cb cb, void *ctx)
{
    static const char sql[] =
        "SELECT " VISIT_COLS " FROM visits WHERE ?1 IS NULL OR household_id = ?1"
        " ORDER BY household_id, visited_on, hlc";
    visit_rows r = { cb, ctx };

    return hh_sql_each_row(c->db, sql, household_id, visit_row, &r);
}
