/* sync/wire.h — protocol 2 on the wire: the same messages, smaller.
 *
 * Protocol 1 sends every change whole: its device id, its ids as 36 characters
 * of text, its full seq and stamp. Protocol 2 (POST /v2/sync) sends each as a
 * CompactChange (proto/hearth.proto): what the request already says is not
 * repeated, seq and stamp are differences from the change before, ids are
 * their 16 bytes; tier updates name their household by its 16 bytes; and the
 * bodies are deflated (zlib, "Content-Encoding: deflate"), inflation bounded so
 * a small body cannot grow past the caller's limit.
 *
 * Compaction is exact: expanding a CompactChange gives back, field for field,
 * the Change it was made from, so the collector's record of what it applied
 * (a digest of the packed Change) is the same whichever protocol carried it. A
 * Change that cannot be compacted exactly (an id that is not a canonical
 * lower-case UUID, a missing id or stamp) is refused with HH_EINVAL, and its
 * batch goes out in protocol 1, which carries anything. */
#ifndef HH_WIRE_H
#define HH_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "model/buf.h"
#include "model/record.h"
#include "model/rulebook.h"
#include "proto/hearth.pb-c.h"

#define HH_WIRE_PROTOCOL 2
#define HH_WIRE_KEY_LEN  16

/* Batches. A sync's first request carries at most HH_WIRE_BATCH_FIRST
 * changes; every answer says how many the next may carry (batch_changes):
 * up to HH_WIRE_BATCH_CHANGES_MAX while few devices push, fewer while many
 * do, so that a batch waits behind about HH_WIRE_BACKLOG_CHANGES changes of
 * other devices, not behind every device's biggest batch. A batch's encoded
 * changes (before compaction and deflate) stay within HH_WIRE_BATCH_BYTES_MAX
 * whatever the count: about 55 KB on the link when deflated, some 7 s at
 * 64 kbit/s. A collector older than the hint takes HH_WIRE_BATCH_UNHINTED. */
#define HH_WIRE_BATCH_FIRST       32
#define HH_WIRE_BATCH_MIN         16
#define HH_WIRE_BATCH_CHANGES_MAX 1024
#define HH_WIRE_BATCH_UNHINTED    512
#define HH_WIRE_BATCH_BYTES_MAX   (256 * 1024)
#define HH_WIRE_BACKLOG_CHANGES   8192

/* The collector's batch_changes when `pushing` devices' batches are in its
 * queue or its commit (this one's included). */
uint32_t hh_wire_batch_hint(size_t pushing);

/* The device's next batch size after answer r: its batch_changes within
 * [HH_WIRE_BATCH_MIN, HH_WIRE_BATCH_CHANGES_MAX]; HH_WIRE_BATCH_UNHINTED when
 * the collector (older than the hint) says nothing. */
size_t hh_wire_batch_next(const Hearth__V1__SyncResponse *r);

/* The 16 bytes of a canonical (lower-case, hyphenated) UUID; HH_EINVAL for
 * anything else, so that hh_wire_key_text gives back exactly uuid. */
hh_err hh_wire_key(const char *uuid, uint8_t key[HH_WIRE_KEY_LEN]);
void hh_wire_key_text(const uint8_t key[HH_WIRE_KEY_LEN], char out[HH_UUID_LEN + 1]);

/* A packed protocol-1 SyncRequest as a packed protocol-2 one (not yet
 * deflated) in out: HH_EINVAL when one of its changes cannot be compacted
 * exactly, or it carries compact changes already (send it as it is),
 * HH_EPROTO when in is not a SyncRequest. */
hh_err hh_wire_request_compact(const uint8_t *in, size_t len, hh_buf *out);

/* What a protocol-2 request's changes expand to; the caller provides room for
 * n_compact_changes of them, and they borrow from the request. */
typedef struct hh_wire_change {
    Hearth__V1__Change msg;
    Hearth__V1__Household household;
    Hearth__V1__Member member;
    Hearth__V1__Visit visit;
    char entity_id[HH_UUID_LEN + 1];
    char household_id[HH_UUID_LEN + 1];
} hh_wire_change;

/* Expand every CompactChange of protocol-2 request in into room[i], with
 * changes[i] pointing at each. HH_EINVAL when one is malformed (a key that is
 * not 16 bytes, a seq that does not increase, a stamp out of range). */
hh_err hh_wire_request_expand(const Hearth__V1__SyncRequest *in, hh_wire_change *room,
                              Hearth__V1__Change **changes);

/* Turn the tier updates of a protocol-1 answer into protocol 2 in place:
 * each names its household by key (keys: room for n_tiers), and its rulebook
 * version moves to out->tiers_rulebook when all share one. The updates must
 * be the caller's, not protobuf-c's (pointers are replaced). */
hh_err hh_wire_response_compact(Hearth__V1__SyncResponse *out, uint8_t (*keys)[HH_WIRE_KEY_LEN],
                                char tiers_rulebook[HH_RULEBOOK_VERSION_MAX + 1]);

/* A pulled tier update's household id and rulebook version, whichever
 * protocol carried it (rulebook: borrowed from u or resp). HH_EPROTO when it
 * names no household or no rulebook. */
hh_err hh_wire_tier_names(const Hearth__V1__SyncResponse *resp, const Hearth__V1__TierUpdate *u,
                          char household_id[HH_UUID_LEN + 1], const char **rulebook);

/* zlib: deflate in into out (replaced), or inflate into out (replaced) no
 * further than max_bytes: HH_ERANGE past it (a zip bomb), HH_EPROTO when in is
 * not a whole zlib stream. */
hh_err hh_wire_deflate(const void *in, size_t len, hh_buf *out);
hh_err hh_wire_inflate(const void *in, size_t len, size_t max_bytes, hh_buf *out);

#endif
