/* tests/crash/crashvfs.c — a power cut, simulated under SQLite (see crashvfs.h). */
#include "crashvfs.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#define SECTOR 512
#define FILES_MAX 64

typedef struct undo {
    sqlite3_int64 off;
    int n;
    unsigned char *old;        /* what the write replaced (zeros past the end) */
} undo;

typedef struct cfile {
    sqlite3_file base;
    sqlite3_file *real;        /* the default VFS's file, right after this struct */
    undo *pending;             /* writes since the last sync, oldest first */
    size_t n_pending, cap;
} cfile;

static sqlite3_vfs vfs, *base;
static cfile *open_files[FILES_MAX];
static uint64_t events, cut_at, rng;
static int lying;

static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* The cut: what each unsynced write leaves on the platter, then the end. */
static void power_cut(void)
{
    for (int f = 0; f < FILES_MAX; f++) {
        cfile *c = open_files[f];
        for (size_t i = c ? c->n_pending : 0; i-- > 0; ) {
            undo *u = &c->pending[i];
            uint64_t fate = next_random() % 4;     /* 0, 1 kept; 2 dropped; 3 torn */
            if (fate < 2)
                continue;
            for (int s = 0; s < u->n; s += SECTOR) {
                int len = u->n - s < SECTOR ? u->n - s : SECTOR;
                if (fate == 3 && next_random() % 2)
                    continue;
                c->real->pMethods->xWrite(c->real, u->old + s, len, u->off + s);
            }
        }
    }
    _exit(HH_CRASH_EXIT);
}

/* One more write, sync or truncation: the cut comes before it, if now. */
static void event(void)
{
    if (++events == cut_at)
        power_cut();
}

static int remember(cfile *c, sqlite3_int64 off, int n)
{
    undo *u;

    if (c->n_pending == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        undo *grown = realloc(c->pending, cap * sizeof *grown);
        if (!grown)
            return SQLITE_NOMEM;
        c->pending = grown;
        c->cap = cap;
    }
    u = &c->pending[c->n_pending];
    if (!(u->old = calloc(1, (size_t)n)))
        return SQLITE_NOMEM;
    u->off = off;
    u->n = n;
    /* Past the end the read is short and zero-filled: zeros are the old bytes. */
    c->real->pMethods->xRead(c->real, u->old, n, off);
    c->n_pending++;
    return SQLITE_OK;
}

static void forget(cfile *c)
{
    for (size_t i = 0; i < c->n_pending; i++)
        free(c->pending[i].old);
    c->n_pending = 0;
}

static int c_close(sqlite3_file *f)
{
    cfile *c = (cfile *)f;
    int rc = c->real->pMethods->xClose(c->real);

    forget(c);
    free(c->pending);
    for (int i = 0; i < FILES_MAX; i++)
        if (open_files[i] == c)
            open_files[i] = NULL;
    return rc;
}

static int c_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
    cfile *c = (cfile *)f;
    return c->real->pMethods->xRead(c->real, buf, n, off);
}

static int c_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
    cfile *c = (cfile *)f;
    int rc;

    event();
    if ((rc = remember(c, off, n)) != SQLITE_OK)
        return rc;
    return c->real->pMethods->xWrite(c->real, buf, n, off);
}

static int c_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    cfile *c = (cfile *)f;
    sqlite3_int64 now = 0;
    int rc;

    event();
    if (c->real->pMethods->xFileSize(c->real, &now) == SQLITE_OK && now > size &&
        now - size <= 64 * 1024 * 1024 && (rc = remember(c, size, (int)(now - size))) != SQLITE_OK)
        return rc;
    return c->real->pMethods->xTruncate(c->real, size);
}

static int c_sync(sqlite3_file *f, int flags)
{
    cfile *c = (cfile *)f;
    int rc;

    event();
    if ((rc = c->real->pMethods->xSync(c->real, flags)) == SQLITE_OK && !lying)
        forget(c);
    return rc;
}

static int c_size(sqlite3_file *f, sqlite3_int64 *size)
{
    cfile *c = (cfile *)f;
    return c->real->pMethods->xFileSize(c->real, size);
}

static int c_lock(sqlite3_file *f, int l) { return ((cfile *)f)->real->pMethods->xLock(((cfile *)f)->real, l); }
static int c_unlock(sqlite3_file *f, int l) { return ((cfile *)f)->real->pMethods->xUnlock(((cfile *)f)->real, l); }
static int c_reserved(sqlite3_file *f, int *out)
{
    return ((cfile *)f)->real->pMethods->xCheckReservedLock(((cfile *)f)->real, out);
}
static int c_control(sqlite3_file *f, int op, void *arg)
{
    return ((cfile *)f)->real->pMethods->xFileControl(((cfile *)f)->real, op, arg);
}
static int c_sector(sqlite3_file *f) { return ((cfile *)f)->real->pMethods->xSectorSize(((cfile *)f)->real); }
static int c_device(sqlite3_file *f)
{
    /* Nothing is promised: writes may be torn and reordered. */
    (void)f;
    return 0;
}
static int c_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
    return ((cfile *)f)->real->pMethods->xShmMap(((cfile *)f)->real, pg, pgsz, extend, pp);
}
static int c_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    return ((cfile *)f)->real->pMethods->xShmLock(((cfile *)f)->real, offset, n, flags);
}
static void c_shm_barrier(sqlite3_file *f) { ((cfile *)f)->real->pMethods->xShmBarrier(((cfile *)f)->real); }
static int c_shm_unmap(sqlite3_file *f, int del)
{
    return ((cfile *)f)->real->pMethods->xShmUnmap(((cfile *)f)->real, del);
}

static const sqlite3_io_methods methods = {
    2, c_close, c_read, c_write, c_truncate, c_sync, c_size, c_lock, c_unlock, c_reserved,
    c_control, c_sector, c_device, c_shm_map, c_shm_lock, c_shm_barrier, c_shm_unmap,
    NULL, NULL
};

static int c_open(sqlite3_vfs *self, const char *name, sqlite3_file *f, int flags, int *out)
{
    cfile *c = (cfile *)f;
    int rc;

    (void)self;
    memset(c, 0, sizeof *c);
    c->real = (sqlite3_file *)(c + 1);
    if ((rc = base->xOpen(base, name, c->real, flags, out)) != SQLITE_OK)
        return rc;
    for (int i = 0; i < FILES_MAX; i++)
        if (!open_files[i]) {
            open_files[i] = c;
            c->base.pMethods = &methods;
            return SQLITE_OK;
        }
    c->real->pMethods->xClose(c->real);
    return SQLITE_CANTOPEN;
}

int hh_crashvfs_install(void)
{
    if (sqlite3_initialize() != SQLITE_OK || !(base = sqlite3_vfs_find(NULL)))
        return -1;
    vfs = *base;
    vfs.iVersion = 2;
    vfs.pNext = NULL;
    vfs.zName = "hearth-crash";
    vfs.szOsFile = (int)sizeof(cfile) + base->szOsFile;
    vfs.xOpen = c_open;
    return sqlite3_vfs_register(&vfs, 1) == SQLITE_OK ? 0 : -1;
}

void hh_crashvfs_arm(uint64_t nth, uint64_t seed, int lying_disk)
{
    lying = lying_disk;
    events = 0;
    cut_at = nth;
    rng = seed * 2654435761u + 88172645463325252ull;
}

uint64_t hh_crashvfs_events(void)
{
    return events;
}
