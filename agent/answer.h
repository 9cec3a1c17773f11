/* agent/answer.h — a collector's SyncResponse, checked whole before anything
 * of it is stored.
 *
 * The bytes of an answer become a decoded message and the store's view of it:
 * the rejections to acknowledge, and the pull (tiers, households, history,
 * reviewers' decisions, the cursor) ready for hh_store_apply_pull. Every count
 * is bounded, every text made printable or refused, every date checked; a
 * visit this version cannot check is left out, a reviewers' decision it does
 * not know is left for the next answer. No I/O here: the sync (cmd_sync.c)
 * and the fuzzing target (tests/fuzz/) call the same code. */
#ifndef HH_ANSWER_H
#define HH_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "proto/hearth.pb-c.h"
#include "store.h"
#include "sync/wire.h"

#define HH_ANSWER_RESULTS_MAX 64      /* reviewers' decisions one answer may carry */
#define HH_ANSWER_CHANGES_MAX HH_WIRE_BATCH_CHANGES_MAX   /* rejections: at most a batch's changes */
#define HH_ANSWER_TIERS_MAX 10000
#define HH_ANSWER_HOUSEHOLDS_MAX 1000
#define HH_ANSWER_VISITS_MAX 4000     /* history (the collector sends at most 3000) */

typedef struct hh_answer {
    Hearth__V1__SyncResponse *msg;         /* the decoded answer; pull borrows from it */
    int wipe;                              /* the device is revoked: wipe it (nothing else is read) */
    hh_rejected *rejected;
    size_t n_rejected;
    hh_pulled_tier *tiers;
    hh_visit *visits;
    hh_quarantine_result results[HH_ANSWER_RESULTS_MAX];
    hh_pull pull;                          /* for hh_store_apply_pull */
} hh_answer;

/* Read answer data[0..len) to a request of `protocol` that sent `count`
 * changes up to last_seq, from a device whose cursor was `cursor`. HH_EPROTO
 * (with message) when the answer is malformed or does not acknowledge the
 * batch, HH_ENOMEM. Whatever it returns, free with hh_answer_free. */
hh_err hh_answer_read(const uint8_t *data, size_t len, uint32_t protocol, size_t count,
                      uint64_t last_seq, uint64_t cursor, hh_answer *out, char *message,
                      size_t cap);
void hh_answer_free(hh_answer *a);

#endif
