#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""xsession messages are plain CBOR: prove it with Python's cbor2.

    cbor_interop.py PATH/TO/cbor_interop WORKDIR

1. The C program writes a captured message with every type, an fd and a
   shmem in its out-of-line table.  cbor2 decodes it; every value is
   checked (tags 1, 37, 1001 and the project's out-of-line tag through a
   tag_hook), and cbor2's own canonical re-encoding of what it read must
   be byte-identical to ours: the two deterministic encoders agree.
2. cbor2 encodes a message (not canonically: insertion order, float64,
   tag 1 with a float) that the C decoder must read; the C program checks
   types, the fd and the shmem, and re-encodes; Python checks every value
   of that re-encoding and that it is what cbor2's canonical mode writes.
3. Large messages: the payload is only tag xsOL [2, index, length], the
   dictionary is the content of a sealed memfd.  C sends one (payload
   and body as files): cbor2 reads the reference and the body.  Python
   writes one: C decodes it with a sealed memfd made of Python's body.

Prints TAP; exits non-zero on any mismatch.  Needs Debian's python3-cbor2.
The values mirror cbor_interop.c: change both together.
"""
import math
import os
import subprocess
import sys
import uuid
from datetime import datetime, timezone

try:
    import cbor2
    from cbor2 import CBORTag
except ImportError:
    print("1..0")
    print("Bail out! python3-cbor2 is missing: apt-get install python3-cbor2")
    sys.exit(1)

TAG_ETIME = 1001
TAG_OOL = 0x78734F4C        # 2020822860, "xsOL"
C_SHMEM = b"shared memory from C"
PY_SHMEM = b"shared memory from Python"
UUID = uuid.UUID("12345678-9abc-def0-0fed-cba987654321")
UTC = timezone.utc


class NsDate:
    """A date in nanoseconds, from tag 1001 {1: s, -9: ns}."""

    def __init__(self, ns):
        self.ns = ns

    def __eq__(self, other):
        return isinstance(other, NsDate) and other.ns == self.ns

    def __repr__(self):
        return f"NsDate({self.ns})"


class Ool:
    """An out-of-line reference: tag TAG_OOL [kind, index(, length)]."""

    def __init__(self, *fields):
        self.fields = list(fields)

    def __eq__(self, other):
        return isinstance(other, Ool) and other.fields == self.fields

    def __repr__(self):
        return f"Ool{tuple(self.fields)}"


def tag_hook(decoder, tag):
    if tag.tag == TAG_ETIME:
        m = tag.value
        if not isinstance(m, dict) or set(m) - {1, -9}:
            raise ValueError(f"unexpected tag 1001 content {m!r}")
        return NsDate(m[1] * 10**9 + m.get(-9, 0))
    if tag.tag == TAG_OOL:
        return Ool(*tag.value)
    return tag


def same(a, b):
    """Equality that knows NaN, -0.0 and the types cbor2 returns."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


class Tap:
    def __init__(self, planned):
        self.n = 0
        self.failed = 0
        print(f"1..{planned}")

    def check(self, ok, what, detail=None):
        self.n += 1
        print(f"{'ok' if ok else 'not ok'} {self.n} - {what}")
        if not ok:
            self.failed += 1
            if detail:
                for line in str(detail).splitlines():
                    print(f"# {line}")
        return ok


def key_order_ok(keys):
    """RFC 8949 4.2.1 for text keys: shorter first, then bytewise."""
    enc = [k.encode() for k in keys]
    return enc == sorted(enc, key=lambda k: (len(k), k))


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    for line in p.stdout.splitlines() + p.stderr.splitlines():
        if line.startswith("#"):
            print(line)
        elif line and not line.startswith("ool_count="):
            print(f"# {line}")
    fields = dict(l.split("=", 1) for l in p.stdout.splitlines()
                  if l.startswith("ool_count="))
    return p.returncode, int(fields.get("ool_count", -1))


def from_c(tap, prog, work):
    path = os.path.join(work, "from_c.cbor")
    rc, ool_count = run([prog, "encode", path])
    if not tap.check(rc == 0 and ool_count == 2, "C encoder wrote a message",
                     f"exit {rc}, ool_count {ool_count}"):
        return
    with open(path, "rb") as f:
        data = f.read()

    try:
        msg = cbor2.loads(data, tag_hook=tag_hook)
        err = None
    except Exception as e:          # noqa: BLE001 - report whatever it is
        msg, err = None, e
    if not tap.check(isinstance(msg, dict), "cbor2 decodes the C message",
                     err):
        return

    expect = {
        "null": None, "true": True, "false": False,
        "int": -42, "int_min": -2**63, "uint_max": 2**64 - 1,
        "double": 3.14159, "half": 0.5, "neg_zero": -0.0,
        "inf": math.inf, "nan": math.nan,
        "date": NsDate(1700000000123456789),
        "date_s": datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC),
        "date_neg": NsDate(-1),
        "data": b"\x00\x01\xfe\xff",
        "string": "h\u00e9llo, w\u00f6rld \u2713", "empty": "",
        "uuid": UUID,
        "fd": Ool(0, 0), "shmem": Ool(1, 1, len(C_SHMEM)),
        "array": [1, "two", [3.5], {}],
        "dict": {"nested": {"deep": True}},
    }
    bad = [k for k in expect if k not in msg or not same(msg[k], expect[k])]
    bad += [k for k in msg if k not in expect]
    tap.check(not bad, "every value is what C encoded",
              "\n".join(f"{k}: got {msg.get(k)!r}, expected {expect.get(k)!r}"
                        for k in bad))
    tap.check(key_order_ok(list(msg)), "map keys are in deterministic order",
              list(msg))

    # Without the hook, unknown tags stay CBORTag and re-encode as they
    # came; tag 1 comes back as a datetime and goes out as tag 1 again.
    plain = cbor2.loads(data)
    again = cbor2.dumps(plain, canonical=True, datetime_as_timestamp=True,
                        timezone=UTC)
    tap.check(again == data,
              "cbor2's canonical encoding of it is byte-identical",
              f"ours:  {data.hex()}\ncbor2: {again.hex()}")


def from_python(tap, prog, work):
    msg = {
        # Deliberately not in deterministic order.
        "uint_max": 2**64 - 1, "null": None, "true": True, "false": False,
        "int": -42, "int_min": -2**63, "small": 7,
        "double": 3.14159, "half": 0.5,
        "date": datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC),
        "date_us": datetime(2023, 11, 14, 22, 13, 20, 123456, tzinfo=UTC),
        "date_ns": CBORTag(TAG_ETIME, {1: 1700000000, -9: 123456789}),
        "data": b"\x00\x01\xfe\xff",
        "string": "h\u00e9llo, w\u00f6rld",
        "uuid": UUID,
        "fd": CBORTag(TAG_OOL, [0, 0]),
        "shmem": CBORTag(TAG_OOL, [1, 1, len(PY_SHMEM)]),
        "array": [1, "two", {}],
        "dict": {"nested": {"deep": True}},
    }
    src = os.path.join(work, "from_python.cbor")
    out = os.path.join(work, "from_python.reencoded.cbor")
    data = cbor2.dumps(msg, datetime_as_timestamp=True, timezone=UTC)
    with open(src, "wb") as f:
        f.write(data)
    try:
        os.unlink(out)
    except FileNotFoundError:
        pass

    rc, ool_count = run([prog, "decode", src, out])
    if not tap.check(rc == 0 and ool_count == 2,
                     "C decoder reads the cbor2 message (types, fd, shmem)",
                     f"exit {rc}, ool_count {ool_count}"):
        return
    with open(out, "rb") as f:
        back_data = f.read()
    back = cbor2.loads(back_data, tag_hook=tag_hook)

    # What we sent, as C must give it back: sub-second tag 1 floats
    # become exact nanoseconds (tag 1001), OOL tags keep their indices.
    us = back.get("date_us")
    us_ok = isinstance(us, NsDate) and abs(us.ns - 1700000000123456000) < 1000
    expect = dict(msg)
    expect["date_ns"] = NsDate(1700000000123456789)
    expect["fd"] = Ool(0, 0)
    expect["shmem"] = Ool(1, 1, len(PY_SHMEM))
    expect["date_us"] = us
    bad = [k for k in expect if k not in back or not same(back[k], expect[k])]
    bad += [k for k in back if k not in expect]
    tap.check(us_ok and not bad, "C re-encoding holds every Python value",
              "\n".join(f"{k}: got {back.get(k)!r}, expected {expect.get(k)!r}"
                        for k in bad + ([] if us_ok else ["date_us"])))

    # And it is exactly cbor2's canonical form of the same message.
    canon = dict(msg)
    canon["date_ns"] = CBORTag(TAG_ETIME, {1: 1700000000, -9: 123456789})
    if us_ok:
        canon["date_us"] = CBORTag(TAG_ETIME, {1: 1700000000,
                                               -9: us.ns % 10**9})
    want = cbor2.dumps(canon, canonical=True, datetime_as_timestamp=True,
                       timezone=UTC)
    tap.check(back_data == want,
              "C re-encoding equals cbor2's canonical encoding",
              f"ours:  {back_data.hex()}\ncbor2: {want.hex()}")


def body_from_c(tap, prog, work):
    payload_path = os.path.join(work, "body_from_c.payload")
    body_path = os.path.join(work, "body_from_c.body")
    rc, ool_count = run([prog, "body-encode", payload_path, body_path])
    if not tap.check(rc == 0 and ool_count == 2,
                     "C wrote a message out of line",
                     f"exit {rc}, ool_count {ool_count}"):
        return
    with open(payload_path, "rb") as f:
        payload = f.read()
    with open(body_path, "rb") as f:
        body = f.read()
    ref = cbor2.loads(payload, tag_hook=tag_hook)
    # The fd is item 0; the body, the last item, is item 1.
    tap.check(ref == Ool(2, 1, len(body)),
              "the payload is the body reference [2, index, length]",
              f"got {ref!r}, body of {len(body)} bytes")
    msg = cbor2.loads(body, tag_hook=tag_hook)
    want = {"text": "a body out of line",
            "blob": bytes(i % 256 for i in range(1000)), "fd": Ool(0, 0)}
    tap.check(same(msg, want) and
              cbor2.dumps(cbor2.loads(body), canonical=True) == body,
              "cbor2 reads the body, canonical as C wrote it", repr(msg))


def body_from_python(tap, prog, work):
    body = cbor2.dumps({"n": 7, "text": "a body out of line",
                        "fd": CBORTag(TAG_OOL, [0, 0])})
    payload = cbor2.dumps(CBORTag(TAG_OOL, [2, 1, len(body)]))
    payload_path = os.path.join(work, "body_from_py.payload")
    body_path = os.path.join(work, "body_from_py.body")
    with open(payload_path, "wb") as f:
        f.write(payload)
    with open(body_path, "wb") as f:
        f.write(body)
    rc, _ = run([prog, "body-decode", payload_path, body_path])
    tap.check(rc == 0, "C decodes a Python body through a sealed memfd",
              f"exit {rc}")


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    prog, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    planned = 12
    tap = Tap(planned)
    from_c(tap, prog, work)
    from_python(tap, prog, work)
    body_from_c(tap, prog, work)
    body_from_python(tap, prog, work)
    while tap.n < planned:      # a step that could not run is a failure
        tap.check(False, "not run after an earlier failure")
    try:
        from importlib.metadata import version
        ver = version("cbor2")
    except Exception:           # noqa: BLE001 - cosmetic only
        ver = "?"
    print(f"# cbor2 {ver}: {tap.n - tap.failed} passed, {tap.failed} failed")
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
