/* model/kv.h — "key = value" text files (the rulebook, the collector's config).
 *
 * One setting per line; blank lines and lines starting with '#' are skipped;
 * keys and values are trimmed. The reader enforces the shape and the bounds
 * (text size, line length, no NUL); what the keys mean is the caller's. */
#ifndef HH_KV_H
#define HH_KV_H

#include <stddef.h>

#include "diag.h"

#define HH_KV_LINE_MAX 256

/* Called for each setting; `where` is "line N" for messages. A non-OK return
 * stops the reading and is returned. */
typedef hh_err (*hh_kv_fn)(void *ctx, const char *key, const char *value, int line_no,
                           const char *where, hh_diag *d);

/* Read len bytes of text (at most max_bytes). */
hh_err hh_kv_parse(const char *text, size_t len, size_t max_bytes, hh_kv_fn fn, void *ctx,
                   hh_diag *d);

#endif
