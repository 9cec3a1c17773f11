/* collector/service.h — the sync service: pushes applied, pulls built.
 *
 * Between the HTTP layer (api.c: bytes in, bytes out) and the store
 * (cstore.c: SQL). No HTTP here and no SQL text: a push is a device's decoded
 * changes, a pull is the protocol's messages for its villages since a cursor.
 *
 * Pushes share commits. SQLite has one writer; a request that finds it busy
 * queues its push, and whoever writes next takes every queued push into one
 * transaction (group commit): each push in its own savepoint, so one device's
 * changed replay refuses that device's request alone; the touched households'
 * tiers recomputed once for the group; one durable commit. No push is answered
 * before the commit that holds it is on disk, and a group that fails is failed
 * for every push in it (the devices send again; nothing was acknowledged).
 *
 * Pulls never wait for the writer: each reads from a connection of its own
 * (WAL: a reader sees the last commit and is never blocked by the writer), in
 * one read transaction, so the cursor it hands out is consistent with what it
 * read. */
#ifndef HH_SERVICE_H
#define HH_SERVICE_H

#include <pthread.h>

#include "cstore.h"
#include "model/hlc.h"
#include "proto/hearth.pb-c.h"

/* Most changes one sync request may carry, and pulled tiers one answer holds. */
#define HH_SYNC_CHANGES_MAX 1024
#define HH_SYNC_PULL_MAX    500
#define HH_SYNC_PULL_HOUSEHOLDS_MAX 64   /* snapshots are large: fewer per answer */
#define HH_SYNC_QUARANTINE_ASK_MAX 64    /* refused changes a device asks about per request */
/* History: with each pulled tier come the household's latest visits (the
 * tier engine's inputs), and the visits those correct, this deep; never the
 * visits the device sent itself. */
#define HH_SYNC_HISTORY_VISITS 2
#define HH_SYNC_HISTORY_DEPTH 2
#define HH_SYNC_PULL_VISITS_MAX (HH_SYNC_PULL_MAX * HH_SYNC_HISTORY_VISITS * (1 + HH_SYNC_HISTORY_DEPTH))
/* Most changes one group commit takes (several pushes); more wait for the next. */
#define HH_SERVICE_GROUP_CHANGES_MAX 4096

#define HH_REJECT_DETAIL_MAX 160

/* What one answer pulls: the scratch is allocated once (hh_pull_new) and
 * reused by every hh_service_pull on the same thread. */
typedef struct hh_pull hh_pull;

/* What a device asks to pull: its cursor, the rulebook version it holds, and
 * the refused changes (seqs) it asks about. */
typedef struct hh_pull_ask {
    uint64_t since;
    const char *rulebook_version;
    const uint64_t *quarantined;
    size_t n_quarantined;
} hh_pull_ask;

/* One device's push, from decoded request to its answer. The caller owns all
 * of it and keeps it alive until hh_service_push returns. */
typedef struct hh_push {
    /* in */
    const hh_device *dev;
    Hearth__V1__Change *const *changes;    /* in increasing seq order */
    size_t n_changes;
    Hearth__V1__Rejection *rejections;     /* room for n_changes, filled */
    char (*details)[HH_REJECT_DETAIL_MAX]; /* room for n_changes, one per rejection */
    hh_device_health health;               /* what the device said of itself */
    /* The device's pull, made on the write connection just before the commit
     * when the push has changes: its pages are the ones the group has just
     * written, still cached there, where a read connection would read every
     * page again after each commit. NULL: no pull here. */
    hh_pull *pull;
    hh_pull_ask ask;
    /* out */
    int pulled;                            /* pull holds the pull (else make it with hh_service_pull) */
    size_t n_rejections;
    uint64_t acked_seq;                    /* every seq <= this is applied or rejected */
    uint64_t conflict_seq;                 /* HH_ECONFLICT: the seq replayed with other content */
    uint64_t seq_high;                     /* HH_ECONFLICT: the highest seq held for the device */
    size_t group;                          /* pushes in the commit that carried it */
    /* the service's */
    struct hh_push *next;
    hh_err result;
    int taken, done;
} hh_push;

typedef struct hh_service hh_service;

/* A service writing through `writer` (borrowed; the service is its only user
 * from now on, see hh_service_lock). */
hh_err hh_service_new(hh_cstore *writer, hh_service **out);
void hh_service_free(hh_service *svc);

/* Apply push p, waiting at most wait_ms for a group to take it. Returns (also
 * in p->result) HH_OK once its group is durable; HH_ECONFLICT when one of its
 * changes reuses a seq with other content (none of its changes is applied;
 * p->conflict_seq, p->seq_high say which and where to start again); HH_EBUSY
 * when no group took it in time (nothing was applied); another error when the
 * database failed (nothing of its group was applied). */
hh_err hh_service_push(hh_service *svc, hh_push *p, unsigned wait_ms);

/* How many pushes wait in the queue now (not those being written). */
size_t hh_service_queued(hh_service *svc);

/* The write connection, for work outside sync (enrolment, audit), between
 * groups: NULL when it stays busy for wait_ms. Give it back with
 * hh_service_unlock. */
hh_cstore *hh_service_lock(hh_service *svc, unsigned wait_ms);
void hh_service_unlock(hh_service *svc);

/* The collector's HLC, ticked now: the stamp an answer carries. */
hh_err hh_service_tick(hh_service *svc, uint64_t *out);

hh_pull *hh_pull_new(void);
void hh_pull_free(hh_pull *p);

/* Fill p with what device dev has not seen since cursor ask->since: the tiers and
 * household snapshots changed in its villages (at most HH_SYNC_PULL_MAX and
 * HH_SYNC_PULL_HOUSEHOLDS_MAX; *more says the rest waits), the latest visits
 * of each household whose tier is pulled (history, see above), the cursor to come
 * back with — the collector's current change number when nothing waits, so an
 * idle device's cursor moves too — and the rulebook when the device holds
 * another version than ask->rulebook_version, and what reviewers decided
 * about the refused changes the device asks about (ask->quarantined, at most
 * HH_SYNC_QUARANTINE_ASK_MAX). Reads through `reader` in one read
 * transaction. The messages stay p's until the next call. */
hh_err hh_service_pull(hh_cstore *reader, const hh_device *dev, const hh_pull_ask *ask, hh_pull *p);

/* The pull's results, borrowed from p. */
typedef struct hh_pull_view {
    Hearth__V1__TierUpdate **tiers;
    size_t n_tiers;
    Hearth__V1__Household **households;
    size_t n_households;
    uint64_t cursor;
    int more;
    Hearth__V1__Rulebook *rulebook;        /* NULL when the device has it */
    Hearth__V1__QuarantineResult **results;
    size_t n_results;
    Hearth__V1__Visit **visits;            /* corrected visits before those correcting them */
    size_t n_visits;
} hh_pull_view;
void hh_pull_view_get(const hh_pull *p, hh_pull_view *out);

#endif
