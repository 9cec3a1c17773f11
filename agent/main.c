/* agent/main.c — `hearth`, the field agent. The commands live in cmd_*.c; the
 * order here is the order `hearth --help` lists them in. */
#include "commands.h"

const cli_cmd *const hh_cli_commands[] = {
    &hh_cmd_init,
    &hh_cmd_household_add, &hh_cmd_household_edit, &hh_cmd_household_show,
    &hh_cmd_household_list,
    &hh_cmd_member_add, &hh_cmd_member_edit,
    &hh_cmd_visit_record, &hh_cmd_visit_list,
    &hh_cmd_import, &hh_cmd_export,
    &hh_cmd_tiers, &hh_cmd_outbox, &hh_cmd_status, &hh_cmd_version,
    NULL
};

int main(int argc, char **argv)
{
    return hh_cli_main(argc, argv);
}
