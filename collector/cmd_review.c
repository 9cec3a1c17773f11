/* collector/cmd_review.c — `hearthd review …`, `hearthd user …` and
 * `hearthd duplicates`: the command line over the review service
 * (collector/review.h) and the accounts. Parsing and printing only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <argon2.h>

#include "commands.h"
#include "queues.h"
#include "review.h"
#include "model/validate.h"
#include "platform/platform.h"

/* ---- review actions --------------------------------------------------------------- */

static int cmd_review_act(cli *c)
{
    hh_review_request q = { 0 };
    hh_review_result r;
    hh_diag d;
    hh_err ret;
    char until[32];
    int64_t id = 0;

    q.act = (hh_review_action)hh_enum_parse(&hh_review_action_names, c->cmd->name + strlen("review "));
    q.account = cli_get(c, "as");
    q.household = c->args[0];
    q.note = cli_get(c, "note");
    q.consent_signed = cli_has(c, "consent-signed");
    q.measure = cli_get(c, "measure");
    q.responsible = cli_get(c, "responsible");
    q.due_on = cli_get(c, "due");
    if (!q.account)
        return cli_usage(c, "name the account acting: --as NAME");
    hh_diag_clear(&d);
    if (cli_get(c, "measure-id") &&
        (ret = cli_parse_int("--measure-id", cli_get(c, "measure-id"), 1, INT64_MAX, &id, &d)) != HH_OK)
        return cli_fail(ret, &d, "%s refused", c->cmd->name);
    q.measure_id = id;
    ret = hh_review_act(hh_collector_store(), &q, hh_platform_wall_ms(), &r, &d);
    if (ret != HH_OK)
        return cli_fail(ret, &d, "%s %s refused; nothing changed", c->cmd->name, q.household);
    printf("%s: %s -> %s (%s), case %lld\n", r.household_id,
           hh_enum_name(&hh_review_state_names, (int)r.from), hh_enum_name(&hh_review_state_names, (int)r.to),
           hh_review_state_zh(r.to), (long long)r.case_id);
    if (r.notice_until_ms) {
        hh_platform_format_ms(r.notice_until_ms, until, sizeof until);
        printf("public notice (公示) until %s: no ID, phone, bank or health data in it\n", until);
    }
    if (r.category)
        printf("监测对象: %s\n", hh_enum_name(&hh_category_names, (int)r.category));
    if (r.measure_id)
        printf("measure %lld\n", (long long)r.measure_id);
    return HH_EXIT_OK;
}

/* ---- history and worklist ---------------------------------------------------------- */

static int print_step(void *ctx, const void *row)
{
    const hh_step *p = row;
    char at[32], note[HH_NOTE_MAX + 1];
    int json = *(int *)ctx;

    hh_platform_format_ms(p->at_ms, at, sizeof at);
    if (json) {
        printf("{\"kind\": \"step\", \"case\": %lld, \"at\": \"%s\", \"account\": ", (long long)p->case_id, at);
        cli_json_string(stdout, p->account);
        printf(", \"action\": \"%s\", \"from\": \"%s\", \"to\": \"%s\", \"note\": ", p->action, p->from, p->to);
        cli_json_string(stdout, p->note);
        printf("}\n");
    } else {
        printf("%s  case %-4lld %-16s %-14s %s -> %s  %s\n", at, (long long)p->case_id, p->account,
               p->action, p->from, p->to, cli_printable(p->note, note, sizeof note));
    }
    return 0;
}

static int print_measure(void *ctx, const void *row)
{
    const hh_measure *m = row;
    char responsible[HH_RESPONSIBLE_MAX * 2 + 1];
    int json = *(int *)ctx;

    if (json) {
        printf("{\"kind\": \"measure\", \"id\": %lld, \"case\": %lld, \"measure\": \"%s\", \"responsible\": ",
               (long long)m->id, (long long)m->case_id, m->measure);
        cli_json_string(stdout, m->responsible);
        printf(", \"due_on\": \"%s\", \"open\": %s}\n", m->due_on, m->closed_ms ? "false" : "true");
    } else {
        printf("measure %-4lld %-22s %-16s due %s  %s\n", (long long)m->id, m->measure,
               cli_printable(m->responsible, responsible, sizeof responsible), m->due_on,
               m->closed_ms ? "closed" : "open");
    }
    return 0;
}

static int cmd_review_history(cli *c)
{
    hh_cstore *s = hh_collector_store();
    hh_household *h = malloc(sizeof *h);
    hh_review_state state;
    uint64_t since;
    int json = cli_has(c, "json");
    hh_err ret;

    if (!h)
        return cli_fail(HH_ENOMEM, NULL, "cannot read the history");
    ret = hh_rstore_household_find(s, c->args[0], h);
    if (ret == HH_OK && (ret = hh_rstore_review_state(s, h->id, &state, &since)) == HH_OK) {
        uint32_t suggested = 0;
        if (!json) {
            printf("%s  village %s  %s (%s)\n", h->id, h->village_code,
                   hh_enum_name(&hh_review_state_names, (int)state), hh_review_state_zh(state));
            if (hh_cstore_begin_read(s) == HH_OK) {   /* the rulebook in force */
                if (hh_review_suggested(s, h->id, &suggested) == HH_OK && suggested) {
                    printf("suggested measures:");
                    for (int i = 0; i < hh_cstore_rules(s)->measure_count; i++)
                        if (suggested & (1u << i))
                            printf(" %s", hh_cstore_rules(s)->measures[i]);
                    printf("\n");
                }
                hh_cstore_rollback(s);
            }
        }
        if ((ret = hh_rstore_each_step(s, h->id, print_step, &json)) == HH_OK)
            ret = hh_rstore_each_measure(s, h->id, 0, print_measure, &json);
    }
    free(h);
    if (ret == HH_ENOTFOUND)
        return cli_fail(ret, NULL, "no household '%s' with a tier", c->args[0]);
    if (ret == HH_ECONFLICT)
        return cli_fail(ret, NULL, "registry number %s is on several households: give the id", c->args[0]);
    return ret == HH_OK ? HH_EXIT_OK : cli_fail(ret, NULL, "cannot read the history");
}

typedef struct work_print {
    int json, overdue_only;
    uint64_t now_ms;
    const hh_rulebook *rules;
    int shown;
} work_print;

static int print_work(void *ctx, const void *row)
{
    const hh_work *w = row;
    work_print *p = ctx;
    uint64_t due = hh_review_due_ms(p->rules, w->state, w->tier, w->since_ms, w->case_opened_ms);
    int late = due && due < p->now_ms;
    char due_text[32] = "-";

    if (p->overdue_only && !late && !w->overdue_measures)
        return 0;
    if (due)
        hh_platform_format_ms(due, due_text, sizeof due_text);
    p->shown++;
    if (p->json) {
        printf("{\"registry_no\": \"%s\", \"id\": \"%s\", \"village_code\": \"%s\", \"tier\": \"%s\","
               " \"review\": \"%s\", \"step_due\": %s%s%s, \"step_overdue\": %s, \"open_measures\": %d,"
               " \"overdue_measures\": %d}\n", w->registry_no, w->household_id, w->village_code,
               hh_enum_name(&hh_tier_names, (int)w->tier), hh_enum_name(&hh_review_state_names, (int)w->state),
               due ? "\"" : "", due ? due_text : "null", due ? "\"" : "", late ? "true" : "false",
               w->open_measures, w->overdue_measures);
    } else {
        /* 80 columns: the village is the registry number's first 12 digits. */
        printf("%-6s %-16.36s %-25s %-10.10s %-7s %d/%d\n", hh_enum_name(&hh_tier_names, (int)w->tier),
               w->registry_no[0] ? w->registry_no : w->household_id,
               hh_enum_name(&hh_review_state_names, (int)w->state), due_text, late ? "OVERDUE" : "",
               w->open_measures, w->overdue_measures);
    }
    return 0;
}

static int cmd_review_list(cli *c)
{
    hh_cstore *s = hh_collector_store();
    work_print p = { cli_has(c, "json"), cli_has(c, "overdue"), hh_platform_wall_ms(), NULL, 0 };
    const char *village;
    char today[HH_DATE_LEN + 1];
    int state = 0, rc;
    hh_diag d;
    hh_err ret;

    hh_diag_clear(&d);
    if ((rc = cli_village(c, &village)) != HH_EXIT_OK)
        return rc;
    if (cli_get(c, "state") &&
        (ret = cli_parse_enum("--state", cli_get(c, "state"), &hh_review_state_names, &state, &d)) != HH_OK)
        return cli_fail(ret, &d, "review list refused");
    if ((ret = hh_platform_today(today)) != HH_OK || (ret = hh_cstore_begin_read(s)) != HH_OK)
        return cli_fail(ret, NULL, "cannot read the worklist");
    p.rules = hh_cstore_rules(s);
    if (!p.json)
        printf("%-6s %-16s %-25s %-10s %-7s %s\n", "TIER", "HOUSEHOLD", "REVIEW", "STEP DUE", "",
               "MEASURES");
    ret = hh_rstore_each_work(s, (hh_review_state)state, village, cli_has(c, "all"), today, print_work, &p);
    hh_cstore_rollback(s);
    return ret == HH_OK ? HH_EXIT_OK : cli_fail(ret, NULL, "cannot read the worklist");
}

/* ---- accounts ------------------------------------------------------------------ */

#define ARGON2_T 3
#define ARGON2_M_KIB (64 * 1024)
#define PASSWORD_MIN 10
#define PASSWORD_MAX 128

/* A password from standard input (its first line) or, on a terminal, typed
 * twice without echo. */
static hh_err read_password(int from_stdin, char out[PASSWORD_MAX + 2], hh_diag *d)
{
    return cli_read_secret("password", "--password-stdin", from_stdin, 1, out, PASSWORD_MAX + 2,
                           PASSWORD_MIN, d);
}

/* Argon2id of password with a fresh salt, encoded ($argon2id$v=19$…). */
static hh_err hash_password(const char *password, char out[HH_PASSWORD_HASH_MAX + 1], hh_diag *d)
{
    unsigned char salt[16];

    if (hh_platform_random(salt, sizeof salt) != HH_OK)
        return hh_diag_fail(d, HH_EIO, "password", "no randomness for the salt");
    if (argon2id_hash_encoded(ARGON2_T, ARGON2_M_KIB, 1, password, strlen(password), salt, sizeof salt,
                              32, out, HH_PASSWORD_HASH_MAX + 1) != ARGON2_OK)
        return hh_diag_fail(d, HH_ENOMEM, "password", "cannot hash the password");
    return HH_OK;
}

static int cmd_user_add(cli *c)
{
    hh_cstore *s = hh_collector_store();
    char password[PASSWORD_MAX + 2];
    hh_account a;
    int role = 0, level = 0;
    static const char *const role_list[] = { "reviewer", "admin" };
    static const hh_enum_names roles = { "role", role_list, 2 };
    hh_diag d;
    hh_err ret;

    memset(&a, 0, sizeof a);
    hh_diag_clear(&d);
    if (!cli_get(c, "role") || !cli_get(c, "level") || !cli_get(c, "villages"))
        return cli_usage(c, "--role, --level and --villages are required");
    if ((ret = cli_copy("NAME", c->args[0], a.name, sizeof a.name, &d)) != HH_OK ||
        strspn(a.name, "abcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(a.name))
        return cli_fail(HH_EINVAL, &d, "NAME must be 1-%d of a-z, 0-9, '.', '_' and '-'", HH_ACCOUNT_NAME_MAX);
    if ((ret = cli_parse_enum("--role", cli_get(c, "role"), &roles, &role, &d)) != HH_OK ||
        (ret = cli_parse_enum("--level", cli_get(c, "level"), &hh_level_names, &level, &d)) != HH_OK ||
        (ret = hh_scope_parse("--villages", cli_get(c, "villages"), a.scope, &d)) != HH_OK ||
        (ret = read_password(cli_has(c, "password-stdin"), password, &d)) != HH_OK ||
        (ret = hash_password(password, a.password, &d)) != HH_OK)
        return cli_fail(ret, &d, "user add refused");
    memset(password, 0, sizeof password);
    snprintf(a.role, sizeof a.role, "%s", role_list[role - 1]);
    a.level = (hh_level)level;
    a.created_ms = hh_platform_wall_ms();
    if ((ret = hh_cstore_begin(s)) == HH_OK) {
        char detail[HH_ACCOUNT_SCOPE_MAX + 64];
        snprintf(detail, sizeof detail, "account %s added: %s, %s level, %s", a.name, a.role,
                 hh_enum_name(&hh_level_names, level), a.scope);
        if ((ret = hh_rstore_account_add(s, &a)) == HH_OK &&
            (ret = hh_rstore_audit(s, "account", a.name, detail)) == HH_OK)
            ret = hh_cstore_commit(s);
        else
            hh_cstore_rollback(s);
    }
    if (ret == HH_EEXIST)
        return cli_fail(ret, NULL, "an account '%s' exists already", a.name);
    if (ret != HH_OK)
        return cli_fail(ret, NULL, "cannot add account '%s'", a.name);
    printf("account %s: %s, %s level, villages %s\n", a.name, a.role, hh_enum_name(&hh_level_names, level),
           a.scope);
    return HH_EXIT_OK;
}

static int print_account(void *ctx, const void *row)
{
    const hh_account *a = row;
    if (*(int *)ctx)
        printf("{\"name\": \"%s\", \"role\": \"%s\", \"level\": \"%s\", \"villages\": \"%s\", \"disabled\": %s}\n",
               a->name, a->role, hh_enum_name(&hh_level_names, (int)a->level), a->scope,
               a->disabled_ms ? "true" : "false");
    else
        printf("%-20s  %-8s  %-8s  %-8s  %s\n", a->name, a->role, hh_enum_name(&hh_level_names, (int)a->level),
               a->disabled_ms ? "disabled" : "active", a->scope);
    return 0;
}

static int cmd_user_list(cli *c)
{
    int json = cli_has(c, "json");
    hh_err ret;

    if (!json)
        printf("%-20s  %-8s  %-8s  %-8s  %s\n", "NAME", "ROLE", "LEVEL", "STATE", "VILLAGES");
    ret = hh_rstore_each_account(hh_collector_store(), print_account, &json);
    return ret == HH_OK ? HH_EXIT_OK : cli_fail(ret, NULL, "cannot read the accounts");
}

/* Change one account in a transaction with its audit line. */
static int account_change(cli *c, const char *hash)
{
    hh_cstore *s = hh_collector_store();
    const char *name = c->args[0];
    char detail[96];
    hh_err ret = hh_cstore_begin(s);

    snprintf(detail, sizeof detail, "account %.32s %s", name, hash ? "password changed" : "disabled");
    if (ret == HH_OK) {
        ret = hash ? hh_rstore_account_password(s, name, hash)
                   : hh_rstore_account_disable(s, name, hh_platform_wall_ms());
        if (ret == HH_OK && (ret = hh_rstore_audit(s, "account", name, detail)) == HH_OK)
            ret = hh_cstore_commit(s);
        else
            hh_cstore_rollback(s);
    }
    if (ret == HH_ENOTFOUND)
        return cli_fail(ret, NULL, "no %saccount '%s'", hash ? "" : "active ", name);
    if (ret != HH_OK)
        return cli_fail(ret, NULL, "cannot change account '%s'", name);
    printf("%s\n", detail);
    return HH_EXIT_OK;
}

static int cmd_user_disable(cli *c)
{
    return account_change(c, NULL);
}

static int cmd_user_passwd(cli *c)
{
    char password[PASSWORD_MAX + 2], hash[HH_PASSWORD_HASH_MAX + 1];
    hh_diag d;
    hh_err ret;

    hh_diag_clear(&d);
    if ((ret = read_password(cli_has(c, "password-stdin"), password, &d)) != HH_OK ||
        (ret = hash_password(password, hash, &d)) != HH_OK)
        return cli_fail(ret, &d, "user passwd refused");
    memset(password, 0, sizeof password);
    return account_change(c, hash);
}

/* ---- duplicate cases ------------------------------------------------------------------ */

static int print_duplicate(void *ctx, const void *row)
{
    const hh_duplicate *k = row;
    char name_a[HH_NAME_MAX * 2 + 1], name_b[HH_NAME_MAX * 2 + 1];

    if (*(int *)ctx) {
        printf("{\"id\": %lld, \"kind\": \"%s\", \"a\": {\"household\": \"%s\", \"registry_no\": \"%s\","
               " \"village_code\": \"%s\", \"member\": \"%s\", \"name\": ", (long long)k->id, k->kind,
               k->household_a, k->registry_a, k->village_a, k->member_a);
        cli_json_string(stdout, k->name_a);
        printf("}, \"b\": {\"household\": \"%s\", \"registry_no\": \"%s\", \"village_code\": \"%s\","
               " \"member\": \"%s\", \"name\": ", k->household_b, k->registry_b, k->village_b, k->member_b);
        cli_json_string(stdout, k->name_b);
        printf("}, \"detail\": \"%s\", \"resolved\": %s%s%s}\n", k->detail, k->resolved_ms ? "\"" : "",
               k->resolved_ms ? k->resolution : "null", k->resolved_ms ? "\"" : "");
        return 0;
    }
    printf("%-4lld %-12s %s\n", (long long)k->id, k->kind, k->detail);
    printf("     a: %s  %s %s%s%s\n", k->village_a, k->registry_a[0] ? k->registry_a : k->household_a,
           k->member_a[0] ? k->member_a : "", k->name_a[0] ? " " : "",
           cli_printable(k->name_a, name_a, sizeof name_a));
    if (strcmp(k->kind, "id_mismatch") != 0)
        printf("     b: %s  %s %s%s%s\n", k->village_b, k->registry_b[0] ? k->registry_b : k->household_b,
               k->member_b[0] ? k->member_b : "", k->name_b[0] ? " " : "",
               cli_printable(k->name_b, name_b, sizeof name_b));
    if (k->resolved_ms)
        printf("     resolved: %s by %s\n", k->resolution, k->account);
    return 0;
}

static int cmd_duplicates(cli *c)
{
    int json = cli_has(c, "json");
    hh_err ret = hh_rstore_each_duplicate(hh_collector_store(), !cli_has(c, "all"), print_duplicate, &json);

    return ret == HH_OK ? HH_EXIT_OK : cli_fail(ret, NULL, "cannot read the duplicate cases");
}

/* A command acting on case N (args[0]) as an account: HH_EXIT_OK with *id,
 * else the exit status after the message. */
static int acting_on(cli *c, int64_t *id)
{
    hh_diag d;
    hh_err ret;

    hh_diag_clear(&d);
    if (!cli_get(c, "as"))
        return cli_usage(c, "name the account acting: --as NAME");
    if ((ret = cli_parse_int("N", c->args[0], 1, INT64_MAX, id, &d)) != HH_OK)
        return cli_fail(ret, &d, "%s refused", c->cmd->name);
    return HH_EXIT_OK;
}

static int cmd_duplicates_resolve(cli *c)
{
    hh_dup_request q = { 0 };
    int64_t id;
    hh_diag d;
    hh_err ret;
    int rc, ways = cli_has(c, "keep-both") + (cli_get(c, "move") != NULL) + cli_has(c, "merge");

    hh_diag_clear(&d);
    if (ways != 1)
        return cli_usage(c, "give exactly one of --keep-both, --move MEMBER --into HOUSEHOLD and "
                            "--merge --into HOUSEHOLD");
    if ((rc = acting_on(c, &id)) != HH_EXIT_OK)
        return rc;
    q.id = id;
    q.act = cli_has(c, "keep-both") ? HH_DUP_KEEP_BOTH : cli_has(c, "merge") ? HH_DUP_MERGE : HH_DUP_MOVE;
    q.account = cli_get(c, "as");
    q.note = cli_get(c, "note");
    q.member = cli_get(c, "move");
    q.into = cli_get(c, "into");
    if ((ret = hh_dupes_resolve(hh_collector_store(), &q, hh_platform_wall_ms(), &d)) != HH_OK)
        return cli_fail(ret, &d, "duplicate case %s not resolved; nothing changed", c->args[0]);
    printf("duplicate case %lld resolved; devices get the households on their next sync\n", (long long)id);
    return HH_EXIT_OK;
}

static int cmd_conflicts_resolve(cli *c)
{
    hh_conflict_request q = { 0 };
    int64_t id;
    hh_diag d;
    hh_err ret;
    int rc;

    hh_diag_clear(&d);
    if ((rc = acting_on(c, &id)) != HH_EXIT_OK)
        return rc;
    q.id = id;
    q.account = cli_get(c, "as");
    q.note = cli_get(c, "note");
    q.keep = cli_get(c, "keep");
    q.value = cli_get(c, "value");
    if ((ret = hh_conflicts_resolve(hh_collector_store(), &q, hh_platform_wall_ms(), &d)) != HH_OK)
        return cli_fail(ret, &d, "conflict %s not resolved; nothing changed", c->args[0]);
    printf("conflict %lld resolved; every device gets the decision on its next sync\n", (long long)id);
    return HH_EXIT_OK;
}

static int cmd_quarantine_decide(cli *c)
{
    hh_quarantine_request q = { 0 };
    int64_t seq;
    hh_diag d;
    hh_err ret;

    hh_diag_clear(&d);
    if (!cli_get(c, "as"))
        return cli_usage(c, "name the account acting: --as NAME");
    if ((ret = hh_validate_uuid(c->args[0], &d)) != HH_OK ||
        (ret = cli_parse_int("SEQ", c->args[1], 1, INT64_MAX, &seq, &d)) != HH_OK)
        return cli_fail(ret, &d, "%s refused", c->cmd->name);
    q.device_id = c->args[0];
    q.seq = (uint64_t)seq;
    q.accept = strcmp(c->cmd->name, "quarantine accept") == 0;
    q.account = cli_get(c, "as");
    q.note = cli_get(c, "note");
    if ((ret = hh_quarantine_decide(hh_collector_store(), &q, hh_platform_wall_ms(), &d)) != HH_OK)
        return cli_fail(ret, &d, "refused change %s of %s not %s; nothing changed", c->args[1], c->args[0],
                        q.accept ? "accepted" : "discarded");
    printf("refused change %s of device %s %s; the device learns it on its next sync\n", c->args[1],
           c->args[0], q.accept ? "accepted and applied" : "discarded");
    return HH_EXIT_OK;
}

/* ---- the commands ------------------------------------------------------------------ */

#define ACT_OPTS \
    { "as", "NAME", "the account acting (hearthd user add)", 0 }, \
    { "note", "TEXT", "why: kept with the step (not in the audit log); no ID or phone numbers", 0 }

static const cli_opt act_opts[] = { ACT_OPTS, { NULL, NULL, NULL, 0 } };
static const cli_opt verify_opts[] = {
    ACT_OPTS,
    { "consent-signed", NULL, "the household signed its consent and authorisation (承诺授权书)", 0 },
    { NULL, NULL, NULL, 0 }
};
static const cli_opt intervene_opts[] = {
    ACT_OPTS,
    { "measure", "CODE", "one of the rulebook's measures (帮扶措施)", 0 },
    { "responsible", "NAME", "the person responsible (帮扶责任人)", 0 },
    { "due", "DATE", "when it is due, YYYY-MM-DD", 0 },
    { NULL, NULL, NULL, 0 }
};
static const cli_opt measure_opts[] = {
    ACT_OPTS,
    { "measure-id", "N", "the measure (its number in `review history`)", 0 },
    { NULL, NULL, NULL, 0 }
};
static const cli_opt json_opts[] = { { "json", NULL, "print JSON Lines", 0 }, { NULL, NULL, NULL, 0 } };
static const cli_opt list_opts[] = {
    { "state", "STATE", "only households in this review state", 0 },
    { "village", "CODE", "only this village", 0 },
    { "overdue", NULL, "only households whose next step or a measure is overdue", 0 },
    { "all", NULL, "every household with a tier, not only open warnings", 0 },
    { "json", NULL, "print JSON Lines", 0 },
    { NULL, NULL, NULL, 0 }
};
static const cli_opt user_add_opts[] = {
    { "role", "ROLE", "reviewer | admin", 0 },
    { "level", "LEVEL", "village | township | county: the approvals it may give", 0 },
    { "villages", "CODES", "codes it may act on: county (6 digits), township (9) or village (12)", 0 },
    { "password-stdin", NULL, "read the password from standard input, not the terminal", 0 },
    { NULL, NULL, NULL, 0 }
};
static const cli_opt passwd_opts[] = {
    { "password-stdin", NULL, "read the password from standard input, not the terminal", 0 },
    { NULL, NULL, NULL, 0 }
};
static const cli_opt no_opts[] = { { NULL, NULL, NULL, 0 } };
static const cli_opt conflict_resolve_opts[] = {
    ACT_OPTS,
    { "keep", "mine|theirs", "mine: the value shown now; theirs: the other device's", 0 },
    { "value", "V", "a third value instead (as `hearthd conflicts` prints values)", 0 },
    { NULL, NULL, NULL, 0 }
};
static const cli_opt dup_opts[] = {
    { "all", NULL, "resolved cases too", 0 },
    { "json", NULL, "print JSON Lines", 0 },
    { NULL, NULL, NULL, 0 }
};
static const cli_opt dup_resolve_opts[] = {
    ACT_OPTS,
    { "keep-both", NULL, "both records are right (say why in --note)", 0 },
    { "move", "MEMBER", "move this member record to --into", 0 },
    { "merge", NULL, "merge the two households into --into: every visit and person kept", 0 },
    { "into", "HOUSEHOLD", "the household that stays (id or registry number)", 0 },
    { NULL, NULL, NULL, 0 }
};

#define ACT(var, name, summary, opts) \
    static const cli_cmd var = { "review " name, "HOUSEHOLD", summary, 1, 1, opts, cmd_review_act, \
                                 HH_CMD_NEEDS_STORE }
ACT(c_verify, "verify", "Home check done (入户核实): the warning is verified.", verify_opts);
ACT(c_dismiss, "dismiss", "The warning is a data error: dismiss it.", act_opts);
ACT(c_village, "village", "Village appraisal (村级评议); opens the public notice.", act_opts);
ACT(c_township, "township", "Township review (乡镇审核), once the notice has run.", act_opts);
ACT(c_county, "county", "County approval (县级审批): monitored, or released.", act_opts);
ACT(c_propose, "propose-release", "Propose risk elimination (风险消除) if its criteria hold.", act_opts);
ACT(c_reopen, "reopen", "Reverse a release or a dismissal (风险消除回退).", act_opts);
ACT(c_intervene, "intervene", "Record a measure (帮扶措施) with who and when.", intervene_opts);
ACT(c_track, "track", "Note progress on a measure.", measure_opts);
ACT(c_close, "close-measure", "Close a measure.", measure_opts);
static const cli_cmd c_history = { "review history", "HOUSEHOLD", "Every step and measure of a household.",
                                   1, 1, json_opts, cmd_review_history, HH_CMD_NEEDS_STORE };
static const cli_cmd c_list = { "review list", "", "The review worklist: open warnings, steps due, measures.",
                                0, 0, list_opts, cmd_review_list, HH_CMD_NEEDS_STORE };
static const cli_cmd c_user_add = { "user add", "NAME", "Add a reviewer or admin account.",
                                    1, 1, user_add_opts, cmd_user_add, HH_CMD_NEEDS_STORE };
static const cli_cmd c_user_list = { "user list", "", "List the accounts.",
                                     0, 0, json_opts, cmd_user_list, HH_CMD_NEEDS_STORE };
static const cli_cmd c_user_disable = { "user disable", "NAME", "Disable an account.",
                                        1, 1, no_opts, cmd_user_disable, HH_CMD_NEEDS_STORE };
static const cli_cmd c_user_passwd = { "user passwd", "NAME", "Set an account's password.",
                                       1, 1, passwd_opts, cmd_user_passwd, HH_CMD_NEEDS_STORE };

static const cli_cmd c_duplicates = { "duplicates", "", "Duplicate cases (数据比对) waiting for a reviewer.",
                                      0, 0, dup_opts, cmd_duplicates, HH_CMD_NEEDS_STORE };
static const cli_cmd c_dup_resolve = { "duplicates resolve", "N", "Resolve duplicate case N.",
                                       1, 1, dup_resolve_opts, cmd_duplicates_resolve, HH_CMD_NEEDS_STORE };

static const cli_cmd c_conflict_resolve = { "conflicts resolve", "N",
                                            "Decide conflict N: the decision reaches every device.",
                                            1, 1, conflict_resolve_opts, cmd_conflicts_resolve,
                                            HH_CMD_NEEDS_STORE };

static const cli_cmd c_q_accept = { "quarantine accept", "DEVICE SEQ",
                                    "Apply a refused change now that its cause is fixed.",
                                    2, 2, act_opts, cmd_quarantine_decide, HH_CMD_NEEDS_STORE };
static const cli_cmd c_q_discard = { "quarantine discard", "DEVICE SEQ",
                                     "Drop a refused change (the device keeps the officer's record).",
                                     2, 2, act_opts, cmd_quarantine_decide, HH_CMD_NEEDS_STORE };

const cli_cmd *const hh_review_commands[] = {
    &c_verify, &c_dismiss, &c_village, &c_township, &c_county, &c_propose, &c_reopen,
    &c_intervene, &c_track, &c_close, &c_history, &c_list,
    &c_user_add, &c_user_list, &c_user_disable, &c_user_passwd, &c_duplicates, &c_dup_resolve,
    &c_conflict_resolve, &c_q_accept, &c_q_discard, &hh_cmd_report, NULL
};
