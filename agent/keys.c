/* agent/keys.c — the device's data key (see keys.h). */
#include "keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/gcm.h>
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>

#include "platform/platform.h"

/* The key file: fixed fields, big-endian. */
#define MAGIC "HHDK"
#define SALT_LEN 16
#define NONCE_LEN 12
#define TAG_LEN 16
enum {
    OFF_MAGIC = 0, OFF_VERSION = 4, OFF_STATE = 5, OFF_ITER = 8, OFF_FAILS = 12, OFF_SALT = 16,
    OFF_NONCE = OFF_SALT + SALT_LEN, OFF_WRAPPED = OFF_NONCE + NONCE_LEN,
    OFF_TAG = OFF_WRAPPED + HH_VFS_KEY_LEN, FILE_LEN = OFF_TAG + TAG_LEN
};
enum { STATE_LIVE = 1, STATE_DESTROYED = 2 };

#define SESSION_MAGIC "HHS1"
#define SESSION_LEN (4 + 8 + HH_VFS_KEY_LEN)

hh_err hh_keys_pbkdf2(const char *pass, size_t pass_len, const uint8_t *salt, size_t salt_len,
                      uint32_t iterations, uint8_t *out, size_t out_len)
{
    const mbedtls_md_info_t *sha = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    mbedtls_md_context_t md;
    uint8_t u[32], t[32], counter[4];
    hh_err ret = HH_OK;

    if (!sha || iterations == 0)
        return HH_EINVAL;
    mbedtls_md_init(&md);
    if (mbedtls_md_setup(&md, sha, 1) != 0 ||
        mbedtls_md_hmac_starts(&md, (const unsigned char *)pass, pass_len) != 0) {
        mbedtls_md_free(&md);
        return HH_ENOMEM;
    }
    for (uint32_t block = 1; out_len > 0 && ret == HH_OK; block++) {
        size_t take = out_len < sizeof t ? out_len : sizeof t;
        counter[0] = (uint8_t)(block >> 24), counter[1] = (uint8_t)(block >> 16);
        counter[2] = (uint8_t)(block >> 8), counter[3] = (uint8_t)block;
        if (mbedtls_md_hmac_reset(&md) != 0 || mbedtls_md_hmac_update(&md, salt, salt_len) != 0 ||
            mbedtls_md_hmac_update(&md, counter, sizeof counter) != 0 || mbedtls_md_hmac_finish(&md, u) != 0)
            ret = HH_EIO;
        memcpy(t, u, sizeof t);
        for (uint32_t i = 1; i < iterations && ret == HH_OK; i++) {
            if (mbedtls_md_hmac_reset(&md) != 0 || mbedtls_md_hmac_update(&md, u, sizeof u) != 0 ||
                mbedtls_md_hmac_finish(&md, u) != 0)
                ret = HH_EIO;
            for (size_t j = 0; j < sizeof t; j++)
                t[j] ^= u[j];
        }
        memcpy(out, t, take);
        out += take;
        out_len -= take;
    }
    mbedtls_md_free(&md);
    explicit_bzero(u, sizeof u);
    explicit_bzero(t, sizeof t);
    return ret;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void key_file(const char *db_path, char out[HH_PATH_MAX + 32])
{
    snprintf(out, HH_PATH_MAX + 32, "%s.keys/data.key", db_path);
}

int hh_keys_exist(const char *db_path)
{
    char path[HH_PATH_MAX + 32];

    key_file(db_path, path);
    return hh_platform_exists(path);
}

/* Seal or open key with the key derived from pin, in the file's fields. */
static hh_err wrap(uint8_t file[FILE_LEN], const char *pin, uint8_t key[HH_VFS_KEY_LEN], int seal)
{
    uint8_t kek[32];
    mbedtls_gcm_context gcm;
    hh_err ret;
    int r;

    ret = hh_keys_pbkdf2(pin, strlen(pin), file + OFF_SALT, SALT_LEN, get32(file + OFF_ITER), kek,
                         sizeof kek);
    if (ret != HH_OK)
        return ret;
    mbedtls_gcm_init(&gcm);
    r = mbedtls_gcm_setkey(&gcm, MBEDTLS_CIPHER_ID_AES, kek, 256);
    if (r == 0 && seal)
        r = mbedtls_gcm_crypt_and_tag(&gcm, MBEDTLS_GCM_ENCRYPT, HH_VFS_KEY_LEN, file + OFF_NONCE,
                                      NONCE_LEN, file, OFF_ITER, key, file + OFF_WRAPPED, TAG_LEN,
                                      file + OFF_TAG);
    else if (r == 0)
        r = mbedtls_gcm_auth_decrypt(&gcm, HH_VFS_KEY_LEN, file + OFF_NONCE, NONCE_LEN, file,
                                     OFF_ITER, file + OFF_TAG, TAG_LEN, file + OFF_WRAPPED, key);
    mbedtls_gcm_free(&gcm);
    explicit_bzero(kek, sizeof kek);
    return r == 0 ? HH_OK : seal ? HH_EIO : HH_EREJECTED;
}

static hh_err write_key_file(const char *db_path, const uint8_t file[FILE_LEN])
{
    char path[HH_PATH_MAX + 32];

    key_file(db_path, path);
    if (hh_platform_mkdirs_for(path, 0700) != HH_OK)
        return HH_EIO;
    return hh_platform_write_file_durable(path, file, FILE_LEN, 0600);
}

/* A fresh wrapping of key by pin: new salt and nonce, no failures. */
static hh_err seal_new(const char *db_path, const uint8_t key[HH_VFS_KEY_LEN], const char *pin,
                       uint32_t iterations)
{
    uint8_t file[FILE_LEN] = { 0 }, copy[HH_VFS_KEY_LEN];
    hh_err ret;

    memcpy(file + OFF_MAGIC, MAGIC, 4);
    file[OFF_VERSION] = 1;
    file[OFF_STATE] = STATE_LIVE;
    put32(file + OFF_ITER, iterations);
    memcpy(copy, key, sizeof copy);
    if (hh_platform_random(file + OFF_SALT, SALT_LEN + NONCE_LEN) != HH_OK)
        ret = HH_EIO;
    else if ((ret = wrap(file, pin, copy, 1)) == HH_OK)
        ret = write_key_file(db_path, file);
    explicit_bzero(copy, sizeof copy);
    return ret;
}

hh_err hh_keys_create(const char *db_path, const char *pin, uint32_t iterations,
                      uint8_t key[HH_VFS_KEY_LEN], hh_diag *d)
{
    hh_err ret;

    if (hh_keys_exist(db_path))
        return hh_diag_fail(d, HH_EEXIST, "PIN", "this device has a PIN already");
    if (hh_platform_random(key, HH_VFS_KEY_LEN) != HH_OK)
        return hh_diag_fail(d, HH_EIO, "PIN", "no randomness for the data key");
    if ((ret = seal_new(db_path, key, pin, iterations)) != HH_OK)
        return hh_diag_fail(d, ret, "PIN", "cannot write the key file");
    return HH_OK;
}

hh_err hh_keys_rewrap(const char *db_path, const uint8_t key[HH_VFS_KEY_LEN], const char *pin,
                      uint32_t iterations, hh_diag *d)
{
    hh_err ret = seal_new(db_path, key, pin, iterations);
    return ret == HH_OK ? HH_OK : hh_diag_fail(d, ret, "PIN", "cannot write the key file");
}

static hh_err read_key_file(const char *db_path, uint8_t file[FILE_LEN])
{
    char path[HH_PATH_MAX + 32], *data = NULL;
    size_t len = 0;
    hh_err ret;

    key_file(db_path, path);
    if (!hh_platform_exists(path))
        return HH_ENOTFOUND;
    if ((ret = hh_platform_read_file(path, 4096, &data, &len)) != HH_OK)
        return ret;
    ret = len == FILE_LEN && memcmp(data, MAGIC, 4) == 0 && data[OFF_VERSION] == 1 ? HH_OK : HH_ECORRUPT;
    if (ret == HH_OK)
        memcpy(file, data, FILE_LEN);
    free(data);
    return ret;
}

void hh_keys_forget(const char *db_path)
{
    char path[HH_PATH_MAX + 32];

    key_file(db_path, path);
    hh_platform_remove(path);
}

hh_err hh_keys_copy(const char *from_db, const char *to_db)
{
    uint8_t file[FILE_LEN];
    hh_err ret = read_key_file(from_db, file);

    if (ret == HH_OK)
        ret = write_key_file(to_db, file);
    explicit_bzero(file, sizeof file);
    return ret;
}

hh_err hh_keys_destroy(const char *db_path)
{
    uint8_t file[FILE_LEN];
    hh_err ret = read_key_file(db_path, file);

    if (ret != HH_OK)
        return ret;
    file[OFF_STATE] = STATE_DESTROYED;
    memset(file + OFF_SALT, 0, FILE_LEN - OFF_SALT);
    hh_keys_session_end(db_path);
    return write_key_file(db_path, file);
}

hh_err hh_keys_unlock(const char *db_path, const char *pin, uint8_t key[HH_VFS_KEY_LEN],
                      int *tries_left, hh_diag *d)
{
    uint8_t file[FILE_LEN];
    uint32_t fails, iterations;
    hh_err ret = read_key_file(db_path, file);

    *tries_left = 0;
    if (ret == HH_ENOTFOUND)
        return hh_diag_fail(d, ret, "PIN", "this device has no PIN");
    if (ret != HH_OK)
        return hh_diag_fail(d, ret, "PIN", "the key file is damaged");
    fails = get32(file + OFF_FAILS);
    iterations = get32(file + OFF_ITER);
    if (file[OFF_STATE] != STATE_LIVE || fails >= HH_PIN_TRIES)
        return hh_diag_fail(d, HH_EREVOKED, "PIN", "the data key was destroyed: this device's "
                            "records cannot be opened again");
    if (iterations == 0 || iterations > 100000000)
        return hh_diag_fail(d, HH_ECORRUPT, "PIN", "the key file is damaged");
    ret = wrap(file, pin, key, 0);
    if (ret == HH_OK && fails == 0)
        return HH_OK;
    if (ret == HH_OK) {
        put32(file + OFF_FAILS, 0);
        write_key_file(db_path, file);
        return HH_OK;
    }
    explicit_bzero(key, HH_VFS_KEY_LEN);
    if (ret != HH_EREJECTED)
        return hh_diag_fail(d, ret, "PIN", "cannot check the PIN");
    put32(file + OFF_FAILS, ++fails);
    if (fails >= HH_PIN_TRIES) {
        file[OFF_STATE] = STATE_DESTROYED;
        memset(file + OFF_SALT, 0, FILE_LEN - OFF_SALT);
        hh_keys_session_end(db_path);
    }
    if (write_key_file(db_path, file) != HH_OK)
        return hh_diag_fail(d, HH_EIO, "PIN", "cannot count the wrong PIN: the key file cannot be written");
    *tries_left = HH_PIN_TRIES - (int)fails;
    if (fails >= HH_PIN_TRIES)
        return hh_diag_fail(d, HH_EREVOKED, "PIN", "wrong PIN %d times: the data key is destroyed",
                            HH_PIN_TRIES);
    return hh_diag_fail(d, HH_EREJECTED, "PIN", "wrong PIN (%d tries left before the data key "
                        "is destroyed)", *tries_left);
}

/* ---- the session ------------------------------------------------------------------- */

/* /dev/shm/hearth-UID-HASH: memory only, named by user and database. */
static int session_file(const char *db_path, char out[128])
{
    char full[HH_PATH_MAX];
    uint8_t hash[32];

    if (access("/dev/shm", W_OK) != 0)
        return -1;
    if (!realpath(db_path, full))
        snprintf(full, sizeof full, "%s", db_path);
    mbedtls_sha256((const unsigned char *)full, strlen(full), hash, 0);
    snprintf(out, 128, "/dev/shm/hearth-%u-%02x%02x%02x%02x%02x%02x%02x%02x", (unsigned)getuid(),
             hash[0], hash[1], hash[2], hash[3], hash[4], hash[5], hash[6], hash[7]);
    return 0;
}

hh_err hh_keys_session_start(const char *db_path, const uint8_t key[HH_VFS_KEY_LEN], unsigned minutes,
                             hh_diag *d)
{
    char path[128];
    uint8_t data[SESSION_LEN];
    uint64_t ends = hh_platform_wall_ms() + (uint64_t)minutes * 60000;
    hh_err ret;

    if (session_file(db_path, path) != 0)
        return hh_diag_fail(d, HH_EIO, "session", "no memory-only place (/dev/shm) for a session: "
                            "each command will ask for the PIN");
    memcpy(data, SESSION_MAGIC, 4);
    for (int i = 0; i < 8; i++)
        data[4 + i] = (uint8_t)(ends >> (56 - 8 * i));
    memcpy(data + 12, key, HH_VFS_KEY_LEN);
    ret = hh_platform_write_file_durable(path, data, sizeof data, 0600);
    explicit_bzero(data, sizeof data);
    return ret == HH_OK ? HH_OK : hh_diag_fail(d, ret, "session", "cannot write %s", path);
}

hh_err hh_keys_session_get(const char *db_path, uint8_t key[HH_VFS_KEY_LEN], uint64_t *ends_ms)
{
    char path[128], *data = NULL;
    size_t len = 0;
    struct stat st;
    uint64_t ends = 0;
    hh_err ret = HH_ENOTFOUND;

    if (session_file(db_path, path) != 0 || stat(path, &st) != 0)
        return HH_ENOTFOUND;
    /* Ours alone, or not ours at all. */
    if (st.st_uid != getuid() || (st.st_mode & 077) || hh_platform_read_file(path, 256, &data, &len) != HH_OK)
        return HH_ENOTFOUND;
    if (len == SESSION_LEN && memcmp(data, SESSION_MAGIC, 4) == 0) {
        for (int i = 0; i < 8; i++)
            ends = ends << 8 | (uint8_t)data[4 + i];
        if (ends > hh_platform_wall_ms()) {
            memcpy(key, data + 12, HH_VFS_KEY_LEN);
            ret = HH_OK;
        }
    }
    explicit_bzero(data, len);
    free(data);
    if (ret != HH_OK)
        unlink(path);   /* it ended */
    else if (ends_ms)
        *ends_ms = ends;
    return ret;
}

void hh_keys_shred(const char *path)
{
    static const char zeros[4096];
    long size;
    FILE *f;

    /* In place, not through a new file: the old blocks are the ones zeroed. */
    if ((f = fopen(path, "r+"))) {
        if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0)
            for (long done = 0; done < size; ) {
                size_t n = size - done < (long)sizeof zeros ? (size_t)(size - done) : sizeof zeros;
                if (fwrite(zeros, 1, n, f) != n)
                    break;
                done += (long)n;
            }
        if (fflush(f) == 0)
            fsync(fileno(f));
        fclose(f);
    }
    unlink(path);
}

void hh_keys_session_end(const char *db_path)
{
    char path[128];

    if (session_file(db_path, path) == 0)
        hh_keys_shred(path);
}
