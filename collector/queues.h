/* collector/queues.h — the reviewer's queues: duplicate cases (数据比对, DESIGN 2),
 * conflicting edits and refused changes, each resolved once by an account.
 *
 * The collector keeps records that contradict each other (one person in two
 * households, one registry number on two households, a sex the ID number
 * contradicts) and lists them; a reviewer resolves each once: keep both
 * (with the reason), move a member to the household it belongs to, or merge
 * the two households (every visit and every person kept). Each resolution is
 * one transaction, audited with the account, and reaches the devices as new
 * snapshots of the households it changed. */
#ifndef HH_QUEUES_H
#define HH_QUEUES_H

#include "cstore.h"

typedef enum hh_dup_action { HH_DUP_KEEP_BOTH = 1, HH_DUP_MOVE, HH_DUP_MERGE } hh_dup_action;

typedef struct hh_dup_request {
    int64_t id;                 /* the case */
    hh_dup_action act;
    const char *account;        /* --as NAME: both households in its villages */
    const char *note;
    const char *member;         /* move: the member record to move (a or b); when --into
                                   holds the same person already, it is folded into that record */
    const char *into;           /* move, merge: the household kept (a or b, id or registry number) */
} hh_dup_request;

/* HH_ENOTFOUND (no open case), HH_EPERM (account), HH_EINVAL (a member or
 * household not of the case), with d saying which. */
hh_err hh_dupes_resolve(hh_cstore *s, const hh_dup_request *q, uint64_t now_ms, hh_diag *d);

typedef struct hh_conflict_request {
    int64_t id;                 /* the conflict */
    const char *account;        /* --as NAME: the household in its villages */
    const char *note;
    const char *keep;           /* "mine" (the value shown) | "theirs" (the other); or NULL… */
    const char *value;          /* …and this value instead */
} hh_conflict_request;

/* Resolve a conflict: the decision becomes a new version of the field (a
 * stamp after every version it had), which every device pulls, and the
 * conflict is closed with who and why. A resolved conflict is HH_ECONFLICT. */
hh_err hh_conflicts_resolve(hh_cstore *s, const hh_conflict_request *q, uint64_t now_ms, hh_diag *d);

typedef struct hh_quarantine_request {
    const char *device_id;
    uint64_t seq;
    int accept;                 /* 1: apply it now; 0: discard it */
    const char *account;        /* --as NAME: the household (or the device's villages) in its scope */
    const char *note;
} hh_quarantine_request;

/* Decide a refused change once. Accepting applies it as if it arrived now
 * (HH_ECONFLICT, with the reason, when it is still refused); discarding
 * drops it at the collector. Either way the device learns the outcome on
 * its next sync and keeps what the officer entered. */
hh_err hh_quarantine_decide(hh_cstore *s, const hh_quarantine_request *q, uint64_t now_ms, hh_diag *d);

#endif
