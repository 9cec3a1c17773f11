/* tests/unit/test_html.c — collector/html.c: text can never become markup, and
 * the charts stay well formed whatever the data (none, zeros, too many points,
 * labels that are markup), with the scale's top where a reader expects it. */
#include "helpers.h"

#include "collector/html.h"

static int count(const char *hay, const char *needle)
{
    int n = 0;

    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void text_is_escaped(void **state)
{
    hh_buf b;
    (void)state;
    hh_buf_init(&b, 1024);
    assert_int_equal(hh_html_text(&b, "<script>alert('x')</script> & \"q\" 李建国"), HH_OK);
    assert_string_equal(hh_buf_str(&b), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot; 李建国");
    hh_buf_reset(&b);
    assert_int_equal(hh_html_text(&b, ""), HH_OK);
    assert_int_equal(b.len, 0);
    hh_buf_free(&b);
    /* Over the cap: HH_ERANGE, never a cut inside an entity. */
    hh_buf_init(&b, 8);
    assert_int_equal(hh_html_text(&b, "abc<<<<"), HH_ERANGE);
    for (const char *amp = strchr(hh_buf_str(&b), '&'); amp; amp = strchr(amp + 1, '&'))
        assert_int_equal(strncmp(amp, "&lt;", 4), 0);
    hh_buf_free(&b);
}

static void bars_well_formed(void **state)
{
    static const char *const labels[] = { "<b>村</b>", "511823101202", "z" };
    static const int64_t values[] = { 3, 0, 7, 1, 0, 0 };
    hh_chart c = { "tiers", 2, { "红", "绿" }, { "#c62828", "#2e7d32" }, 3, labels, values };
    hh_buf b;
    (void)state;
    hh_buf_init(&b, 1 << 20);
    assert_int_equal(hh_html_bars(&b, &c), HH_OK);
    assert_int_equal(count(hh_buf_str(&b), "<svg"), 1);
    assert_int_equal(count(hh_buf_str(&b), "</svg>"), 1);
    assert_null(strstr(hh_buf_str(&b), "<b>"));
    assert_non_null(strstr(hh_buf_str(&b), "&lt;b&gt;村&lt;/b&gt;"));
    /* One rectangle per non-zero value, plus the legend's two swatches. */
    assert_int_equal(count(hh_buf_str(&b), "<rect"), 3 + 2);
    /* No data: still a whole chart. */
    hh_buf_reset(&b);
    c.n = 0;
    assert_int_equal(hh_html_bars(&b, &c), HH_OK);
    assert_int_equal(count(hh_buf_str(&b), "</svg>"), 1);
    hh_buf_free(&b);
}

static void lines_scale_and_bounds(void **state)
{
    static const char *labels[HH_CHART_POINTS_MAX + 10];
    static int64_t values[HH_CHART_POINTS_MAX + 10];
    hh_chart c = { "income", 1, { "人均" }, { "#1565c0" }, 3, labels, values };
    hh_buf b;
    (void)state;
    for (int i = 0; i < HH_CHART_POINTS_MAX + 10; i++) {
        labels[i] = "2026-11";
        values[i] = i == 1 ? 7 : 0;
    }
    hh_buf_init(&b, 1 << 20);
    assert_int_equal(hh_html_lines(&b, &c), HH_OK);
    /* 7 at most: the axis runs to 10, marked at 0, 5 and 10. */
    assert_non_null(strstr(hh_buf_str(&b), ">10</text>"));
    assert_non_null(strstr(hh_buf_str(&b), ">5</text>"));
    assert_int_equal(count(hh_buf_str(&b), "<circle"), 3);
    /* At most 1: the axis runs to 2, so its middle mark is a whole 1, not 0 twice. */
    hh_buf_reset(&b);
    for (int i = 0; i < 3; i++)
        values[i] = i == 2;
    assert_int_equal(hh_html_lines(&b, &c), HH_OK);
    assert_non_null(strstr(hh_buf_str(&b), ">2</text>"));
    assert_non_null(strstr(hh_buf_str(&b), ">1</text>"));
    assert_int_equal(count(hh_buf_str(&b), ">0</text>"), 1);
    /* More points than a chart takes: the first HH_CHART_POINTS_MAX are drawn. */
    hh_buf_reset(&b);
    c.n = HH_CHART_POINTS_MAX + 10;
    assert_int_equal(hh_html_lines(&b, &c), HH_OK);
    assert_int_equal(count(hh_buf_str(&b), "<circle"), HH_CHART_POINTS_MAX);
    /* A buffer too small: HH_ERANGE, not a crash. */
    hh_buf_free(&b);
    hh_buf_init(&b, 100);
    assert_int_equal(hh_html_lines(&b, &c), HH_ERANGE);
    hh_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_is_escaped),
        cmocka_unit_test(bars_well_formed),
        cmocka_unit_test(lines_scale_and_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
