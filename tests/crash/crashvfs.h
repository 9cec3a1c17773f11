/* tests/crash/crashvfs.h — a power cut, simulated under SQLite.
 *
 * SQLite's own approach (its test6.c): a VFS between SQLite and the disk that
 * remembers, for every file, what each write since that file's last sync
 * replaced. At the cut — the Nth write, sync or truncation from arming, which
 * then does not happen — each of those writes is, at random, kept, dropped
 * (its old bytes put back; past the old end, zeros) or torn (some of its
 * 512-byte sectors put back, the others kept), newest first, so a later write
 * can survive an earlier one (reordering). Then the process ends at once with
 * HH_CRASH_EXIT, as a device whose battery died. What was synced is never
 * touched: that is the promise fsync makes.
 *
 * Installed as SQLite's default VFS before any database is opened, it sits
 * under the device's VFS (platform/vfs.c wraps whatever is the default) and
 * under the collector's store alike. */
#ifndef HH_CRASHVFS_H
#define HH_CRASHVFS_H

#include <stdint.h>

#define HH_CRASH_EXIT 86

/* Register the VFS as the default: 0 on success. */
int hh_crashvfs_install(void);

/* Cut the power at the nth write, sync or truncation from now (0: never);
 * seed decides what survives. A lying disk keeps nothing of its promise:
 * synced writes are lost like the others (a check that the test can fail). */
void hh_crashvfs_arm(uint64_t nth, uint64_t seed, int lying_disk);

/* Writes, syncs and truncations since the last arming. */
uint64_t hh_crashvfs_events(void);

#endif
