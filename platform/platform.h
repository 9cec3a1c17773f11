/* platform/platform.h — the operating-system seam.
 *
 * Everything Hearth asks of the OS goes through here: clocks, randomness, files
 * and durable writes, paths, the environment, terminals. Code in model/ never
 * includes this file's implementation directly and does no I/O at all; agent/,
 * sync/ and collector/ call these functions instead of libc's, so a test build
 * can inject faults in one place. (SQLite reaches the disk through its own VFS.) */
#ifndef HH_PLATFORM_H
#define HH_PLATFORM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

/* Longest path Hearth will build or accept, bytes including the NUL. */
#define HH_PATH_MAX 1024

/* Milliseconds since the Unix epoch by the wall clock (may jump either way). */
uint64_t hh_platform_wall_ms(void);

/* Nanoseconds from an arbitrary origin that never goes backwards. */
uint64_t hh_platform_monotonic_ns(void);

/* Today's local date as "YYYY-MM-DD" into out (at least 11 bytes). */
hh_err hh_platform_today(char out[11]);

/* ms since the epoch as local "YYYY-MM-DD HH:MM", cut to cap. */
void hh_platform_format_ms(uint64_t ms, char *out, size_t cap);

/* Now in UTC as "YYYY-MM-DDTHH:MM:SSZ" into out (at least 21 bytes). */
void hh_platform_utc_now(char out[21]);

/* The current local year (for bounds such as a birth year). */
int hh_platform_current_year(void);

/* Raise this process's open-file limit to want, or as far as the hard limit
 * allows; returns the limit now in force. */
long hh_platform_raise_fd_limit(long want);

/* For a process whose requests or batches allocate and free the same sizes
 * over and over (the collector, a device's sync): keep freed memory in the
 * heap instead of handing it back to the kernel and faulting it in again on
 * the next one. Where the C library has no such knob, nothing happens. */
void hh_platform_keep_heap(void);

/* unix_s as "YYYY-MM-DD HH:MM UTC" into out (at least 21 bytes). */
void hh_platform_utc_format(int64_t unix_s, char out[21]);

/* Fill buf with len bytes from the kernel's CSPRNG. */
hh_err hh_platform_random(void *buf, size_t len);

/* The environment variable `name`, or NULL if unset or empty. Borrowed. */
const char *hh_platform_getenv(const char *name);

/* Non-zero when fd is a terminal. */
int hh_platform_isatty(int fd);

/* Non-zero when a file or directory exists at path. */
int hh_platform_exists(const char *path);

/* Create directory `path` and its missing parents with `mode`. */
hh_err hh_platform_mkdirs(const char *path, mode_t mode);

/* Create the parent directories of the file `path`. */
hh_err hh_platform_mkdirs_for(const char *path, mode_t mode);

/* Read the whole file at path (or standard input when path is "-") into a new
 * NUL-terminated buffer. More than max_bytes is HH_ERANGE. On HH_OK the caller
 * owns *out and frees it with free(). */
hh_err hh_platform_read_file(const char *path, size_t max_bytes,
                             char **out, size_t *out_len);

/* Replace the file at path with data, durably: write a temporary file beside it,
 * fsync it, rename it over path, fsync the directory. After HH_OK the new content
 * survives power loss; after an error the old content is intact. */
hh_err hh_platform_write_file_durable(const char *path, const void *data,
                                      size_t len, mode_t mode);

/* A database's files are its owner's alone, whatever the umask: when create
 * and path is missing it is made empty with mode 0600 (SQLite gives the
 * journal, WAL and shared-memory files the database's mode); path and its
 * -wal, -shm and -journal files that others may read are set to 0600. A file
 * this process may not change is left as it is (HH_OK: opening it is the
 * caller's test); HH_EIO when path cannot be created. */
hh_err hh_platform_private_db(const char *path, int create);

/* Make the finished file tmp durable under path: fsync it, rename it over
 * path, fsync the directory. */
hh_err hh_platform_publish_durable(const char *tmp, const char *path);

/* Remove the file at path; a missing file is not an error. */
hh_err hh_platform_remove(const char *path);

/* The size in bytes of the file at path. */
hh_err hh_platform_file_size(const char *path, uint64_t *out);

/* Bytes free to this process on the file system holding path (or, if path
 * does not exist, its directory); 0 if unknown. */
uint64_t hh_platform_free_bytes(const char *path);

/* The device database path when --db is not given: $HEARTH_DB, else
 * $XDG_DATA_HOME/hearth/device.db, else $HOME/.local/share/hearth/device.db.
 * HH_ERANGE if it does not fit in cap; HH_ENOTFOUND if no variable is set. */
hh_err hh_platform_default_db_path(char *out, size_t cap);

/* Block SIGTERM, SIGINT and SIGHUP in this thread and every thread started
 * after it, so that hh_platform_wait_termination can take them. */
hh_err hh_platform_block_termination(void);

/* Wait until SIGTERM, SIGINT or SIGHUP arrives; returns the signal number. */
int hh_platform_wait_termination(void);

/* The same for at most ms milliseconds: 0 when none came. */
int hh_platform_wait_termination_for(unsigned ms);

/* Is sig the hang-up signal (reopen the log, keep serving)? */
int hh_platform_is_hangup(int sig);

/* Append standard error to the file at path (created 0640), as a daemon's log;
 * called again after the file was rotated away, it opens the new one. */
hh_err hh_platform_redirect_stderr(const char *path);

/* Catch SIGINT, SIGHUP and SIGTERM without restarting reads: a read blocked on
 * the terminal returns (EINTR) and hh_platform_interrupted says which came, so
 * a form can say what it kept before it exits. */
void hh_platform_catch_interrupts(void);

/* The signal caught since hh_platform_catch_interrupts, or 0. */
int hh_platform_interrupted(void);

/* This machine's host name into out; "" if it has none. */
void hh_platform_hostname(char *out, size_t cap);

/* Sleep for ms milliseconds (resumes after signals). */
void hh_platform_sleep_ms(uint64_t ms);

/* A crash point for fault-injection tests. When the environment variable
 * HEARTH_FAULT is "name:N", the Nth call with this name ends the process at once
 * (_exit, status 99: no clean-up, like a power cut). Otherwise it does nothing. */
void hh_platform_fault_point(const char *name);

/* This process's id. */
long hh_platform_pid(void);

/* Resident set size high-water mark of this process, in bytes. */
uint64_t hh_platform_peak_rss_bytes(void);

#endif
