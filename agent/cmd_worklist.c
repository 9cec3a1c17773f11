/* agent/cmd_worklist.c — `hearth worklist`: the officer's day.
 *
 * Every household of the device's villages, visited or not: its head, tier,
 * the reasons as sentences, the review state and open measures the collector
 * sent, and when the next visit is due — the last visit plus the rulebook's
 * days for its tier (visit.red_days …). A household never visited is due now
 * and sorts with the red ones: nothing is known of it. Sorted by tier, then by
 * days overdue, most first. */
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "commands.h"
#include "model/exchange.h"
#include "model/review.h"
#include "model/validate.h"
#include "sync/present.h"
#include "sync/i18n.h"

#define NARROW_COLUMNS 60
#define WORKLIST_MAX 200000         /* households listed at most */

typedef struct work_item {
    hh_work_row row;
    long overdue;                   /* days past the due date; negative: not yet due */
    char due_on[HH_DATE_LEN + 1];   /* "" when never visited */
} work_item;

typedef struct work_list {
    work_item *items;
    size_t n, cap;
    long today;
    const hh_rulebook *rules;
    int due_only;
    hh_err err;
} work_list;

static int rank(const work_item *w)
{
    return w->row.t.v.tier ? (int)w->row.t.v.tier : HH_TIER_RED;
}

static int by_urgency(const void *a, const void *b)
{
    const work_item *x = a, *y = b;
    int c = rank(y) - rank(x);

    if (c)
        return c;
    if (x->overdue != y->overdue)
        return x->overdue < y->overdue ? 1 : -1;
    c = strcmp(x->row.t.v.village_code, y->row.t.v.village_code);
    return c ? c : strcmp(x->row.t.v.registry_no, y->row.t.v.registry_no);
}

static int collect(void *ctx, const hh_work_row *row)
{
    work_list *l = ctx;
    work_item w;

    memset(&w, 0, sizeof w);
    w.row = *row;
    if (row->t.v.tier) {
        long last = hh_date_days(row->t.v.last_visit_on);
        long due = (last == HH_DATE_INVALID ? l->today : last) + l->rules->visit_days[row->t.v.tier];
        hh_date_from_days(due, w.due_on);
        w.overdue = l->today - due;
    }
    if (l->due_only && w.overdue < 0)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        work_item *grown;
        if (cap > WORKLIST_MAX || !(grown = realloc(l->items, cap * sizeof *grown))) {
            l->err = cap > WORKLIST_MAX ? HH_ERANGE : HH_ENOMEM;
            return 1;
        }
        l->items = grown;
        l->cap = cap;
    }
    l->items[l->n++] = w;
    return 0;
}

/* "overdue 5 days", "due today", "due 12-09", "never visited". */
static void when_text(const work_item *w, char *out, size_t cap)
{
    if (!w->row.t.v.tier)
        snprintf(out, cap, "%s", _("never visited"));
    else if (w->overdue > 0)
        snprintf(out, cap, _("overdue %ld d"), w->overdue);
    else if (w->overdue == 0)
        snprintf(out, cap, "%s", _("due today"));
    else
        snprintf(out, cap, _("due %s"), w->due_on + 5);
}

/* "预警待核实 · 2 measures: medical_assistance due 2026-12-10". */
static void review_text(const hh_tier_row *t, char *out, size_t cap)
{
    int used = 0;

    out[0] = '\0';
    if (t->review && t->review != HH_REVIEW_COMPUTED)
        used = snprintf(out, cap, "%s", hh_i18n_enum(&hh_review_state_names, (int)t->review));
    if (t->n_measures && used >= 0 && (size_t)used < cap)
        snprintf(out + used, cap - (size_t)used, _("%s%d open measures, next: %s due %s"),
                 used ? " · " : "", t->n_measures, t->measures[0].measure, t->measures[0].due_on);
}

static void print_item(const work_item *w, const hh_rulebook *rules, int columns)
{
    const hh_tier_view *v = &w->row.t.v;
    char when[48], reasons[1024], review[256], head[HH_NAME_MAX + 1];
    const char *tier = v->tier ? hh_i18n_enum(&hh_tier_names, (int)v->tier) : "-";
    const char *key = v->registry_no[0] ? v->registry_no : v->household_id;
    int indent = columns < NARROW_COLUMNS ? 3 : 8;

    when_text(w, when, sizeof when);
    cli_printable(w->row.head[0] ? w->row.head : "-", head, sizeof head);
    hh_present_reasons(v, rules, hh_i18n_zh() ? "；" : "; ", reasons, sizeof reasons);
    review_text(&w->row.t, review, sizeof review);
    if (columns < NARROW_COLUMNS) {
        hh_print_padded(stdout, tier, 2);
        printf(" %s %s\n%*s%s", key, head, indent, "", when);
        if (v->last_visit_on[0])
            printf(_(" · last %s"), v->last_visit_on);
        putchar('\n');
    } else {
        hh_print_padded(stdout, tier, 7);
        printf(" %-16s  ", key);
        hh_print_padded(stdout, head, 10);
        printf("  %s  %-10s  %s\n", v->village_code, v->last_visit_on[0] ? v->last_visit_on : "-",
               when);
    }
    if (reasons[0]) {
        printf("%*s", indent, "");
        hh_print_wrapped(stdout, reasons, indent, columns);
    }
    if (review[0]) {
        printf("%*s", indent, "");
        hh_print_wrapped(stdout, review, indent, columns);
    }
}

static void print_item_json(const work_item *w)
{
    const hh_tier_view *v = &w->row.t.v;
    char reasons[256];

    hh_reasons_format(v->reasons, "\", \"", reasons, sizeof reasons);
    printf("{\"registry_no\": ");
    cli_json_string(stdout, v->registry_no);
    printf(", \"id\": \"%s\", \"village_code\": \"%s\", \"head\": ", v->household_id, v->village_code);
    cli_json_string(stdout, w->row.head);
    if (!v->tier) {
        printf(", \"visited\": false, \"tier\": null, \"due_on\": null, \"overdue_days\": 0}\n");
        return;
    }
    printf(", \"visited\": true, \"tier\": \"%s\", \"reasons\": [%s%s%s], \"review\": \"%s\", "
           "\"open_measures\": %d, \"last_visit_on\": \"%s\", \"due_on\": \"%s\", "
           "\"overdue_days\": %ld}\n",
           hh_enum_name(&hh_tier_names, (int)v->tier), reasons[0] ? "\"" : "", reasons,
           reasons[0] ? "\"" : "",
           hh_enum_name(&hh_review_state_names, (int)(w->row.t.review ? w->row.t.review
                                                                       : HH_REVIEW_COMPUTED)),
           w->row.t.n_measures, v->last_visit_on, w->due_on, w->overdue);
}

static int run_worklist(cli *c)
{
    work_list l = { 0 };
    const char *village, *on = cli_get(c, "on");
    char today[HH_DATE_LEN + 1];
    int rc, json = cli_has(c, "json"), columns = hh_terminal_columns(1, 1000);
    long counts[HH_TIER_RED + 1] = { 0 }, never = 0, due = 0;
    hh_err ret;

    if ((rc = cli_village(c, &village)) != HH_EXIT_OK)
        return rc;
    if (on && hh_validate_date(on, NULL) != HH_OK)
        return cli_usage(c, "--on must be a date YYYY-MM-DD");
    if (!on && (ret = hh_platform_today(today)) != HH_OK)
        return cli_fail(ret, NULL, "cannot read today's date");
    l.today = hh_date_days(on ? on : today);
    l.rules = hh_store_rulebook(agent_store(c));
    l.due_only = cli_has(c, "due");
    ret = hh_store_each_work(agent_store(c), village, collect, &l);
    if (ret == HH_OK)
        ret = l.err;
    if (ret != HH_OK) {
        free(l.items);
        return cli_fail(ret, NULL, "cannot read the worklist");
    }
    qsort(l.items, l.n, sizeof *l.items, by_urgency);
    if (!json && columns >= NARROW_COLUMNS) {
        hh_print_padded(stdout, _("TIER"), 8);
        hh_print_padded(stdout, _("HOUSEHOLD"), 18);
        hh_print_padded(stdout, _("HEAD"), 12);
        hh_print_padded(stdout, _("VILLAGE"), 14);
        hh_print_padded(stdout, _("LAST VISIT"), 12);
        printf("%s\n", _("NEXT VISIT"));
    }
    for (size_t i = 0; i < l.n; i++) {
        const work_item *w = &l.items[i];
        if (w->row.t.v.tier)
            counts[w->row.t.v.tier]++;
        else
            never++;
        due += w->overdue >= 0;
        if (json)
            print_item_json(w);
        else
            print_item(w, l.rules, columns);
    }
    if (!json)
        fprintf(stderr, _("%zu households: %ld red, %ld orange, %ld yellow, %ld green, %ld never "
                          "visited; %ld due or overdue\n"), l.n, counts[HH_TIER_RED],
                counts[HH_TIER_ORANGE], counts[HH_TIER_YELLOW], counts[HH_TIER_GREEN], never, due);
    free(l.items);
    return HH_EXIT_OK;
}

static const cli_opt worklist_opts[] = {
    { "due", NULL, N_("only the households due or overdue for a visit") },
    { "on", "YYYY-MM-DD", N_("plan for this day instead of today") },
    { "village", "CODE", N_("only this village") },
    { "json", NULL, N_("print JSON Lines with the stable codes instead of text") },
    { NULL, NULL, NULL }
};

const cli_cmd hh_cmd_worklist = {
    "worklist", "",
    N_("The day's plan: every household with its head, tier, reasons, review and next visit "
       "(visit intervals by tier from the rulebook), most urgent first."),
    0, 0, worklist_opts, run_worklist, AGENT_NEEDS_STORE };
