/* agent/cmd_keys.c — `hearth pin set`, `hearth unlock`, `hearth lock`, and
 * the unlocking every command that opens a sealed database goes through.
 *
 * A device with a PIN keeps its database sealed (platform/vfs.h) under a
 * data key that only the PIN unwraps (keys.h). A command finds the key in
 * the session `hearth unlock` started; else, on a terminal, it asks for the
 * PIN for itself alone; else it stops: the device is locked. PINs are typed
 * (without echo) or read from standard input, never taken from the command
 * line, where other users of the device could read them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "commands.h"
#include "keys.h"
#include "platform/platform.h"
#include "proto/hearth.pb-c.h"
#include "sync/i18n.h"
#include "sync/pki.h"

#define SESSION_DEFAULT_MIN (8 * 60)

static hh_err read_pin(const char *what, int from_stdin, int twice, char pin[HH_PIN_MAX + 2], hh_diag *d)
{
    return cli_read_secret(what, "--pin-stdin", from_stdin, twice, pin, HH_PIN_MAX + 2, HH_PIN_MIN, d);
}

/* Does the file at path begin as a plain SQLite database? */
static int plain_database(const char *path)
{
    char head[16] = { 0 };
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(head, 1, sizeof head, f) : 0;

    if (f)
        fclose(f);
    return n == sizeof head && memcmp(head, "SQLite format 3", 16) == 0;
}

/* Use key for the database at path; a database still plain beside a key (a
 * `pin set` cut short before it sealed) is sealed now. */
static hh_err use_key(const char *path, const uint8_t key[HH_VFS_KEY_LEN], hh_diag *d)
{
    if (plain_database(path))
        return hh_store_seal(path, key, d);
    return hh_vfs_set_key(path, key);
}

hh_err agent_unlock(const char *path, int may_ask, hh_diag *d)
{
    uint8_t key[HH_VFS_KEY_LEN];
    char pin[HH_PIN_MAX + 2];
    int left = 0;
    hh_err ret;

    if (!hh_keys_exist(path) || hh_vfs_has_key(path))
        return HH_OK;
    if (hh_keys_session_get(path, key, NULL) == HH_OK) {
        ret = use_key(path, key, d);
        explicit_bzero(key, sizeof key);
        return ret;
    }
    if (!may_ask || !isatty(STDIN_FILENO))
        return hh_diag_fail(d, HH_EPERM, "PIN", "this device is locked: run `hearth unlock` "
                            "(it asks for the PIN)");
    if ((ret = read_pin(_("PIN"), 0, 0, pin, d)) == HH_OK &&
        (ret = hh_keys_unlock(path, pin, key, &left, d)) == HH_OK)
        ret = use_key(path, key, d);
    explicit_bzero(pin, sizeof pin);
    explicit_bzero(key, sizeof key);
    return ret;
}

hh_err agent_wipe(cli *c, char *message, size_t cap)
{
    const char *db = agent_db_path(c);
    Hearth__V1__SyncRequest head = HEARTH__V1__SYNC_REQUEST__INIT;
    char path[HH_PATH_MAX + 32], *ca = NULL;
    size_t count = 0, ca_len = 0;
    uint64_t last_seq = 0, oldest = 0;
    int64_t pending = -1;
    hh_sync_state st;
    hh_buf body, sealed;
    void *where;
    hh_err ret;

    hh_buf_init(&body, 256u << 20);
    hh_buf_init(&sealed, 256u << 20);
    /* 1. Every unsent change, as the request a sync would have sent, sealed
     * for the collector's CA key: only its administrator can open it. */
    snprintf(path, sizeof path, "%s.keys/ca.crt", db);
    ret = hh_store_sync_state(agent_store(c), &st);
    if (ret == HH_OK) {
        head.has_protocol = 1;
        head.protocol = 1;
        head.device_id = st.device_id;
        ret = hh_buf_extend(&body, hearth__v1__sync_request__get_packed_size(&head), &where);
    }
    if (ret == HH_OK) {
        hearth__v1__sync_request__pack(&head, where);
        ret = hh_store_outbox_frame(agent_store(c), 255u << 20, 1000000, &body, &count, &last_seq);
    }
    /* Every one of them, or nothing is wiped. */
    if (ret == HH_OK && (hh_store_outbox_health(agent_store(c), &pending, &oldest) != HH_OK ||
                         (int64_t)count != pending))
        ret = HH_ERANGE;
    if (ret == HH_OK)
        ret = hh_platform_read_file(path, HH_PKI_PEM_MAX, &ca, &ca_len);
    if (ret == HH_OK)
        ret = hh_pki_seal_for(ca, ca_len, (const uint8_t *)body.data, body.len, &sealed);
    snprintf(path, sizeof path, "%s.recovery", db);
    if (ret == HH_OK)
        ret = hh_platform_write_file_durable(path, sealed.data, sealed.len, 0600);
    free(ca);
    hh_buf_free(&body);
    hh_buf_free(&sealed);
    if (ret != HH_OK) {
        snprintf(message, cap, "the collector revoked this device, but its unsent changes could not "
                               "be kept for the administrator (%s): nothing was wiped", hh_strerror(ret));
        return ret;
    }
    /* 2. The records: the data key destroyed, or a plain database removed. */
    if (hh_keys_exist(db)) {
        ret = hh_keys_destroy(db);
    } else {
        static const char *const sides[] = { "", "-wal", "-shm" };
        for (size_t i = 0; i < 3; i++) {
            snprintf(path, sizeof path, "%s%s", db, sides[i]);
            hh_platform_remove(path);
        }
    }
    /* 3. The device's identity towards the collector. */
    snprintf(path, sizeof path, "%s.keys/device.key", db);
    hh_keys_shred(path);
    snprintf(path, sizeof path, "%s.keys/device.crt", db);
    hh_keys_shred(path);
    snprintf(message, cap, "the collector revoked this device: its records are wiped%s; %zu unsent "
                           "changes are kept sealed for the administrator in %s.recovery "
                           "(hearthd device recover)", ret == HH_OK ? "" : " (the key file could not be "
                           "rewritten: remove it)", count, db);
    return HH_EREVOKED;
}

static int cmd_pin_set(cli *c)
{
    const char *path = agent_db_path(c);
    int from_stdin = cli_has(c, "pin-stdin"), left = 0;
    uint8_t key[HH_VFS_KEY_LEN];
    char old[HH_PIN_MAX + 2], pin[HH_PIN_MAX + 2];
    hh_diag d;
    hh_err ret;

    hh_diag_clear(&d);
    if (!hh_platform_exists(path))
        return cli_fail(HH_ENOTFOUND, NULL, "no device database at %s: run `hearth init` first", path);
    if (hh_keys_exist(path)) {
        /* A new PIN for the same key: the current one first. */
        ret = read_pin(_("current PIN"), from_stdin, 0, old, &d);
        if (ret == HH_OK)
            ret = hh_keys_unlock(path, old, key, &left, &d);
        if (ret == HH_OK)
            ret = read_pin(_("new PIN"), from_stdin, 1, pin, &d);
        if (ret == HH_OK)
            ret = hh_keys_rewrap(path, key, pin, HH_KEYS_ITERATIONS, &d);
        if (ret == HH_OK)
            ret = use_key(path, key, &d);
        explicit_bzero(old, sizeof old);
        explicit_bzero(pin, sizeof pin);
        explicit_bzero(key, sizeof key);
        if (ret != HH_OK)
            return cli_fail(ret, &d, "the PIN was not changed");
        printf(_("the PIN is changed; the records stay sealed under the same key\n"));
        return HH_EXIT_OK;
    }
    /* The first PIN: a data key, wrapped, then the database sealed under it.
     * The key file is written first: a cut before the database is sealed
     * leaves it plain beside its key, and the next unlock seals it. */
    if ((ret = read_pin(_("new PIN"), from_stdin, 1, pin, &d)) == HH_OK &&
        (ret = hh_keys_create(path, pin, HH_KEYS_ITERATIONS, key, &d)) == HH_OK) {
        if ((ret = hh_store_seal(path, key, &d)) == HH_OK)
            ret = hh_keys_session_start(path, key, SESSION_DEFAULT_MIN, &d);
        else if (plain_database(path))
            hh_keys_forget(path);   /* still plain: as if no PIN was ever set */
    }
    explicit_bzero(pin, sizeof pin);
    explicit_bzero(key, sizeof key);
    if (ret != HH_OK)
        return cli_fail(ret, &d, "the PIN was not set");
    printf(_("the PIN is set: names, ID numbers, health, notes and places are sealed on this device; "
             "unlocked for %d hours\n"), SESSION_DEFAULT_MIN / 60);
    return HH_EXIT_OK;
}

static int cmd_unlock(cli *c)
{
    const char *path = agent_db_path(c);
    int64_t minutes = SESSION_DEFAULT_MIN;
    uint8_t key[HH_VFS_KEY_LEN];
    char pin[HH_PIN_MAX + 2], until[21];
    int left = 0;
    hh_diag d;
    hh_err ret;

    hh_diag_clear(&d);
    if (cli_get(c, "minutes") &&
        (ret = cli_parse_int("--minutes", cli_get(c, "minutes"), 1, HH_SESSION_MAX_MIN, &minutes, &d)) != HH_OK)
        return cli_fail(ret, &d, "unlock");
    if (!hh_keys_exist(path))
        return cli_fail(HH_ENOTFOUND, NULL, "this device has no PIN: set one with `hearth pin set`");
    ret = read_pin(_("PIN"), cli_has(c, "pin-stdin"), 0, pin, &d);
    if (ret == HH_OK)
        ret = hh_keys_unlock(path, pin, key, &left, &d);
    explicit_bzero(pin, sizeof pin);
    if (ret == HH_OK && (ret = use_key(path, key, &d)) == HH_OK)
        ret = hh_keys_session_start(path, key, (unsigned)minutes, &d);
    explicit_bzero(key, sizeof key);
    if (ret != HH_OK)
        return cli_fail(ret, &d, "unlock");
    hh_platform_utc_format((int64_t)(hh_platform_wall_ms() / 1000) + minutes * 60, until);
    printf(_("unlocked until %s; `hearth lock` locks it now\n"), until);
    return HH_EXIT_OK;
}

static int cmd_lock(cli *c)
{
    const char *path = agent_db_path(c);

    if (!hh_keys_exist(path))
        return cli_fail(HH_ENOTFOUND, NULL, "this device has no PIN: set one with `hearth pin set`");
    hh_keys_session_end(path);
    printf(_("locked: the next command asks for the PIN\n"));
    return HH_EXIT_OK;
}

static const cli_opt pin_opts[] = {
    { "pin-stdin", NULL, N_("read the PIN(s) from standard input, one per line, not the terminal") },
    { NULL, NULL, NULL }
};
static const cli_opt unlock_opts[] = {
    { "pin-stdin", NULL, N_("read the PIN from standard input, not the terminal") },
    { "minutes", "N", N_("stay unlocked this long (default 480, at most 1440)") },
    { NULL, NULL, NULL }
};
static const cli_opt no_opts[] = { { NULL, NULL, NULL } };

const cli_cmd hh_cmd_pin_set = {
    "pin set", "", N_("Set or change the PIN that seals this device's records (AES-256-GCM); "
                      "10 wrong PINs in a row destroy the key."),
    0, 0, pin_opts, cmd_pin_set, 0 };
const cli_cmd hh_cmd_unlock = {
    "unlock", "", N_("Ask for the PIN and keep the records open for a while (in memory only)."),
    0, 0, unlock_opts, cmd_unlock, 0 };
const cli_cmd hh_cmd_lock = {
    "lock", "", N_("Lock the records now: the next command asks for the PIN."),
    0, 0, no_opts, cmd_lock, 0 };
