/* tests/unit/test_store.c — agent/store.c on real SQLite files: migrations, the
 * outbox written atomically with the data, sequence numbers never reused,
 * field-level change detection, tiers recomputed in the same transaction. */
#include "helpers.h"

#include <sqlite3.h>
#include <unistd.h>

#include "agent/store_int.h"
#include "sync/codec.h"
#include "sync/records.h"

typedef struct fixture {
    char dir[64];
    char path[128];
    hh_store *s;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    hh_diag d;

    snprintf(f->dir, sizeof f->dir, "/tmp/hearth-test-XXXXXX");
    if (!f || !mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/sub/device.db", f->dir);
    if (hh_store_create(f->path, &f->s, &d) != HH_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[160];

    hh_store_close(f->s);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static int64_t scalar(hh_store *s, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;

    if (sqlite3_prepare_v2(hh_store_db(s), sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void exec(hh_store *s, const char *sql)
{
    char *err = NULL;

    if (sqlite3_exec(hh_store_db(s), sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err);
}

static void add_household(hh_store *s, hh_household *h, int members)
{
    hh_diag d;

    make_household(h, members);
    assert_int_equal(hh_store_begin(s), HH_OK);
    assert_int_equal(hh_store_household_put(s, h, 1, NULL, &d), HH_OK);
    assert_int_equal(hh_store_commit(s), HH_OK);
}

static hh_err add_visit(hh_store *s, const char *household_id, const char *date, int64_t income,
                        hh_visit *out)
{
    hh_diag d;
    hh_err ret;

    make_visit(out, date, income);
    memcpy(out->household_id, household_id, HH_UUID_LEN + 1);
    if ((ret = hh_store_begin(s)) != HH_OK)
        return ret;
    ret = hh_store_visit_add(s, out, NULL, &d);
    if (ret == HH_OK)
        return hh_store_commit(s);
    hh_store_rollback(s);
    return ret;
}

static void fresh_database(void **state)
{
    fixture *f = *state;
    hh_store_info info;

    assert_int_equal(hh_store_info_get(f->s, &info), HH_OK);
    assert_int_equal(info.schema_version, HH_STORE_SCHEMA_VERSION);
    assert_int_equal(hh_validate_uuid(info.device_id, NULL), HH_OK);
    assert_int_equal(info.next_seq, 1);
    assert_string_equal(info.rulebook_version, "yaan-2026.3");
    assert_int_equal(scalar(f->s, "PRAGMA journal_mode = WAL") >= 0, 1);
    /* Creating over an existing file is refused. */
    hh_store *again = NULL;
    hh_diag d;
    assert_int_equal(hh_store_create(f->path, &again, &d), HH_EEXIST);
    assert_null(again);
}

static void reopen_keeps_identity(void **state)
{
    fixture *f = *state;
    hh_store_info a, b;
    hh_diag d;

    assert_int_equal(hh_store_info_get(f->s, &a), HH_OK);
    hh_store_close(f->s);
    assert_int_equal(hh_store_open(f->path, &f->s, &d), HH_OK);
    assert_int_equal(hh_store_info_get(f->s, &b), HH_OK);
    assert_string_equal(a.device_id, b.device_id);
    assert_int_equal(b.schema_version, HH_STORE_SCHEMA_VERSION);
}

static void newer_schema_refused(void **state)
{
    fixture *f = *state;
    hh_store *s = NULL;
    hh_diag d;

    exec(f->s, "PRAGMA user_version = 99");
    hh_store_close(f->s);
    f->s = NULL;
    assert_int_equal(hh_store_open(f->path, &s, &d), HH_ESCHEMA);
    assert_null(s);
    assert_non_null(strstr(d.message, "newer"));
    assert_int_equal(hh_store_open("/nonexistent/hearth.db", &s, &d), HH_ENOTFOUND);
}

static void migrations_step_and_roll_back(void **state)
{
    static const char *const steps[] = {
        "CREATE TABLE a (x INTEGER);",
        "CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);",
        "CREATE TABLE c (x INTEGER);",
    };
    fixture *f = *state;
    sqlite3 *db;
    sqlite3_stmt *st;
    hh_diag d;
    char path[160];
    int version = -1, tables = -1;

    (void)f;
    snprintf(path, sizeof path, "%s/migrate.db", f->dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(hh_sql_migrate(db, steps, 1, "test", &d), HH_OK);
    /* Step 2 fails half way: its table must not exist, the version stays 1. */
    assert_int_equal(hh_sql_migrate(db, steps, 3, "test", &d), HH_EDB);
    assert_non_null(strstr(d.message, "version 2"));
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT user_version FROM pragma_user_version),"
                     " (SELECT count(*) FROM sqlite_master WHERE name IN ('a', 'b', 'c'))",
                     -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    version = sqlite3_column_int(st, 0);
    tables = sqlite3_column_int(st, 1);
    sqlite3_finalize(st);
    assert_int_equal(version, 1);
    assert_int_equal(tables, 1);
    /* Running the first step again is a no-op. */
    assert_int_equal(hh_sql_migrate(db, steps, 1, "test", &d), HH_OK);
    sqlite3_close(db);
}

static void change_and_outbox_commit_together(void **state)
{
    fixture *f = *state;
    hh_household h;
    hh_visit v;

    add_household(f->s, &h, 2);
    /* household + 2 members */
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM outbox"), 3);
    assert_int_equal(add_visit(f->s, h.id, "2026-10-01", 20000, &v), HH_OK);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM visits"), 1);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM outbox WHERE entity = 'visit'"), 1);
    assert_int_equal(scalar(f->s, "SELECT max(seq) FROM outbox"), 4);
    /* The tier was computed in the same transaction. */
    assert_int_equal(scalar(f->s, "SELECT tier FROM tiers WHERE source = 'device'"), HH_TIER_GREEN);

    /* A failing outbox insert leaves neither the visit nor an outbox row. */
    exec(f->s, "CREATE TRIGGER no_outbox BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'full'); END");
    assert_int_not_equal(add_visit(f->s, h.id, "2026-10-02", 100, &v), HH_OK);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM visits"), 1);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM outbox"), 4);
    assert_int_equal(scalar(f->s, "SELECT tier FROM tiers WHERE source = 'device'"), HH_TIER_GREEN);
    exec(f->s, "DROP TRIGGER no_outbox");

    /* A failing data insert leaves no outbox row and consumes no seq. */
    exec(f->s, "CREATE TRIGGER no_visit BEFORE INSERT ON visits BEGIN SELECT RAISE(ABORT, 'no'); END");
    assert_int_not_equal(add_visit(f->s, h.id, "2026-10-03", 100, &v), HH_OK);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM outbox"), 4);
    exec(f->s, "DROP TRIGGER no_visit");
    assert_int_equal(add_visit(f->s, h.id, "2026-10-04", 100, &v), HH_OK);
    assert_int_equal(scalar(f->s, "SELECT max(seq) FROM outbox"), 5);
    assert_int_equal(scalar(f->s, "SELECT tier FROM tiers WHERE source = 'device'"), HH_TIER_RED);
}

static void seq_never_reused(void **state)
{
    fixture *f = *state;
    hh_household h;
    hh_visit v;

    add_household(f->s, &h, 1);
    assert_int_equal(scalar(f->s, "SELECT max(seq) FROM outbox"), 2);
    /* Even if the newest rows vanish (acked and pruned), seq goes on. */
    exec(f->s, "DELETE FROM outbox");
    assert_int_equal(add_visit(f->s, h.id, "2026-10-01", 10000, &v), HH_OK);
    assert_int_equal(scalar(f->s, "SELECT seq FROM outbox"), 3);
}

static void field_level_changes(void **state)
{
    fixture *f = *state;
    hh_household h, again;
    hh_diag d;
    int changed = -1;
    int64_t created_hlc;

    add_household(f->s, &h, 1);
    created_hlc = scalar(f->s, "SELECT hlc FROM field_versions WHERE field = 'category'");
    assert_true(created_hlc > 0);
    /* The same values again: nothing written, nothing queued. */
    again = h;
    assert_int_equal(hh_store_begin(f->s), HH_OK);
    assert_int_equal(hh_store_household_put(f->s, &again, 1, &changed, &d), HH_OK);
    assert_int_equal(hh_store_commit(f->s), HH_OK);
    assert_int_equal(changed, 0);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM outbox"), 2);
    /* One field changed: one update listing that field, versions move. */
    again.category = HH_CATEGORY_MARGINAL;
    assert_int_equal(hh_store_begin(f->s), HH_OK);
    assert_int_equal(hh_store_household_put(f->s, &again, 0, &changed, &d), HH_OK);
    assert_int_equal(hh_store_commit(f->s), HH_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM outbox WHERE op = 'update'"), 1);
    assert_true(scalar(f->s, "SELECT hlc FROM field_versions WHERE field = 'category'") > created_hlc);
    assert_int_equal(scalar(f->s, "SELECT hlc FROM field_versions WHERE field = 'village_code'"),
                     created_hlc);
    /* Found again by registry number, with its member. */
    assert_int_equal(hh_store_household_get(f->s, "5118231012010001", &again), HH_OK);
    assert_int_equal(again.category, HH_CATEGORY_MARGINAL);
    assert_int_equal(again.member_count, 1);
    /* A member list without the member deletes it (and says so in the outbox). */
    again.member_count = 0;
    assert_int_equal(hh_store_begin(f->s), HH_OK);
    assert_int_equal(hh_store_household_put(f->s, &again, 1, &changed, &d), HH_OK);
    assert_int_equal(hh_store_commit(f->s), HH_OK);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM members"), 0);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM outbox WHERE op = 'delete'"), 1);
}

static void id_number_unique_across_households(void **state)
{
    fixture *f = *state;
    hh_household a, b;
    hh_diag d;

    add_household(f->s, &a, 1);
    make_household(&b, 1);
    snprintf(b.registry_no, sizeof b.registry_no, "5118231012010002");
    assert_int_equal(hh_store_begin(f->s), HH_OK);
    assert_int_equal(hh_store_household_put(f->s, &b, 1, NULL, &d), HH_ECONFLICT);
    hh_store_rollback(f->s);
    assert_non_null(strstr(d.message, "another household"));
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM households"), 1);
}

/* Schema 2 on a database of schema 1 holding records: nothing lost, every
 * reference intact, and ID numbers no longer unique (compared at the
 * collector, not refused). Schema 1 is rebuilt here from the first
 * migration's record tables around the store's own rows. */
static void migration_2_keeps_records(void **state)
{
    fixture *f = *state;
    hh_household h;
    hh_visit v;
    hh_diag d;

    add_household(f->s, &h, 2);
    assert_int_equal(add_visit(f->s, h.id, "2026-11-01", 30000, &v), HH_OK);
    exec(f->s, "PRAGMA foreign_keys = OFF; PRAGMA legacy_alter_table = ON;"
               "ALTER TABLE households RENAME TO h_old; ALTER TABLE members RENAME TO m_old;"
               "ALTER TABLE visits RENAME TO v_old; ALTER TABLE field_versions RENAME TO f_old;"
               "DROP INDEX households_village; DROP INDEX households_registry;"
               "DROP INDEX members_household; DROP INDEX members_id_key;"
               "DROP INDEX visits_household; DROP INDEX visits_supersedes;"
               HH_RECORDS_SCHEMA
               "INSERT INTO households SELECT * FROM h_old;"
               "INSERT INTO members SELECT id, household_id, position, name, id_number, relation, sex,"
               " birth_year, labour, health, disability_grade, school, medical_insurance, employment,"
               " employment_stable, updated_hlc FROM m_old;"
               "INSERT INTO visits SELECT * FROM v_old; INSERT INTO field_versions SELECT * FROM f_old;"
               "DROP TABLE h_old; DROP TABLE m_old; DROP TABLE v_old; DROP TABLE f_old;"
               "ALTER TABLE tiers DROP COLUMN review; ALTER TABLE tiers DROP COLUMN measures;"
               "ALTER TABLE outbox DROP COLUMN outcome; DROP TABLE drafts; PRAGMA user_version = 1;");
    hh_store_close(f->s);
    assert_int_equal(hh_store_open(f->path, &f->s, &d), HH_OK);
    assert_int_equal(scalar(f->s, "PRAGMA user_version"), HH_STORE_SCHEMA_VERSION);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM drafts"), 0);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM households"), 1);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM members"), 2);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM visits"), 1);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM tiers"), 1);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    assert_int_equal(scalar(f->s, "PRAGMA foreign_keys"), 1);
    /* The same ID number may now stand on two records (a pull from the collector). */
    exec(f->s, "INSERT INTO households SELECT 'x' || id, NULL, village_code, category, relocated,"
               " resettlement_site, created_hlc, updated_hlc FROM households;"
               "INSERT INTO members SELECT 'y' || id, 'x' || household_id, position, name, id_number,"
               " relation, sex, birth_year, labour, health, disability_grade, school,"
               " medical_insurance, employment, employment_stable, updated_hlc, id_key FROM members;");
    assert_int_equal(scalar(f->s, "SELECT count(DISTINCT id_number) * 2 = count(*) FROM members"), 1);
}

/* A pulled household that lacks a member: the member goes, unless the
 * collector refused it (what an officer entered is never deleted by a pull). */
static void pull_keeps_refused_members(void **state)
{
    fixture *f = *state;
    hh_household h;
    hh_snapshot *snap = calloc(1, sizeof *snap);
    hh_snapshot_pb *pb;
    const struct Hearth__V1__Household *msg;
    hh_pull_result got;
    char sql[200];
    hh_diag d;

    assert_non_null(snap);
    add_household(f->s, &h, 3);
    exec(f->s, "UPDATE outbox SET state = 'acked'");
    snprintf(sql, sizeof sql, "UPDATE outbox SET state = 'quarantined', reason = 'refused'"
             " WHERE entity_id = '%s'", h.members[1].id);
    exec(f->s, sql);
    snap->household = h;
    snap->household.member_count = 1;               /* the collector holds the head only */
    assert_non_null(pb = hh_codec_snapshot_to_pb(snap));
    msg = hh_snapshot_pb_message(pb);
    {
        hh_pull p = { (struct Hearth__V1__Household *const *)&msg, 1, NULL, 0, 1, NULL, 0, NULL, 0 };
        assert_int_equal(hh_store_apply_pull(f->s, &p, &got, &d), HH_OK);
    }
    assert_int_equal(got.households, 1);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM members WHERE id = '%s'", h.members[1].id);
    assert_int_equal(scalar(f->s, sql), 1);          /* refused: kept */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM members WHERE id = '%s'", h.members[2].id);
    assert_int_equal(scalar(f->s, sql), 0);          /* acknowledged, gone at the collector */
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM members"), 2);
    hh_snapshot_pb_free(pb);
    free(snap);
}

/* Members come by position, and those that share one (added on two devices)
 * by id, whatever order the rows were written in. */
static void members_by_position_then_id(void **state)
{
    fixture *f = *state;
    hh_household h, got;
    char sql[200];

    add_household(f->s, &h, 4);
    exec(f->s, "UPDATE members SET position = 1");
    snprintf(sql, sizeof sql, "UPDATE members SET position = 0 WHERE id = '%s'", h.members[3].id);
    exec(f->s, sql);
    assert_int_equal(hh_store_household_get(f->s, h.id, &got), HH_OK);
    assert_int_equal(got.member_count, 4);
    assert_string_equal(got.members[0].id, h.members[3].id);
    for (int i = 2; i < 4; i++)
        assert_true(strcmp(got.members[i - 1].id, got.members[i].id) < 0);
    /* Written in the other order, read the same. */
    exec(f->s, "CREATE TABLE m AS SELECT * FROM members ORDER BY id DESC;"
               "DELETE FROM members; INSERT INTO members SELECT * FROM m ORDER BY id DESC; DROP TABLE m");
    {
        hh_household again;
        assert_int_equal(hh_store_household_get(f->s, h.id, &again), HH_OK);
        for (int i = 0; i < 4; i++)
            assert_string_equal(again.members[i].id, got.members[i].id);
    }
}

/* A rulebook this version cannot read (a newer collector's) is not taken, and
 * nothing else of the pull is lost: the cursor moves, the old rulebook stays. */
static void pull_with_unreadable_rulebook(void **state)
{
    fixture *f = *state;
    hh_pull p = { NULL, 0, NULL, 0, 77, "version = future-1\nfuture.key = 1\n", 0, NULL, 0 };
    hh_pull_result got;
    hh_diag d;

    assert_int_equal(hh_store_apply_pull(f->s, &p, &got, &d), HH_OK);
    assert_true(got.rulebook_refused);
    assert_non_null(strstr(got.rulebook_reason, "unknown key 'future.key'"));
    assert_string_equal(hh_store_rulebook(f->s)->version, "yaan-2026.3");
    assert_int_equal(scalar(f->s, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'pull_cursor'"), 77);
}

static void visits_idempotent(void **state)
{
    fixture *f = *state;
    hh_household h;
    hh_visit v, same;
    hh_diag d;
    int added = -1;

    add_household(f->s, &h, 2);
    assert_int_equal(add_visit(f->s, h.id, "2026-10-01", 20000, &v), HH_OK);
    /* The same visit id and content again: skipped, not duplicated. */
    same = v;
    assert_int_equal(hh_store_begin(f->s), HH_OK);
    assert_int_equal(hh_store_visit_add(f->s, &same, &added, &d), HH_OK);
    assert_int_equal(hh_store_commit(f->s), HH_OK);
    assert_int_equal(added, 0);
    /* No id but identical content (a spreadsheet row imported twice): skipped,
     * and the id of the stored visit is reported. */
    same = v;
    same.id[0] = '\0';
    assert_int_equal(hh_store_begin(f->s), HH_OK);
    assert_int_equal(hh_store_visit_add(f->s, &same, &added, &d), HH_OK);
    assert_int_equal(hh_store_commit(f->s), HH_OK);
    assert_int_equal(added, 0);
    assert_string_equal(same.id, v.id);
    /* No id and one amount differs: a new visit. */
    same.id[0] = '\0';
    same.income.property_yuan = 1;
    assert_int_equal(hh_store_begin(f->s), HH_OK);
    assert_int_equal(hh_store_visit_add(f->s, &same, &added, &d), HH_OK);
    assert_int_equal(hh_store_commit(f->s), HH_OK);
    assert_int_equal(added, 1);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM visits"), 2);
    same = v;
    /* Same id, different content: refused. */
    same.income.wages_yuan = 1;
    assert_int_equal(hh_store_begin(f->s), HH_OK);
    assert_int_equal(hh_store_visit_add(f->s, &same, &added, &d), HH_ECONFLICT);
    hh_store_rollback(f->s);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM visits"), 2);
    assert_int_equal(scalar(f->s, "SELECT tier FROM tiers"), HH_TIER_GREEN);
}

static void corrections_supersede(void **state)
{
    fixture *f = *state;
    hh_household h;
    hh_visit v, fix;
    hh_diag d;

    /* A household with no members recorded: its visits state the size. */
    make_household(&h, 0);
    assert_int_equal(hh_store_begin(f->s), HH_OK);
    assert_int_equal(hh_store_household_put(f->s, &h, 1, NULL, &d), HH_OK);
    assert_int_equal(hh_store_commit(f->s), HH_OK);
    make_visit(&v, "2026-10-01", 20000);
    memcpy(v.household_id, h.id, sizeof v.household_id);
    assert_int_equal(hh_store_begin(f->s), HH_OK);
    assert_int_equal(hh_store_visit_add(f->s, &v, NULL, &d), HH_EINVAL);
    hh_store_rollback(f->s);
    assert_string_equal(d.field, "household_size");
    v.household_size = 2;
    assert_int_equal(hh_store_begin(f->s), HH_OK);
    assert_int_equal(hh_store_visit_add(f->s, &v, NULL, &d), HH_OK);
    assert_int_equal(hh_store_commit(f->s), HH_OK);
    assert_int_equal(scalar(f->s, "SELECT tier FROM tiers"), HH_TIER_GREEN);
    /* The correction is dated earlier, yet it replaces the visit it names. */
    make_visit(&fix, "2026-09-30", 2000);
    fix.household_size = 2;
    memcpy(fix.household_id, h.id, sizeof fix.household_id);
    memcpy(fix.supersedes, v.id, sizeof fix.supersedes);
    assert_int_equal(hh_store_begin(f->s), HH_OK);
    assert_int_equal(hh_store_visit_add(f->s, &fix, NULL, &d), HH_OK);
    assert_int_equal(hh_store_commit(f->s), HH_OK);
    assert_int_equal(scalar(f->s, "SELECT tier FROM tiers"), HH_TIER_RED);
    assert_int_equal(scalar(f->s, "SELECT count(*) FROM visits"), 2);
    /* A correction must name a visit of the same household. */
    make_visit(&fix, "2026-09-30", 2000);
    fix.household_size = 2;
    memcpy(fix.household_id, h.id, sizeof fix.household_id);
    snprintf(fix.supersedes, sizeof fix.supersedes, "01234567-89ab-7def-8123-456789abcdef");
    assert_int_equal(hh_store_begin(f->s), HH_OK);
    assert_int_equal(hh_store_visit_add(f->s, &fix, NULL, &d), HH_ENOTFOUND);
    hh_store_rollback(f->s);
    assert_string_equal(d.field, "supersedes");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(fresh_database, setup, teardown),
        cmocka_unit_test_setup_teardown(reopen_keeps_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(newer_schema_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(migrations_step_and_roll_back, setup, teardown),
        cmocka_unit_test_setup_teardown(change_and_outbox_commit_together, setup, teardown),
        cmocka_unit_test_setup_teardown(seq_never_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(field_level_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(id_number_unique_across_households, setup, teardown),
        cmocka_unit_test_setup_teardown(pull_keeps_refused_members, setup, teardown),
        cmocka_unit_test_setup_teardown(members_by_position_then_id, setup, teardown),
        cmocka_unit_test_setup_teardown(pull_with_unreadable_rulebook, setup, teardown),
        cmocka_unit_test_setup_teardown(migration_2_keeps_records, setup, teardown),
        cmocka_unit_test_setup_teardown(visits_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(corrections_supersede, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
