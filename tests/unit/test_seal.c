/* tests/unit/test_seal.c — encryption at rest: PBKDF2 against published
 * vectors, the data key file (wrong PINs counted, the key destroyed at the
 * last), the session, and sealed device databases on real files: no record
 * readable in the database or its WAL, nothing opens without the key or with
 * another, a plain database sealed in place keeps every record, a backup of a
 * sealed database is sealed. */
#include "helpers.h"

#include <sqlite3.h>
#include <unistd.h>

#include "agent/keys.h"
#include "agent/store.h"
#include "model/exchange.h"
#include "platform/platform.h"

#define NAME "封存测试员"
#define ID_NUMBER "511823197801020038"
#define PIN "482916"
#define FAST 1000   /* PBKDF2 rounds in these tests; the commands use HH_KEYS_ITERATIONS */

static const char line[] =
    "{\"household\": {\"registry_no\": \"5118231012019999\", \"village_code\": \"511823101201\", "
    "\"category\": \"ordinary\", \"relocated\": false, \"resettlement_site\": null, \"members\": "
    "[{\"name\": \"" NAME "\", \"id_number\": \"" ID_NUMBER "\", \"relation\": \"head\", \"sex\": \"m\", "
    "\"birth_year\": 1978, \"labour\": \"full\", \"health\": \"healthy\", \"school\": \"none\", "
    "\"medical_insurance\": true, \"employment\": \"local\"}]}}";

typedef struct fixture {
    char dir[64], path[128];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);

    snprintf(f->dir, sizeof f->dir, "/tmp/hearth-seal-XXXXXX");
    if (!f || !mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/device.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[160];

    hh_vfs_forget_key(f->path);
    hh_keys_session_end(f->path);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

static void test_pbkdf2_vectors(void **state)
{
    uint8_t out[64], salt[16];
    char text[129];

    (void)state;
    /* RFC 7914, section 11. */
    assert_int_equal(hh_keys_pbkdf2("passwd", 6, (const uint8_t *)"salt", 4, 1, out, 64), HH_OK);
    hex(out, 64, text);
    assert_string_equal(text, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
                              "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
    /* Python's hashlib.pbkdf2_hmac('sha256', b'123456', bytes(range(16)), 1000, 32). */
    for (int i = 0; i < 16; i++)
        salt[i] = (uint8_t)i;
    assert_int_equal(hh_keys_pbkdf2("123456", 6, salt, 16, 1000, out, 32), HH_OK);
    hex(out, 32, text);
    assert_string_equal(text, "6e3849111be8d3070634220666e93c55dbfd75e923f34d35716805464c0a7eaf");
}

/* Does the file at path (if any) hold needle anywhere? */
static int file_holds(const char *path, const char *needle)
{
    char *data = NULL;
    size_t len = 0, n = strlen(needle);
    int found = 0;

    if (!hh_platform_exists(path) || hh_platform_read_file(path, 64u << 20, &data, &len) != HH_OK)
        return 0;
    for (size_t i = 0; i + n <= len && !found; i++)
        found = memcmp(data + i, needle, n) == 0;
    free(data);
    return found;
}

static int any_file_holds(const char *path, const char *needle)
{
    char side[160];

    snprintf(side, sizeof side, "%s-wal", path);
    return file_holds(path, needle) || file_holds(side, needle);
}

static void add_household(const char *path)
{
    static hh_exchange_record rec;
    hh_store *s;
    hh_diag d;

    hh_diag_clear(&d);
    assert_int_equal(hh_exchange_parse(line, sizeof line - 1, 2026, &rec, &d), HH_OK);
    assert_int_equal(hh_store_open(path, &s, &d), HH_OK);
    assert_int_equal(hh_store_begin(s), HH_OK);
    assert_int_equal(hh_store_household_put(s, &rec.household, 1, NULL, &d), HH_OK);
    assert_int_equal(hh_store_commit(s), HH_OK);
    hh_store_close(s);
}

static int has_household(const char *path)
{
    hh_household *h = malloc(sizeof *h);
    hh_store *s;
    hh_diag d;
    int found;

    hh_diag_clear(&d);
    if (hh_store_open(path, &s, &d) != HH_OK) {
        fprintf(stderr, "# %s does not open: %s\n", path, d.message);
        free(h);
        return -1;
    }
    found = hh_store_household_get(s, "5118231012019999", h) == HH_OK &&
            strcmp(h->members[0].name, NAME) == 0 && strcmp(h->members[0].id_number, ID_NUMBER) == 0;
    hh_store_close(s);
    free(h);
    return found;
}

static void test_sealed_store(void **state)
{
    fixture *f = *state;
    uint8_t key[HH_VFS_KEY_LEN], other[HH_VFS_KEY_LEN];
    hh_store *s;
    hh_diag d;

    hh_diag_clear(&d);
    assert_int_equal(hh_platform_random(key, sizeof key), HH_OK);
    assert_int_equal(hh_vfs_set_key(f->path, key), HH_OK);
    assert_int_equal(hh_store_create(f->path, &s, &d), HH_OK);
    hh_store_close(s);
    add_household(f->path);
    assert_int_equal(has_household(f->path), 1);
    /* Neither the database nor its WAL shows a record. */
    assert_false(any_file_holds(f->path, NAME));
    assert_false(any_file_holds(f->path, ID_NUMBER));
    assert_false(file_holds(f->path, "SQLite format 3"));
    /* Without the key, or with another, nothing opens. */
    hh_vfs_forget_key(f->path);
    assert_int_not_equal(has_household(f->path), 1);
    assert_int_equal(hh_platform_random(other, sizeof other), HH_OK);
    assert_int_equal(hh_vfs_set_key(f->path, other), HH_OK);
    assert_int_not_equal(has_household(f->path), 1);
    assert_int_equal(hh_vfs_set_key(f->path, key), HH_OK);
    assert_int_equal(has_household(f->path), 1);
}

static void test_seal_in_place_and_backup(void **state)
{
    fixture *f = *state;
    uint8_t key[HH_VFS_KEY_LEN];
    char backup[160];
    hh_store *s;
    hh_diag d;

    hh_diag_clear(&d);
    assert_int_equal(hh_store_create(f->path, &s, &d), HH_OK);
    hh_store_close(s);
    add_household(f->path);
    assert_true(any_file_holds(f->path, NAME));          /* plain: the name is there */
    assert_int_equal(hh_platform_random(key, sizeof key), HH_OK);
    assert_int_equal(hh_store_seal(f->path, key, &d), HH_OK);
    assert_false(any_file_holds(f->path, NAME));
    assert_true(hh_vfs_has_key(f->path));
    assert_int_equal(has_household(f->path), 1);
    /* The device keeps working sealed, and its backup is sealed too. */
    add_household(f->path);
    assert_false(any_file_holds(f->path, NAME));
    snprintf(backup, sizeof backup, "%s/backup.db", f->dir);
    assert_int_equal(hh_store_open(f->path, &s, &d), HH_OK);
    assert_int_equal(hh_store_backup(s, backup, &d), HH_OK);
    hh_store_close(s);
    assert_true(hh_platform_exists(backup));
    assert_false(file_holds(backup, NAME));
    assert_false(hh_vfs_has_key(backup));
    assert_int_equal(hh_vfs_set_key(backup, key), HH_OK);
    assert_int_equal(has_household(backup), 1);
    hh_vfs_forget_key(backup);
}

static void test_key_file(void **state)
{
    fixture *f = *state;
    uint8_t key[HH_VFS_KEY_LEN], again[HH_VFS_KEY_LEN];
    uint64_t ends = 0;
    int left = 0;
    hh_diag d;

    hh_diag_clear(&d);
    assert_false(hh_keys_exist(f->path));
    assert_int_equal(hh_keys_unlock(f->path, PIN, again, &left, &d), HH_ENOTFOUND);
    assert_int_equal(hh_keys_create(f->path, PIN, FAST, key, &d), HH_OK);
    assert_true(hh_keys_exist(f->path));
    assert_int_equal(hh_keys_create(f->path, PIN, FAST, again, &d), HH_EEXIST);
    assert_int_equal(hh_keys_unlock(f->path, PIN, again, &left, &d), HH_OK);
    assert_memory_equal(key, again, sizeof key);
    /* A wrong PIN is counted; a right one clears the count. */
    assert_int_equal(hh_keys_unlock(f->path, "000000", again, &left, &d), HH_EREJECTED);
    assert_int_equal(left, HH_PIN_TRIES - 1);
    assert_int_equal(hh_keys_unlock(f->path, PIN, again, &left, &d), HH_OK);
    /* A new PIN wraps the same key; the old one no longer opens it. */
    assert_int_equal(hh_keys_rewrap(f->path, key, "7391-new", FAST, &d), HH_OK);
    assert_int_equal(hh_keys_unlock(f->path, "7391-new", again, &left, &d), HH_OK);
    assert_memory_equal(key, again, sizeof key);
    assert_int_equal(hh_keys_unlock(f->path, PIN, again, &left, &d), HH_EREJECTED);
    /* The session: kept, read back, ended. */
    assert_int_equal(hh_keys_session_start(f->path, key, 5, &d), HH_OK);
    memset(again, 0, sizeof again);
    assert_int_equal(hh_keys_session_get(f->path, again, &ends), HH_OK);
    assert_memory_equal(key, again, sizeof key);
    assert_true(ends > hh_platform_wall_ms() + 4 * 60000);
    hh_keys_session_end(f->path);
    assert_int_equal(hh_keys_session_get(f->path, again, &ends), HH_ENOTFOUND);
    /* The last wrong PIN in a row destroys the key: the right one cannot
     * bring it back. */
    assert_int_equal(hh_keys_unlock(f->path, "7391-new", again, &left, &d), HH_OK);
    for (int i = 1; i < HH_PIN_TRIES; i++)
        assert_int_equal(hh_keys_unlock(f->path, "000000", again, &left, &d), HH_EREJECTED);
    assert_int_equal(hh_keys_unlock(f->path, "000000", again, &left, &d), HH_EREVOKED);
    assert_int_equal(hh_keys_unlock(f->path, "7391-new", again, &left, &d), HH_EREVOKED);
}

/* The keyed hash of ID numbers: made for every member once the county's key
 * is set, an HMAC-SHA256 an independent implementation agrees with, and what
 * a person's other records are found by. */
static void test_id_key(void **state)
{
    fixture *f = *state;
    uint8_t key[HH_ID_KEY_LEN];
    sqlite3 *db;
    sqlite3_stmt *st;
    hh_store *s;
    hh_diag d;
    char got[64] = "";

    hh_diag_clear(&d);
    for (int i = 0; i < HH_ID_KEY_LEN; i++)
        key[i] = (uint8_t)i;
    assert_int_equal(hh_store_create(f->path, &s, &d), HH_OK);
    hh_store_close(s);
    add_household(f->path);
    assert_int_equal(hh_store_open(f->path, &s, &d), HH_OK);
    assert_int_equal(hh_store_set_id_key(s, key), HH_OK);
    hh_store_close(s);
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT id_key FROM members WHERE id_number = '" ID_NUMBER "'",
                                        -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(got, sizeof got, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    /* Python: hmac.new(bytes(range(32)), b'511823197801020038', 'sha256').hexdigest()[:32] */
    assert_string_equal(got, "a76d09dafdf0d09280700dab38511696");
    /* The key is kept: the database reopens with it. */
    assert_int_equal(has_household(f->path), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pbkdf2_vectors),
        cmocka_unit_test_setup_teardown(test_sealed_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seal_in_place_and_backup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_id_key, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
