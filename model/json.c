/* model/json.c — the strict bounded JSON reader (see json.h).
 *
 * Recursive descent over the input, building nodes in a preallocated arena: node
 * slots for HH_JSON_NODES_MAX values and a character area of twice the input
 * size, which always suffices because a decoded string or copied literal is never
 * longer than its source, plus one NUL per value. */
#include "json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

typedef struct parser {
    const char *p, *start, *end;
    hh_json *nodes;
    size_t node_count;
    char *chars;
    size_t chars_used, chars_cap;
    hh_diag *d;
} parser;

static hh_err fail(parser *ps, const char *what)
{
    return hh_diag_fail(ps->d, HH_EPARSE, "json", "%s at byte %zu", what,
                        (size_t)(ps->p - ps->start) + 1);
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static hh_json *new_node(parser *ps, hh_json_type type)
{
    hh_json *n;

    if (ps->node_count >= HH_JSON_NODES_MAX)
        return NULL;
    n = &ps->nodes[ps->node_count++];
    memset(n, 0, sizeof *n);
    n->type = type;
    return n;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;

    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Parse a string literal at ps->p (on the quote) into the char arena. */
static hh_err parse_string(parser *ps, const char **out, size_t *out_len)
{
    char *dst = ps->chars + ps->chars_used;
    size_t n = 0;

    ps->p++;   /* opening quote */
    for (;;) {
        unsigned char c;
        if (ps->p >= ps->end)
            return fail(ps, "unterminated string");
        c = (unsigned char)*ps->p;
        if (c == '"') {
            ps->p++;
            break;
        }
        if (c < 0x20)
            return fail(ps, "control character in string (escape it)");
        if (c == '\\') {
            unsigned cp, lo;
            if (ps->end - ps->p < 2)
                return fail(ps, "unterminated escape");
            switch (ps->p[1]) {
            case '"':  dst[n++] = '"'; ps->p += 2; continue;
            case '\\': dst[n++] = '\\'; ps->p += 2; continue;
            case '/':  dst[n++] = '/'; ps->p += 2; continue;
            case 'b':  dst[n++] = '\b'; ps->p += 2; continue;
            case 'f':  dst[n++] = '\f'; ps->p += 2; continue;
            case 'n':  dst[n++] = '\n'; ps->p += 2; continue;
            case 'r':  dst[n++] = '\r'; ps->p += 2; continue;
            case 't':  dst[n++] = '\t'; ps->p += 2; continue;
            case 'u':  break;
            default:   return fail(ps, "unknown escape in string");
            }
            if (ps->end - ps->p < 6 || !hex4(ps->p + 2, &cp))
                return fail(ps, "bad \\u escape");
            ps->p += 6;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return fail(ps, "lone low surrogate in \\u escape");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
                    !hex4(ps->p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                    return fail(ps, "high surrogate without its low half");
                ps->p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            n += put_utf8(dst + n, cp);
            continue;
        }
        if (c < 0x80) {
            dst[n++] = (char)c;
            ps->p++;
        } else {
            /* Copy one whole UTF-8 sequence after checking it; the input is not
             * NUL-terminated, so check the room first. */
            unsigned char seq[5] = { 0 };
            size_t avail = (size_t)(ps->end - ps->p), len;
            memcpy(seq, ps->p, avail < 4 ? avail : 4);
            len = hh_utf8_sequence(seq);
            if (len == 0 || len > avail)
                return fail(ps, "invalid UTF-8 in string");
            memcpy(dst + n, ps->p, len);
            n += len;
            ps->p += len;
        }
    }
    dst[n] = '\0';
    *out = dst;
    *out_len = n;
    ps->chars_used += n + 1;
    return HH_OK;
}

static hh_err parse_number(parser *ps, hh_json *node)
{
    const char *s = ps->p;
    char *dst;
    size_t len;

    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
        return fail(ps, "bad number");
    if (*ps->p == '0') {
        ps->p++;
        if (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            return fail(ps, "leading zero in number");
    } else {
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            return fail(ps, "digit expected after decimal point");
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            return fail(ps, "digit expected in exponent");
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    len = (size_t)(ps->p - s);
    dst = ps->chars + ps->chars_used;
    memcpy(dst, s, len);
    dst[len] = '\0';
    ps->chars_used += len + 1;
    node->text = dst;
    node->text_len = len;
    return HH_OK;
}

static int literal(parser *ps, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return 0;
    ps->p += n;
    return 1;
}

static hh_err parse_value(parser *ps, int depth, hh_json **out);

static hh_err parse_container(parser *ps, int depth, hh_json *node)
{
    int is_object = node->type == HH_JSON_OBJECT;
    char close = is_object ? '}' : ']';
    hh_json **tail = &node->child;
    hh_err ret;

    if (depth >= HH_JSON_DEPTH_MAX)
        return fail(ps, "nesting too deep");
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return HH_OK;
    }
    for (;;) {
        const char *key = NULL;
        size_t key_len = 0;
        hh_json *child;

        skip_ws(ps);
        if (is_object) {
            if (ps->p >= ps->end || *ps->p != '"')
                return fail(ps, "object key expected");
            if ((ret = parse_string(ps, &key, &key_len)) != HH_OK)
                return ret;
            if (strlen(key) != key_len)
                return fail(ps, "NUL in object key");
            for (hh_json *c = node->child; c; c = c->next)
                if (strcmp(c->key, key) == 0)
                    return fail(ps, "duplicate key");
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':')
                return fail(ps, "':' expected after key");
            ps->p++;
        }
        if ((ret = parse_value(ps, depth + 1, &child)) != HH_OK)
            return ret;
        child->key = key;
        *tail = child;
        tail = &child->next;
        node->count++;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            return HH_OK;
        }
        return fail(ps, is_object ? "',' or '}' expected" : "',' or ']' expected");
    }
}

static hh_err parse_value(parser *ps, int depth, hh_json **out)
{
    hh_json *node;
    char c;

    skip_ws(ps);
    if (ps->p >= ps->end)
        return fail(ps, "value expected");
    c = *ps->p;
    node = new_node(ps, c == '{' ? HH_JSON_OBJECT : c == '[' ? HH_JSON_ARRAY :
                        c == '"' ? HH_JSON_STRING : c == 't' || c == 'f' ? HH_JSON_BOOL :
                        c == 'n' ? HH_JSON_NULL : HH_JSON_NUMBER);
    if (!node)
        return fail(ps, "too many values");
    *out = node;
    switch (node->type) {
    case HH_JSON_OBJECT:
    case HH_JSON_ARRAY:
        return parse_container(ps, depth, node);
    case HH_JSON_STRING:
        return parse_string(ps, &node->text, &node->text_len);
    case HH_JSON_BOOL:
        if (literal(ps, "true"))
            node->boolean = 1;
        else if (!literal(ps, "false"))
            return fail(ps, "unknown literal");
        return HH_OK;
    case HH_JSON_NULL:
        return literal(ps, "null") ? HH_OK : fail(ps, "unknown literal");
    case HH_JSON_NUMBER:
        return parse_number(ps, node);
    }
    return fail(ps, "unexpected character");
}

hh_err hh_json_parse(const char *text, size_t len, hh_json_doc *doc, hh_diag *d)
{
    hh_err ret = HH_ENOMEM;
    parser ps;
    size_t nodes_bytes = HH_JSON_NODES_MAX * sizeof(hh_json);
    char *arena = NULL;

    doc->root = NULL;
    doc->arena = NULL;
    if (len > HH_JSON_TEXT_MAX)
        return hh_diag_fail(d, HH_ERANGE, "json", "is %zu bytes, more than %d", len,
                            HH_JSON_TEXT_MAX);
    memset(&ps, 0, sizeof ps);
    ps.chars_cap = 2 * len + 2;
    arena = malloc(nodes_bytes + ps.chars_cap);
    if (!arena)
        goto cleanup;
    ps.nodes = (hh_json *)arena;
    ps.chars = arena + nodes_bytes;
    ps.p = ps.start = text;
    ps.end = text + len;
    ps.d = d;
    if ((ret = parse_value(&ps, 0, &doc->root)) != HH_OK)
        goto cleanup;
    skip_ws(&ps);
    if (ps.p != ps.end) {
        ret = fail(&ps, "unexpected text after the value");
        goto cleanup;
    }
    doc->arena = arena;
    arena = NULL;
    ret = HH_OK;
cleanup:
    if (ret != HH_OK)
        doc->root = NULL;
    free(arena);
    return ret;
}

void hh_json_doc_free(hh_json_doc *doc)
{
    free(doc->arena);
    doc->arena = NULL;
    doc->root = NULL;
}

const hh_json *hh_json_get(const hh_json *obj, const char *key)
{
    if (!obj || obj->type != HH_JSON_OBJECT)
        return NULL;
    for (const hh_json *c = obj->child; c; c = c->next)
        if (strcmp(c->key, key) == 0)
            return c;
    return NULL;
}

const char *hh_json_type_name(hh_json_type type)
{
    switch (type) {
    case HH_JSON_NULL:   return "null";
    case HH_JSON_BOOL:   return "a boolean";
    case HH_JSON_NUMBER: return "a number";
    case HH_JSON_STRING: return "a string";
    case HH_JSON_ARRAY:  return "an array";
    case HH_JSON_OBJECT: return "an object";
    }
    return "a value";
}

hh_err hh_json_integer(const hh_json *v, int64_t min, int64_t max, int64_t *out)
{
    const char *s;
    int neg = 0;
    int64_t n = 0;

    if (!v || v->type != HH_JSON_NUMBER)
        return HH_EINVAL;
    s = v->text;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return HH_EINVAL;              /* fraction or exponent */
        if (n > (INT64_MAX - 9) / 10)
            return HH_ERANGE;
        n = n * 10 + (*s - '0');
    }
    if (neg)
        n = -n;
    if (n < min || n > max)
        return HH_ERANGE;
    *out = n;
    return HH_OK;
}

hh_err hh_json_double(const hh_json *v, double *out)
{
    char *end;
    double x;

    if (!v || v->type != HH_JSON_NUMBER)
        return HH_EINVAL;
    errno = 0;
    x = strtod(v->text, &end);
    if (*end != '\0' || errno == ERANGE)
        return HH_ERANGE;
    *out = x;
    return HH_OK;
}
