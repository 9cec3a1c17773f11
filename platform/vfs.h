/* platform/vfs.h — SQLite's file layer as Hearth uses it on the device.
 *
 * One seam between SQLite and the OS: a VFS that passes every call to the
 * platform's default one, changing only what Hearth decides differently.
 *
 * 1. A WAL file that already exists is opened without asking to create it,
 *    so SQLite does not fsync the directory again on the first commit of
 *    every process (it does so for any journal opened with the create flag,
 *    existing or not). The directory entry was made durable by the commit of
 *    the process that created the file: a WAL that never had a commit holds
 *    nothing to lose.
 *
 * 2. Encryption at rest. A database given a key (hh_vfs_set_key) has every
 *    page of its file and of its WAL sealed with AES-256-GCM: a fresh random
 *    nonce for every write, the page's place in its file as associated data
 *    (a page moved elsewhere does not open), nonce and tag in the last
 *    HH_VFS_RESERVE bytes of the page, which SQLite is told to leave free
 *    (SQLITE_FCNTL_RESERVE_BYTES). The WAL's own header and frame headers
 *    (sizes, page numbers, salts, checksums: no records) stay as they are, so
 *    SQLite's recovery works unchanged; a WAL page that does not open reads
 *    as zeros, which its frame checksum then refuses, as after a torn write.
 *    A database page that does not open is an error (SQLITE_IOERR_DATA).
 *    Pages are HH_VFS_PAGE bytes. Temporary files never reach the disk
 *    (hh_vfs_name sets statement journals to stay in memory; the store keeps
 *    temp_store in memory). */
#ifndef HH_VFS_H
#define HH_VFS_H

#include <stdint.h>

#include "err.h"

#define HH_VFS_KEY_LEN 32
#define HH_VFS_PAGE    4096
#define HH_VFS_RESERVE 32         /* nonce (12), tag (16), 4 spare */

/* Register the VFS (once; safe to call again) and give its name for
 * sqlite3_open_v2. NULL when SQLite has no default VFS to build on. */
const char *hh_vfs_name(void);

/* Seal the database at path (and its WAL) with key from the next opening
 * on; HH_ENOMEM when too many databases have keys. The key is copied and
 * wiped again by hh_vfs_forget_key. */
hh_err hh_vfs_set_key(const char *path, const uint8_t key[HH_VFS_KEY_LEN]);
void hh_vfs_forget_key(const char *path);

/* Does the database at path have a key in this process? */
int hh_vfs_has_key(const char *path);

/* Give the database at to the key of the database at from (a copy of it). */
hh_err hh_vfs_copy_key(const char *from, const char *to);

#endif
