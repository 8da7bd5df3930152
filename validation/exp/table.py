#!/usr/bin/env python3
"""The table of exactspike's `exp` (src/neuron/exp.rs): for j = 0..N-1 the double nearest
2^(j/N), as IEEE bits, and the relative correction (2^(j/N) - hi) / hi rounded to a double.
Standard library only (decimal at 60 digits).

    python3 validation/exp/table.py          # prints the Rust table
    python3 validation/exp/table.py --check  # compares it with the one in src/neuron/exp.rs
"""
import re
import struct
import sys
from decimal import Decimal, getcontext
from pathlib import Path

getcontext().prec = 60
N = 128
LN2 = Decimal(2).ln()


def bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def entries():
    for j in range(N):
        exact = (LN2 * j / N).exp()
        hi = float(exact)  # nearest double (Decimal -> float rounds correctly)
        tail = float((exact - Decimal(hi)) / Decimal(hi))
        yield bits(hi), bits(tail)


def table() -> str:
    rows = [f"    (0x{h:016x}, 0x{t:016x})," for h, t in entries()]
    return "\n".join(rows)


if __name__ == "__main__":
    text = table()
    if "--check" in sys.argv:
        src = (Path(__file__).resolve().parents[2] / "src/neuron/exp.rs").read_text()
        found = re.findall(r"\(0x([0-9a-f]{16}), 0x([0-9a-f]{16})\)", src)
        want = [(f"{h:016x}", f"{t:016x}") for h, t in entries()]
        if found != want:
            sys.exit("src/neuron/exp.rs: the table differs from the generated one")
        print(f"table of {N} entries matches")
    else:
        print(text)
