/* collector/html.c — the console's HTML and SVG (see html.h). */
#include "html.h"

#include <string.h>

hh_err hh_html_text(hh_buf *b, const char *s)
{
    const char *run = s;
    hh_err ret = HH_OK;

    for (; *s && ret == HH_OK; s++) {
        const char *esc = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;"
                        : *s == '"' ? "&quot;" : *s == '\'' ? "&#39;" : NULL;
        if (!esc)
            continue;
        if ((ret = hh_buf_append(b, run, (size_t)(s - run))) == HH_OK)
            ret = hh_buf_puts(b, esc);
        run = s + 1;
    }
    return ret == HH_OK ? hh_buf_append(b, run, (size_t)(s - run)) : ret;
}

/* ---- charts -------------------------------------------------------------------------- */

#define CHART_W     640
#define LABEL_W     170
#define ROW_H       26
#define LEGEND_H    28
#define LINE_H      220
#define LINE_LEFT   56
#define LINE_BOTTOM 40

static int64_t value(const hh_chart *c, int s, int i)
{
    int64_t v = c->values[s * c->n + i];

    return v > 0 ? v : 0;
}

/* A scale's top: the smallest 1, 2 or 5 times a power of ten at or above max. */
static int64_t nice_top(int64_t max)
{
    int64_t step = 1;

    while (step <= max / 10)
        step *= 10;
    for (;;) {
        if (step >= max)
            return step;
        if (2 * step >= max)
            return 2 * step;
        if (5 * step >= max)
            return 5 * step;
        step *= 10;
    }
}

static hh_err open_svg(hh_buf *b, const hh_chart *c, int height)
{
    hh_err ret = hh_buf_printf(b, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
                               "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", CHART_W, height);

    if (ret == HH_OK)
        ret = hh_html_text(b, c->title);
    if (ret == HH_OK)
        ret = hh_buf_puts(b, "\"><title>");
    if (ret == HH_OK)
        ret = hh_html_text(b, c->title);
    if (ret == HH_OK)
        ret = hh_buf_puts(b, "</title>");
    /* The legend: a swatch and a name per series. */
    for (int s = 0; s < c->n_series && ret == HH_OK; s++) {
        int x = 8 + s * 120;
        ret = hh_buf_printf(b, "<rect x=\"%d\" y=\"6\" width=\"14\" height=\"14\" fill=\"%s\"/>"
                            "<text x=\"%d\" y=\"18\" font-size=\"13\">", x, c->colours[s], x + 20);
        if (ret == HH_OK)
            ret = hh_html_text(b, c->series[s]);
        if (ret == HH_OK)
            ret = hh_buf_puts(b, "</text>");
    }
    return ret;
}

hh_err hh_html_bars(hh_buf *b, const hh_chart *c)
{
    int64_t max = 1;
    int n = c->n < HH_CHART_POINTS_MAX ? c->n : HH_CHART_POINTS_MAX;
    int height = LEGEND_H + (n ? n : 1) * ROW_H + 8;
    hh_err ret;

    for (int i = 0; i < n; i++) {
        int64_t total = 0;
        for (int s = 0; s < c->n_series; s++)
            total += value(c, s, i);
        if (total > max)
            max = total;
    }
    max = nice_top(max);
    ret = open_svg(b, c, height);
    for (int i = 0; i < n && ret == HH_OK; i++) {
        int y = LEGEND_H + i * ROW_H, x = LABEL_W;
        ret = hh_buf_printf(b, "<text x=\"%d\" y=\"%d\" font-size=\"13\" text-anchor=\"end\">",
                            LABEL_W - 6, y + 17);
        if (ret == HH_OK)
            ret = hh_html_text(b, c->labels[i]);
        if (ret == HH_OK)
            ret = hh_buf_puts(b, "</text>");
        for (int s = 0; s < c->n_series && ret == HH_OK; s++) {
            int64_t v = value(c, s, i);
            int w = (int)(v * (CHART_W - LABEL_W - 10) / max);
            if (v == 0)
                continue;
            if (w < 2)
                w = 2;
            ret = hh_buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\">"
                                "<title>", x, y + 3, w, ROW_H - 6, c->colours[s]);
            if (ret == HH_OK)
                ret = hh_html_text(b, c->series[s]);
            if (ret == HH_OK)
                ret = hh_buf_printf(b, " %lld</title></rect>", (long long)v);
            if (ret == HH_OK && w >= 22)
                ret = hh_buf_printf(b, "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#fff\" "
                                    "text-anchor=\"middle\">%lld</text>", x + w / 2, y + 17,
                                    (long long)v);
            x += w;
        }
    }
    return ret == HH_OK ? hh_buf_puts(b, "</svg>") : ret;
}

static int point_x(int i, int n, int plot_w)
{
    return LINE_LEFT + (n > 1 ? i * plot_w / (n - 1) : plot_w / 2);
}

static int point_y(int64_t v, int64_t max, int plot_h)
{
    return LEGEND_H + plot_h - (int)(v * plot_h / max);
}

hh_err hh_html_lines(hh_buf *b, const hh_chart *c)
{
    int64_t max = 1;
    int n = c->n < HH_CHART_POINTS_MAX ? c->n : HH_CHART_POINTS_MAX;
    int plot_w = CHART_W - LINE_LEFT - 44, plot_h = LINE_H - LEGEND_H - LINE_BOTTOM;
    int height = LINE_H;
    hh_err ret;

    for (int s = 0; s < c->n_series; s++)
        for (int i = 0; i < n; i++)
            if (value(c, s, i) > max)
                max = value(c, s, i);
    max = nice_top(max < 2 ? 2 : max);   /* the axis marks 0, the middle and the top: whole numbers */
    ret = open_svg(b, c, height);
    /* Axes, with 0, the middle and the top marked. */
    for (int k = 0; k <= 2 && ret == HH_OK; k++) {
        int y = LEGEND_H + plot_h - k * plot_h / 2;
        ret = hh_buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ccc\"/>"
                            "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\">%lld</text>",
                            LINE_LEFT, y, LINE_LEFT + plot_w, y, LINE_LEFT - 6, y + 4,
                            (long long)(max * k / 2));
    }
    for (int i = 0; i < n && ret == HH_OK; i++) {
        int x = point_x(i, n, plot_w);
        /* Every label when they fit, else every few. */
        if (n > 12 && i % ((n + 11) / 12) != 0 && i != n - 1)
            continue;
        ret = hh_buf_printf(b, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">",
                            x, LEGEND_H + plot_h + 18);
        if (ret == HH_OK)
            ret = hh_html_text(b, c->labels[i]);
        if (ret == HH_OK)
            ret = hh_buf_puts(b, "</text>");
    }
    for (int s = 0; s < c->n_series && ret == HH_OK; s++) {
        ret = hh_buf_printf(b, "<polyline fill=\"none\" stroke-width=\"2.5\" stroke=\"%s\" points=\"",
                            c->colours[s]);
        for (int i = 0; i < n && ret == HH_OK; i++)
            ret = hh_buf_printf(b, "%s%d,%d", i ? " " : "", point_x(i, n, plot_w),
                                point_y(value(c, s, i), max, plot_h));
        if (ret == HH_OK)
            ret = hh_buf_puts(b, "\"/>");
        for (int i = 0; i < n && ret == HH_OK; i++) {
            ret = hh_buf_printf(b, "<circle cx=\"%d\" cy=\"%d\" r=\"3.5\" fill=\"%s\"><title>",
                                point_x(i, n, plot_w), point_y(value(c, s, i), max, plot_h),
                                c->colours[s]);
            if (ret == HH_OK)
                ret = hh_html_text(b, c->labels[i]);
            if (ret == HH_OK)
                ret = hh_buf_printf(b, " %lld</title></circle>", (long long)value(c, s, i));
        }
    }
    return ret == HH_OK ? hh_buf_puts(b, "</svg>") : ret;
}
