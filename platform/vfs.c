/* platform/vfs.c — the device's SQLite VFS (see vfs.h). */
#include "vfs.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <mbedtls/gcm.h>
#include <sqlite3.h>

#include "platform.h"

#define HH_VFS_NAME "hearth"
#define KEYS_MAX 4
#define NONCE_LEN 12
#define TAG_LEN 16
#define SEALED (HH_VFS_PAGE - HH_VFS_RESERVE)   /* the page bytes that are sealed */
#define WAL_HEADER 32
#define FRAME_HEADER 24
#define FRAME (FRAME_HEADER + HH_VFS_PAGE)

typedef struct key_entry {
    char path[HH_PATH_MAX];
    uint8_t key[HH_VFS_KEY_LEN];
    int used;
} key_entry;

/* A sealed file: the base VFS's file follows this struct. */
typedef struct sealed_file {
    sqlite3_file base;
    sqlite3_file *real;
    int wal;                               /* the WAL, else the database */
    mbedtls_gcm_context gcm;
    unsigned char page[HH_VFS_PAGE];       /* one page, sealed or open */
} sealed_file;

static sqlite3_vfs vfs;
static const char *registered;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static key_entry keys[KEYS_MAX];
static pthread_mutex_t keys_lock = PTHREAD_MUTEX_INITIALIZER;

static sqlite3_vfs *base_vfs(void)
{
    return vfs.pAppData;
}

/* The full path SQLite gives xOpen for path, in out. */
static int full_path(const char *path, char out[HH_PATH_MAX])
{
    sqlite3_vfs *base = base_vfs();
    return base && base->xFullPathname(base, path, HH_PATH_MAX, out) == SQLITE_OK ? 0 : -1;
}

/* ---- sealing one page ---------------------------------------------------------------- */

static void page_aad(sqlite3_int64 off, int wal, unsigned char aad[9])
{
    for (int i = 0; i < 8; i++)
        aad[i] = (unsigned char)((uint64_t)off >> (56 - 8 * i));
    aad[8] = (unsigned char)(wal ? 'W' : 'D');
}

/* Seal f->page (open) in place for its place off; 0 or an SQLite error. */
static int seal(sealed_file *f, sqlite3_int64 off)
{
    unsigned char aad[9], *nonce = f->page + SEALED, *tag = nonce + NONCE_LEN;

    page_aad(off, f->wal, aad);
    if (hh_platform_random(nonce, NONCE_LEN) != HH_OK)
        return SQLITE_IOERR_WRITE;
    memset(tag + TAG_LEN, 0, HH_VFS_RESERVE - NONCE_LEN - TAG_LEN);
    return mbedtls_gcm_crypt_and_tag(&f->gcm, MBEDTLS_GCM_ENCRYPT, SEALED, nonce, NONCE_LEN, aad,
                                     sizeof aad, f->page, f->page, TAG_LEN, tag) == 0
               ? SQLITE_OK : SQLITE_IOERR_WRITE;
}

/* Open f->page (sealed) in place; 0 when it is authentic. A page of zeros
 * (never written) opens as zeros. */
static int unseal(sealed_file *f, sqlite3_int64 off)
{
    unsigned char aad[9], *nonce = f->page + SEALED, *tag = nonce + NONCE_LEN;
    int zeros = 1;

    for (int i = 0; i < HH_VFS_PAGE && zeros; i++)
        zeros = f->page[i] == 0;
    if (zeros)
        return 0;
    page_aad(off, f->wal, aad);
    if (mbedtls_gcm_auth_decrypt(&f->gcm, SEALED, nonce, NONCE_LEN, aad, sizeof aad, tag, TAG_LEN,
                                 f->page, f->page) != 0)
        return -1;
    memset(f->page + SEALED, 0, HH_VFS_RESERVE);
    return 0;
}

/* ---- where the sealed pages are ------------------------------------------------------- */

/* The sealed page holding byte off of f: its start in *page_off and 1; or 0
 * with *plain_end the end of the unsealed bytes at off (WAL headers). */
static int locate(const sealed_file *f, sqlite3_int64 off, sqlite3_int64 *page_off,
                  sqlite3_int64 *plain_end)
{
    sqlite3_int64 k, in;

    if (!f->wal) {
        *page_off = off - off % HH_VFS_PAGE;
        return 1;
    }
    if (off < WAL_HEADER) {
        *plain_end = WAL_HEADER;
        return 0;
    }
    k = (off - WAL_HEADER) / FRAME;
    in = (off - WAL_HEADER) % FRAME;
    if (in < FRAME_HEADER) {
        *plain_end = WAL_HEADER + k * FRAME + FRAME_HEADER;
        return 0;
    }
    *page_off = WAL_HEADER + k * FRAME + FRAME_HEADER;
    return 1;
}

static int s_read(sqlite3_file *file, void *buf, int n, sqlite3_int64 off)
{
    sealed_file *f = (sealed_file *)file;
    unsigned char *out = buf;
    int rc = SQLITE_OK;

    while (n > 0) {
        sqlite3_int64 page_off, plain_end;
        int take, r;
        if (!locate(f, off, &page_off, &plain_end)) {
            take = plain_end - off < n ? (int)(plain_end - off) : n;
            r = f->real->pMethods->xRead(f->real, out, take, off);
        } else {
            take = page_off + HH_VFS_PAGE - off < n ? (int)(page_off + HH_VFS_PAGE - off) : n;
            r = f->real->pMethods->xRead(f->real, f->page, HH_VFS_PAGE, page_off);
            if (r == SQLITE_IOERR_SHORT_READ) {
                memset(f->page, 0, HH_VFS_PAGE);   /* past the end: never written */
            } else if (r == SQLITE_OK && unseal(f, page_off) != 0) {
                if (!f->wal)
                    return SQLITE_IOERR_DATA;
                memset(f->page, 0, HH_VFS_PAGE);   /* its checksum refuses the frame */
            }
            if (r == SQLITE_OK || r == SQLITE_IOERR_SHORT_READ)
                memcpy(out, f->page + (off - page_off), (size_t)take);
        }
        if (r != SQLITE_OK && r != SQLITE_IOERR_SHORT_READ)
            return r;
        if (r == SQLITE_IOERR_SHORT_READ)
            rc = r;
        out += take;
        off += take;
        n -= take;
    }
    return rc;
}

static int s_write(sqlite3_file *file, const void *buf, int n, sqlite3_int64 off)
{
    sealed_file *f = (sealed_file *)file;
    const unsigned char *in = buf;

    while (n > 0) {
        sqlite3_int64 page_off, plain_end;
        int take, r;
        if (!locate(f, off, &page_off, &plain_end)) {
            take = plain_end - off < n ? (int)(plain_end - off) : n;
            r = f->real->pMethods->xWrite(f->real, in, take, off);
        } else {
            take = page_off + HH_VFS_PAGE - off < n ? (int)(page_off + HH_VFS_PAGE - off) : n;
            if (take < HH_VFS_PAGE) {
                /* Part of a page: the rest as it is now. */
                r = f->real->pMethods->xRead(f->real, f->page, HH_VFS_PAGE, page_off);
                if (r != SQLITE_OK && r != SQLITE_IOERR_SHORT_READ)
                    return r;
                if (r == SQLITE_IOERR_SHORT_READ || unseal(f, page_off) != 0)
                    memset(f->page, 0, HH_VFS_PAGE);
            }
            memcpy(f->page + (off - page_off), in, (size_t)take);
            if ((r = seal(f, page_off)) == SQLITE_OK)
                r = f->real->pMethods->xWrite(f->real, f->page, HH_VFS_PAGE, page_off);
        }
        if (r != SQLITE_OK)
            return r;
        in += take;
        off += take;
        n -= take;
    }
    return SQLITE_OK;
}

static int s_close(sqlite3_file *file)
{
    sealed_file *f = (sealed_file *)file;
    int rc = f->real->pMethods->xClose(f->real);

    mbedtls_gcm_free(&f->gcm);
    explicit_bzero(f->page, sizeof f->page);
    return rc;
}

#define REAL(file) (((sealed_file *)(file))->real)
static int s_truncate(sqlite3_file *f, sqlite3_int64 size) { return REAL(f)->pMethods->xTruncate(REAL(f), size); }
static int s_sync(sqlite3_file *f, int flags) { return REAL(f)->pMethods->xSync(REAL(f), flags); }
static int s_size(sqlite3_file *f, sqlite3_int64 *size) { return REAL(f)->pMethods->xFileSize(REAL(f), size); }
static int s_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int s_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int s_reserved(sqlite3_file *f, int *out) { return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out); }
static int s_control(sqlite3_file *f, int op, void *arg) { return REAL(f)->pMethods->xFileControl(REAL(f), op, arg); }
static int s_sector(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int s_device(sqlite3_file *f) { return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f)); }
static int s_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, pgsz, extend, pp);
}
static int s_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}
static void s_shm_barrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int s_shm_unmap(sqlite3_file *f, int del) { return REAL(f)->pMethods->xShmUnmap(REAL(f), del); }

/* Version 2: no memory-mapped reads, which would pass the seal by. */
static const sqlite3_io_methods sealed_methods = {
    2, s_close, s_read, s_write, s_truncate, s_sync, s_size, s_lock, s_unlock, s_reserved,
    s_control, s_sector, s_device, s_shm_map, s_shm_lock, s_shm_barrier, s_shm_unmap, NULL, NULL
};

/* The key for a file SQLite opens (the database or its WAL), if it has one. */
static int key_for(const char *name, int flags, uint8_t key[HH_VFS_KEY_LEN])
{
    size_t len;
    int found = 0;

    if (!name || !(flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)))
        return 0;
    len = strlen(name);
    if (flags & SQLITE_OPEN_WAL)
        len = len > 4 && strcmp(name + len - 4, "-wal") == 0 ? len - 4 : 0;
    pthread_mutex_lock(&keys_lock);
    for (int i = 0; i < KEYS_MAX && !found; i++)
        if (keys[i].used && strlen(keys[i].path) == len && strncmp(keys[i].path, name, len) == 0) {
            memcpy(key, keys[i].key, HH_VFS_KEY_LEN);
            found = 1;
        }
    pthread_mutex_unlock(&keys_lock);
    return found;
}

static int open_file(sqlite3_vfs *self, const char *name, sqlite3_file *file, int flags, int *out)
{
    sqlite3_vfs *base = self->pAppData;
    uint8_t key[HH_VFS_KEY_LEN];
    sealed_file *f = (sealed_file *)file;
    int exists = 0, rc;

    if ((flags & SQLITE_OPEN_WAL) && (flags & SQLITE_OPEN_CREATE) && name &&
        base->xAccess(base, name, SQLITE_ACCESS_EXISTS, &exists) == SQLITE_OK && exists)
        flags &= ~SQLITE_OPEN_CREATE;
    if (!key_for(name, flags, key))
        return base->xOpen(base, name, file, flags, out);
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)(f + 1);
    f->wal = (flags & SQLITE_OPEN_WAL) != 0;
    mbedtls_gcm_init(&f->gcm);
    rc = mbedtls_gcm_setkey(&f->gcm, MBEDTLS_CIPHER_ID_AES, key, 8 * HH_VFS_KEY_LEN) == 0
             ? base->xOpen(base, name, f->real, flags, out) : SQLITE_CANTOPEN;
    explicit_bzero(key, sizeof key);
    if (rc != SQLITE_OK) {
        mbedtls_gcm_free(&f->gcm);
        f->base.pMethods = NULL;
        return rc;
    }
    f->base.pMethods = &sealed_methods;
    return SQLITE_OK;
}

static void register_vfs(void)
{
    sqlite3_vfs *base;

    if (sqlite3_initialize() != SQLITE_OK || !(base = sqlite3_vfs_find(NULL)))
        return;
    vfs = *base;
    vfs.pNext = NULL;
    vfs.zName = HH_VFS_NAME;
    vfs.pAppData = base;
    vfs.szOsFile = (int)sizeof(sealed_file) + base->szOsFile;
    vfs.xOpen = open_file;
    if (sqlite3_vfs_register(&vfs, 0) == SQLITE_OK)
        registered = HH_VFS_NAME;
}

const char *hh_vfs_name(void)
{
    pthread_once(&once, register_vfs);
    return registered;
}

hh_err hh_vfs_set_key(const char *path, const uint8_t key[HH_VFS_KEY_LEN])
{
    char full[HH_PATH_MAX];
    hh_err ret = HH_ENOMEM;

    if (!hh_vfs_name() || full_path(path, full) != 0)
        return HH_EINVAL;
    hh_vfs_forget_key(path);
    pthread_mutex_lock(&keys_lock);
    for (int i = 0; i < KEYS_MAX; i++)
        if (!keys[i].used) {
            snprintf(keys[i].path, sizeof keys[i].path, "%s", full);
            memcpy(keys[i].key, key, HH_VFS_KEY_LEN);
            keys[i].used = 1;
            ret = HH_OK;
            break;
        }
    pthread_mutex_unlock(&keys_lock);
    return ret;
}

void hh_vfs_forget_key(const char *path)
{
    char full[HH_PATH_MAX];

    if (!hh_vfs_name() || full_path(path, full) != 0)
        return;
    pthread_mutex_lock(&keys_lock);
    for (int i = 0; i < KEYS_MAX; i++)
        if (keys[i].used && strcmp(keys[i].path, full) == 0) {
            explicit_bzero(&keys[i], sizeof keys[i]);
        }
    pthread_mutex_unlock(&keys_lock);
}

int hh_vfs_has_key(const char *path)
{
    char full[HH_PATH_MAX];
    int found = 0;

    if (!hh_vfs_name() || full_path(path, full) != 0)
        return 0;
    pthread_mutex_lock(&keys_lock);
    for (int i = 0; i < KEYS_MAX && !found; i++)
        found = keys[i].used && strcmp(keys[i].path, full) == 0;
    pthread_mutex_unlock(&keys_lock);
    return found;
}

hh_err hh_vfs_copy_key(const char *from, const char *to)
{
    char full[HH_PATH_MAX];
    uint8_t key[HH_VFS_KEY_LEN];
    int found = 0;
    hh_err ret;

    if (!hh_vfs_name() || full_path(from, full) != 0)
        return HH_EINVAL;
    pthread_mutex_lock(&keys_lock);
    for (int i = 0; i < KEYS_MAX && !found; i++)
        if (keys[i].used && strcmp(keys[i].path, full) == 0) {
            memcpy(key, keys[i].key, sizeof key);
            found = 1;
        }
    pthread_mutex_unlock(&keys_lock);
    if (!found)
        return HH_ENOTFOUND;
    ret = hh_vfs_set_key(to, key);
    explicit_bzero(key, sizeof key);
    return ret;
}
