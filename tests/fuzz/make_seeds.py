#!/usr/bin/python3
"""Write the fuzzing targets' first inputs: one realistic example of each kind
of message and file, built with python3-protobuf (independent of protobuf-c)
from the descriptor set protoc-c compiled from proto/hearth.proto. `make fuzz`
grows the corpus from these; what it found is merged into tests/fuzz/corpus.

usage: make_seeds.py DESCRIPTOR_SET CORPUS_DIR
"""
import os
import re
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from pb import classes  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DEVICE = "01900000-0000-7000-8000-0000000000e1"   # the device fuzz_http enrolled
HOUSEHOLD = "01900000-0000-7000-8000-0000000000a1"
MEMBER = "01900000-0000-7000-8000-0000000000b1"
VISIT = "01900000-0000-7000-8000-0000000000c1"
VILLAGE = "511823101201"


def main():
    cls = classes(sys.argv[1])
    out = sys.argv[2]

    def put(target, name, data):
        os.makedirs(os.path.join(out, target), exist_ok=True)
        with open(os.path.join(out, target, "seed-" + name), "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())

    def household(msg):
        msg.id, msg.registry_no, msg.village_code = HOUSEHOLD, "5118231012010001", VILLAGE
        msg.category, msg.relocated, msg.resettlement_site = 2, True, "大树镇安置点"

    def member(msg):
        msg.id, msg.name, msg.id_number, msg.household_id = MEMBER, "马平", "511823197801020038", HOUSEHOLD
        msg.relation, msg.sex, msg.birth_year, msg.labour, msg.health = 1, 1, 1978, 1, 2
        msg.school, msg.medical_insurance, msg.employment = 1, True, 2

    def visit(msg, vid=VISIT, supersedes=None):
        msg.id, msg.household_id, msg.visited_on, msg.officer = vid, HOUSEHOLD, "2026-10-20", "officer-009"
        msg.household_size = 4
        msg.income.wages, msg.income.operating, msg.income.transfer = 5980, 850, 2170
        msg.expenditure.medical = 9000
        msg.shocks.extend([1, 7])
        g = msg.guarantees
        g.food = g.clothing = g.education = g.medical = g.water = True
        msg.gps.lat_microdeg, msg.gps.lon_microdeg = 29351234, 102678901
        msg.notes = "因病 住院"
        if supersedes:
            msg.supersedes = supersedes

    Change = cls("Change")
    changes = []
    for seq, entity in enumerate(["household", "member", "visit"], start=41):
        c = Change()
        c.device_id, c.seq, c.hlc, c.op, c.device_epoch = DEVICE, seq, (1790000000000 << 16) + seq, 1, 1
        c.entity = {"household": 1, "member": 2, "visit": 3}[entity]
        c.entity_id = {"household": HOUSEHOLD, "member": MEMBER, "visit": VISIT}[entity]
        f = c.changed.add()
        f.field, f.base_hlc = "category" if entity == "household" else "name", 0
        {"household": household, "member": member, "visit": visit}[entity](getattr(c, entity))
        changes.append(c)
        put("change", entity, c.SerializeToString())

    SyncRequest = cls("SyncRequest")
    r = SyncRequest()
    r.protocol, r.device_id, r.pull_cursor, r.rulebook_version = 1, DEVICE, bytes(8), "yaan-2026.3"
    r.health.outbox_depth, r.health.clock_ms, r.health.agent_version = 3, 1790000000000, "hearth 0.1.0"
    r.quarantined_seqs.extend([7])
    for c in changes:
        r.changes.add().CopyFrom(c)
    v1 = r.SerializeToString()
    put("sync_request", "v1", v1)
    put("sync_request", "v1-deflated", zlib.compress(v1))
    c2 = SyncRequest()
    c2.protocol, c2.device_id, c2.device_epoch = 2, DEVICE, 1
    cc = c2.compact_changes.add()
    cc.seq_delta, cc.hlc_delta, cc.entity, cc.op = 41, 5, 3, 1
    cc.entity_key, cc.household_key = bytes(range(16)), bytes(range(16, 32))
    visit(cc.visit)
    cc.visit.ClearField("id")
    cc.visit.ClearField("household_id")
    put("sync_request", "v2", c2.SerializeToString())

    SyncResponse = cls("SyncResponse")
    for protocol in (1, 2):
        s = SyncResponse()
        s.protocol, s.acked_seq, s.cursor, s.more, s.server_hlc = protocol, 43, (1234).to_bytes(8, "big"), False, (1790000000000 << 16)
        rej = s.rejections.add()
        rej.seq, rej.reason, rej.detail = 42, 1, "member.id_number: bad check digit"
        t = s.tiers.add()
        if protocol == 1:
            t.household_id, t.rulebook_version = HOUSEHOLD, "yaan-2026.3"
        else:
            t.household_key = bytes.fromhex(HOUSEHOLD.replace("-", ""))
            s.tiers_rulebook = "yaan-2026.3"
        t.tier, t.source, t.review, t.last_visit_on, t.per_capita_yuan = 4, 2, 2, "2026-10-20", 2250
        t.reasons.extend(["income_below_line", "shock_illness"])
        m = t.measures.add()
        m.id, m.measure, m.responsible, m.due_on = 3, "medical_assistance", "镇卫生院", "2026-11-30"
        h = s.households.add()
        household(h)
        member(h.members.add())
        fv = h.versions.add()
        fv.field, fv.base_hlc = "category", 5
        visit(s.visits.add(), VISIT)
        visit(s.visits.add(), "01900000-0000-7000-8000-0000000000c2", VISIT)
        q = s.quarantine_results.add()
        q.seq, q.outcome, q.note = 7, 1, "核实无误"
        with open(os.path.join(ROOT, "model", "default.rulebook"), encoding="utf-8") as f:
            s.rulebook.version, s.rulebook.text = "yaan-2026.3", f.read()
        body = s.SerializeToString()
        put("sync_response", "v%d" % protocol, body)
        if protocol == 2:
            put("sync_response", "v2-deflated", zlib.compress(body))

    with open(os.path.join(ROOT, "model", "default.rulebook"), encoding="utf-8") as f:
        put("rulebook", "default", f.read())
    with open(os.path.join(ROOT, "tests", "data", "sample.jsonl"), encoding="utf-8") as f:
        lines = f.readlines()
    put("import", "sample", "".join(lines[:6]))
    put("import", "bom-crlf", "\ufeff" + "".join(l.rstrip("\n") + "\r\n" for l in lines[6:9]))

    with tempfile.TemporaryDirectory() as tmp:
        key, csr = os.path.join(tmp, "k"), os.path.join(tmp, "c")
        subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", key, "-subj", "/CN=hearth-device", "-out", csr],
                       check=True, capture_output=True)
        with open(csr, "rb") as f:
            csr_pem = f.read()
    put("enrol", "csr", csr_pem)
    EnrollRequest = cls("EnrollRequest")
    e = EnrollRequest()
    e.code, e.csr_pem, e.agent_version = "DDDD-EEEE-FFFF", csr_pem, "hearth 0.1.0"

    def http(name, head, body=b""):
        put("http", name, head.encode() + b"\n\n" + body)

    pb = "Content-Type: application/x-protobuf"
    http("sync-v1", "POST /v1/sync\n" + pb + "\nX-Client: device", v1)
    http("sync-v2", "POST /v2/sync\n" + pb + "\nContent-Encoding: deflate\nAccept-Encoding: deflate\n"
         "X-Client: device", zlib.compress(c2.SerializeToString()))
    http("enroll", "POST /v1/enroll\n" + pb, e.SerializeToString())
    http("health", "GET /v1/health")
    http("ca", "GET /v1/ca")
    form = "Content-Type: application/x-www-form-urlencoded\nCookie: hh_session=@session"
    http("login", "POST /login\nContent-Type: application/x-www-form-urlencoded",
         b"name=fuzz.reviewer&password=wrong")
    for page in ["/", "/worklist?village=511823101201&tier=red&state=computed&overdue=1",
                 "/household?id=" + HOUSEHOLD, "/queues", "/audit", "/report?month=2026-10",
                 "/report.csv?month=2026-10", "/metrics", "/console.css", "/?lang=en"]:
        http("get" + re.sub("[^a-z0-9]+", "-", page)[:40].rstrip("-"),
             "GET " + page + "\nCookie: hh_session=@session")
    http("act", "POST /act\n" + form, ("csrf=@csrf&household=%s&action=verify&note=%%E6%%A0%%B8%%E5%%AE%%9E"
                                       "&consent=on&measure=medical_assistance&responsible=x&due_on=2026-12-01"
                                       % HOUSEHOLD).encode())
    http("resolve", "POST /resolve\n" + form, b"csrf=@csrf&kind=duplicate&key=1&choice=keep-both&note=ok")
    http("metrics-basic", "GET /metrics\nAuthorization: Basic ZnV6ei5yZXZpZXdlcjp4")


if __name__ == "__main__":
    main()
