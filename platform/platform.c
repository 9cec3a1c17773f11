/* platform/platform.c — the POSIX (Linux) implementation of the OS seam.
 *
 * The only file of Hearth's own code that calls clock_gettime, getrandom, open,
 * fsync and friends. Each function keeps errno-based failures inside and returns
 * an hh_err, so callers never look at errno. */
#define _GNU_SOURCE
#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

uint64_t hh_platform_wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec < 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t hh_platform_monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static hh_err local_now(struct tm *out)
{
    time_t now = time(NULL);

    return localtime_r(&now, out) ? HH_OK : HH_EIO;
}

hh_err hh_platform_today(char out[11])
{
    struct tm tm;
    hh_err ret = local_now(&tm);

    if (ret != HH_OK)
        return ret;
    if (strftime(out, 11, "%Y-%m-%d", &tm) != 10)
        return HH_ERANGE;
    return HH_OK;
}

void hh_platform_format_ms(uint64_t ms, char *out, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (cap == 0)
        return;
    if (!localtime_r(&t, &tm) || strftime(out, cap, "%Y-%m-%d %H:%M", &tm) == 0)
        snprintf(out, cap, "%llu ms", (unsigned long long)ms);
}

void hh_platform_utc_now(char out[21])
{
    time_t now = time(NULL);
    struct tm tm;

    if (!gmtime_r(&now, &tm) || strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
        snprintf(out, 21, "1970-01-01T00:00:00Z");
}

uint64_t hh_platform_free_bytes(const char *path)
{
    struct statvfs vfs;
    char dir[4096];
    const char *slash;

    if (statvfs(path, &vfs) != 0) {
        slash = strrchr(path, '/');
        if (!slash)
            snprintf(dir, sizeof dir, ".");
        else
            snprintf(dir, sizeof dir, "%.*s", (int)(slash == path ? 1 : slash - path), path);
        if (statvfs(dir, &vfs) != 0)
            return 0;
    }
    return (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
}

void hh_platform_keep_heap(void)
{
#ifdef M_TRIM_THRESHOLD
    /* Fixed thresholds also stop glibc from moving them as it goes. */
    mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
#endif
}

long hh_platform_raise_fd_limit(long want)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    if (rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < want) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || (long)rl.rlim_max >= want
                      ? (rlim_t)want : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
            return 0;
    }
    return rl.rlim_cur == RLIM_INFINITY ? want : (long)rl.rlim_cur;
}

void hh_platform_utc_format(int64_t unix_s, char out[21])
{
    time_t t = (time_t)unix_s;
    struct tm tm;

    if (!gmtime_r(&t, &tm) || strftime(out, 21, "%Y-%m-%d %H:%M UTC", &tm) == 0)
        snprintf(out, 21, "(no date)");
}

int hh_platform_current_year(void)
{
    struct tm tm;

    if (local_now(&tm) != HH_OK)
        return 1970;
    return tm.tm_year + 1900;
}

hh_err hh_platform_random(void *buf, size_t len)
{
    unsigned char *p = buf;

    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return HH_EIO;
        }
        p += n;
        len -= (size_t)n;
    }
    return HH_OK;
}

const char *hh_platform_getenv(const char *name)
{
    const char *v = getenv(name);

    return (v && *v) ? v : NULL;
}

int hh_platform_isatty(int fd)
{
    return isatty(fd);
}

int hh_platform_exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0;
}

hh_err hh_platform_mkdirs(const char *path, mode_t mode)
{
    char buf[HH_PATH_MAX];
    size_t len = strlen(path);

    if (len == 0 || len >= sizeof buf)
        return HH_ERANGE;
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(buf, mode) != 0 && errno != EEXIST)
                return HH_EIO;
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    return HH_OK;
}

hh_err hh_platform_mkdirs_for(const char *path, mode_t mode)
{
    char buf[HH_PATH_MAX];
    size_t len = strlen(path);
    char *slash;

    if (len >= sizeof buf)
        return HH_ERANGE;
    memcpy(buf, path, len + 1);
    slash = strrchr(buf, '/');
    if (!slash || slash == buf)
        return HH_OK;
    *slash = '\0';
    return hh_platform_mkdirs(buf, mode);
}

hh_err hh_platform_read_file(const char *path, size_t max_bytes,
                             char **out, size_t *out_len)
{
    hh_err ret = HH_EIO;
    int fd = -1;
    char *buf = NULL;
    size_t len = 0, cap = 0;

    *out = NULL;
    *out_len = 0;
    if (strcmp(path, "-") == 0) {
        fd = STDIN_FILENO;
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            ret = errno == ENOENT ? HH_ENOTFOUND : HH_EIO;
            goto cleanup;
        }
    }
    for (;;) {
        ssize_t n;
        /* Room for one more byte and the NUL; the buffer stops growing at
         * max_bytes + 2 so that one byte too many is seen and refused. */
        if (cap - len < 2) {
            size_t new_cap = cap ? cap * 2 : 16384;
            char *grown;
            if (new_cap > max_bytes + 2)
                new_cap = max_bytes + 2;
            grown = realloc(buf, new_cap);
            if (!grown) {
                ret = HH_ENOMEM;
                goto cleanup;
            }
            buf = grown;
            cap = new_cap;
        }
        n = read(fd, buf + len, cap - 1 - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            goto cleanup;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > max_bytes) {
            ret = HH_ERANGE;
            goto cleanup;
        }
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    buf = NULL;
    ret = HH_OK;
cleanup:
    if (fd >= 0 && fd != STDIN_FILENO)
        close(fd);
    free(buf);
    return ret;
}

static hh_err write_all(int fd, const void *data, size_t len)
{
    const unsigned char *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return HH_EIO;
        }
        p += n;
        len -= (size_t)n;
    }
    return HH_OK;
}

static hh_err fsync_parent_dir(const char *path)
{
    char dir[HH_PATH_MAX];
    size_t len = strlen(path);
    char *slash;
    int fd;
    hh_err ret = HH_OK;

    if (len >= sizeof dir)
        return HH_ERANGE;
    memcpy(dir, path, len + 1);
    slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return HH_EIO;
    if (fsync(fd) != 0)
        ret = HH_EIO;
    close(fd);
    return ret;
}

hh_err hh_platform_write_file_durable(const char *path, const void *data,
                                      size_t len, mode_t mode)
{
    hh_err ret = HH_EIO;
    char tmp[HH_PATH_MAX];
    int fd = -1;

    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid()) >= sizeof tmp)
        return HH_ERANGE;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        goto cleanup;
    ret = write_all(fd, data, len);
    if (ret != HH_OK)
        goto cleanup;
    if (fsync(fd) != 0) {
        ret = HH_EIO;
        goto cleanup;
    }
    if (close(fd) != 0) {
        fd = -1;
        ret = HH_EIO;
        goto cleanup;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        ret = HH_EIO;
        goto cleanup;
    }
    ret = fsync_parent_dir(path);
cleanup:
    if (fd >= 0)
        close(fd);
    if (ret != HH_OK)
        unlink(tmp);
    return ret;
}

hh_err hh_platform_publish_durable(const char *tmp, const char *path)
{
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    hh_err ret = HH_EIO;

    if (fd < 0)
        return errno == ENOENT ? HH_ENOTFOUND : HH_EIO;
    if (fsync(fd) == 0 && close(fd) == 0) {
        fd = -1;
        if (rename(tmp, path) == 0)
            ret = fsync_parent_dir(path);
    }
    if (fd >= 0)
        close(fd);
    return ret;
}

hh_err hh_platform_private_db(const char *path, int create)
{
    static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
    char name[HH_PATH_MAX + 16];
    struct stat st;

    if (create && access(path, F_OK) != 0 && errno == ENOENT) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST)
            return HH_EIO;
        if (fd >= 0)
            close(fd);
    }
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        if ((size_t)snprintf(name, sizeof name, "%s%s", path, suffixes[i]) >= sizeof name)
            return HH_ERANGE;
        if (stat(name, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077))
            (void)chmod(name, st.st_mode & 0700);
    }
    return HH_OK;
}

hh_err hh_platform_remove(const char *path)
{
    if (unlink(path) != 0 && errno != ENOENT)
        return HH_EIO;
    return HH_OK;
}

hh_err hh_platform_file_size(const char *path, uint64_t *out)
{
    struct stat st;

    if (stat(path, &st) != 0)
        return errno == ENOENT ? HH_ENOTFOUND : HH_EIO;
    *out = (uint64_t)st.st_size;
    return HH_OK;
}

hh_err hh_platform_default_db_path(char *out, size_t cap)
{
    const char *v;
    int n;

    if ((v = hh_platform_getenv("HEARTH_DB")) != NULL)
        n = snprintf(out, cap, "%s", v);
    else if ((v = hh_platform_getenv("XDG_DATA_HOME")) != NULL)
        n = snprintf(out, cap, "%s/hearth/device.db", v);
    else if ((v = hh_platform_getenv("HOME")) != NULL)
        n = snprintf(out, cap, "%s/.local/share/hearth/device.db", v);
    else
        return HH_ENOTFOUND;
    if (n < 0 || (size_t)n >= cap)
        return HH_ERANGE;
    return HH_OK;
}

static void termination_set(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
}

int hh_platform_is_hangup(int sig)
{
    return sig == SIGHUP;
}

hh_err hh_platform_redirect_stderr(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

    if (fd < 0)
        return errno == ENOSPC ? HH_ENOSPC : HH_EIO;
    if (dup2(fd, 2) < 0) {
        close(fd);
        return HH_EIO;
    }
    close(fd);
    return HH_OK;
}

hh_err hh_platform_block_termination(void)
{
    sigset_t set;

    termination_set(&set);
    return pthread_sigmask(SIG_BLOCK, &set, NULL) == 0 ? HH_OK : HH_EIO;
}

int hh_platform_wait_termination(void)
{
    sigset_t set;
    int sig = 0;

    termination_set(&set);
    while (sigwait(&set, &sig) != 0)
        ;
    return sig;
}

int hh_platform_wait_termination_for(unsigned ms)
{
    struct timespec wait = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    sigset_t set;
    int sig;

    termination_set(&set);
    do {
        sig = sigtimedwait(&set, NULL, &wait);
    } while (sig < 0 && errno == EINTR);
    return sig < 0 ? 0 : sig;
}

void hh_platform_hostname(char *out, size_t cap)
{
    if (cap == 0)
        return;
    if (gethostname(out, cap) != 0)
        out[0] = '\0';
    out[cap - 1] = '\0';
}

void hh_platform_sleep_ms(uint64_t ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void hh_platform_fault_point(const char *name)
{
    static unsigned hits;
    const char *spec = hh_platform_getenv("HEARTH_FAULT");
    size_t n = strlen(name);

    if (!spec || strncmp(spec, name, n) != 0 || spec[n] != ':')
        return;
    if (++hits == (unsigned)strtoul(spec + n + 1, NULL, 10))
        _exit(99);
}

long hh_platform_pid(void)
{
    return (long)getpid();
}

uint64_t hh_platform_peak_rss_bytes(void)
{
    struct rusage ru;

    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (uint64_t)ru.ru_maxrss * 1024u;
}

static volatile sig_atomic_t caught;

static void note_signal(int sig)
{
    caught = sig;
}

void hh_platform_catch_interrupts(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = note_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;   /* no SA_RESTART: the blocked read returns */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int hh_platform_interrupted(void)
{
    return caught;
}
