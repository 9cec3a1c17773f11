/* model/json.h — a strict, bounded JSON reader.
 *
 * Reads one JSON text (RFC 8259) into a tree held in one allocation. Strict where
 * leniency would hide data errors: duplicate keys, invalid UTF-8, lone
 * surrogates, control characters in strings, leading zeros and trailing garbage
 * are all refused, with the byte offset in the message. Bounded: input size,
 * nesting depth and node count have hard maxima. */
#ifndef HH_JSON_H
#define HH_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define HH_JSON_TEXT_MAX  (256 * 1024)   /* bytes of one document */
#define HH_JSON_DEPTH_MAX 16
#define HH_JSON_NODES_MAX 4096

typedef enum hh_json_type {
    HH_JSON_NULL, HH_JSON_BOOL, HH_JSON_NUMBER, HH_JSON_STRING, HH_JSON_ARRAY,
    HH_JSON_OBJECT
} hh_json_type;

typedef struct hh_json hh_json;
struct hh_json {
    hh_json_type type;
    const char *key;          /* the member name inside an object, else NULL */
    const char *text;         /* STRING: the decoded value; NUMBER: its literal */
    size_t text_len;          /* bytes of text (a string may contain "\u0000") */
    int boolean;              /* BOOL */
    hh_json *child;           /* ARRAY / OBJECT: first element */
    size_t count;             /* ARRAY / OBJECT: number of elements */
    hh_json *next;            /* next sibling */
};

typedef struct hh_json_doc {
    hh_json *root;
    void *arena;
} hh_json_doc;

/* Parse len bytes of text. On HH_OK the caller owns doc and releases it with
 * hh_json_doc_free. On error, d->message names the byte offset and the problem
 * and doc holds nothing. */
hh_err hh_json_parse(const char *text, size_t len, hh_json_doc *doc, hh_diag *d);

/* Release a document (harmless on a zeroed or freed one). */
void hh_json_doc_free(hh_json_doc *doc);

/* The member `key` of object obj, or NULL. */
const hh_json *hh_json_get(const hh_json *obj, const char *key);

/* The name of a type, for messages ("a string"). */
const char *hh_json_type_name(hh_json_type type);

/* A NUMBER that is a whole number in [min, max] (no fraction or exponent). */
hh_err hh_json_integer(const hh_json *v, int64_t min, int64_t max, int64_t *out);

/* A NUMBER as a double. */
hh_err hh_json_double(const hh_json *v, double *out);

#endif
