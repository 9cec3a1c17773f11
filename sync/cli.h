/* sync/cli.h — the command line of Hearth's programs: option parsing, help,
 * messages, exit statuses. Shared by `hearth` (agent/) and `hearthd`
 * (collector/), which never include each other.
 *
 * A program is a table of commands (name, arguments, options with help text, a
 * run function) plus global options and hooks, so `--help` and usage errors look
 * the same everywhere. Library code returns hh_err and fills an hh_diag; only
 * this layer prints, and it maps errors to the exit statuses below (documented
 * in README.md). */
#ifndef HH_CLI_H
#define HH_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "model/buf.h"
#include "model/diag.h"
#include "model/record.h"
#include "platform/platform.h"

/* Exit statuses. */
enum {
    HH_EXIT_OK = 0,
    HH_EXIT_FAILURE = 1,    /* anything not listed below */
    HH_EXIT_USAGE = 2,      /* wrong command line */
    HH_EXIT_DATA = 3,       /* input refused: invalid, malformed or conflicting */
    HH_EXIT_NOTFOUND = 4,   /* no such household, member, visit or file */
    HH_EXIT_STORE = 5,      /* the database is missing, newer or damaged */
    HH_EXIT_NOSPACE = 6,    /* the disk is full: nothing was written, nothing lost */
    HH_EXIT_DENIED = 7,     /* the account may not do this: its level, villages or role */
    HH_EXIT_REFUSED = 8,    /* sync done, but the collector refused some changes */
    HH_EXIT_NETWORK = 10,   /* no network, refused, cut or timed out: retry later */
    HH_EXIT_TRUST = 11,     /* TLS trust failure or pin mismatch: do not retry blindly */
    HH_EXIT_REVOKED = 12,   /* revoked or unknown device: enrol again */
    HH_EXIT_BUSY = 13,      /* the server is busy: retry later */
    HH_EXIT_PROTOCOL = 14,  /* the peer broke the protocol */
    HH_EXIT_CLOCK = 15      /* this device's clock is wrong: set it, then retry */
};

#define CLI_OPTS_MAX 24
#define CLI_GLOBALS_MAX 4
#define CLI_ARGS_MAX 4

typedef struct cli_opt {
    const char *name;       /* without the leading dashes */
    const char *arg;        /* placeholder for its value, or NULL for a flag */
    const char *help;
    int repeat;             /* may be given several times: values joined by ','
                               (at most one such option per command) */
} cli_opt;

typedef struct cli cli;

typedef struct cli_cmd {
    const char *name;       /* "household add" */
    const char *args;       /* positional arguments for the usage line, or "" */
    const char *summary;
    int min_args, max_args;
    const cli_opt *opts;    /* terminated by { NULL } */
    int (*run)(cli *c);
    int flags;              /* the program's own, e.g. "needs the database" */
} cli_cmd;

typedef struct hh_cli_program {
    const char *name;                   /* "hearth" */
    const char *summary;                /* the paragraph under the usage line */
    const cli_cmd *const *commands;     /* NULL-terminated, in help order */
    const cli_opt *globals;             /* options every command takes */
    int (*prepare)(cli *c);             /* after parsing, before run: exit status */
    void (*finish)(cli *c);             /* after run, whatever it returned */
    const char *(*version)(void);       /* one line for --version */
} hh_cli_program;

struct cli {
    const hh_cli_program *prog;
    const cli_cmd *cmd;
    const char *values[CLI_OPTS_MAX];   /* by option index; flags get "" */
    const char *globals[CLI_GLOBALS_MAX];
    const char *args[CLI_ARGS_MAX];
    int nargs;
    void *app;                          /* the program's state, set by prepare */
    char joined[512];                   /* the repeatable option's values */
};

/* Run program p; returns the exit status. */
int hh_cli_main(const hh_cli_program *p, int argc, char **argv);

/* The value of global option `name`, or NULL when not given. */
const char *cli_global(const cli *c, const char *name);

/* The value of option `name`, or NULL when not given. */
const char *cli_get(const cli *c, const char *name);

/* Non-zero when option `name` was given. */
int cli_has(const cli *c, const char *name);

/* Print "<program>: <message>" (and the field and reason from d, when set) on
 * stderr and return the exit status for err. */
int cli_fail(hh_err err, const hh_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Print a usage error for the current command and return HH_EXIT_USAGE. */
int cli_usage(const cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The exit status for an error. */
int cli_exit_status(hh_err err);

/* The value of option name, in *out (NULL when not given). The value "-"
 * reads it instead from one line typed on the terminal (asked for with
 * prompt) or of standard input: a name or an ID number need not stand on the
 * command line, where other users of the device can read it (ps, shell
 * history). buf (cap bytes) holds a value so read; HH_EINVAL when it is
 * longer, HH_EUSAGE when standard input has no line for it. */
hh_err cli_get_private(const cli *c, const char *name, const char *prompt, char *buf, size_t cap,
                       const char **out, hh_diag *d);

/* A secret (a password, a PIN) into out (cap bytes with its NUL): the first
 * line of standard input when from_stdin, else typed on the terminal without
 * echo (twice when twice), never from the command line. what names it in the
 * prompt and errors; stdin_option is the option to give without a terminal.
 * HH_EINVAL when shorter than min_len or longer than cap - 2 bytes, or the two
 * entries differ; HH_EUSAGE without a terminal. The terminal is restored even
 * when a signal ends the program at the prompt. */
hh_err cli_read_secret(const char *what, const char *stdin_option, int from_stdin, int twice,
                       char *out, size_t cap, size_t min_len, hh_diag *d);

/* Parsers for option values; each fills d with the option name on error. */
hh_err cli_parse_int(const char *option, const char *text, int64_t min, int64_t max,
                     int64_t *out, hh_diag *d);
hh_err cli_parse_money(const char *option, const char *text, int64_t *out, hh_diag *d);
hh_err cli_parse_bool(const char *option, const char *text, int *out, hh_diag *d);
hh_err cli_parse_enum(const char *option, const char *text, const hh_enum_names *e,
                      int *out, hh_diag *d);
/* A comma-separated list of names of e into a bit set (bit 1 << value). */
hh_err cli_parse_set(const char *option, const char *text, const hh_enum_names *e,
                     uint32_t *out, hh_diag *d);

/* Copy text into dst (cap bytes) or fail naming the option. */
hh_err cli_copy(const char *option, const char *text, char *dst, size_t cap, hh_diag *d);

/* The value of --village, checked: HH_EXIT_OK with *village set (NULL when the
 * option is absent), or the exit status after printing the error. */
int cli_village(const cli *c, const char **village);

/* Finish a command that built its output in out: on ret == HH_OK write it to
 * out_path (atomically, mode 0600: it holds personal data) or to standard output;
 * report errors, an output over its cap included, as "<what> …". Returns the
 * exit status. */
int cli_write_output(hh_err ret, const char *out_path, const hh_buf *out, const char *what);

/* Write s to out as a JSON string literal. */
void cli_json_string(FILE *out, const char *s);

/* Stored free text (names, sites, values) made safe for a terminal: control
 * characters and bytes that are not UTF-8 become '?'. Returns buf. */
const char *cli_printable(const char *s, char *buf, size_t cap);

#endif
