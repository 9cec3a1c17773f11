/* collector/cstore.c — the collector's database (see cstore.h). */
#include "cstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "model/buf.h"
#include "model/review.h"
#include "model/validate.h"
#include "platform/platform.h"
#include "sync/codec.h"

#define CSTORE_SCHEMA_VERSION 10

static const char *const migrations[CSTORE_SCHEMA_VERSION] = {
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;"
    HH_RECORDS_SCHEMA
    "CREATE TABLE field_owners ("
    "  entity_id TEXT NOT NULL, field TEXT NOT NULL, device_id TEXT NOT NULL,"
    "  PRIMARY KEY (entity_id, field)) STRICT, WITHOUT ROWID;"
    "ALTER TABLE households ADD COLUMN change_no INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX households_change ON households(change_no);"
    "CREATE TABLE devices ("
    "  id TEXT PRIMARY KEY, officer TEXT NOT NULL, villages TEXT NOT NULL,"
    "  cert_sha256 TEXT NOT NULL DEFAULT '', enrolled_ms INTEGER NOT NULL DEFAULT 0,"
    "  revoked_ms INTEGER NOT NULL DEFAULT 0, last_seen_ms INTEGER NOT NULL DEFAULT 0,"
    "  acked_seq INTEGER NOT NULL DEFAULT 0) STRICT;"
    "CREATE TABLE enrol_codes ("
    "  code_sha256 TEXT PRIMARY KEY, officer TEXT NOT NULL, villages TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL, used_ms INTEGER,"
    "  device_id TEXT) STRICT;"
    "CREATE TABLE rulebooks ("
    "  version TEXT PRIMARY KEY, text TEXT NOT NULL, created_ms INTEGER NOT NULL,"
    "  current INTEGER NOT NULL DEFAULT 0) STRICT;"
    "CREATE TABLE tiers ("
    "  household_id TEXT PRIMARY KEY REFERENCES households(id),"
    "  tier INTEGER NOT NULL CHECK (tier BETWEEN 1 AND 4), reasons TEXT NOT NULL,"
    "  rulebook TEXT NOT NULL, last_visit_on TEXT, per_capita_yuan INTEGER,"
    "  review TEXT NOT NULL DEFAULT 'computed'"
    "    CHECK (review IN ('computed', 'verified', 'intervening', 'released')),"
    "  change_no INTEGER NOT NULL, computed_ms INTEGER NOT NULL) STRICT;"
    "CREATE INDEX tiers_change ON tiers(change_no);"
    "CREATE TABLE applied ("
    "  device_id TEXT NOT NULL, seq INTEGER NOT NULL, digest BLOB NOT NULL,"
    "  reject_reason INTEGER NOT NULL, detail TEXT NOT NULL, entity TEXT NOT NULL,"
    "  entity_id TEXT NOT NULL, at_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (device_id, seq)) STRICT, WITHOUT ROWID;"
    "CREATE TABLE conflicts ("
    "  id INTEGER PRIMARY KEY, entity_id TEXT NOT NULL, field TEXT NOT NULL,"
    "  kept_value TEXT NOT NULL, kept_hlc INTEGER NOT NULL, kept_device TEXT NOT NULL,"
    "  other_value TEXT NOT NULL, other_hlc INTEGER NOT NULL, other_device TEXT NOT NULL,"
    "  at_ms INTEGER NOT NULL, resolved_ms INTEGER) STRICT;"
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, kind TEXT NOT NULL,"
    "  device_id TEXT, detail TEXT NOT NULL) STRICT;"
    "CREATE TRIGGER audit_append_only_u BEFORE UPDATE ON audit"
    "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "CREATE TRIGGER audit_append_only_d BEFORE DELETE ON audit"
    "  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "INSERT INTO meta (key, value) VALUES ('next_change', '1');",
    /* 2: a code names itself by its first group, so wrong tries can be counted
     * against it and lock it; an id is unique among the codes still usable. */
    "ALTER TABLE enrol_codes ADD COLUMN code_id TEXT;"
    "ALTER TABLE enrol_codes ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE enrol_codes ADD COLUMN locked_ms INTEGER;"
    "CREATE UNIQUE INDEX enrol_codes_open ON enrol_codes(code_id)"
    "  WHERE used_ms IS NULL AND locked_ms IS NULL;"
    /* …and a field's owner keeps the stamp it sent, when the collector replaced
     * one that was ahead of its clock (collector/merge.c). */
    "ALTER TABLE field_owners ADD COLUMN sent_hlc INTEGER NOT NULL DEFAULT 0;",
    /* 3: a pull reads the device's villages only: tiers carry their village,
     * and both change streams are indexed by village and change number. The
     * review check is a chain of comparisons: an IN list makes SQLite build and
     * drop a temporary table on every write of the row. */
    "CREATE TABLE tiers3 ("
    "  household_id TEXT PRIMARY KEY REFERENCES households(id),"
    "  village_code TEXT NOT NULL,"
    "  tier INTEGER NOT NULL CHECK (tier BETWEEN 1 AND 4), reasons TEXT NOT NULL,"
    "  rulebook TEXT NOT NULL, last_visit_on TEXT, per_capita_yuan INTEGER,"
    "  review TEXT NOT NULL DEFAULT 'computed'"
    "    CHECK (review = 'computed' OR review = 'verified' OR review = 'intervening'"
    "           OR review = 'released'),"
    "  change_no INTEGER NOT NULL, computed_ms INTEGER NOT NULL) STRICT;"
    "INSERT INTO tiers3 SELECT t.household_id, h.village_code, t.tier, t.reasons, t.rulebook,"
    "  t.last_visit_on, t.per_capita_yuan, t.review, t.change_no, t.computed_ms"
    "  FROM tiers t JOIN households h ON h.id = t.household_id;"
    "DROP TABLE tiers;"
    "ALTER TABLE tiers3 RENAME TO tiers;"
    "CREATE INDEX tiers_village_change ON tiers(village_code, change_no);"
    "DROP INDEX households_change;"
    "CREATE INDEX households_village_change ON households(village_code, change_no);",
    /* 4: acting on warnings. Records are compared, not refused: one ID number
     * in two households, one registry number in two villages. The review
     * lifecycle (DESIGN 2): the state stays on the tier (devices pull it);
     * each warning is a case with its steps and measures; accounts act on it.
     * A refused change keeps its content, for a reviewer to accept later. */
    HH_RECORDS_NOT_UNIQUE(", change_no INTEGER NOT NULL DEFAULT 0")
    "CREATE INDEX households_village_change ON households(village_code, change_no);"
    "CREATE TABLE tiers4 ("
    "  household_id TEXT PRIMARY KEY REFERENCES households(id),"
    "  village_code TEXT NOT NULL,"
    "  tier INTEGER NOT NULL CHECK (tier BETWEEN 1 AND 4), reasons TEXT NOT NULL,"
    "  rulebook TEXT NOT NULL, last_visit_on TEXT, per_capita_yuan INTEGER,"
    "  review TEXT NOT NULL DEFAULT 'computed' CHECK (" HH_REVIEW_STATE_CHECK("review") "),"
    "  change_no INTEGER NOT NULL, computed_ms INTEGER NOT NULL,"
    "  since_ms INTEGER NOT NULL) STRICT;"
    "INSERT INTO tiers4 SELECT household_id, village_code, tier, reasons, rulebook, last_visit_on,"
    "  per_capita_yuan, CASE review WHEN 'intervening' THEN 'monitored' ELSE review END,"
    "  change_no, computed_ms, computed_ms FROM tiers;"
    "DROP TABLE tiers;"
    "ALTER TABLE tiers4 RENAME TO tiers;"
    "CREATE INDEX tiers_village_change ON tiers(village_code, change_no);"
    "CREATE INDEX tiers_review ON tiers(review, tier);"
    "CREATE TABLE accounts ("
    "  name TEXT PRIMARY KEY,"
    "  role TEXT NOT NULL CHECK (role = 'reviewer' OR role = 'admin'),"
    "  level TEXT NOT NULL CHECK (level = 'village' OR level = 'township' OR level = 'county'),"
    "  scope TEXT NOT NULL, password TEXT NOT NULL, created_ms INTEGER NOT NULL,"
    "  disabled_ms INTEGER) STRICT;"
    "CREATE TABLE cases ("
    "  id INTEGER PRIMARY KEY, household_id TEXT NOT NULL REFERENCES households(id),"
    "  opened_ms INTEGER NOT NULL, state_ms INTEGER NOT NULL, notice_until_ms INTEGER,"
    "  consent INTEGER NOT NULL DEFAULT 0, category TEXT, closed_ms INTEGER) STRICT;"
    "CREATE INDEX cases_household ON cases(household_id, id);"
    "CREATE TABLE review_steps ("
    "  id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases(id),"
    "  at_ms INTEGER NOT NULL, account TEXT NOT NULL, action TEXT NOT NULL,"
    "  from_state TEXT NOT NULL, to_state TEXT NOT NULL, note TEXT NOT NULL) STRICT;"
    "CREATE INDEX review_steps_case ON review_steps(case_id, id);"
    "CREATE TABLE measures ("
    "  id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases(id),"
    "  household_id TEXT NOT NULL, measure TEXT NOT NULL, responsible TEXT NOT NULL,"
    "  due_on TEXT NOT NULL, opened_ms INTEGER NOT NULL, closed_ms INTEGER) STRICT;"
    "CREATE INDEX measures_household ON measures(household_id, closed_ms);"
    "CREATE TABLE duplicates ("
    "  id INTEGER PRIMARY KEY,"
    "  kind TEXT NOT NULL CHECK (kind = 'id_number' OR kind = 'registry_no' OR kind = 'id_mismatch'),"
    "  household_a TEXT NOT NULL, member_a TEXT NOT NULL, household_b TEXT NOT NULL,"
    "  member_b TEXT NOT NULL, detail TEXT NOT NULL, found_ms INTEGER NOT NULL,"
    "  resolved_ms INTEGER, resolution TEXT, account TEXT, note TEXT) STRICT;"
    "CREATE UNIQUE INDEX duplicates_pair ON duplicates(kind, household_a, member_a, household_b, member_b,"
    "  detail);"
    "ALTER TABLE applied ADD COLUMN body BLOB;"
    "ALTER TABLE applied ADD COLUMN household_id TEXT;"
    "ALTER TABLE applied ADD COLUMN field TEXT;"
    "ALTER TABLE applied ADD COLUMN outcome TEXT"
    "  CHECK (outcome IS NULL OR outcome = 'accepted' OR outcome = 'discarded');"
    "ALTER TABLE applied ADD COLUMN outcome_note TEXT;"
    "ALTER TABLE applied ADD COLUMN outcome_account TEXT;"
    "ALTER TABLE applied ADD COLUMN outcome_ms INTEGER;"
    "ALTER TABLE conflicts ADD COLUMN account TEXT;"
    "ALTER TABLE conflicts ADD COLUMN decision TEXT;"
    "ALTER TABLE conflicts ADD COLUMN note TEXT;"
    "ALTER TABLE audit ADD COLUMN account TEXT;",
    /* 5: a pull brings each household's latest visits, but not those the
     * device itself sent: found by entity. */
    "CREATE INDEX applied_entity ON applied(entity_id, device_id);",
    /* 6: each device's health as its last sync reported it, for the console. */
    "ALTER TABLE devices ADD COLUMN health_ms INTEGER;"
    "ALTER TABLE devices ADD COLUMN outbox_depth INTEGER;"
    "ALTER TABLE devices ADD COLUMN oldest_unsent_age_ms INTEGER;"
    "ALTER TABLE devices ADD COLUMN clock_skew_ms INTEGER;"
    "ALTER TABLE devices ADD COLUMN agent_version TEXT;",
    /* 7: households per village and tier, month by month, as the serving
     * collector last counted them in each month (the console's history). */
    "CREATE TABLE tier_months ("
    "  month TEXT NOT NULL, village_code TEXT NOT NULL, tier INTEGER NOT NULL,"
    "  households INTEGER NOT NULL, PRIMARY KEY (month, village_code, tier)) STRICT, WITHOUT ROWID;",
    /* 8: ID numbers also as a keyed hash, compared by it (sync/records.h); the
     * key is made when the database is next opened for writing. */
    HH_RECORDS_ID_KEY,
    /* 9: whether a device sent a visit, answered by the index alone (a pull
     * asks it of each household's latest visits). */
    ("DROP INDEX applied_entity;"
     "CREATE INDEX applied_entity ON applied(entity_id, device_id, reject_reason);"),
    /* 10: a household's open measures in the order a pull lists them, read
     * from the index without a sort for each tier pulled. */
    ("DROP INDEX measures_household;"
     "CREATE INDEX measures_household ON measures(household_id, closed_ms, due_on, id);"),
};

struct hh_cstore {
    sqlite3 *db;
    hh_sqlcache sql;
    int in_tx;
    /* Inside a write transaction the change counter lives here, and is
     * written back once, just before the commit. */
    uint64_t next_change;
    int next_change_loaded, next_change_dirty;
    hh_rulebook rules;         /* the rulebook in force, parsed once */
};

hh_sqlcache *hh_cstore_sql(hh_cstore *s)
{
    return &s->sql;
}

const hh_rulebook *hh_cstore_rules(const hh_cstore *s)
{
    return &s->rules;
}

/* A connection is used by one thread at a time (the writer under the sync
 * service's lock, a reader by its server thread): SQLite's own locking of
 * every call is not needed. */
static hh_err connect(const char *path, int flags, hh_cstore **out, hh_diag *d)
{
    hh_cstore *s = calloc(1, sizeof *s);

    *out = NULL;
    if (!s)
        return HH_ENOMEM;
    if (hh_platform_private_db(path, flags & SQLITE_OPEN_CREATE) != HH_OK) {
        free(s);
        return hh_diag_fail(d, HH_EIO, "database", "cannot create %s", path);
    }
    if (sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        sqlite3_exec(s->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                            "PRAGMA foreign_keys = ON;"
                            /* A server's memory: 64 MiB of pages cached per
                             * connection, not read from the file again. (Mapping
                             * the file as well measured slower with many readers.)
                             * The WAL is folded into the database every 8000
                             * pages (32 MiB), not 1000: a page written by many
                             * commits in between is written back once (about
                             * 10 % more visits/s at 32 devices, three paired runs). */
                            "PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 8000;"
                            "PRAGMA temp_store = MEMORY;",
                     NULL, NULL, NULL) != SQLITE_OK) {
        hh_err ret = hh_diag_fail(d, HH_EDB, "database", "cannot open %s: %s", path,
                                  s->db ? sqlite3_errmsg(s->db) : "out of memory");
        sqlite3_close(s->db);
        free(s);
        return ret;
    }
    sqlite3_busy_timeout(s->db, 10000);
    hh_sqlcache_init(&s->sql, s->db);
    *out = s;
    return HH_OK;
}

static hh_err migrate(hh_cstore *s, hh_diag *d)
{
    return hh_sql_migrate(s->db, migrations, CSTORE_SCHEMA_VERSION, "hearthd", d);
}

static hh_err id_key_load(hh_cstore *s, int writer);

void hh_cstore_library_init(void)
{
    /* No global memory statistics: they take a mutex on every allocation,
     * and the collector allocates on many threads. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

hh_err hh_cstore_create(const char *path, hh_cstore **out, hh_diag *d)
{
    const char *text = hh_rulebook_default_text();
    hh_err ret;

    if (hh_platform_exists(path))
        return hh_diag_fail(d, HH_EEXIST, "database", "%s already exists", path);
    if ((ret = connect(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, out, d)) != HH_OK)
        return ret;
    if ((ret = migrate(*out, d)) != HH_OK ||
        (ret = hh_cstore_rulebook_set(*out, text, strlen(text), d)) != HH_OK ||
        (ret = id_key_load(*out, 1)) != HH_OK) {
        hh_cstore_close(*out);
        *out = NULL;
        hh_platform_remove(path);
    }
    return ret;
}

/* The county's key for the keyed hash of ID numbers: made once (random) by
 * a writer, kept in meta as hex, set on the connection. */
static hh_err id_key_load(hh_cstore *s, int writer)
{
    static const char get[] = "SELECT value FROM meta WHERE key = 'id_key'";
    char hex[2 * HH_ID_KEY_LEN + 1] = "";
    uint8_t key[HH_ID_KEY_LEN];
    sqlite3_stmt *st = hh_sql(&s->sql, get);
    hh_err ret = HH_OK;
    int made;

    if (!st)
        return HH_EDB;
    if (sqlite3_step(st) == SQLITE_ROW)
        ret = hh_sql_col_text(st, 0, hex, sizeof hex);
    sqlite3_reset(st);
    if (ret != HH_OK)
        return HH_ECORRUPT;
    made = !hex[0];
    if (made) {
        if (!writer)
            return HH_OK;   /* the writer makes it */
        if (hh_platform_random(key, sizeof key) != HH_OK)
            return HH_EIO;
        hh_hex_encode(key, sizeof key, hex);
        explicit_bzero(key, sizeof key);
        if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            return HH_EDB;
        st = hh_sql(&s->sql, "INSERT INTO meta (key, value) VALUES ('id_key', ?1)");
        if (!st || (hh_sql_bind_text(st, 1, hex), hh_sql_done(st)) != HH_OK ||
            sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return HH_EDB;
        }
    }
    ret = hh_records_set_id_key(&s->sql, hex);
    explicit_bzero(hex, sizeof hex);
    if (ret != HH_OK)
        return ret;
    /* The members the collector held before it had a key (schema 8 came
     * with none) get their hash once, when the key is made; every member
     * written since gets it as it is written. */
    return made ? hh_records_fill_id_keys(&s->sql) : HH_OK;
}

hh_err hh_cstore_id_key(hh_cstore *s, uint8_t key[HH_ID_KEY_LEN])
{
    if (!s->sql.id_key.set)
        return HH_ENOTFOUND;
    memcpy(key, s->sql.id_key.key, HH_ID_KEY_LEN);
    return HH_OK;
}

hh_err hh_cstore_open(const char *path, hh_cstore **out, hh_diag *d)
{
    hh_err ret;

    if (!hh_platform_exists(path))
        return hh_diag_fail(d, HH_ENOTFOUND, "database",
                            "no collector database at %s (run `hearthd init` first)", path);
    if ((ret = connect(path, SQLITE_OPEN_READWRITE, out, d)) != HH_OK)
        return ret;
    if ((ret = migrate(*out, d)) != HH_OK ||
        (ret = hh_cstore_rulebook(*out, &(*out)->rules, NULL, 0)) != HH_OK ||
        (ret = id_key_load(*out, 1)) != HH_OK) {
        if (ret == HH_ECORRUPT)
            hh_diag_fail(d, ret, "database", "the stored rulebook or ID-number key is damaged");
        hh_cstore_close(*out);
        *out = NULL;
    }
    return ret;
}

hh_err hh_cstore_open_reader(const char *path, hh_cstore **out, hh_diag *d)
{
    hh_err ret;

    if ((ret = connect(path, SQLITE_OPEN_READWRITE, out, d)) != HH_OK)
        return ret;
    if (sqlite3_exec((*out)->db, "PRAGMA query_only = 1", NULL, NULL, NULL) != SQLITE_OK)
        ret = hh_diag_fail(d, HH_EDB, "database", "cannot open %s for reading", path);
    else if ((ret = hh_cstore_rulebook(*out, &(*out)->rules, NULL, 0)) != HH_OK)
        hh_diag_fail(d, ret, "database", "cannot read the rulebook from %s", path);
    else if ((ret = id_key_load(*out, 0)) != HH_OK)
        hh_diag_fail(d, ret, "database", "cannot read the ID-number key from %s", path);
    if (ret != HH_OK) {
        hh_cstore_close(*out);
        *out = NULL;
    }
    return ret;
}

void hh_cstore_close(hh_cstore *s)
{
    if (!s)
        return;
    if (s->in_tx)
        hh_cstore_rollback(s);
    hh_sqlcache_free(&s->sql);
    sqlite3_close(s->db);
    free(s);
}

static hh_err refresh_rules(hh_cstore *s);

hh_err hh_cstore_begin(hh_cstore *s)
{
    hh_err ret;

    if (s->in_tx || sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return HH_EDB;
    s->in_tx = 1;
    s->next_change_loaded = s->next_change_dirty = 0;
    /* Tiers computed in this transaction use the rulebook in force now. */
    if ((ret = refresh_rules(s)) != HH_OK)
        hh_cstore_rollback(s);
    return ret;
}

hh_err hh_cstore_begin_read(hh_cstore *s)
{
    hh_err ret;

    if (s->in_tx || sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return HH_EDB;
    s->in_tx = 1;
    /* The first read starts the snapshot; the rulebook is read in it. */
    if ((ret = refresh_rules(s)) != HH_OK)
        hh_cstore_rollback(s);
    return ret;
}

hh_err hh_cstore_savepoint(hh_cstore *s)
{
    if (!s->in_tx)
        return HH_EINVAL;
    return sqlite3_exec(s->db, "SAVEPOINT push", NULL, NULL, NULL) == SQLITE_OK ? HH_OK : HH_EDB;
}

hh_err hh_cstore_savepoint_end(hh_cstore *s, int keep)
{
    if (!keep && sqlite3_exec(s->db, "ROLLBACK TO push", NULL, NULL, NULL) != SQLITE_OK)
        return HH_EDB;
    return sqlite3_exec(s->db, "RELEASE push", NULL, NULL, NULL) == SQLITE_OK ? HH_OK : HH_EDB;
}

static hh_err next_change_store(hh_cstore *s);

hh_err hh_cstore_commit(hh_cstore *s)
{
    if (!s->in_tx)
        return HH_EINVAL;
    if (next_change_store(s) != HH_OK || sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        hh_cstore_rollback(s);
        return HH_EDB;
    }
    s->in_tx = 0;
    return HH_OK;
}

void hh_cstore_rollback(hh_cstore *s)
{
    if (s->in_tx)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    s->in_tx = 0;
    s->next_change_loaded = s->next_change_dirty = 0;
}

/* ---- villages -------------------------------------------------------------------- */

hh_err hh_villages_parse(const char *text, char out[HH_VILLAGES_TEXT_MAX + 1], hh_diag *d)
{
    size_t used = 0;
    int count = 0;
    const char *p = text;

    out[0] = '\0';
    while (*p) {
        size_t n = strcspn(p, ",");
        char code[HH_VILLAGE_CODE_LEN + 1];
        if (n != HH_VILLAGE_CODE_LEN)
            return hh_diag_fail(d, HH_EINVAL, "villages", "each village code must be 12 digits");
        memcpy(code, p, n);
        code[n] = '\0';
        if (hh_validate_village_code(code, d) != HH_OK)
            return hh_diag_fail(d, HH_EINVAL, "villages", "'%s' is not a village code", code);
        if (++count > HH_VILLAGES_MAX)
            return hh_diag_fail(d, HH_ERANGE, "villages", "at most %d villages", HH_VILLAGES_MAX);
        if (!hh_villages_contain(out, code)) {
            used += (size_t)snprintf(out + used, HH_VILLAGES_TEXT_MAX + 1 - used, "%s%s",
                                     used ? "," : "", code);
        }
        p += n;
        if (*p == ',')
            p++;
    }
    if (count == 0)
        return hh_diag_fail(d, HH_EINVAL, "villages", "give at least one village code");
    return HH_OK;
}

hh_err hh_cstore_device_sent(hh_cstore *s, const char *device_id, const char *entity_id, int *sent)
{
    static const char sql[] =
        "SELECT 1 FROM applied INDEXED BY applied_entity"
        " WHERE entity_id = ?1 AND device_id = ?2 AND reject_reason = 0 LIMIT 1";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);
    int rc;

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, entity_id);
    hh_sql_bind_text(st, 2, device_id);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return hh_sql_err(rc);
    *sent = rc == SQLITE_ROW;
    return HH_OK;
}

/* ---- devices and codes ------------------------------------------------------------ */

static void code_digest(const char *code, char hex[65])
{
    unsigned char hash[32];

    mbedtls_sha256((const unsigned char *)code, strlen(code), hash, 0);
    hh_hex_encode(hash, sizeof hash, hex);
}

/* The public part of a code: its first group ("ABCD" of "ABCD-EFGH-JKLM"). */
static void code_id_of(const char *code, char out[HH_ENROL_CODE_ID_LEN + 1])
{
    snprintf(out, HH_ENROL_CODE_ID_LEN + 1, "%s", code);
}

hh_err hh_cstore_code_add(hh_cstore *s, const char *code, const char *officer,
                          const char *villages, uint64_t expires_ms)
{
    static const char sql[] =
        "INSERT INTO enrol_codes (code_sha256, officer, villages, created_ms, expires_ms, code_id)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);
    char digest[65], id[HH_ENROL_CODE_ID_LEN + 1];
    int rc;

    if (!st)
        return HH_EDB;
    if (strlen(code) <= HH_ENROL_CODE_ID_LEN)
        return HH_EINVAL;
    code_digest(code, digest);
    code_id_of(code, id);
    hh_sql_bind_text(st, 1, digest);
    hh_sql_bind_text(st, 2, officer);
    hh_sql_bind_text(st, 3, villages);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)hh_platform_wall_ms());
    sqlite3_bind_int64(st, 5, (sqlite3_int64)expires_ms);
    hh_sql_bind_text(st, 6, id);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_CONSTRAINT)
        return HH_EEXIST;   /* another usable code has that first group: draw again */
    return rc == SQLITE_DONE ? HH_OK : HH_EDB;
}

static hh_err read_device(sqlite3_stmt *st, hh_device *out)
{
    memset(out, 0, sizeof *out);
    if (hh_sql_col_text(st, 0, out->id, sizeof out->id) != HH_OK ||
        hh_sql_col_text(st, 1, out->officer, sizeof out->officer) != HH_OK ||
        hh_sql_col_text(st, 2, out->villages, sizeof out->villages) != HH_OK ||
        hh_sql_col_text(st, 3, out->cert_sha256, sizeof out->cert_sha256) != HH_OK)
        return HH_ECORRUPT;
    out->enrolled_ms = (uint64_t)sqlite3_column_int64(st, 4);
    out->revoked_ms = (uint64_t)sqlite3_column_int64(st, 5);
    out->last_seen_ms = (uint64_t)sqlite3_column_int64(st, 6);
    out->acked_seq = (uint64_t)sqlite3_column_int64(st, 7);
    if (sqlite3_column_type(st, 8) != SQLITE_NULL) {
        out->health.known = 1;
        out->health.outbox_depth = (uint32_t)sqlite3_column_int64(st, 9);
        out->health.oldest_unsent_age_ms = (uint64_t)sqlite3_column_int64(st, 10);
        out->health.clock_skew_ms = sqlite3_column_int64(st, 11);
        if (hh_sql_col_text(st, 12, out->health.agent_version, sizeof out->health.agent_version) != HH_OK)
            return HH_ECORRUPT;
    }
    return HH_OK;
}

#define DEVICE_COLS "id, officer, villages, cert_sha256, enrolled_ms, revoked_ms, last_seen_ms, acked_seq," \
    " health_ms, outbox_depth, oldest_unsent_age_ms, clock_skew_ms, ifnull(agent_version, '')"

hh_err hh_cstore_device_get(hh_cstore *s, const char *id, hh_device *out)
{
    static const char sql[] = "SELECT " DEVICE_COLS " FROM devices WHERE id = ?1";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);
    hh_err ret;
    int rc;

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, id);
    rc = sqlite3_step(st);
    ret = rc == SQLITE_ROW ? read_device(st, out) : rc == SQLITE_DONE ? HH_ENOTFOUND : HH_EDB;
    sqlite3_reset(st);
    return ret;
}

/* A wrong code whose first group names a usable code counts against that code;
 * the HH_ENROL_CODE_TRIES-th wrong try locks it. */
static hh_err code_wrong_try(hh_cstore *s, const char *code, uint64_t now_ms)
{
    static const char sql[] =
        "UPDATE enrol_codes SET failures = failures + 1,"
        " locked_ms = CASE WHEN failures + 1 >= ?3 THEN ?2 END"
        " WHERE code_id = ?1 AND used_ms IS NULL AND locked_ms IS NULL";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);
    char id[HH_ENROL_CODE_ID_LEN + 1];

    if (!st)
        return HH_EDB;
    code_id_of(code, id);
    hh_sql_bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)now_ms);
    sqlite3_bind_int(st, 3, HH_ENROL_CODE_TRIES);
    return hh_sql_done(st);
}

hh_err hh_cstore_code_redeem(hh_cstore *s, const char *code, const char *device_id,
                             const char *cert_sha256, uint64_t now_ms, hh_device *out)
{
    static const char find[] =
        "SELECT officer, villages, expires_ms, used_ms, locked_ms FROM enrol_codes"
        " WHERE code_sha256 = ?1";
    static const char spend[] =
        "UPDATE enrol_codes SET used_ms = ?2, device_id = ?3 WHERE code_sha256 = ?1";
    /* A new identity every time: an id the collector knows is never handed to
     * another key, and a revoked one never comes back. */
    static const char enrol[] =
        "INSERT INTO devices (id, officer, villages, cert_sha256, enrolled_ms) VALUES (?1, ?2, ?3, ?4, ?5)";
    sqlite3_stmt *st = hh_sql(&s->sql, find);
    char digest[65], officer[HH_OFFICER_MAX + 1], villages[HH_VILLAGES_TEXT_MAX + 1];
    uint64_t expires_ms;
    int used, locked, rc;
    hh_err ret;

    if (!st)
        return HH_EDB;
    code_digest(code, digest);
    hh_sql_bind_text(st, 1, digest);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return HH_EDB;
        return (ret = code_wrong_try(s, code, now_ms)) != HH_OK ? ret : HH_ENOTFOUND;
    }
    ret = hh_sql_col_text(st, 0, officer, sizeof officer);
    if (ret == HH_OK)
        ret = hh_sql_col_text(st, 1, villages, sizeof villages);
    expires_ms = (uint64_t)sqlite3_column_int64(st, 2);
    used = sqlite3_column_type(st, 3) != SQLITE_NULL;
    locked = sqlite3_column_type(st, 4) != SQLITE_NULL;
    sqlite3_reset(st);
    if (ret != HH_OK)
        return ret;
    if (used)
        return HH_EEXIST;
    if (locked)
        return HH_EREJECTED;
    if (now_ms > expires_ms)
        return HH_ERANGE;
    if (!(st = hh_sql(&s->sql, spend)))
        return HH_EDB;
    hh_sql_bind_text(st, 1, digest);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)now_ms);
    hh_sql_bind_text(st, 3, device_id);
    if ((ret = hh_sql_done(st)) != HH_OK)
        return ret;
    if (!(st = hh_sql(&s->sql, enrol)))
        return HH_EDB;
    hh_sql_bind_text(st, 1, device_id);
    hh_sql_bind_text(st, 2, officer);
    hh_sql_bind_text(st, 3, villages);
    hh_sql_bind_text(st, 4, cert_sha256);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)now_ms);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_CONSTRAINT)
        return HH_ECONFLICT;
    if (rc != SQLITE_DONE)
        return HH_EDB;
    return hh_cstore_device_get(s, device_id, out);
}

hh_err hh_cstore_device_revoke(hh_cstore *s, const char *id, uint64_t now_ms)
{
    static const char sql[] = "UPDATE devices SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms = 0";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);
    hh_err ret;

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)now_ms);
    if ((ret = hh_sql_done(st)) != HH_OK)
        return ret;
    return sqlite3_changes(s->db) == 1 ? HH_OK : HH_ENOTFOUND;
}

hh_err hh_cstore_device_seen(hh_cstore *s, const char *id, uint64_t acked_seq, uint64_t now_ms,
                             const hh_device_health *health)
{
    static const char sql[] =
        "UPDATE devices SET last_seen_ms = ?2, acked_seq = max(acked_seq, ?3),"
        " health_ms = CASE WHEN ?4 THEN ?2 ELSE health_ms END,"
        " outbox_depth = CASE WHEN ?4 THEN ?5 ELSE outbox_depth END,"
        " oldest_unsent_age_ms = CASE WHEN ?4 THEN ?6 ELSE oldest_unsent_age_ms END,"
        " clock_skew_ms = CASE WHEN ?4 THEN ?7 ELSE clock_skew_ms END,"
        " agent_version = CASE WHEN ?4 THEN ?8 ELSE agent_version END WHERE id = ?1";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);
    int known = health && health->known;

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)now_ms);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)acked_seq);
    sqlite3_bind_int(st, 4, known);
    sqlite3_bind_int64(st, 5, known ? (sqlite3_int64)health->outbox_depth : 0);
    sqlite3_bind_int64(st, 6, known ? (sqlite3_int64)health->oldest_unsent_age_ms : 0);
    sqlite3_bind_int64(st, 7, known ? (sqlite3_int64)health->clock_skew_ms : 0);
    hh_sql_bind_text(st, 8, known ? health->agent_version : "");
    return hh_sql_done(st);
}

typedef struct device_rows {
    hh_device_cb cb;
    void *ctx;
} device_rows;

static hh_err device_row(sqlite3_stmt *st, void *ctx, int *stop)
{
    device_rows *r = ctx;
    hh_device dev;
    hh_err ret = read_device(st, &dev);

    if (ret == HH_OK)
        *stop = r->cb(r->ctx, &dev);
    return ret;
}

hh_err hh_cstore_each_device(hh_cstore *s, hh_device_cb cb, void *ctx)
{
    static const char sql[] = "SELECT " DEVICE_COLS " FROM devices WHERE ?1 IS NULL ORDER BY enrolled_ms, id";
    device_rows r = { cb, ctx };

    return hh_sql_each_row(s->db, sql, NULL, device_row, &r);
}

/* ---- rulebooks -------------------------------------------------------------------- */

hh_err hh_cstore_rulebook(hh_cstore *s, hh_rulebook *out, char *text, size_t cap)
{
    static const char sql[] = "SELECT text FROM rulebooks WHERE current = 1";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);
    char buf[HH_RULEBOOK_TEXT_MAX + 1];
    hh_err ret;

    if (!st)
        return HH_EDB;
    ret = sqlite3_step(st) == SQLITE_ROW ? hh_sql_col_text(st, 0, buf, sizeof buf) : HH_ECORRUPT;
    sqlite3_reset(st);
    if (ret != HH_OK)
        return ret;
    if (hh_rulebook_parse(buf, strlen(buf), out, NULL) != HH_OK)
        return HH_ECORRUPT;
    if (text) {
        if (strlen(buf) >= cap)
            return HH_ERANGE;
        memcpy(text, buf, strlen(buf) + 1);
    }
    return HH_OK;
}

/* Another process (`hearthd rulebook set`) may have put a new rulebook in
 * force: compare the version, a one-row read, and parse again only if it moved. */
static hh_err refresh_rules(hh_cstore *s)
{
    static const char sql[] = "SELECT version FROM rulebooks WHERE current = 1";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);
    char version[HH_RULEBOOK_VERSION_MAX + 1] = "";
    hh_err ret = HH_OK;      /* no rulebook yet (init is setting the first): nothing to do */

    if (!st)
        return HH_EDB;
    if (sqlite3_step(st) == SQLITE_ROW)
        ret = hh_sql_col_text(st, 0, version, sizeof version);
    sqlite3_reset(st);
    if (ret == HH_OK && version[0] == '\0')
        return HH_OK;
    if (ret != HH_OK || strcmp(version, s->rules.version) == 0)
        return ret;
    return hh_cstore_rulebook(s, &s->rules, NULL, 0);
}

const hh_rulebook *hh_cstore_rulebook_current(hh_cstore *s)
{
    refresh_rules(s);
    return &s->rules;
}

static int collect_household(void *ctx, const hh_household *h)
{
    hh_buf *ids = ctx;

    return hh_buf_append(ids, h->id, sizeof h->id) != HH_OK;
}

hh_err hh_cstore_rulebook_set(hh_cstore *s, const char *text, size_t len, hh_diag *d)
{
    static const char clear[] = "UPDATE rulebooks SET current = 0";
    static const char put[] =
        "INSERT INTO rulebooks (version, text, created_ms, current) VALUES (?1, ?2, ?3, 1)"
        " ON CONFLICT (version) DO UPDATE SET current = 1 WHERE text = excluded.text";
    hh_rulebook rules;
    sqlite3_stmt *st;
    hh_buf ids;
    char *copy;
    hh_err ret;

    if ((ret = hh_rulebook_parse(text, len, &rules, d)) != HH_OK)
        return ret;
    if (!(copy = malloc(len + 1)))
        return HH_ENOMEM;
    memcpy(copy, text, len);
    copy[len] = '\0';
    hh_buf_init(&ids, 1u << 30);
    if ((ret = hh_cstore_begin(s)) != HH_OK)
        goto cleanup;
    ret = HH_EDB;
    if (!(st = hh_sql(&s->sql, clear)) || hh_sql_done(st) != HH_OK || !(st = hh_sql(&s->sql, put)))
        goto rollback;
    hh_sql_bind_text(st, 1, rules.version);
    hh_sql_bind_text(st, 2, copy);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)hh_platform_wall_ms());
    if (hh_sql_done(st) != HH_OK)
        goto rollback;
    if (sqlite3_changes(s->db) != 1) {
        ret = hh_diag_fail(d, HH_ECONFLICT, "version",
                           "'%s' is already in use with other content: give the new rulebook a new version",
                           rules.version);
        goto rollback;
    }
    /* Every tier is judged again under the new rulebook. */
    s->rules = rules;
    if ((ret = hh_records_each_household(&s->sql, NULL, collect_household, &ids)) != HH_OK)
        goto rollback;
    for (size_t off = 0; off + HH_UUID_LEN < ids.len; off += HH_UUID_LEN + 1)
        if ((ret = hh_cstore_tier_recompute(s, ids.data + off)) != HH_OK)
            goto rollback;
    if ((ret = hh_cstore_audit(s, "rulebook", NULL, rules.version)) != HH_OK)
        goto rollback;
    ret = hh_cstore_commit(s);
    goto cleanup;
rollback:
    hh_cstore_rollback(s);
    hh_cstore_rulebook(s, &s->rules, NULL, 0);   /* back to the one in force */
cleanup:
    hh_buf_free(&ids);
    free(copy);
    return ret;
}

/* ---- sync bookkeeping ---------------------------------------------------------------- */

hh_err hh_cstore_applied_high(hh_cstore *s, const char *device_id, uint64_t *out)
{
    static const char sql[] = "SELECT coalesce(max(seq), 0) FROM applied WHERE device_id = ?1";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);
    int rc;

    *out = 0;
    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, device_id);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW)
        *out = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? HH_OK : HH_EDB;
}

hh_err hh_cstore_applied_get(hh_cstore *s, const char *device_id, uint64_t seq, hh_applied *out)
{
    static const char sql[] =
        "SELECT digest, reject_reason, detail FROM applied WHERE device_id = ?1 AND seq = ?2";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);
    hh_err ret = HH_OK;

    memset(out, 0, sizeof *out);
    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, device_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
    if (sqlite3_step(st) == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) != 32)
            ret = HH_ECORRUPT;
        else
            memcpy(out->digest, sqlite3_column_blob(st, 0), 32);
        out->found = 1;
        out->reject_reason = sqlite3_column_int(st, 1);
        if (ret == HH_OK)
            ret = hh_sql_col_text(st, 2, out->detail, sizeof out->detail);
    }
    sqlite3_reset(st);
    return ret;
}

hh_err hh_cstore_applied_put(hh_cstore *s, const char *device_id, uint64_t seq,
                             const uint8_t digest[32], const hh_refusal *refused, const char *entity,
                             const char *entity_id, uint64_t now_ms)
{
    static const char sql[] =
        "INSERT INTO applied (device_id, seq, digest, reject_reason, detail, entity, entity_id, at_ms,"
        " body, household_id, field) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, device_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
    sqlite3_bind_blob(st, 3, digest, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 4, refused ? refused->reason : 0);
    hh_sql_bind_text(st, 5, refused ? refused->detail : "");
    hh_sql_bind_text(st, 6, entity);
    hh_sql_bind_text(st, 7, entity_id);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)now_ms);
    if (refused) {
        if (refused->body_len <= HH_REFUSED_BODY_MAX)
            sqlite3_bind_blob(st, 9, refused->body, (int)refused->body_len, SQLITE_STATIC);
        hh_sql_bind_optional(st, 10, refused->household_id);
        hh_sql_bind_optional(st, 11, refused->field);
    }
    return hh_sql_done(st);
}

hh_err hh_cstore_audit(hh_cstore *s, const char *kind, const char *device_id, const char *detail)
{
    static const char sql[] =
        "INSERT INTO audit (at_ms, kind, device_id, detail) VALUES (?1, ?2, ?3, ?4)";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);

    if (!st)
        return HH_EDB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)hh_platform_wall_ms());
    hh_sql_bind_text(st, 2, kind);
    hh_sql_bind_optional(st, 3, device_id);
    hh_sql_bind_text(st, 4, detail);
    return hh_sql_done(st);
}

static hh_err next_change_store(hh_cstore *s)
{
    static const char sql[] = "UPDATE meta SET value = CAST(?1 AS TEXT) WHERE key = 'next_change'";
    sqlite3_stmt *st;

    if (!s->next_change_dirty)
        return HH_OK;
    if (!(st = hh_sql(&s->sql, sql)))
        return HH_EDB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)s->next_change);
    s->next_change_dirty = 0;
    return hh_sql_done(st);
}

hh_err hh_cstore_next_change(hh_cstore *s, uint64_t *out)
{
    static const char sql[] = "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'next_change'";
    sqlite3_stmt *st;
    hh_err ret = HH_EDB;

    if (!s->in_tx)
        return HH_EINVAL;
    if (!s->next_change_loaded) {
        if (!(st = hh_sql(&s->sql, sql)))
            return HH_EDB;
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0) {
            s->next_change = (uint64_t)sqlite3_column_int64(st, 0);
            s->next_change_loaded = 1;
            ret = HH_OK;
        }
        sqlite3_reset(st);
        if (ret != HH_OK)
            return ret;
    }
    *out = s->next_change++;
    s->next_change_dirty = 1;
    return HH_OK;
}

hh_err hh_cstore_tier_recompute(hh_cstore *s, const char *household_id)
{
    return hh_cstore_tier_recompute_seen(s, household_id, NULL);
}

hh_err hh_cstore_tier_recompute_seen(hh_cstore *s, const char *household_id, hh_latest_ids *seen)
{
    /* One statement, the stored row deciding in the same write (in an
     * upsert's SET, tiers.* is the row as it was):
     *  - a red household stays red while its warning is open (not released
     *    or dismissed), with the reason warning_open when its visits alone
     *    would not make it red;
     *  - after a release or a dismissal, a later visit that is red opens a
     *    new warning: the review starts again at computed;
     *  - since_ms is when the review state last changed, or when a green
     *    household became a warning: the review's time limits count from it. */
#define OPEN "(tiers.review <> 'released' AND tiers.review <> 'dismissed')"
#define HELD "(tiers.tier = 4 AND " OPEN ")"
#define NEW_WARNING "(NOT " OPEN " AND excluded.tier = 4" \
                    " AND excluded.last_visit_on > ifnull(tiers.last_visit_on, ''))"
    static const char upsert[] =
        "INSERT INTO tiers (household_id, tier, reasons, rulebook, last_visit_on, per_capita_yuan,"
        " review, change_no, computed_ms, village_code, since_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
        " 'computed', ?7, ?8, ?9, ?8)"
        " ON CONFLICT (household_id) DO UPDATE SET"
        " tier = CASE WHEN " HELD " THEN 4 ELSE excluded.tier END,"
        " reasons = CASE WHEN " HELD " AND excluded.tier <> 4"
        "   THEN ltrim(excluded.reasons || ',warning_open', ',') ELSE excluded.reasons END,"
        " review = CASE WHEN " NEW_WARNING " THEN 'computed' ELSE tiers.review END,"
        " since_ms = CASE WHEN " NEW_WARNING " OR (tiers.review = 'computed' AND tiers.tier = 1"
        "   AND excluded.tier > 1) THEN excluded.computed_ms ELSE tiers.since_ms END,"
        " village_code = excluded.village_code,"
        " rulebook = excluded.rulebook, last_visit_on = excluded.last_visit_on,"
        " per_capita_yuan = excluded.per_capita_yuan,"
        " change_no = excluded.change_no, computed_ms = excluded.computed_ms";
#undef NEW_WARNING
#undef HELD
#undef OPEN
    hh_tier_result r;
    char last_visit_on[HH_DATE_LEN + 1], village_code[HH_VILLAGE_CODE_LEN + 1];
    sqlite3_stmt *st;
    uint64_t change_no;
    int found;
    hh_err ret;

    if ((ret = hh_records_compute_tier(&s->sql, &s->rules, household_id, &r, last_visit_on,
                                       village_code, &found, seen)) != HH_OK)
        return ret;
    if (!found)
        return HH_OK;
    if ((ret = hh_cstore_next_change(s, &change_no)) != HH_OK)
        return ret;
    if (!(st = hh_sql(&s->sql, upsert)))
        return HH_EDB;
    if ((ret = hh_records_bind_tier(st, household_id, &r, s->rules.version, last_visit_on)) != HH_OK)
        return ret;
    sqlite3_bind_int64(st, 7, (sqlite3_int64)change_no);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)hh_platform_wall_ms());
    hh_sql_bind_text(st, 9, village_code);
    return hh_sql_done(st);
}

hh_err hh_cstore_household_scope(hh_cstore *s, const char *household_id,
                                 char village_code[HH_VILLAGE_CODE_LEN + 1], int *member_count)
{
    static const char sql[] =
        "SELECT village_code, (SELECT count(*) FROM members WHERE household_id = ?1)"
        " FROM households WHERE id = ?1";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);
    hh_err ret;
    int rc;

    if (!st)
        return HH_EDB;
    village_code[0] = '\0';
    *member_count = 0;
    hh_sql_bind_text(st, 1, household_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        ret = hh_sql_col_text(st, 0, village_code, HH_VILLAGE_CODE_LEN + 1);
        *member_count = sqlite3_column_int(st, 1);
    } else {
        ret = rc == SQLITE_DONE ? HH_ENOTFOUND : hh_sql_err(rc);
    }
    sqlite3_reset(st);
    return ret;
}

hh_err hh_cstore_household_touch(hh_cstore *s, const char *household_id)
{
    static const char sql[] = "UPDATE households SET change_no = ?2 WHERE id = ?1";
    sqlite3_stmt *st;
    uint64_t change_no;
    hh_err ret;

    if ((ret = hh_cstore_next_change(s, &change_no)) != HH_OK)
        return ret;
    if (!(st = hh_sql(&s->sql, sql)))
        return HH_EDB;
    hh_sql_bind_text(st, 1, household_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)change_no);
    return hh_sql_done(st);
}

/* A device's villages ("CODE,CODE,…", digits only: hh_villages_parse) as the
 * JSON array the pull queries read with json_each. */
#define VILLAGES_JSON "json_each('[\"' || replace(?1, ',', '\",\"') || '\"]')"

hh_err hh_cstore_each_household_since(hh_cstore *s, const char *villages, uint64_t cursor,
                                      int limit, hh_changed_cb cb, void *ctx)
{
    static const char sql[] =
        "SELECT id, change_no FROM households"
        " WHERE village_code IN (SELECT value FROM " VILLAGES_JSON ") AND change_no > ?2"
        " ORDER BY change_no LIMIT ?3";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);
    char id[HH_UUID_LEN + 1];
    hh_err ret = HH_OK;
    int rc;

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, villages);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)cursor);
    sqlite3_bind_int(st, 3, limit);
    while (ret == HH_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((ret = hh_sql_col_text(st, 0, id, sizeof id)) == HH_OK &&
            cb(ctx, id, (uint64_t)sqlite3_column_int64(st, 1)))
            break;
    }
    if (ret == HH_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        ret = hh_sql_err(rc);
    sqlite3_reset(st);
    return ret;
}

typedef struct version_rows {
    hh_snapshot *snap;
} version_rows;

static hh_err version_row(sqlite3_stmt *st, void *ctx, int *stop)
{
    hh_snapshot *snap = ctx;
    hh_field_version *fv;

    (void)stop;
    if (snap->version_count >= HH_SNAPSHOT_VERSIONS_MAX)
        return HH_ECORRUPT;
    fv = &snap->versions[snap->version_count];
    if (hh_sql_col_text(st, 0, fv->entity_id, sizeof fv->entity_id) != HH_OK ||
        hh_sql_col_text(st, 1, fv->field, sizeof fv->field) != HH_OK)
        return HH_ECORRUPT;
    fv->hlc = (uint64_t)sqlite3_column_int64(st, 2);
    snap->version_count++;
    return HH_OK;
}

hh_err hh_cstore_snapshot(hh_cstore *s, const char *household_id, hh_snapshot *out)
{
    static const char sql[] =
        "SELECT entity_id, field, hlc FROM field_versions WHERE entity_id = ?1"
        " OR entity_id IN (SELECT id FROM members WHERE household_id = ?1) ORDER BY entity_id, field";
    hh_err ret;

    memset(out, 0, sizeof *out);
    if ((ret = hh_records_household_get(&s->sql, household_id, 1, &out->household)) != HH_OK)
        return ret;
    return hh_sql_each_row(s->db, sql, household_id, version_row, out);
}

/* ---- reading tiers, quarantine, conflicts ----------------------------------------------- */

typedef struct ctier_rows {
    hh_ctier_cb cb;
    void *ctx;
} ctier_rows;

/* Column col of CTIER_SELECT into t->measures. */
static hh_err read_measures(sqlite3_stmt *st, int col, hh_ctier *t)
{
    return hh_open_measures_parse((const char *)sqlite3_column_text(st, col), t->measures,
                                  HH_OPEN_MEASURES_MAX, &t->n_measures);
}

static hh_err ctier_row(sqlite3_stmt *st, void *ctx, int *stop)
{
    ctier_rows *r = ctx;
    hh_ctier t;
    hh_err ret = hh_records_read_tier(st, &t.v);

    if (ret != HH_OK || (ret = read_measures(st, 10, &t)) != HH_OK)
        return ret;
    t.change_no = (uint64_t)sqlite3_column_int64(st, 9);
    *stop = r->cb(r->ctx, &t);
    return HH_OK;
}

/* Column 10: the open measures, most urgent first, as "id US measure US due
 * US responsible" records separated by RS (no stored text holds a control
 * character). */
#define CTIER_SELECT \
    "SELECT t.household_id, h.registry_no, h.village_code, t.tier, t.reasons, t.rulebook," \
    " t.review, t.last_visit_on, t.per_capita_yuan, t.change_no," \
    " (SELECT group_concat(m.id || char(31) || m.measure || char(31) || m.due_on || char(31)" \
    "    || m.responsible, char(30)) FROM (SELECT * FROM measures WHERE household_id = t.household_id" \
    "    AND closed_ms IS NULL ORDER BY due_on, id LIMIT 8) m)" \
    " FROM tiers t JOIN households h ON h.id = t.household_id"

hh_err hh_cstore_each_tier_since(hh_cstore *s, const char *villages, uint64_t cursor,
                                 int limit, hh_ctier_cb cb, void *ctx)
{
    static const char sql[] =
        CTIER_SELECT " WHERE t.village_code IN (SELECT value FROM " VILLAGES_JSON ")"
        " AND t.change_no > ?2 ORDER BY t.change_no LIMIT ?3";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);
    ctier_rows r = { cb, ctx };
    hh_err ret = HH_OK;
    int rc, stop = 0;

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, villages);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)cursor);
    sqlite3_bind_int(st, 3, limit);
    while (!stop && ret == HH_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        ret = ctier_row(st, &r, &stop);
    if (ret == HH_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        ret = hh_sql_err(rc);
    sqlite3_reset(st);
    return ret;
}

hh_err hh_cstore_change_high(hh_cstore *s, uint64_t *out)
{
    static const char sql[] = "SELECT CAST(value AS INTEGER) - 1 FROM meta WHERE key = 'next_change'";
    sqlite3_stmt *st;
    hh_err ret = HH_EDB;

    if (s->next_change_loaded) {
        /* Inside a write transaction that numbered changes: the counter is
         * still here, not yet in meta (a pull made before the commit). */
        *out = s->next_change - 1;
        return HH_OK;
    }
    if (!(st = hh_sql(&s->sql, sql)))
        return HH_EDB;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *out = (uint64_t)sqlite3_column_int64(st, 0);
        ret = HH_OK;
    }
    sqlite3_reset(st);
    return ret;
}

hh_err hh_cstore_each_tier(hh_cstore *s, const char *village, hh_ctier_cb cb, void *ctx)
{
    static const char sql[] = CTIER_SELECT " WHERE ?1 IS NULL OR h.village_code = ?1"
                              " ORDER BY t.tier DESC, h.village_code, h.registry_no, h.id";
    ctier_rows r = { cb, ctx };

    return hh_sql_each_row(s->db, sql, village, ctier_row, &r);
}

static int keep_ctier(void *ctx, const hh_ctier *t)
{
    *(hh_ctier *)ctx = *t;
    return 1;
}

hh_err hh_cstore_tier_get(hh_cstore *s, const char *household_id, hh_ctier *out)
{
    static const char sql[] = CTIER_SELECT " WHERE t.household_id = ?1";
    ctier_rows r = { keep_ctier, out };
    hh_err ret;

    out->v.household_id[0] = '\0';
    ret = hh_sql_each_row(s->db, sql, household_id, ctier_row, &r);
    return ret == HH_OK && !out->v.household_id[0] ? HH_ENOTFOUND : ret;
}

typedef struct quarantine_rows {
    hh_quarantine_cb cb;
    void *ctx;
} quarantine_rows;

static hh_err quarantine_row(sqlite3_stmt *st, void *ctx, int *stop)
{
    quarantine_rows *r = ctx;
    hh_quarantined q;

    memset(&q, 0, sizeof q);
    if (hh_sql_col_text(st, 0, q.device_id, sizeof q.device_id) != HH_OK ||
        hh_sql_col_text(st, 3, q.detail, sizeof q.detail) != HH_OK ||
        hh_sql_col_text(st, 4, q.entity, sizeof q.entity) != HH_OK ||
        hh_sql_col_text(st, 5, q.entity_id, sizeof q.entity_id) != HH_OK ||
        hh_sql_col_text(st, 7, q.household_id, sizeof q.household_id) != HH_OK ||
        hh_sql_col_text(st, 8, q.registry_no, sizeof q.registry_no) != HH_OK ||
        hh_sql_col_text(st, 9, q.village_code, sizeof q.village_code) != HH_OK ||
        hh_sql_col_text(st, 10, q.field, sizeof q.field) != HH_OK ||
        hh_sql_col_text(st, 11, q.outcome, sizeof q.outcome) != HH_OK)
        return HH_ECORRUPT;
    q.seq = (uint64_t)sqlite3_column_int64(st, 1);
    q.reason = sqlite3_column_int(st, 2);
    q.at_ms = (uint64_t)sqlite3_column_int64(st, 6);
    *stop = r->cb(r->ctx, &q);
    return HH_OK;
}

#define QUARANTINE_SELECT \
    "SELECT a.device_id, a.seq, a.reject_reason, a.detail, a.entity, a.entity_id, a.at_ms," \
    " ifnull(a.household_id, ''), ifnull(h.registry_no, ''), ifnull(h.village_code, '')," \
    " ifnull(a.field, ''), ifnull(a.outcome, '')" \
    " FROM applied a LEFT JOIN households h ON h.id = a.household_id WHERE a.reject_reason <> 0"

hh_err hh_cstore_each_quarantined(hh_cstore *s, int all, hh_quarantine_cb cb, void *ctx)
{
    static const char waiting[] = QUARANTINE_SELECT " AND a.outcome IS NULL AND ?1 IS NULL"
                                  " ORDER BY a.at_ms, a.device_id, a.seq";
    static const char every[] = QUARANTINE_SELECT " AND ?1 IS NULL ORDER BY a.at_ms, a.device_id, a.seq";
    quarantine_rows r = { cb, ctx };

    return hh_sql_each_row(s->db, all ? every : waiting, NULL, quarantine_row, &r);
}

hh_err hh_cstore_duplicate_add(hh_cstore *s, const char *kind, const char *household_a,
                               const char *member_a, const char *household_b,
                               const char *member_b, const char *detail)
{
    static const char sql[] =
        "INSERT INTO duplicates (kind, household_a, member_a, household_b, member_b, detail,"
        " found_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        " ON CONFLICT (kind, household_a, member_a, household_b, member_b, detail) DO NOTHING";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, kind);
    hh_sql_bind_text(st, 2, household_a);
    hh_sql_bind_text(st, 3, member_a);
    hh_sql_bind_text(st, 4, household_b);
    hh_sql_bind_text(st, 5, member_b);
    hh_sql_bind_text(st, 6, detail);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)hh_platform_wall_ms());
    return hh_sql_done(st);
}

hh_err hh_cstore_conflict_add(hh_cstore *s, const hh_conflict *c)
{
    static const char sql[] =
        "INSERT INTO conflicts (entity_id, field, kept_value, kept_hlc, kept_device, other_value,"
        " other_hlc, other_device, at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, c->entity_id);
    hh_sql_bind_text(st, 2, c->field);
    hh_sql_bind_text(st, 3, c->kept_value);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)c->kept_hlc);
    hh_sql_bind_text(st, 5, c->kept_device);
    hh_sql_bind_text(st, 6, c->other_value);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)c->other_hlc);
    hh_sql_bind_text(st, 8, c->other_device);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)hh_platform_wall_ms());
    return hh_sql_done(st);
}

typedef struct conflict_rows {
    hh_conflict_cb cb;
    void *ctx;
} conflict_rows;

static hh_err conflict_row(sqlite3_stmt *st, void *ctx, int *stop)
{
    conflict_rows *r = ctx;
    hh_conflict c;

    memset(&c, 0, sizeof c);
    c.id = sqlite3_column_int64(st, 0);
    if (hh_sql_col_text(st, 1, c.entity_id, sizeof c.entity_id) != HH_OK ||
        hh_sql_col_text(st, 2, c.field, sizeof c.field) != HH_OK ||
        hh_sql_col_text(st, 3, c.kept_value, sizeof c.kept_value) != HH_OK ||
        hh_sql_col_text(st, 5, c.kept_device, sizeof c.kept_device) != HH_OK ||
        hh_sql_col_text(st, 6, c.other_value, sizeof c.other_value) != HH_OK ||
        hh_sql_col_text(st, 8, c.other_device, sizeof c.other_device) != HH_OK)
        return HH_ECORRUPT;
    c.kept_hlc = (uint64_t)sqlite3_column_int64(st, 4);
    c.other_hlc = (uint64_t)sqlite3_column_int64(st, 7);
    c.at_ms = (uint64_t)sqlite3_column_int64(st, 9);
    c.resolved_ms = (uint64_t)sqlite3_column_int64(st, 10);
    *stop = r->cb(r->ctx, &c);
    return HH_OK;
}

#define CONFLICT_SELECT \
    "SELECT id, entity_id, field, kept_value, kept_hlc, kept_device, other_value, other_hlc," \
    " other_device, at_ms, ifnull(resolved_ms, 0) FROM conflicts"

hh_err hh_cstore_each_conflict(hh_cstore *s, int all, hh_conflict_cb cb, void *ctx)
{
    static const char open_only[] = CONFLICT_SELECT " WHERE resolved_ms IS NULL AND ?1 IS NULL ORDER BY id";
    static const char every[] = CONFLICT_SELECT " WHERE ?1 IS NULL ORDER BY id";
    conflict_rows r = { cb, ctx };

    return hh_sql_each_row(s->db, all ? every : open_only, NULL, conflict_row, &r);
}

static int keep_conflict(void *ctx, const hh_conflict *c)
{
    *(hh_conflict *)ctx = *c;
    return 1;
}

hh_err hh_cstore_conflict_get(hh_cstore *s, int64_t id, hh_conflict *out)
{
    static const char sql[] = CONFLICT_SELECT " WHERE id = ?1";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);
    conflict_rows r = { keep_conflict, out };
    hh_err ret;

    if (!st)
        return HH_EDB;
    out->id = 0;
    sqlite3_bind_int64(st, 1, id);
    ret = hh_sql_each_stmt(st, conflict_row, &r);
    return ret == HH_OK && out->id != id ? HH_ENOTFOUND : ret;
}
