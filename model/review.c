/* model/review.c — the lifecycle's rules (see review.h). */
#include "review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_list[HH_REVIEW_STATE_COUNT] = {
    "computed", "verified", "village_approved", "township_approved", "monitored",
    "release_proposed", "release_village_approved", "release_township_approved",
    "released", "dismissed",
};
static const char *const state_zh[HH_REVIEW_STATE_COUNT] = {
    "预警待核实", "已入户核实", "村级已评议", "乡镇已审核", "监测帮扶中",
    "申请风险消除", "消除村级已评议", "消除乡镇已审核", "风险已消除", "已排除",
};
const hh_enum_names hh_review_state_names = { "review state", state_list, HH_REVIEW_STATE_COUNT,
                                              state_zh };

static const char *const level_list[] = { "village", "township", "county" };
static const char *const level_zh[] = { "村级", "乡镇级", "县级" };
const hh_enum_names hh_level_names = { "level", level_list, 3, level_zh };

static const char *const action_list[] = {
    "verify", "dismiss", "village", "township", "county", "propose-release", "reopen",
    "intervene", "track", "close-measure",
};
const hh_enum_names hh_review_action_names = { "action", action_list, 10 };

hh_err hh_open_measures_parse(const char *text, hh_open_measure *out, int max, int *n)
{
    const char *p = text ? text : "";

    *n = 0;
    while (*p && *n < max) {
        hh_open_measure *m = &out[*n];
        char id[24];
        size_t len = strcspn(p, "\x1e");
        if (sscanf(p, "%23[^\x1f]\x1f%32[^\x1f]\x1f%10[^\x1f]\x1f%64[^\x1e]", id, m->measure,
                   m->due_on, m->responsible) != 4 || strcspn(p, "\x1f") > 20)
            return HH_ECORRUPT;
        m->id = strtoll(id, NULL, 10);
        ++*n;
        p += len;
        if (*p)
            p++;
    }
    return HH_OK;
}

hh_err hh_open_measures_format(const hh_open_measure *m, int n, char *out, size_t cap)
{
    size_t used = 0;

    if (cap)
        out[0] = '\0';
    for (int i = 0; i < n; i++) {
        int w = snprintf(out + used, cap - used, "%s%lld\x1f%s\x1f%s\x1f%s", i ? "\x1e" : "",
                         (long long)m[i].id, m[i].measure, m[i].due_on, m[i].responsible);
        if (w < 0 || (size_t)w >= cap - used)
            return HH_ERANGE;
        used += (size_t)w;
    }
    return HH_OK;
}

const char *hh_review_state_zh(hh_review_state s)
{
    return s >= 1 && s <= HH_REVIEW_STATE_COUNT ? state_zh[s - 1] : "?";
}

/* One step of the procedure: from a state, by an action, at a level (0: any
 * reviewer), to a state. */
typedef struct step {
    hh_review_state from;
    hh_review_action act;
    hh_level level;
    hh_review_state to;
} step;

static const step steps[] = {
    { HH_REVIEW_COMPUTED,                  HH_ACT_VERIFY,  0, HH_REVIEW_VERIFIED },
    { HH_REVIEW_COMPUTED,                  HH_ACT_DISMISS, 0, HH_REVIEW_DISMISSED },
    { HH_REVIEW_VERIFIED,                  HH_ACT_DISMISS, 0, HH_REVIEW_DISMISSED },
    { HH_REVIEW_VERIFIED,                  HH_ACT_VILLAGE, HH_LEVEL_VILLAGE, HH_REVIEW_VILLAGE_APPROVED },
    { HH_REVIEW_VILLAGE_APPROVED,          HH_ACT_TOWNSHIP, HH_LEVEL_TOWNSHIP, HH_REVIEW_TOWNSHIP_APPROVED },
    { HH_REVIEW_TOWNSHIP_APPROVED,         HH_ACT_COUNTY,  HH_LEVEL_COUNTY, HH_REVIEW_MONITORED },
    { HH_REVIEW_MONITORED,                 HH_ACT_PROPOSE_RELEASE, 0, HH_REVIEW_RELEASE_PROPOSED },
    { HH_REVIEW_RELEASE_PROPOSED,          HH_ACT_VILLAGE, HH_LEVEL_VILLAGE, HH_REVIEW_RELEASE_VILLAGE_APPROVED },
    { HH_REVIEW_RELEASE_VILLAGE_APPROVED,  HH_ACT_TOWNSHIP, HH_LEVEL_TOWNSHIP, HH_REVIEW_RELEASE_TOWNSHIP_APPROVED },
    { HH_REVIEW_RELEASE_TOWNSHIP_APPROVED, HH_ACT_COUNTY,  HH_LEVEL_COUNTY, HH_REVIEW_RELEASED },
    { HH_REVIEW_RELEASED,                  HH_ACT_REOPEN,  HH_LEVEL_COUNTY, HH_REVIEW_MONITORED },
    { HH_REVIEW_DISMISSED,                 HH_ACT_REOPEN,  HH_LEVEL_COUNTY, HH_REVIEW_COMPUTED },
};

/* Measures are recorded between the home check and the release. */
static int measures_allowed(hh_review_state s)
{
    return s >= HH_REVIEW_VERIFIED && s <= HH_REVIEW_RELEASE_TOWNSHIP_APPROVED;
}

hh_err hh_review_next(hh_review_state from, hh_review_action act, hh_level level,
                      hh_review_state *to, hh_diag *d)
{
    const char *act_name = hh_enum_name(&hh_review_action_names, (int)act);
    const char *from_name = hh_enum_name(&hh_review_state_names, (int)from);
    char allowed[160] = "";
    size_t used = 0;

    if (!act_name || !from_name)
        return hh_diag_fail(d, HH_EINVAL, "action", "unknown action or state");
    if (act == HH_ACT_INTERVENE || act == HH_ACT_TRACK || act == HH_ACT_CLOSE_MEASURE) {
        if (!measures_allowed(from))
            return hh_diag_fail(d, HH_ECONFLICT, "review",
                                "measures are recorded between the home check and the release; "
                                "the household is %s", from_name);
        *to = from;
        return HH_OK;
    }
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        if (steps[i].from != from)
            continue;
        if (steps[i].act == act) {
            if (steps[i].level && steps[i].level != level)
                return hh_diag_fail(d, HH_EPERM, "level", "%s needs a %s-level account",
                                    act_name, hh_enum_name(&hh_level_names, (int)steps[i].level));
            *to = steps[i].to;
            return HH_OK;
        }
        int n = snprintf(allowed + used, sizeof allowed - used, "%s%s", used ? ", " : "",
                         hh_enum_name(&hh_review_action_names, (int)steps[i].act));
        if (n > 0 && (size_t)n < sizeof allowed - used)
            used += (size_t)n;
    }
    if (measures_allowed(from) && used + 40 < sizeof allowed)
        snprintf(allowed + used, sizeof allowed - used, "%sintervene, track, close-measure",
                 used ? ", " : "");
    return hh_diag_fail(d, HH_ECONFLICT, "review", "cannot %s a household that is %s (allowed: %s)",
                        act_name, from_name, allowed[0] ? allowed : "nothing");
}

int hh_review_open(hh_review_state s)
{
    return s != HH_REVIEW_RELEASED && s != HH_REVIEW_DISMISSED;
}

uint64_t hh_review_due_ms(const hh_rulebook *rules, hh_review_state state, hh_tier tier,
                          uint64_t since_ms, uint64_t case_opened_ms)
{
    const uint64_t day = 24ull * 60 * 60 * 1000;

    switch (state) {
    case HH_REVIEW_COMPUTED:
        return tier > HH_TIER_GREEN ? since_ms + (uint64_t)rules->verify_within_days * day : 0;
    case HH_REVIEW_VERIFIED:
        return since_ms + (uint64_t)rules->appraise_within_days * day;
    case HH_REVIEW_VILLAGE_APPROVED:
    case HH_REVIEW_TOWNSHIP_APPROVED:
        return (case_opened_ms ? case_opened_ms : since_ms) + (uint64_t)rules->decide_within_days * day;
    default:
        return 0;
    }
}

hh_category hh_review_category(const hh_rulebook *rules, hh_category current,
                               int64_t per_capita_yuan)
{
    if (per_capita_yuan >= rules->monitoring_line_yuan)
        return HH_CATEGORY_SUDDEN_HARDSHIP;
    return current == HH_CATEGORY_LIFTED || current == HH_CATEGORY_UNSTABLE
               ? HH_CATEGORY_UNSTABLE : HH_CATEGORY_MARGINAL;
}

void hh_date_add_months(const char *date, int months, char out[HH_DATE_LEN + 1])
{
    char text[48];
    int y = 0, m = 0, day = 0;

    if (sscanf(date, "%4d-%2d-%2d", &y, &m, &day) != 3) {
        snprintf(out, HH_DATE_LEN + 1, "%s", "0000-00-00");
        return;
    }
    m += months;
    while (m < 1) {
        m += 12;
        y--;
    }
    while (m > 12) {
        m -= 12;
        y++;
    }
    if (y < 0 || y > 9999)
        y = y < 0 ? 0 : 9999;
    if (day < 1 || day > 31)
        day = day < 1 ? 1 : 31;
    snprintf(text, sizeof text, "%04d-%02d-%02d", y, m, day);
    memcpy(out, text, HH_DATE_LEN);
    out[HH_DATE_LEN] = '\0';
}

/* Append one line to unmet. */
static void unmet_add(char *unmet, size_t cap, int *count, const char *line)
{
    size_t used = strlen(unmet);

    if (used < cap)
        snprintf(unmet + used, cap - used, "%s\n", line);
    ++*count;
}

void hh_review_release_check(const hh_rulebook *rules, const hh_release_visit *visits, int n,
                             const hh_tier_result *latest, const char *today, char *unmet,
                             size_t cap, int *count)
{
    const uint32_t risks = HH_REASON_SHOCK | HH_REASON_INCOME_DROP | HH_REASON_RIGID_EXPENDITURE |
                           HH_REASON_RELOCATED_NO_EMPLOYMENT;
    char since[HH_DATE_LEN + 1], line[200], codes[160];
    int start = n;     /* the first visit of the run above the line that ends the list */

    if (cap)
        unmet[0] = '\0';
    *count = 0;
    if (n == 0 || !latest) {
        unmet_add(unmet, cap, count, "no visit recorded");
        return;
    }
    while (start > 0 && visits[start - 1].per_capita_yuan >= rules->monitoring_line_yuan)
        start--;
    hh_date_add_months(today, -rules->stable_months, since);
    line[0] = '\0';
    if (start == n)
        snprintf(line, sizeof line, "income: %lld yuan per person on the latest visit, below the "
                 "monitoring line (%lld)", (long long)visits[n - 1].per_capita_yuan,
                 (long long)rules->monitoring_line_yuan);
    else if (strcmp(visits[start].visited_on, since) > 0)
        snprintf(line, sizeof line, "income: above the monitoring line (%lld) only since %s, "
                 "less than %d months", (long long)rules->monitoring_line_yuan,
                 visits[start].visited_on, rules->stable_months);
    if (line[0])
        unmet_add(unmet, cap, count, line);
    if (latest->reasons & HH_REASON_GUARANTEE_FAILED)
        unmet_add(unmet, cap, count,
                  "两不愁三保障 or safe drinking water not secured on the latest visit");
    if (latest->reasons & risks) {
        hh_reasons_format(latest->reasons & risks, ", ", codes, sizeof codes);
        snprintf(line, sizeof line, "new risk on the latest visit: %s", codes);
        unmet_add(unmet, cap, count, line);
    }
    if (latest->reasons & HH_REASON_NO_LABOUR_CAPACITY)
        unmet_add(unmet, cap, count, "no member is able to work: the household stays monitored");
}

uint32_t hh_review_suggest(const hh_rulebook *rules, uint32_t reasons, uint32_t shocks)
{
    uint32_t out = 0;

    for (int i = 0; i < rules->suggestion_count; i++) {
        const char *cause = rules->suggestions[i].cause;
        uint32_t bit = hh_reason_parse(cause);
        int shock = hh_enum_parse(&hh_shock_names, cause);

        if ((bit && (reasons & bit)) || (shock && (shocks & (1u << shock))))
            out |= rules->suggestions[i].measures;
    }
    return out;
}
