/* model/hlc.h — hybrid logical clock stamps and UUIDv7 identities.
 *
 * A stamp is 48 bits of wall-clock milliseconds and a 16-bit counter in one
 * uint64, so stamps compare as integers. The clock never goes backwards: when the
 * wall clock jumps back, the counter advances instead; when a peer's stamp is
 * newer, the clock moves past it (DESIGN section 5). Pure: the caller passes the
 * wall time and the random bytes, which come from platform/. */
#ifndef HH_HLC_H
#define HH_HLC_H

#include <stdint.h>

#include "../platform/err.h"
#include "record.h"

#define HH_HLC_MS(stamp)      ((stamp) >> 16)
#define HH_HLC_COUNTER(stamp) ((uint16_t)((stamp) & 0xFFFFu))
#define HH_HLC_MS_MAX         ((UINT64_C(1) << 48) - 1)
/* No stamp from outside may claim a time past 2100-01-01: a bound for
 * decoders, far below what the 48 bits hold. */
#define HH_HLC_MS_LIMIT       UINT64_C(4102444800000)
#define HH_HLC_PLAUSIBLE(stamp) (HH_HLC_MS(stamp) <= HH_HLC_MS_LIMIT)

typedef struct hh_hlc {
    uint64_t last;   /* the newest stamp issued or observed */
} hh_hlc;

/* Issue a stamp for a local event at wall time wall_ms, strictly greater than
 * every stamp issued or observed before. HH_ECLOCK if wall_ms does not fit in
 * 48 bits or the clock cannot advance further. */
hh_err hh_hlc_tick(hh_hlc *clock, uint64_t wall_ms, uint64_t *out);

/* How far a device's clock may run ahead of the collector's before its stamps
 * are no longer trusted (DESIGN 5; README, "Clocks"). */
#define HH_HLC_AHEAD_MAX_MS (5 * 60 * 1000)

/* Bring back a clock that ran more than max_ahead_ms ahead of reference, a
 * stamp from the collector, whose clock is the reference: the clock becomes
 * reference. Returns 1 if it did, 0 if the clock was within bounds. A device
 * whose wall clock was wrong stamps honestly again once it is right. */
int hh_hlc_rewind(hh_hlc *clock, uint64_t reference, uint64_t max_ahead_ms);

/* Take a peer's stamp into account. HH_ECLOCK (and no change) if it is more than
 * max_ahead_ms ahead of wall_ms: a far-future stamp must never drag this clock. */
hh_err hh_hlc_observe(hh_hlc *clock, uint64_t remote, uint64_t wall_ms,
                      uint64_t max_ahead_ms);

/* Format a UUIDv7 from ms (48 bits) and 10 random bytes into out (lowercase,
 * 36 characters and a NUL). */
void hh_uuid_v7(uint64_t ms, const uint8_t random[10], char out[HH_UUID_LEN + 1]);

#endif
