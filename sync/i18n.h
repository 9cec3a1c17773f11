/* sync/i18n.h — the language people read: Chinese or English messages
 * (gettext, catalogues under agent/po, compiled at build time), enumeration
 * labels in that language, and text measured in terminal columns.
 *
 * The language: $HEARTH_LANG (zh or en), else the device's setting, else the
 * locale ($LC_ALL, $LC_MESSAGES, $LANG starting "zh": Chinese), else English.
 * It works without the zh_CN locale installed (a device rarely has it): the
 * C.UTF-8 locale and $LANGUAGE choose the catalogue. */
#ifndef HH_I18N_H
#define HH_I18N_H

#include <libintl.h>
#include <stdio.h>

#include "model/record.h"

#define _(s) gettext(s)
#define N_(s) (s)

/* Choose the language for `domain` ("hearth"): setting is "zh", "en" or NULL
 * (none stored). May be called again when the device's setting is known. */
void hh_i18n_init(const char *domain, const char *setting);

/* Non-zero when messages are shown in Chinese (to this thread). */
int hh_i18n_zh(void);

/* Messages in English (0) or Chinese (1) for the calling thread only, as one
 * console page asks. A process set to Chinese can show either; one set to
 * English only English (-1, and the thread keeps the process's language). */
int hh_i18n_use(int want_zh);

/* An enumeration value as people read it: its Chinese label in Chinese (脱贫户),
 * else its stable name (lifted); "?" when out of range. */
const char *hh_i18n_enum(const hh_enum_names *e, int value);

/* Terminal columns text takes: 2 for East Asian wide characters, 0 for
 * combining marks, 1 otherwise (a byte that is not UTF-8 counts 1). */
int hh_text_width(const char *text);

/* Print text padded with spaces to `width` columns (never cut). */
void hh_print_padded(FILE *out, const char *text, int width);

/* Print text from column `indent` (the cursor is there), wrapped at `width`
 * columns by display width (English words kept whole), continuation lines
 * indented as much; ends the line. */
void hh_print_wrapped(FILE *out, const char *text, int indent, int width);

/* The width of the terminal on fd, or `fallback` when it is not one
 * ($COLUMNS is honoured). */
int hh_terminal_columns(int fd, int fallback);

#endif
