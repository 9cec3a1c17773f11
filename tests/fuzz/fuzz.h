/* tests/fuzz/fuzz.h — what the libFuzzer targets share.
 *
 * Each target is one file, fuzz_NAME.c, with LLVMFuzzerTestOneInput: the
 * bytes go through the same function the program runs on what it receives,
 * and a property that must hold is checked with HH_FUZZ_CHECK (a failure
 * aborts, so libFuzzer keeps the input as a crash). Targets that need files
 * (a database, a CA) make them once, in a private directory under /dev/shm
 * (or $TMPDIR) that is removed at exit. */
#ifndef HH_FUZZ_H
#define HH_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The target's private directory (made on the first call); a file in it. */
const char *hh_fuzz_dir(void);
const char *hh_fuzz_path(const char *name);

/* Stop the run with a message: a setup that cannot be done. */
void hh_fuzz_setup_failed(const char *what);

/* A property that must hold for every input. */
#define HH_FUZZ_CHECK(cond) \
    ((cond) ? (void)0 : hh_fuzz_check_failed(#cond, __FILE__, __LINE__))
void hh_fuzz_check_failed(const char *cond, const char *file, int line);

/* data[0..size) as a NUL-terminated copy (freed by the next call). */
const char *hh_fuzz_text(const uint8_t *data, size_t size);

#endif
