# Reference vectors for test/core/slots.test.ts, written from docs/protocol.md (Version 2, validation slots).
import hashlib
import json
import struct


def stream(seed):
    j = 0
    while True:
        block = hashlib.sha256(seed + struct.pack("<Q", j)).digest()
        j += 1
        for o in range(0, 32, 8):
            yield struct.unpack("<Q", block[o : o + 8])[0]


def uniform(it, m):
    limit = (2**64 // m) * m
    while True:
        v = next(it)
        if v < limit:
            return v % m


def slots(stage, block_hash, participant, stakes, m):
    seed = hashlib.sha256(
        b"pocval/slots/v1" + struct.pack("<Q", stage) + bytes.fromhex(block_hash) + participant.encode()
    ).digest()
    v = sorted([(a, s) for a, s in stakes.items() if a != participant], key=lambda x: x[0].encode())
    total = sum(s for _, s in v)
    it = stream(seed)
    out = []
    for _ in range(m):
        u = uniform(it, total)
        c = 0
        for a, s in v:
            c += s
            if c > u:
                out.append(a)
                break
    return out


cases = []
stakes1 = {"pocval1validatorc": 30, "pocval1validatora": 50, "pocval1validatorb": 20}
cases.append([120, "ab" * 32, "pocval1participantx", stakes1, 8])
stakes2 = {f"pocval1v{i:02d}": (i * 7919) % 1000 + 1 for i in range(20)}
stakes2["pocval1v05"] = 0
cases.append([4000, "0123456789abcdef" * 4, "pocval1v03", stakes2, 25])
stakes3 = {"pocval1big": 2**63, "pocval1small": 3, "pocval1mid": 2**40}
cases.append([2**40 + 7, "ff" * 32, "pocval1p", stakes3, 12])
out = []
for stage, h, p, st, m in cases:
    out.append({"stage": stage, "hash": h, "participant": p, "stakes": {k: str(v) for k, v in st.items()}, "m": m, "slots": slots(stage, h, p, st, m)})
print(json.dumps(out, indent=1))
