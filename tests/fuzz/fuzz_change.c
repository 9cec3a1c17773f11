/* tests/fuzz/fuzz_change.c — one Change as the collector receives it: decoded,
 * checked and copied (hh_codec_change_from_pb), and re-identified as a
 * restored device does with its outbox (hh_codec_change_reidentify), whose
 * result must decode again. */
#include <stdlib.h>

#include "fuzz.h"
#include "model/buf.h"
#include "proto/hearth.pb-c.h"
#include "sync/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static hh_change_in in;
    Hearth__V1__Change *pb;
    hh_buf out;
    hh_diag d;

    if (size > HH_CHANGE_BYTES_MAX)
        return 0;
    if ((pb = hearth__v1__change__unpack(NULL, size, data))) {
        hh_diag_clear(&d);
        hh_codec_change_from_pb(pb, 2026, &in, &d);
        hearth__v1__change__free_unpacked(pb, NULL);
    }
    hh_buf_init(&out, HH_CHANGE_BYTES_MAX);
    if (hh_codec_change_reidentify(data, size, "01900000-0000-7000-8000-0000000000f1", 3, 77, &out) == HH_OK) {
        pb = hearth__v1__change__unpack(NULL, out.len, (const uint8_t *)out.data);
        HH_FUZZ_CHECK(pb != NULL);
        HH_FUZZ_CHECK(pb->has_seq && pb->seq == 77 && pb->device_epoch == 3);
        hearth__v1__change__free_unpacked(pb, NULL);
    }
    hh_buf_free(&out);
    return 0;
}
