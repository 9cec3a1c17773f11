/* agent/store.c — the device's SQLite store (see store.h).
 *
 * Layout: schema and migrations; connection and statement cache; identity, HLC
 * and outbox; households and members (field-level change detection: every
 * changed field gets a new version and is listed, with the version it replaced,
 * in the Change); visits; tiers; reading.
 *
 * Enumerations are stored by their exchange names so the database reads on its
 * own; tiers are stored as numbers so "red first" is an ORDER BY. */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/hlc.h"
#include "model/buf.h"
#include "model/validate.h"
#include "platform/platform.h"
#include "platform/vfs.h"
#include "sync/codec.h"
#include "sync/records.h"

/* ---- schema ------------------------------------------------------------------ */

static const char *const migrations[HH_STORE_SCHEMA_VERSION] = {
    /* 1: the first schema. */
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;"
    HH_RECORDS_SCHEMA
    "CREATE TABLE tiers ("
    "  household_id TEXT NOT NULL REFERENCES households(id),"
    "  source TEXT NOT NULL CHECK (source IN ('device', 'collector')),"
    "  tier INTEGER NOT NULL CHECK (tier BETWEEN 1 AND 4),"
    "  reasons TEXT NOT NULL,"
    "  rulebook TEXT NOT NULL,"
    "  last_visit_on TEXT,"
    "  per_capita_yuan INTEGER,"
    "  computed_hlc INTEGER NOT NULL,"
    "  PRIMARY KEY (household_id, source)) STRICT;"
    "CREATE TABLE outbox ("
    "  seq INTEGER PRIMARY KEY,"
    "  hlc INTEGER NOT NULL,"
    "  entity TEXT NOT NULL,"
    "  op TEXT NOT NULL,"
    "  entity_id TEXT NOT NULL,"
    "  payload BLOB NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'pending'"
    "    CHECK (state IN ('pending', 'acked', 'quarantined')),"
    "  reason TEXT,"
    "  acked_ms INTEGER) STRICT;"
    "CREATE INDEX outbox_state ON outbox(state, seq);",
    /* 2: records from other devices are compared at the collector, not
     * refused (one ID number in two households is a case for a reviewer), so
     * a pull may bring them here too; the collector's tier carries its review
     * state and open measures. */
    HH_RECORDS_NOT_UNIQUE("")
    "ALTER TABLE tiers ADD COLUMN review TEXT;"
    "ALTER TABLE tiers ADD COLUMN measures TEXT;"
    /* …and a refused change a reviewer decided keeps that outcome. */
    "ALTER TABLE outbox ADD COLUMN outcome TEXT;",
    /* 3: the visit form's drafts, saved after every answer (hearth visit resume). */
    "CREATE TABLE drafts ("
    "  household_id TEXT PRIMARY KEY REFERENCES households(id),"
    "  answers TEXT NOT NULL CHECK (length(answers) <= 65536),"
    "  step INTEGER NOT NULL CHECK (step BETWEEN 0 AND 1000),"
    "  updated_ms INTEGER NOT NULL) STRICT;",
    /* 4: ID numbers also as a keyed hash, compared by it (sync/records.h). */
    HH_RECORDS_ID_KEY,
};

static hh_err db_fail(sqlite3 *db, hh_diag *d, const char *what)
{
    return hh_diag_fail(d, HH_EDB, "database", "%s: %s", what, sqlite3_errmsg(db));
}

/* ---- connection and statements -------------------------------------------------- */

struct hh_store {
    sqlite3 *db;
    char path[HH_PATH_MAX];
    char device_id[HH_UUID_LEN + 1];
    uint32_t device_epoch;
    hh_rulebook rules;
    hh_hlc clock;              /* loaded at begin, saved at commit */
    uint64_t next_seq;         /* likewise */
    int in_tx;
    int saw_full;              /* a write failed for want of disk space */
    int writable;
    hh_buf payload;            /* scratch for encoded Changes */
    hh_sqlcache sql;
};

/* The WAL is folded into the database and emptied when a command ends with it
 * past this size. Every command reads the whole WAL when it opens the database
 * (SQLite rebuilds its index, no process keeping it between commands): a small
 * WAL keeps that quick, at the price of the fold's fsyncs once in ~35 visits. */
#define WAL_FOLD_BYTES (1024 * 1024)

static hh_err meta_get(hh_store *s, const char *key, char *out, size_t cap)
{
    static const char sql[] = "SELECT value FROM meta WHERE key = ?1";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);
    hh_err ret;

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, key);
    if (sqlite3_step(st) != SQLITE_ROW)
        ret = HH_ECORRUPT;
    else
        ret = hh_sql_col_text(st, 0, out, cap);
    sqlite3_reset(st);
    return ret;
}

/* meta_get, with "" for a key that is absent. */
static hh_err meta_get_optional(hh_store *s, const char *key, char *out, size_t cap)
{
    hh_err ret = meta_get(s, key, out, cap);

    if (ret == HH_ECORRUPT) {   /* absent: not enrolled yet */
        out[0] = '\0';
        return HH_OK;
    }
    return ret;
}

static hh_err meta_set(hh_store *s, const char *key, const char *value)
{
    static const char sql[] =
        "INSERT INTO meta (key, value) VALUES (?1, ?2) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, key);
    hh_sql_bind_text(st, 2, value);
    return hh_sql_done(st);
}

static hh_err meta_get_u64(hh_store *s, const char *key, uint64_t *out)
{
    char text[32], *end;
    hh_err ret = meta_get(s, key, text, sizeof text);

    if (ret != HH_OK)
        return ret;
    *out = strtoull(text, &end, 10);
    return (*end == '\0' && text[0]) ? HH_OK : HH_ECORRUPT;
}

static hh_err meta_set_u64(hh_store *s, const char *key, uint64_t v)
{
    char text[32];

    snprintf(text, sizeof text, "%llu", (unsigned long long)v);
    return meta_set(s, key, text);
}

/* Explain the last failure of s's database in d. A full disk says so, with the
 * space left, and that nothing was written (a transaction that cannot be
 * written is not committed). Returns the hh_err for it. */
static hh_err store_fail(hh_store *s, hh_diag *d, const char *what)
{
    int rc = sqlite3_extended_errcode(s->db);
    hh_err ret = hh_sql_err(rc);

    if (ret == HH_ENOSPC || ((rc & 0xff) == SQLITE_IOERR && hh_platform_free_bytes(s->path) < 65536)) {
        return hh_diag_fail(d, HH_ENOSPC, "db", "%s %s: the disk is full (%llu bytes free); nothing "
                            "was written and nothing stored before was lost: free some space and "
                            "try again", what, s->path,
                            (unsigned long long)hh_platform_free_bytes(s->path));
    }
    return hh_diag_fail(d, ret, "db", "%s %s: %s", what, s->path, sqlite3_errmsg(s->db));
}

void hh_store_count(hh_store *s, const char *sql, long long *out)
{
    sqlite3_stmt *st;

    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return;
    if (sqlite3_step(st) == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
}

int hh_store_saw_full_disk(const hh_store *s)
{
    return s && s->saw_full;
}

static hh_err connect(const char *path, int flags, hh_store **out, hh_diag *d)
{
    hh_store *s;
    hh_err ret;

    *out = NULL;
    if (strlen(path) >= HH_PATH_MAX)
        return hh_diag_fail(d, HH_ERANGE, "db", "path is too long");
    s = calloc(1, sizeof *s);
    if (!s)
        return HH_ENOMEM;
    snprintf(s->path, sizeof s->path, "%s", path);
    hh_buf_init(&s->payload, HH_CHANGE_BYTES_MAX);
    /* Names, ID numbers and health: the files are the officer's alone. */
    if (hh_platform_private_db(path, flags & SQLITE_OPEN_CREATE) != HH_OK) {
        ret = hh_diag_fail(d, HH_EIO, "db", "cannot create %s", path);
        goto fail;
    }
    if (sqlite3_open_v2(path, &s->db, flags, hh_vfs_name()) != SQLITE_OK) {
        ret = hh_diag_fail(d, HH_EDB, "db", "cannot open %s: %s", path,
                           s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    /* Nothing this connection does on close may fold or remove the WAL
     * before the database is known to be ours and whole: a sealed database
     * opened with the wrong key sees none of its WAL's frames, and a close
     * that checkpointed would delete them. (Writable opens keep both
     * settings: see below.) */
    {
        int on = 1;
        sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &on);
        sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    }
    hh_sqlcache_init(&s->sql, s->db);
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, 5000);
    /* Sorting and temporary tables stay in memory: a temporary file would
     * hold records unsealed. */
    sqlite3_exec(s->db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
    /* A new sealed database leaves room at the end of every page for the
     * seal's nonce and tag (platform/vfs.h), before its first byte is written. */
    if ((flags & SQLITE_OPEN_CREATE) && hh_vfs_has_key(path)) {
        int reserve = HH_VFS_RESERVE;
        char pragma[40];
        snprintf(pragma, sizeof pragma, "PRAGMA page_size = %d", HH_VFS_PAGE);
        if (sqlite3_exec(s->db, pragma, NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_file_control(s->db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve) != SQLITE_OK) {
            ret = store_fail(s, d, "cannot prepare the sealed database");
            goto fail;
        }
    }
    /* An existing file that Hearth did not make is left exactly as it is: not
     * even its journal mode is changed. */
    if (!(flags & (SQLITE_OPEN_CREATE | SQLITE_OPEN_READONLY)) && hh_sql_user_version(s->db) == 0) {
        uint64_t size = 0;
        if (hh_platform_file_size(path, &size) == HH_OK && size == 0)
            ret = hh_diag_fail(d, HH_ECORRUPT, "db", "%s is an empty file, not a device database "
                               "(truncated? restore it from a backup, or give the right --db)", path);
        else
            ret = hh_diag_fail(d, HH_ECORRUPT, "db", "%s is not a Hearth device database (made by "
                               "another program?): nothing was written to it", path);
        goto fail;
    }
    /* WAL + FULL: a committed visit survives power loss. (A read-only opening,
     * for rescue, takes the file as it is.) */
    if (!(flags & SQLITE_OPEN_READONLY) && sqlite3_exec(s->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                            "PRAGMA foreign_keys = ON;", NULL, NULL, NULL) != SQLITE_OK) {
        ret = store_fail(s, d, "cannot open");
        if (ret == HH_EDB || ret == HH_ECORRUPT)
            ret = hh_diag_fail(d, HH_ECORRUPT, "db", "%s is not a usable SQLite database: %s", path,
                               sqlite3_errmsg(s->db));
        goto fail;
    }
    if (!(flags & SQLITE_OPEN_READONLY)) {
        /* One fsync per command that records something: the commit's. The WAL
         * file is kept between commands (no directory fsync to create it
         * again) and is not folded into the database on close (no
         * checkpoint's fsyncs) until it passes WAL_FOLD_BYTES; sync folds it
         * in too, after talking to the collector. Recent work may thus live
         * in device.db-wal: copy the database with `hearth backup`. */
        s->writable = 1;
    }
    *out = s;
    return HH_OK;
fail:
    hh_store_close(s);
    return ret;
}

/* The keyed hash's key, once the collector gave it: in meta as hex. */
static hh_err load_id_key(hh_store *s)
{
    char hex[2 * HH_ID_KEY_LEN + 2];
    hh_err ret = meta_get_optional(s, "id_key", hex, sizeof hex);

    if (ret == HH_OK && hex[0])
        ret = hh_records_set_id_key(&s->sql, hex);
    explicit_bzero(hex, sizeof hex);
    if (ret != HH_OK)
        return HH_ECORRUPT;
    /* Every member already has its hash: hh_store_set_id_key filled them in,
     * and each member written since got it as it was written. */
    return HH_OK;
}

hh_err hh_store_set_id_key(hh_store *s, const uint8_t key[HH_ID_KEY_LEN])
{
    char hex[2 * HH_ID_KEY_LEN + 1];
    hh_err ret;

    hh_hex_encode(key, HH_ID_KEY_LEN, hex);
    if ((ret = hh_store_begin(s)) != HH_OK)
        return ret;
    if ((ret = hh_records_set_id_key(&s->sql, hex)) == HH_OK &&
        (ret = meta_set(s, "id_key", hex)) == HH_OK)
        ret = hh_records_fill_id_keys(&s->sql);
    if (ret == HH_OK)
        ret = hh_store_commit(s);
    else
        hh_store_rollback(s);
    explicit_bzero(hex, sizeof hex);
    return ret;
}

/* Read identity and rulebook into s after migration. */
static hh_err load_identity(hh_store *s, hh_diag *d)
{
    char text[HH_RULEBOOK_TEXT_MAX + 1];
    uint64_t epoch;
    hh_err ret;

    if ((ret = meta_get(s, "device_id", s->device_id, sizeof s->device_id)) != HH_OK ||
        (ret = meta_get_u64(s, "device_epoch", &epoch)) != HH_OK ||
        (ret = meta_get(s, "rulebook", text, sizeof text)) != HH_OK)
        return hh_diag_fail(d, HH_ECORRUPT, "db",
                            "%s has no device identity: it was not made by `hearth init`", s->path);
    s->device_epoch = (uint32_t)epoch;
    if ((ret = hh_rulebook_parse(text, strlen(text), &s->rules, d)) != HH_OK) {
        hh_diag_prefix(d, "stored rulebook ");
        return HH_ECORRUPT;
    }
    if ((ret = load_id_key(s)) != HH_OK)
        return hh_diag_fail(d, HH_ECORRUPT, "db", "the stored ID-number key is damaged");
    return HH_OK;
}

hh_err hh_store_create(const char *path, hh_store **out, hh_diag *d)
{
    hh_store *s = NULL;
    hh_err ret;
    char device_id[HH_UUID_LEN + 1];

    *out = NULL;
    if (hh_platform_exists(path))
        return hh_diag_fail(d, HH_EEXIST, "db", "%s already exists", path);
    if (hh_platform_mkdirs_for(path, 0700) != HH_OK)
        return hh_diag_fail(d, HH_EIO, "db", "cannot create the directory for %s", path);
    if ((ret = connect(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &s, d)) != HH_OK)
        return ret;
    if ((ret = hh_sql_migrate(s->db, migrations, HH_STORE_SCHEMA_VERSION, "hearth", d)) != HH_OK)
        goto cleanup;
    if ((ret = hh_records_new_id(device_id)) != HH_OK)
        goto cleanup;
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        ret = db_fail(s->db, d, "cannot start");
        goto cleanup;
    }
    if ((ret = meta_set(s, "device_id", device_id)) != HH_OK ||
        (ret = meta_set_u64(s, "device_epoch", 1)) != HH_OK ||
        (ret = meta_set_u64(s, "next_seq", 1)) != HH_OK ||
        (ret = meta_set_u64(s, "hlc", 0)) != HH_OK ||
        (ret = meta_set_u64(s, "created_ms", hh_platform_wall_ms())) != HH_OK ||
        (ret = meta_set(s, "rulebook", hh_rulebook_default_text())) != HH_OK ||
        sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        ret = db_fail(s->db, d, "cannot write the device identity");
        goto cleanup;
    }
    if ((ret = load_identity(s, d)) != HH_OK)
        goto cleanup;
    *out = s;
    s = NULL;
cleanup:
    if (s) {
        /* A half-made database would block the next `hearth init`. */
        static const char *const suffixes[] = { "", "-wal", "-shm" };
        char file[HH_PATH_MAX + 8];
        hh_store_close(s);
        for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
            snprintf(file, sizeof file, "%s%s", path, suffixes[i]);
            hh_platform_remove(file);
        }
    }
    return ret;
}

hh_err hh_store_check(hh_store *s, hh_diag *d)
{
    sqlite3_stmt *st = NULL;
    char first[160] = "";
    int rc, rows = 0;
    hh_err ret = HH_OK;

    if (sqlite3_prepare_v2(s->db, "PRAGMA quick_check(4)", -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, d, "cannot check");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *line = (const char *)sqlite3_column_text(st, 0);
        if (rows++ == 0)
            snprintf(first, sizeof first, "%s", line ? line : "");
    }
    /* A check that could not finish says why: a full disk, or damage. */
    if (rc != SQLITE_DONE && (ret = store_fail(s, d, "cannot check")) != HH_ENOSPC)
        snprintf(first, sizeof first, "%s", sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    if (ret != HH_ENOSPC && (rc != SQLITE_DONE || rows != 1 || strcmp(first, "ok") != 0))
        ret = hh_diag_fail(d, HH_ECORRUPT, "db", "%s is damaged (%s): nothing was written to it. "
                           "Save what it holds with `hearth rescue --out FILE`", s->path, first);
    return ret;
}

hh_err hh_store_open_rescue(const char *path, hh_store **out, hh_diag *d)
{
    *out = NULL;
    if (!hh_platform_exists(path))
        return hh_diag_fail(d, HH_ENOTFOUND, "db", "no device database at %s", path);
    /* Read-only, as it is: no migration, no journal mode change, no identity. */
    return connect(path, SQLITE_OPEN_READONLY, out, d);
}

hh_err hh_store_open(const char *path, hh_store **out, hh_diag *d)
{
    hh_store *s = NULL;
    hh_err ret;

    *out = NULL;
    if (!hh_platform_exists(path))
        return hh_diag_fail(d, HH_ENOTFOUND, "db",
                            "no device database at %s (run `hearth init` first)", path);
    if ((ret = connect(path, SQLITE_OPEN_READWRITE, &s, d)) != HH_OK)
        return ret;
    if ((ret = hh_sql_migrate(s->db, migrations, HH_STORE_SCHEMA_VERSION, "hearth", d)) != HH_OK ||
        (ret = load_identity(s, d)) != HH_OK)
        goto cleanup;
    *out = s;
    s = NULL;
cleanup:
    hh_store_close(s);
    return ret;
}

void hh_store_close(hh_store *s)
{
    char wal[HH_PATH_MAX + 8];
    uint64_t wal_bytes = 0;

    if (!s)
        return;
    if (s->in_tx)
        hh_store_rollback(s);
    if (s->writable && (size_t)snprintf(wal, sizeof wal, "%s-wal", s->path) < sizeof wal &&
        hh_platform_file_size(wal, &wal_bytes) == HH_OK && wal_bytes > WAL_FOLD_BYTES)
        sqlite3_wal_checkpoint_v2(s->db, "main", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    hh_sqlcache_free(&s->sql);
    sqlite3_close(s->db);
    hh_buf_free(&s->payload);
    free(s);
}

sqlite3 *hh_store_db(hh_store *s)
{
    return s->db;
}

const hh_rulebook *hh_store_rulebook(const hh_store *s)
{
    return &s->rules;
}

const char *hh_store_path(const hh_store *s)
{
    return s->path;
}

/* ---- transactions, clock and outbox ----------------------------------------------- */

/* Parse the stored rulebook again (after a rollback that may have undone a
 * replacement). */
static void hh_store_rulebook_reload(hh_store *s)
{
    char text[HH_RULEBOOK_TEXT_MAX + 1];
    hh_rulebook rules;

    if (meta_get(s, "rulebook", text, sizeof text) == HH_OK &&
        hh_rulebook_parse(text, strlen(text), &rules, NULL) == HH_OK)
        s->rules = rules;
}

hh_err hh_store_begin(hh_store *s)
{
    hh_err ret;

    if (s->in_tx)
        return HH_EINVAL;
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return HH_EDB;
    s->in_tx = 1;
    if ((ret = meta_get_u64(s, "hlc", &s->clock.last)) != HH_OK ||
        (ret = meta_get_u64(s, "next_seq", &s->next_seq)) != HH_OK) {
        hh_store_rollback(s);
        return ret;
    }
    return HH_OK;
}

hh_err hh_store_commit(hh_store *s)
{
    hh_err ret;

    if (!s->in_tx)
        return HH_EINVAL;
    if ((ret = meta_set_u64(s, "hlc", s->clock.last)) != HH_OK ||
        (ret = meta_set_u64(s, "next_seq", s->next_seq)) != HH_OK ||
        (ret = hh_sql_err(sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL))) != HH_OK) {
        if (ret == HH_ENOSPC)
            s->saw_full = 1;
        hh_store_rollback(s);
        return ret == HH_OK ? HH_EDB : ret;
    }
    s->in_tx = 0;
    return HH_OK;
}

void hh_store_rollback(hh_store *s)
{
    if (!s->in_tx)
        return;
    if ((sqlite3_extended_errcode(s->db) & 0xff) == SQLITE_FULL)
        s->saw_full = 1;
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    s->in_tx = 0;
}

static hh_err stamp(hh_store *s, uint64_t *out)
{
    return hh_hlc_tick(&s->clock, hh_platform_wall_ms(), out);
}

/* Fill in identity and seq, encode c, and append it to the outbox. */
static hh_err outbox_append(hh_store *s, hh_change *c)
{
    static const char sql[] =
        "INSERT INTO outbox (seq, hlc, entity, op, entity_id, payload, created_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    sqlite3_stmt *st;
    hh_err ret;

    c->device_id = s->device_id;
    c->device_epoch = s->device_epoch;
    c->seq = s->next_seq;
    if ((ret = hh_codec_change_encode(c, &s->payload)) != HH_OK)
        return ret;
    if (!(st = hh_sql(&s->sql, sql)))
        return HH_EDB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)c->seq);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)c->hlc);
    hh_sql_bind_text(st, 3, hh_entity_name(c->entity));
    hh_sql_bind_text(st, 4, hh_op_name(c->op));
    hh_sql_bind_text(st, 5, c->entity_id);
    sqlite3_bind_blob(st, 6, s->payload.data, (int)s->payload.len, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)hh_platform_wall_ms());
    if ((ret = hh_sql_done(st)) != HH_OK)
        return ret;
    s->next_seq++;
    return HH_OK;
}

/* Compare old and new views (n fields each; old NULL on create), list every
 * differing field in c->changed with its current version as base, and move each
 * to version c->hlc. */
static hh_err diff_fields(hh_store *s, const char *entity_id, const hh_field_view *old,
                          const hh_field_view *new_, int n, hh_change *c)
{
    hh_err ret;

    c->changed_count = 0;
    for (int i = 0; i < n; i++) {
        uint64_t base = 0;
        if (old && strcmp(old[i].text, new_[i].text) == 0)
            continue;
        if (old && (ret = hh_records_field_version(&s->sql, entity_id, new_[i].name, &base)) != HH_OK)
            return ret;
        if ((ret = hh_records_field_version_set(&s->sql, entity_id, new_[i].name, c->hlc)) != HH_OK)
            return ret;
        c->changed[c->changed_count].field = new_[i].name;
        c->changed[c->changed_count].base_hlc = base;
        c->changed_count++;
    }
    return HH_OK;
}

/* ---- households and members ----------------------------------------------------------- */

hh_err hh_store_household_get(hh_store *s, const char *key, hh_household *out)
{
    hh_err ret = HH_ENOTFOUND;

    if (hh_validate_uuid(key, NULL) == HH_OK)
        ret = hh_records_household_get(&s->sql, key, 1, out);
    if (ret == HH_ENOTFOUND)
        ret = hh_records_household_get(&s->sql, key, 0, out);
    return ret;
}

/* Write member m (old: its stored version, NULL when new) at position. */
static hh_err member_save(hh_store *s, const char *household_id, int position,
                          hh_member *m, const hh_member *old, int *changed, hh_diag *d)
{
    hh_field_view old_view[HH_MEMBER_FIELDS], new_view[HH_MEMBER_FIELDS];
    char owner_member[HH_UUID_LEN + 1], owner_household[HH_UUID_LEN + 1];
    hh_change c = { 0 };
    hh_err ret;

    if ((ret = hh_records_id_number_owner(&s->sql, m->id_number, m->id, owner_member,
                                          owner_household)) != HH_OK)
        return ret;
    if (owner_member[0])
        return hh_diag_fail(d, HH_ECONFLICT, "id_number",
                            "already belongs to another member%s",
                            strcmp(owner_household, household_id) == 0 ? " of this household"
                                                                       : " in another household");
    if (!m->id[0] && (ret = hh_records_new_id(m->id)) != HH_OK)
        return ret;
    hh_records_member_view(m, new_view);
    if (old)
        hh_records_member_view(old, old_view);
    if ((ret = stamp(s, &c.hlc)) != HH_OK)
        return ret;
    if ((ret = diff_fields(s, m->id, old ? old_view : NULL, new_view, HH_MEMBER_FIELDS, &c)) != HH_OK)
        return ret;
    /* The row is written even when no field changed: its position may have. */
    if ((ret = hh_records_member_write(&s->sql, household_id, position, m, c.hlc)) != HH_OK)
        return ret;
    if (c.changed_count == 0)
        return HH_OK;   /* only the position moved: not a domain change */
    c.entity = HH_ENTITY_MEMBER;
    c.op = old ? HH_OP_UPDATE : HH_OP_CREATE;
    c.entity_id = m->id;
    c.member = m;
    c.member_household_id = household_id;
    if ((ret = outbox_append(s, &c)) != HH_OK)
        return ret;
    if (changed)
        *changed = 1;
    return HH_OK;
}

static hh_err member_delete(hh_store *s, const char *household_id, const hh_member *m)
{
    hh_change c = { 0 };
    hh_err ret;

    if ((ret = hh_records_member_delete(&s->sql, m->id)) != HH_OK ||
        (ret = stamp(s, &c.hlc)) != HH_OK)
        return ret;
    c.entity = HH_ENTITY_MEMBER;
    c.op = HH_OP_DELETE;
    c.entity_id = m->id;
    c.member = m;
    c.member_household_id = household_id;
    return outbox_append(s, &c);
}

static hh_err recompute_tier(hh_store *s, const char *household_id);
/* An enrolled device records households of its own villages only: the
 * collector would refuse any other at sync, after the officer has left. */
static hh_err village_allowed(hh_store *s, const char *village_code, hh_diag *d)
{
    char villages[HH_DEVICE_VILLAGES_MAX + 1];
    hh_err ret = meta_get_optional(s, "villages", villages, sizeof villages);

    if (ret != HH_OK)
        return ret;
    if (villages[0] && !hh_villages_contain(villages, village_code))
        return hh_diag_fail(d, HH_EINVAL, "village_code",
                            "%s is not one of this device's villages (%s)", village_code, villages);
    return HH_OK;
}

/* Make stored members of h equal to h->members (see hh_store_household_put). */
static hh_err sync_members(hh_store *s, hh_household *h, const hh_household *old,
                           int *changed, hh_diag *d)
{
    int used[HH_MEMBERS_MAX] = { 0 };
    char field[32];
    hh_err ret;

    for (int i = 0; i < h->member_count; i++) {
        hh_member *m = &h->members[i];
        const hh_member *match = NULL;
        for (int j = 0; old && j < old->member_count && !match; j++) {
            if (used[j])
                continue;
            if ((m->id[0] && strcmp(m->id, old->members[j].id) == 0) ||
                (!m->id[0] && strcmp(m->id_number, old->members[j].id_number) == 0)) {
                match = &old->members[j];
                used[j] = 1;
            }
        }
        if (match && !m->id[0])
            memcpy(m->id, match->id, sizeof m->id);
        if ((ret = member_save(s, h->id, i, m, match, changed, d)) != HH_OK) {
            snprintf(field, sizeof field, "members[%d].", i);
            hh_diag_prefix(d, field);
            return ret;
        }
    }
    for (int j = 0; old && j < old->member_count; j++) {
        if (used[j])
            continue;
        if ((ret = member_delete(s, h->id, &old->members[j])) != HH_OK)
            return ret;
        if (changed)
            *changed = 1;
    }
    return HH_OK;
}

hh_err hh_store_household_put(hh_store *s, hh_household *h, int members_given,
                              int *changed, hh_diag *d)
{
    hh_household *old = NULL;
    hh_field_view old_view[HH_HOUSEHOLD_FIELDS], new_view[HH_HOUSEHOLD_FIELDS];
    hh_change c = { 0 };
    hh_err ret;
    int wrote = 0, found;

    if (!s->in_tx)
        return HH_EINVAL;
    if (!(old = malloc(sizeof *old)))
        return HH_ENOMEM;
    /* Identify: by id, else by registry number; both must agree. */
    ret = HH_ENOTFOUND;
    if (h->id[0])
        ret = hh_records_household_get(&s->sql, h->id, 1, old);
    if (ret == HH_ENOTFOUND && h->registry_no[0]) {
        ret = hh_records_household_get(&s->sql, h->registry_no, 0, old);
        if (ret == HH_OK && h->id[0] && strcmp(old->id, h->id) != 0) {
            ret = hh_diag_fail(d, HH_ECONFLICT, "registry_no",
                               "belongs to another household (id %s)", old->id);
            goto cleanup;
        }
    }
    if (ret != HH_OK && ret != HH_ENOTFOUND)
        goto cleanup;
    found = ret == HH_OK;
    if ((!found || strcmp(old->village_code, h->village_code) != 0) &&
        (ret = village_allowed(s, h->village_code, d)) != HH_OK)
        goto cleanup;
    if (found) {
        /* A registry number can be set or changed, never removed by omission. */
        if (!h->registry_no[0])
            memcpy(h->registry_no, old->registry_no, sizeof h->registry_no);
        memcpy(h->id, old->id, sizeof h->id);
        if (h->registry_no[0] && strcmp(h->registry_no, old->registry_no) != 0) {
            hh_household other;
            if (hh_records_household_get(&s->sql, h->registry_no, 0, &other) == HH_OK) {
                ret = hh_diag_fail(d, HH_ECONFLICT, "registry_no",
                                   "already belongs to another household");
                goto cleanup;
            }
        }
    } else {
        free(old);
        old = NULL;
        if (!h->id[0] && (ret = hh_records_new_id(h->id)) != HH_OK)
            goto cleanup;
    }
    hh_records_household_view(h, new_view);
    if (old)
        hh_records_household_view(old, old_view);
    if ((ret = stamp(s, &c.hlc)) != HH_OK ||
        (ret = diff_fields(s, h->id, old ? old_view : NULL, new_view, HH_HOUSEHOLD_FIELDS, &c)) != HH_OK)
        goto cleanup;
    if (c.changed_count > 0) {
        if ((ret = hh_records_household_write(&s->sql, h, !old, c.hlc)) != HH_OK) {
            ret = db_fail(s->db, d, "cannot write the household");
            goto cleanup;
        }
        c.entity = HH_ENTITY_HOUSEHOLD;
        c.op = old ? HH_OP_UPDATE : HH_OP_CREATE;
        c.entity_id = h->id;
        c.household = h;
        if ((ret = outbox_append(s, &c)) != HH_OK)
            goto cleanup;
        wrote = 1;
    }
    if (members_given && (ret = sync_members(s, h, old, &wrote, d)) != HH_OK)
        goto cleanup;
    if (!members_given && old) {
        /* Keep the stored members in the caller's copy. */
        h->member_count = old->member_count;
        memcpy(h->members, old->members, sizeof h->members);
    }
    if (wrote && (ret = recompute_tier(s, h->id)) != HH_OK)
        goto cleanup;
    if (changed)
        *changed = wrote;
    ret = HH_OK;
cleanup:
    free(old);
    return ret;
}

hh_err hh_store_member_put(hh_store *s, const char *household_id, hh_member *m, hh_diag *d)
{
    hh_household *h;
    const hh_member *old = NULL;
    hh_member old_copy;
    int position;
    hh_err ret;

    if (!s->in_tx)
        return HH_EINVAL;
    if (!(h = malloc(sizeof *h)))
        return HH_ENOMEM;
    if ((ret = hh_records_household_get(&s->sql, household_id, 1, h)) != HH_OK) {
        hh_diag_fail(d, ret, "household", "no such household");
        goto cleanup;
    }
    position = h->member_count;
    for (int i = 0; m->id[0] && i < h->member_count; i++) {
        if (strcmp(h->members[i].id, m->id) == 0) {
            old = &h->members[i];
            position = i;
        }
    }
    if (m->id[0] && !old) {
        ret = hh_diag_fail(d, HH_ENOTFOUND, "member", "no such member in this household");
        goto cleanup;
    }
    if (!old && h->member_count >= HH_MEMBERS_MAX) {
        ret = hh_diag_fail(d, HH_ERANGE, "members", "a household has at most %d members",
                           HH_MEMBERS_MAX);
        goto cleanup;
    }
    /* Validate the household as it will be, so cross-member rules hold. */
    if (old) {
        old_copy = *old;
        old = &old_copy;
    }
    h->members[position] = *m;
    if (!old)
        h->member_count++;
    if ((ret = hh_household_validate(h, hh_platform_current_year(), d)) != HH_OK)
        goto cleanup;
    if ((ret = member_save(s, household_id, position, m, old, NULL, d)) != HH_OK)
        goto cleanup;
    ret = recompute_tier(s, household_id);
cleanup:
    free(h);
    return ret;
}

/* ---- visits ------------------------------------------------------------------------- */

hh_err hh_store_visit_add(hh_store *s, hh_visit *v, int *added, hh_diag *d)
{
    hh_household *h = NULL;
    hh_visit existing;
    hh_change c = { 0 };
    hh_err ret;

    if (added)
        *added = 0;
    if (!s->in_tx)
        return HH_EINVAL;
    if ((ret = hh_visit_validate(v, d)) != HH_OK ||
        (ret = hh_records_visit_date_ok(v->visited_on, d)) != HH_OK)
        return ret;
    if (!(h = malloc(sizeof *h)))
        return HH_ENOMEM;
    if ((ret = hh_records_household_get(&s->sql, v->household_id, 1, h)) != HH_OK) {
        hh_diag_fail(d, ret, "household", "no such household");
        goto cleanup;
    }
    if (v->household_size == 0 && h->member_count == 0) {
        ret = hh_diag_fail(d, HH_EINVAL, "household_size",
                           "is required while the household has no members recorded");
        goto cleanup;
    }
    if (v->supersedes[0]) {
        ret = hh_records_visit_get(&s->sql, v->supersedes, &existing);
        if (ret == HH_OK && strcmp(existing.household_id, v->household_id) != 0)
            ret = HH_ENOTFOUND;
        if (ret != HH_OK) {
            hh_diag_fail(d, ret, "supersedes", "names no earlier visit of this household");
            goto cleanup;
        }
    }
    if (!v->id[0]) {
        /* No id (a spreadsheet row): the same visit again is one whose content
         * is identical, so importing a file twice does not double its visits. */
        if ((ret = hh_records_visit_find_same(&s->sql, v, v->id)) != HH_OK)
            goto cleanup;
    }
    if (v->id[0]) {
        ret = hh_records_visit_get(&s->sql, v->id, &existing);
        if (ret == HH_OK) {
            ret = hh_records_visit_same(&existing, v) ? HH_OK
                  : hh_diag_fail(d, HH_ECONFLICT, "id",
                                 "a different visit with this id is already recorded");
            goto cleanup;
        }
        if (ret != HH_ENOTFOUND)
            goto cleanup;
    } else if ((ret = hh_records_new_id(v->id)) != HH_OK) {
        goto cleanup;
    }
    if ((ret = stamp(s, &c.hlc)) != HH_OK)
        goto cleanup;
    v->hlc = c.hlc;
    if ((ret = hh_records_visit_insert(&s->sql, v)) != HH_OK) {
        ret = db_fail(s->db, d, "cannot write the visit");
        goto cleanup;
    }
    c.entity = HH_ENTITY_VISIT;
    c.op = HH_OP_CREATE;
    c.entity_id = v->id;
    c.visit = v;
    if ((ret = outbox_append(s, &c)) != HH_OK) {
        ret = db_fail(s->db, d, "cannot queue the visit for sync");
        goto cleanup;
    }
    if ((ret = recompute_tier(s, v->household_id)) != HH_OK)
        goto cleanup;
    if (added)
        *added = 1;
cleanup:
    free(h);
    return ret;
}

/* ---- settings ---------------------------------------------------------------------- */

hh_err hh_store_lang(hh_store *s, char out[HH_LANG_MAX + 1])
{
    return meta_get_optional(s, "lang", out, HH_LANG_MAX + 1);
}

hh_err hh_store_set_lang(hh_store *s, const char *lang)
{
    hh_err ret;

    if (strcmp(lang, "zh") != 0 && strcmp(lang, "en") != 0)
        return HH_EINVAL;
    if ((ret = hh_store_begin(s)) != HH_OK)
        return ret;
    if ((ret = meta_set(s, "lang", lang)) != HH_OK) {
        hh_store_rollback(s);
        return ret;
    }
    return hh_store_commit(s);
}

/* ---- drafts ----------------------------------------------------------------------------- */

hh_err hh_store_draft_put(hh_store *s, const hh_draft *dr)
{
    static const char sql[] =
        "INSERT INTO drafts (household_id, answers, step, updated_ms) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT (household_id) DO UPDATE SET answers = excluded.answers,"
        " step = excluded.step, updated_ms = excluded.updated_ms";
    sqlite3_stmt *st;
    hh_err ret;

    if ((ret = hh_store_begin(s)) != HH_OK)
        return ret;
    if (!(st = hh_sql(&s->sql, sql))) {
        hh_store_rollback(s);
        return HH_EDB;
    }
    hh_sql_bind_text(st, 1, dr->household_id);
    hh_sql_bind_text(st, 2, dr->answers);
    sqlite3_bind_int(st, 3, dr->step);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)hh_platform_wall_ms());
    if ((ret = hh_sql_done(st)) != HH_OK) {
        hh_store_rollback(s);
        return ret;
    }
    return hh_store_commit(s);
}

static hh_err read_draft(sqlite3_stmt *st, hh_draft *out)
{
    out->step = sqlite3_column_int(st, 2);
    out->updated_ms = (uint64_t)sqlite3_column_int64(st, 3);
    if (hh_sql_col_text(st, 0, out->household_id, sizeof out->household_id) != HH_OK ||
        hh_sql_col_text(st, 1, out->answers, sizeof out->answers) != HH_OK)
        return HH_ECORRUPT;
    return HH_OK;
}

hh_err hh_store_draft_get(hh_store *s, const char *household_id, hh_draft *out)
{
    static const char sql[] =
        "SELECT household_id, answers, step, updated_ms FROM drafts WHERE household_id = ?1";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);
    hh_err ret;

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, household_id);
    ret = sqlite3_step(st) == SQLITE_ROW ? read_draft(st, out) : HH_ENOTFOUND;
    sqlite3_reset(st);
    return ret;
}

hh_err hh_store_draft_delete(hh_store *s, const char *household_id)
{
    static const char sql[] = "DELETE FROM drafts WHERE household_id = ?1";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, household_id);
    return hh_sql_done(st);
}

typedef struct draft_rows {
    hh_draft_cb cb;
    void *ctx;
    hh_draft *scratch;
} draft_rows;

static hh_err draft_row(sqlite3_stmt *st, void *ctx, int *stop)
{
    draft_rows *r = ctx;
    hh_err ret = read_draft(st, r->scratch);

    if (ret == HH_OK)
        *stop = r->cb(r->ctx, r->scratch);
    return ret;
}

hh_err hh_store_each_draft(hh_store *s, hh_draft_cb cb, void *ctx)
{
    static const char sql[] =
        "SELECT household_id, answers, step, updated_ms FROM drafts ORDER BY updated_ms";
    draft_rows r = { cb, ctx, malloc(sizeof *r.scratch) };
    hh_err ret;

    if (!r.scratch)
        return HH_ENOMEM;
    ret = hh_sql_each_row(s->db, sql, NULL, draft_row, &r);
    free(r.scratch);
    return ret;
}

/* ---- tiers ---------------------------------------------------------------------------- */

static hh_err recompute_tier(hh_store *s, const char *household_id)
{
    static const char upsert[] =
        "INSERT INTO tiers (household_id, source, tier, reasons, rulebook, last_visit_on,"
        " per_capita_yuan, computed_hlc) VALUES (?1, 'device', ?2, ?3, ?4, ?5, ?6, ?7)"
        " ON CONFLICT (household_id, source) DO UPDATE SET tier = excluded.tier,"
        " reasons = excluded.reasons, rulebook = excluded.rulebook,"
        " last_visit_on = excluded.last_visit_on, per_capita_yuan = excluded.per_capita_yuan,"
        " computed_hlc = excluded.computed_hlc";
    static const char remove[] = "DELETE FROM tiers WHERE household_id = ?1 AND source = 'device'";
    hh_tier_result r;
    char last_visit_on[HH_DATE_LEN + 1];
    sqlite3_stmt *st;
    uint64_t hlc;
    int found;
    hh_err ret;

    if ((ret = hh_records_compute_tier(&s->sql, &s->rules, household_id, &r, last_visit_on, NULL,
                                       &found, NULL)) != HH_OK)
        return ret;
    if (!found) {
        if (!(st = hh_sql(&s->sql, remove)))
            return HH_EDB;
        hh_sql_bind_text(st, 1, household_id);
        return hh_sql_done(st);
    }
    if ((ret = stamp(s, &hlc)) != HH_OK)
        return ret;
    if (!(st = hh_sql(&s->sql, upsert)))
        return HH_EDB;
    if ((ret = hh_records_bind_tier(st, household_id, &r, s->rules.version, last_visit_on)) != HH_OK)
        return ret;
    sqlite3_bind_int64(st, 7, (sqlite3_int64)hlc);
    return hh_sql_done(st);
}

/* ---- reading ---------------------------------------------------------------------------- */

hh_err hh_store_member_get(hh_store *s, const char *member_id, hh_member *out,
                           char household_id[HH_UUID_LEN + 1])
{
    return hh_records_member_get(&s->sql, member_id, out, household_id);
}

hh_err hh_store_member_find(hh_store *s, const char *key, hh_member *out,
                            char household_id[HH_UUID_LEN + 1], int *matches)
{
    static const char sql[] =
        "SELECT id FROM members WHERE id = ?1 OR id_number = ?1 OR name = ?1 ORDER BY id LIMIT 2";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);
    char id_number[HH_ID_NUMBER_LEN + 1], first[HH_UUID_LEN + 1] = "";
    hh_err ret = HH_OK;

    *matches = 0;
    if (!st)
        return HH_EDB;
    if (strlen(key) == HH_ID_NUMBER_LEN) {   /* officers type the check character either way */
        memcpy(id_number, key, sizeof id_number);
        hh_id_number_normalise(id_number);
        key = id_number;
    }
    hh_sql_bind_text(st, 1, key);
    while (ret == HH_OK && sqlite3_step(st) == SQLITE_ROW)
        if ((*matches)++ == 0)
            ret = hh_sql_col_text(st, 0, first, sizeof first);
    sqlite3_reset(st);
    if (ret != HH_OK)
        return ret;
    if (*matches != 1)
        return HH_ENOTFOUND;
    return hh_records_member_get(&s->sql, first, out, household_id);
}

hh_err hh_store_member_remove(hh_store *s, const char *member_id, hh_diag *d)
{
    hh_household *h = malloc(sizeof *h);
    char household_id[HH_UUID_LEN + 1];
    hh_member m;
    hh_err ret;
    int kept = 0;

    if (!h)
        return HH_ENOMEM;
    if ((ret = hh_records_member_get(&s->sql, member_id, &m, household_id)) != HH_OK ||
        (ret = hh_records_household_get(&s->sql, household_id, 1, h)) != HH_OK) {
        free(h);
        return ret;
    }
    for (int i = 0; i < h->member_count; i++)
        if (strcmp(h->members[i].id, member_id) != 0)
            h->members[kept++] = h->members[i];
    h->member_count = kept;
    ret = hh_store_household_put(s, h, 1, NULL, d);
    free(h);
    return ret;
}

hh_err hh_store_each_household(hh_store *s, const char *village, hh_household_cb cb, void *ctx)
{
    return hh_records_each_household(&s->sql, village, cb, ctx);
}

hh_err hh_store_each_visit(hh_store *s, const char *household_id, hh_visit_cb cb, void *ctx)
{
    return hh_records_each_visit(&s->sql, household_id, cb, ctx);
}

typedef struct tier_rows {
    hh_tier_cb cb;
    void *ctx;
} tier_rows;

/* A row in the column order of TIER_SELECT into row. */
static hh_err read_tier_row(sqlite3_stmt *st, hh_tier_row *row)
{
    hh_err ret = hh_records_read_tier(st, &row->v);

    if (ret != HH_OK)
        return ret;
    row->device_tier = 0;
    if (sqlite3_column_type(st, 9) != SQLITE_NULL && sqlite3_column_int(st, 9) != (int)row->v.tier &&
        strcmp(row->v.label, "collector") == 0)
        row->device_tier = (hh_tier)sqlite3_column_int(st, 9);
    row->review = (hh_review_state)hh_enum_parse(&hh_review_state_names,
                                                 sqlite3_column_text(st, 10)
                                                     ? (const char *)sqlite3_column_text(st, 10) : "");
    if (hh_open_measures_parse((const char *)sqlite3_column_text(st, 11), row->measures,
                               HH_OPEN_MEASURES_MAX, &row->n_measures) != HH_OK)
        return HH_ECORRUPT;
    return HH_OK;
}

static hh_err tier_row(sqlite3_stmt *st, void *ctx, int *stop)
{
    tier_rows *r = ctx;
    hh_tier_row row;
    hh_err ret = read_tier_row(st, &row);

    if (ret == HH_OK)
        *stop = r->cb(r->ctx, &row);
    return ret;
}

#define TIER_SELECT \
    "SELECT t.household_id, h.registry_no, h.village_code, t.tier, t.reasons, t.rulebook," \
    " t.source, t.last_visit_on, t.per_capita_yuan, p.tier, t.review, t.measures" \
    " FROM tiers t JOIN households h ON h.id = t.household_id" \
    " LEFT JOIN tiers p ON p.household_id = t.household_id AND p.source = 'device'"
/* The collector's tier where there is one, else the device's. */
#define TIER_SHOWN \
    " t.source = (SELECT CASE WHEN EXISTS (SELECT 1 FROM tiers c WHERE" \
    "   c.household_id = t.household_id AND c.source = 'collector')" \
    "   THEN 'collector' ELSE 'device' END)"

hh_err hh_store_each_tier(hh_store *s, const char *village, hh_tier_cb cb, void *ctx)
{
    static const char sql[] = TIER_SELECT " WHERE (?1 IS NULL OR h.village_code = ?1) AND" TIER_SHOWN
                              " ORDER BY t.tier DESC, h.village_code, h.registry_no, h.id";
    tier_rows r = { cb, ctx };

    return hh_sql_each_row(s->db, sql, village, tier_row, &r);
}

typedef struct work_rows {
    hh_work_cb cb;
    void *ctx;
} work_rows;

static hh_err work_row(sqlite3_stmt *st, void *ctx, int *stop)
{
    work_rows *r = ctx;
    hh_work_row row;
    hh_err ret;

    memset(&row, 0, sizeof row);
    if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
        if ((ret = read_tier_row(st, &row.t)) != HH_OK)
            return ret;
    } else if (hh_sql_col_text(st, 0, row.t.v.household_id, sizeof row.t.v.household_id) != HH_OK ||
               hh_sql_col_text(st, 1, row.t.v.registry_no, sizeof row.t.v.registry_no) != HH_OK ||
               hh_sql_col_text(st, 2, row.t.v.village_code, sizeof row.t.v.village_code) != HH_OK) {
        return HH_ECORRUPT;
    }
    if (hh_sql_col_text(st, 12, row.head, sizeof row.head) != HH_OK)
        return HH_ECORRUPT;
    row.members = sqlite3_column_int(st, 13);
    *stop = r->cb(r->ctx, &row);
    return HH_OK;
}

hh_err hh_store_each_work(hh_store *s, const char *village, hh_work_cb cb, void *ctx)
{
    static const char sql[] =
        "SELECT h.id, h.registry_no, h.village_code, t.tier, t.reasons, t.rulebook,"
        " t.source, t.last_visit_on, t.per_capita_yuan, p.tier, t.review, t.measures,"
        " ifnull((SELECT m.name FROM members m WHERE m.household_id = h.id AND m.relation = 'head'"
        "   ORDER BY m.position LIMIT 1), ''),"
        " (SELECT count(*) FROM members m WHERE m.household_id = h.id)"
        " FROM households h"
        " LEFT JOIN tiers p ON p.household_id = h.id AND p.source = 'device'"
        " LEFT JOIN tiers t ON t.household_id = h.id AND t.source ="
        "   (CASE WHEN EXISTS (SELECT 1 FROM tiers c WHERE c.household_id = h.id"
        "    AND c.source = 'collector') THEN 'collector' ELSE 'device' END)"
        " WHERE (?1 IS NULL OR h.village_code = ?1)"
        " ORDER BY h.village_code, h.registry_no, h.id";
    work_rows r = { cb, ctx };

    return hh_sql_each_row(s->db, sql, village, work_row, &r);
}

static int keep_tier(void *ctx, const hh_tier_row *row)
{
    *(hh_tier_row *)ctx = *row;
    return 1;
}

hh_err hh_store_tier_get(hh_store *s, const char *household_id, int provisional, hh_tier_row *out)
{
    static const char shown[] = TIER_SELECT " WHERE t.household_id = ?1 AND" TIER_SHOWN;
    static const char device[] = TIER_SELECT " WHERE t.household_id = ?1 AND t.source = 'device'";
    tier_rows r = { keep_tier, out };
    hh_err ret;

    out->v.household_id[0] = '\0';
    ret = hh_sql_each_row(s->db, provisional ? device : shown, household_id, tier_row, &r);
    return ret == HH_OK && !out->v.household_id[0] ? HH_ENOTFOUND : ret;
}

hh_sqlcache *hh_store_sql(hh_store *s)
{
    return &s->sql;
}

typedef struct outbox_rows {
    hh_outbox_cb cb;
    void *ctx;
} outbox_rows;

static hh_err outbox_row(sqlite3_stmt *st, void *ctx, int *stop)
{
    outbox_rows *r = ctx;
    hh_outbox_row row;

    memset(&row, 0, sizeof row);
    row.seq = (uint64_t)sqlite3_column_int64(st, 0);
    row.hlc = (uint64_t)sqlite3_column_int64(st, 1);
    row.created_ms = (uint64_t)sqlite3_column_int64(st, 5);
    row.payload_bytes = (size_t)sqlite3_column_int64(st, 8);
    if (hh_sql_col_text(st, 2, row.entity, sizeof row.entity) != HH_OK ||
        hh_sql_col_text(st, 3, row.op, sizeof row.op) != HH_OK ||
        hh_sql_col_text(st, 4, row.entity_id, sizeof row.entity_id) != HH_OK ||
        hh_sql_col_text(st, 6, row.state, sizeof row.state) != HH_OK ||
        hh_sql_col_text(st, 7, row.reason, sizeof row.reason) != HH_OK)
        return HH_ECORRUPT;
    *stop = r->cb(r->ctx, &row);
    return HH_OK;
}

hh_err hh_store_each_outbox(hh_store *s, const char *state, hh_outbox_cb cb, void *ctx)
{
    static const char sql[] =
        "SELECT seq, hlc, entity, op, entity_id, created_ms, state, reason, length(payload)"
        " FROM outbox WHERE ?1 IS NULL OR state = ?1 ORDER BY seq";
    outbox_rows r = { cb, ctx };

    return hh_sql_each_row(s->db, sql, state, outbox_row, &r);
}

static int64_t count_of(hh_store *s, const char *sql)
{
    sqlite3_stmt *st;
    int64_t n = -1;

    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

hh_err hh_store_outbox_health(hh_store *s, int64_t *pending, uint64_t *oldest_pending_ms)
{
    /* Both read the (state, seq) index: the cost is the pending rows'. */
    *pending = count_of(s, "SELECT count(*) FROM outbox WHERE state = 'pending'");
    *oldest_pending_ms = (uint64_t)count_of(
        s, "SELECT coalesce(min(created_ms), 0) FROM outbox WHERE state = 'pending'");
    return *pending < 0 ? HH_EDB : HH_OK;
}

hh_err hh_store_outbox_prune(hh_store *s, uint64_t older_than_ms, int64_t *pruned)
{
    static const char sql[] = "DELETE FROM outbox WHERE state = 'acked' AND acked_ms < ?1";
    sqlite3_stmt *st;
    hh_err ret;

    *pruned = 0;
    if ((ret = hh_store_begin(s)) != HH_OK)
        return ret;
    if (!(st = hh_sql(&s->sql, sql))) {
        hh_store_rollback(s);
        return HH_EDB;
    }
    sqlite3_bind_int64(st, 1, (sqlite3_int64)older_than_ms);
    if ((ret = hh_sql_done(st)) != HH_OK) {
        hh_store_rollback(s);
        return ret;
    }
    *pruned = sqlite3_changes(s->db);
    return hh_store_commit(s);
}

hh_err hh_store_checkpoint(hh_store *s)
{
    return sqlite3_wal_checkpoint_v2(s->db, "main", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) == SQLITE_OK
               ? HH_OK : HH_EDB;
}

/* A consistent copy of everything committed in db, the WAL's content
 * included, into the empty file tmp: sealed under the key of sealed_as when
 * that database has one (the copy keeps db's page layout and reserve). */
static hh_err vacuum_into(sqlite3 *db, const char *tmp, const char *sealed_as, hh_diag *d)
{
    sqlite3_stmt *st = NULL;
    hh_err ret;

    if (sealed_as && hh_vfs_has_key(sealed_as) && hh_vfs_copy_key(sealed_as, tmp) != HH_OK)
        return hh_diag_fail(d, HH_ENOMEM, "out", "cannot seal %s", tmp);
    if (sqlite3_prepare_v2(db, "VACUUM INTO ?1", -1, &st, NULL) != SQLITE_OK)
        return db_fail(db, d, "cannot copy the database");
    sqlite3_bind_text(st, 1, tmp, -1, SQLITE_STATIC);
    ret = sqlite3_step(st) == SQLITE_DONE ? HH_OK : hh_sql_err(sqlite3_errcode(db));
    if (ret != HH_OK)
        hh_diag_fail(d, ret, "out", "cannot write %s: %s", tmp, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return ret;
}

hh_err hh_store_backup(hh_store *s, const char *path, hh_diag *d)
{
    char tmp[HH_PATH_MAX + 16];
    hh_err ret;

    if (hh_platform_exists(path))
        return hh_diag_fail(d, HH_EEXIST, "out", "%s already exists: give a new file", path);
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.partial", path) >= sizeof tmp)
        return hh_diag_fail(d, HH_ERANGE, "out", "the path is too long");
    hh_platform_remove(tmp);
    /* The copy holds what the database holds: its owner's alone, like it
     * (made empty 0600 first; VACUUM INTO fills an empty file). */
    if (hh_platform_private_db(tmp, 1) != HH_OK)
        return hh_diag_fail(d, HH_EIO, "out", "cannot create %s", tmp);
    /* Written beside the target and published only when whole and synced;
     * a sealed database's copy is sealed with the same key. */
    ret = vacuum_into(s->db, tmp, s->path, d);
    hh_vfs_forget_key(tmp);
    if (ret == HH_OK && (ret = hh_platform_publish_durable(tmp, path)) != HH_OK)
        hh_diag_fail(d, ret, "out", "cannot make %s durable", path);
    if (ret != HH_OK)
        hh_platform_remove(tmp);
    return ret;
}

hh_err hh_store_info_get(hh_store *s, hh_store_info *out)
{
    static const char tier_sql[] =
        "SELECT tier, count(*) FROM tiers t WHERE source = (SELECT CASE WHEN EXISTS"
        " (SELECT 1 FROM tiers c WHERE c.household_id = t.household_id AND c.source = 'collector')"
        " THEN 'collector' ELSE 'device' END) GROUP BY tier";
    sqlite3_stmt *st;
    hh_err ret;

    memset(out, 0, sizeof *out);
    memcpy(out->device_id, s->device_id, sizeof out->device_id);
    out->device_epoch = s->device_epoch;
    out->schema_version = hh_sql_user_version(s->db);
    memcpy(out->rulebook_version, s->rules.version, sizeof out->rulebook_version);
    if ((ret = meta_get_u64(s, "next_seq", &out->next_seq)) != HH_OK)
        return ret;
    out->households = count_of(s, "SELECT count(*) FROM households");
    out->members = count_of(s, "SELECT count(*) FROM members");
    out->visits = count_of(s, "SELECT count(*) FROM visits");
    out->outbox_acked = count_of(s, "SELECT count(*) FROM outbox WHERE state = 'acked'");
    out->outbox_quarantined = count_of(s, "SELECT count(*) FROM outbox WHERE state = 'quarantined'");
    if (hh_store_outbox_health(s, &out->outbox_pending, &out->oldest_pending_ms) != HH_OK ||
        out->households < 0 || out->members < 0 || out->visits < 0 || out->outbox_pending < 0)
        return HH_EDB;
    if (sqlite3_prepare_v2(s->db, tier_sql, -1, &st, NULL) != SQLITE_OK)
        return HH_EDB;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int tier = sqlite3_column_int(st, 0);
        if (tier >= HH_TIER_GREEN && tier <= HH_TIER_RED)
            out->tier_counts[tier] = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return HH_OK;
}

/* ---- sync ------------------------------------------------------------------------ */

hh_err hh_store_sync_state(hh_store *s, hh_sync_state *out)
{
    char cursor[24];
    hh_err ret;

    memset(out, 0, sizeof *out);
    memcpy(out->device_id, s->device_id, sizeof out->device_id);
    if ((ret = meta_get_optional(s, "server_url", out->server_url, sizeof out->server_url)) != HH_OK ||
        (ret = meta_get_optional(s, "villages", out->villages, sizeof out->villages)) != HH_OK ||
        (ret = meta_get_optional(s, "officer", out->officer, sizeof out->officer)) != HH_OK ||
        (ret = meta_get_optional(s, "pull_cursor", cursor, sizeof cursor)) != HH_OK ||
        (ret = meta_get_u64(s, "hlc", &out->hlc)) != HH_OK)
        return ret;
    out->cursor = strtoull(cursor, NULL, 10);
    out->enrolled = out->server_url[0] != '\0';
    return HH_OK;
}

/* Replace the rulebook in force and recompute every provisional tier. */
static hh_err replace_rulebook(hh_store *s, const char *text, hh_diag *d)
{
    static const char households[] = "SELECT id FROM households ORDER BY id";
    hh_rulebook rules;
    sqlite3_stmt *st;
    char id[HH_UUID_LEN + 1];
    hh_err ret;

    if ((ret = hh_rulebook_parse(text, strlen(text), &rules, d)) != HH_OK)
        return ret;
    if ((ret = meta_set(s, "rulebook", text)) != HH_OK)
        return ret;
    s->rules = rules;
    if (sqlite3_prepare_v2(s->db, households, -1, &st, NULL) != SQLITE_OK)
        return HH_EDB;
    while (ret == HH_OK && sqlite3_step(st) == SQLITE_ROW)
        if ((ret = hh_sql_col_text(st, 0, id, sizeof id)) == HH_OK)
            ret = recompute_tier(s, id);
    sqlite3_finalize(st);
    return ret;
}

/* Re-encode every pending outbox change under the store's current device id and
 * epoch; with seq_base > 0 also renumber them seq_base, seq_base + 1, … (in their
 * order) and move next_seq past them. *moved is how many. Inside the caller's
 * transaction. */
static hh_err outbox_reidentify(hh_store *s, uint64_t seq_base, size_t *moved)
{
    static const char list[] = "SELECT seq FROM outbox WHERE state = 'pending' ORDER BY seq";
    static const char get[] = "SELECT payload FROM outbox WHERE seq = ?1";
    static const char put[] = "UPDATE outbox SET seq = ?2, payload = ?3 WHERE seq = ?1";
    sqlite3_stmt *st = NULL;
    uint64_t *seqs = NULL, next;
    size_t count = 0, cap = 0;
    hh_err ret = HH_OK;

    if (sqlite3_prepare_v2(s->db, list, -1, &st, NULL) != SQLITE_OK)
        return HH_EDB;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (count == cap) {
            uint64_t *grown = realloc(seqs, (cap = cap ? 2 * cap : 256) * sizeof *seqs);
            if (!grown) {
                ret = HH_ENOMEM;
                break;
            }
            seqs = grown;
        }
        seqs[count++] = (uint64_t)sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    /* New seqs are above every seq the outbox holds, so no renumbered row can
     * meet one not yet renumbered. */
    if (seq_base && seq_base < s->next_seq)
        seq_base = s->next_seq;
    for (size_t i = 0; ret == HH_OK && i < count; i++) {
        uint64_t seq = seq_base ? seq_base + i : seqs[i];
        if (!(st = hh_sql(&s->sql, get))) {
            ret = HH_EDB;
            break;
        }
        sqlite3_bind_int64(st, 1, (sqlite3_int64)seqs[i]);
        if (sqlite3_step(st) != SQLITE_ROW)
            ret = HH_EDB;
        else
            ret = hh_codec_change_reidentify(sqlite3_column_blob(st, 0),
                                             (size_t)sqlite3_column_bytes(st, 0), s->device_id,
                                             s->device_epoch, seq, &s->payload);
        sqlite3_reset(st);
        if (ret != HH_OK)
            break;
        if (!(st = hh_sql(&s->sql, put))) {
            ret = HH_EDB;
            break;
        }
        sqlite3_bind_int64(st, 1, (sqlite3_int64)seqs[i]);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
        sqlite3_bind_blob(st, 3, s->payload.data, (int)s->payload.len, SQLITE_TRANSIENT);
        ret = hh_sql_done(st);
    }
    next = seq_base ? seq_base + count : s->next_seq;
    if (ret == HH_OK && next > s->next_seq)
        s->next_seq = next;
    *moved = count;
    free(seqs);
    return ret;
}

uint32_t hh_store_epoch(const hh_store *s)
{
    return s->device_epoch;
}

hh_err hh_store_new_epoch(hh_store *s, uint64_t seq_high, size_t *moved)
{
    hh_err ret;

    *moved = 0;
    if (seq_high >= UINT64_MAX / 2)
        return HH_ERANGE;
    if ((ret = hh_store_begin(s)) != HH_OK)
        return ret;
    s->device_epoch++;
    if ((ret = meta_set_u64(s, "device_epoch", s->device_epoch)) != HH_OK ||
        (ret = outbox_reidentify(s, seq_high + 1, moved)) != HH_OK ||
        (ret = hh_store_commit(s)) != HH_OK) {
        hh_store_rollback(s);
        s->device_epoch--;
        *moved = 0;
        return ret;
    }
    return HH_OK;
}

hh_err hh_store_enrolled(hh_store *s, const char *device_id, const char *url, const char *villages,
                         const char *officer, const char *rulebook_text, hh_diag *d)
{
    char old_id[sizeof s->device_id];
    size_t moved;
    hh_err ret;

    if (hh_validate_uuid(device_id, d) != HH_OK)
        return HH_EINVAL;
    if ((ret = hh_store_begin(s)) != HH_OK)
        return ret;
    memcpy(old_id, s->device_id, sizeof old_id);
    snprintf(s->device_id, sizeof s->device_id, "%s", device_id);
    if ((ret = meta_set(s, "device_id", device_id)) != HH_OK ||
        (ret = outbox_reidentify(s, 0, &moved)) != HH_OK ||
        (ret = meta_set(s, "server_url", url)) != HH_OK ||
        (ret = meta_set(s, "villages", villages)) != HH_OK ||
        (ret = meta_set(s, "officer", officer)) != HH_OK ||
        (ret = meta_set_u64(s, "enrolled_ms", hh_platform_wall_ms())) != HH_OK ||
        (ret = meta_set(s, "pull_cursor", "0")) != HH_OK ||
        (ret = replace_rulebook(s, rulebook_text, d)) != HH_OK ||
        (ret = hh_store_commit(s)) != HH_OK) {
        hh_store_rollback(s);
        hh_store_rulebook_reload(s);
        memcpy(s->device_id, old_id, sizeof old_id);
        return ret;
    }
    return HH_OK;
}

hh_err hh_store_outbox_frame(hh_store *s, size_t max_bytes, size_t max_count, hh_buf *out,
                             size_t *count, uint64_t *last_seq)
{
    static const char sql[] = "SELECT seq, payload FROM outbox WHERE state = 'pending' ORDER BY seq";
    sqlite3_stmt *st;
    hh_err ret = HH_OK;

    *count = 0;
    *last_seq = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return HH_EDB;
    while (*count < max_count && sqlite3_step(st) == SQLITE_ROW) {
        const void *payload = sqlite3_column_blob(st, 1);
        size_t len = (size_t)sqlite3_column_bytes(st, 1);
        uint8_t head[11];
        size_t h = 0;

        if (len > HH_CHANGE_BYTES_MAX) {
            ret = HH_ECORRUPT;
            break;
        }
        /* Field 3 (changes), wire type 2: tag, varint length, the Change. */
        head[h++] = (3 << 3) | 2;
        for (size_t v = len; ; v >>= 7) {
            head[h++] = (uint8_t)((v & 0x7F) | (v > 0x7F ? 0x80 : 0));
            if (v <= 0x7F)
                break;
        }
        if (*count > 0 && out->len + h + len > max_bytes)
            break;   /* the next batch takes it; one oversized change still goes alone */
        if ((ret = hh_buf_append(out, head, h)) != HH_OK ||
            (ret = hh_buf_append(out, payload, len)) != HH_OK)
            break;
        (*count)++;
        *last_seq = (uint64_t)sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return ret;
}

hh_err hh_store_outbox_ack(hh_store *s, uint64_t acked_seq, const hh_rejected *rejected,
                           size_t n_rejected, size_t *acked, size_t *quarantined)
{
    static const char quarantine[] =
        "UPDATE outbox SET state = 'quarantined', reason = ?2, acked_ms = ?3"
        " WHERE seq = ?1 AND state = 'pending'";
    static const char ack[] =
        "UPDATE outbox SET state = 'acked', acked_ms = ?2 WHERE seq <= ?1 AND state = 'pending'";
    uint64_t now = hh_platform_wall_ms();
    sqlite3_stmt *st;
    hh_err ret;

    *acked = *quarantined = 0;
    if ((ret = hh_store_begin(s)) != HH_OK)
        return ret;
    for (size_t i = 0; i < n_rejected; i++) {
        if (rejected[i].seq > acked_seq)
            continue;
        if (!(st = hh_sql(&s->sql, quarantine))) {
            ret = HH_EDB;
            goto fail;
        }
        sqlite3_bind_int64(st, 1, (sqlite3_int64)rejected[i].seq);
        hh_sql_bind_text(st, 2, rejected[i].reason);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
        if ((ret = hh_sql_done(st)) != HH_OK)
            goto fail;
        *quarantined += (size_t)sqlite3_changes(s->db);
    }
    if (!(st = hh_sql(&s->sql, ack))) {
        ret = HH_EDB;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, (sqlite3_int64)acked_seq);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
    if ((ret = hh_sql_done(st)) != HH_OK)
        goto fail;
    *acked = (size_t)sqlite3_changes(s->db);
    return hh_store_commit(s);
fail:
    hh_store_rollback(s);
    return ret;
}

hh_err hh_store_quarantine_waiting(hh_store *s, uint64_t *seqs, size_t cap, size_t *n)
{
    static const char sql[] =
        "SELECT seq FROM outbox WHERE state = 'quarantined' AND outcome IS NULL ORDER BY seq LIMIT ?1";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);
    int rc;

    *n = 0;
    if (!st)
        return HH_EDB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)cap);
    while (*n < cap && (rc = sqlite3_step(st)) == SQLITE_ROW)
        seqs[(*n)++] = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return HH_OK;
}

hh_err hh_store_quarantine_outcome(hh_store *s, uint64_t seq, int accepted, const char *note)
{
    static const char accept[] =
        "UPDATE outbox SET state = 'acked', outcome = 'accepted', reason = ?2"
        " WHERE seq = ?1 AND state = 'quarantined'";
    static const char discard[] =
        "UPDATE outbox SET outcome = 'discarded', reason = ?2 WHERE seq = ?1 AND state = 'quarantined'";
    sqlite3_stmt *st = hh_sql(&s->sql, accepted ? accept : discard);
    char reason[200];

    if (!st)
        return HH_EDB;
    snprintf(reason, sizeof reason, "%s at the collector: %.150s", accepted ? "accepted" : "discarded", note);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)seq);
    hh_sql_bind_text(st, 2, reason);
    return hh_sql_done(st);
}

/* Whether the collector refused a change of entity_id (its outbox row is
 * quarantined). */
static hh_err refused(hh_store *s, const char *entity_id, int *out)
{
    static const char sql[] =
        "SELECT 1 FROM outbox WHERE entity_id = ?1 AND state = 'quarantined' LIMIT 1";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, entity_id);
    *out = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return HH_OK;
}

/* Apply one pulled household snapshot inside a savepoint; *applied says
 * whether it was (0: skipped, with the database as before). */
static hh_err apply_snapshot(hh_store *s, const hh_snapshot *snap, int *applied)
{
    static const char pending[] =
        "SELECT 1 FROM outbox WHERE state = 'pending' AND (entity_id = ?1"
        " OR entity_id IN (SELECT id FROM members WHERE household_id = ?1)) LIMIT 1";
    const hh_household *h = &snap->household;
    hh_household *old = malloc(sizeof *old);
    sqlite3_stmt *st;
    uint64_t hlc = 0;
    int is_new, busy;
    hh_err ret;

    *applied = 0;
    if (!old)
        return HH_ENOMEM;
    if (!(st = hh_sql(&s->sql, pending))) {
        free(old);
        return HH_EDB;
    }
    hh_sql_bind_text(st, 1, h->id);
    busy = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    if (busy) {            /* local edits not sent yet: they go first */
        free(old);
        return HH_OK;
    }
    if (sqlite3_exec(s->db, "SAVEPOINT snapshot", NULL, NULL, NULL) != SQLITE_OK) {
        free(old);
        return HH_EDB;
    }
    ret = hh_records_household_get(&s->sql, h->id, 1, old);
    is_new = ret == HH_ENOTFOUND;
    if (ret != HH_OK && !is_new)
        goto undo;
    for (size_t i = 0; i < snap->version_count; i++)
        if (snap->versions[i].hlc > hlc)
            hlc = snap->versions[i].hlc;
    if ((ret = hh_records_household_write(&s->sql, h, is_new, hlc)) != HH_OK)
        goto undo;
    /* A member the collector does not hold goes, unless the collector refused
     * it: what an officer entered stays, marked with the refusal, until the
     * officer corrects or removes it. */
    for (int j = 0; !is_new && j < old->member_count; j++) {
        int pulled = 0, keep = 0;
        for (int i = 0; i < h->member_count && !pulled; i++)
            pulled = strcmp(h->members[i].id, old->members[j].id) == 0;
        if (pulled)
            continue;
        if ((ret = refused(s, old->members[j].id, &keep)) != HH_OK)
            goto undo;
        ret = keep ? hh_records_member_write(&s->sql, h->id, h->member_count + j, &old->members[j], hlc)
                   : hh_records_member_delete(&s->sql, old->members[j].id);
        if (ret != HH_OK)
            goto undo;
    }
    for (int i = 0; i < h->member_count; i++)
        if ((ret = hh_records_member_write(&s->sql, h->id, i, &h->members[i], hlc)) != HH_OK)
            goto undo;
    for (size_t i = 0; i < snap->version_count; i++)
        if ((ret = hh_records_field_version_set(&s->sql, snap->versions[i].entity_id,
                                                snap->versions[i].field, snap->versions[i].hlc)) != HH_OK)
            goto undo;
    if ((ret = recompute_tier(s, h->id)) != HH_OK)
        goto undo;
    free(old);
    *applied = 1;
    return sqlite3_exec(s->db, "RELEASE snapshot", NULL, NULL, NULL) == SQLITE_OK ? HH_OK : HH_EDB;
undo:
    /* One household that does not fit (an ID number held by another member
     * here, say) must not stop the rest: undo it alone. */
    free(old);
    sqlite3_exec(s->db, "ROLLBACK TO snapshot", NULL, NULL, NULL);
    return sqlite3_exec(s->db, "RELEASE snapshot", NULL, NULL, NULL) == SQLITE_OK ? HH_OK : HH_EDB;
}

/* Does this device hold the household? (What a pull brings for one it does
 * not is skipped.) */
static hh_err household_known(hh_store *s, const char *household_id, int *present)
{
    static const char sql[] = "SELECT 1 FROM households WHERE id = ?1";
    sqlite3_stmt *st = hh_sql(&s->sql, sql);

    if (!st)
        return HH_EDB;
    hh_sql_bind_text(st, 1, household_id);
    *present = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return HH_OK;
}

/* Store one pulled visit in a savepoint: skipped (counted) when its household
 * is not here or it corrects a visit that is not; the household's provisional
 * tier is computed again. */
static hh_err apply_visit(hh_store *s, const hh_visit *v, hh_pull_result *r)
{
    hh_err ret;
    int inserted = 0, present;

    if ((ret = household_known(s, v->household_id, &present)) != HH_OK)
        return ret;
    if (!present) {
        r->visits_skipped++;
        return HH_OK;
    }
    if (sqlite3_exec(s->db, "SAVEPOINT visit", NULL, NULL, NULL) != SQLITE_OK)
        return HH_EDB;
    ret = hh_records_visit_insert_new(&s->sql, v, &inserted);
    if (ret == HH_OK && inserted)
        ret = recompute_tier(s, v->household_id);
    if (ret != HH_OK) {
        sqlite3_exec(s->db, "ROLLBACK TO visit", NULL, NULL, NULL);
        inserted = 0;
    }
    if (sqlite3_exec(s->db, "RELEASE visit", NULL, NULL, NULL) != SQLITE_OK)
        return HH_EDB;
    if (ret == HH_ENOSPC || ret == HH_ENOMEM)
        return ret;
    if (inserted)
        r->visits++;
    else if (ret != HH_OK)
        r->visits_skipped++;
    return HH_OK;
}

hh_err hh_store_apply_pull(hh_store *s, const hh_pull *p, hh_pull_result *r, hh_diag *d)
{
    static const char upsert[] =
        "INSERT INTO tiers (household_id, source, tier, reasons, rulebook, last_visit_on,"
        " per_capita_yuan, computed_hlc, review, measures)"
        " VALUES (?1, 'collector', ?2, ?3, ?4, ?5, ?7, ?6, ?8, ?9)"
        " ON CONFLICT (household_id, source) DO UPDATE SET tier = excluded.tier,"
        " reasons = excluded.reasons, rulebook = excluded.rulebook,"
        " last_visit_on = excluded.last_visit_on, per_capita_yuan = excluded.per_capita_yuan,"
        " computed_hlc = excluded.computed_hlc, review = excluded.review,"
        " measures = excluded.measures";
    char reasons[256], cursor_text[24];
    char measures[HH_OPEN_MEASURES_MAX * (HH_MEASURE_CODE_MAX + HH_RESPONSIBLE_MAX + 40)];
    hh_snapshot *snap = NULL;
    sqlite3_stmt *st;
    hh_err ret;

    memset(r, 0, sizeof *r);
    if ((ret = hh_store_begin(s)) != HH_OK)
        return ret;
    /* The collector's clock is the reference: it moves ours forward, and brings
     * it back when a wrong wall clock had run it ahead (the collector versions
     * such stamps itself and matches them by the stamp we sent; README, Clocks). */
    hh_hlc_observe(&s->clock, p->server_hlc, hh_platform_wall_ms(), UINT64_MAX);
    if (p->server_hlc)   /* an answer without the collector's stamp says nothing */
        hh_hlc_rewind(&s->clock, p->server_hlc, HH_HLC_AHEAD_MAX_MS);
    /* Households first, so their tiers below find them. */
    if (p->n_households && !(snap = malloc(sizeof *snap))) {
        ret = HH_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < p->n_households; i++) {
        int applied = 0;
        if (hh_codec_snapshot_from_pb(p->households[i], hh_platform_current_year(), snap, NULL) == HH_OK &&
            (ret = apply_snapshot(s, snap, &applied)) != HH_OK)
            goto fail;
        if (applied)
            r->households++;
        else
            r->households_skipped++;
    }
    /* History: the latest visits of the households pulled, so this device's
     * provisional tiers use the collector's inputs (income_drop needs the
     * visit before). Visits it holds already are kept as they are. */
    for (size_t i = 0; i < p->n_visits; i++)
        if ((ret = apply_visit(s, &p->visits[i], r)) != HH_OK)
            goto fail;
    for (size_t i = 0; i < p->n_tiers; i++) {
        const hh_pulled_tier *tiers = p->tiers;
        int present;
        if ((ret = household_known(s, tiers[i].household_id, &present)) != HH_OK)
            goto fail;
        if (!present) {
            r->tiers_skipped++;
            continue;
        }
        if ((ret = hh_reasons_format(tiers[i].reasons, ",", reasons, sizeof reasons)) != HH_OK ||
            !(st = hh_sql(&s->sql, upsert))) {
            ret = ret != HH_OK ? ret : HH_EDB;
            goto fail;
        }
        hh_sql_bind_text(st, 1, tiers[i].household_id);
        sqlite3_bind_int(st, 2, (int)tiers[i].tier);
        hh_sql_bind_text(st, 3, reasons);
        hh_sql_bind_text(st, 4, tiers[i].rulebook);
        hh_sql_bind_optional(st, 5, tiers[i].last_visit_on);
        sqlite3_bind_int64(st, 6, (sqlite3_int64)p->server_hlc);
        if (tiers[i].per_capita_yuan >= 0)
            sqlite3_bind_int64(st, 7, tiers[i].per_capita_yuan);
        hh_sql_bind_optional(st, 8, hh_enum_name(&hh_review_state_names, (int)tiers[i].review));
        if ((ret = hh_open_measures_format(tiers[i].measures, tiers[i].n_measures, measures,
                                           sizeof measures)) != HH_OK)
            goto fail;
        hh_sql_bind_text(st, 9, measures);
        if ((ret = hh_sql_done(st)) != HH_OK)
            goto fail;
        r->tiers++;
    }
    for (size_t i = 0; i < p->n_results; i++)
        if ((ret = hh_store_quarantine_outcome(s, p->results[i].seq, p->results[i].accepted,
                                               p->results[i].note)) != HH_OK)
            goto fail;
    if (p->rulebook_text) {
        hh_diag why;
        hh_diag_clear(&why);
        ret = replace_rulebook(s, p->rulebook_text, &why);
        if (ret == HH_EPARSE) {   /* nothing written: keep ours, store the rest */
            r->rulebook_refused = 1;
            snprintf(r->rulebook_reason, sizeof r->rulebook_reason, "%.40s: %.150s", why.field, why.message);
            ret = HH_OK;
        } else if (ret != HH_OK) {
            if (d)
                *d = why;
            goto fail;
        }
    }
    snprintf(cursor_text, sizeof cursor_text, "%llu", (unsigned long long)p->cursor);
    if ((ret = meta_set(s, "pull_cursor", cursor_text)) != HH_OK)
        goto fail;
    free(snap);
    return hh_store_commit(s);
fail:
    free(snap);
    hh_store_rollback(s);
    hh_store_rulebook_reload(s);
    return ret;
}

hh_err hh_store_seal(const char *path, const uint8_t key[HH_VFS_KEY_LEN], hh_diag *d)
{
    char tmp[HH_PATH_MAX + 16], side[HH_PATH_MAX + 24];
    sqlite3 *db = NULL;
    int reserve = HH_VFS_RESERVE, page = 0;
    hh_err ret = HH_OK;

    if ((size_t)snprintf(tmp, sizeof tmp, "%s.sealing", path) >= sizeof tmp)
        return hh_diag_fail(d, HH_ERANGE, "db", "the path is too long");
    hh_vfs_forget_key(path);
    hh_platform_remove(tmp);
    if (hh_platform_private_db(tmp, 1) != HH_OK)
        return hh_diag_fail(d, HH_EIO, "db", "cannot create %s", tmp);
    /* 1. The plain database, its WAL folded in and emptied (a WAL left
     * beside the sealed file would be replayed into it). */
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, hh_vfs_name()) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK) {
        ret = db_fail(db, d, "cannot open the database to seal it");
        goto done;
    }
    {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            page = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    if (page != HH_VFS_PAGE) {
        ret = hh_diag_fail(d, HH_ECORRUPT, "db", "pages of %d bytes, not %d: cannot seal", page, HH_VFS_PAGE);
        goto done;
    }
    /* 2. A sealed copy, with room in every page for the seal. */
    sqlite3_file_control(db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve);
    if ((ret = hh_vfs_set_key(tmp, key)) != HH_OK ||
        (ret = vacuum_into(db, tmp, NULL, d)) != HH_OK)
        goto done;
    sqlite3_close(db);
    db = NULL;
    /* 3. The copy opens with the key, whole, in WAL mode. */
    if (sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE, hh_vfs_name()) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK ||
        hh_sql_user_version(db) == 0) {
        ret = db_fail(db, d, "the sealed copy does not open");
        goto done;
    }
    sqlite3_close(db);
    db = NULL;
    /* 4. Published over the plain file, whose WAL and shared memory go first. */
    snprintf(side, sizeof side, "%s-wal", path);
    hh_platform_remove(side);
    snprintf(side, sizeof side, "%s-shm", path);
    hh_platform_remove(side);
    if ((ret = hh_platform_publish_durable(tmp, path)) != HH_OK)
        hh_diag_fail(d, ret, "db", "cannot put the sealed database in place");
    else if ((ret = hh_vfs_set_key(path, key)) != HH_OK)
        hh_diag_fail(d, ret, "db", "cannot keep the key");
done:
    sqlite3_close(db);
    hh_vfs_forget_key(tmp);
    if (ret != HH_OK)
        hh_platform_remove(tmp);
    return ret;
}
