/* agent/form.c — the terminal form (see form.h). */
#include "form.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/platform.h"
#include "sync/i18n.h"

form_item *form_add(form *f, const char *key, const char *prompt, const char *def,
                    int required, form_parse_fn parse, void *out)
{
    form_item *it;

    if (f->n >= FORM_ITEMS_MAX)
        return NULL;
    it = &f->items[f->n++];
    memset(it, 0, sizeof *it);
    snprintf(it->key, sizeof it->key, "%s", key);
    snprintf(it->prompt, sizeof it->prompt, "%s", prompt);
    snprintf(it->def, sizeof it->def, "%s", def ? def : "");
    it->required = required;
    it->parse = parse;
    it->out = out;
    return it;
}

static form_item *find(form *f, const char *key, size_t len)
{
    for (int i = 0; i < f->n; i++)
        if (strlen(f->items[i].key) == len && strncmp(f->items[i].key, key, len) == 0)
            return &f->items[i];
    return NULL;
}

void form_fix(form *f, const char *key, const char *text)
{
    form_item *it = find(f, key, strlen(key));

    if (!it)
        return;
    snprintf(it->answer, sizeof it->answer, "%s", text);
    it->answered = it->fixed = 1;
}

int form_answered(const form *f)
{
    int n = 0;

    for (int i = 0; i < f->n; i++)
        n += f->items[i].answered && !f->items[i].fixed;
    return n;
}

void form_draft_text(const form *f, char *out, size_t cap)
{
    size_t used = 0;

    out[0] = '\0';
    for (int i = 0; i < f->n && used < cap; i++) {
        const form_item *it = &f->items[i];
        int w;
        if (!it->answered || it->fixed)
            continue;
        w = snprintf(out + used, cap - used, "%s=%s\n", it->key, it->answer);
        if (w < 0 || (size_t)w >= cap - used) {
            out[used] = '\0';   /* whole lines only */
            return;
        }
        used += (size_t)w;
    }
}

void form_draft_load(form *f, const char *text)
{
    const char *p = text;

    while (*p) {
        size_t len = strcspn(p, "\n");
        const char *eq = memchr(p, '=', len);
        form_item *it = eq ? find(f, p, (size_t)(eq - p)) : NULL;
        if (it && !it->fixed) {
            snprintf(it->answer, sizeof it->answer, "%.*s", (int)(len - (size_t)(eq + 1 - p)), eq + 1);
            it->answered = 1;
        }
        p += len + (p[len] == '\n');
    }
}

/* One line from the terminal into buf: 1 read, 0 end of input, -1 a signal. */
static int read_line(char *buf, size_t cap)
{
    size_t n;

    clearerr(stdin);
    if (!fgets(buf, (int)cap, stdin))
        return hh_platform_interrupted() || errno == EINTR ? -1 : 0;
    n = strlen(buf);
    if (n > 0 && buf[n - 1] != '\n' && !feof(stdin)) {
        int ch;
        while ((ch = getchar()) != EOF && ch != '\n')
            ;
        buf[0] = '\x01';   /* too long: fails every check */
        buf[1] = '\0';
        return 1;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    return hh_platform_interrupted() ? -1 : 1;
}

static int askable(const form *f, int i)
{
    return i >= 0 && i < f->n && !f->items[i].fixed;
}

static int count_askable(const form *f, int upto)
{
    int n = 0;

    for (int i = 0; i < upto && i < f->n; i++)
        n += askable(f, i);
    return n;
}

/* Ask item i until it gets a valid answer. 1 answered, 0 "<" (back),
 * -1 stopped (signal or end of input), -2 the draft could not be saved. */
static int ask(form *f, int i, hh_diag *d)
{
    form_item *it = &f->items[i];
    static char line[FORM_TEXT_MAX + 2];

    if (it->prepare)
        it->prepare(f->ctx, it);
    for (;;) {
        const char *shown = it->answered ? it->answer : it->def, *text;
        int got;
        hh_err ret;
        fprintf(stderr, "(%d/%d) %s%s%s%s: ", count_askable(f, i + 1), count_askable(f, f->n),
                it->prompt, shown[0] ? " [" : "", shown, shown[0] ? "]" : "");
        fflush(stderr);
        got = read_line(line, sizeof line);
        if (got <= 0)
            return -1;
        if (strcmp(line, "<") == 0)
            return 0;
        if (strcmp(line, "?") == 0 && it->choices) {
            fputs("  ", stderr);
            for (int v = 1; v <= it->choices->count; v++)
                fprintf(stderr, "%s%s", v > 1 ? (hh_i18n_zh() ? "、" : ", ") : "",
                        hh_i18n_enum(it->choices, v));
            fputc('\n', stderr);
            continue;
        }
        text = line[0] ? line : shown;
        if (line[0] == '\x01' || strlen(text) > FORM_TEXT_MAX) {
            fprintf(stderr, _("  too long: at most %d bytes; try again\n"), FORM_TEXT_MAX);
            continue;
        }
        if (!text[0] && it->required) {
            fprintf(stderr, _("  an answer is needed; try again (\"<\" goes back)\n"));
            continue;
        }
        hh_diag_clear(d);
        if (text[0] || it->required) {
            ret = it->parse(it->key, text, it->out, d);
            if (ret != HH_OK) {
                fprintf(stderr, _("  %s; try again\n"), d->message);
                continue;
            }
        }
        if (text != it->answer)
            memmove(it->answer, text, strlen(text) + 1);
        it->answered = 1;
        return 1;
    }
}

static int save(form *f, hh_diag *d)
{
    hh_err ret = f->save ? f->save(f->ctx, f) : HH_OK;

    if (ret != HH_OK) {
        f->err = ret;
        hh_diag_fail(d, ret, "draft", _("cannot be saved (%s): stopping so that nothing more "
                                        "is typed in vain"), hh_strerror(ret));
        return 0;
    }
    return 1;
}

/* The summary: 1 save, 0 stop (draft kept), -1 failed; may re-ask items. */
static int summary(form *f, hh_diag *d)
{
    static char line[32];

    for (;;) {
        int got, k = 0;
        fprintf(stderr, "\n%s\n", _("Check before saving:"));
        for (int i = 0; i < f->n; i++) {
            if (!askable(f, i))
                continue;
            fprintf(stderr, "%3d. %s: %s\n", ++k, f->items[i].prompt,
                    f->items[i].answer[0] ? f->items[i].answer : "-");
        }
        fprintf(stderr, "%s ", _("Save? [y] yes / number: change that answer / q: stop, keep the "
                                 "draft:"));
        fflush(stderr);
        got = read_line(line, sizeof line);
        if (got <= 0 || strcmp(line, "q") == 0)
            return 0;
        if (line[0] == '\0' || strcmp(line, "y") == 0 || strcmp(line, "是") == 0)
            return 1;
        k = atoi(line);
        for (int i = 0; i < f->n && k > 0; i++) {
            if (askable(f, i) && --k == 0) {
                got = ask(f, i, d);
                if (got < 0)
                    return 0;
                if (got == 1 && !save(f, d))
                    return -1;
            }
        }
        if (k > 0 || atoi(line) <= 0)
            fprintf(stderr, _("  answer y, q or a number from the list\n"));
    }
}

static int run_batch(form *f, hh_diag *d)
{
    for (int i = 0; i < f->n; i++) {
        form_item *it = &f->items[i];
        const char *text;
        char option[FORM_KEY_MAX + 2];
        if (it->prepare && !it->fixed)
            it->prepare(f->ctx, it);
        text = it->answered ? it->answer : it->def;
        snprintf(option, sizeof option, "--%s", it->key);
        if (!text[0]) {
            if (!it->required)
                continue;
            f->err = hh_diag_fail(d, HH_EUSAGE, option, "is required");
            return FORM_FAILED;
        }
        if ((f->err = it->parse(option, text, it->out, d)) != HH_OK)
            return FORM_FAILED;
    }
    return FORM_DONE;
}

int form_run(form *f, hh_diag *d)
{
    int i, got;

    if (!f->interactive)
        return run_batch(f, d);
    fprintf(stderr, "%s\n", _("Enter keeps the value in [brackets]; \"<\" goes back; \"?\" lists "
                              "the choices; Ctrl-C stops and keeps what was typed."));
    /* Answers already given (a resumed draft) are checked again, in order. */
    for (i = 0; i < f->n; i++) {
        form_item *it = &f->items[i];
        if (it->answered && (f->err = it->parse(it->key, it->answer, it->out, d)) != HH_OK) {
            if (it->fixed)
                return FORM_FAILED;
            it->answered = 0;
            if (f->step > i)
                f->step = i;
        }
    }
    for (i = 0; i < f->step && i < f->n; i++)
        if (askable(f, i) && !f->items[i].answered)
            f->step = i;
    for (i = f->step; i < f->n; ) {
        if (!askable(f, i)) {
            i++;
            continue;
        }
        got = ask(f, i, d);
        if (got < 0)
            return FORM_STOPPED;
        if (got == 0) {
            int j = i - 1;
            while (j >= 0 && !askable(f, j))
                j--;
            if (j >= 0)
                i = j;
            else
                fprintf(stderr, _("  this is the first question\n"));
            continue;
        }
        f->step = i + 1;
        if (!save(f, d))
            return FORM_FAILED;
        i++;
    }
    got = summary(f, d);
    return got > 0 ? FORM_DONE : got == 0 ? FORM_STOPPED : FORM_FAILED;
}
