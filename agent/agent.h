/* agent/agent.h — what `hearth`'s commands share beyond the generic command
 * line (sync/cli.h): the device database each command works on. */
#ifndef HH_AGENT_H
#define HH_AGENT_H

#include "store.h"
#include "sync/cli.h"

/* cli_cmd.flags: the command needs the device database open; it writes to it
 * (the database is checked first, and never written when damaged). */
enum { AGENT_NEEDS_STORE = 1, AGENT_WRITES = 2 };

/* The open device database (commands with AGENT_NEEDS_STORE). */
hh_store *agent_store(const cli *c);

/* The device database path: --db, else the default (platform.h). */
const char *agent_db_path(const cli *c);

/* Run fn(s, arg, d) in one transaction: begin, fn, commit; roll back on error. */
hh_err agent_in_transaction(hh_store *s, hh_err (*fn)(hh_store *, void *, hh_diag *),
                            void *arg, hh_diag *d);

/* Make a sealed database at path openable (agent/cmd_keys.c): its key from
 * the session, else (may_ask, on a terminal) from the PIN typed now. HH_OK
 * too when it has no PIN; HH_EPERM when it is locked. */
hh_err agent_unlock(const char *path, int may_ask, hh_diag *d);

/* The collector revoked this device and told it to wipe (agent/cmd_keys.c):
 * its unsent changes are sealed for the collector's administrator into
 * DB.recovery, then the data key is destroyed (a plain database is deleted)
 * and the device's TLS key and certificate are removed. HH_EREVOKED with
 * message saying what was done; another error when it could not be. */
hh_err agent_wipe(cli *c, char *message, size_t cap);

/* Versions of Hearth and the libraries linked in, one line. */
const char *hh_version_string(void);

#endif
