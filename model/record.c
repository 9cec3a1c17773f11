/* model/record.c — enumeration names and record defaults.
 *
 * The names below are the exchange format's (DESIGN 2a) and the database's: they
 * are part of the interface and never change spelling. */
#include "record.h"

#include <stdio.h>
#include <string.h>

#define NAMES(var, kind_name, ...)                                       \
    static const char *const var##_list[] = { __VA_ARGS__ };             \
    const hh_enum_names var = { kind_name, var##_list,                   \
        (int)(sizeof var##_list / sizeof var##_list[0]), var##_zh }

/* The Chinese labels, in the order of the names: what officers read and may
 * type (脱贫户 for lifted). */
static const char *const hh_category_names_zh[] = {
    "一般农户", "脱贫户", "脱贫不稳定户", "边缘易致贫户", "突发严重困难户" };
static const char *const hh_relation_names_zh[] = {
    "户主", "配偶", "子女", "儿媳女婿", "孙子女", "父母", "祖父母", "兄弟姐妹", "其他" };
static const char *const hh_sex_names_zh[] = { "男", "女" };
static const char *const hh_labour_names_zh[] = { "普通劳动力", "弱劳动力", "无劳动力" };
static const char *const hh_health_names_zh[] = { "健康", "长期慢性病", "大病", "残疾" };
static const char *const hh_school_names_zh[] = { "非在校", "在校", "辍学" };
static const char *const hh_employment_names_zh[] = {
    "未就业", "本地务工", "外出务工", "公益性岗位", "帮扶车间", "自主经营" };
static const char *const hh_shock_names_zh[] = {
    "因病", "因残", "因学", "因灾", "因疫", "因意外", "因失业", "因经营失败" };
static const char *const hh_guarantee_names_zh[] = {
    "吃", "穿", "义务教育", "基本医疗", "住房安全", "饮水安全" };

NAMES(hh_category_names, "category",
      "ordinary", "lifted", "unstable", "marginal", "sudden_hardship");
NAMES(hh_relation_names, "relation",
      "head", "spouse", "child", "child_in_law", "grandchild", "parent",
      "grandparent", "sibling", "other");
NAMES(hh_sex_names, "sex", "m", "f");
NAMES(hh_labour_names, "labour", "full", "partial", "none");
NAMES(hh_health_names, "health", "healthy", "chronic", "serious_illness", "disabled");
NAMES(hh_school_names, "school", "none", "enrolled", "dropped_out");
NAMES(hh_employment_names, "employment",
      "none", "local", "migrant", "public_welfare_post", "workshop", "self_employed");
NAMES(hh_shock_names, "shock",
      "illness", "disability", "education", "disaster", "epidemic", "accident",
      "job_loss", "business_loss");
NAMES(hh_guarantee_names, "guarantee",
      "food", "clothing", "education", "medical", "housing", "water");

int hh_enum_parse(const hh_enum_names *e, const char *name)
{
    for (int i = 0; i < e->count; i++)
        if (strcmp(e->names[i], name) == 0 || (e->zh && strcmp(e->zh[i], name) == 0))
            return i + 1;
    return 0;
}

const char *hh_enum_zh(const hh_enum_names *e, int value)
{
    if (value < 1 || value > e->count)
        return NULL;
    return e->zh ? e->zh[value - 1] : e->names[value - 1];
}

const char *hh_enum_name(const hh_enum_names *e, int value)
{
    if (value < 1 || value > e->count)
        return NULL;
    return e->names[value - 1];
}

void hh_enum_list(const hh_enum_names *e, char *out, size_t cap)
{
    size_t used = 0;

    if (cap == 0)
        return;
    out[0] = '\0';
    for (int i = 0; i < e->count && used < cap; i++) {
        int n = snprintf(out + used, cap - used, "%s%s", i ? " | " : "", e->names[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

void hh_member_init(hh_member *m)
{
    memset(m, 0, sizeof *m);
    m->employment_stable = -1;
}

void hh_visit_init(hh_visit *v)
{
    memset(v, 0, sizeof *v);
    v->guarantees_met = HH_GUARANTEES_ALL;
}

int64_t hh_income_total(const hh_income *income)
{
    return income->wages_yuan + income->operating_yuan + income->property_yuan +
           income->transfer_yuan;
}
