/* collector/limiter.c — fixed-window attempt counters (see limiter.h). */
#include "limiter.h"

#include <stdio.h>
#include <string.h>

void hh_limiter_init(hh_limiter *l, unsigned failures_per_key, unsigned attempts_total,
                     uint64_t window_ms)
{
    memset(l, 0, sizeof *l);
    pthread_mutex_init(&l->lock, NULL);
    l->failures_per_key = failures_per_key;
    l->attempts_total = attempts_total;
    l->window_ms = window_ms ? window_ms : 1;
}

void hh_limiter_bounds(hh_limiter *l, unsigned failures_per_key, unsigned attempts_total,
                       uint64_t window_ms)
{
    pthread_mutex_lock(&l->lock);
    l->failures_per_key = failures_per_key;
    l->attempts_total = attempts_total;
    l->window_ms = window_ms ? window_ms : 1;
    pthread_mutex_unlock(&l->lock);
}

void hh_limiter_free(hh_limiter *l)
{
    pthread_mutex_destroy(&l->lock);
}

/* The slot of key, its window renewed if over; NULL if key has none and
 * create is 0. A new key takes the slot whose window started first. */
static hh_limiter_slot *slot_for(hh_limiter *l, const char *key, uint64_t now_ms, int create)
{
    hh_limiter_slot *found = NULL, *oldest = &l->slots[0];

    for (size_t i = 0; i < HH_LIMITER_SLOTS && !found; i++) {
        if (l->slots[i].key[0] && strcmp(l->slots[i].key, key) == 0)
            found = &l->slots[i];
        else if (l->slots[i].window_start_ms < oldest->window_start_ms)
            oldest = &l->slots[i];
    }
    if (!found && !create)
        return NULL;
    if (!found) {
        found = oldest;
        snprintf(found->key, sizeof found->key, "%s", key);
        found->window_start_ms = now_ms;
        found->failures = 0;
    }
    if (now_ms - found->window_start_ms >= l->window_ms || now_ms < found->window_start_ms) {
        found->window_start_ms = now_ms;
        found->failures = 0;
    }
    return found;
}

static unsigned seconds_left(const hh_limiter *l, uint64_t start_ms, uint64_t now_ms)
{
    uint64_t end = start_ms + l->window_ms;
    return end > now_ms ? (unsigned)((end - now_ms + 999) / 1000) : 1;
}

int hh_limiter_attempt(hh_limiter *l, const char *key, uint64_t now_ms, unsigned *retry_after_s)
{
    hh_limiter_slot *slot;
    int blocked = 0;

    pthread_mutex_lock(&l->lock);
    if (now_ms - l->total_window_start_ms >= l->window_ms || now_ms < l->total_window_start_ms) {
        l->total_window_start_ms = now_ms;
        l->total_attempts = 0;
    }
    slot = slot_for(l, key, now_ms, 0);
    if (slot && slot->failures >= l->failures_per_key) {
        blocked = 1;
        *retry_after_s = seconds_left(l, slot->window_start_ms, now_ms);
    } else if (l->total_attempts >= l->attempts_total) {
        blocked = 1;
        *retry_after_s = seconds_left(l, l->total_window_start_ms, now_ms);
    } else {
        l->total_attempts++;
    }
    pthread_mutex_unlock(&l->lock);
    return blocked;
}

void hh_limiter_failed(hh_limiter *l, const char *key, uint64_t now_ms)
{
    pthread_mutex_lock(&l->lock);
    slot_for(l, key, now_ms, 1)->failures++;
    pthread_mutex_unlock(&l->lock);
}
