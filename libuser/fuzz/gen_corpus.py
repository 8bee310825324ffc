#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the seed corpus for fuzz_decode into corpus/ (needs python3-cbor2).

The out-of-line indices match fuzz_decode.c's fake table: 0 a plain fd,
1 a sealed 4096-byte memfd (sparse), 2 an unsealed memfd, 3 a sealed
1-byte memfd, 4 a sealed memfd holding BODY (a message's dictionary).
"""
import os
import sys
import uuid
from datetime import datetime, timezone

import cbor2
from cbor2 import CBORTag

OOL = 0x78734F4C
UTC = timezone.utc
# fuzz_decode.c's body: {"fd": fd 0, "body": true}, deterministic CBOR.
BODY = cbor2.dumps({"fd": CBORTag(OOL, [0, 0]), "body": True},
                   canonical=True)


def seeds():
    yield "empty_map", {}
    yield "scalars", {"n": None, "t": True, "f": False, "i": -42,
                      "u": 2**64 - 1, "m": -2**63, "h": 0.5, "d": 3.14159}
    yield "strings", {"": "", "s": "h\u00e9llo \u2713", "b": b"\x00\xff",
                      "k" * 30: "long key"}
    yield "dates", {"t1": CBORTag(1, 1700000000),
                    "tf": CBORTag(1, 1700000000.5),
                    "te": CBORTag(1001, {1: 1700000000, -9: 123456789}),
                    "tm": CBORTag(1001, {1: -1, -3: 999})}
    yield "uuid", {"id": uuid.UUID("12345678-9abc-def0-0fed-cba987654321")}
    yield "ool", {"fd": CBORTag(OOL, [0, 0]),
                  "shm": CBORTag(OOL, [1, 1, 4096]),
                  "one": CBORTag(OOL, [1, 3, 1])}
    # Refused: shmem from the unsealed memfd.
    yield "ool_unsealed", {"bad": CBORTag(OOL, [1, 2, 10])}
    yield "nested", {"a": [1, [2, [3, {"b": {"c": [None]}}]]],
                     "self": CBORTag(55799, {"x": 1})}
    yield "codable", {"b": True, "i": 1, "u": 2, "i32": -3, "u32": 4,
                      "d": 1, "t": CBORTag(1, 0), "s": "abc", "sp": "x",
                      "fixed": b"\x01\x02", "data": b"blob",
                      "id": uuid.UUID(int=1), "fd": CBORTag(OOL, [0, 0]),
                      "obj": [1, "two"], "in": {"a": 5, "s": "hi"},
                      "nums": [1, -2, 3], "strs": ["a", "b"],
                      "ins": [{"a": 1}, {"s": "z"}], "objs": [None, 1.5]}
    yield "floats", [0.0, -0.0, 1.1, 65504.0, 100000.0, 1e300,
                     float("inf"), float("nan")]
    # Bodies: the good one, then refused ones (wrong length, sparse,
    # not at the root).
    yield "body_ref", CBORTag(OOL, [2, 4, len(BODY)])
    yield "body_ref_wrong_len", CBORTag(OOL, [2, 4, len(BODY) + 1])
    yield "body_ref_sparse", CBORTag(OOL, [2, 1, 4096])
    yield "body_ref_nested", {"b": CBORTag(OOL, [2, 4, len(BODY)])}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    os.makedirs(out, exist_ok=True)
    for name, value in seeds():
        data = cbor2.dumps(value, canonical=name != "strings")
        with open(os.path.join(out, name + ".cbor"), "wb") as f:
            f.write(data)
    # Unsorted keys and float64 where float16 would do: not deterministic.
    with open(os.path.join(out, "noncanonical.cbor"), "wb") as f:
        f.write(bytes.fromhex("a3 6162 fb3ff0000000000000 6161 1800"
                              " 6163 9a00000001 f6"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
