/* collector/limiter.h — counting attempts against a bound, per address and overall.
 *
 * Enrolment is the one request anybody may make without a certificate, and a
 * one-time code is a secret short enough to type: guessing must be slow. The
 * limiter counts, in fixed windows, the failed attempts of each client address
 * and the attempts from everywhere; past either bound a request is refused
 * until its window ends. Addresses live in a fixed table (the oldest window is
 * forgotten first), so memory is bounded whatever the number of addresses.
 * Thread-safe. */
#ifndef HH_LIMITER_H
#define HH_LIMITER_H

#include <pthread.h>
#include <stdint.h>

#define HH_LIMITER_SLOTS 256
#define HH_LIMITER_KEY_MAX 47           /* an IPv6 address in text */

typedef struct hh_limiter_slot {
    char key[HH_LIMITER_KEY_MAX + 1];
    uint64_t window_start_ms;
    unsigned failures;
} hh_limiter_slot;

typedef struct hh_limiter {
    pthread_mutex_t lock;
    unsigned failures_per_key;          /* per key and window */
    unsigned attempts_total;            /* all keys, per window */
    uint64_t window_ms;
    uint64_t total_window_start_ms;
    unsigned total_attempts;
    hh_limiter_slot slots[HH_LIMITER_SLOTS];
} hh_limiter;

/* Set the bounds; cannot fail. Free with hh_limiter_free. */
void hh_limiter_init(hh_limiter *l, unsigned failures_per_key, unsigned attempts_total,
                     uint64_t window_ms);
void hh_limiter_free(hh_limiter *l);

/* New bounds for the windows to come (the counts so far are kept). */
void hh_limiter_bounds(hh_limiter *l, unsigned failures_per_key, unsigned attempts_total,
                       uint64_t window_ms);

/* One attempt by key at now_ms: returns 0 and counts it when it may go ahead;
 * returns 1 (and counts nothing) when key has failed too often or everybody has
 * tried too often in this window, with *retry_after_s until the window ends. */
int hh_limiter_attempt(hh_limiter *l, const char *key, uint64_t now_ms, unsigned *retry_after_s);

/* Count a failed attempt by key at now_ms. */
void hh_limiter_failed(hh_limiter *l, const char *key, uint64_t now_ms);

#endif
