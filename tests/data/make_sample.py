#!/usr/bin/env python3
"""Generate tests/data/sample.jsonl: a synthetic county for the demo and the tests.

50 households across three villages of one county (511823, 汉源县), in the
exchange format of DESIGN 2a. Deterministic (fixed seed): rerunning it writes the
same file. Every tier and every reason code appears; some households have two
visits so that income drops show. Names and ID numbers are invented; the ID
numbers carry valid GB 11643 check digits.

usage: make_sample.py > tests/data/sample.jsonl
"""
import json
import random

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"
VILLAGES = ["511823101201", "511823101202", "511823102203"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "华", "平"]

rng = random.Random(20261122)
serial = 0


def id_number(birth_year, sex):
    global serial
    serial += 1
    body = "511823%04d%02d%02d%03d" % (birth_year, rng.randint(1, 12), rng.randint(1, 28),
                                        (serial * 2 + (1 if sex == "m" else 0)) % 1000)
    return body + CHECK[sum(int(c) * w for c, w in zip(body, WEIGHTS)) % 11]


def person(relation, birth_year, sex, labour="full", health="healthy", employment="none",
           school="none"):
    m = {"name": rng.choice(SURNAMES) + rng.choice(GIVEN), "id_number": id_number(birth_year, sex),
         "relation": relation, "sex": sex, "birth_year": birth_year, "labour": labour,
         "health": health, "school": school, "medical_insurance": True, "employment": employment}
    if health == "disabled":
        m["disability_grade"] = 2
    return m


def family(size, employment="migrant", labour="full"):
    head_year = rng.randint(1958, 1985)
    members = [person("head", head_year, "m", labour=labour, employment=employment)]
    if size > 1:
        members.append(person("spouse", head_year + rng.randint(-3, 3), "f", labour=labour,
                              employment="local" if employment != "none" else "none"))
    for _ in range(size - 2):
        year = head_year + rng.randint(22, 30)
        members.append(person("child", min(year, 2020), rng.choice("mf"), labour="none",
                              school="enrolled"))
    return members


def visit(date, per_capita, size, shocks=(), failed=(), medical=0, education=0, disaster=0,
          officer=None):
    total = per_capita * size
    wages = total * rng.randint(50, 80) // 100
    transfer = total * rng.randint(5, 15) // 100
    operating = total - wages - transfer
    return {"visited_on": date, "officer": officer or "officer-%03d" % rng.randint(1, 9),
            "income_yuan": {"wages": wages, "operating": operating, "property": 0,
                            "transfer": transfer},
            "expenditure_yuan": {"medical": medical, "education": education, "disaster": disaster},
            "shocks": list(shocks),
            "guarantees": {g: g not in failed for g in
                           ["food", "clothing", "education", "medical", "housing", "water"]},
            "notes": ""}


# (category, per-capita income now, previous per-capita or None, extra visit fields, family kw)
CASES = [
    ("ordinary", 9000, None, {}, {}),                                  # green
    ("lifted", 6200, 6000, {}, {}),                                    # green
    ("lifted", 5000, None, {}, {}),                                    # green: at the line
    ("lifted", 4999, None, {}, {}),                                    # yellow: band
    ("lifted", 4500, None, {}, {}),                                    # yellow
    ("lifted", 7000, None, {"shocks": ["illness"]}, {}),               # yellow: shock
    ("lifted", 7000, None, {}, {"labour": "none", "employment": "none"}),  # yellow: no labour
    ("marginal", 3900, None, {}, {}),                                  # orange: band
    ("marginal", 3600, None, {}, {}),                                  # orange: at the red line
    ("unstable", 5600, 8000, {}, {}),                                  # orange: drop of 30 %
    ("unstable", 6000, None, {"medical": 12000}, {}),                  # orange: rigid 50 %
    ("lifted", 6500, None, {}, {"relocated": True, "employment": "none"}),  # orange: relocated
    ("marginal", 3599, None, {}, {}),                                  # red: band
    ("sudden_hardship", 2500, 4200, {"shocks": ["disaster"], "disaster": 20000}, {}),  # red
    ("lifted", 8000, None, {"failed": ["water"]}, {}),                 # red: guarantee
    ("unstable", 5200, None, {"medical": 30000}, {}),                  # red: rigid 100 %
]


def main():
    out = []
    for n in range(50):
        village = VILLAGES[n % len(VILLAGES)]
        category, now, before, extra, fam = CASES[n % len(CASES)] if n < 32 else (
            rng.choice(["ordinary", "lifted", "lifted", "marginal"]),
            rng.choice([3200, 3800, 4400, 5200, 6800, 9500]), None, {}, {})
        size = rng.randint(2, 5)
        relocated = fam.get("relocated", False)
        members = family(size, employment=fam.get("employment", "migrant"),
                         labour=fam.get("labour", "full"))
        household = {"registry_no": "%s%04d" % (village, n + 1), "village_code": village,
                     "category": category, "relocated": relocated,
                     "resettlement_site": "大树镇安置点" if relocated else None,
                     "members": members}
        extra = dict(extra)
        shocks = extra.pop("shocks", ())
        failed = extra.pop("failed", ())
        if before is not None:
            out.append({"household": household, "visit": visit("2026-04-15", before, size)})
            out.append({"visit": dict(visit("2026-10-20", now, size, shocks, failed, **extra),
                                      registry_no=household["registry_no"])})
        else:
            out.append({"household": household,
                        "visit": visit("2026-10-%02d" % (1 + n % 28), now, size, shocks, failed,
                                       **extra)})
    for line in out:
        print(json.dumps(line, ensure_ascii=False))


if __name__ == "__main__":
    main()
