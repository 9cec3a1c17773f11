/* agent/form.h — a form on the terminal that never loses typed work.
 *
 * A form is a list of questions. Each answer is checked when given and asked
 * again on error; "<" goes back to the previous question, "?" lists the
 * choices of a question that has them; a summary comes
 * before saving, where a number changes that answer. After every answer the
 * caller's save hook stores the draft durably, so Ctrl-C, a closed terminal
 * or a power cut lose at most the line being typed.
 *
 * Without a terminal the form takes each answer from its option, else its
 * default, and fails (HH_EUSAGE) on a required one that has neither. */
#ifndef HH_FORM_H
#define HH_FORM_H

#include "model/diag.h"
#include "model/record.h"

#define FORM_ITEMS_MAX 80
#define FORM_KEY_MAX 64
#define FORM_TEXT_MAX HH_NOTES_MAX

typedef hh_err (*form_parse_fn)(const char *option, const char *text, void *out, hh_diag *d);

typedef struct form_item {
    char key[FORM_KEY_MAX];         /* the option's name, or "school.<member id>": the draft key */
    char prompt[160];               /* the question, in the reader's language */
    char def[FORM_TEXT_MAX + 1];    /* offered in brackets; "" none */
    char answer[FORM_TEXT_MAX + 1]; /* the text taken */
    int answered;
    int fixed;                      /* given as an option: never asked */
    int required;                   /* no answer and no default is an error */
    form_parse_fn parse;
    void *out;
    const hh_enum_names *choices;   /* listed when the answer is "?"; may be NULL */
    /* Called before the item is asked (may set def from earlier answers). */
    void (*prepare)(void *ctx, struct form_item *it);
} form_item;

typedef struct form {
    form_item items[FORM_ITEMS_MAX];
    int n;
    int step;                       /* the next item to ask */
    int interactive;
    hh_err err;                     /* why it failed (FORM_FAILED) */
    /* Store the answers so far (form_draft_text); an error stops the form. */
    hh_err (*save)(void *ctx, const struct form *f);
    void *ctx;
} form;

enum { FORM_DONE, FORM_STOPPED, FORM_FAILED };

/* Add an item; returns it (NULL when the form is full). */
form_item *form_add(form *f, const char *key, const char *prompt, const char *def,
                    int required, form_parse_fn parse, void *out);

/* Mark key as given on the command line with text. */
void form_fix(form *f, const char *key, const char *text);

/* Run the form. FORM_DONE: every item parsed into its out; FORM_STOPPED: the
 * officer stopped (Ctrl-C, end of input, "q" at the summary) and the draft is
 * kept; FORM_FAILED: d says why. */
int form_run(form *f, hh_diag *d);

/* The answers as "key=value" lines (values never hold a newline), into out. */
void form_draft_text(const form *f, char *out, size_t cap);

/* Take answers from a draft text (keys the form lacks are ignored). */
void form_draft_load(form *f, const char *text);

/* How many items have an answer. */
int form_answered(const form *f);

#endif
