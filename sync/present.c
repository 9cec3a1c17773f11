/* sync/present.c — reasons and money for people (see present.h). */
#include "present.h"

#include <string.h>

#include "model/tier.h"
#include "model/validate.h"
#include "sync/i18n.h"

void hh_present_yuan(int64_t yuan, char *out, size_t cap)
{
    char digits[24];
    size_t n, used = 0;
    int neg = yuan < 0;

    snprintf(digits, sizeof digits, "%llu",
             neg ? 0ULL - (unsigned long long)yuan : (unsigned long long)yuan);
    n = strlen(digits);
    if (cap == 0)
        return;
    if (neg && used + 1 < cap)
        out[used++] = '-';
    for (size_t i = 0; i < n && used + 1 < cap; i++) {
        if (i > 0 && (n - i) % 3 == 0 && used + 2 < cap)
            out[used++] = ',';
        out[used++] = digits[i];
    }
    out[used] = '\0';
}

/* One reason as a sentence into out. */
static void reason_text(uint32_t bit, const hh_tier_view *v, const hh_rulebook *r, char *out,
                        size_t cap)
{
    char income[32] = "?", line[32];
    int64_t limit = bit == HH_REASON_INCOME_BELOW_LINE ? r->red_below_yuan
                  : bit == HH_REASON_INCOME_MARGINAL ? r->orange_below_yuan : r->yellow_below_yuan;

    if (v->per_capita_yuan >= 0)
        hh_present_yuan(v->per_capita_yuan, income, sizeof income);
    hh_present_yuan(limit, line, sizeof line);
    switch (bit) {
    case HH_REASON_INCOME_BELOW_LINE:
    case HH_REASON_INCOME_MARGINAL:
    case HH_REASON_INCOME_KEY_MONITORING:
        snprintf(out, cap, _("per-capita income %s yuan, below %s"), income, line);
        break;
    case HH_REASON_GUARANTEE_FAILED:
        snprintf(out, cap, "%s", _("a basic guarantee not met (food, clothing, schooling, medical "
                                   "care, housing, water)"));
        break;
    case HH_REASON_INCOME_DROP:
        snprintf(out, cap, _("income fell by %d%% or more since the visit before"),
                 r->income_drop_percent);
        break;
    case HH_REASON_RIGID_EXPENDITURE:
        snprintf(out, cap, _("medical, school and disaster spending above %d%% of income"),
                 r->rigid_orange_percent);
        break;
    case HH_REASON_SHOCK:
        snprintf(out, cap, "%s", _("hit by a shock (illness, disaster, job loss…)"));
        break;
    case HH_REASON_RELOCATED_NO_EMPLOYMENT:
        snprintf(out, cap, "%s", _("relocated household with nobody in work"));
        break;
    case HH_REASON_NO_LABOUR_CAPACITY:
        snprintf(out, cap, "%s", _("nobody able to work"));
        break;
    case HH_REASON_WARNING_OPEN:
        snprintf(out, cap, "%s", _("warning being handled: red until it is released"));
        break;
    default:
        snprintf(out, cap, "%s", hh_reason_code(bit) ? hh_reason_code(bit) : "?");
    }
}

void hh_present_reasons(const hh_tier_view *v, const hh_rulebook *rules, const char *sep,
                     char *out, size_t cap)
{
    size_t used = 0;

    if (cap == 0)
        return;
    out[0] = '\0';
    for (int i = 0; i < HH_REASON_COUNT; i++) {
        char one[200];
        uint32_t bit = 1u << i;
        int w;
        if (!(v->reasons & bit))
            continue;
        reason_text(bit, v, rules, one, sizeof one);
        w = snprintf(out + used, cap - used, "%s%s", used ? sep : "", one);
        if (w < 0 || (size_t)w >= cap - used)
            break;
        used += (size_t)w;
    }
}
