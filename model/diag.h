/* model/diag.h — what exactly was wrong with an input.
 *
 * Validators and parsers return an hh_err and, when given an hh_diag, fill it with
 * the offending field's path ("members[2].id_number") and a sentence a village
 * officer can act on. No personal data goes into a message: a bad ID number is
 * described, never repeated. */
#ifndef HH_DIAG_H
#define HH_DIAG_H

#include <stddef.h>

#include "../platform/err.h"

typedef struct hh_diag {
    char field[96];
    char message[224];
} hh_diag;

/* The translation of a message's format, set once by a program that shows
 * messages in the reader's language (sync/i18n.c); NULL: as written. The
 * formats are marked for the catalogue by their place in hh_diag_fail. */
extern const char *(*hh_diag_translate)(const char *fmt);

/* Record field and a printf-style message into d (d may be NULL); returns err so
 * a caller can write `return hh_diag_fail(d, HH_EINVAL, "x", "...")`. */
hh_err hh_diag_fail(hh_diag *d, hh_err err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Put `prefix` (e.g. "household.") in front of d's field path. */
void hh_diag_prefix(hh_diag *d, const char *prefix);

/* Clear d. */
void hh_diag_clear(hh_diag *d);

#endif
