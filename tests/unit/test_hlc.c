/* tests/unit/test_hlc.c — model/hlc.c: monotonic stamps whatever the wall
 * clock does, peers' stamps, and UUIDv7 layout. */
#include "helpers.h"

#include "model/hlc.h"

static void forward_clock(void **state)
{
    hh_hlc c = { 0 };
    uint64_t a, b;
    (void)state;
    assert_int_equal(hh_hlc_tick(&c, 1000, &a), HH_OK);
    assert_int_equal(HH_HLC_MS(a), 1000);
    assert_int_equal(HH_HLC_COUNTER(a), 0);
    assert_int_equal(hh_hlc_tick(&c, 2000, &b), HH_OK);
    assert_true(b > a);
    assert_int_equal(HH_HLC_MS(b), 2000);
}

static void wall_clock_jumps_back(void **state)
{
    hh_hlc c = { 0 };
    uint64_t prev = 0, now;
    (void)state;
    assert_int_equal(hh_hlc_tick(&c, 1000000, &prev), HH_OK);
    /* An hour back, then standing still: every stamp still grows. */
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(hh_hlc_tick(&c, 1000000 - 3600000 / 1000 * (i % 3), &now), HH_OK);
        assert_true(now > prev);
        assert_int_equal(HH_HLC_MS(now), 1000000);
        prev = now;
    }
    assert_int_equal(HH_HLC_COUNTER(prev), 1000);
    /* The wall clock catching up resets the counter. */
    assert_int_equal(hh_hlc_tick(&c, 1000001, &now), HH_OK);
    assert_true(now > prev);
    assert_int_equal(HH_HLC_COUNTER(now), 0);
}

static void counter_overflow_spills(void **state)
{
    hh_hlc c = { ((uint64_t)5000 << 16) | 0xFFFF };
    uint64_t now;
    (void)state;
    assert_int_equal(hh_hlc_tick(&c, 4000, &now), HH_OK);
    assert_int_equal(HH_HLC_MS(now), 5001);
    assert_int_equal(HH_HLC_COUNTER(now), 0);
}

static void peers(void **state)
{
    hh_hlc c = { 0 };
    uint64_t remote = ((uint64_t)2000000 << 16) | 7, now;
    (void)state;
    /* A peer a little ahead moves us past it. */
    assert_int_equal(hh_hlc_observe(&c, remote, 1999000, 60000), HH_OK);
    assert_int_equal(hh_hlc_tick(&c, 1999500, &now), HH_OK);
    assert_true(now > remote);
    /* A peer far in the future is refused and changes nothing. */
    uint64_t before = c.last;
    assert_int_equal(hh_hlc_observe(&c, (uint64_t)9000000000 << 16, 2000000, 60000), HH_ECLOCK);
    assert_int_equal(c.last, before);
    /* An older peer stamp changes nothing either. */
    assert_int_equal(hh_hlc_observe(&c, 5, 2000000, 60000), HH_OK);
    assert_int_equal(c.last, before);
    /* Out of the 48-bit range. */
    assert_int_equal(hh_hlc_tick(&c, HH_HLC_MS_MAX + 1, &now), HH_ECLOCK);
}

static void rewind_to_the_collector(void **state)
{
    uint64_t reference = (uint64_t)2000000000 << 16, now;
    hh_hlc c = { reference + ((uint64_t)HH_HLC_AHEAD_MAX_MS << 16) };
    (void)state;
    /* Exactly at the bound: kept. */
    assert_int_equal(hh_hlc_rewind(&c, reference, HH_HLC_AHEAD_MAX_MS), 0);
    /* One millisecond past it (an hour, ten years): brought back to the reference. */
    c.last += (uint64_t)1 << 16;
    assert_int_equal(hh_hlc_rewind(&c, reference, HH_HLC_AHEAD_MAX_MS), 1);
    assert_int_equal(c.last, reference);
    c.last = reference + ((uint64_t)315360000000 << 16);
    assert_int_equal(hh_hlc_rewind(&c, reference, HH_HLC_AHEAD_MAX_MS), 1);
    assert_int_equal(c.last, reference);
    /* Behind the reference: never moved back, and the next stamp is honest. */
    assert_int_equal(hh_hlc_rewind(&c, reference + ((uint64_t)1000 << 16), HH_HLC_AHEAD_MAX_MS), 0);
    assert_int_equal(hh_hlc_tick(&c, 2000000010, &now), HH_OK);
    assert_int_equal(HH_HLC_MS(now), 2000000010);
}

static void uuid_v7(void **state)
{
    const uint8_t r1[10] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    const uint8_t r0[10] = { 0 };
    char a[HH_UUID_LEN + 1], b[HH_UUID_LEN + 1];
    (void)state;
    hh_uuid_v7(0x0123456789abULL, r1, a);
    assert_string_equal(a, "01234567-89ab-7fff-bfff-ffffffffffff");
    assert_int_equal(hh_validate_uuid(a, NULL), HH_OK);
    hh_uuid_v7(0x0123456789acULL, r0, b);
    assert_string_equal(b, "01234567-89ac-7000-8000-000000000000");
    assert_true(strcmp(a, b) < 0);   /* later milliseconds sort later */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(forward_clock),
        cmocka_unit_test(wall_clock_jumps_back),
        cmocka_unit_test(counter_overflow_spills),
        cmocka_unit_test(peers),
        cmocka_unit_test(rewind_to_the_collector),
        cmocka_unit_test(uuid_v7),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
