"""The reference benchmark workload (research/performance.md, section 5.2), generated once.

keys    100 tickers x 10 tenors = 1,000 keys
slots   DAYS days x 48 slots of 30 minutes from 2024-01-01 (200 days by default)
rows    each (key, slot) observed with p = 0.95, a second row in the same slot with p = 0.05,
        at a uniform random time inside the slot
values  4 columns v0..v3, per-key random walks, each null with p = 0.10
order   by time with keys interleaved ("sorted"), or randomly permuted ("shuffled")

Written as raw little-endian column files (ts.i64, ticker.i32, tenor.i32, v{k}.f64,
valid{k}.u8) that the C++ runner reads with one fread each, plus meta.json.
"""
import json
import sys
from pathlib import Path

import numpy as np

SLOT_NS = 30 * 60 * 10**9
DAY_NS = 86400 * 10**9
START_NS = 1704067200 * 10**9  # 2024-01-01T00:00:00Z


def generate(days=200, tickers=100, tenors=10, seed=12345, shuffled=False):
    rng = np.random.default_rng(seed)
    keys = tickers * tenors
    slots = days * 48
    # One row per observed (slot, key) and a second one where duplicated; slot-major order.
    observed = rng.random((slots, keys)) < 0.95
    duplicate = observed & (rng.random((slots, keys)) < 0.05)
    slot_idx, key_idx = np.nonzero(observed)
    d_slot, d_key = np.nonzero(duplicate)
    slot_idx = np.concatenate([slot_idx, d_slot])
    key_idx = np.concatenate([key_idx, d_key])
    n = slot_idx.size
    ts = START_NS + slot_idx.astype(np.int64) * SLOT_NS + rng.integers(0, SLOT_NS, n, dtype=np.int64)
    walk = np.cumsum(rng.normal(0, 0.01, (slots, keys)), axis=0) + 1.0
    cols = {}
    for k in range(4):
        cols[f"v{k}"] = walk[slot_idx, key_idx] + k + rng.normal(0, 0.001, n)
        cols[f"valid{k}"] = (rng.random(n) >= 0.10).astype(np.uint8)
    order = rng.permutation(n) if shuffled else np.argsort(ts, kind="stable")
    out = {"ts": ts[order], "ticker": (key_idx[order] // tenors).astype(np.int32),
           "tenor": (key_idx[order] % tenors).astype(np.int32) * 30 + 30}
    for k in range(4):
        out[f"v{k}"] = cols[f"v{k}"][order]
        out[f"valid{k}"] = cols[f"valid{k}"][order]
    return out


SUFFIX = {"ts": "i64", "ticker": "i32", "tenor": "i32"}


def write(directory, data, meta):
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    for name, arr in data.items():
        ext = SUFFIX.get(name, "f64" if name.startswith("v") and not name.startswith("valid") else "u8")
        arr.tofile(d / f"{name}.{ext}")
    (d / "meta.json").write_text(json.dumps(meta))


def read(directory):
    d = Path(directory)
    meta = json.loads((d / "meta.json").read_text())
    data = {"ts": np.fromfile(d / "ts.i64", np.int64), "ticker": np.fromfile(d / "ticker.i32", np.int32),
            "tenor": np.fromfile(d / "tenor.i32", np.int32)}
    for k in range(4):
        data[f"v{k}"] = np.fromfile(d / f"v{k}.f64", np.float64)
        data[f"valid{k}"] = np.fromfile(d / f"valid{k}.u8", np.uint8)
    return data, meta


def ensure(directory, days, shuffled):
    """Generates the workload into `directory` unless it is already there."""
    meta = {"days": days, "shuffled": shuffled, "seed": 12345}
    p = Path(directory) / "meta.json"
    if p.exists() and json.loads(p.read_text()) == meta:
        return
    write(directory, generate(days=days, shuffled=shuffled), meta)


if __name__ == "__main__":
    ensure(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 200, "--shuffled" in sys.argv)
