/* tests/fuzz/fuzz.c — what the libFuzzer targets share (see fuzz.h). */
#define _GNU_SOURCE
#include "fuzz.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256];
static char path[512];
static char *text;

static int remove_one(const char *p, const struct stat *st, int kind, struct FTW *ftw)
{
    (void)st, (void)kind, (void)ftw;
    return remove(p);
}

static void remove_dir(void)
{
    if (dir[0])
        nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    free(text);
    text = NULL;
}

const char *hh_fuzz_dir(void)
{
    const char *base = getenv("TMPDIR");

    if (dir[0])
        return dir;
    if (!base || !base[0])
        base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/hearth-fuzz.XXXXXX", base);
    if (!mkdtemp(dir)) {
        dir[0] = '\0';
        hh_fuzz_setup_failed("cannot make a private directory");
    }
    atexit(remove_dir);
    return dir;
}

const char *hh_fuzz_path(const char *name)
{
    snprintf(path, sizeof path, "%s/%s", hh_fuzz_dir(), name);
    return path;
}

void hh_fuzz_setup_failed(const char *what)
{
    fprintf(stderr, "fuzz: setup failed: %s\n", what);
    exit(2);
}

void hh_fuzz_check_failed(const char *cond, const char *file, int line)
{
    fprintf(stderr, "fuzz: %s:%d: property does not hold: %s\n", file, line, cond);
    abort();
}

const char *hh_fuzz_text(const uint8_t *data, size_t size)
{
    free(text);
    if (!(text = malloc(size + 1)))
        hh_fuzz_setup_failed("out of memory");
    memcpy(text, data, size);
    text[size] = '\0';
    return text;
}
