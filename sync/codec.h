/* sync/codec.h — Hearth records to the wire schema (proto/hearth.proto).
 *
 * The outbox stores each local change as an encoded protobuf Change, written in
 * the same transaction as the data it describes; this module builds those bytes.
 * The protobuf-c structures built here borrow the records' text fields and live
 * on the stack only for the duration of one encode, so nothing needs freeing. */
#ifndef HH_CODEC_H
#define HH_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "model/buf.h"
#include "model/diag.h"
#include "model/record.h"

typedef enum hh_entity {
    HH_ENTITY_HOUSEHOLD = 1, HH_ENTITY_MEMBER, HH_ENTITY_VISIT
} hh_entity;

typedef enum hh_op { HH_OP_CREATE = 1, HH_OP_UPDATE, HH_OP_DELETE } hh_op;

/* A review state (model/review.h) as the wire's ReviewState, and back (0 for
 * one this side does not know; the retired INTERVENING reads as monitored). */
int hh_codec_review_to_pb(int state);
int hh_codec_review_from_pb(int pb);

/* Names for the database and for display ("household", "create"). */
const char *hh_entity_name(hh_entity e);
const char *hh_op_name(hh_op op);

/* One changed field and the version of it the device had seen (0: none). */
typedef struct hh_field_base {
    const char *field;
    uint64_t base_hlc;
} hh_field_base;

#define HH_CHANGE_FIELDS_MAX 24

typedef struct hh_change {
    const char *device_id;
    uint32_t device_epoch;
    uint64_t seq;
    uint64_t hlc;
    hh_entity entity;
    hh_op op;
    const char *entity_id;
    size_t changed_count;
    hh_field_base changed[HH_CHANGE_FIELDS_MAX];
    /* Exactly the one matching `entity` is used; member changes also need the
     * id of the member's household (member_household_id). */
    const hh_household *household;     /* members are not carried: each is a change */
    const hh_member *member;
    const char *member_household_id;
    const hh_visit *visit;
} hh_change;

/* A Change as received: every text copied within its bound, every enumeration
 * checked, the payload validated by model/validate. */
typedef struct hh_change_in {
    char device_id[HH_UUID_LEN + 1];
    uint32_t device_epoch;
    uint64_t seq;
    uint64_t hlc;
    hh_entity entity;
    hh_op op;
    char entity_id[HH_UUID_LEN + 1];
    size_t changed_count;
    struct { char field[32]; uint64_t base_hlc; } changed[HH_CHANGE_FIELDS_MAX];
    hh_household household;            /* ENTITY_HOUSEHOLD (no members) */
    hh_member member;                  /* ENTITY_MEMBER */
    char member_household_id[HH_UUID_LEN + 1];
    hh_visit visit;                    /* ENTITY_VISIT */
    /* Not from the wire: the collector's merge sets these when the change's
     * stamp was ahead of its clock and hlc was replaced by the collector's. */
    int clock_ahead;
    uint64_t sent_hlc;                 /* the stamp as the device sent it */
} hh_change_in;

struct Hearth__V1__Change;
struct Hearth__V1__Household;

/* A household as the collector holds it after merging, with the version of
 * every field (household fields first, then each member's). */
typedef struct hh_field_version {
    char entity_id[HH_UUID_LEN + 1];
    char field[32];
    uint64_t hlc;
} hh_field_version;

#define HH_SNAPSHOT_VERSIONS_MAX (5 + HH_MEMBERS_MAX * 12)

typedef struct hh_snapshot {
    hh_household household;
    size_t version_count;
    hh_field_version versions[HH_SNAPSHOT_VERSIONS_MAX];
} hh_snapshot;

/* Check and copy a pulled Household snapshot (members included). */
hh_err hh_codec_snapshot_from_pb(const struct Hearth__V1__Household *pb, int current_year,
                                 hh_snapshot *out, hh_diag *d);

/* A Household message for snap, owning a copy of everything it points to, so
 * the caller may reuse snap at once. NULL when out of memory; free with
 * hh_snapshot_pb_free. */
typedef struct hh_snapshot_pb hh_snapshot_pb;
hh_snapshot_pb *hh_codec_snapshot_to_pb(const hh_snapshot *snap);
const struct Hearth__V1__Household *hh_snapshot_pb_message(const hh_snapshot_pb *p);
void hh_snapshot_pb_free(hh_snapshot_pb *p);

struct Hearth__V1__Visit;

/* A Visit message for v, owning a copy of v (NULL when out of memory); free
 * with hh_visit_pb_free. For the visits a pull brings (DESIGN: history). */
typedef struct hh_visit_pb hh_visit_pb;
hh_visit_pb *hh_codec_visit_to_pb(const hh_visit *v);
const struct Hearth__V1__Visit *hh_visit_pb_message(const hh_visit_pb *p);
void hh_visit_pb_free(hh_visit_pb *p);

/* Check and copy a received Visit message into v (validated). */
hh_err hh_codec_visit_from_pb(const struct Hearth__V1__Visit *pb, hh_visit *v, hh_diag *d);

/* Check and copy a decoded protobuf Change into out. HH_EINVAL (with d) when
 * anything is missing, out of range or invalid; current_year bounds birth years. */
hh_err hh_codec_change_from_pb(const struct Hearth__V1__Change *pb, int current_year,
                               hh_change_in *out, hh_diag *d);

/* Largest encoded Change Hearth will produce or accept, bytes. */
#define HH_CHANGE_BYTES_MAX (32 * 1024)

/* Encode c as a protobuf Change, replacing out's contents. HH_EINVAL if the
 * payload for c->entity is missing; HH_ERANGE if it would exceed
 * HH_CHANGE_BYTES_MAX. */
hh_err hh_codec_change_encode(const hh_change *c, hh_buf *out);

/* Re-encode the stored Change in[0..len) under another identity: its device id,
 * device epoch and seq replaced, everything else kept byte for byte in meaning.
 * For a device that the collector enrolled under a new id, or that starts a new
 * epoch after a restore. Replaces out's contents; HH_ECORRUPT if in is not a
 * Change (or carries what would not decode once packed again: fuzzing found
 * an unknown field numbered 0), HH_ERANGE if the result would exceed
 * HH_CHANGE_BYTES_MAX. */
hh_err hh_codec_change_reidentify(const uint8_t *in, size_t len, const char *device_id,
                                  uint32_t device_epoch, uint64_t seq, hh_buf *out);

#endif
