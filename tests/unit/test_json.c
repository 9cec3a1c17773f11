/* tests/unit/test_json.c — model/json.c: what a strict reader accepts and
 * refuses, and its bounds. */
#include "helpers.h"

#include "model/json.h"

static hh_err parse(const char *text, hh_json_doc *doc, hh_diag *d)
{
    hh_diag_clear(d);
    return hh_json_parse(text, strlen(text), doc, d);
}

static void accepts(void **state)
{
    hh_json_doc doc;
    hh_diag d;
    int64_t n;
    const hh_json *v;
    (void)state;
    assert_int_equal(parse(" {\"a\": [1, -2, 3.5e2, true, false, null], \"b\": {\"c\": \"x\\u00e9\\ud83d\\ude00\\n\"}} ",
                           &doc, &d), HH_OK);
    v = hh_json_get(doc.root, "a");
    assert_non_null(v);
    assert_int_equal(v->count, 6);
    assert_int_equal(hh_json_integer(v->child, 0, 10, &n), HH_OK);
    assert_int_equal(n, 1);
    assert_int_equal(hh_json_integer(v->child->next, -10, 10, &n), HH_OK);
    assert_int_equal(n, -2);
    assert_int_equal(hh_json_integer(v->child->next->next, 0, 1000, &n), HH_EINVAL);
    assert_string_equal(hh_json_get(hh_json_get(doc.root, "b"), "c")->text, "x\xc3\xa9\xf0\x9f\x98\x80\n");
    hh_json_doc_free(&doc);
    hh_json_doc_free(&doc);   /* harmless twice */
}

static void refuses(void **state)
{
    static const char *const bad[] = {
        "{\"a\": 1, \"a\": 2}",          /* duplicate key */
        "{\"a\": 01}",                   /* leading zero */
        "{\"a\": 1} x",                  /* trailing text */
        "{\"a\": \"\x01\"}",             /* control character */
        "{\"a\": \"\xff\"}",             /* invalid UTF-8 */
        "{\"a\": \"\xe4\xb8\"}",         /* cut UTF-8 */
        "{\"a\": \"\\ud83d\"}",          /* lone high surrogate */
        "{\"a\": \"\\ude00\"}",          /* lone low surrogate */
        "{\"a\": \"\\x\"}",              /* unknown escape */
        "{\"a\": tru}",                  /* bad literal */
        "{\"a\": 1,}",                   /* trailing comma */
        "{a: 1}",                        /* unquoted key */
        "[1, 2",                         /* unterminated */
        "\"abc",                         /* unterminated string */
        "",                              /* nothing */
        "{\"a\": -}",                    /* bad number */
        "{\"a\": 1.}",                   /* bad fraction */
        "{\"a\": 1e}",                   /* bad exponent */
    };
    hh_json_doc doc;
    hh_diag d;
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (parse(bad[i], &doc, &d) != HH_EPARSE)
            fail_msg("accepted bad JSON #%zu: %s", i, bad[i]);
        assert_null(doc.root);
        assert_non_null(strstr(d.message, "at byte"));
    }
}

static void bounds(void **state)
{
    char deep[HH_JSON_DEPTH_MAX * 2 + 8], *many;
    hh_json_doc doc;
    hh_diag d;
    int64_t n;
    size_t pos = 0;
    (void)state;
    for (int i = 0; i < HH_JSON_DEPTH_MAX + 1; i++)
        deep[pos++] = '[';
    for (int i = 0; i < HH_JSON_DEPTH_MAX + 1; i++)
        deep[pos++] = ']';
    deep[pos] = '\0';
    assert_int_equal(parse(deep, &doc, &d), HH_EPARSE);
    assert_non_null(strstr(d.message, "deep"));
    /* More values than the node budget. */
    many = malloc(HH_JSON_NODES_MAX * 2 + 8);
    assert_non_null(many);
    pos = 0;
    many[pos++] = '[';
    for (int i = 0; i < HH_JSON_NODES_MAX; i++) {
        many[pos++] = '1';
        many[pos++] = ',';
    }
    many[pos - 1] = ']';
    many[pos] = '\0';
    assert_int_equal(parse(many, &doc, &d), HH_EPARSE);
    assert_non_null(strstr(d.message, "too many"));
    free(many);
    /* Oversized input is refused before reading it. */
    assert_int_equal(hh_json_parse("{}", HH_JSON_TEXT_MAX + 1, &doc, &d), HH_ERANGE);
    /* Integers past int64 and past the caller's bound. */
    assert_int_equal(parse("[99999999999999999999, 7]", &doc, &d), HH_OK);
    assert_int_equal(hh_json_integer(doc.root->child, 0, INT64_MAX, &n), HH_ERANGE);
    assert_int_equal(hh_json_integer(doc.root->child->next, 0, 5, &n), HH_ERANGE);
    hh_json_doc_free(&doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts),
        cmocka_unit_test(refuses),
        cmocka_unit_test(bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
