/* platform/vfs.c — the device's SQLite VFS (see vfs.h). */
#include "vfs.h"

#include <pthread.h>
#include <string.h>

#include <sqlite3.h>

#define HH_VFS_NAME "hearth"

static sqlite3_vfs vfs;
static const char *registered;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static int open_file(sqlite3_vfs *self, const char *name, sqlite3_file *file, int flags, int *out)
{
    sqlite3_vfs *base = self->pAppData;
    int exists = 0;

    if ((flags & SQLITE_OPEN_WAL) && (flags & SQLITE_OPEN_CREATE) && name &&
        base->xAccess(base, name, SQLITE_ACCESS_EXISTS, &exists) == SQLITE_OK && exists)
        flags &= ~SQLITE_OPEN_CREATE;
    return base->xOpen(base, name, file, flags, out);
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
    vfs.xOpen = open_file;
    if (sqlite3_vfs_register(&vfs, 0) == SQLITE_OK)
        registered = HH_VFS_NAME;
}

const char *hh_vfs_name(void)
{
    pthread_once(&once, register_vfs);
    return registered;
}
