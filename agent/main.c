/* agent/main.c — `hearth`, the field agent: its command table, its global
 * option --db, and opening the device database for the commands that need it.
 * The commands live in cmd_*.c; the order here is the order of `hearth --help`. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "sync/i18n.h"

typedef struct agent_state {
    char db_path[HH_PATH_MAX];
    hh_store *store;
} agent_state;

static agent_state state;

static const cli_cmd *const commands[] = {
    &hh_cmd_init,
    &hh_cmd_household_add, &hh_cmd_household_edit, &hh_cmd_household_show,
    &hh_cmd_household_list,
    &hh_cmd_member_add, &hh_cmd_member_edit, &hh_cmd_member_remove,
    &hh_cmd_visit_record, &hh_cmd_visit_resume, &hh_cmd_visit_list,
    &hh_cmd_import, &hh_cmd_export,
    &hh_cmd_enroll, &hh_cmd_sync,
    &hh_cmd_worklist, &hh_cmd_tiers, &hh_cmd_outbox, &hh_cmd_status, &hh_cmd_rescue, &hh_cmd_backup, &hh_cmd_version,
    &hh_cmd_lang, &hh_cmd_pin_set, &hh_cmd_unlock, &hh_cmd_lock, NULL
};

static const cli_opt globals[] = {
    { "db", "PATH", N_("device database (default: $HEARTH_DB, else $XDG_DATA_HOME/hearth/"
                    "device.db, else ~/.local/share/hearth/device.db)") },
    { NULL, NULL, NULL }
};

hh_store *agent_store(const cli *c)
{
    return ((agent_state *)c->app)->store;
}

const char *agent_db_path(const cli *c)
{
    return ((agent_state *)c->app)->db_path;
}

hh_err agent_in_transaction(hh_store *s, hh_err (*fn)(hh_store *, void *, hh_diag *),
                            void *arg, hh_diag *d)
{
    hh_err ret = hh_store_begin(s);

    if (ret != HH_OK)
        return hh_diag_fail(d, ret, "database", "cannot start a transaction (is it locked?)");
    ret = fn(s, arg, d);
    if (ret == HH_OK)
        ret = hh_store_commit(s);
    else
        hh_store_rollback(s);
    return ret;
}

static int prepare(cli *c)
{
    const char *db = cli_global(c, "db");
    hh_diag d;
    hh_err err;

    c->app = &state;
    if (db)
        memcpy(state.db_path, db, strlen(db) + 1);
    else if (hh_platform_default_db_path(state.db_path, sizeof state.db_path) != HH_OK)
        return cli_fail(HH_EUSAGE, NULL, "no database path: give --db PATH or set HEARTH_DB");
    if (c->cmd->flags & AGENT_NEEDS_STORE) {
        hh_diag_clear(&d);
        /* A sealed database opens with its key: the session's, or the PIN's. */
        if ((err = agent_unlock(state.db_path, 1, &d)) != HH_OK)
            return cli_fail(err, &d, "cannot open the device database");
        err = hh_store_open(state.db_path, &state.store, &d);
        if (err == HH_OK && (c->cmd->flags & AGENT_WRITES))
            err = hh_store_check(state.store, &d);
        if (err == HH_OK) {
            char lang[HH_LANG_MAX + 1];
            if (hh_store_lang(state.store, lang) == HH_OK && lang[0])
                hh_i18n_init("hearth", lang);   /* the device's setting, under $HEARTH_LANG */
        }
        if (err != HH_OK) {
            int rc = cli_fail(err, &d, "cannot open the device database");
            return err == HH_ENOTFOUND ? HH_EXIT_STORE : rc;   /* missing: as documented */
        }
    }
    return HH_EXIT_OK;
}

static void finish(cli *c)
{
    (void)c;
    if (hh_store_saw_full_disk(state.store))
        fprintf(stderr, _("hearth: the disk holding %s is full (%llu bytes free): nothing was written "
                        "and nothing stored before was lost; free some space and try again\n"),
                state.db_path, (unsigned long long)hh_platform_free_bytes(state.db_path));
    hh_store_close(state.store);
    state.store = NULL;
}

static const hh_cli_program program = {
    "hearth",
    N_("Hearth field agent: records household visits offline and computes each household's "
       "provisional warning tier (red / orange / yellow / green)."),
    commands, globals, prepare, finish, hh_version_string
};

int main(int argc, char **argv)
{
    hh_i18n_init("hearth", NULL);
    return hh_cli_main(&program, argc, argv);
}
