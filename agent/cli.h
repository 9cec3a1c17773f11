/* agent/cli.h — the `hearth` command line: option parsing, messages, exit codes.
 *
 * Each command is a table entry (name, arguments, options with help text, a run
 * function), so `--help` and usage errors look the same everywhere. Library code
 * returns hh_err and fills an hh_diag; only this layer prints, and it maps errors
 * to the exit statuses below (documented in README.md). */
#ifndef HH_CLI_H
#define HH_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "model/diag.h"
#include "platform/platform.h"
#include "store.h"

/* Exit statuses. */
enum {
    HH_EXIT_OK = 0,
    HH_EXIT_FAILURE = 1,    /* anything not listed below */
    HH_EXIT_USAGE = 2,      /* wrong command line */
    HH_EXIT_DATA = 3,       /* input refused: invalid, malformed or conflicting */
    HH_EXIT_NOTFOUND = 4,   /* no such household, member, visit or file */
    HH_EXIT_STORE = 5       /* the device database is missing, newer or damaged */
};

#define CLI_OPTS_MAX 24
#define CLI_ARGS_MAX 4

typedef struct cli_opt {
    const char *name;       /* without the leading dashes */
    const char *arg;        /* placeholder for its value, or NULL for a flag */
    const char *help;
} cli_opt;

typedef struct cli cli;

typedef struct cli_cmd {
    const char *name;       /* "household add" */
    const char *args;       /* positional arguments for the usage line, or "" */
    const char *summary;
    int min_args, max_args;
    const cli_opt *opts;    /* terminated by { NULL } */
    int (*run)(cli *c);
    int uses_store;         /* open the device database before run */
} cli_cmd;

struct cli {
    const cli_cmd *cmd;
    const char *values[CLI_OPTS_MAX];   /* by option index; flags get "" */
    const char *args[CLI_ARGS_MAX];
    int nargs;
    char db_path[HH_PATH_MAX];
    hh_store *store;                    /* open when cmd->uses_store */
};

/* Every command, terminated by NULL (agent/main.c). */
extern const cli_cmd *const hh_cli_commands[];

/* Run the program; returns the exit status. */
int hh_cli_main(int argc, char **argv);

/* The value of option `name`, or NULL when not given. */
const char *cli_get(const cli *c, const char *name);

/* Non-zero when option `name` was given. */
int cli_has(const cli *c, const char *name);

/* Print "hearth: <message>" (and the field and reason from d, when set) on
 * stderr and return the exit status for err. */
int cli_fail(hh_err err, const hh_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Print a usage error for the current command and return HH_EXIT_USAGE. */
int cli_usage(const cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The exit status for an error. */
int cli_exit_status(hh_err err);

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

/* Run fn(s, arg, d) in one transaction: begin, fn, commit; roll back on error. */
hh_err cli_in_transaction(hh_store *s, hh_err (*fn)(hh_store *, void *, hh_diag *),
                          void *arg, hh_diag *d);

/* Write s to out as a JSON string literal. */
void cli_json_string(FILE *out, const char *s);

/* Versions of Hearth and the libraries linked in, one line. */
const char *hh_version_string(void);

#endif
