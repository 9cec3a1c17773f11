/* agent/answer.c — a collector's SyncResponse, checked (see answer.h). */
#include "answer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/rulebook.h"
#include "model/validate.h"
#include "sync/codec.h"
#include "sync/wire.h"

/* The open measures of one pulled tier, checked against their bounds; text is
 * made printable (it is shown on the officer's terminal). */
static hh_err pulled_measures(const Hearth__V1__TierUpdate *u, hh_pulled_tier *p)
{
    p->n_measures = 0;
    for (size_t m = 0; m < u->n_measures && m < HH_OPEN_MEASURES_MAX; m++) {
        const Hearth__V1__OpenMeasure *o = u->measures[m];
        hh_open_measure *dst = &p->measures[p->n_measures];
        if (!o->measure || !o->due_on || !o->responsible ||
            strlen(o->measure) > HH_MEASURE_CODE_MAX || strlen(o->responsible) > HH_RESPONSIBLE_MAX ||
            hh_validate_date(o->due_on, NULL) != HH_OK)
            return HH_EPROTO;
        dst->id = o->has_id && o->id <= INT64_MAX ? (int64_t)o->id : 0;
        hh_text_printable(o->measure, dst->measure, sizeof dst->measure);
        hh_text_printable(o->responsible, dst->responsible, sizeof dst->responsible);
        snprintf(dst->due_on, sizeof dst->due_on, "%s", o->due_on);
        p->n_measures++;
    }
    return HH_OK;
}

/* One pulled tier, checked, into p. */
static hh_err pulled_tier(const Hearth__V1__SyncResponse *resp, const Hearth__V1__TierUpdate *u,
                          hh_pulled_tier *p, char *message, size_t cap)
{
    const char *rulebook = NULL;

    if (hh_wire_tier_names(resp, u, p->household_id, &rulebook) != HH_OK ||
        !u->has_tier || u->tier < HEARTH__V1__TIER__TIER_GREEN || u->tier > HEARTH__V1__TIER__TIER_RED ||
        strlen(rulebook) > HH_RULEBOOK_VERSION_MAX || u->n_reasons > HH_REASON_COUNT ||
        (u->last_visit_on && hh_validate_date(u->last_visit_on, NULL) != HH_OK)) {
        snprintf(message, cap, "the collector sent a malformed tier update");
        return HH_EPROTO;
    }
    p->tier = (hh_tier)u->tier;
    for (size_t r = 0; r < u->n_reasons; r++)
        p->reasons |= hh_reason_parse(u->reasons[r]);
    snprintf(p->rulebook, sizeof p->rulebook, "%s", rulebook);
    snprintf(p->last_visit_on, sizeof p->last_visit_on, "%s", u->last_visit_on ? u->last_visit_on : "");
    p->per_capita_yuan = u->has_per_capita_yuan && u->per_capita_yuan >= 0 &&
                         u->per_capita_yuan <= 4 * (int64_t)HH_MONEY_MAX_YUAN ? u->per_capita_yuan : -1;
    p->review = u->has_review ? (hh_review_state)hh_codec_review_from_pb((int)u->review) : 0;
    if (pulled_measures(u, p) != HH_OK) {
        snprintf(message, cap, "the collector sent a malformed measure");
        return HH_EPROTO;
    }
    return HH_OK;
}

static hh_err malformed(char *message, size_t cap, const char *what)
{
    snprintf(message, cap, "%s", what);
    return HH_EPROTO;
}

hh_err hh_answer_read(const uint8_t *data, size_t len, uint32_t protocol, size_t count,
                      uint64_t last_seq, uint64_t cursor, hh_answer *out, char *message,
                      size_t cap)
{
    const Hearth__V1__SyncResponse *resp;
    size_t n_results = 0, n_visits = 0;
    hh_err ret;

    memset(out, 0, sizeof *out);
    out->msg = hearth__v1__sync_response__unpack(NULL, len, data);
    resp = out->msg;
    if (resp && resp->has_wipe && resp->wipe) {
        out->wipe = 1;
        return HH_OK;
    }
    if (!resp || resp->protocol != protocol || resp->n_rejections > HH_ANSWER_CHANGES_MAX ||
        resp->n_tiers > HH_ANSWER_TIERS_MAX || (count && resp->acked_seq < last_seq))
        return malformed(message, cap, "the collector's answer is malformed or does not acknowledge the batch");
    if (resp->n_households > HH_ANSWER_HOUSEHOLDS_MAX)
        return malformed(message, cap, "the collector sent too many households at once");
    if (resp->n_visits > HH_ANSWER_VISITS_MAX)
        return malformed(message, cap, "the collector sent too many visits at once");
    out->rejected = calloc(resp->n_rejections + 1, sizeof *out->rejected);
    out->tiers = calloc(resp->n_tiers + 1, sizeof *out->tiers);
    out->visits = calloc(resp->n_visits + 1, sizeof *out->visits);
    if (!out->rejected || !out->tiers || !out->visits)
        return HH_ENOMEM;
    for (size_t i = 0; i < resp->n_rejections; i++) {
        out->rejected[i].seq = resp->rejections[i]->seq;
        /* Shown to the officer later: printable text only, whatever was sent. */
        hh_text_printable(resp->rejections[i]->detail ? resp->rejections[i]->detail : "refused",
                          out->rejected[i].reason, sizeof out->rejected[i].reason);
    }
    out->n_rejected = resp->n_rejections;
    for (size_t i = 0; i < resp->n_tiers; i++)
        if ((ret = pulled_tier(resp, resp->tiers[i], &out->tiers[i], message, cap)) != HH_OK)
            return ret;
    if (resp->has_cursor && resp->cursor.len == 8) {
        cursor = 0;
        for (int i = 0; i < 8; i++)
            cursor = (cursor << 8) | resp->cursor.data[i];
    }
    for (size_t i = 0; i < resp->n_quarantine_results && n_results < HH_ANSWER_RESULTS_MAX; i++) {
        const Hearth__V1__QuarantineResult *q = resp->quarantine_results[i];
        hh_quarantine_result *r = &out->results[n_results];
        if (!q->has_seq || !q->has_outcome || (q->outcome != HEARTH__V1__QUARANTINE_OUTCOME__OUTCOME_ACCEPTED &&
                                               q->outcome != HEARTH__V1__QUARANTINE_OUTCOME__OUTCOME_DISCARDED))
            continue;   /* an outcome this device does not know: asked again next time */
        r->seq = q->seq;
        r->accepted = q->outcome == HEARTH__V1__QUARANTINE_OUTCOME__OUTCOME_ACCEPTED;
        hh_text_printable(q->note ? q->note : "", r->note, sizeof r->note);
        n_results++;
    }
    for (size_t i = 0; i < resp->n_visits; i++)   /* one this version cannot check is left out */
        if (hh_codec_visit_from_pb(resp->visits[i], &out->visits[n_visits], NULL) == HH_OK)
            n_visits++;
    out->pull = (hh_pull){ resp->households, resp->n_households, out->tiers, resp->n_tiers, cursor,
                           resp->rulebook && resp->rulebook->text ? resp->rulebook->text : NULL,
                           resp->server_hlc, out->results, n_results, out->visits, n_visits };
    return HH_OK;
}

void hh_answer_free(hh_answer *a)
{
    if (a->msg)
        hearth__v1__sync_response__free_unpacked(a->msg, NULL);
    free(a->rejected);
    free(a->tiers);
    free(a->visits);
    memset(a, 0, sizeof *a);
}
