/* model/exchange.c — reading and writing exchange lines (see exchange.h).
 *
 * Reading goes in two steps: the JSON shape (which keys, which types) is checked
 * here field by field, then the record validators in validate.c check the
 * values. Each step names the full path of the field it refuses. */
#include "exchange.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "rulebook.h"
#include "tier.h"
#include "validate.h"

typedef struct ctx {
    const char *path;      /* "household", "visit.income_yuan", … */
    hh_diag *d;
} ctx;

static hh_err fail(const ctx *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static hh_err fail(const ctx *c, const char *key, const char *fmt, ...)
{
    char field[96], message[sizeof c->d->message];
    va_list ap;

    snprintf(field, sizeof field, "%s%s%s", c->path, key && c->path[0] ? "." : "",
             key ? key : "");
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return hh_diag_fail(c->d, HH_EINVAL, field, "%s", message);
}

/* Refuse any member of obj whose name is not in allowed (NULL-terminated) or,
 * when e is given, not one of e's names. */
static hh_err check_keys(const ctx *c, const hh_json *obj, const char *const *allowed,
                         const hh_enum_names *e)
{
    for (const hh_json *m = obj->child; m; m = m->next) {
        int known = e && hh_enum_parse(e, m->key) != 0;
        for (const char *const *a = allowed; a && *a && !known; a++)
            known = strcmp(*a, m->key) == 0;
        if (!known)
            return fail(c, m->key, "is not a known field");
    }
    return HH_OK;
}

/* The member `key` of obj: HH_OK with *out set, HH_OK with *out NULL when it is
 * absent or null and optional, HH_EINVAL when required and missing or of another
 * type than `type`. */
static hh_err member(const ctx *c, const hh_json *obj, const char *key, hh_json_type type,
                     int required, const hh_json **out)
{
    const hh_json *v = hh_json_get(obj, key);

    *out = NULL;
    if (!v || v->type == HH_JSON_NULL) {
        if (required)
            return fail(c, key, "is required");
        return HH_OK;
    }
    if (v->type != type)
        return fail(c, key, "must be %s", hh_json_type_name(type));
    *out = v;
    return HH_OK;
}

static hh_err get_string(const ctx *c, const hh_json *obj, const char *key, int required,
                         char *out, size_t cap)
{
    const hh_json *v;
    hh_err ret = member(c, obj, key, HH_JSON_STRING, required, &v);

    out[0] = '\0';
    if (ret != HH_OK || !v)
        return ret;
    if (strlen(v->text) != v->text_len)
        return fail(c, key, "contains a NUL character");
    if (v->text_len >= cap) {
        return fail(c, key, "is longer than %zu bytes", cap - 1);
    }
    if (required && v->text_len == 0)
        return fail(c, key, "must not be empty");
    memcpy(out, v->text, v->text_len + 1);
    return HH_OK;
}

static hh_err get_enum(const ctx *c, const hh_json *obj, const char *key,
                       const hh_enum_names *e, int *out)
{
    char text[40], list[200];
    hh_err ret = get_string(c, obj, key, 1, text, sizeof text);

    if (ret != HH_OK)
        return ret;
    *out = hh_enum_parse(e, text);
    if (*out == 0) {
        hh_enum_list(e, list, sizeof list);
        return fail(c, key, "must be one of: %s", list);
    }
    return HH_OK;
}

static hh_err get_bool(const ctx *c, const hh_json *obj, const char *key, int required,
                       int *out)
{
    const hh_json *v;
    hh_err ret = member(c, obj, key, HH_JSON_BOOL, required, &v);

    if (ret == HH_OK && v)
        *out = v->boolean;
    return ret;
}

static hh_err get_int(const ctx *c, const hh_json *obj, const char *key, int required,
                      int64_t min, int64_t max, int64_t *out)
{
    const hh_json *v;
    hh_err ret = member(c, obj, key, HH_JSON_NUMBER, required, &v);

    if (ret != HH_OK || !v)
        return ret;
    ret = hh_json_integer(v, min, max, out);
    if (ret == HH_OK)
        return HH_OK;
    if (v->text[0] == '-' && min >= 0)
        return fail(c, key, "cannot be negative");
    return fail(c, key, "must be a whole number in %lld..%lld", (long long)min, (long long)max);
}

static const char *const member_keys[] = {
    "id", "name", "id_number", "relation", "sex", "birth_year", "labour", "health",
    "disability_grade", "school", "medical_insurance", "employment",
    "employment_stable", NULL };

static hh_err parse_member(const ctx *c, const hh_json *obj, hh_member *m)
{
    hh_err ret;
    int64_t n = 0;
    int e, b = 0;

    hh_member_init(m);
    if (obj->type != HH_JSON_OBJECT)
        return fail(c, NULL, "must be an object");
    if ((ret = check_keys(c, obj, member_keys, NULL)) != HH_OK ||
        (ret = get_string(c, obj, "id", 0, m->id, sizeof m->id)) != HH_OK ||
        (ret = get_string(c, obj, "name", 1, m->name, sizeof m->name)) != HH_OK ||
        (ret = get_string(c, obj, "id_number", 1, m->id_number, sizeof m->id_number)) != HH_OK)
        return ret;
    hh_id_number_normalise(m->id_number);
    if ((ret = get_enum(c, obj, "relation", &hh_relation_names, &e)) != HH_OK)
        return ret;
    m->relation = (hh_relation)e;
    if ((ret = get_enum(c, obj, "sex", &hh_sex_names, &e)) != HH_OK)
        return ret;
    m->sex = (hh_sex)e;
    if ((ret = get_int(c, obj, "birth_year", 1, 1900, 2100, &n)) != HH_OK)
        return ret;
    m->birth_year = (int)n;
    if ((ret = get_enum(c, obj, "labour", &hh_labour_names, &e)) != HH_OK)
        return ret;
    m->labour = (hh_labour)e;
    if ((ret = get_enum(c, obj, "health", &hh_health_names, &e)) != HH_OK)
        return ret;
    m->health = (hh_health)e;
    n = 0;
    if ((ret = get_int(c, obj, "disability_grade", 0, 1, 4, &n)) != HH_OK)
        return ret;
    m->disability_grade = (int)n;
    if ((ret = get_enum(c, obj, "school", &hh_school_names, &e)) != HH_OK)
        return ret;
    m->school = (hh_school)e;
    if ((ret = get_bool(c, obj, "medical_insurance", 1, &b)) != HH_OK)
        return ret;
    m->medical_insurance = b;
    if ((ret = get_enum(c, obj, "employment", &hh_employment_names, &e)) != HH_OK)
        return ret;
    m->employment = (hh_employment)e;
    if ((ret = get_bool(c, obj, "employment_stable", 0, &m->employment_stable)) != HH_OK)
        return ret;
    return HH_OK;
}

static const char *const household_keys[] = {
    "id", "registry_no", "village_code", "category", "relocated",
    "resettlement_site", "members", NULL };

static hh_err parse_household(const hh_json *obj, hh_exchange_record *rec, hh_diag *d)
{
    ctx c = { "household", d };
    hh_household *h = &rec->household;
    const hh_json *members;
    hh_err ret;
    int e, relocated = 0;

    memset(h, 0, sizeof *h);
    if ((ret = check_keys(&c, obj, household_keys, NULL)) != HH_OK ||
        (ret = get_string(&c, obj, "id", 0, h->id, sizeof h->id)) != HH_OK ||
        (ret = get_string(&c, obj, "registry_no", 0, h->registry_no, sizeof h->registry_no)) != HH_OK ||
        (ret = get_string(&c, obj, "village_code", 1, h->village_code, sizeof h->village_code)) != HH_OK ||
        (ret = get_enum(&c, obj, "category", &hh_category_names, &e)) != HH_OK)
        return ret;
    h->category = (hh_category)e;
    if ((ret = get_bool(&c, obj, "relocated", 0, &relocated)) != HH_OK ||
        (ret = get_string(&c, obj, "resettlement_site", 0, h->resettlement_site,
                          sizeof h->resettlement_site)) != HH_OK ||
        (ret = member(&c, obj, "members", HH_JSON_ARRAY, 0, &members)) != HH_OK)
        return ret;
    h->relocated = relocated;
    if (!h->registry_no[0] && !h->id[0])
        return hh_diag_fail(d, HH_EINVAL, "household",
                            "needs a registry_no or an id to be identified");
    if (members) {
        char path[48];
        rec->members_given = true;
        if (members->count > HH_MEMBERS_MAX)
            return hh_diag_fail(d, HH_ERANGE, "household.members",
                                "has %zu members, more than %d", members->count, HH_MEMBERS_MAX);
        for (const hh_json *m = members->child; m; m = m->next) {
            ctx mc = { path, d };
            snprintf(path, sizeof path, "household.members[%d]", h->member_count);
            if ((ret = parse_member(&mc, m, &h->members[h->member_count])) != HH_OK)
                return ret;
            h->member_count++;
        }
    }
    return HH_OK;
}

static hh_err parse_money_object(const hh_json *parent, const char *key, const char *path,
                                 const char *const *names, int64_t *const *fields, hh_diag *d)
{
    ctx c = { "visit", d };
    ctx inner = { path, d };
    const hh_json *obj;
    hh_err ret = member(&c, parent, key, HH_JSON_OBJECT, 1, &obj);

    if (ret != HH_OK)
        return ret;
    if ((ret = check_keys(&inner, obj, names, NULL)) != HH_OK)
        return ret;
    for (int i = 0; names[i]; i++) {
        /* A negative amount gets its own message from get_int; the upper bound
         * is left to hh_visit_validate so the message names the limit. */
        if ((ret = get_int(&inner, obj, names[i], 1, 0, INT64_MAX / 4, fields[i])) != HH_OK)
            return ret;
    }
    return HH_OK;
}

static hh_err parse_name_set(const ctx *c, const hh_json *obj, const char *key,
                             const hh_enum_names *e, uint32_t *out)
{
    const hh_json *arr;
    char list[200];
    hh_err ret = member(c, obj, key, HH_JSON_ARRAY, 0, &arr);

    *out = 0;
    if (ret != HH_OK || !arr)
        return ret;
    if (arr->count > 32)
        return fail(c, key, "has too many entries");
    for (const hh_json *s = arr->child; s; s = s->next) {
        int v = s->type == HH_JSON_STRING ? hh_enum_parse(e, s->text) : 0;
        if (v == 0) {
            hh_enum_list(e, list, sizeof list);
            return fail(c, key, "entries must be one of: %s", list);
        }
        *out |= 1u << v;
    }
    return HH_OK;
}

static const char *const visit_keys[] = {
    "id", "registry_no", "household_id", "visited_on", "officer", "household_size",
    "income_yuan", "expenditure_yuan", "shocks", "guarantees", "gps", "notes",
    "supersedes", NULL };
static const char *const income_keys[] = { "wages", "operating", "property", "transfer", NULL };
static const char *const expenditure_keys[] = { "medical", "education", "disaster", NULL };
static const char *const gps_keys[] = { "lat", "lon", NULL };

static hh_err parse_gps(const hh_json *obj, hh_visit *v, hh_diag *d)
{
    ctx c = { "visit", d };
    ctx gc = { "visit.gps", d };
    const hh_json *gps, *lat, *lon;
    double x, y;
    hh_err ret = member(&c, obj, "gps", HH_JSON_OBJECT, 0, &gps);

    if (ret != HH_OK || !gps)
        return ret;
    if ((ret = check_keys(&gc, gps, gps_keys, NULL)) != HH_OK ||
        (ret = member(&gc, gps, "lat", HH_JSON_NUMBER, 1, &lat)) != HH_OK ||
        (ret = member(&gc, gps, "lon", HH_JSON_NUMBER, 1, &lon)) != HH_OK)
        return ret;
    if (hh_json_double(lat, &x) != HH_OK || x < -90.0 || x > 90.0)
        return fail(&gc, "lat", "must be a latitude in -90..90");
    if (hh_json_double(lon, &y) != HH_OK || y < -180.0 || y > 180.0)
        return fail(&gc, "lon", "must be a longitude in -180..180");
    v->has_gps = true;
    v->lat_microdeg = (int32_t)lround(x * 1e6);
    v->lon_microdeg = (int32_t)lround(y * 1e6);
    return HH_OK;
}

static hh_err parse_visit(const hh_json *obj, hh_exchange_record *rec, hh_diag *d)
{
    ctx c = { "visit", d };
    ctx gc = { "visit.guarantees", d };
    hh_visit *v = &rec->visit;
    const hh_json *g;
    int64_t size = 0;
    hh_err ret;
    int64_t *const income[] = { &v->income.wages_yuan, &v->income.operating_yuan,
                                &v->income.property_yuan, &v->income.transfer_yuan };
    int64_t *const spending[] = { &v->expenditure.medical_yuan, &v->expenditure.education_yuan,
                                  &v->expenditure.disaster_yuan };

    hh_visit_init(v);
    if ((ret = check_keys(&c, obj, visit_keys, NULL)) != HH_OK ||
        (ret = get_string(&c, obj, "id", 0, v->id, sizeof v->id)) != HH_OK ||
        (ret = get_string(&c, obj, "registry_no", 0, rec->ref_registry_no,
                          sizeof rec->ref_registry_no)) != HH_OK ||
        (ret = get_string(&c, obj, "household_id", 0, rec->ref_household_id,
                          sizeof rec->ref_household_id)) != HH_OK ||
        (ret = get_string(&c, obj, "visited_on", 1, v->visited_on, sizeof v->visited_on)) != HH_OK ||
        (ret = get_string(&c, obj, "officer", 1, v->officer, sizeof v->officer)) != HH_OK ||
        (ret = get_int(&c, obj, "household_size", 0, 1, HH_HOUSEHOLD_SIZE_MAX, &size)) != HH_OK)
        return ret;
    v->household_size = (int)size;
    if ((ret = parse_money_object(obj, "income_yuan", "visit.income_yuan", income_keys,
                                  income, d)) != HH_OK ||
        (ret = parse_money_object(obj, "expenditure_yuan", "visit.expenditure_yuan",
                                  expenditure_keys, spending, d)) != HH_OK ||
        (ret = parse_name_set(&c, obj, "shocks", &hh_shock_names, &v->shocks)) != HH_OK ||
        (ret = member(&c, obj, "guarantees", HH_JSON_OBJECT, 1, &g)) != HH_OK ||
        (ret = check_keys(&gc, g, NULL, &hh_guarantee_names)) != HH_OK)
        return ret;
    v->guarantees_met = 0;
    for (int i = 1; i <= hh_guarantee_names.count; i++) {
        int met = 0;
        if ((ret = get_bool(&gc, g, hh_enum_name(&hh_guarantee_names, i), 1, &met)) != HH_OK)
            return ret;
        if (met)
            v->guarantees_met |= 1u << i;
    }
    if ((ret = parse_gps(obj, v, d)) != HH_OK ||
        (ret = get_string(&c, obj, "notes", 0, v->notes, sizeof v->notes)) != HH_OK ||
        (ret = get_string(&c, obj, "supersedes", 0, v->supersedes, sizeof v->supersedes)) != HH_OK)
        return ret;
    return HH_OK;
}

static const char *const line_keys[] = { "household", "visit", NULL };

hh_err hh_exchange_parse(const char *line, size_t len, int current_year,
                         hh_exchange_record *out, hh_diag *d)
{
    hh_json_doc doc = { 0 };
    const hh_json *h, *v;
    ctx top = { "", d };
    hh_err ret;

    memset(out, 0, sizeof *out);
    if ((ret = hh_json_parse(line, len, &doc, d)) != HH_OK)
        return ret;
    if (doc.root->type != HH_JSON_OBJECT) {
        ret = hh_diag_fail(d, HH_EINVAL, "json", "each line must be a JSON object");
        goto cleanup;
    }
    if ((ret = check_keys(&top, doc.root, line_keys, NULL)) != HH_OK) {
        goto cleanup;
    }
    if ((ret = member(&top, doc.root, "household", HH_JSON_OBJECT, 0, &h)) != HH_OK ||
        (ret = member(&top, doc.root, "visit", HH_JSON_OBJECT, 0, &v)) != HH_OK)
        goto cleanup;
    if (!h && !v) {
        ret = hh_diag_fail(d, HH_EINVAL, "json", "a line needs a \"household\" or a \"visit\"");
        goto cleanup;
    }
    if (h) {
        out->has_household = true;
        if ((ret = parse_household(h, out, d)) != HH_OK)
            goto cleanup;
        if ((ret = hh_household_validate(&out->household, current_year, d)) != HH_OK) {
            hh_diag_prefix(d, "household.");
            goto cleanup;
        }
    }
    if (v) {
        out->has_visit = true;
        if ((ret = parse_visit(v, out, d)) != HH_OK)
            goto cleanup;
        if ((ret = hh_visit_validate(&out->visit, d)) != HH_OK) {
            hh_diag_prefix(d, "visit.");
            goto cleanup;
        }
        if (!h && !out->ref_registry_no[0] && !out->ref_household_id[0]) {
            ret = hh_diag_fail(d, HH_EINVAL, "visit",
                               "a visit without a household on its line needs "
                               "\"registry_no\" or \"household_id\"");
            goto cleanup;
        }
        if (h && (out->ref_registry_no[0] || out->ref_household_id[0]) &&
            strcmp(out->ref_registry_no, out->household.registry_no) != 0 &&
            strcmp(out->ref_household_id, out->household.id) != 0) {
            ret = hh_diag_fail(d, HH_EINVAL, "visit",
                               "names another household than the one on its line");
            goto cleanup;
        }
        if (out->ref_household_id[0] &&
            (ret = hh_validate_uuid(out->ref_household_id, d)) != HH_OK) {
            hh_diag_prefix(d, "visit.household_");
            goto cleanup;
        }
    }
    ret = HH_OK;
cleanup:
    hh_json_doc_free(&doc);
    return ret;
}

/* ---- writing ---------------------------------------------------------------- */

static hh_err write_member(hh_buf *b, const hh_member *m)
{
    hh_err ret = HH_OK;

#define W(call) do { if ((ret = (call)) != HH_OK) return ret; } while (0)
    W(hh_buf_puts(b, "{\"id\": "));
    W(hh_buf_json_string(b, m->id));
    W(hh_buf_puts(b, ", \"name\": "));
    W(hh_buf_json_string(b, m->name));
    W(hh_buf_puts(b, ", \"id_number\": "));
    W(hh_buf_json_string(b, m->id_number));
    W(hh_buf_printf(b, ", \"relation\": \"%s\", \"sex\": \"%s\", \"birth_year\": %d, "
                       "\"labour\": \"%s\", \"health\": \"%s\"",
                    hh_enum_name(&hh_relation_names, (int)m->relation),
                    hh_enum_name(&hh_sex_names, (int)m->sex), m->birth_year,
                    hh_enum_name(&hh_labour_names, (int)m->labour),
                    hh_enum_name(&hh_health_names, (int)m->health)));
    if (m->disability_grade)
        W(hh_buf_printf(b, ", \"disability_grade\": %d", m->disability_grade));
    W(hh_buf_printf(b, ", \"school\": \"%s\", \"medical_insurance\": %s, \"employment\": \"%s\"",
                    hh_enum_name(&hh_school_names, (int)m->school),
                    m->medical_insurance ? "true" : "false",
                    hh_enum_name(&hh_employment_names, (int)m->employment)));
    if (m->employment_stable >= 0)
        W(hh_buf_printf(b, ", \"employment_stable\": %s", m->employment_stable ? "true" : "false"));
    W(hh_buf_puts(b, "}"));
    return ret;
}

static hh_err write_optional_string(hh_buf *b, const char *key, const char *value)
{
    hh_err ret;

    W(hh_buf_printf(b, ", \"%s\": ", key));
    if (value[0] == '\0')
        return hh_buf_puts(b, "null");
    return hh_buf_json_string(b, value);
}

static hh_err write_household(hh_buf *b, const hh_household *h)
{
    hh_err ret;

    W(hh_buf_puts(b, "{\"id\": "));
    W(hh_buf_json_string(b, h->id));
    W(write_optional_string(b, "registry_no", h->registry_no));
    W(hh_buf_puts(b, ", \"village_code\": "));
    W(hh_buf_json_string(b, h->village_code));
    W(hh_buf_printf(b, ", \"category\": \"%s\", \"relocated\": %s",
                    hh_enum_name(&hh_category_names, (int)h->category),
                    h->relocated ? "true" : "false"));
    W(write_optional_string(b, "resettlement_site", h->resettlement_site));
    W(hh_buf_puts(b, ", \"members\": ["));
    for (int i = 0; i < h->member_count; i++) {
        if (i)
            W(hh_buf_puts(b, ", "));
        W(write_member(b, &h->members[i]));
    }
    return hh_buf_puts(b, "]}");
}

static hh_err write_name_set(hh_buf *b, const char *key, const hh_enum_names *e, uint32_t set)
{
    hh_err ret;
    int first = 1;

    W(hh_buf_printf(b, ", \"%s\": [", key));
    for (int i = 1; i <= e->count; i++) {
        if (!(set & (1u << i)))
            continue;
        W(hh_buf_printf(b, "%s\"%s\"", first ? "" : ", ", hh_enum_name(e, i)));
        first = 0;
    }
    return hh_buf_puts(b, "]");
}

static hh_err write_visit(hh_buf *b, const hh_visit *v, const hh_household *ref)
{
    hh_err ret;

    W(hh_buf_puts(b, "{\"id\": "));
    W(hh_buf_json_string(b, v->id));
    if (ref && ref->registry_no[0]) {
        W(hh_buf_puts(b, ", \"registry_no\": "));
        W(hh_buf_json_string(b, ref->registry_no));
    } else if (ref) {
        W(hh_buf_puts(b, ", \"household_id\": "));
        W(hh_buf_json_string(b, ref->id));
    }
    W(hh_buf_puts(b, ", \"visited_on\": "));
    W(hh_buf_json_string(b, v->visited_on));
    W(hh_buf_puts(b, ", \"officer\": "));
    W(hh_buf_json_string(b, v->officer));
    if (v->household_size > 0)
        W(hh_buf_printf(b, ", \"household_size\": %d", v->household_size));
    W(hh_buf_printf(b, ", \"income_yuan\": {\"wages\": %lld, \"operating\": %lld, "
                       "\"property\": %lld, \"transfer\": %lld}",
                    (long long)v->income.wages_yuan, (long long)v->income.operating_yuan,
                    (long long)v->income.property_yuan, (long long)v->income.transfer_yuan));
    W(hh_buf_printf(b, ", \"expenditure_yuan\": {\"medical\": %lld, \"education\": %lld, "
                       "\"disaster\": %lld}",
                    (long long)v->expenditure.medical_yuan,
                    (long long)v->expenditure.education_yuan,
                    (long long)v->expenditure.disaster_yuan));
    W(write_name_set(b, "shocks", &hh_shock_names, v->shocks));
    W(hh_buf_puts(b, ", \"guarantees\": {"));
    for (int i = 1; i <= hh_guarantee_names.count; i++)
        W(hh_buf_printf(b, "%s\"%s\": %s", i > 1 ? ", " : "",
                        hh_enum_name(&hh_guarantee_names, i),
                        (v->guarantees_met & (1u << i)) ? "true" : "false"));
    W(hh_buf_puts(b, "}"));
    if (v->has_gps)
        W(hh_buf_printf(b, ", \"gps\": {\"lat\": %.6f, \"lon\": %.6f}",
                        v->lat_microdeg / 1e6, v->lon_microdeg / 1e6));
    W(hh_buf_puts(b, ", \"notes\": "));
    W(hh_buf_json_string(b, v->notes));
    if (v->supersedes[0]) {
        W(hh_buf_puts(b, ", \"supersedes\": "));
        W(hh_buf_json_string(b, v->supersedes));
    }
    return hh_buf_puts(b, "}");
}

hh_err hh_exchange_write(hh_buf *out, const hh_household *h, const hh_visit *v,
                         const hh_household *ref)
{
    hh_err ret;

    W(hh_buf_puts(out, "{"));
    if (h) {
        W(hh_buf_puts(out, "\"household\": "));
        W(write_household(out, h));
    }
    if (v) {
        W(hh_buf_puts(out, h ? ", \"visit\": " : "\"visit\": "));
        W(write_visit(out, v, h ? NULL : ref));
    }
    return hh_buf_puts(out, "}\n");
#undef W
}

hh_err hh_exchange_write_tier(hh_buf *out, const hh_tier_json *t)
{
    hh_err ret;
    int first = 1;

#define W(call) do { if ((ret = (call)) != HH_OK) return ret; } while (0)
    W(hh_buf_puts(out, "{\"registry_no\": "));
    W(t->registry_no[0] ? hh_buf_json_string(out, t->registry_no) : hh_buf_puts(out, "null"));
    W(hh_buf_printf(out, ", \"id\": \"%s\", \"village_code\": \"%s\", \"tier\": \"%s\", \"reasons\": [",
                    t->id, t->village_code, hh_enum_name(&hh_tier_names, t->tier)));
    for (int i = 0; i < HH_REASON_COUNT; i++) {
        if (!(t->reasons & (1u << i)))
            continue;
        W(hh_buf_printf(out, "%s\"%s\"", first ? "" : ", ", hh_reason_code(1u << i)));
        first = 0;
    }
    W(hh_buf_puts(out, "], \"rulebook\": "));
    W(hh_buf_json_string(out, t->rulebook));
    W(hh_buf_printf(out, ", \"source\": \"%s\"", t->source));
    if (t->review) {
        W(hh_buf_printf(out, ", \"review\": \"%s\", \"measures\": [", t->review));
        for (int i = 0; i < t->n_measures; i++) {
            W(hh_buf_printf(out, "%s{\"id\": %lld, \"measure\": \"%s\", \"due_on\": \"%s\", "
                            "\"responsible\": ", i ? ", " : "", (long long)t->measures[i].id,
                            t->measures[i].measure, t->measures[i].due_on));
            W(hh_buf_json_string(out, t->measures[i].responsible));
            W(hh_buf_puts(out, "}"));
        }
        W(hh_buf_puts(out, "]"));
    }
    W(hh_buf_printf(out, ", \"last_visit_on\": \"%s\"", t->last_visit_on));
    if (t->per_capita_yuan >= 0)
        W(hh_buf_printf(out, ", \"per_capita_yuan\": %lld", (long long)t->per_capita_yuan));
    if (t->device_tier)
        W(hh_buf_printf(out, ", \"device_tier\": \"%s\"", hh_enum_name(&hh_tier_names, t->device_tier)));
    return hh_buf_puts(out, "}\n");
#undef W
}

int hh_lines_next(hh_lines *it, const char **line, size_t *len)
{
    while (it->pos < it->len) {
        const char *start = it->text + it->pos;
        const char *nl = memchr(start, '\n', it->len - it->pos);
        size_t n = nl ? (size_t)(nl - start) : it->len - it->pos, blank = 0;
        it->pos += n + (nl ? 1 : 0);
        it->line_no++;
        if (n > 0 && start[n - 1] == '\r')
            n--;
        while (blank < n && (start[blank] == ' ' || start[blank] == '\t'))
            blank++;
        if (blank == n)
            continue;
        *line = start;
        *len = n;
        return 1;
    }
    return 0;
}
