/* sync/records.h — households, members and visits in SQLite.
 *
 * The device and the collector keep their records in the same tables
 * (HH_RECORDS_SCHEMA), so the code that reads and writes them, and that judges
 * a household's tier from what is stored, lives here once. Every function takes
 * an hh_sqlcache: a connection and its prepared statements. None of them begins
 * or ends a transaction; the caller does. Text read back is checked against the
 * same bounds it was written with (HH_ECORRUPT if it does not fit). */
#ifndef HH_RECORDS_H
#define HH_RECORDS_H

#include <sqlite3.h>
#include <stdint.h>

#include "model/diag.h"
#include "model/record.h"
#include "model/rulebook.h"
#include "model/tier.h"

/* The record tables, for a migration. Visits name the visit they supersede;
 * field_versions hold the HLC of every household and member field. */
#define HH_RECORDS_SCHEMA \
    "CREATE TABLE households (" \
    "  id TEXT PRIMARY KEY, registry_no TEXT UNIQUE, village_code TEXT NOT NULL," \
    "  category TEXT NOT NULL, relocated INTEGER NOT NULL, resettlement_site TEXT NOT NULL," \
    "  created_hlc INTEGER NOT NULL, updated_hlc INTEGER NOT NULL) STRICT;" \
    "CREATE INDEX households_village ON households(village_code, registry_no);" \
    "CREATE TABLE members (" \
    "  id TEXT PRIMARY KEY, household_id TEXT NOT NULL REFERENCES households(id)," \
    "  position INTEGER NOT NULL, name TEXT NOT NULL, id_number TEXT NOT NULL UNIQUE," \
    "  relation TEXT NOT NULL, sex TEXT NOT NULL, birth_year INTEGER NOT NULL," \
    "  labour TEXT NOT NULL, health TEXT NOT NULL, disability_grade INTEGER NOT NULL," \
    "  school TEXT NOT NULL, medical_insurance INTEGER NOT NULL, employment TEXT NOT NULL," \
    "  employment_stable INTEGER, updated_hlc INTEGER NOT NULL) STRICT;" \
    "CREATE INDEX members_household ON members(household_id, position);" \
    "CREATE TABLE visits (" \
    "  id TEXT PRIMARY KEY, household_id TEXT NOT NULL REFERENCES households(id)," \
    "  visited_on TEXT NOT NULL, officer TEXT NOT NULL, household_size INTEGER NOT NULL," \
    "  wages INTEGER NOT NULL, operating INTEGER NOT NULL, property INTEGER NOT NULL," \
    "  transfer INTEGER NOT NULL, medical INTEGER NOT NULL, education INTEGER NOT NULL," \
    "  disaster INTEGER NOT NULL, shocks INTEGER NOT NULL, guarantees_met INTEGER NOT NULL," \
    "  lat_microdeg INTEGER, lon_microdeg INTEGER, notes TEXT NOT NULL," \
    "  supersedes TEXT REFERENCES visits(id), hlc INTEGER NOT NULL) STRICT;" \
    "CREATE INDEX visits_household ON visits(household_id, visited_on, hlc);" \
    "CREATE INDEX visits_supersedes ON visits(supersedes) WHERE supersedes IS NOT NULL;" \
    "CREATE TABLE field_versions (" \
    "  entity_id TEXT NOT NULL, field TEXT NOT NULL, hlc INTEGER NOT NULL," \
    "  PRIMARY KEY (entity_id, field)) STRICT, WITHOUT ROWID;"

/* Records compared, not refused (数据比对): the same ID number in two
 * households and the same registry number in two villages are kept and
 * flagged for a reviewer, so neither column is unique any more. SQLite drops
 * a UNIQUE constraint only by rebuilding its table; households_extra is the
 * columns a program added to households after the first schema (appended,
 * so SELECT * keeps their order). The migration runs with foreign keys off
 * and checked before it commits (hh_sql_migrate). */
#define HH_RECORDS_NOT_UNIQUE(households_extra) \
    "CREATE TABLE members_new (" \
    "  id TEXT PRIMARY KEY, household_id TEXT NOT NULL REFERENCES households(id)," \
    "  position INTEGER NOT NULL, name TEXT NOT NULL, id_number TEXT NOT NULL," \
    "  relation TEXT NOT NULL, sex TEXT NOT NULL, birth_year INTEGER NOT NULL," \
    "  labour TEXT NOT NULL, health TEXT NOT NULL, disability_grade INTEGER NOT NULL," \
    "  school TEXT NOT NULL, medical_insurance INTEGER NOT NULL, employment TEXT NOT NULL," \
    "  employment_stable INTEGER, updated_hlc INTEGER NOT NULL) STRICT;" \
    "INSERT INTO members_new SELECT * FROM members;" \
    "DROP TABLE members;" \
    "ALTER TABLE members_new RENAME TO members;" \
    "CREATE INDEX members_household ON members(household_id, position);" \
    "CREATE INDEX members_id_number ON members(id_number);" \
    "CREATE TABLE households_new (" \
    "  id TEXT PRIMARY KEY, registry_no TEXT, village_code TEXT NOT NULL," \
    "  category TEXT NOT NULL, relocated INTEGER NOT NULL, resettlement_site TEXT NOT NULL," \
    "  created_hlc INTEGER NOT NULL, updated_hlc INTEGER NOT NULL" households_extra ") STRICT;" \
    "INSERT INTO households_new SELECT * FROM households;" \
    "DROP TABLE households;" \
    "ALTER TABLE households_new RENAME TO households;" \
    "CREATE INDEX households_village ON households(village_code, registry_no);" \
    "CREATE INDEX households_registry ON households(registry_no) WHERE registry_no IS NOT NULL;"

/* ID numbers as a keyed hash (HMAC-SHA256 under the county's key, 128 bits in
 * hex): members.id_key, indexed, so a person's other records are found by
 * the hash, never by an index of ID numbers. The collector makes the key and
 * gives it to each device at enrolment; both compare by it. */
#define HH_RECORDS_ID_KEY \
    "ALTER TABLE members ADD COLUMN id_key TEXT;" \
    "CREATE INDEX members_id_key ON members(id_key);" \
    "DROP INDEX IF EXISTS members_id_number;"

/* ---- schema ------------------------------------------------------------------ */

/* PRAGMA user_version, or -1 if it cannot be read. */
int hh_sql_user_version(sqlite3 *db);

/* Bring db from its user_version to `count` by running migrations[v] for each
 * missing version v (migrations[0] makes version 1), each in its own transaction
 * with the version bump. A database newer than count is HH_ESCHEMA ("update
 * <program>"); a failing migration is rolled back whole and reported in d. */
hh_err hh_sql_migrate(sqlite3 *db, const char *const *migrations, int count, const char *program,
                      hh_diag *d);

/* ---- statements ------------------------------------------------------------ */

#define HH_SQLCACHE_SLOTS 64

#define HH_ID_KEY_LEN 32    /* the county's key */
#define HH_ID_HASH_LEN 16   /* the hash kept: the first 128 bits of the HMAC */

typedef struct hh_sqlcache {
    sqlite3 *db;
    struct { const char *sql; sqlite3_stmt *st; } slot[HH_SQLCACHE_SLOTS];
    struct { uint8_t key[HH_ID_KEY_LEN]; int set; } id_key;   /* see hh_records_set_id_key */
} hh_sqlcache;

/* Also gives the connection the SQL function hearth_id_key(id_number): the
 * keyed hash of an ID number once a key is set, else NULL. c must stay where
 * it is while the connection is open. */
void hh_sqlcache_init(hh_sqlcache *c, sqlite3 *db);

/* Use the key, stored as 64 hex digits (hh_hex_encode), from now on:
 * HH_ECORRUPT when hex is not that. */
hh_err hh_records_set_id_key(hh_sqlcache *c, const char *hex);

/* Fill the hash in for every member without one (a write). */
hh_err hh_records_fill_id_keys(hh_sqlcache *c);

/* Finalize every cached statement (the connection stays open). */
void hh_sqlcache_free(hh_sqlcache *c);

/* The prepared statement for sql, reset and unbound, cached by the address of
 * the string (every caller passes a static string). NULL on error. */
sqlite3_stmt *hh_sql(hh_sqlcache *c, const char *sql);

void hh_sql_bind_text(sqlite3_stmt *st, int i, const char *v);
/* Binds NULL for NULL or "". */
void hh_sql_bind_optional(sqlite3_stmt *st, int i, const char *v);
/* Copy text column i into dst (cap bytes); HH_ECORRUPT if it does not fit. */
hh_err hh_sql_col_text(sqlite3_stmt *st, int i, char *dst, size_t cap);
hh_err hh_sql_col_enum(sqlite3_stmt *st, int i, const hh_enum_names *e, int *out);
/* Is visited_on a date a visit may carry today, by this machine's calendar
 * (model/validate.h: 2014-01-01 to tomorrow)? HH_EINVAL with d when not. The
 * device judges entries by it, the collector what devices send. */
hh_err hh_records_visit_date_ok(const char *visited_on, hh_diag *d);

/* A new record (or device) identity: a UUIDv7 from the wall clock and the
 * platform's randomness. */
hh_err hh_records_new_id(char out[HH_UUID_LEN + 1]);

/* A SQLite result code as an hh_err: HH_ENOSPC for a full disk, HH_ECORRUPT
 * for a damaged file, HH_EDB for anything else that failed. */
hh_err hh_sql_err(int rc);
/* Step a statement that returns no rows, and reset it. */
hh_err hh_sql_done(sqlite3_stmt *st);

/* Run sql with ?1 bound to param (NULL binds NULL) on a private statement (so
 * callbacks may use cached ones), calling row(st, ctx, &stop) for each row until
 * it fails or sets stop. */
typedef hh_err (*hh_sql_row_fn)(sqlite3_stmt *st, void *ctx, int *stop);
hh_err hh_sql_each_row(sqlite3 *db, const char *sql, const char *param, hh_sql_row_fn row,
                       void *ctx);
/* The same over a prepared (cached) statement, its parameters bound by the
 * caller; it is reset afterwards. */
hh_err hh_sql_each_stmt(sqlite3_stmt *st, hh_sql_row_fn row, void *ctx);

/* ---- records ---------------------------------------------------------------- */

#define VISIT_COLS \
    "id, household_id, visited_on, officer, household_size, wages, operating, property," \
    " transfer, medical, education, disaster, shocks, guarantees_met, lat_microdeg," \
    " lon_microdeg, notes, supersedes, hlc"

/* A household by id (by_id) or registry number, with its members. */
hh_err hh_records_household_get(hh_sqlcache *c, const char *key, int by_id, hh_household *out);
/* Insert (is_new) or update a household's own fields (not its members). */
hh_err hh_records_household_write(hh_sqlcache *c, const hh_household *h, int is_new, uint64_t hlc);

/* Read a member row in the column order of members (id .. employment_stable). */
hh_err hh_records_read_member(sqlite3_stmt *st, hh_member *m);
hh_err hh_records_member_get(hh_sqlcache *c, const char *member_id, hh_member *out,
                             char household_id[HH_UUID_LEN + 1]);
/* Insert or update member m of household_id at position (a member a
 * reviewer moved follows to its new household). */
hh_err hh_records_member_write(hh_sqlcache *c, const char *household_id, int position,
                               const hh_member *m, uint64_t hlc);
hh_err hh_records_member_delete(hh_sqlcache *c, const char *member_id);
/* Another member than member_id holding id_number: its member and household
 * ids, both "" when nobody else does. */
hh_err hh_records_id_number_owner(hh_sqlcache *c, const char *id_number, const char *member_id_self,
                                  char member_id[HH_UUID_LEN + 1],
                                  char household_id[HH_UUID_LEN + 1]);

/* Read a visit row in the column order of VISIT_COLS; it must validate. */
hh_err hh_records_read_visit(sqlite3_stmt *st, hh_visit *v);
hh_err hh_records_visit_get(hh_sqlcache *c, const char *id, hh_visit *out);
hh_err hh_records_visit_insert(hh_sqlcache *c, const hh_visit *v);
/* Insert v unless a visit with its id is stored: *inserted says which. */
hh_err hh_records_visit_insert_new(hh_sqlcache *c, const hh_visit *v, int *inserted);
/* Same content, ignoring the id and the stamp. */
int hh_records_visit_same(const hh_visit *a, const hh_visit *b);
/* Put into id the id of a stored visit of v's household with v's content, if any. */
hh_err hh_records_visit_find_same(hh_sqlcache *c, const hh_visit *v, char id[HH_UUID_LEN + 1]);
/* The latest two visits no other visit supersedes, newest first. */
hh_err hh_records_latest_visits(hh_sqlcache *c, const char *household_id, hh_visit out[2],
                                int *count);

/* Which visits a tier was computed from: those hh_records_latest_visits
 * gave, newest first, with the visits they correct. */
typedef struct hh_latest_ids {
    int count;                                /* -1: not read */
    char id[2][HH_UUID_LEN + 1];
    char supersedes[2][HH_UUID_LEN + 1];
} hh_latest_ids;

/* The ids of the count visits (hh_records_latest_visits') in out. */
void hh_records_latest_ids(const hh_visit *visits, int count, hh_latest_ids *out);

/* The tier of a household from its stored members and latest visits, with
 * the date of that visit and (when village_code is not NULL) the household's
 * village. *found is 0 when it has no visit (or no size to divide by): no
 * tier, not a wrong one. When seen is not NULL it says which visits were
 * read (count -1 when the reading failed). */
hh_err hh_records_compute_tier(hh_sqlcache *c, const hh_rulebook *rules, const char *household_id,
                               hh_tier_result *out, char last_visit_on[HH_DATE_LEN + 1],
                               char village_code[HH_VILLAGE_CODE_LEN + 1], int *found,
                               hh_latest_ids *seen);

/* The version (HLC) of one field; 0 when never set. */
hh_err hh_records_field_version(hh_sqlcache *c, const char *entity_id, const char *field,
                                uint64_t *out);
hh_err hh_records_field_version_set(hh_sqlcache *c, const char *entity_id, const char *field,
                                    uint64_t hlc);

/* ---- field views: records as named text fields, for change detection ---- */

#define HH_FIELD_TEXT_MAX   160
#define HH_HOUSEHOLD_FIELDS 5
#define HH_MEMBER_FIELDS    12

typedef struct hh_field_view {
    const char *name;                 /* the field's exchange name */
    char text[HH_FIELD_TEXT_MAX];
} hh_field_view;

/* A household's own fields (not its members) / a member's fields, as text. */
void hh_records_household_view(const hh_household *h, hh_field_view v[HH_HOUSEHOLD_FIELDS]);
void hh_records_member_view(const hh_member *m, hh_field_view v[HH_MEMBER_FIELDS]);

/* Copy the field named `field` from src into dst; 0 if there is no such field. */
/* Set one field of h or m from its text as a view shows it (the inverse of
 * the views); HH_EINVAL when the text is not a value of that field (the
 * record must still be validated whole). */
hh_err hh_records_household_set(hh_household *h, const char *field, const char *text);
hh_err hh_records_member_set(hh_member *m, const char *field, const char *text);

int hh_records_household_take(hh_household *dst, const hh_household *src, const char *field);
int hh_records_member_take(hh_member *dst, const hh_member *src, const char *field);

/* ---- tiers as stored: the columns the device and the collector share ---- */

typedef struct hh_tier_view {
    char household_id[HH_UUID_LEN + 1];
    char registry_no[HH_REGISTRY_NO_MAX + 1];
    char village_code[HH_VILLAGE_CODE_LEN + 1];
    hh_tier tier;
    uint32_t reasons;                      /* HH_REASON_* bits */
    char rulebook[HH_RULEBOOK_VERSION_MAX + 1];
    char label[32];                        /* device: its source ("device" | "collector");
                                              collector: its review state */
    char last_visit_on[HH_DATE_LEN + 1];
    int64_t per_capita_yuan;               /* -1 when not known */
} hh_tier_view;

/* Read columns 0..8 of a tier query: household id, registry number, village,
 * tier, reasons, rulebook, label, last visit, per-capita income. */
hh_err hh_records_read_tier(sqlite3_stmt *st, hh_tier_view *out);

/* Bind a computed tier to parameters 1..6 of a tier upsert: household id, tier,
 * reasons (formatted), rulebook version, last visit, per-capita income. */
hh_err hh_records_bind_tier(sqlite3_stmt *st, const char *household_id, const hh_tier_result *r,
                            const char *rulebook_version, const char *last_visit_on);

typedef int (*hh_household_cb)(void *ctx, const hh_household *h);
typedef int (*hh_visit_cb)(void *ctx, const hh_visit *v);

/* Each household (of `village`, or all), by village, registry number, id; a
 * non-zero return from cb stops. */
hh_err hh_records_each_household(hh_sqlcache *c, const char *village, hh_household_cb cb, void *ctx);
/* Each visit of household_id (all when NULL), oldest first. */
hh_err hh_records_each_visit(hh_sqlcache *c, const char *household_id, hh_visit_cb cb, void *ctx);

#endif
