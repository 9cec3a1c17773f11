/* tests/fuzz/fuzz_sync_response.c — a collector's answer as the device reads
 * it: checked whole (hh_answer_read, in either protocol), inflated first when
 * it is deflated, then stored as a sync stores it (hh_store_apply_pull) in a
 * real enrolled device database, which must stay whole. */
#include <stdlib.h>
#include <string.h>

#include "agent/answer.h"
#include "agent/store.h"
#include "fuzz.h"
#include "model/rulebook.h"
#include "sync/wire.h"

#define ANSWER_MAX (4u * 1024 * 1024)

static hh_store *store;
static unsigned long applied;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    hh_diag d;

    (void)argc, (void)argv;
    hh_diag_clear(&d);
    if (hh_store_create(hh_fuzz_path("device.db"), &store, &d) != HH_OK ||
        hh_store_enrolled(store, "01900000-0000-7000-8000-000000000001", "https://127.0.0.1:1",
                          "511823101201,511823101202", "officer-001", hh_rulebook_default_text(),
                          &d) != HH_OK)
        hh_fuzz_setup_failed(d.message[0] ? d.message : "cannot make the device database");
    return 0;
}

static void read_and_store(const uint8_t *data, size_t size)
{
    char message[300];
    hh_pull_result got;
    hh_answer a;
    hh_diag d;

    for (uint32_t protocol = 1; protocol <= 2; protocol++) {
        if (hh_answer_read(data, size, protocol, 0, 0, 0, &a, message, sizeof message) == HH_OK && !a.wipe) {
            hh_diag_clear(&d);
            memset(&got, 0, sizeof got);
            /* Refused or taken, the database stays whole (checked now and then:
             * a quick_check reads every page). */
            hh_store_apply_pull(store, &a.pull, &got, &d);
            if (++applied % 64 == 0)
                HH_FUZZ_CHECK(hh_store_check(store, &d) == HH_OK);
        }
        hh_answer_free(&a);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hh_buf inflated;

    if (size > ANSWER_MAX)
        return 0;
    read_and_store(data, size);
    hh_buf_init(&inflated, ANSWER_MAX);
    if (hh_wire_inflate(data, size, ANSWER_MAX, &inflated) == HH_OK)
        read_and_store((const uint8_t *)inflated.data, inflated.len);
    hh_buf_free(&inflated);
    return 0;
}
