#!/usr/bin/python3
"""Build and read Hearth protobuf messages with python3-protobuf (an
implementation independent of protobuf-c), from the descriptor set protoc-c
compiled from proto/hearth.proto. For the end-to-end tests.

usage:
  pb.py DESC household-change DEVICE SEQ HOUSEHOLD_ID VILLAGE CATEGORY [HLC] > body
      a SyncRequest with one household CREATE change (stamped HLC if given)
  pb.py DESC many-changes DEVICE COUNT > body
      a SyncRequest with COUNT (empty) changes
  pb.py DESC decode-sync-response FILE
      prints: acked_seq N rejections N tiers N cursor_len N server_hlc>0 B
"""
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory


def classes(desc_path):
    fds = descriptor_pb2.FileDescriptorSet()
    with open(desc_path, "rb") as f:
        fds.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        pool.Add(fd)

    def cls(name):
        d = pool.FindMessageTypeByName("hearth.v1." + name)
        try:
            return message_factory.GetMessageClass(d)
        except AttributeError:  # python3-protobuf 3.x
            return message_factory.MessageFactory(pool).GetPrototype(d)
    return cls


def main():
    cls = classes(sys.argv[1])
    what = sys.argv[2]
    if what == "household-change":
        device, seq, hid, village, category = sys.argv[3:8]
        stamp = int(sys.argv[8]) if len(sys.argv) > 8 else 1790000000000 << 16
        req = cls("SyncRequest")()
        req.protocol = 1
        req.device_id = device
        ch = req.changes.add()
        ch.device_id = device
        ch.seq = int(seq)
        ch.hlc = stamp
        ch.entity = 1      # household
        ch.op = 1          # create
        ch.entity_id = hid
        ch.device_epoch = 1
        ch.household.id = hid
        ch.household.village_code = village
        ch.household.category = int(category)
        ch.household.relocated = False
        extra = [sys.argv[9]] if len(sys.argv) > 9 else []
        for field in ["registry_no", "village_code", "category", "relocated", "resettlement_site"] + extra:
            fb = ch.changed.add()
            fb.field = field
            fb.base_hlc = 0
        sys.stdout.buffer.write(req.SerializeToString())
    elif what == "member-change":
        device, seq, mid, hid, id_number, sex, birth_year = sys.argv[3:10]
        req = cls("SyncRequest")()
        req.protocol = 1
        req.device_id = device
        ch = req.changes.add()
        ch.device_id = device
        ch.seq = int(seq)
        ch.hlc = 1790000000000 << 16
        ch.entity = 2      # member
        ch.op = 1          # create
        ch.entity_id = mid
        ch.device_epoch = 1
        m = ch.member
        m.id = mid
        m.household_id = hid
        m.name = "测试"
        m.id_number = id_number
        m.relation = 1     # head
        m.sex = int(sex)
        m.birth_year = int(birth_year)
        m.labour = 1
        m.health = 1
        m.school = 1
        m.medical_insurance = True
        m.employment = 2
        for field in ["name", "id_number", "relation", "sex", "birth_year", "labour", "health",
                      "disability_grade", "school", "medical_insurance", "employment", "employment_stable"]:
            fb = ch.changed.add()
            fb.field = field
            fb.base_hlc = 0
        sys.stdout.buffer.write(req.SerializeToString())
    elif what == "many-changes":
        device, count = sys.argv[3], int(sys.argv[4])
        req = cls("SyncRequest")()
        req.protocol = 1
        req.device_id = device
        for i in range(count):
            ch = req.changes.add()
            ch.seq = i + 1
        sys.stdout.buffer.write(req.SerializeToString())
    elif what == "decode-sync-response":
        resp = cls("SyncResponse")()
        with open(sys.argv[3], "rb") as f:
            resp.ParseFromString(f.read())
        print("acked_seq", resp.acked_seq, "rejections", len(resp.rejections), "tiers",
              len(resp.tiers), "cursor_len", len(resp.cursor), "server_hlc>0", resp.server_hlc > 0)
        for r in resp.rejections:
            print("rejection", r.seq, repr(r.detail))
    else:
        sys.exit("pb.py: unknown command " + what)


if __name__ == "__main__":
    main()
