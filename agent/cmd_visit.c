/* agent/cmd_visit.c — `hearth visit record` and `hearth visit list`.
 *
 * A visit can be given entirely as options (scripts, tests), or, when standard
 * input is a terminal, the officer is asked for every value no option gave, with
 * the default in brackets; a value that fails its check is asked for again. The
 * visit and its outbox row are written, and the tier recomputed, in one
 * transaction. */
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "commands.h"
#include "form.h"
#include "sync/present.h"
#include "sync/i18n.h"
#include "sync/records.h"
#include "model/exchange.h"
#include "model/validate.h"

static hh_err parse_money(const char *option, const char *text, void *out, hh_diag *d)
{
    return cli_parse_money(option, text, out, d);
}

static hh_err size_in(const char *option, const char *text, int min, void *out, hh_diag *d)
{
    int64_t n;
    hh_err ret = cli_parse_int(option, text, min, HH_HOUSEHOLD_SIZE_MAX, &n, d);

    if (ret == HH_OK)
        *(int *)out = (int)n;
    return ret;
}

/* 0 counts the members recorded. */
static hh_err parse_size(const char *option, const char *text, void *out, hh_diag *d)
{
    return size_in(option, text, 0, out, d);
}

/* A household with no members recorded: the size must be said. */
static hh_err parse_size_needed(const char *option, const char *text, void *out, hh_diag *d)
{
    return size_in(option, text, 1, out, d);
}

static hh_err parse_date(const char *option, const char *text, void *out, hh_diag *d)
{
    hh_err ret = hh_validate_date(text, d);

    if (ret != HH_OK)
        return hh_diag_fail(d, ret, option, "must be a real date YYYY-MM-DD");
    if ((ret = hh_records_visit_date_ok(text, d)) != HH_OK) {
        if (d)
            snprintf(d->field, sizeof d->field, "%s", option);
        return ret;
    }
    memcpy(out, text, HH_DATE_LEN + 1);
    return HH_OK;
}

static hh_err parse_officer(const char *option, const char *text, void *out, hh_diag *d)
{
    hh_err ret = cli_copy(option, text, out, HH_OFFICER_MAX + 1, d);

    if (ret == HH_OK && text[0] == '\0')
        ret = hh_diag_fail(d, HH_EINVAL, option, "must not be empty");
    if (ret == HH_OK)
        ret = hh_validate_text(option, text, HH_OFFICER_MAX, 0, d);
    return ret;
}

static hh_err parse_notes(const char *option, const char *text, void *out, hh_diag *d)
{
    hh_err ret = cli_copy(option, text, out, HH_NOTES_MAX + 1, d);

    return ret == HH_OK ? hh_validate_text(option, text, HH_NOTES_MAX, 1, d) : ret;
}

static hh_err parse_shocks(const char *option, const char *text, void *out, hh_diag *d)
{
    if (strcmp(text, "none") == 0 || strcmp(text, "无") == 0 || text[0] == '\0') {
        *(uint32_t *)out = 0;
        return HH_OK;
    }
    return cli_parse_set(option, text, &hh_shock_names, out, d);
}

/* --failed lists the guarantees NOT met; out is the set of those met. */
static hh_err parse_failed(const char *option, const char *text, void *out, hh_diag *d)
{
    uint32_t failed = 0;
    hh_err ret = HH_OK;

    if (strcmp(text, "none") != 0 && strcmp(text, "无") != 0 && text[0] != '\0')
        ret = cli_parse_set(option, text, &hh_guarantee_names, &failed, d);
    if (ret == HH_OK)
        *(uint32_t *)out = HH_GUARANTEES_ALL & ~failed;
    return ret;
}

static hh_err parse_degrees(const char *option, const char *text, double limit, int32_t *out,
                            hh_diag *d)
{
    char *end;
    double x = strtod(text, &end);

    if (end == text || *end != '\0' || x < -limit || x > limit)
        return hh_diag_fail(d, HH_EINVAL, option, "must be decimal degrees in -%g..%g", limit, limit);
    *out = (int32_t)(x * 1e6 + (x < 0 ? -0.5 : 0.5));
    return HH_OK;
}

static hh_err parse_member_enum(const char *option, const char *text, const hh_enum_names *e,
                                void *out, hh_diag *d)
{
    int v;
    hh_err ret = cli_parse_enum(option, text, e, &v, d);

    if (ret == HH_OK)
        *(int *)out = v;
    return ret;
}

static hh_err parse_employment(const char *option, const char *text, void *out, hh_diag *d)
{
    return parse_member_enum(option, text, &hh_employment_names, out, d);
}

static hh_err parse_school(const char *option, const char *text, void *out, hh_diag *d)
{
    return parse_member_enum(option, text, &hh_school_names, out, d);
}

/* Ages for the form's skip logic: employment is asked of working-age members
 * of relocated households, school of the compulsory-education age. */
#define WORK_AGE_MIN 16
#define WORK_AGE_MAX 64
#define SCHOOL_AGE_MIN 6
#define SCHOOL_AGE_MAX 15

typedef struct visit_form {
    form f;
    hh_store *store;
    hh_household *h;            /* as stored */
    hh_member members[HH_MEMBERS_MAX];   /* as the form changes them */
    hh_visit v;
    hh_draft draft;
    int year;
} visit_form;

/* A set of e's values as an answer: "因病、因灾" / "illness,disaster"; none. */
static void set_text(uint32_t bits, const hh_enum_names *e, char *out, size_t cap)
{
    out[0] = '\0';
    for (int v = 1; v <= e->count; v++)
        if (bits & (1u << v))
            snprintf(out + strlen(out), cap - strlen(out), "%s%s",
                     out[0] ? (hh_i18n_zh() ? "、" : ",") : "", hh_i18n_enum(e, v));
    if (!out[0])
        snprintf(out, cap, "%s", hh_i18n_zh() ? "无" : "none");
}

/* The guarantees the members' records already say are not met: a school-age
 * member out of school (compulsory education), a member without medical
 * insurance (basic medical care). Proposed; the officer confirms. */
static void derive_failed(void *ctx, form_item *it)
{
    visit_form *vf = ctx;
    uint32_t failed = 0;

    for (int i = 0; i < vf->h->member_count; i++) {
        const hh_member *m = &vf->members[i];
        int age = vf->year - m->birth_year;
        if (age >= SCHOOL_AGE_MIN && age <= SCHOOL_AGE_MAX && m->school != HH_SCHOOL_ENROLLED)
            failed |= 1u << HH_GUARANTEE_EDUCATION;
        if (!m->medical_insurance)
            failed |= 1u << HH_GUARANTEE_MEDICAL;
    }
    set_text(failed, &hh_guarantee_names, it->def, sizeof it->def);
}

static hh_err save_draft(void *ctx, const form *f)
{
    visit_form *vf = ctx;

    form_draft_text(f, vf->draft.answers, sizeof vf->draft.answers);
    vf->draft.step = f->step;
    memcpy(vf->draft.household_id, vf->h->id, sizeof vf->draft.household_id);
    return hh_store_draft_put(vf->store, &vf->draft);
}

static void money_defaults(const hh_visit *old, int interactive, char defs[7][24])
{
    const int64_t *values[7] = {
        &old->income.wages_yuan, &old->income.operating_yuan, &old->income.property_yuan,
        &old->income.transfer_yuan, &old->expenditure.medical_yuan,
        &old->expenditure.education_yuan, &old->expenditure.disaster_yuan };

    for (int i = 0; i < 7; i++)
        snprintf(defs[i], 24, "%lld", (long long)*values[i]);
    if (!interactive && !old->id[0])   /* scripts must give every income */
        for (int i = 0; i < 4; i++)
            defs[i][0] = '\0';
}

/* A question about one member's enumerated field, keyed "field.<member id>";
 * the answer updates the member with the visit. */
static void member_question(form *f, const char *field, const char *prompt_fmt, const hh_member *m,
                            const hh_enum_names *e, int *value, form_parse_fn parse)
{
    char key[FORM_KEY_MAX], prompt[200], name[HH_NAME_MAX + 1];
    form_item *it;

    snprintf(key, sizeof key, "%s.%s", field, m->id);
    snprintf(prompt, sizeof prompt, prompt_fmt, cli_printable(m->name, name, sizeof name));
    if ((it = form_add(f, key, prompt, hh_i18n_enum(e, *value), 1, parse, value)))
        it->choices = e;
}

/* The questions, in order, with their defaults: today, the officer, the
 * values of the visit corrected (`old`, zeroed when none). */
static hh_err build_form(visit_form *vf, const cli *c, const hh_visit *old, hh_diag *d)
{
    static const char *const money_keys[7] = {
        "wages", "operating", "property", "transfer", "medical", "education", "disaster" };
    const char *money_prompts[7] = {
        _("Income: wages, yuan/year"), _("Income: net operating"), _("Income: property"),
        _("Income: transfers"), _("Spending: medical, own share"), _("Spending: education"),
        _("Disaster losses") };
    int64_t *money_out[7] = {
        &vf->v.income.wages_yuan, &vf->v.income.operating_yuan, &vf->v.income.property_yuan,
        &vf->v.income.transfer_yuan, &vf->v.expenditure.medical_yuan,
        &vf->v.expenditure.education_yuan, &vf->v.expenditure.disaster_yuan };
    char today[HH_DATE_LEN + 1], text[200], defs[7][24];
    const char *officer = hh_platform_getenv("HEARTH_OFFICER");
    form *f = &vf->f;
    hh_err ret;
    form_item *it;

    if ((ret = hh_platform_today(today)) != HH_OK)
        return ret;
    vf->year = atoi(today);
    if (old->id[0])   /* a correction keeps the officer who made the visit */
        officer = old->officer;
    form_add(f, "date", _("Visit date"), old->id[0] ? old->visited_on : today, 1, parse_date,
             vf->v.visited_on);
    form_add(f, "officer", _("Officer"), officer, 1, parse_officer, vf->v.officer);
    snprintf(defs[0], sizeof defs[0], "%d", old->household_size);
    if (vf->h->member_count == 0) {   /* asked now, not refused after the last question */
        form_add(f, "size", _("Household size (no members recorded)"),
                 old->household_size > 0 ? defs[0] : "", f->interactive, parse_size_needed,
                 &vf->v.household_size);
    } else {
        snprintf(text, sizeof text, _("Household size (0: the %d members)"), vf->h->member_count);
        form_add(f, "size", text, f->interactive || old->id[0] ? defs[0] : "", 0, parse_size,
                 &vf->v.household_size);
    }
    money_defaults(old, f->interactive, defs);
    for (int i = 0; i < 7; i++)
        form_add(f, money_keys[i], money_prompts[i], defs[i], 1, parse_money, money_out[i]);
    for (int i = 0; i < vf->h->member_count; i++) {
        hh_member *m = &vf->members[i];
        int age = vf->year - m->birth_year;
        if (vf->h->relocated && age >= WORK_AGE_MIN && age <= WORK_AGE_MAX)
            member_question(f, "employment", _("Employment of %s"), m, &hh_employment_names,
                            (int *)&m->employment, parse_employment);
        if (age >= SCHOOL_AGE_MIN && age <= SCHOOL_AGE_MAX)
            member_question(f, "school", _("School of %s"), m, &hh_school_names, (int *)&m->school,
                            parse_school);
    }
    set_text(old->shocks, &hh_shock_names, text, sizeof text);
    it = form_add(f, "shocks", _("Shocks since the last visit"), text, 1, parse_shocks,
                  &vf->v.shocks);
    if (it)
        it->choices = &hh_shock_names;
    it = form_add(f, "failed", _("Guarantees not met"), NULL, 1, parse_failed,
                  &vf->v.guarantees_met);
    if (it) {
        it->choices = &hh_guarantee_names;
        if (old->id[0])   /* a correction: what the corrected visit said */
            set_text(HH_GUARANTEES_ALL & ~old->guarantees_met, &hh_guarantee_names, it->def,
                     sizeof it->def);
        else
            it->prepare = derive_failed;
    }
    form_add(f, "notes", _("Notes"), old->notes, 0, parse_notes, vf->v.notes);
    for (int i = 0; i < f->n; i++) {
        const char *given = cli_get(c, f->items[i].key);
        if (given)
            form_fix(f, f->items[i].key, given);
    }
    (void)d;
    return HH_OK;
}

/* Options that are not questions: GPS and the visit corrected. */
static hh_err take_extras(const cli *c, hh_visit *v, hh_diag *d)
{
    const char *lat = cli_get(c, "lat"), *lon = cli_get(c, "lon");
    hh_err ret;

    if ((lat != NULL) != (lon != NULL))
        return hh_diag_fail(d, HH_EUSAGE, "--lat", "give both --lat and --lon");
    if (lat) {
        if ((ret = parse_degrees("--lat", lat, 90, &v->lat_microdeg, d)) != HH_OK ||
            (ret = parse_degrees("--lon", lon, 180, &v->lon_microdeg, d)) != HH_OK)
            return ret;
        v->has_gps = true;
    }
    return HH_OK;
}

static hh_err save_visit(hh_store *s, void *arg, hh_diag *d)
{
    visit_form *vf = arg;
    hh_err ret;

    for (int i = 0; i < vf->h->member_count; i++) {
        hh_member *m = &vf->members[i];
        if ((m->employment != vf->h->members[i].employment || m->school != vf->h->members[i].school) &&
            (ret = hh_store_member_put(s, vf->h->id, m, d)) != HH_OK)
            return ret;
    }
    if ((ret = hh_store_visit_add(s, &vf->v, NULL, d)) != HH_OK)
        return ret;
    return hh_store_draft_delete(s, vf->h->id);
}

/* The tier this visit gives, computed here and now: the collector's, which
 * the tiers listing shows, is from before it (DESIGN: provisional tiers). */
static void print_new_tier(hh_store *s, const char *household_id)
{
    hh_tier_row now, shown;
    char reasons[1024];

    if (hh_store_tier_get(s, household_id, 1, &now) != HH_OK)
        return;
    printf(_("tier %s (provisional, until the next sync)\n"), hh_i18n_enum(&hh_tier_names, (int)now.v.tier));
    hh_present_reasons(&now.v, hh_store_rulebook(s), hh_i18n_zh() ? "；" : "; ", reasons,
                       sizeof reasons);
    if (reasons[0]) {
        printf("  ");
        hh_print_wrapped(stdout, reasons, 2, hh_terminal_columns(1, 1000));
    }
    if (hh_store_tier_get(s, household_id, 0, &shown) == HH_OK && shown.review &&
        hh_review_open(shown.review))
        printf(_("warning open at the collector: %s\n"), hh_review_state_zh(shown.review));
}

/* Offer a stored draft of this household's visit: 1 take it, 0 start afresh,
 * -1 no answer. */
static int offer_draft(const hh_draft *dr)
{
    char when[32], line[16];

    hh_platform_format_ms(dr->updated_ms, when, sizeof when);
    fprintf(stderr, _("A draft of this visit from %s is kept. Continue it? [Y/n] "), when);
    fflush(stderr);
    if (!fgets(line, sizeof line, stdin))
        return -1;
    return !(line[0] == 'n' || line[0] == 'N' || strncmp(line, "否", 3) == 0);
}

typedef struct prefix_match {
    const char *prefix;
    size_t len;
    hh_visit *found;
    int matches;
} prefix_match;

static int match_prefix(void *ctx, const hh_visit *v)
{
    prefix_match *m = ctx;

    if (strncmp(v->id, m->prefix, m->len) == 0 && m->matches++ == 0)
        *m->found = *v;
    return 0;
}

/* The visit of household_id whose id is `key`, or starts with it (at least 8
 * characters, as household show prints them): HH_ENOTFOUND when none or
 * more than one. */
static hh_err find_visit(hh_store *s, const char *household_id, const char *key, hh_visit *out)
{
    prefix_match m = { key, strlen(key), out, 0 };
    hh_err ret;

    if (m.len < 8 || m.len > HH_UUID_LEN)
        return HH_ENOTFOUND;
    if ((ret = hh_store_each_visit(s, household_id, match_prefix, &m)) != HH_OK)
        return ret;
    return m.matches == 1 ? HH_OK : HH_ENOTFOUND;
}

/* Record a visit to h: from the options, or the form on a terminal (resuming
 * `resume` when it is set). */
static int record(cli *c, hh_household *h, int resume)
{
    visit_form *vf = calloc(1, sizeof *vf);
    hh_visit *old = calloc(1, sizeof *old);
    const char *supersedes = cli_get(c, "supersedes");
    char label[HH_REGISTRY_NO_MAX + HH_UUID_LEN + 2];
    hh_diag d;
    hh_err ret;
    int rc, have_draft, sig;

    hh_diag_clear(&d);
    if (!vf || !old) {
        rc = cli_fail(HH_ENOMEM, NULL, "visit record");
        goto cleanup;
    }
    snprintf(label, sizeof label, "%s", h->registry_no[0] ? h->registry_no : h->id);
    vf->store = agent_store(c);
    vf->h = h;
    memcpy(vf->members, h->members, sizeof vf->members);
    vf->f.interactive = hh_platform_isatty(0);
    vf->f.save = save_draft;
    vf->f.ctx = vf;
    hh_visit_init(&vf->v);
    memcpy(vf->v.household_id, h->id, sizeof vf->v.household_id);
    if (supersedes) {
        if ((ret = find_visit(vf->store, h->id, supersedes, old)) != HH_OK) {
            rc = cli_fail(ret, NULL, "--supersedes: no visit '%s' of household %s", supersedes, label);
            goto cleanup;
        }
        memcpy(vf->v.supersedes, old->id, sizeof vf->v.supersedes);
    }
    if ((ret = take_extras(c, &vf->v, &d)) != HH_OK) {
        rc = ret == HH_EUSAGE ? cli_usage(c, "%s %s", d.field, d.message)
                              : cli_fail(ret, &d, "visit not recorded");
        goto cleanup;
    }
    if ((ret = build_form(vf, c, old, &d)) != HH_OK) {
        rc = cli_fail(ret, &d, "visit not recorded");
        goto cleanup;
    }
    have_draft = 0;
    if (vf->f.interactive) {
        ret = hh_store_draft_get(vf->store, h->id, &vf->draft);
        if (ret != HH_OK && ret != HH_ENOTFOUND) {
            rc = cli_fail(ret, NULL, "cannot read the draft");
            goto cleanup;
        }
        have_draft = ret == HH_OK;
    }
    if (resume && !have_draft) {
        rc = cli_fail(HH_ENOTFOUND, NULL, "no draft of a visit to '%s'", label);
        goto cleanup;
    }
    if (have_draft && !resume) {
        int take = offer_draft(&vf->draft);
        if (take < 0) {
            rc = cli_fail(HH_EUSAGE, NULL, "no answer: the draft is kept");
            goto cleanup;
        }
        resume = take;
    }
    if (resume) {   /* a draft is there: checked above */
        form_draft_load(&vf->f, vf->draft.answers);
        vf->f.step = vf->draft.step;
    }
    if (vf->f.interactive) {
        hh_platform_catch_interrupts();
        fprintf(stderr, _("Visit to household %s, village %s. Amounts: whole yuan, last 12 months.\n"),
                label, h->village_code);
    }
    switch (form_run(&vf->f, &d)) {
    case FORM_STOPPED:
        sig = hh_platform_interrupted();
        fprintf(stderr, _("\nhearth: visit not recorded yet: %d answers kept as a draft. Continue "
                          "with: hearth visit resume %s\n"), form_answered(&vf->f), label);
        rc = sig ? 128 + sig : HH_EXIT_FAILURE;
        goto cleanup;
    case FORM_FAILED:
        rc = vf->f.err == HH_EUSAGE ? cli_usage(c, "%s %s", d.field, d.message)
                                    : cli_fail(vf->f.err, &d, "visit not recorded");
        goto cleanup;
    default:
        break;
    }
    if ((ret = hh_visit_validate(&vf->v, &d)) != HH_OK ||
        (ret = agent_in_transaction(vf->store, save_visit, vf, &d)) != HH_OK) {
        rc = cli_fail(ret, &d, "visit not recorded%s", vf->f.interactive ?
                      " (the draft is kept)" : "");
        goto cleanup;
    }
    printf("%s\n", vf->v.id);
    print_new_tier(vf->store, h->id);
    rc = HH_EXIT_OK;
cleanup:
    free(vf);
    free(old);
    return rc;
}

static int visit_record(cli *c)
{
    hh_household *h = calloc(1, sizeof *h);
    hh_err ret;
    int rc;

    if (!h)
        return cli_fail(HH_ENOMEM, NULL, "visit record");
    ret = hh_store_household_get(agent_store(c), c->args[0], h);
    rc = ret == HH_OK ? record(c, h, 0) : cli_fail(ret, NULL, "no household '%s'", c->args[0]);
    free(h);
    return rc;
}

typedef struct drafts_ctx {
    hh_store *store;
    int count;
} drafts_ctx;

static int list_draft(void *ctx, const hh_draft *dr)
{
    drafts_ctx *l = ctx;
    hh_household *h = malloc(sizeof *h);
    char when[32];
    int answers = 0;

    for (const char *p = dr->answers; *p; p++)
        answers += *p == '\n';
    hh_platform_format_ms(dr->updated_ms, when, sizeof when);
    if (h && hh_store_household_get(l->store, dr->household_id, h) == HH_OK)
        printf("%-18s %s  %s  %d\n", h->registry_no[0] ? h->registry_no : h->id, h->village_code,
               when, answers);
    free(h);
    l->count++;
    return 0;
}

static int visit_resume(cli *c)
{
    hh_household *h;
    hh_err ret;
    int rc;

    if (c->nargs == 0) {
        drafts_ctx l = { agent_store(c), 0 };
        printf("%-18s %-12s  %-19s  %s\n", _("HOUSEHOLD"), _("VILLAGE"), _("SAVED"), _("ANSWERS"));
        ret = hh_store_each_draft(agent_store(c), list_draft, &l);
        if (ret != HH_OK)
            return cli_fail(ret, NULL, "cannot list the drafts");
        if (l.count == 0)
            fprintf(stderr, "%s\n", _("no visit drafts: every visit begun was saved"));
        return HH_EXIT_OK;
    }
    if (!hh_platform_isatty(0))
        return cli_fail(HH_EUSAGE, NULL, "visit resume asks questions: run it on a terminal");
    if (!(h = calloc(1, sizeof *h)))
        return cli_fail(HH_ENOMEM, NULL, "visit resume");
    ret = hh_store_household_get(agent_store(c), c->args[0], h);
    rc = ret == HH_OK ? record(c, h, 1) : cli_fail(ret, NULL, "no household '%s'", c->args[0]);
    free(h);
    return rc;
}

typedef struct visit_list_ctx {
    hh_store *store;
    int json;
    hh_household ref;         /* the household of the previous visit, for JSON */
    hh_buf line;
    hh_err err;
    long count;
} visit_list_ctx;

static int list_visit(void *ctx, const hh_visit *v)
{
    visit_list_ctx *l = ctx;

    l->count++;
    if (!l->json) {
        char officer[HH_OFFICER_MAX + 1];
        printf("%-36s  %s  ", v->id, v->visited_on);
        hh_print_padded(stdout, cli_printable(v->officer, officer, sizeof officer), 12);
        printf("  %-8lld  %-4d  %s\n", (long long)hh_income_total(&v->income), v->household_size,
               v->household_id);
        return 0;
    }
    if (strcmp(l->ref.id, v->household_id) != 0 &&
        (l->err = hh_store_household_get(l->store, v->household_id, &l->ref)) != HH_OK)
        return 1;
    hh_buf_reset(&l->line);
    if ((l->err = hh_exchange_write(&l->line, NULL, v, &l->ref)) != HH_OK)
        return 1;
    fputs(hh_buf_str(&l->line), stdout);
    return 0;
}

static int visit_list(cli *c)
{
    visit_list_ctx *l = calloc(1, sizeof *l);
    hh_household *h = NULL;
    const char *household_id = NULL;
    hh_err ret = HH_ENOMEM;

    if (!l)
        goto done;
    l->store = agent_store(c);
    l->json = cli_has(c, "json");
    hh_buf_init(&l->line, 1 << 20);
    if (c->nargs == 1) {
        if (!(h = calloc(1, sizeof *h)))
            goto done;
        if ((ret = hh_store_household_get(agent_store(c), c->args[0], h)) != HH_OK)
            goto done;
        household_id = h->id;
    }
    if (!l->json) {
        printf("%-36s  ", _("VISIT"));
        hh_print_padded(stdout, _("DATE"), 12);
        hh_print_padded(stdout, _("OFFICER"), 14);
        hh_print_padded(stdout, _("INCOME"), 10);
        hh_print_padded(stdout, _("SIZE"), 6);
        printf("%s\n", _("HOUSEHOLD"));
    }
    ret = hh_store_each_visit(agent_store(c), household_id, list_visit, l);
    if (ret == HH_OK)
        ret = l->err;
done:
    if (l)
        hh_buf_free(&l->line);
    free(l);
    free(h);
    if (ret == HH_ENOTFOUND)
        return cli_fail(ret, NULL, "no household '%s'", c->args[0]);
    return ret == HH_OK ? HH_EXIT_OK : cli_fail(ret, NULL, "cannot list visits");
}

static const cli_opt record_opts[] = {
    { "date", "YYYY-MM-DD", N_("date of the visit (default: today)") },
    { "officer", "NAME", N_("officer recording it (default: $HEARTH_OFFICER)") },
    { "size", "N", N_("household size, if not the number of members recorded") },
    { "wages", "YUAN", N_("income from wages (工资性), last 12 months") },
    { "operating", "YUAN", N_("net operating income (经营性)") },
    { "property", "YUAN", N_("property income (财产性)") },
    { "transfer", "YUAN", N_("transfer income (转移性)") },
    { "medical", "YUAN", N_("out-of-pocket medical spending (default 0)") },
    { "education", "YUAN", N_("education spending (default 0)") },
    { "disaster", "YUAN", N_("disaster losses (default 0)") },
    { "shocks", "LIST", N_("comma list: illness, disability, education, disaster, epidemic, "
                        "accident, job_loss, business_loss (default none)") },
    { "failed", "LIST", N_("guarantees NOT met, comma list: food, clothing, education, medical, "
                        "housing, water (default none)") },
    { "lat", "DEG", N_("GPS latitude, decimal degrees") },
    { "lon", "DEG", N_("GPS longitude, decimal degrees") },
    { "notes", "TEXT", N_("free-text notes") },
    { "supersedes", "VISIT", N_("this visit corrects an earlier one (its id, or the id's first 8 "
                                "characters or more); the form starts from its values") },
    { NULL, NULL, NULL }
};

static const cli_opt visit_list_opts[] = {
    { "json", NULL, N_("print JSON Lines (the exchange format) instead of text") },
    { NULL, NULL, NULL }
};

const cli_cmd hh_cmd_visit_record = {
    "visit record", "HOUSEHOLD",
    N_("Record a visit to a household (by id or registry number); asks for missing values "
    "on a terminal. Prints the visit id and the new tier."),
    1, 1, record_opts, visit_record, AGENT_NEEDS_STORE | AGENT_WRITES };
const cli_cmd hh_cmd_visit_resume = {
    "visit resume", "[HOUSEHOLD]",
    N_("Continue a visit form that was stopped (Ctrl-C, a closed terminal, a power cut); "
    "without a household, list the drafts kept."),
    0, 1, NULL, visit_resume, AGENT_NEEDS_STORE | AGENT_WRITES };
const cli_cmd hh_cmd_visit_list = {
    "visit list", "[HOUSEHOLD]", N_("List visits, of one household or all."),
    0, 1, visit_list_opts, visit_list, AGENT_NEEDS_STORE };
