/* collector/html.h — writing the console's HTML and SVG.
 *
 * Every piece of text that reaches a page goes through hh_html_text, wherever
 * it came from (a household's name is as untrusted as a form field): & < > "
 * and ' are escaped, so text can never become markup, in an element or in a
 * quoted attribute. Charts are SVG drawn here, on the server: a page needs no
 * script and fetches nothing from anywhere. Each function appends to b and
 * returns HH_ERANGE when b is full (what was written stays). */
#ifndef HH_HTML_H
#define HH_HTML_H

#include <stdint.h>

#include "model/buf.h"

/* Text, escaped for an element or a quoted attribute. */
hh_err hh_html_text(hh_buf *b, const char *s);

#define HH_CHART_SERIES_MAX 4
#define HH_CHART_POINTS_MAX 64

/* A chart's data: n_series series of n values each, values[s * n + i] is
 * series s at label i (bars: one bar per label, the series stacked; lines:
 * one line per series over the labels, in order). */
typedef struct hh_chart {
    const char *title;                           /* read by screen readers */
    int n_series;
    const char *series[HH_CHART_SERIES_MAX];     /* names, for the legend */
    const char *colours[HH_CHART_SERIES_MAX];    /* "#c0392b" */
    int n;                                       /* at most HH_CHART_POINTS_MAX */
    const char *const *labels;
    const int64_t *values;                       /* each >= 0 */
} hh_chart;

/* Stacked horizontal bars, one row per label, with a legend and the counts. */
hh_err hh_html_bars(hh_buf *b, const hh_chart *c);

/* Lines over the labels (months, visits), with a legend, a y axis from 0 and
 * each point's value on hover. */
hh_err hh_html_lines(hh_buf *b, const hh_chart *c);

#endif
