/* collector/commands.h — hearthd's commands beyond main.c: the review
 * lifecycle, accounts and duplicate cases (collector/cmd_review.c), and the
 * monthly report (collector/cmd_report.c). Each runs
 * on the store main.c opened (flag HH_CMD_NEEDS_STORE). */
#ifndef HH_COLLECTOR_COMMANDS_H
#define HH_COLLECTOR_COMMANDS_H

#include "cstore.h"
#include "sync/cli.h"

enum { HH_CMD_NEEDS_STORE = 1 };

/* The store of the running command (opened by main.c's prepare). */
hh_cstore *hh_collector_store(void);

/* NULL-terminated, in help order. */
extern const cli_cmd *const hh_review_commands[];

/* `hearthd report` (collector/cmd_report.c). */
extern const cli_cmd hh_cmd_report;

#endif
