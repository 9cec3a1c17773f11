/* model/tier.c — the tier engine (see tier.h and DESIGN section 2). */
#include "tier.h"

#include <stdio.h>
#include <string.h>

static const char *const reason_codes[HH_REASON_COUNT] = {
    "income_below_line", "income_marginal", "income_key_monitoring",
    "guarantee_failed", "income_drop", "rigid_expenditure", "shock",
    "relocated_no_employment", "no_labour_capacity", "warning_open",
};

const char *hh_reason_code(uint32_t bit)
{
    for (int i = 0; i < HH_REASON_COUNT; i++)
        if (bit == (1u << i))
            return reason_codes[i];
    return NULL;
}

uint32_t hh_reason_parse(const char *code)
{
    for (int i = 0; i < HH_REASON_COUNT; i++)
        if (strcmp(reason_codes[i], code) == 0)
            return 1u << i;
    return 0;
}

uint32_t hh_reasons_parse(const char *codes)
{
    char code[32];
    uint32_t bits = 0;

    for (const char *p = codes; *p; ) {
        size_t n = strcspn(p, ",");
        if (n < sizeof code) {
            memcpy(code, p, n);
            code[n] = '\0';
            bits |= hh_reason_parse(code);
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return bits;
}

hh_err hh_reasons_format(uint32_t reasons, const char *sep, char *out, size_t cap)
{
    size_t used = 0;

    if (cap == 0)
        return HH_ERANGE;
    out[0] = '\0';
    for (int i = 0; i < HH_REASON_COUNT; i++) {
        int n;
        if (!(reasons & (1u << i)))
            continue;
        n = snprintf(out + used, cap - used, "%s%s", used ? sep : "", reason_codes[i]);
        if (n < 0 || (size_t)n >= cap - used) {
            out[used] = '\0';
            return HH_ERANGE;
        }
        used += (size_t)n;
    }
    return HH_OK;
}

static int household_size(const hh_household *hh, const hh_visit *v)
{
    return v->household_size > 0 ? v->household_size : hh->member_count;
}

int64_t hh_visit_per_capita(const hh_household *hh, const hh_visit *v)
{
    int size = household_size(hh, v);

    return size > 0 ? hh_income_total(&v->income) / size : -1;
}

static void raise_to(hh_tier_result *r, uint32_t reason, hh_tier tier)
{
    r->reasons |= reason;
    if (tier > r->tier)
        r->tier = tier;
}

hh_err hh_tier_compute(const hh_rulebook *rules, const hh_household *hh,
                       const hh_visit *latest, const hh_visit *previous,
                       hh_tier_result *out)
{
    int64_t total, size, rigid;
    int employed = 0, able = 0;

    memset(out, 0, sizeof *out);
    if (!rules || !hh || !latest)
        return HH_EINVAL;
    size = household_size(hh, latest);
    if (size <= 0)
        return HH_EINVAL;
    total = hh_income_total(&latest->income);
    out->tier = HH_TIER_GREEN;
    out->household_size = (int)size;
    out->per_capita_yuan = hh_visit_per_capita(hh, latest);

    /* Income band, exactly: total < line * size. */
    if (total < rules->red_below_yuan * size)
        raise_to(out, HH_REASON_INCOME_BELOW_LINE, HH_TIER_RED);
    else if (total < rules->orange_below_yuan * size)
        raise_to(out, HH_REASON_INCOME_MARGINAL, HH_TIER_ORANGE);
    else if (total < rules->yellow_below_yuan * size)
        raise_to(out, HH_REASON_INCOME_KEY_MONITORING, HH_TIER_YELLOW);

    if ((latest->guarantees_met & HH_GUARANTEES_ALL) != HH_GUARANTEES_ALL)
        raise_to(out, HH_REASON_GUARANTEE_FAILED, rules->guarantee_failed_tier);

    /* 收入骤减: cur/cur_size <= prev/prev_size * (100 - pct)/100, cross-multiplied.
     * Bounds: 4e8 yuan * 50 people * 100 fits easily in int64. */
    if (previous) {
        int64_t prev_size = household_size(hh, previous);
        int64_t prev_total = hh_income_total(&previous->income);
        if (prev_size > 0 && prev_total > 0 &&
            total * prev_size * 100 <=
                prev_total * size * (100 - rules->income_drop_percent))
            raise_to(out, HH_REASON_INCOME_DROP, rules->income_drop_tier);
    }

    /* 支出骤增: rigid spending against net income; any such spending with no
     * positive income is the red case. */
    rigid = latest->expenditure.medical_yuan + latest->expenditure.education_yuan +
            latest->expenditure.disaster_yuan;
    if (rigid > 0) {
        if (total <= 0 || rigid * 100 >= total * rules->rigid_red_percent)
            raise_to(out, HH_REASON_RIGID_EXPENDITURE, HH_TIER_RED);
        else if (rigid * 100 >= total * rules->rigid_orange_percent)
            raise_to(out, HH_REASON_RIGID_EXPENDITURE, HH_TIER_ORANGE);
    }

    if (latest->shocks & HH_SHOCKS_ALL)
        raise_to(out, HH_REASON_SHOCK, rules->shock_tier);

    for (int i = 0; i < hh->member_count; i++) {
        const hh_member *m = &hh->members[i];
        if (m->employment != HH_EMPLOYMENT_NONE && m->employment != 0)
            employed++;
        if (m->labour == HH_LABOUR_FULL || m->labour == HH_LABOUR_PARTIAL)
            able++;
    }
    if (hh->relocated && employed == 0)
        raise_to(out, HH_REASON_RELOCATED_NO_EMPLOYMENT, rules->relocated_no_employment_tier);
    /* A household whose members are not recorded yet is not judged on them. */
    if (hh->member_count > 0 && able == 0)
        raise_to(out, HH_REASON_NO_LABOUR_CAPACITY, rules->no_labour_capacity_tier);
    return HH_OK;
}
