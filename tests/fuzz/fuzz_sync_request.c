/* tests/fuzz/fuzz_sync_request.c — a SyncRequest as the collector decodes it,
 * in both protocols: inflated when deflated (bounded), unpacked, protocol 2's
 * compact changes expanded (hh_wire_request_expand), and every change checked
 * as the service checks it (hh_codec_change_from_pb). The device's side too:
 * a protocol-1 request that compacts (hh_wire_request_compact) must expand to
 * as many changes, with the same seqs. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "model/buf.h"
#include "proto/hearth.pb-c.h"
#include "sync/codec.h"
#include "sync/wire.h"

#define CHANGES_MAX 1024             /* as the collector's HH_SYNC_CHANGES_MAX */
#define BODY_MAX (4u * 1024 * 1024)

static hh_wire_change room[CHANGES_MAX];
static Hearth__V1__Change *expanded[CHANGES_MAX];
static hh_change_in checked;

/* The collector's decoding of one request body; the changes it would apply
 * (NULL when it refuses the request). */
static Hearth__V1__SyncRequest *decode(const uint8_t *data, size_t size, Hearth__V1__Change ***changes,
                                       size_t *n)
{
    Hearth__V1__SyncRequest *in = hearth__v1__sync_request__unpack(NULL, size, data);
    hh_diag d;

    if (!in)
        return NULL;
    *changes = in->changes;
    *n = in->n_changes;
    if (in->n_changes > CHANGES_MAX || in->n_compact_changes > CHANGES_MAX ||
        (in->protocol == 2 && hh_wire_request_expand(in, room, expanded) != HH_OK)) {
        hearth__v1__sync_request__free_unpacked(in, NULL);
        return NULL;
    }
    if (in->protocol == 2) {
        *changes = expanded;
        *n = in->n_compact_changes;
    }
    for (size_t i = 0; i < *n; i++) {
        hh_diag_clear(&d);
        hh_codec_change_from_pb((*changes)[i], 2026, &checked, &d);
    }
    return in;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Hearth__V1__SyncRequest *in, *compact;
    Hearth__V1__Change **changes, **compact_changes;
    size_t n, n_compact;
    uint64_t seqs[CHANGES_MAX];
    hh_buf inflated, packed;

    if ((in = decode(data, size, &changes, &n))) {
        if (in->protocol != 2 && n > 0) {
            for (size_t i = 0; i < n; i++)
                seqs[i] = changes[i]->seq;
            hh_buf_init(&packed, BODY_MAX);
            if (hh_wire_request_compact(data, size, &packed) == HH_OK) {
                compact = decode((const uint8_t *)packed.data, packed.len, &compact_changes, &n_compact);
                HH_FUZZ_CHECK(compact != NULL);
                HH_FUZZ_CHECK(compact->protocol == 2 && n_compact == n);
                for (size_t i = 0; i < n; i++)
                    HH_FUZZ_CHECK(compact_changes[i]->seq == seqs[i]);
                hearth__v1__sync_request__free_unpacked(compact, NULL);
            }
            hh_buf_free(&packed);
        }
        hearth__v1__sync_request__free_unpacked(in, NULL);
    }
    hh_buf_init(&inflated, BODY_MAX);
    if (hh_wire_inflate(data, size, BODY_MAX, &inflated) == HH_OK) {
        HH_FUZZ_CHECK(inflated.len <= BODY_MAX);
        if ((in = decode((const uint8_t *)inflated.data, inflated.len, &changes, &n)))
            hearth__v1__sync_request__free_unpacked(in, NULL);
    }
    hh_buf_free(&inflated);
    return 0;
}
