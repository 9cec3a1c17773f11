/* platform/vfs.h — SQLite's file layer as Hearth uses it on the device.
 *
 * One seam between SQLite and the OS: a VFS that passes every call to the
 * platform's default one, changing only what Hearth decides differently.
 * Today that is one thing: a WAL file that already exists is opened without
 * asking to create it, so SQLite does not fsync the directory again on the
 * first commit of every process (it does so for any journal opened with the
 * create flag, existing or not). The directory entry was made durable by the
 * commit of the process that created the file: a WAL that never had a commit
 * holds nothing to lose. */
#ifndef HH_VFS_H
#define HH_VFS_H

#include "err.h"

/* Register the VFS (once; safe to call again) and give its name for
 * sqlite3_open_v2. NULL when SQLite has no default VFS to build on. */
const char *hh_vfs_name(void);

#endif
