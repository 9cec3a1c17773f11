/* model/buf.h — a growable byte buffer with a hard cap.
 *
 * Every piece of output Hearth builds in memory (JSON lines, CSV rows, encoded
 * messages) goes into an hh_buf. Each buffer has a maximum set at init; going
 * over it is HH_ERANGE and the buffer keeps what it had, so no producer can grow
 * without bound. Contents are always NUL-terminated. */
#ifndef HH_BUF_H
#define HH_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "../platform/err.h"

typedef struct hh_buf {
    char *data;      /* NULL until the first append */
    size_t len;
    size_t cap;
    size_t max;      /* hard cap on len */
} hh_buf;

/* Start an empty buffer that may hold up to max bytes. Cannot fail. */
void hh_buf_init(hh_buf *b, size_t max);

/* Append len bytes. HH_ERANGE past the cap, HH_ENOMEM if allocation fails. */
hh_err hh_buf_append(hh_buf *b, const void *data, size_t len);

/* Grow the contents by len bytes and point *where at them, for a producer that
 * writes in place (their content is unspecified until written). */
hh_err hh_buf_extend(hh_buf *b, size_t len, void **where);

/* Append a NUL-terminated string. */
hh_err hh_buf_puts(hh_buf *b, const char *s);

/* Append printf-style text. */
hh_err hh_buf_printf(hh_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
hh_err hh_buf_vprintf(hh_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Append s as a JSON string literal, quotes included. */
hh_err hh_buf_json_string(hh_buf *b, const char *s);

/* Empty the buffer, keeping its memory. */
void hh_buf_reset(hh_buf *b);

/* Release the memory; b is empty afterwards. Harmless on an empty buffer. */
void hh_buf_free(hh_buf *b);

/* Overwrite the contents with zeros (for keys and other secrets), then free. */
void hh_buf_free_secret(hh_buf *b);

/* The contents (never NULL: "" when empty). Borrowed until the next append. */
const char *hh_buf_str(const hh_buf *b);

/* Bytes as text: the n bytes at in as 2n lower-case hex digits and a NUL in
 * out (room for 2n + 1). */
void hh_hex_encode(const void *in, size_t n, char *out);

/* The 2n lower-case hex digits at hex as the n bytes at out: HH_EINVAL when
 * one of them is not such a digit (out then unspecified). What follows them
 * is the caller's to check. */
hh_err hh_hex_decode(const char *hex, void *out, size_t n);

#endif
