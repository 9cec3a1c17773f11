/* collector/cstore.h — the collector's database (SQLite, WAL, synchronous=FULL).
 *
 * Beside the record tables shared with the devices (sync/records.h) it keeps:
 * enrolled devices and their one-time enrolment codes (only a SHA-256 of each
 * code is stored), the rulebooks, the authoritative tiers with their review
 * state, every applied (device, seq) with a digest of its content (so a replay
 * is recognised and a changed replay refused), refused changes (quarantine),
 * field conflicts, and an append-only audit log without personal data.
 *
 * Every tier or household change takes the next value of a collector-wide
 * change number; a device's pull cursor is the last change number it has seen. */
#ifndef HH_CSTORE_H
#define HH_CSTORE_H

#include <stdint.h>

#include "model/diag.h"
#include "model/review.h"
#include "model/rulebook.h"
#include "sync/records.h"

typedef struct hh_cstore hh_cstore;

#define HH_VILLAGES_MAX      64
#define HH_VILLAGES_TEXT_MAX (HH_VILLAGES_MAX * (HH_VILLAGE_CODE_LEN + 1))

/* What a device said of itself at its last sync (DeviceHealth), checked. */
#define HH_AGENT_VERSION_MAX 64
typedef struct hh_device_health {
    int known;                                 /* 0: it never said */
    uint32_t outbox_depth;                     /* changes not yet acknowledged */
    uint64_t oldest_unsent_age_ms;
    int64_t clock_skew_ms;                     /* its clock minus the collector's */
    char agent_version[HH_AGENT_VERSION_MAX + 1];
} hh_device_health;

typedef struct hh_device {
    char id[HH_UUID_LEN + 1];
    char officer[HH_OFFICER_MAX + 1];
    char villages[HH_VILLAGES_TEXT_MAX + 1];   /* comma-separated codes */
    char cert_sha256[65];                      /* hex; "" until enrolled */
    uint64_t enrolled_ms, revoked_ms, last_seen_ms;
    uint64_t acked_seq;
    hh_device_health health;
} hh_device;

/* Set SQLite up for the collector; before any other SQLite call. */
void hh_cstore_library_init(void);

/* Create the database at path (HH_EEXIST if present) with the default rulebook. */
hh_err hh_cstore_create(const char *path, hh_cstore **out, hh_diag *d);

/* The county's key for the keyed hash of ID numbers (sync/records.h), made
 * when the database is first opened for writing; HH_ENOTFOUND before. */
hh_err hh_cstore_id_key(hh_cstore *s, uint8_t key[HH_ID_KEY_LEN]);
/* Open and migrate an existing database. */
hh_err hh_cstore_open(const char *path, hh_cstore **out, hh_diag *d);
/* Open an existing, migrated database for reading only (a pull's connection:
 * WAL lets it read while another connection writes). */
hh_err hh_cstore_open_reader(const char *path, hh_cstore **out, hh_diag *d);
void hh_cstore_close(hh_cstore *s);

/* A write transaction (BEGIN IMMEDIATE), or a read transaction: every read
 * until the commit or rollback sees the same snapshot. */
hh_err hh_cstore_begin(hh_cstore *s);
hh_err hh_cstore_begin_read(hh_cstore *s);
hh_err hh_cstore_commit(hh_cstore *s);
void hh_cstore_rollback(hh_cstore *s);

/* Inside a write transaction: mark where one push starts; end it keeping what
 * it wrote (keep) or undoing it alone. Not nested. */
hh_err hh_cstore_savepoint(hh_cstore *s);
hh_err hh_cstore_savepoint_end(hh_cstore *s, int keep);

/* The record tables, for sync/records.h and collector/merge.c. */
hh_sqlcache *hh_cstore_sql(hh_cstore *s);

/* Did device_id send entity_id, and was it applied? (A pull leaves out the
 * visits a device sent itself.) */
hh_err hh_cstore_device_sent(hh_cstore *s, const char *device_id, const char *entity_id, int *sent);

/* ---- devices and enrolment ---------------------------------------------------- */

/* Check and normalise "CODE,CODE,…" (12 digits each, at most HH_VILLAGES_MAX). */
hh_err hh_villages_parse(const char *text, char out[HH_VILLAGES_TEXT_MAX + 1], hh_diag *d);

/* A code's first HH_ENROL_CODE_ID_LEN characters name it (stored in the clear,
 * unique among usable codes); wrong tries with that name count against it, and
 * the HH_ENROL_CODE_TRIES-th locks it for good. */
#define HH_ENROL_CODE_ID_LEN 4
#define HH_ENROL_CODE_TRIES  5

/* Record a one-time code for a device of officer in villages, valid until
 * expires_ms. Only the code's SHA-256 and its name are stored. HH_EEXIST when
 * a usable code has the same name (draw another code). */
hh_err hh_cstore_code_add(hh_cstore *s, const char *code, const char *officer,
                          const char *villages, uint64_t expires_ms);

/* Spend a code for a new device device_id (the collector mints it) whose
 * certificate has fingerprint cert_sha256: HH_ENOTFOUND (no such code; a try
 * against the code it names is counted, so commit), HH_EEXIST (already used),
 * HH_EREJECTED (locked after wrong tries), HH_ERANGE (expired), HH_ECONFLICT
 * (device_id is known already: never re-enrolled). On HH_OK the device is
 * enrolled and out describes it. */
hh_err hh_cstore_code_redeem(hh_cstore *s, const char *code, const char *device_id,
                             const char *cert_sha256, uint64_t now_ms, hh_device *out);

hh_err hh_cstore_device_get(hh_cstore *s, const char *id, hh_device *out);
hh_err hh_cstore_device_revoke(hh_cstore *s, const char *id, uint64_t now_ms);
/* A device synced: when, how far it is acknowledged, and its health when it
 * said (health NULL or not known: the last report stays). */
hh_err hh_cstore_device_seen(hh_cstore *s, const char *id, uint64_t acked_seq, uint64_t now_ms,
                             const hh_device_health *health);
typedef int (*hh_device_cb)(void *ctx, const hh_device *dev);
hh_err hh_cstore_each_device(hh_cstore *s, hh_device_cb cb, void *ctx);

/* ---- rulebooks ----------------------------------------------------------------- */

/* The rulebook in force and its text (text may be NULL). */
hh_err hh_cstore_rulebook(hh_cstore *s, hh_rulebook *out, char *text, size_t cap);
/* The rulebook in force, parsed again if another process has changed it since.
 * Borrowed. (Every write transaction starts with the same check.) */
const hh_rulebook *hh_cstore_rulebook_current(hh_cstore *s);

/* The rulebook in force, as read by the last hh_cstore_begin. */
const hh_rulebook *hh_cstore_rules(const hh_cstore *s);

/* Parse and make text the rulebook in force; recomputes every tier. */
hh_err hh_cstore_rulebook_set(hh_cstore *s, const char *text, size_t len, hh_diag *d);

/* ---- sync bookkeeping --------------------------------------------------------------- */

typedef struct hh_applied {
    int found;
    uint8_t digest[32];
    int reject_reason;           /* 0: applied; else a RejectReason */
    char detail[160];
} hh_applied;

hh_err hh_cstore_applied_get(hh_cstore *s, const char *device_id, uint64_t seq, hh_applied *out);
/* The highest seq applied (or refused) for device_id, 0 when none. */
hh_err hh_cstore_applied_high(hh_cstore *s, const char *device_id, uint64_t *out);
/* A change refused: why, and what a reviewer needs to act on it later (the
 * change as sent — kept up to HH_REFUSED_BODY_MAX bytes, no change of ours
 * comes near it — its household, the fields it set). */
#define HH_REFUSED_BODY_MAX 65536
typedef struct hh_refusal {
    int reason;                  /* a RejectReason */
    const char *detail;
    const uint8_t *body;         /* the packed Change */
    size_t body_len;
    const char *household_id;    /* "" when not known */
    const char *field;           /* the fields it set, comma-separated, or "" */
} hh_refusal;

/* Record (device_id, seq) as applied, or refused when refused is not NULL. */
hh_err hh_cstore_applied_put(hh_cstore *s, const char *device_id, uint64_t seq,
                             const uint8_t digest[32], const hh_refusal *refused, const char *entity,
                             const char *entity_id, uint64_t now_ms);

/* Append to the audit log. detail must hold no personal data. */
hh_err hh_cstore_audit(hh_cstore *s, const char *kind, const char *device_id, const char *detail);

/* The next change number (for households and tiers touched now). Inside a
 * write transaction only; the counter is stored with its commit. */
hh_err hh_cstore_next_change(hh_cstore *s, uint64_t *out);

/* Recompute the authoritative tier of a household; a red tier that is not yet
 * released stays red (DESIGN 2: released by a reviewer only). */
hh_err hh_cstore_tier_recompute(hh_cstore *s, const char *household_id);
/* The same, saying which visits it was computed from (see hh_latest_ids). */
hh_err hh_cstore_tier_recompute_seen(hh_cstore *s, const char *household_id, hh_latest_ids *seen);

/* The last change number given out (0: none yet). A pull that read every
 * change of a device's villages up to it, in the same read transaction, moves
 * the device's cursor there. */
hh_err hh_cstore_change_high(hh_cstore *s, uint64_t *out);

/* Where household_id is and how many members it has, without reading them:
 * HH_ENOTFOUND when there is no such household. */
hh_err hh_cstore_household_scope(hh_cstore *s, const char *household_id,
                                 char village_code[HH_VILLAGE_CODE_LEN + 1], int *member_count);

/* Give a household the next change number, so devices pull it again. */
hh_err hh_cstore_household_touch(hh_cstore *s, const char *household_id);

typedef int (*hh_changed_cb)(void *ctx, const char *household_id, uint64_t change_no);
/* Households changed after cursor in villages (a device's, as kept by
 * hh_villages_parse), by change number, at most limit. Reads only those
 * villages' rows past the cursor (an index on village and change number): what
 * a pull costs grows with the device's scope, not the county's. */
hh_err hh_cstore_each_household_since(hh_cstore *s, const char *villages, uint64_t cursor,
                                      int limit, hh_changed_cb cb, void *ctx);

struct hh_snapshot;
/* A household, its members and the version of every field, for a device. */
hh_err hh_cstore_snapshot(hh_cstore *s, const char *household_id, struct hh_snapshot *out);

typedef struct hh_ctier {
    hh_tier_view v;                        /* v.label: the review state */
    uint64_t change_no;
    hh_open_measure measures[HH_OPEN_MEASURES_MAX];
    int n_measures;
} hh_ctier;

typedef int (*hh_ctier_cb)(void *ctx, const hh_ctier *t);
/* Tiers changed after cursor in villages (as above), by change number, at
 * most limit. */
hh_err hh_cstore_each_tier_since(hh_cstore *s, const char *villages, uint64_t cursor,
                                 int limit, hh_ctier_cb cb, void *ctx);
/* The worklist: red first, like the device's. */
hh_err hh_cstore_each_tier(hh_cstore *s, const char *village, hh_ctier_cb cb, void *ctx);

/* One household's tier; HH_ENOTFOUND when it has none. */
hh_err hh_cstore_tier_get(hh_cstore *s, const char *household_id, hh_ctier *out);

typedef struct hh_quarantined {
    char device_id[HH_UUID_LEN + 1];
    uint64_t seq;
    int reason;
    char detail[160];
    char entity[12];
    char entity_id[HH_UUID_LEN + 1];
    uint64_t at_ms;
    char household_id[HH_UUID_LEN + 1];             /* "" when not known */
    char registry_no[HH_REGISTRY_NO_MAX + 1];
    char village_code[HH_VILLAGE_CODE_LEN + 1];
    char field[64];
    char outcome[12];                               /* "" | accepted | discarded */
} hh_quarantined;
typedef int (*hh_quarantine_cb)(void *ctx, const hh_quarantined *q);
/* Refused changes waiting for a reviewer (all: those decided too). */
hh_err hh_cstore_each_quarantined(hh_cstore *s, int all, hh_quarantine_cb cb, void *ctx);

typedef struct hh_conflict {
    int64_t id;
    char entity_id[HH_UUID_LEN + 1];
    char field[32];
    char kept_value[160], other_value[160];
    char kept_device[HH_UUID_LEN + 1], other_device[HH_UUID_LEN + 1];
    uint64_t kept_hlc, other_hlc, at_ms;
    uint64_t resolved_ms;                  /* 0: open */
} hh_conflict;
typedef int (*hh_conflict_cb)(void *ctx, const hh_conflict *c);
hh_err hh_cstore_conflict_add(hh_cstore *s, const hh_conflict *c);
/* The conflicts, open ones only unless all. */
hh_err hh_cstore_each_conflict(hh_cstore *s, int all, hh_conflict_cb cb, void *ctx);
hh_err hh_cstore_conflict_get(hh_cstore *s, int64_t id, hh_conflict *out);

/* 数据比对: records that contradict each other are kept and listed as a
 * duplicate case for a reviewer (DESIGN 2), once per pair. kind is
 * "id_number" (one person in two households: a and b are the two members),
 * "registry_no" (one registry number on two households: members "") or
 * "id_mismatch" (a member's sex or birth year against the ID number: b is
 * a again). detail holds no personal data, and tells apart two cases of one
 * kind on the same records. */
hh_err hh_cstore_duplicate_add(hh_cstore *s, const char *kind, const char *household_a,
                               const char *member_a, const char *household_b,
                               const char *member_b, const char *detail);

#endif
