#!/usr/bin/python3
"""Decode Hearth's protobuf output with an independent implementation.

python3-protobuf (Debian) reads the messages tests/wire/encode_sample wrote,
using a descriptor set that protoc-c compiled from the same proto/hearth.proto,
and checks every field against expected.json. Prints TAP.

usage: check_decode.py DESCRIPTOR_SET DIR
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from pb import classes  # noqa: E402  (the one descriptor loader)


def main():
    desc_path, sample_dir = sys.argv[1], sys.argv[2]
    Change = classes(desc_path)("Change")
    with open(sample_dir + "/expected.json", encoding="utf-8") as f:
        want = json.load(f)

    checks = []

    def check(name, got, expected):
        checks.append((name, got == expected, got, expected))

    def load(name):
        msg = Change()
        with open("%s/%s.bin" % (sample_dir, name), "rb") as f:
            msg.ParseFromString(f.read())
        return msg

    h = load("household")
    check("household: device", h.device_id, want["device_id"])
    check("household: seq", h.seq, want["seq_base"])
    check("household: oneof", h.WhichOneof("payload"), "household")
    for key in ["id", "registry_no", "village_code", "category", "relocated", "resettlement_site"]:
        check("household: " + key, getattr(h.household, key), want["household"][key])
    check("household: changed", [[c.field, c.base_hlc] for c in h.changed], want["household"]["changed"])
    check("household: hlc counter", h.hlc & 0xFFFF, 3)

    m = load("member")
    check("member: seq", m.seq, want["seq_base"] + 1)
    check("member: oneof", m.WhichOneof("payload"), "member")
    for key, value in want["member"].items():
        check("member: " + key, getattr(m.member, key), value)
    check("member: has employment_stable", m.member.HasField("employment_stable"), True)

    v = load("visit")
    w = want["visit"]
    check("visit: seq", v.seq, want["seq_base"] + 2)
    check("visit: oneof", v.WhichOneof("payload"), "visit")
    for key in ["visited_on", "officer", "household_size", "notes"]:
        check("visit: " + key, getattr(v.visit, key), w[key])
    for key in ["wages", "operating", "property", "transfer"]:
        check("visit: income " + key, getattr(v.visit.income, key), w[key])
    check("visit: medical", v.visit.expenditure.medical, w["medical"])
    check("visit: shocks", list(v.visit.shocks), w["shocks"])
    check("visit: water", v.visit.guarantees.water, w["water"])
    check("visit: food", v.visit.guarantees.food, w["food"])
    check("visit: gps", [v.visit.gps.lat_microdeg, v.visit.gps.lon_microdeg], [w["lat"], w["lon"]])
    check("visit: no unknown fields", len(v.UnknownFields()) if hasattr(v, "UnknownFields") else 0, 0)

    failed = 0
    for i, (name, ok, got, expected) in enumerate(checks, 1):
        if ok:
            print("ok %d - wire: %s" % (i, name))
        else:
            failed += 1
            print("not ok %d - wire: %s: got %r, want %r" % (i, name, got, expected))
    print("1..%d" % len(checks))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
