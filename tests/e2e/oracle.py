"""An independent, deliberately plain implementation of `tsfill fill` in pure Python.

It reads the same CSV input, applies the documented rules (slot floor, partition by the
slot's UTC day, dedup, grid, fill with its options) row by row with dicts and lists, and
returns the output rows. The end-to-end tests compare tsfill's output with it cell by cell.
It shares no code with the C++ library or the command line.
"""
import csv
import datetime as dt
import fnmatch
import math

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
NS = 1_000_000_000
DAY_NS = 86400 * NS


def parse_time(text, time_unit=None):
    text = text.strip()
    if time_unit:
        return int(text) * {"s": NS, "ms": 10**6, "us": 10**3, "ns": 1}[time_unit]
    # Split off a fraction with up to 9 digits (fromisoformat stops at microseconds).
    frac_ns = 0
    base = text
    if "." in text[10:]:
        head, _, rest = text.partition(".")
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        frac_ns = int(digits.ljust(9, "0"))
        base = head + rest
    d = dt.datetime.fromisoformat(base.replace("z", "Z"))
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.timezone.utc)
    delta = d - EPOCH
    return (delta.days * 86400 + delta.seconds) * NS + delta.microseconds * 1000 + frac_ns


def fmt_time(ns):
    secs, frac = divmod(ns, NS)
    s = (EPOCH + dt.timedelta(seconds=secs)).strftime("%Y-%m-%d %H:%M:%S")
    if frac:
        if frac % 10**6 == 0:
            s += ".%03d" % (frac // 10**6)
        elif frac % 1000 == 0:
            s += ".%06d" % (frac // 1000)
        else:
            s += ".%09d" % frac
    return s


def fmt_date(day):
    return (EPOCH + dt.timedelta(days=day)).strftime("%Y-%m-%d")


def floor_div(a, b):
    return a // b  # Python's // already rounds toward negative infinity


def run(inputs, time_col="date", keys=(), values=None, where=(), slot_ns=1800 * NS,
        partition_by_day=True, dedup="last", grid="partition", range_ns=None,
        fill="forward", fill_for=(), limit=None, max_age_ns=None, area="all",
        all_or_nothing=False, null_values=("", "NA", "null", "NULL"), nan_is_null=False,
        time_unit=None, delimiter=","):
    """Returns (header, rows) of the output table, values as floats or None."""
    rows = []  # (t, key tuple of strings, {col: float|None}, input index)
    header = None
    value_cols = None
    accepted = {}
    for col, val in where:
        accepted.setdefault(col, set()).add(val)
    for path in inputs:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, delimiter=delimiter)
            head = next(reader)
            if header is None:
                header = head
                candidates = [c for c in head if c != time_col and c not in keys]
                if values:
                    candidates = [c for c in candidates
                                  if any(fnmatch.fnmatchcase(c, p) for p in values)]
                value_cols = candidates
                numeric = {c: True for c in value_cols}
            index = {c: i for i, c in enumerate(head)}
            for rec in reader:
                if not rec:
                    continue
                if any(rec[index[c]] not in vals for c, vals in accepted.items()):
                    continue
                t = parse_time(rec[index[time_col]], time_unit)
                key = tuple(rec[index[k]] for k in keys)
                vals = {}
                for c in value_cols:
                    text = rec[index[c]]
                    if text in null_values:
                        vals[c] = None
                        continue
                    try:
                        vals[c] = float(text)
                    except ValueError:
                        numeric[c] = False
                        vals[c] = None
                rows.append((t, key, vals, len(rows)))
    value_cols = [c for c in value_cols if numeric[c]]

    # Keys: integers when every value of the column is an integer written plainly.
    def key_sort_value(j):
        words = {r[1][j] for r in rows}
        as_int = all(w.lstrip("-").isdigit() and str(int(w)) == w for w in words) and words
        return (lambda w: int(w)) if as_int else (lambda w: w)
    key_fns = [key_sort_value(j) for j in range(len(keys))]

    def usable(v):
        return v is not None and not (nan_is_null and math.isnan(v))

    # Cells: (partition, key, slot) -> rows, in input order.
    cells = {}
    for t, key, vals, i in rows:
        slot = floor_div(t, slot_ns) * slot_ns
        part = floor_div(slot, DAY_NS) if partition_by_day else 0
        cells.setdefault((part, key, slot), []).append((t, i, vals))

    def dedup_cell(rs, col):
        if dedup == "reject" and len(rs) > 1:
            raise ValueError("duplicate")
        if dedup in ("last", "reject"):
            v = max(rs, key=lambda r: (r[0], r[1]))[2][col]
            return v if usable(v) else None
        if dedup == "first":
            v = min(rs, key=lambda r: (r[0], r[1]))[2][col]
            return v if usable(v) else None
        good = [r for r in rs if usable(r[2][col])]
        if dedup == "count":
            return float(len(good))
        if not good:
            return None
        if dedup == "last-valid":
            return max(good, key=lambda r: (r[0], r[1]))[2][col]
        if dedup == "first-valid":
            return min(good, key=lambda r: (r[0], r[1]))[2][col]
        vs = [r[2][col] for r in good]
        if dedup == "mean":
            s = 0.0
            for v in vs:  # summed in input order, as documented
                s += v
            return s / len(vs)
        if dedup == "sum":
            s = 0.0
            for v in vs:
                s += v
            return s
        if dedup in ("min", "max"):
            if any(math.isnan(v) for v in vs):
                return math.nan
            return min(vs) if dedup == "min" else max(vs)
        raise ValueError(dedup)

    # Grid.
    partitions = sorted({p for p, _, _ in cells})
    all_keys = sorted({k for _, k, _ in cells}, key=lambda k: tuple(f(w) for f, w in zip(key_fns, k)))
    range_slots = []
    if grid == "range":
        s = -(-range_ns[0] // slot_ns) * slot_ns
        while s < range_ns[1]:
            range_slots.append(s)
            s += slot_ns
        partitions = sorted(set(partitions) | {floor_div(s, DAY_NS) if partition_by_day else 0
                                               for s in range_slots})
    out = []
    for p in partitions:
        in_p = [(k, s) for (q, k, s) in cells if q == p]
        per_key = {}
        if grid == "range":
            for k in all_keys:
                per_key[k] = [s for s in range_slots
                              if (floor_div(s, DAY_NS) if partition_by_day else 0) == p]
        else:
            for k, s in in_p:
                per_key.setdefault(k, set()).add(s)
            if in_p:
                lo, hi = min(s for _, s in in_p), max(s for _, s in in_p)
            for k in per_key:
                ks = per_key[k]
                a, b = (lo, hi) if grid == "partition" else (min(ks), max(ks))
                per_key[k] = sorted(ks) if grid == "observed" else list(range(a, b + slot_ns, slot_ns))
        for k in sorted(per_key, key=lambda k: tuple(f(w) for f, w in zip(key_fns, k))):
            slots = per_key[k]
            if not slots:
                continue
            cols = {}
            for c in value_cols:
                orig = [dedup_cell(cells[(p, k, s)], c) if (p, k, s) in cells else None for s in slots]
                method = fill
                for pat, m in fill_for:
                    if fnmatch.fnmatchcase(c, pat):
                        method = m
                        break
                cols[c] = (orig, fill_run(orig, slots, slot_ns, method, limit, max_age_ns, area,
                                          all_or_nothing))
            for i, s in enumerate(slots):
                row = ([fmt_date(p)] if partition_by_day else []) + list(k) + [fmt_time(s)]
                row += [cols[c][0][i] for c in value_cols] + [cols[c][1][i] for c in value_cols]
                out.append(row)
    names = ([ "partition_date"] if partition_by_day else []) + list(keys) + ["slot_ts"]
    names += value_cols + [c + "_bf" for c in value_cols]
    return names, out


def fill_run(orig, slots, slot_ns, method, limit, max_age_ns, area, all_or_nothing):
    """Fills one (partition, key) run, one cell at a time."""
    n = len(orig)
    ords = [s // slot_ns for s in slots]
    kind, _, arg = method.partition(":")
    by_time = arg == "time"
    lim = limit if limit is not None else math.inf
    age = max_age_ns if max_age_ns is not None else math.inf

    def pos(j):
        return slots[j] if by_time else ords[j]

    def decide(i):
        prev = next((j for j in range(i - 1, -1, -1) if orig[j] is not None), None)
        nxt = next((j for j in range(i + 1, n) if orig[j] is not None), None)
        inside = prev is not None and nxt is not None
        if (area == "inside" and not inside) or (area == "outside" and inside):
            return None

        def carry(j):
            if abs(ords[i] - ords[j]) > lim or abs(slots[i] - slots[j]) > age:
                return None
            return orig[j]
        if kind == "forward":
            return carry(prev) if prev is not None else None
        if kind == "backward":
            return carry(nxt) if nxt is not None else None
        if kind == "nearest":
            if prev is not None and (nxt is None or pos(i) - pos(prev) <= pos(nxt) - pos(i)):
                return carry(prev)
            return carry(nxt) if nxt is not None else None
        if kind == "linear":
            if not inside or ords[i] - ords[prev] > lim:
                return None
            if slots[i] - slots[prev] > age or slots[nxt] - slots[i] > age:
                return None
            y0, y1 = orig[prev], orig[nxt]
            return y0 + (y1 - y0) * ((pos(i) - pos(prev)) / (pos(nxt) - pos(prev)))
        if kind == "constant":
            start = i
            while start > 0 and orig[start - 1] is None:
                start -= 1
            return float(arg) if ords[i] - ords[start] < lim else None
        return None  # none

    filled = [orig[i] if orig[i] is not None else decide(i) for i in range(n)]
    if all_or_nothing:
        i = 0
        while i < n:
            if orig[i] is not None:
                i += 1
                continue
            j = i
            while j + 1 < n and orig[j + 1] is None:
                j += 1
            if any(filled[k] is None for k in range(i, j + 1)):
                for k in range(i, j + 1):
                    filled[k] = None
            i = j + 1
    return filled
