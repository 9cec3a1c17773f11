/* sync/codec.c — filling protobuf-c structures from records (see codec.h). */
#include "codec.h"


#include <stdlib.h>
#include <string.h>

#include "model/hlc.h"
#include "model/validate.h"
#include "proto/hearth.pb-c.h"

const char *hh_entity_name(hh_entity e)
{
    switch (e) {
    case HH_ENTITY_HOUSEHOLD: return "household";
    case HH_ENTITY_MEMBER:    return "member";
    case HH_ENTITY_VISIT:     return "visit";
    }
    return "unknown";
}

const char *hh_op_name(hh_op op)
{
    switch (op) {
    case HH_OP_CREATE: return "create";
    case HH_OP_UPDATE: return "update";
    case HH_OP_DELETE: return "delete";
    }
    return "unknown";
}

/* protobuf-c wants char *; the encoder only reads through it. */
static char *text(const char *s)
{
    return (char *)s;
}

static char *optional_text(const char *s)
{
    return s[0] ? (char *)s : NULL;
}

static void household_to_pb(const hh_household *h, Hearth__V1__Household *pb)
{
    hearth__v1__household__init(pb);
    pb->id = text(h->id);
    pb->registry_no = optional_text(h->registry_no);
    pb->village_code = text(h->village_code);
    pb->has_category = 1;
    pb->category = (Hearth__V1__Category)h->category;
    pb->has_relocated = 1;
    pb->relocated = h->relocated;
    pb->resettlement_site = optional_text(h->resettlement_site);
}

static void member_to_pb(const hh_member *m, const char *household_id, Hearth__V1__Member *pb)
{
    hearth__v1__member__init(pb);
    pb->id = text(m->id);
    pb->household_id = text(household_id);
    pb->name = text(m->name);
    pb->id_number = text(m->id_number);
    pb->has_relation = 1;
    pb->relation = (Hearth__V1__Relation)m->relation;
    pb->has_sex = 1;
    pb->sex = (Hearth__V1__Sex)m->sex;
    pb->has_birth_year = 1;
    pb->birth_year = (uint32_t)m->birth_year;
    pb->has_labour = 1;
    pb->labour = (Hearth__V1__Labour)m->labour;
    pb->has_health = 1;
    pb->health = (Hearth__V1__Health)m->health;
    pb->has_disability_grade = m->disability_grade != 0;
    pb->disability_grade = (uint32_t)m->disability_grade;
    pb->has_school = 1;
    pb->school = (Hearth__V1__School)m->school;
    pb->has_medical_insurance = 1;
    pb->medical_insurance = m->medical_insurance;
    pb->has_employment = 1;
    pb->employment = (Hearth__V1__Employment)m->employment;
    pb->has_employment_stable = m->employment_stable >= 0;
    pb->employment_stable = m->employment_stable == 1;
}

/* The visit's nested messages live in `parts`, owned by the caller's frame. */
typedef struct visit_parts {
    Hearth__V1__Income income;
    Hearth__V1__Expenditure expenditure;
    Hearth__V1__Guarantees guarantees;
    Hearth__V1__Gps gps;
    Hearth__V1__Shock shocks[16];
} visit_parts;

static void visit_to_pb(const hh_visit *v, Hearth__V1__Visit *pb, visit_parts *p)
{
    hearth__v1__visit__init(pb);
    pb->id = text(v->id);
    pb->household_id = text(v->household_id);
    pb->visited_on = text(v->visited_on);
    pb->officer = text(v->officer);
    pb->has_household_size = v->household_size > 0;
    pb->household_size = (uint32_t)v->household_size;

    hearth__v1__income__init(&p->income);
    p->income.has_wages = p->income.has_operating = 1;
    p->income.has_property = p->income.has_transfer = 1;
    p->income.wages = v->income.wages_yuan;
    p->income.operating = v->income.operating_yuan;
    p->income.property = v->income.property_yuan;
    p->income.transfer = v->income.transfer_yuan;
    pb->income = &p->income;

    hearth__v1__expenditure__init(&p->expenditure);
    p->expenditure.has_medical = p->expenditure.has_education = p->expenditure.has_disaster = 1;
    p->expenditure.medical = v->expenditure.medical_yuan;
    p->expenditure.education = v->expenditure.education_yuan;
    p->expenditure.disaster = v->expenditure.disaster_yuan;
    pb->expenditure = &p->expenditure;

    pb->n_shocks = 0;
    for (int s = HH_SHOCK_ILLNESS; s <= HH_SHOCK_BUSINESS_LOSS; s++)
        if (v->shocks & (1u << s))
            p->shocks[pb->n_shocks++] = (Hearth__V1__Shock)s;
    pb->shocks = pb->n_shocks ? p->shocks : NULL;

    hearth__v1__guarantees__init(&p->guarantees);
    p->guarantees.has_food = p->guarantees.has_clothing = p->guarantees.has_education = 1;
    p->guarantees.has_medical = p->guarantees.has_housing = p->guarantees.has_water = 1;
    p->guarantees.food = (v->guarantees_met >> HH_GUARANTEE_FOOD) & 1;
    p->guarantees.clothing = (v->guarantees_met >> HH_GUARANTEE_CLOTHING) & 1;
    p->guarantees.education = (v->guarantees_met >> HH_GUARANTEE_EDUCATION) & 1;
    p->guarantees.medical = (v->guarantees_met >> HH_GUARANTEE_MEDICAL) & 1;
    p->guarantees.housing = (v->guarantees_met >> HH_GUARANTEE_HOUSING) & 1;
    p->guarantees.water = (v->guarantees_met >> HH_GUARANTEE_WATER) & 1;
    pb->guarantees = &p->guarantees;

    if (v->has_gps) {
        hearth__v1__gps__init(&p->gps);
        p->gps.has_lat_microdeg = p->gps.has_lon_microdeg = 1;
        p->gps.lat_microdeg = v->lat_microdeg;
        p->gps.lon_microdeg = v->lon_microdeg;
        pb->gps = &p->gps;
    }
    pb->notes = text(v->notes);
    pb->supersedes = optional_text(v->supersedes);
    pb->has_hlc = v->hlc != 0;
    pb->hlc = v->hlc;
}

/* Pack msg into out (replacing its contents), within HH_CHANGE_BYTES_MAX. */
static hh_err pack_change(const Hearth__V1__Change *msg, hh_buf *out)
{
    size_t size = hearth__v1__change__get_packed_size(msg);
    void *where;
    hh_err ret;

    if (size > HH_CHANGE_BYTES_MAX)
        return HH_ERANGE;
    hh_buf_reset(out);
    if ((ret = hh_buf_extend(out, size, &where)) != HH_OK)
        return ret;
    hearth__v1__change__pack(msg, where);
    return HH_OK;
}

hh_err hh_codec_change_encode(const hh_change *c, hh_buf *out)
{
    Hearth__V1__Change msg;
    Hearth__V1__Household household;
    Hearth__V1__Member member;
    Hearth__V1__Visit visit;
    visit_parts parts;
    Hearth__V1__FieldBase bases[HH_CHANGE_FIELDS_MAX];
    Hearth__V1__FieldBase *base_ptrs[HH_CHANGE_FIELDS_MAX];

    if (c->changed_count > HH_CHANGE_FIELDS_MAX)
        return HH_ERANGE;
    hearth__v1__change__init(&msg);
    msg.device_id = text(c->device_id);
    msg.has_device_epoch = 1;
    msg.device_epoch = c->device_epoch;
    msg.has_seq = msg.has_hlc = msg.has_entity = msg.has_op = 1;
    msg.seq = c->seq;
    msg.hlc = c->hlc;
    msg.entity = (Hearth__V1__EntityType)c->entity;
    msg.op = (Hearth__V1__Operation)c->op;
    msg.entity_id = text(c->entity_id);
    for (size_t i = 0; i < c->changed_count; i++) {
        hearth__v1__field_base__init(&bases[i]);
        bases[i].field = text(c->changed[i].field);
        bases[i].has_base_hlc = 1;
        bases[i].base_hlc = c->changed[i].base_hlc;
        base_ptrs[i] = &bases[i];
    }
    msg.n_changed = c->changed_count;
    msg.changed = c->changed_count ? base_ptrs : NULL;

    switch (c->entity) {
    case HH_ENTITY_HOUSEHOLD:
        if (!c->household)
            return HH_EINVAL;
        household_to_pb(c->household, &household);
        msg.payload_case = HEARTH__V1__CHANGE__PAYLOAD_HOUSEHOLD;
        msg.household = &household;
        break;
    case HH_ENTITY_MEMBER:
        if (!c->member || !c->member_household_id)
            return HH_EINVAL;
        member_to_pb(c->member, c->member_household_id, &member);
        msg.payload_case = HEARTH__V1__CHANGE__PAYLOAD_MEMBER;
        msg.member = &member;
        break;
    case HH_ENTITY_VISIT:
        if (!c->visit)
            return HH_EINVAL;
        visit_to_pb(c->visit, &visit, &parts);
        msg.payload_case = HEARTH__V1__CHANGE__PAYLOAD_VISIT;
        msg.visit = &visit;
        break;
    default:
        return HH_EINVAL;
    }
    return pack_change(&msg, out);
}

hh_err hh_codec_change_reidentify(const uint8_t *in, size_t len, const char *device_id,
                                  uint32_t device_epoch, uint64_t seq, hh_buf *out)
{
    Hearth__V1__Change *msg;
    char *old_id;
    hh_err ret;

    if (len > HH_CHANGE_BYTES_MAX || !(msg = hearth__v1__change__unpack(NULL, len, in)))
        return HH_ECORRUPT;
    old_id = msg->device_id;
    msg->device_id = (char *)device_id;
    msg->has_device_epoch = msg->has_seq = 1;
    msg->device_epoch = device_epoch;
    msg->seq = seq;
    ret = pack_change(msg, out);
    msg->device_id = old_id;   /* the unpacked message frees its own string */
    hearth__v1__change__free_unpacked(msg, NULL);
    /* protobuf-c keeps what it did not know and packs it again as it reads
     * it: an unknown field numbered 0 (tolerated in a long tag) comes out as
     * a tag no decoder takes. What this gives must decode. */
    if (ret == HH_OK) {
        if (!(msg = hearth__v1__change__unpack(NULL, out->len, (const uint8_t *)out->data)))
            return HH_ECORRUPT;
        hearth__v1__change__free_unpacked(msg, NULL);
    }
    return ret;
}

/* ---- decoding ------------------------------------------------------------------- */

static hh_err copy_text(const char *field, const char *src, char *dst, size_t cap, int required,
                        hh_diag *d)
{
    size_t n = src ? strlen(src) : 0;

    dst[0] = '\0';
    if (!src || n == 0)
        return required ? hh_diag_fail(d, HH_EINVAL, field, "is required") : HH_OK;
    if (n >= cap)
        return hh_diag_fail(d, HH_ERANGE, field, "is longer than %zu bytes", cap - 1);
    memcpy(dst, src, n + 1);
    return HH_OK;
}

/* An enumeration value from the wire: in 1..e->count. */
static hh_err wire_enum(const hh_enum_names *e, int has, int value, int *out, hh_diag *d)
{
    if (!has || !hh_enum_name(e, value))
        return hh_diag_fail(d, HH_EINVAL, e->kind, "is missing or out of range");
    *out = value;
    return HH_OK;
}

static hh_err household_fields_from_pb(const Hearth__V1__Household *pb, hh_household *h, hh_diag *d)
{
    int v = 0;
    hh_err ret;

    memset(h, 0, sizeof *h);
    if ((ret = copy_text("id", pb->id, h->id, sizeof h->id, 1, d)) != HH_OK ||
        (ret = copy_text("registry_no", pb->registry_no, h->registry_no, sizeof h->registry_no, 0, d)) != HH_OK ||
        (ret = copy_text("village_code", pb->village_code, h->village_code, sizeof h->village_code, 1, d)) != HH_OK ||
        (ret = copy_text("resettlement_site", pb->resettlement_site, h->resettlement_site,
                         sizeof h->resettlement_site, 0, d)) != HH_OK ||
        (ret = wire_enum(&hh_category_names, pb->has_category, (int)pb->category, &v, d)) != HH_OK)
        return ret;
    h->category = (hh_category)v;
    h->relocated = pb->has_relocated && pb->relocated;
    return HH_OK;
}

static hh_err household_from_pb(const Hearth__V1__Household *pb, hh_household *h, hh_diag *d)
{
    hh_err ret = household_fields_from_pb(pb, h, d);

    if (ret != HH_OK)
        return ret;
    if (pb->n_members != 0)
        return hh_diag_fail(d, HH_EINVAL, "members", "are sent as changes of their own");
    return hh_household_validate_received(h, 2100, d);
}

static hh_err member_from_pb(const Hearth__V1__Member *pb, int current_year, hh_member *m,
                             hh_diag *d)
{
    int v = 0;
    hh_err ret;

    hh_member_init(m);
    if ((ret = copy_text("id", pb->id, m->id, sizeof m->id, 1, d)) != HH_OK ||
        (ret = copy_text("name", pb->name, m->name, sizeof m->name, 1, d)) != HH_OK ||
        (ret = copy_text("id_number", pb->id_number, m->id_number, sizeof m->id_number, 1, d)) != HH_OK)
        return ret;
#define ENUM(names, has, value, field)                                              \
    do {                                                                            \
        if ((ret = wire_enum(names, pb->has, (int)pb->value, &v, d)) != HH_OK)       \
            return ret;                                                             \
        m->field = v;                                                               \
    } while (0)
    ENUM(&hh_relation_names, has_relation, relation, relation);
    ENUM(&hh_sex_names, has_sex, sex, sex);
    ENUM(&hh_labour_names, has_labour, labour, labour);
    ENUM(&hh_health_names, has_health, health, health);
    ENUM(&hh_school_names, has_school, school, school);
    ENUM(&hh_employment_names, has_employment, employment, employment);
#undef ENUM
    if (!pb->has_birth_year || pb->birth_year > 9999)
        return hh_diag_fail(d, HH_EINVAL, "birth_year", "is missing or out of range");
    m->birth_year = (int)pb->birth_year;
    m->disability_grade = pb->has_disability_grade && pb->disability_grade <= 4
                          ? (int)pb->disability_grade : pb->has_disability_grade ? 99 : 0;
    m->medical_insurance = pb->has_medical_insurance && pb->medical_insurance;
    m->employment_stable = pb->has_employment_stable ? (pb->employment_stable ? 1 : 0) : -1;
    return hh_member_validate_received(m, current_year, d);
}

hh_err hh_codec_visit_from_pb(const Hearth__V1__Visit *pb, hh_visit *v, hh_diag *d)
{
    hh_err ret;

    hh_visit_init(v);
    if ((ret = copy_text("id", pb->id, v->id, sizeof v->id, 1, d)) != HH_OK ||
        (ret = copy_text("household_id", pb->household_id, v->household_id,
                         sizeof v->household_id, 1, d)) != HH_OK ||
        (ret = copy_text("visited_on", pb->visited_on, v->visited_on, sizeof v->visited_on, 1, d)) != HH_OK ||
        (ret = copy_text("officer", pb->officer, v->officer, sizeof v->officer, 1, d)) != HH_OK ||
        (ret = copy_text("notes", pb->notes, v->notes, sizeof v->notes, 0, d)) != HH_OK ||
        (ret = copy_text("supersedes", pb->supersedes, v->supersedes, sizeof v->supersedes, 0, d)) != HH_OK)
        return ret;
    if (pb->household_size > HH_HOUSEHOLD_SIZE_MAX)
        return hh_diag_fail(d, HH_ERANGE, "household_size", "is over %d", HH_HOUSEHOLD_SIZE_MAX);
    v->household_size = (int)pb->household_size;
    if (!pb->income || !pb->expenditure || !pb->guarantees)
        return hh_diag_fail(d, HH_EINVAL, "visit", "income, expenditure and guarantees are required");
    v->income = (hh_income){ pb->income->wages, pb->income->operating, pb->income->property,
                             pb->income->transfer };
    v->expenditure = (hh_expenditure){ pb->expenditure->medical, pb->expenditure->education,
                                       pb->expenditure->disaster };
    if (pb->n_shocks > 16)
        return hh_diag_fail(d, HH_ERANGE, "shocks", "too many");
    for (size_t i = 0; i < pb->n_shocks; i++) {
        if (!hh_enum_name(&hh_shock_names, (int)pb->shocks[i]))
            return hh_diag_fail(d, HH_EINVAL, "shocks", "contains an unknown shock");
        v->shocks |= 1u << pb->shocks[i];
    }
    v->guarantees_met = (pb->guarantees->food ? 1u << HH_GUARANTEE_FOOD : 0) |
                        (pb->guarantees->clothing ? 1u << HH_GUARANTEE_CLOTHING : 0) |
                        (pb->guarantees->education ? 1u << HH_GUARANTEE_EDUCATION : 0) |
                        (pb->guarantees->medical ? 1u << HH_GUARANTEE_MEDICAL : 0) |
                        (pb->guarantees->housing ? 1u << HH_GUARANTEE_HOUSING : 0) |
                        (pb->guarantees->water ? 1u << HH_GUARANTEE_WATER : 0);
    if (pb->gps) {
        v->has_gps = true;
        v->lat_microdeg = pb->gps->lat_microdeg;
        v->lon_microdeg = pb->gps->lon_microdeg;
    }
    v->hlc = pb->hlc;
    if (!HH_HLC_PLAUSIBLE(v->hlc))
        return hh_diag_fail(d, HH_ERANGE, "visit.hlc", "is a stamp past 2100");
    return hh_visit_validate(v, d);
}

hh_err hh_codec_change_from_pb(const Hearth__V1__Change *pb, int current_year,
                               hh_change_in *out, hh_diag *d)
{
    hh_err ret;

    memset(out, 0, sizeof *out);
    if ((ret = copy_text("device_id", pb->device_id, out->device_id, sizeof out->device_id, 1, d)) != HH_OK ||
        (ret = copy_text("entity_id", pb->entity_id, out->entity_id, sizeof out->entity_id, 1, d)) != HH_OK)
        return ret;
    if (hh_validate_uuid(out->device_id, NULL) != HH_OK || hh_validate_uuid(out->entity_id, NULL) != HH_OK)
        return hh_diag_fail(d, HH_EINVAL, "change", "device_id and entity_id must be UUIDs");
    if (!pb->has_seq || pb->seq == 0 || pb->seq >= UINT64_MAX / 2 || !pb->has_hlc || pb->hlc == 0)
        return hh_diag_fail(d, HH_EINVAL, "change", "needs a seq and an hlc");
    if (!HH_HLC_PLAUSIBLE(pb->hlc))
        return hh_diag_fail(d, HH_ERANGE, "change.hlc", "is a stamp past 2100");
    if (!pb->has_entity || pb->entity < HEARTH__V1__ENTITY_TYPE__ENTITY_HOUSEHOLD ||
        pb->entity > HEARTH__V1__ENTITY_TYPE__ENTITY_VISIT ||
        !pb->has_op || pb->op < HEARTH__V1__OPERATION__OPERATION_CREATE ||
        pb->op > HEARTH__V1__OPERATION__OPERATION_DELETE)
        return hh_diag_fail(d, HH_EINVAL, "change", "unknown entity or operation");
    out->seq = pb->seq;
    out->hlc = pb->hlc;
    out->device_epoch = pb->device_epoch;
    out->entity = (hh_entity)pb->entity;
    out->op = (hh_op)pb->op;
    if (pb->n_changed > HH_CHANGE_FIELDS_MAX)
        return hh_diag_fail(d, HH_ERANGE, "changed", "lists more than %d fields", HH_CHANGE_FIELDS_MAX);
    for (size_t i = 0; i < pb->n_changed; i++) {
        if ((ret = copy_text("changed.field", pb->changed[i]->field, out->changed[i].field,
                             sizeof out->changed[i].field, 1, d)) != HH_OK)
            return ret;
        out->changed[i].base_hlc = pb->changed[i]->base_hlc;
        if (!HH_HLC_PLAUSIBLE(out->changed[i].base_hlc))
            return hh_diag_fail(d, HH_ERANGE, "changed.base_hlc", "is a stamp past 2100");
    }
    out->changed_count = pb->n_changed;
    switch (out->entity) {
    case HH_ENTITY_HOUSEHOLD:
        if (pb->payload_case != HEARTH__V1__CHANGE__PAYLOAD_HOUSEHOLD)
            return hh_diag_fail(d, HH_EINVAL, "change", "a household change needs a household");
        ret = household_from_pb(pb->household, &out->household, d);
        if (ret == HH_OK && strcmp(out->household.id, out->entity_id) != 0)
            ret = hh_diag_fail(d, HH_EINVAL, "entity_id", "does not match the household");
        return ret;
    case HH_ENTITY_MEMBER:
        if (pb->payload_case != HEARTH__V1__CHANGE__PAYLOAD_MEMBER)
            return hh_diag_fail(d, HH_EINVAL, "change", "a member change needs a member");
        if ((ret = copy_text("household_id", pb->member->household_id, out->member_household_id,
                             sizeof out->member_household_id, 1, d)) != HH_OK)
            return ret;
        ret = member_from_pb(pb->member, current_year, &out->member, d);
        if (ret == HH_OK && strcmp(out->member.id, out->entity_id) != 0)
            ret = hh_diag_fail(d, HH_EINVAL, "entity_id", "does not match the member");
        return ret;
    case HH_ENTITY_VISIT:
        if (pb->payload_case != HEARTH__V1__CHANGE__PAYLOAD_VISIT)
            return hh_diag_fail(d, HH_EINVAL, "change", "a visit change needs a visit");
        ret = hh_codec_visit_from_pb(pb->visit, &out->visit, d);
        if (ret == HH_OK && strcmp(out->visit.id, out->entity_id) != 0)
            ret = hh_diag_fail(d, HH_EINVAL, "entity_id", "does not match the visit");
        return ret;
    }
    return HH_EINVAL;
}

/* ---- household snapshots (pulled by devices) ------------------------------------------- */

static hh_err versions_from_pb(const char *entity_id, Hearth__V1__FieldBase *const *v, size_t n,
                               hh_snapshot *out, hh_diag *d)
{
    for (size_t i = 0; i < n; i++) {
        hh_field_version *fv;
        hh_err ret;
        if (out->version_count >= HH_SNAPSHOT_VERSIONS_MAX)
            return hh_diag_fail(d, HH_ERANGE, "versions", "too many");
        fv = &out->versions[out->version_count];
        if ((ret = copy_text("versions.field", v[i]->field, fv->field, sizeof fv->field, 1, d)) != HH_OK)
            return ret;
        memcpy(fv->entity_id, entity_id, sizeof fv->entity_id);
        fv->hlc = v[i]->base_hlc;
        if (!HH_HLC_PLAUSIBLE(fv->hlc))
            return hh_diag_fail(d, HH_ERANGE, "versions.hlc", "is a stamp past 2100");
        out->version_count++;
    }
    return HH_OK;
}

hh_err hh_codec_snapshot_from_pb(const Hearth__V1__Household *pb, int current_year,
                                 hh_snapshot *out, hh_diag *d)
{
    hh_err ret;

    memset(out, 0, sizeof *out);
    if ((ret = household_fields_from_pb(pb, &out->household, d)) != HH_OK)
        return ret;
    if (pb->n_members > HH_MEMBERS_MAX)
        return hh_diag_fail(d, HH_ERANGE, "members", "more than %d", HH_MEMBERS_MAX);
    if ((ret = versions_from_pb(out->household.id, pb->versions, pb->n_versions, out, d)) != HH_OK)
        return ret;
    for (size_t i = 0; i < pb->n_members; i++) {
        hh_member *m = &out->household.members[i];
        if ((ret = member_from_pb(pb->members[i], current_year, m, d)) != HH_OK ||
            (ret = versions_from_pb(m->id, pb->members[i]->versions, pb->members[i]->n_versions, out, d)) != HH_OK)
            return ret;
        out->household.member_count++;
    }
    return hh_household_validate_received(&out->household, current_year, d);
}

struct hh_snapshot_pb {
    hh_snapshot snap;              /* the strings the message points into */
    Hearth__V1__Household household;
    Hearth__V1__Member members[HH_MEMBERS_MAX];
    Hearth__V1__Member *member_ptrs[HH_MEMBERS_MAX];
    Hearth__V1__FieldBase versions[HH_SNAPSHOT_VERSIONS_MAX];
    Hearth__V1__FieldBase *version_ptrs[HH_SNAPSHOT_VERSIONS_MAX];
};

hh_snapshot_pb *hh_codec_snapshot_to_pb(const hh_snapshot *from)
{
    hh_snapshot_pb *p = calloc(1, sizeof *p);
    const hh_snapshot *snap;
    const hh_household *h;
    size_t next = 0;

    if (!p)
        return NULL;
    /* The message borrows text from its own copy, not from the caller's. */
    p->snap = *from;
    snap = &p->snap;
    h = &snap->household;
    household_to_pb(h, &p->household);
    for (int i = 0; i < h->member_count; i++) {
        member_to_pb(&h->members[i], h->id, &p->members[i]);
        p->member_ptrs[i] = &p->members[i];
    }
    p->household.n_members = (size_t)h->member_count;
    p->household.members = h->member_count ? p->member_ptrs : NULL;
    /* Versions go with the entity they belong to: the household, then members. */
    for (size_t i = 0; i < snap->version_count; i++) {
        const hh_field_version *fv = &snap->versions[i];
        Hearth__V1__FieldBase *b = &p->versions[next];
        Hearth__V1__Household *hp = &p->household;
        hearth__v1__field_base__init(b);
        b->field = text(fv->field);
        b->has_base_hlc = 1;
        b->base_hlc = fv->hlc;
        p->version_ptrs[next] = b;
        if (strcmp(fv->entity_id, h->id) == 0) {
            if (!hp->versions)
                hp->versions = &p->version_ptrs[next];
            hp->n_versions++;
        } else {
            for (int m = 0; m < h->member_count; m++) {
                if (strcmp(fv->entity_id, h->members[m].id) != 0)
                    continue;
                if (!p->members[m].versions)
                    p->members[m].versions = &p->version_ptrs[next];
                p->members[m].n_versions++;
            }
        }
        next++;
    }
    return p;
}

const Hearth__V1__Household *hh_snapshot_pb_message(const hh_snapshot_pb *p)
{
    return &p->household;
}

void hh_snapshot_pb_free(hh_snapshot_pb *p)
{
    free(p);
}

struct hh_visit_pb {
    hh_visit visit;                /* the strings the message points into */
    Hearth__V1__Visit msg;
    visit_parts parts;
};

hh_visit_pb *hh_codec_visit_to_pb(const hh_visit *v)
{
    hh_visit_pb *p = malloc(sizeof *p);

    if (!p)
        return NULL;
    p->visit = *v;
    visit_to_pb(&p->visit, &p->msg, &p->parts);
    return p;
}

const struct Hearth__V1__Visit *hh_visit_pb_message(const hh_visit_pb *p)
{
    return &p->msg;
}

void hh_visit_pb_free(hh_visit_pb *p)
{
    free(p);
}

/* model/review.h's order: computed, verified, village_approved,
 * township_approved, monitored, release_proposed, release_village_approved,
 * release_township_approved, released, dismissed. */
static const int review_pb[] = {
    HEARTH__V1__REVIEW_STATE__REVIEW_COMPUTED,
    HEARTH__V1__REVIEW_STATE__REVIEW_VERIFIED,
    HEARTH__V1__REVIEW_STATE__REVIEW_VILLAGE_APPROVED,
    HEARTH__V1__REVIEW_STATE__REVIEW_TOWNSHIP_APPROVED,
    HEARTH__V1__REVIEW_STATE__REVIEW_MONITORED,
    HEARTH__V1__REVIEW_STATE__REVIEW_RELEASE_PROPOSED,
    HEARTH__V1__REVIEW_STATE__REVIEW_RELEASE_VILLAGE_APPROVED,
    HEARTH__V1__REVIEW_STATE__REVIEW_RELEASE_TOWNSHIP_APPROVED,
    HEARTH__V1__REVIEW_STATE__REVIEW_RELEASED,
    HEARTH__V1__REVIEW_STATE__REVIEW_DISMISSED,
};
#define REVIEW_STATES ((int)(sizeof review_pb / sizeof review_pb[0]))

int hh_codec_review_to_pb(int state)
{
    return state >= 1 && state <= REVIEW_STATES ? review_pb[state - 1]
                                                : HEARTH__V1__REVIEW_STATE__REVIEW_UNSPECIFIED;
}

int hh_codec_review_from_pb(int pb)
{
    if (pb == HEARTH__V1__REVIEW_STATE__REVIEW_INTERVENING)
        pb = HEARTH__V1__REVIEW_STATE__REVIEW_MONITORED;
    for (int i = 0; i < REVIEW_STATES; i++)
        if (review_pb[i] == pb)
            return i + 1;
    return 0;
}
