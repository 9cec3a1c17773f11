/* agent/keys.h — the device's data key: made once, wrapped by the officer's
 * PIN, unlocked for a while.
 *
 * The data key (256 random bits) seals the device database and its WAL
 * (platform/vfs.h). On disk it exists only wrapped: AES-256-GCM under a key
 * derived from the PIN by PBKDF2-HMAC-SHA256 with a random salt and an
 * iteration count stored beside it (HH_KEYS_ITERATIONS for new keys), in
 * DB.keys/data.key (0600). A wrong PIN is counted in the same file; at the
 * HH_PIN_TRIES-th wrong PIN in a row the wrapped key is overwritten: the
 * database cannot be opened again by anyone.
 *
 * `hearth unlock` keeps the data key for a bounded time in a session file in
 * memory (/dev/shm, 0600, named by the user and the database), never on the
 * device's storage; `hearth lock` or its end removes it. */
#ifndef HH_KEYS_H
#define HH_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "model/diag.h"
#include "platform/vfs.h"

#define HH_KEYS_ITERATIONS 200000
#define HH_PIN_TRIES 10
#define HH_PIN_MIN 6
#define HH_PIN_MAX 64
#define HH_SESSION_MAX_MIN (24 * 60)

/* PBKDF2-HMAC-SHA256 (RFC 8018) of pass and salt, iterations rounds, into out. */
hh_err hh_keys_pbkdf2(const char *pass, size_t pass_len, const uint8_t *salt, size_t salt_len,
                      uint32_t iterations, uint8_t *out, size_t out_len);

/* Is there a data key for the database at db_path (sealed or being sealed)? */
int hh_keys_exist(const char *db_path);

/* A new data key in key, wrapped by pin (PBKDF2 of iterations rounds: the
 * commands use HH_KEYS_ITERATIONS) into the key file, which must not exist
 * yet (HH_EEXIST). */
hh_err hh_keys_create(const char *db_path, const char *pin, uint32_t iterations,
                      uint8_t key[HH_VFS_KEY_LEN], hh_diag *d);

/* The data key unwrapped by pin: HH_OK; HH_EREJECTED for a wrong PIN (*tries_left
 * says how many remain); HH_EREVOKED when the key was destroyed (too many wrong
 * PINs, or a wipe); HH_ENOTFOUND when there is no key file. */
hh_err hh_keys_unlock(const char *db_path, const char *pin, uint8_t key[HH_VFS_KEY_LEN],
                      int *tries_left, hh_diag *d);

/* Wrap key by a new PIN (the old one was checked by the caller's unlock). */
hh_err hh_keys_rewrap(const char *db_path, const uint8_t key[HH_VFS_KEY_LEN], const char *pin,
                      uint32_t iterations, hh_diag *d);

/* Overwrite the file at path with zeros where it lies, sync, and remove it
 * (a key, a certificate, a session). */
void hh_keys_shred(const char *path);

/* Remove the key file of a database that was never sealed with it. */
void hh_keys_forget(const char *db_path);

/* The key file of from_db as to_db's too (a sealed backup opens with the
 * same PIN). */
hh_err hh_keys_copy(const char *from_db, const char *to_db);

/* Destroy the wrapped key for good (the file stays, marked destroyed). */
hh_err hh_keys_destroy(const char *db_path);

/* The session: keep key for minutes; read it back (HH_ENOTFOUND when there
 * is none or it ended); end it. */
hh_err hh_keys_session_start(const char *db_path, const uint8_t key[HH_VFS_KEY_LEN], unsigned minutes,
                             hh_diag *d);
hh_err hh_keys_session_get(const char *db_path, uint8_t key[HH_VFS_KEY_LEN], uint64_t *ends_ms);
void hh_keys_session_end(const char *db_path);

#endif
