/* agent/store.h — the device's local store.
 *
 * One SQLite database (WAL, synchronous=FULL: a commit survives power loss) holds
 * the households, members and visits an officer recorded, the provisional tiers,
 * the device identity, the rulebook and the outbox. Every write here appends the
 * matching protobuf Change to the outbox inside the caller's transaction, so data
 * and outbox row commit together or not at all; every write that can move a tier
 * recomputes it in the same transaction. The outbox sequence is per device and
 * never reused.
 *
 * Usage: open, then for each logical change begin → put/add … → commit (or
 * rollback on any error). Reads need no transaction. */
#ifndef HH_STORE_H
#define HH_STORE_H

#include <stdint.h>

#include "model/buf.h"
#include "model/diag.h"
#include "model/record.h"
#include "model/review.h"
#include "model/rulebook.h"
#include "model/tier.h"
#include "platform/vfs.h"
#include "sync/records.h"

typedef struct hh_store hh_store;

/* The newest schema this program knows. */
#define HH_STORE_SCHEMA_VERSION 4

/* Create a new device database at path (parent directories too) with a fresh
 * device identity and the default rulebook. HH_EEXIST if a file is there. On
 * HH_OK the caller owns *out and closes it with hh_store_close. */
hh_err hh_store_create(const char *path, hh_store **out, hh_diag *d);

/* Open an existing device database, migrating it to the current schema.
 * HH_ENOTFOUND if there is none (run `hearth init`); HH_ESCHEMA if it is newer
 * than this program. */
hh_err hh_store_open(const char *path, hh_store **out, hh_diag *d);

/* A quick integrity check (PRAGMA quick_check) before a command writes: a
 * damaged database is never written into. HH_ECORRUPT (d names the first
 * problem and `hearth rescue`), HH_ENOSPC, or HH_OK. About 0.2 s for a
 * 50,000-visit database here (README, Files). */
hh_err hh_store_check(hh_store *s, hh_diag *d);

/* Open a database as it is, read-only, to save what can still be read from it
 * (`hearth rescue`): no migration, no checks. Close with hh_store_close. */
hh_err hh_store_open_rescue(const char *path, hh_store **out, hh_diag *d);

/* The one number sql (a SELECT count) gives, or *out unchanged if it cannot be
 * read (a damaged database). */
void hh_store_count(hh_store *s, const char *sql, long long *out);

/* Did a write fail for want of disk space (and was rolled back whole)? */
int hh_store_saw_full_disk(const hh_store *s);

/* Close; harmless on NULL. */
void hh_store_close(hh_store *s);

hh_err hh_store_begin(hh_store *s);
hh_err hh_store_commit(hh_store *s);
void hh_store_rollback(hh_store *s);

/* Find a household by id or registry number; loads its members. */
hh_err hh_store_household_get(hh_store *s, const char *id_or_registry_no, hh_household *out);

/* Find a member by id; household_id receives its household's id. */
hh_err hh_store_member_get(hh_store *s, const char *member_id, hh_member *out,
                           char household_id[HH_UUID_LEN + 1]);

/* The one member whose id, ID number or name is key (a name shared by several
 * is ambiguous): HH_ENOTFOUND with *matches 0 or 2 when not exactly one. */
hh_err hh_store_member_find(hh_store *s, const char *key, hh_member *out,
                            char household_id[HH_UUID_LEN + 1], int *matches);

/* Remove a member from its household (a change sent like any other). Inside a
 * transaction. */
hh_err hh_store_member_remove(hh_store *s, const char *member_id, hh_diag *d);

/* Create or update household h, identified by h->id if set, else by
 * h->registry_no. On create an empty h->id is filled in. Only changed fields are
 * written, each with its new version. When members_given, h->members is the
 * complete member list: members are matched by id, then by ID number; new ones
 * are created (ids filled in), missing ones deleted. *changed (may be NULL) is
 * set when anything was written. Inside a transaction. */
hh_err hh_store_household_put(hh_store *s, hh_household *h, int members_given,
                              int *changed, hh_diag *d);

/* Create (empty m->id, filled in) or update member m of household_id. */
hh_err hh_store_member_put(hh_store *s, const char *household_id, hh_member *m,
                           hh_diag *d);

/* Record visit v (v->household_id set). A visit already stored is skipped
 * (*added = 0): one with v's id and the same content or, when v has no id, one
 * of the same household with identical content (v->id is then set to it). The
 * same id with other content is refused (HH_ECONFLICT). An empty v->id is filled
 * in. Recomputes the household's tier. */
hh_err hh_store_visit_add(hh_store *s, hh_visit *v, int *added, hh_diag *d);

/* ---- settings ---------------------------------------------------------------- */

#define HH_LANG_MAX 2

/* The language this device shows ("zh" or "en"; "" when none was set). */
hh_err hh_store_lang(hh_store *s, char out[HH_LANG_MAX + 1]);
/* Set it, in its own transaction; HH_EINVAL for anything but zh and en. */
hh_err hh_store_set_lang(hh_store *s, const char *lang);

/* ---- drafts: the visit form's answers so far, one per household ------------- */

#define HH_DRAFT_MAX 16384

typedef struct hh_draft {
    char household_id[HH_UUID_LEN + 1];
    char answers[HH_DRAFT_MAX + 1];        /* "key=value" lines */
    int step;                              /* the question to ask next */
    uint64_t updated_ms;
} hh_draft;

typedef int (*hh_draft_cb)(void *ctx, const hh_draft *d);

/* Save a draft durably, in its own transaction (after every answer). */
hh_err hh_store_draft_put(hh_store *s, const hh_draft *d);
/* HH_ENOTFOUND when the household has none. */
hh_err hh_store_draft_get(hh_store *s, const char *household_id, hh_draft *out);
/* Inside a transaction (with the visit it became) or on its own. */
hh_err hh_store_draft_delete(hh_store *s, const char *household_id);
/* Oldest first. */
hh_err hh_store_each_draft(hh_store *s, hh_draft_cb cb, void *ctx);

/* ---- reading --------------------------------------------------------------- */

/* Call cb for each household (ordered by village, registry number, id), only
 * those of `village` when it is not NULL. A non-zero return from cb stops. */
hh_err hh_store_each_household(hh_store *s, const char *village, hh_household_cb cb, void *ctx);

/* Call cb for each visit of household_id (all when NULL), oldest first. */
hh_err hh_store_each_visit(hh_store *s, const char *household_id, hh_visit_cb cb, void *ctx);

typedef struct hh_tier_row {
    hh_tier_view v;                        /* v.label: "device" | "collector" */
    hh_tier device_tier;                   /* the provisional tier when the row is the
                                              collector's and they differ, else 0 */
    hh_review_state review;                /* the collector's review state; 0: none yet */
    hh_open_measure measures[HH_OPEN_MEASURES_MAX];   /* open measures (帮扶措施) */
    int n_measures;
} hh_tier_row;

typedef int (*hh_tier_cb)(void *ctx, const hh_tier_row *row);

/* Call cb for each household's tier, red first, then orange, yellow, green;
 * within a tier by village and registry number. */
hh_err hh_store_each_tier(hh_store *s, const char *village, hh_tier_cb cb, void *ctx);

/* A household as the worklist shows it. */
typedef struct hh_work_row {
    hh_tier_row t;                         /* t.v.tier 0: never visited, no tier */
    char head[HH_NAME_MAX + 1];            /* the head's name; "" when none recorded */
    int members;
} hh_work_row;

typedef int (*hh_work_cb)(void *ctx, const hh_work_row *row);

/* Call cb for every household (of `village` when not NULL), visited or not, by
 * village and registry number. */
hh_err hh_store_each_work(hh_store *s, const char *village, hh_work_cb cb, void *ctx);

/* The tier shown for one household (the collector's when there is one), or,
 * when provisional, the one this device computed from what it holds now.
 * HH_ENOTFOUND when it has none. */
hh_err hh_store_tier_get(hh_store *s, const char *household_id, int provisional,
                         hh_tier_row *out);

typedef struct hh_outbox_row {
    uint64_t seq;
    uint64_t hlc;
    char entity[12];
    char op[8];
    char entity_id[HH_UUID_LEN + 1];
    uint64_t created_ms;
    char state[12];                        /* pending | acked | quarantined */
    char reason[160];
    size_t payload_bytes;
} hh_outbox_row;

typedef int (*hh_outbox_cb)(void *ctx, const hh_outbox_row *row);

/* Call cb for each outbox row in `state` (all when NULL), by seq. */
hh_err hh_store_each_outbox(hh_store *s, const char *state, hh_outbox_cb cb, void *ctx);

typedef struct hh_store_info {
    char device_id[HH_UUID_LEN + 1];
    uint32_t device_epoch;
    int schema_version;
    int64_t households, members, visits;
    int64_t outbox_pending, outbox_acked, outbox_quarantined;
    uint64_t oldest_pending_ms;            /* 0 when nothing is pending */
    uint64_t next_seq;
    char rulebook_version[HH_RULEBOOK_VERSION_MAX + 1];
    int64_t tier_counts[HH_TIER_RED + 1];  /* by hh_tier */
} hh_store_info;

/* Everything the status command shows: counts whole tables, not for hot paths. */
hh_err hh_store_info_get(hh_store *s, hh_store_info *out);

/* What a sync reports of the outbox: changes waiting, and when the oldest was
 * made (0: none). Costs what the pending rows cost, whatever the history. */
hh_err hh_store_outbox_health(hh_store *s, int64_t *pending, uint64_t *oldest_pending_ms);

/* Forget acknowledged changes acknowledged before older_than_ms (the records
 * they made stay; only the copies kept for the outbox listing go). Its own
 * transaction; *pruned says how many. */
hh_err hh_store_outbox_prune(hh_store *s, uint64_t older_than_ms, int64_t *pruned);

/* Fold the WAL into the database file and empty it (HH_EDB when a reader in
 * another process prevents it: nothing is lost, the next one folds it). */
hh_err hh_store_checkpoint(hh_store *s);

/* A consistent, durable copy of the database at path (which must not exist),
 * recent work in the WAL included: the way to back a device up. */
hh_err hh_store_backup(hh_store *s, const char *path, hh_diag *d);

/* Seal the closed plain database at path under key (platform/vfs.h): a
 * sealed copy is made beside it, checked, and put in its place durably; the
 * key stays set for path. The plain file's WAL is folded in first. */
hh_err hh_store_seal(const char *path, const uint8_t key[HH_VFS_KEY_LEN], hh_diag *d);

/* The county's key for the keyed hash of ID numbers (the collector's, given at
 * enrolment): kept, and every member's hash made. Its own transaction. */
hh_err hh_store_set_id_key(hh_store *s, const uint8_t key[HH_ID_KEY_LEN]);

/* ---- sync ---------------------------------------------------------------------- */

#define HH_SERVER_URL_MAX 255
#define HH_DEVICE_VILLAGES_MAX (64 * (HH_VILLAGE_CODE_LEN + 1))

typedef struct hh_sync_state {
    int enrolled;
    char device_id[HH_UUID_LEN + 1];
    char server_url[HH_SERVER_URL_MAX + 1];
    char villages[HH_DEVICE_VILLAGES_MAX + 1];
    char officer[HH_OFFICER_MAX + 1];
    uint64_t cursor;                       /* last change number pulled */
    uint64_t hlc;
} hh_sync_state;

hh_err hh_store_sync_state(hh_store *s, hh_sync_state *out);

/* Record a successful enrolment under device_id, the identity the collector
 * gave this device, and put the collector's rulebook in force (all provisional
 * tiers are recomputed). Unsent outbox changes are re-encoded under the new
 * identity, so nothing recorded before enrolment is lost. Its own transaction. */
hh_err hh_store_enrolled(hh_store *s, const char *device_id, const char *url, const char *villages,
                         const char *officer, const char *rulebook_text, hh_diag *d);

/* Start a new device epoch: the collector holds seqs up to seq_high (or these
 * seqs with other content: a device restored from a backup, or a second copy
 * of one). Every unsent change is re-encoded under the new epoch with a seq
 * above seq_high and above every seq this outbox ever used, in order, and new
 * changes continue from there. *moved is how many. Its own transaction. */
hh_err hh_store_new_epoch(hh_store *s, uint64_t seq_high, size_t *moved);

/* The device epoch in force. */
uint32_t hh_store_epoch(const hh_store *s);

/* Append pending outbox changes, oldest first, to out as SyncRequest field 3
 * (each framed as a length-delimited protobuf field), stopping before max_bytes
 * or max_count. *count and *last_seq describe what was taken (0 when none). */
hh_err hh_store_outbox_frame(hh_store *s, size_t max_bytes, size_t max_count, hh_buf *out,
                             size_t *count, uint64_t *last_seq);

typedef struct hh_rejected {
    uint64_t seq;
    char reason[160];
} hh_rejected;

/* The collector acknowledged every pending change up to acked_seq; those in
 * rejected are quarantined with their reason, the rest marked acknowledged.
 * Its own transaction. *acked and *quarantined count what changed. */
hh_err hh_store_outbox_ack(hh_store *s, uint64_t acked_seq, const hh_rejected *rejected,
                           size_t n_rejected, size_t *acked, size_t *quarantined);

/* The seqs of refused changes no reviewer has decided on yet, oldest first
 * (at most cap): the sync asks the collector about them. */
hh_err hh_store_quarantine_waiting(hh_store *s, uint64_t *seqs, size_t cap, size_t *n);
/* A reviewer's decision on refused change seq: accepted (the collector holds
 * it: acknowledged) or discarded (the record stays here, marked so). note is
 * made printable by the caller. Inside the caller's transaction or alone. */
hh_err hh_store_quarantine_outcome(hh_store *s, uint64_t seq, int accepted, const char *note);

typedef struct hh_quarantine_result {
    uint64_t seq;
    int accepted;                          /* 1 accepted, 0 discarded */
    char note[160];                        /* printable */
} hh_quarantine_result;

typedef struct hh_pulled_tier {
    char household_id[HH_UUID_LEN + 1];
    hh_tier tier;
    uint32_t reasons;
    char rulebook[HH_RULEBOOK_VERSION_MAX + 1];
    char last_visit_on[HH_DATE_LEN + 1];
    int64_t per_capita_yuan;               /* -1 when not sent */
    hh_review_state review;                /* 0 when not sent */
    hh_open_measure measures[HH_OPEN_MEASURES_MAX];
    int n_measures;
} hh_pulled_tier;

struct Hearth__V1__Household;

typedef struct hh_pull {
    struct Hearth__V1__Household *const *households;   /* merged snapshots */
    size_t n_households;
    const hh_pulled_tier *tiers;
    size_t n_tiers;
    uint64_t cursor;
    const char *rulebook_text;             /* NULL when unchanged */
    uint64_t server_hlc;
    const hh_quarantine_result *results;   /* reviewers' decisions on refused changes */
    size_t n_results;
    const hh_visit *visits;                /* history: corrected visits first */
    size_t n_visits;
} hh_pull;

typedef struct hh_pull_result {
    size_t households, households_skipped, tiers, tiers_skipped, visits, visits_skipped;
    /* The collector's rulebook could not be read by this version (a newer
     * one, say): the one in force stays, everything else is stored. */
    int rulebook_refused;
    char rulebook_reason[200];
} hh_pull_result;

/* Apply what a sync pulled and store the new cursor, in one transaction: the
 * collector's households (written without outbox entries, with the collector's
 * field versions; a household with unsent local edits, or that cannot be
 * applied, is skipped and comes again), the latest visits of its households
 * (stored without outbox entries; those of households this device does not
 * hold are skipped), its tiers (those of households this device does not
 * hold are skipped), its rulebook (one this version cannot
 * read is not taken, and r says why), its clock. */
hh_err hh_store_apply_pull(hh_store *s, const hh_pull *p, hh_pull_result *r, hh_diag *d);

/* The record tables, for shared read-only code (sync/export.h). */
hh_sqlcache *hh_store_sql(hh_store *s);

/* The rulebook in force on this device. Borrowed; valid until close. */
const hh_rulebook *hh_store_rulebook(const hh_store *s);

/* The path the store was opened at. Borrowed. */
const char *hh_store_path(const hh_store *s);

#endif
