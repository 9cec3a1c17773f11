/* sync/i18n.c — language, labels and display width (see i18n.h). */
#include "i18n.h"

#include <limits.h>
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "model/validate.h"
#include "platform/platform.h"

static int zh;                        /* the process's language */
static _Thread_local int zh_here = -1; /* a thread's own (hh_i18n_use); -1: the process's */
static locale_t plain;                 /* "C": gettext answers with the English text */
static pthread_once_t plain_once = PTHREAD_ONCE_INIT;

/* The locale's language, with POSIX precedence: the first of $LC_ALL,
 * $LC_MESSAGES and $LANG that is set decides. */
static int locale_says_zh(void)
{
    static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };

    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return strncmp(v, "zh", 2) == 0;
    }
    return 0;
}

/* The directory holding <lang>/LC_MESSAGES/<domain>.mo: $HEARTH_LOCALEDIR,
 * else share/locale beside the program's bin/ directory. */
static void locale_dir(char *out, size_t cap)
{
    const char *env = getenv("HEARTH_LOCALEDIR");
    char exe[PATH_MAX];
    ssize_t n;
    char *slash;

    if (env && *env) {
        snprintf(out, cap, "%s", env);
        return;
    }
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        snprintf(out, cap, "/usr/share/locale");
        return;
    }
    exe[n] = '\0';
    if ((slash = strrchr(exe, '/')))
        *slash = '\0';
    if ((size_t)snprintf(out, cap, "%.*s/../share/locale", (int)(cap > 20 ? cap - 20 : 0), exe) >= cap)
        snprintf(out, cap, "/usr/share/locale");
}

static const char *translate(const char *fmt)
{
    return gettext(fmt);
}

void hh_i18n_init(const char *domain, const char *setting)
{
    const char *env = getenv("HEARTH_LANG"), *choice = NULL;
    char dir[PATH_MAX];

    if (env && (strcmp(env, "zh") == 0 || strcmp(env, "en") == 0))
        choice = env;
    else if (setting && (strcmp(setting, "zh") == 0 || strcmp(setting, "en") == 0))
        choice = setting;
    zh = choice ? strcmp(choice, "zh") == 0 : locale_says_zh();
    /* A UTF-8 locale whatever is installed; $LANGUAGE then picks the
     * catalogue (glibc ignores it only in the plain "C" locale). */
    if (!setlocale(LC_ALL, "") || strcmp(setlocale(LC_ALL, NULL), "C") == 0 ||
        strcmp(setlocale(LC_ALL, NULL), "POSIX") == 0)
        setlocale(LC_ALL, "C.UTF-8");
    setlocale(LC_NUMERIC, "C");     /* numbers in files and on the wire stay "1.5" */
    setenv("LANGUAGE", zh ? "zh_CN" : "en", 1);
    locale_dir(dir, sizeof dir);
    bindtextdomain(domain, dir);
    bind_textdomain_codeset(domain, "UTF-8");
    textdomain(domain);
    hh_diag_translate = translate;
}

int hh_i18n_zh(void)
{
    return zh_here >= 0 ? zh_here : zh;
}

static void plain_make(void)
{
    plain = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* glibc reads the thread's locale when it translates, and ignores $LANGUAGE
 * in the plain "C" locale: a thread in it reads the English originals. */
int hh_i18n_use(int want_zh)
{
    pthread_once(&plain_once, plain_make);
    if (want_zh == zh) {
        uselocale(LC_GLOBAL_LOCALE);
    } else if (!want_zh && plain) {
        uselocale(plain);
    } else {
        zh_here = -1;
        return -1;
    }
    zh_here = want_zh;
    return 0;
}

const char *hh_i18n_enum(const hh_enum_names *e, int value)
{
    const char *s = hh_i18n_zh() ? hh_enum_zh(e, value) : hh_enum_name(e, value);

    return s ? s : "?";
}

/* East Asian Wide and Fullwidth ranges (Unicode 15, the blocks in use). */
static int wide(unsigned cp)
{
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
           (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
           (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
           (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
           (cp >= 0x20000 && cp <= 0x3FFFD);
}

static int combining(unsigned cp)
{
    return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200F) ||
           (cp >= 0xFE00 && cp <= 0xFE0F);
}

int hh_text_width(const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    int cols = 0;

    while (*p) {
        size_t n = hh_utf8_sequence(p);
        unsigned cp;
        if (n <= 1) {
            cols++;
            p++;
            continue;
        }
        cp = p[0] & (0xFF >> (n + 1));
        for (size_t i = 1; i < n; i++)
            cp = (cp << 6) | (p[i] & 0x3F);
        cols += wide(cp) ? 2 : combining(cp) ? 0 : 1;
        p += n;
    }
    return cols;
}

void hh_print_padded(FILE *out, const char *text, int width)
{
    fputs(text, out);
    for (int w = hh_text_width(text); w < width; w++)
        fputc(' ', out);
}

int hh_terminal_columns(int fd, int fallback)
{
    struct winsize ws;
    const char *env = getenv("COLUMNS");

    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    if (env && atoi(env) > 0 && atoi(env) < 1000)
        return atoi(env);
    return fallback;
}

/* The next piece to place: a run of ASCII letters and marks without spaces
 * (an English word or a number, kept whole), else one character. */
static size_t piece(const unsigned char *p)
{
    size_t n = 0;

    while (p[n] && p[n] < 0x80 && p[n] != ' ' && p[n] != '\n')
        n++;
    if (n)
        return n;
    n = hh_utf8_sequence(p);
    return n ? n : 1;
}

#define NO_BREAK_BEFORE "。，、；：？！）」』》】…"

/* The width of the closing punctuation at p (which must stay on the line of
 * what comes before it), or 0. */
static int punct_after(const unsigned char *p)
{
    size_t n = hh_utf8_sequence(p);
    char one[5];

    if (n < 2 || n > 4)
        return 0;
    memcpy(one, p, n);
    one[n] = '\0';
    return strstr(NO_BREAK_BEFORE, one) ? hh_text_width(one) : 0;
}

void hh_print_wrapped(FILE *out, const char *text, int indent, int width)
{
    const unsigned char *p = (const unsigned char *)text;
    int col = indent;

    if (width < indent + 10)
        width = indent + 10;
    while (*p) {
        size_t n = piece(p);
        char one[256];
        int w;
        if (*p == '\n') {   /* a line break the text asks for */
            fprintf(out, "\n%*s", indent, "");
            col = indent;
            p++;
            continue;
        }
        if (n >= sizeof one)
            n = sizeof one - 1;
        memcpy(one, p, n);
        one[n] = '\0';
        w = hh_text_width(one);
        /* Closing punctuation never starts a line: what it follows moves down
         * with it. */
        if (col + w + punct_after(p + n) > width && col > indent) {
            fprintf(out, "\n%*s", indent, "");
            col = indent;
            if (*p == ' ') {
                p++;
                continue;
            }
        }
        fputs(one, out);
        col += w;
        p += n;
    }
    fputc('\n', out);
}
