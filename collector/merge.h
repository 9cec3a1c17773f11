/* collector/merge.h — applying one device change to the collector's records
 * (rules in merge.c). */
#ifndef HH_MERGE_H
#define HH_MERGE_H

#include "cstore.h"
#include "model/hlc.h"
#include "sync/codec.h"

typedef struct hh_merge_result {
    int reject_reason;                   /* 0: applied; else a RejectReason */
    char detail[160];                    /* why it was rejected; no personal data */
    char household_id[HH_UUID_LEN + 1];  /* the household touched, if any */
    int touched;                         /* something was written: recompute its tier */
    int record_changed;                  /* the household's or a member's fields changed:
                                            devices must pull the household again */
} hh_merge_result;

/* Apply change c sent by device dev at now_ms. A stamp ahead of the collector's
 * clock is replaced by one from clock (c->hlc, c->sent_hlc and c->clock_ahead
 * say so afterwards); others move clock forward. A permanent refusal is HH_OK
 * with r->reject_reason set; an error return means the database failed and the
 * whole batch must be rolled back. Inside the caller's transaction. */
hh_err hh_merge_apply(hh_cstore *s, const hh_device *dev, hh_change_in *c, hh_hlc *clock,
                      uint64_t now_ms, hh_merge_result *r);

#endif
