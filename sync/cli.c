/* sync/cli.c — command dispatch, option parsing and messages (see cli.h). */
#include "cli.h"

#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "model/buf.h"
#include "model/validate.h"
#include "sync/i18n.h"

/* Help is wrapped to the terminal; written to a pipe or a file, it is not. */
#define HELP_COLUMNS 1000
#define HELP_NARROW 60      /* under this, each summary goes under its name */

/* The running program's name, for messages. */
static const char *progname = "hearth";

int cli_exit_status(hh_err err)
{
    switch (err) {
    case HH_OK:
        return HH_EXIT_OK;
    case HH_EUSAGE:
        return HH_EXIT_USAGE;
    case HH_EINVAL: case HH_EPARSE: case HH_ERANGE: case HH_ECONFLICT: case HH_EEXIST:
        return HH_EXIT_DATA;
    case HH_ENOTFOUND:
        return HH_EXIT_NOTFOUND;
    case HH_EDB: case HH_ESCHEMA: case HH_ECORRUPT:
        return HH_EXIT_STORE;
    case HH_ENET: case HH_ETIMEOUT:
        return HH_EXIT_NETWORK;
    case HH_ETLS:
        return HH_EXIT_TRUST;
    case HH_EREVOKED:
        return HH_EXIT_REVOKED;
    case HH_EBUSY:
        return HH_EXIT_BUSY;
    case HH_EPROTO:
        return HH_EXIT_PROTOCOL;
    case HH_ECLOCK:
        return HH_EXIT_CLOCK;
    case HH_ENOSPC:
        return HH_EXIT_NOSPACE;
    case HH_EPERM:
        return HH_EXIT_DENIED;
    default:
        return HH_EXIT_FAILURE;
    }
}

int cli_fail(hh_err err, const hh_diag *d, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", progname);
    va_start(ap, fmt);
    vfprintf(stderr, _(fmt), ap);
    va_end(ap);
    if (d && d->message[0]) {
        if (d->field[0])
            fprintf(stderr, ": %s: %s", d->field, d->message);
        else
            fprintf(stderr, ": %s", d->message);
    } else if (err != HH_OK) {
        fprintf(stderr, ": %s", _(hh_strerror(err)));
    }
    fputc('\n', stderr);
    return cli_exit_status(err);
}

int cli_usage(const cli *c, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", progname);
    va_start(ap, fmt);
    vfprintf(stderr, _(fmt), ap);
    va_end(ap);
    fprintf(stderr, _("\nusage: %s %s%s%s [options]  (see: %s %s --help)\n"), progname,
            c->cmd->name, c->cmd->args[0] ? " " : "", c->cmd->args, progname, c->cmd->name);
    return HH_EXIT_USAGE;
}

static int opt_index(const cli_opt *opts, const char *name, size_t len)
{
    for (int i = 0; opts && opts[i].name; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
            return i;
    return -1;
}

const char *cli_get(const cli *c, const char *name)
{
    int i = opt_index(c->cmd->opts, name, strlen(name));

    return i >= 0 ? c->values[i] : NULL;
}

const char *cli_global(const cli *c, const char *name)
{
    int i = opt_index(c->prog->globals, name, strlen(name));

    return i >= 0 ? c->globals[i] : NULL;
}

int cli_has(const cli *c, const char *name)
{
    return cli_get(c, name) != NULL;
}

static void print_options(const cli_opt *opts)
{
    int width = hh_terminal_columns(1, HELP_COLUMNS), indent = width < HELP_NARROW ? 6 : 31;

    for (int i = 0; opts && opts[i].name; i++) {
        char left[48];
        snprintf(left, sizeof left, "%s--%s%s%s", strcmp(opts[i].name, "help") == 0 ? "-h, " : "",
                 opts[i].name, opts[i].arg ? " " : "", opts[i].arg ? opts[i].arg : "");
        printf("  ");
        if (width < HELP_NARROW)
            printf("%s\n%*s", left, indent, "");
        else
            hh_print_padded(stdout, left, indent - 2);
        hh_print_wrapped(stdout, _(opts[i].help), indent, width);
    }
}

static void print_help(const hh_cli_program *p, const cli_cmd *cmd)
{
    static const cli_opt help[] = { { "help", NULL, N_("show this help"), 0 }, { NULL, NULL, NULL, 0 } };
    int width = hh_terminal_columns(1, HELP_COLUMNS);
    char usage[200];

    snprintf(usage, sizeof usage, _("usage: %s %s%s%s [options]"), p->name, cmd->name,
             cmd->args[0] ? " " : "", cmd->args);
    hh_print_wrapped(stdout, usage, 0, width);
    putchar('\n');
    hh_print_wrapped(stdout, _(cmd->summary), 0, width);
    printf("\n%s\n", _("options:"));
    print_options(cmd->opts);
    print_options(p->globals);
    print_options(help);
}

static void print_overview(const hh_cli_program *p, FILE *out)
{
    int width = hh_terminal_columns(fileno(out), HELP_COLUMNS);
    char text[400];

    fprintf(out, _("usage: %s COMMAND [options]\n\n"), p->name);
    hh_print_wrapped(out, _(p->summary), 0, width);
    fprintf(out, "\n%s\n", _("commands:"));
    for (const cli_cmd *const *cmd = p->commands; *cmd; cmd++) {
        int indent = width < HELP_NARROW ? 4 : 21;
        if (width < HELP_NARROW || strlen((*cmd)->name) > 18)
            fprintf(out, "  %s\n%*s", (*cmd)->name, indent, "");
        else
            fprintf(out, "  %-18s ", (*cmd)->name);
        hh_print_wrapped(out, _((*cmd)->summary), indent, width);
    }
    snprintf(text, sizeof text, _("Run `%s COMMAND --help` for a command's options, `%s --version` "
                                  "for the versions of %s and its libraries."), p->name, p->name, p->name);
    fputc('\n', out);
    hh_print_wrapped(out, text, 0, width);
}

/* Find the command named by argv[0] and argv[1] (a two-word command such as
 * "duplicates resolve" wins over the one-word "duplicates"), else argv[0]. */
static const cli_cmd *find_command(const hh_cli_program *prog, int argc, char **argv, int *words)
{
    for (const cli_cmd *const *p = prog->commands; *p && argc > 1; p++) {
        const char *space = strchr((*p)->name, ' ');
        if (space && strlen(argv[0]) == (size_t)(space - (*p)->name) &&
            strncmp((*p)->name, argv[0], (size_t)(space - (*p)->name)) == 0 &&
            strcmp(space + 1, argv[1]) == 0) {
            *words = 2;
            return *p;
        }
    }
    for (const cli_cmd *const *p = prog->commands; *p; p++) {
        if (strcmp((*p)->name, argv[0]) == 0) {
            *words = 1;
            return *p;
        }
    }
    return NULL;
}

/* Is argv[0] the first word of some two-word command? */
static int is_group(const hh_cli_program *prog, const char *word)
{
    size_t n = strlen(word);

    for (const cli_cmd *const *cmd = prog->commands; *cmd; cmd++)
        if (strncmp((*cmd)->name, word, n) == 0 && (*cmd)->name[n] == ' ')
            return 1;
    return 0;
}

/* Take the option at argv[*i] if it is a global one: 1 taken, 0 not global,
 * or -(exit status) on a usage error. */
static int take_global(cli *c, int argc, char **argv, int *i)
{
    const char *a = argv[*i], *name = a + 2, *eq;
    size_t len;
    int k;

    if (a[0] != '-' || a[1] != '-')
        return 0;
    eq = strchr(name, '=');
    len = eq ? (size_t)(eq - name) : strlen(name);
    if ((k = opt_index(c->prog->globals, name, len)) < 0)
        return 0;
    if (eq)
        c->globals[k] = eq + 1;
    else if (*i + 1 < argc)
        c->globals[k] = argv[++*i];
    else {
        fprintf(stderr, _("%s: --%.*s needs a value\n"), progname, (int)len, name);
        return -HH_EXIT_USAGE;
    }
    if (strlen(c->globals[k]) >= HH_PATH_MAX) {
        fprintf(stderr, _("%s: --%.*s is longer than %d bytes\n"), progname, (int)len, name,
                HH_PATH_MAX - 1);
        return -HH_EXIT_USAGE;
    }
    return 1;
}

/* Parse argv (after the command words) into c. */
static int parse_args(cli *c, int argc, char **argv)
{
    int only_args = 0;

    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!only_args && strcmp(a, "--") == 0) {
            only_args = 1;
        } else if (!only_args && a[0] == '-' && a[1] == '-' && a[2]) {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            int k, taken = take_global(c, argc, argv, &i);
            if (taken < 0)
                return -taken;
            if (taken)
                continue;
            k = opt_index(c->cmd->opts, name, len);
            if (k < 0)
                return cli_usage(c, "unknown option --%.*s", (int)len, name);
            if (c->values[k] && !c->cmd->opts[k].repeat)
                return cli_usage(c, "--%s is given twice", c->cmd->opts[k].name);
            if (c->cmd->opts[k].repeat) {
                /* Values of the (one) repeatable option, joined by commas. */
                const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
                size_t used = strlen(c->joined);
                int n;
                if (!v)
                    return cli_usage(c, "--%s needs a value (%s)", c->cmd->opts[k].name,
                                     c->cmd->opts[k].arg);
                n = snprintf(c->joined + used, sizeof c->joined - used, "%s%s", used ? "," : "", v);
                if (n < 0 || (size_t)n >= sizeof c->joined - used)
                    return cli_usage(c, "too many --%s values", c->cmd->opts[k].name);
                c->values[k] = c->joined;
                continue;
            }
            if (c->cmd->opts[k].arg) {
                if (eq)
                    c->values[k] = eq + 1;
                else if (i + 1 < argc)
                    c->values[k] = argv[++i];
                else
                    return cli_usage(c, "--%s needs a value (%s)", c->cmd->opts[k].name,
                                     c->cmd->opts[k].arg);
            } else {
                if (eq)
                    return cli_usage(c, "--%s takes no value", c->cmd->opts[k].name);
                c->values[k] = "";
            }
        } else if (!only_args && a[0] == '-' && a[1] && strcmp(a, "-") != 0) {
            return cli_usage(c, "unknown option %s", a);
        } else {
            if (c->nargs >= c->cmd->max_args)
                return cli_usage(c, "unexpected argument '%s'", a);
            c->args[c->nargs++] = a;
        }
    }
    if (c->nargs < c->cmd->min_args)
        return cli_usage(c, "missing %s", c->cmd->args);
    return HH_EXIT_OK;
}

static int wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    }
    return 0;
}

int hh_cli_main(const hh_cli_program *p, int argc, char **argv)
{
    cli c;
    int words = 0, rc, i;

    memset(&c, 0, sizeof c);
    c.prog = p;
    progname = p->name;
    argc--;
    argv++;
    /* Global options may come before the command. */
    for (i = 0; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_overview(p, stdout);
            return HH_EXIT_OK;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("%s\n", p->version());
            return HH_EXIT_OK;
        }
        if ((rc = take_global(&c, argc, argv, &i)) < 0)
            return -rc;
        if (rc == 0) {
            fprintf(stderr, _("%s: unknown option %s (try: %s --help)\n"), p->name, argv[i], p->name);
            return HH_EXIT_USAGE;
        }
    }
    argc -= i;
    argv += i;
    if (argc == 0) {
        print_overview(p, stderr);
        return HH_EXIT_USAGE;
    }
    c.cmd = find_command(p, argc, argv, &words);
    if (!c.cmd) {
        if (is_group(p, argv[0]))
            fprintf(stderr, _("%s: '%s' needs a subcommand (try: %s --help)\n"), p->name, argv[0], p->name);
        else
            fprintf(stderr, _("%s: unknown command '%s' (try: %s --help)\n"), p->name, argv[0], p->name);
        return HH_EXIT_USAGE;
    }
    if (wants_help(argc - words, argv + words)) {
        print_help(p, c.cmd);
        return HH_EXIT_OK;
    }
    if ((rc = parse_args(&c, argc - words, argv + words)) != HH_EXIT_OK)
        return rc;
    if (p->prepare && (rc = p->prepare(&c)) != HH_EXIT_OK)
        return rc;
    rc = c.cmd->run(&c);
    if (p->finish)
        p->finish(&c);
    if (fflush(stdout) != 0 && rc == HH_EXIT_OK)
        return cli_fail(HH_EIO, NULL, "cannot write the output");
    return rc;
}

int cli_village(const cli *c, const char **village)
{
    hh_diag d;
    hh_err ret;

    hh_diag_clear(&d);
    *village = cli_get(c, "village");
    if (*village && (ret = hh_validate_village_code(*village, &d)) != HH_OK)
        return cli_fail(ret, &d, "--village");
    return HH_EXIT_OK;
}

/* ---- value parsers ------------------------------------------------------------ */

hh_err cli_parse_int(const char *option, const char *text, int64_t min, int64_t max,
                     int64_t *out, hh_diag *d)
{
    const char *p = text;
    int neg = 0;
    int64_t v = 0;

    if (*p == '-') {
        neg = 1;
        p++;
    }
    if (*p == '\0')
        goto bad;
    for (; *p; p++) {
        if (*p < '0' || *p > '9' || v > (INT64_MAX - 9) / 10)
            goto bad;
        v = v * 10 + (*p - '0');
    }
    if (neg)
        v = -v;
    if (v < min || v > max)
        goto bad;
    *out = v;
    return HH_OK;
bad:
    return hh_diag_fail(d, HH_EINVAL, option, "must be a whole number in %lld..%lld",
                        (long long)min, (long long)max);
}

hh_err cli_parse_money(const char *option, const char *text, int64_t *out, hh_diag *d)
{
    if (text[0] == '-')
        return hh_diag_fail(d, HH_EINVAL, option, "cannot be negative");
    if (cli_parse_int(option, text, 0, HH_MONEY_MAX_YUAN, out, NULL) != HH_OK)
        return hh_diag_fail(d, HH_EINVAL, option, "must be whole yuan, 0..%d",
                            HH_MONEY_MAX_YUAN);
    return HH_OK;
}

hh_err cli_parse_bool(const char *option, const char *text, int *out, hh_diag *d)
{
    if (strcmp(text, "yes") == 0 || strcmp(text, "true") == 0) {
        *out = 1;
        return HH_OK;
    }
    if (strcmp(text, "no") == 0 || strcmp(text, "false") == 0) {
        *out = 0;
        return HH_OK;
    }
    return hh_diag_fail(d, HH_EINVAL, option, "must be yes or no");
}

hh_err cli_parse_enum(const char *option, const char *text, const hh_enum_names *e,
                      int *out, hh_diag *d)
{
    char list[400] = "";

    *out = hh_enum_parse(e, text);
    if (*out)
        return HH_OK;
    for (int v = 1; v <= e->count; v++)   /* in the reader's language */
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", v > 1 ? " | " : "",
                 hh_i18n_enum(e, v));
    return hh_diag_fail(d, HH_EINVAL, option, "must be one of: %s", list);
}

/* Officers typing Chinese separate a list with 、 or ，(three bytes each). */
static void ascii_separators(char *s)
{
    static const char *const wide[] = { "、", "，" };

    for (size_t k = 0; k < sizeof wide / sizeof wide[0]; k++)
        for (char *p = s; (p = strstr(p, wide[k])) != NULL; p += 3)
            memcpy(p, ",  ", 3);
}

hh_err cli_parse_set(const char *option, const char *text, const hh_enum_names *e,
                     uint32_t *out, hh_diag *d)
{
    char copy[256], *save = NULL;
    int v;
    hh_err ret;

    *out = 0;
    if (strlen(text) >= sizeof copy)
        return hh_diag_fail(d, HH_ERANGE, option, "is too long");
    memcpy(copy, text, strlen(text) + 1);
    ascii_separators(copy);
    for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        if ((ret = cli_parse_enum(option, tok, e, &v, d)) != HH_OK)
            return ret;
        *out |= 1u << v;
    }
    return HH_OK;
}

hh_err cli_copy(const char *option, const char *text, char *dst, size_t cap, hh_diag *d)
{
    size_t n = strlen(text);

    if (n >= cap)
        return hh_diag_fail(d, HH_ERANGE, option, "is %zu bytes, more than the %zu allowed",
                            n, cap - 1);
    memcpy(dst, text, n + 1);
    return HH_OK;
}

int cli_write_output(hh_err ret, const char *out_path, const hh_buf *out, const char *what)
{
    if (ret == HH_OK) {
        if (out_path)
            ret = hh_platform_write_file_durable(out_path, hh_buf_str(out), out->len, 0600);
        else if (out->len && fwrite(out->data, 1, out->len, stdout) != out->len)
            ret = HH_EIO;
    }
    if (ret == HH_ERANGE)
        return cli_fail(ret, NULL, "%s: more than %zu MiB; take one --village at a time", what,
                        out->max >> 20);
    if (ret != HH_OK)
        return cli_fail(ret, NULL, "%s failed%s%s", what, out_path ? ": " : "", out_path ? out_path : "");
    if (out_path)
        fprintf(stderr, _("%s written to %s\n"), what, out_path);
    return HH_EXIT_OK;
}

const char *cli_printable(const char *s, char *buf, size_t cap)
{
    hh_text_printable(s, buf, cap);
    return buf;
}

void cli_json_string(FILE *out, const char *s)
{
    hh_buf b;

    hh_buf_init(&b, 6 * strlen(s) + 16);   /* "\u00XX" is the longest escape */
    if (hh_buf_json_string(&b, s) == HH_OK)
        fputs(hh_buf_str(&b), out);
    hh_buf_free(&b);
}

/* ---- private values and secrets ------------------------------------------------------ */

hh_err cli_get_private(const cli *c, const char *name, const char *prompt, char *buf, size_t cap,
                       const char **out, hh_diag *d)
{
    const char *v = cli_get(c, name);
    size_t len;

    *out = v;
    if (!v || strcmp(v, "-") != 0)
        return HH_OK;
    if (isatty(STDIN_FILENO))
        fprintf(stderr, "%s: ", prompt);
    if (!fgets(buf, (int)cap, stdin))
        return hh_diag_fail(d, HH_EUSAGE, name, "no line on standard input for --%s -", name);
    len = strcspn(buf, "\r\n");
    if (buf[len] == '\0' && len >= cap - 1)
        return hh_diag_fail(d, HH_EINVAL, name, "is longer than %zu bytes", cap - 2);
    buf[len] = '\0';
    *out = buf;
    return HH_OK;
}

/* The terminal as it was before a secret was asked for: restored by a signal
 * that ends the program while echo is off (tcsetattr is async-signal-safe),
 * then the signal does what it would have done. */
static struct termios saved_terminal;

static void restore_terminal(int sig)
{
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_terminal);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void terminal_quiet(int on, struct termios *old)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
    struct termios quiet;

    if (on) {
        saved_terminal = *old;
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
            signal(sigs[i], restore_terminal);
        quiet = *old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    } else {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, old);
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
            signal(sigs[i], SIG_DFL);
    }
}

hh_err cli_read_secret(const char *what, const char *stdin_option, int from_stdin, int twice,
                       char *out, size_t cap, size_t min_len, hh_diag *d)
{
    char again[256];
    struct termios old;
    int tty = !from_stdin && isatty(STDIN_FILENO);
    size_t len;
    hh_err ret = HH_OK;

    out[0] = again[0] = '\0';
    if (!from_stdin && !tty)
        return hh_diag_fail(d, HH_EUSAGE, what, "no terminal to type it on: give %s", stdin_option);
    if (tty) {
        if (tcgetattr(STDIN_FILENO, &old) != 0)
            return hh_diag_fail(d, HH_EIO, what, "cannot read the terminal");
        terminal_quiet(1, &old);
        fprintf(stderr, "%s: ", what);
    }
    if (!fgets(out, (int)cap, stdin))
        out[0] = '\0';
    if (tty) {
        if (twice) {
            fprintf(stderr, _("\nagain: "));
            if (!fgets(again, sizeof again, stdin))
                again[0] = '\0';
        }
        fprintf(stderr, "\n");
        terminal_quiet(0, &old);
    }
    len = strcspn(out, "\r\n");
    if (out[len] == '\0' && len > cap - 2)
        ret = hh_diag_fail(d, HH_EINVAL, what, "at most %zu bytes", cap - 2);
    out[len] = '\0';
    if (ret == HH_OK && tty && twice) {
        again[strcspn(again, "\r\n")] = '\0';
        if (strcmp(out, again) != 0)
            ret = hh_diag_fail(d, HH_EINVAL, what, "the two entries differ");
    }
    if (ret == HH_OK && len < min_len)
        ret = hh_diag_fail(d, HH_EINVAL, what, "at least %zu characters", min_len);
    explicit_bzero(again, sizeof again);
    if (ret != HH_OK)
        explicit_bzero(out, cap);
    return ret;
}
