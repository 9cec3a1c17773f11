/* agent/commands.h — the table entries of every `hearth` command. */
#ifndef HH_COMMANDS_H
#define HH_COMMANDS_H

#include "agent.h"

extern const cli_cmd hh_cmd_init, hh_cmd_household_add, hh_cmd_household_edit,
    hh_cmd_household_show, hh_cmd_household_list, hh_cmd_member_add, hh_cmd_member_edit, hh_cmd_member_remove,
    hh_cmd_visit_record, hh_cmd_visit_resume, hh_cmd_visit_list, hh_cmd_import, hh_cmd_export, hh_cmd_tiers,
    hh_cmd_outbox, hh_cmd_status, hh_cmd_version, hh_cmd_worklist, hh_cmd_enroll, hh_cmd_sync, hh_cmd_rescue, hh_cmd_backup, hh_cmd_lang,
    hh_cmd_pin_set, hh_cmd_unlock, hh_cmd_lock;

#endif
