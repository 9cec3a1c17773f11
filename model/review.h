/* model/review.h — the rules of the warning lifecycle (DESIGN 2).
 *
 * 信息收集 → 数据比对 → 核实评估 → 集中会审 → 跟踪管理 → 预警干预 → 预警解除: a
 * computed warning is verified by a home check (or dismissed as a data error),
 * appraised by the village (opening a public notice), reviewed by the township
 * once the notice has run, and approved by the county: the household is then
 * monitored (监测对象), measures are recorded and tracked, and risk elimination
 * (风险消除) goes through the same three levels. An elimination can be
 * reversed. Pure: the collector's review service applies these rules with its
 * store and clock; the device only shows the states. Every number comes from
 * the rulebook. */
#ifndef HH_REVIEW_H
#define HH_REVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "record.h"
#include "rulebook.h"
#include "tier.h"

typedef enum hh_review_state {
    HH_REVIEW_COMPUTED = 1,
    HH_REVIEW_VERIFIED,
    HH_REVIEW_VILLAGE_APPROVED,
    HH_REVIEW_TOWNSHIP_APPROVED,
    HH_REVIEW_MONITORED,
    HH_REVIEW_RELEASE_PROPOSED,
    HH_REVIEW_RELEASE_VILLAGE_APPROVED,
    HH_REVIEW_RELEASE_TOWNSHIP_APPROVED,
    HH_REVIEW_RELEASED,
    HH_REVIEW_DISMISSED,
} hh_review_state;
#define HH_REVIEW_STATE_COUNT 10

/* An open measure as devices and the worklist see it. */
#define HH_OPEN_MEASURES_MAX 8       /* per household, most urgent first */
#define HH_RESPONSIBLE_MAX   64
typedef struct hh_open_measure {
    int64_t id;
    char measure[HH_MEASURE_CODE_MAX + 1];
    char responsible[HH_RESPONSIBLE_MAX + 1];
    char due_on[HH_DATE_LEN + 1];
} hh_open_measure;

/* Open measures as one text: records "id US measure US due_on US
 * responsible" separated by RS (no stored text holds a control character).
 * parse: at most max records into out, *n of them; HH_ECORRUPT when a
 * record does not fit. format: HH_ERANGE when they do not fit in cap. */
hh_err hh_open_measures_parse(const char *text, hh_open_measure *out, int max, int *n);
hh_err hh_open_measures_format(const hh_open_measure *m, int n, char *out, size_t cap);

/* The states' stable names ("computed" … "dismissed"), and an SQL CHECK over a
 * column holding them (a chain of comparisons: an IN list makes SQLite build a
 * temporary table on every write). */
extern const hh_enum_names hh_review_state_names;
#define HH_REVIEW_STATE_CHECK(col) \
    col " = 'computed' OR " col " = 'verified' OR " col " = 'village_approved' OR " \
    col " = 'township_approved' OR " col " = 'monitored' OR " col " = 'release_proposed' OR " \
    col " = 'release_village_approved' OR " col " = 'release_township_approved' OR " \
    col " = 'released' OR " col " = 'dismissed'"

/* Chinese for a state (核实 …), for the people who read it. Static storage. */
const char *hh_review_state_zh(hh_review_state s);

typedef enum hh_level { HH_LEVEL_VILLAGE = 1, HH_LEVEL_TOWNSHIP, HH_LEVEL_COUNTY } hh_level;
extern const hh_enum_names hh_level_names;

typedef enum hh_review_action {
    HH_ACT_VERIFY = 1, HH_ACT_DISMISS, HH_ACT_VILLAGE, HH_ACT_TOWNSHIP, HH_ACT_COUNTY,
    HH_ACT_PROPOSE_RELEASE, HH_ACT_REOPEN, HH_ACT_INTERVENE, HH_ACT_TRACK, HH_ACT_CLOSE_MEASURE,
} hh_review_action;
/* "verify", "dismiss", "village", "township", "county", "propose-release",
 * "reopen", "intervene", "track", "close-measure" */
extern const hh_enum_names hh_review_action_names;

/* The state `act` leads to from `from`, by an account of `level`. Measures'
 * actions (intervene, track, close-measure) leave the state as it is. An
 * action the state does not allow is HH_ECONFLICT, one by the wrong level
 * HH_EPERM, each with d saying why and what would be allowed. */
hh_err hh_review_next(hh_review_state from, hh_review_action act, hh_level level,
                      hh_review_state *to, hh_diag *d);

/* A state with an open warning: the household stays flagged (a red tier is
 * held) until the warning is released or dismissed. */
int hh_review_open(hh_review_state s);

/* When the step after state falls due (ms), by the rulebook's time limits:
 * the home check verify_within_days after the warning (since_ms: the state's
 * start; only for a tier above green), the village appraisal
 * appraise_within_days after the home check, the county's decision
 * decide_within_days after the case opened. 0: no limit runs. */
uint64_t hh_review_due_ms(const hh_rulebook *rules, hh_review_state state, hh_tier tier,
                          uint64_t since_ms, uint64_t case_opened_ms);

/* The 监测对象 category the county's approval gives: inside the monitoring
 * range (per-capita income below the line) a lifted household is unstable
 * (脱贫不稳定户) and any other marginal (边缘易致贫户); above it, sudden
 * hardship (突发严重困难户). */
hh_category hh_review_category(const hh_rulebook *rules, hh_category current,
                               int64_t per_capita_yuan);

/* One visit as the elimination criteria read it, oldest first. */
typedef struct hh_release_visit {
    char visited_on[HH_DATE_LEN + 1];
    int64_t per_capita_yuan;
} hh_release_visit;

/* Whether 风险消除 may be proposed today ("YYYY-MM-DD"): per-capita income
 * above the monitoring line on every visit of the last stable_months months,
 * since a visit at least that old; the latest visit's guarantees all met
 * (latest: its tier result); no new risk (shock, sharp drop, rigid spending,
 * relocated without work); and a member able to work (a household without
 * labour capacity stays monitored). Each unmet criterion is written to unmet,
 * one per line; *count says how many (0: it may be proposed). */
void hh_review_release_check(const hh_rulebook *rules, const hh_release_visit *visits, int n,
                             const hh_tier_result *latest, const char *today, char *unmet,
                             size_t cap, int *count);

/* The measures the rulebook suggests for a tier's reasons and a visit's
 * shocks (bits into rules->measures). */
uint32_t hh_review_suggest(const hh_rulebook *rules, uint32_t reasons, uint32_t shocks);

/* date ("YYYY-MM-DD") moved by months (negative: back), into out; the day is
 * kept (a date compare only needs the order). */
void hh_date_add_months(const char *date, int months, char out[HH_DATE_LEN + 1]);

#endif
