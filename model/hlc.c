/* model/hlc.c — HLC and UUIDv7 (see hlc.h). */
#include "hlc.h"

#include <stdio.h>

hh_err hh_hlc_tick(hh_hlc *clock, uint64_t wall_ms, uint64_t *out)
{
    uint64_t last_ms = HH_HLC_MS(clock->last);
    uint64_t next;

    if (wall_ms > HH_HLC_MS_MAX)
        return HH_ECLOCK;
    if (wall_ms > last_ms) {
        next = wall_ms << 16;
    } else {
        /* Wall clock stood still or went back: count on from the last stamp. A
         * full counter spills into the millisecond field, which stays ordered. */
        if (clock->last == UINT64_MAX)
            return HH_ECLOCK;
        next = clock->last + 1;
    }
    clock->last = next;
    *out = next;
    return HH_OK;
}

hh_err hh_hlc_observe(hh_hlc *clock, uint64_t remote, uint64_t wall_ms,
                      uint64_t max_ahead_ms)
{
    if (HH_HLC_MS(remote) > wall_ms && HH_HLC_MS(remote) - wall_ms > max_ahead_ms)
        return HH_ECLOCK;
    if (remote > clock->last)
        clock->last = remote;
    return HH_OK;
}

int hh_hlc_rewind(hh_hlc *clock, uint64_t reference, uint64_t max_ahead_ms)
{
    uint64_t ours = HH_HLC_MS(clock->last), theirs = HH_HLC_MS(reference);

    if (ours <= theirs || ours - theirs <= max_ahead_ms)
        return 0;
    clock->last = reference;
    return 1;
}

void hh_uuid_v7(uint64_t ms, const uint8_t random[10], char out[HH_UUID_LEN + 1])
{
    uint8_t b[16];

    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)(ms >> (40 - 8 * i));
    b[6] = (uint8_t)(0x70 | (random[0] & 0x0F));      /* version 7 */
    b[7] = random[1];
    b[8] = (uint8_t)(0x80 | (random[2] & 0x3F));      /* variant 10 */
    for (int i = 9; i < 16; i++)
        b[i] = random[i - 6];
    snprintf(out, HH_UUID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
             b[12], b[13], b[14], b[15]);
}
