/* tests/unit/test_wire.c — sync/wire.c: protocol 2 gives back exactly the
 * changes protocol 1 carries, refuses what it cannot carry exactly, and
 * inflation stops at its bound. */
#include "helpers.h"

#include "model/buf.h"
#include "proto/hearth.pb-c.h"
#include "sync/codec.h"
#include "sync/wire.h"

#define DEVICE "01900000-0000-7000-8000-00000000d001"
#define HOUSE  "01900000-0000-7000-8000-0000000000a1"
#define MEMBER "01900000-0000-7000-8000-0000000000b1"
#define VISIT  "01900000-0000-7000-8000-0000000000c1"

static void keys_round_trip(void **state)
{
    uint8_t key[HH_WIRE_KEY_LEN];
    char text[HH_UUID_LEN + 1];
    (void)state;
    assert_int_equal(hh_wire_key(VISIT, key), HH_OK);
    assert_int_equal(key[0], 0x01);
    assert_int_equal(key[15], 0xc1);
    hh_wire_key_text(key, text);
    assert_string_equal(text, VISIT);
    /* Only the canonical spelling: anything else would not come back the same. */
    assert_int_equal(hh_wire_key("01900000-0000-7000-8000-0000000000C1", key), HH_EINVAL);
    assert_int_equal(hh_wire_key("019000000000-7000-8000-0000000000c1-", key), HH_EINVAL);
    assert_int_equal(hh_wire_key("01900000-0000-7000-8000-0000000000c", key), HH_EINVAL);
    assert_int_equal(hh_wire_key(NULL, key), HH_EINVAL);
}

/* Append change c, encoded as the agent encodes it, to a protocol-1 request. */
static void add_change(Hearth__V1__SyncRequest *req, const hh_change *c, hh_buf *encoded)
{
    hh_buf_init(encoded, HH_CHANGE_BYTES_MAX);
    assert_int_equal(hh_codec_change_encode(c, encoded), HH_OK);
    req->changes = realloc(req->changes, (req->n_changes + 1) * sizeof *req->changes);
    req->changes[req->n_changes] =
        hearth__v1__change__unpack(NULL, encoded->len, (const uint8_t *)encoded->data);
    assert_non_null(req->changes[req->n_changes]);
    req->n_changes++;
}

/* A request of one household, one member and one visit, packed. */
static void sample_request(hh_buf *packed, hh_buf encoded[3], uint64_t visit_hlc_offset)
{
    Hearth__V1__SyncRequest req = HEARTH__V1__SYNC_REQUEST__INIT;
    hh_household h;
    hh_member m;
    hh_visit v;
    hh_change c;
    void *where;

    memset(&h, 0, sizeof h);
    strcpy(h.id, HOUSE);
    strcpy(h.registry_no, "5118231012010001");
    strcpy(h.village_code, "511823101201");
    h.category = HH_CATEGORY_LIFTED;
    hh_member_init(&m);
    strcpy(m.id, MEMBER);
    strcpy(m.name, "张三");
    strcpy(m.id_number, ID_1970);
    m.relation = HH_RELATION_HEAD;
    hh_visit_init(&v);
    strcpy(v.id, VISIT);
    strcpy(v.household_id, HOUSE);
    strcpy(v.visited_on, "2026-05-01");
    strcpy(v.officer, "officer-1");
    v.income.wages_yuan = 9000;
    req.has_protocol = 1;
    req.protocol = 1;
    req.device_id = DEVICE;
    memset(&c, 0, sizeof c);
    c.device_id = DEVICE;
    c.device_epoch = 3;
    c.seq = 7;
    c.hlc = (1777000000000ull << 16) | 5;
    c.entity = HH_ENTITY_HOUSEHOLD;
    c.op = HH_OP_CREATE;
    c.entity_id = HOUSE;
    c.household = &h;
    c.changed_count = 1;
    c.changed[0].field = "village_code";
    add_change(&req, &c, &encoded[0]);
    c.seq = 9;               /* a gap: seq 8 was rejected on the device, say */
    c.hlc -= 3;              /* a stamp behind the one before: deltas go both ways */
    c.entity = HH_ENTITY_MEMBER;
    c.entity_id = MEMBER;
    c.household = NULL;
    c.member = &m;
    c.member_household_id = HOUSE;
    c.changed_count = 0;
    add_change(&req, &c, &encoded[1]);
    c.seq = 10;
    c.hlc += 1000;
    c.entity = HH_ENTITY_VISIT;
    c.entity_id = VISIT;
    c.member = NULL;
    c.visit = &v;
    v.hlc = c.hlc + visit_hlc_offset;
    add_change(&req, &c, &encoded[2]);
    hh_buf_init(packed, 1 << 20);
    assert_int_equal(hh_buf_extend(packed, hearth__v1__sync_request__get_packed_size(&req), &where), HH_OK);
    hearth__v1__sync_request__pack(&req, where);
    for (size_t i = 0; i < req.n_changes; i++)
        hearth__v1__change__free_unpacked(req.changes[i], NULL);
    free(req.changes);
}

static void compact_expand_is_exact(void **state)
{
    hh_buf v1, v2, encoded[3];
    hh_wire_change room[3];
    Hearth__V1__Change *changes[3];
    Hearth__V1__SyncRequest *in;
    (void)state;
    sample_request(&v1, encoded, 0);
    hh_buf_init(&v2, 1 << 20);
    assert_int_equal(hh_wire_request_compact((const uint8_t *)v1.data, v1.len, &v2), HH_OK);
    /* Smaller before any compression: no device id, no text ids. */
    assert_true(v2.len + 150 < v1.len);
    in = hearth__v1__sync_request__unpack(NULL, v2.len, (const uint8_t *)v2.data);
    assert_non_null(in);
    assert_int_equal(in->protocol, 2);
    assert_int_equal(in->n_changes, 0);
    assert_int_equal(in->n_compact_changes, 3);
    assert_int_equal(hh_wire_request_expand(in, room, changes), HH_OK);
    for (int i = 0; i < 3; i++) {
        /* Packed again, each is byte for byte the change the agent encoded. */
        uint8_t out[4096];
        size_t n = hearth__v1__change__get_packed_size(changes[i]);
        assert_true(n <= sizeof out);
        hearth__v1__change__pack(changes[i], out);
        assert_int_equal(n, encoded[i].len);
        assert_memory_equal(out, encoded[i].data, n);
        hh_buf_free(&encoded[i]);
    }
    assert_int_equal(changes[1]->seq, 9);
    assert_string_equal(changes[2]->visit->household_id, HOUSE);
    hearth__v1__sync_request__free_unpacked(in, NULL);
    hh_buf_free(&v1);
    hh_buf_free(&v2);
}

static void inexact_goes_as_protocol_1(void **state)
{
    hh_buf v1, v2, encoded[3];
    (void)state;
    /* A visit whose stamp is not its change's cannot be left out exactly. */
    sample_request(&v1, encoded, 1);
    hh_buf_init(&v2, 1 << 20);
    assert_int_equal(hh_wire_request_compact((const uint8_t *)v1.data, v1.len, &v2), HH_EINVAL);
    assert_int_equal(hh_wire_request_compact((const uint8_t *)"\xff\xff", 2, &v2), HH_EPROTO);
    for (int i = 0; i < 3; i++)
        hh_buf_free(&encoded[i]);
    hh_buf_free(&v1);
    hh_buf_free(&v2);
}

static void malformed_compact_refused(void **state)
{
    Hearth__V1__SyncRequest req = HEARTH__V1__SYNC_REQUEST__INIT;
    Hearth__V1__CompactChange c = HEARTH__V1__COMPACT_CHANGE__INIT, *ptr = &c;
    Hearth__V1__Visit v = HEARTH__V1__VISIT__INIT;
    hh_wire_change room[1];
    Hearth__V1__Change *changes[1];
    uint8_t key[HH_WIRE_KEY_LEN] = { 1 };
    (void)state;
    req.device_id = DEVICE;
    req.n_compact_changes = 1;
    req.compact_changes = &ptr;
    c.payload_case = HEARTH__V1__COMPACT_CHANGE__PAYLOAD_VISIT;
    c.visit = &v;
    c.has_entity_key = 1;
    c.entity_key.data = key;
    c.entity_key.len = 15;                        /* not 16 bytes */
    c.has_household_key = 1;
    c.household_key.data = key;
    c.household_key.len = 16;
    assert_int_equal(hh_wire_request_expand(&req, room, changes), HH_EINVAL);
    c.entity_key.len = 16;
    assert_int_equal(hh_wire_request_expand(&req, room, changes), HH_OK);
    c.has_seq_delta = 1;                           /* a seq that does not move */
    c.seq_delta = 0;
    assert_int_equal(hh_wire_request_expand(&req, room, changes), HH_EINVAL);
    c.has_seq_delta = 0;
    c.has_household_key = 0;                       /* a visit of no household */
    assert_int_equal(hh_wire_request_expand(&req, room, changes), HH_EINVAL);
}

static void inflation_is_bounded(void **state)
{
    char *zeros = calloc(1, 4 << 20);
    hh_buf packed, out;
    (void)state;
    hh_buf_init(&packed, 1 << 20);
    hh_buf_init(&out, 8 << 20);
    /* 4 MiB of zeros deflate to a few KiB: a bomb for a 1 MiB limit. */
    assert_int_equal(hh_wire_deflate(zeros, 4 << 20, &packed), HH_OK);
    assert_true(packed.len < 8192);
    assert_int_equal(hh_wire_inflate(packed.data, packed.len, 1 << 20, &out), HH_ERANGE);
    assert_int_equal(out.len, 0);
    assert_int_equal(hh_wire_inflate(packed.data, packed.len, 4 << 20, &out), HH_OK);
    assert_int_equal(out.len, 4 << 20);
    assert_memory_equal(out.data, zeros, 4 << 20);
    /* Cut short, or followed by bytes that are not its own: refused. */
    assert_int_equal(hh_wire_inflate(packed.data, packed.len - 4, 4 << 20, &out), HH_EPROTO);
    assert_int_equal(hh_buf_append(&packed, "x", 1), HH_OK);
    assert_int_equal(hh_wire_inflate(packed.data, packed.len, 4 << 20, &out), HH_EPROTO);
    assert_int_equal(hh_wire_inflate("not zlib", 8, 4 << 20, &out), HH_EPROTO);
    hh_buf_free(&packed);
    hh_buf_free(&out);
    free(zeros);
}

/* The collector asks for big batches while few devices push, small ones while
 * many do; the device keeps within bounds whatever it is told. */
static void batch_sizes(void **state)
{
    Hearth__V1__SyncResponse r = HEARTH__V1__SYNC_RESPONSE__INIT;
    (void)state;
    assert_int_equal(hh_wire_batch_hint(0), HH_WIRE_BATCH_CHANGES_MAX);
    assert_int_equal(hh_wire_batch_hint(1), HH_WIRE_BATCH_CHANGES_MAX);
    assert_int_equal(hh_wire_batch_hint(16), HH_WIRE_BACKLOG_CHANGES / 16);
    assert_int_equal(hh_wire_batch_hint(200), HH_WIRE_BACKLOG_CHANGES / 200);
    assert_true(hh_wire_batch_hint(200) < hh_wire_batch_hint(32));
    assert_int_equal(hh_wire_batch_hint(100000), HH_WIRE_BATCH_MIN);
    assert_int_equal(hh_wire_batch_next(NULL), HH_WIRE_BATCH_UNHINTED);
    assert_int_equal(hh_wire_batch_next(&r), 512);   /* an older collector: what it takes */
    r.has_batch_changes = 1;
    r.batch_changes = 100;
    assert_int_equal(hh_wire_batch_next(&r), 100);
    r.batch_changes = 0;
    assert_int_equal(hh_wire_batch_next(&r), HH_WIRE_BATCH_MIN);
    r.batch_changes = 4000000000u;
    assert_int_equal(hh_wire_batch_next(&r), HH_WIRE_BATCH_CHANGES_MAX);
    assert_true(HH_WIRE_BATCH_FIRST >= HH_WIRE_BATCH_MIN && HH_WIRE_BATCH_FIRST <= HH_WIRE_BATCH_CHANGES_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys_round_trip),
        cmocka_unit_test(compact_expand_is_exact),
        cmocka_unit_test(inexact_goes_as_protocol_1),
        cmocka_unit_test(malformed_compact_refused),
        cmocka_unit_test(inflation_is_bounded),
        cmocka_unit_test(batch_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
