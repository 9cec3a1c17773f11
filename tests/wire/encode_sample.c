/* tests/wire/encode_sample.c — write protobuf messages made by Hearth's own
 * encoder (sync/codec.c) for tests/wire/check_decode.py to read back with an
 * independent implementation (python3-protobuf).
 *
 * usage: encode_sample DIR
 * Writes DIR/household.bin, DIR/member.bin and DIR/visit.bin (each one Change)
 * and DIR/expected.json with the values they must decode to. */
#include <stdio.h>
#include <string.h>

#include "model/buf.h"
#include "platform/platform.h"
#include "sync/codec.h"

static int write_change(const char *dir, const char *name, const hh_change *c)
{
    char path[HH_PATH_MAX];
    hh_buf b;
    hh_err ret;

    hh_buf_init(&b, HH_CHANGE_BYTES_MAX);
    snprintf(path, sizeof path, "%s/%s.bin", dir, name);
    ret = hh_codec_change_encode(c, &b);
    if (ret == HH_OK)
        ret = hh_platform_write_file_durable(path, b.data, b.len, 0644);
    hh_buf_free(&b);
    if (ret != HH_OK)
        fprintf(stderr, "encode_sample: %s: %s\n", name, hh_strerror(ret));
    return ret != HH_OK;
}

int main(int argc, char **argv)
{
    static const char expected[] =
        "{\"device_id\": \"01a20000-0000-7000-8000-000000000001\", \"seq_base\": 41,\n"
        " \"household\": {\"id\": \"01a20000-0000-7000-8000-0000000000aa\", \"registry_no\": \"5118231012010001\",\n"
        "   \"village_code\": \"511823101201\", \"category\": 2, \"relocated\": true,\n"
        "   \"resettlement_site\": \"大树镇安置点\", \"changed\": [[\"category\", 0], [\"relocated\", 77]]},\n"
        " \"member\": {\"name\": \"张三\", \"id_number\": \"11010519491231002X\", \"birth_year\": 1949,\n"
        "   \"health\": 4, \"disability_grade\": 2, \"employment\": 4, \"employment_stable\": false},\n"
        " \"visit\": {\"visited_on\": \"2026-10-01\", \"officer\": \"officer-017\", \"household_size\": 4,\n"
        "   \"wages\": 12000, \"operating\": 3000, \"property\": 0, \"transfer\": 2000, \"medical\": 8800,\n"
        "   \"shocks\": [1, 7], \"water\": false, \"food\": true, \"lat\": 29351234, \"lon\": 102678901,\n"
        "   \"notes\": \"因病 \\\"quoted\\\"\"}}\n";
    const char *dir;
    hh_household h;
    hh_member m;
    hh_visit v;
    hh_change c;
    char path[HH_PATH_MAX];
    int failures = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: encode_sample DIR\n");
        return 2;
    }
    dir = argv[1];
    memset(&h, 0, sizeof h);
    strcpy(h.id, "01a20000-0000-7000-8000-0000000000aa");
    strcpy(h.registry_no, "5118231012010001");
    strcpy(h.village_code, "511823101201");
    h.category = HH_CATEGORY_LIFTED;
    h.relocated = true;
    strcpy(h.resettlement_site, "大树镇安置点");
    memset(&c, 0, sizeof c);
    c.device_id = "01a20000-0000-7000-8000-000000000001";
    c.device_epoch = 1;
    c.seq = 41;
    c.hlc = ((uint64_t)1790000000000 << 16) | 3;
    c.entity = HH_ENTITY_HOUSEHOLD;
    c.op = HH_OP_UPDATE;
    c.entity_id = h.id;
    c.changed_count = 2;
    c.changed[0] = (hh_field_base){ "category", 0 };
    c.changed[1] = (hh_field_base){ "relocated", 77 };
    c.household = &h;
    failures += write_change(dir, "household", &c);

    hh_member_init(&m);
    strcpy(m.id, "01a20000-0000-7000-8000-0000000000bb");
    strcpy(m.name, "张三");
    strcpy(m.id_number, "11010519491231002X");
    m.relation = HH_RELATION_HEAD;
    m.sex = HH_SEX_FEMALE;
    m.birth_year = 1949;
    m.labour = HH_LABOUR_NONE;
    m.health = HH_HEALTH_DISABLED;
    m.disability_grade = 2;
    m.school = HH_SCHOOL_NONE;
    m.medical_insurance = true;
    m.employment = HH_EMPLOYMENT_PUBLIC_WELFARE_POST;
    m.employment_stable = 0;
    c.seq = 42;
    c.entity = HH_ENTITY_MEMBER;
    c.op = HH_OP_CREATE;
    c.entity_id = m.id;
    c.changed_count = 0;
    c.household = NULL;
    c.member = &m;
    c.member_household_id = h.id;
    failures += write_change(dir, "member", &c);

    hh_visit_init(&v);
    strcpy(v.id, "01a20000-0000-7000-8000-0000000000cc");
    strcpy(v.household_id, h.id);
    strcpy(v.visited_on, "2026-10-01");
    strcpy(v.officer, "officer-017");
    v.household_size = 4;
    v.income = (hh_income){ 12000, 3000, 0, 2000 };
    v.expenditure.medical_yuan = 8800;
    v.shocks = (1u << HH_SHOCK_ILLNESS) | (1u << HH_SHOCK_JOB_LOSS);
    v.guarantees_met = HH_GUARANTEES_ALL & ~(1u << HH_GUARANTEE_WATER);
    v.has_gps = true;
    v.lat_microdeg = 29351234;
    v.lon_microdeg = 102678901;
    strcpy(v.notes, "因病 \"quoted\"");
    v.hlc = c.hlc;
    c.seq = 43;
    c.entity = HH_ENTITY_VISIT;
    c.entity_id = v.id;
    c.member = NULL;
    c.visit = &v;
    failures += write_change(dir, "visit", &c);

    snprintf(path, sizeof path, "%s/expected.json", dir);
    if (hh_platform_write_file_durable(path, expected, strlen(expected), 0644) != HH_OK)
        failures++;
    return failures ? 1 : 0;
}
