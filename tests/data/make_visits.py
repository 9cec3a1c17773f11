#!/usr/bin/python3
"""More visits to the households of tests/data/sample.jsonl in villages
511823101201 and 511823101202, as an officer records them (every field filled,
values varied by number), for the sync tests and the benchmarks. Deterministic.

usage: make_visits.py OUT COUNT [FIRST]
       visits number FIRST (default 0) to FIRST + COUNT - 1: other numbers, other visits
"""
import json
import sys

NOTES = ["", "家中老人慢性病，需跟踪", "外出务工收入稳定", "房屋漏雨，已报村委"]


def visit(i):
    village = "511823101201" if i % 2 else "511823101202"
    reg = "%s%04d" % (village, (i % 16) * 3 + (1 if village.endswith("01") else 2))
    return {"visit": {
        "registry_no": reg, "visited_on": "2026-%02d-%02d" % (1 + i % 10, 1 + i % 28),
        "officer": "村信息员-%03d" % (i % 7), "household_size": 4,
        "income_yuan": {"wages": 9000 + 37 * i, "operating": 2000 + i % 300, "property": 0,
                        "transfer": 1500},
        "expenditure_yuan": {"medical": 400 if i % 9 else 12000, "education": 800, "disaster": 0},
        "shocks": ["illness"] if i % 9 == 0 else [],
        "guarantees": {"food": True, "clothing": True, "education": True, "medical": True,
                       "housing": True, "water": i % 17 != 0},
        "gps": {"lat": 30.5 + i / 1e5, "lon": 104.0 + i / 1e5},
        "notes": NOTES[i % 4]}}


def main():
    out, count = sys.argv[1], int(sys.argv[2])
    first = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    if not 0 < count <= 1000000 or not 0 <= first <= 1000000:
        raise SystemExit("make_visits: COUNT must be 1..1000000, FIRST 0..1000000")
    with open(out, "w") as f:
        for i in range(first, first + count):
            f.write(json.dumps(visit(i), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
