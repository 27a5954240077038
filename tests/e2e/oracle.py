"""An independent, deliberately plain implementation of `tsfill fill` in pure Python.

It reads the same CSV input, applies the documented rules (slot floor, partition by the
slot's day, dedup, grid, fill with its options) row by row with dicts and lists, and
returns the output rows. The end-to-end tests compare tsfill's output with it cell by cell.
It shares no code with the C++ library or the command line. Time zones come from the
standard library's zoneinfo: local slot boundaries are enumerated one by one (every local
wall time that is a multiple of the slot, at each instant it occurs, or where the clock jumps
past it), and NYSE sessions come from published holiday tables, not from rules.
"""
import bisect
import csv
import datetime as dt
import fnmatch
import math
from zoneinfo import ZoneInfo

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


NAIVE_EPOCH = dt.datetime(1970, 1, 1)
SECOND = dt.timedelta(seconds=1)

# NYSE full-day holidays and 13:00 early closes, as published by the exchange.
NYSE_HOLIDAYS = {
    2013: ["2013-01-01", "2013-01-21", "2013-02-18", "2013-03-29", "2013-05-27", "2013-07-04",
           "2013-09-02", "2013-11-28", "2013-12-25"],
    2024: ["2024-01-01", "2024-01-15", "2024-02-19", "2024-03-29", "2024-05-27", "2024-06-19",
           "2024-07-04", "2024-09-02", "2024-11-28", "2024-12-25"],
}
NYSE_EARLY_CLOSES = {
    2013: ["2013-07-03", "2013-11-29", "2013-12-24"],
    2024: ["2024-07-03", "2024-11-29", "2024-12-24"],
}


class Clock:
    """Slot boundaries, days and time text: fixed UTC slots, or slots and days in a zone.

    slot: ("fixed", ns) or one of "week", "month", "quarter", "year". With a zone (or a
    calendar unit), the boundaries are enumerated over the data's span by prepare().
    """

    def __init__(self, slot_ns=1800 * NS, unit=None, tz=None, week_start=0):
        self.slot_ns = slot_ns
        self.unit = unit
        self.tz = tz
        self.zone = ZoneInfo(tz) if tz else dt.timezone.utc
        self.week_start = week_start  # 0 = Monday, as datetime.weekday()
        self.utc_fixed = unit is None and tz is None
        self.bounds = []

    # --- local wall clock, in whole seconds since local 1970-01-01 00:00 --------------
    def wall(self, u):
        """Local wall-clock seconds of UTC second u."""
        local = dt.datetime.fromtimestamp(u, self.zone).replace(tzinfo=None)
        return (local - NAIVE_EPOCH) // SECOND

    def instants(self, w):
        """The UTC seconds at which the wall clock reads w: one, two (a repeated hour), or,
        when w is skipped, the single instant the clock jumps past it."""
        naive = NAIVE_EPOCH + dt.timedelta(seconds=w)
        found = set()
        for fold in (0, 1):
            u = (naive.replace(tzinfo=self.zone, fold=fold) - EPOCH) // SECOND
            if self.wall(u) == w:
                found.add(u)
        if found:
            return sorted(found)
        a = (naive.replace(tzinfo=self.zone, fold=1) - EPOCH) // SECOND
        b = (naive.replace(tzinfo=self.zone, fold=0) - EPOCH) // SECOND
        lo, hi = min(a, b), max(a, b)
        while lo < hi:  # the first instant whose wall time is past w
            mid = (lo + hi) // 2
            if self.wall(mid) > w:
                hi = mid
            else:
                lo = mid + 1
        return [lo]

    def earliest(self, w):
        return self.instants(w)[0]

    # --- slots ---------------------------------------------------------------------------
    def prepare(self, lo_ns, hi_ns):
        """Enumerates every boundary from two days before lo_ns to two days after hi_ns."""
        if self.utc_fixed:
            return
        lo_s, hi_s = lo_ns // NS - 2 * 86400, hi_ns // NS + 2 * 86400
        w_lo, w_hi = self.wall(lo_s) - 2 * 86400, self.wall(hi_s) + 2 * 86400
        found = set()
        if self.unit is None:  # fixed local width: every multiple, at each instant
            width = self.slot_ns // NS
            for k in range(w_lo // width - 1, w_hi // width + 2):
                found.update(self.instants(k * width))
        elif self.unit == "week":  # local midnights that start a week, at each instant
            for d in range(w_lo // 86400 - 7, w_hi // 86400 + 8):
                if (NAIVE_EPOCH + dt.timedelta(days=d)).weekday() == self.week_start:
                    found.update(self.instants(d * 86400))
        else:  # the first local day of a month, quarter or year
            step = {"month": 1, "quarter": 3, "year": 12}[self.unit]
            first = NAIVE_EPOCH + dt.timedelta(seconds=w_lo)
            last = NAIVE_EPOCH + dt.timedelta(seconds=w_hi)
            for y in range(first.year - 1, last.year + 2):
                for m in range(1, 13, step):
                    found.add(self.earliest((dt.datetime(y, m, 1) - NAIVE_EPOCH) // SECOND))
        self.bounds = [u * NS for u in sorted(found)]

    def slot_of(self, t):
        if self.utc_fixed:
            return floor_div(t, self.slot_ns) * self.slot_ns
        return self.bounds[bisect.bisect_right(self.bounds, t) - 1]

    def ordinal(self, s):
        if self.utc_fixed:
            return s // self.slot_ns
        return bisect.bisect_left(self.bounds, s)

    def slots_between(self, a, b):
        """Slot starts s with a <= s <= b (a and b slot starts)."""
        if self.utc_fixed:
            return list(range(a, b + self.slot_ns, self.slot_ns))
        return self.bounds[bisect.bisect_left(self.bounds, a):bisect.bisect_right(self.bounds, b)]

    def slots_starting_in(self, a, b):
        """Slot starts s with a <= s < b (any instants)."""
        if self.utc_fixed:
            s = -(-a // self.slot_ns) * self.slot_ns
            return list(range(s, b, self.slot_ns))
        return self.bounds[bisect.bisect_left(self.bounds, a):bisect.bisect_left(self.bounds, b)]

    # --- days and text -------------------------------------------------------------------
    def day_of(self, t):
        if self.tz is None:
            return floor_div(t, DAY_NS)
        return self.wall(floor_div(t, NS)) // 86400

    def day_start(self, day, minutes=0):
        """UTC ns of local wall time `minutes` after the start of `day` (earliest instant)."""
        if self.tz is None:
            return (day * 86400 + minutes * 60) * NS
        return self.earliest(day * 86400 + minutes * 60) * NS

    def fmt(self, ns):
        if self.tz is None:
            return fmt_time(ns)
        u = floor_div(ns, NS)
        local = dt.datetime.fromtimestamp(u, self.zone)
        off = local.utcoffset() // SECOND
        sign, off = ("-", -off) if off < 0 else ("+", off)
        text = local.strftime("%Y-%m-%d %H:%M:%S") + "%s%02d:%02d" % (sign, off // 3600, off // 60 % 60)
        return text + (":%02d" % (off % 60) if off % 60 else "")


def session_hours(day, session, calendars):
    """(open, close) minutes of local date `day` (days since 1970-01-01), or None: --grid
    session's hours every day; weekdays and nyse drop weekends; nyse drops its holidays and
    closes early; a calendar file's lines win over everything."""
    def minutes(hhmm):
        return int(hhmm[:2]) * 60 + int(hhmm[3:])
    open_, close = (minutes(x) for x in session.split("-"))
    date = (EPOCH + dt.timedelta(days=day)).date()
    text = date.isoformat()
    exception = False
    for c in calendars:
        if c in ("nyse", "weekdays"):
            continue
        with open(c) as f:
            for line in f:  # the last line for a date wins
                line = line.strip()
                if not line or line.startswith("#") or line.startswith("date,"):
                    continue
                parts = (line.split(",") + ["", ""])[:3]
                if parts[0] == text:
                    exception = None if parts[1] == "closed" else (minutes(parts[1]), minutes(parts[2]))
    if exception is not False:
        return exception
    if ("nyse" in calendars or "weekdays" in calendars) and date.weekday() >= 5:
        return None
    if "nyse" in calendars:
        if date.year not in NYSE_HOLIDAYS:
            raise ValueError(f"the oracle has no NYSE table for {date.year}")
        if text in NYSE_HOLIDAYS[date.year]:
            return None
        if text in NYSE_EARLY_CLOSES[date.year]:
            return open_, min(close, 13 * 60)
    return open_, close


def run(inputs, time_col="date", keys=(), values=None, where=(), slot_ns=1800 * NS,
        partition_by_day=True, dedup="last", grid="partition", range_ns=None,
        fill="forward", fill_for=(), limit=None, max_age_ns=None, area="all",
        all_or_nothing=False, null_values=("", "NA", "null", "NULL"), nan_is_null=False,
        time_unit=None, delimiter=",", tz=None, slot_unit=None, week_start=0, session=None,
        calendars=(), keep_outside=False, carry_in=False, provenance=None):
    """Returns (header, rows) of the output table, values as floats or None. provenance
    "all" adds per value column COL_how (a word) and COL_from (a formatted slot or None),
    "status" only COL_how."""
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

    clock = Clock(slot_ns, slot_unit, tz, week_start)
    if rows:
        times = [r[0] for r in rows] + (list(range_ns) if range_ns else [])
        clock.prepare(min(times), max(times))

    def part_of(slot):
        return clock.day_of(slot) if partition_by_day else 0

    # Cells: (partition, key, slot) -> rows, in input order. A session grid drops the rows
    # whose slot is not a session slot (unless kept), but their keys still count as seen.
    cells = {}
    seen = {}  # partition -> keys with rows in it
    day_session = {}  # partition -> session slot starts (session grid)
    for t, key, vals, i in rows:
        slot = clock.slot_of(t)
        part = part_of(slot)
        if session is not None:
            if part not in day_session:
                hours = session_hours(part, session, calendars)
                day_session[part] = [] if hours is None else clock.slots_starting_in(
                    clock.day_start(part, hours[0]), clock.day_start(part, hours[1]))
            if not day_session[part]:
                continue  # no session that day: no partition at all
            seen.setdefault(part, set()).add(key)
            if not keep_outside and slot not in day_session[part]:
                continue
        else:
            seen.setdefault(part, set()).add(key)
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
    partitions = sorted({p for p, _, _ in cells} | set(seen))
    all_keys = sorted({k for _, k, _ in cells}, key=lambda k: tuple(f(w) for f, w in zip(key_fns, k)))
    range_slots = []
    if grid == "range":
        range_slots = clock.slots_starting_in(*range_ns)
        partitions = sorted(set(partitions) | {part_of(s) for s in range_slots})
    out = []
    last_seen = {}  # (key, column) -> (value, slot) of the latest observation so far (carry-in)
    for p in partitions:
        in_p = [(k, s) for (q, k, s) in cells if q == p]
        per_key = {}
        if grid == "range":
            for k in all_keys:
                per_key[k] = [s for s in range_slots if part_of(s) == p]
        elif session is not None:
            span = day_session[p]
            if keep_outside and in_p:
                span = clock.slots_between(min([span[0]] + [s for _, s in in_p]),
                                           max([span[-1]] + [s for _, s in in_p]))
            per_key = {k: span for k in seen[p]}
        else:
            for k, s in in_p:
                per_key.setdefault(k, set()).add(s)
            if in_p:
                lo, hi = min(s for _, s in in_p), max(s for _, s in in_p)
            for k in per_key:
                ks = per_key[k]
                a, b = (lo, hi) if grid == "partition" else (min(ks), max(ks))
                per_key[k] = sorted(ks) if grid == "observed" else clock.slots_between(a, b)
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
                earlier = last_seen.get((k, c)) if carry_in and method == "forward" else None
                filled, how = fill_run(orig, slots, clock, method, limit, max_age_ns, area,
                                       all_or_nothing, earlier, with_provenance=True)
                cols[c] = (orig, filled, how)
                observed = [i for i, v in enumerate(orig) if v is not None]
                if observed:
                    last_seen[(k, c)] = (orig[observed[-1]], slots[observed[-1]])
            for i, s in enumerate(slots):
                row = ([fmt_date(p)] if partition_by_day else []) + list(k) + [clock.fmt(s)]
                row += [cols[c][0][i] for c in value_cols] + [cols[c][1][i] for c in value_cols]
                for c in value_cols:
                    word, source = cols[c][2][i]
                    if provenance:
                        row.append(word)
                    if provenance == "all":
                        row.append(None if source is None else clock.fmt(source))
                out.append(row)
    names = ([ "partition_date"] if partition_by_day else []) + list(keys) + ["slot_ts"]
    names += value_cols + [c + "_bf" for c in value_cols]
    for c in value_cols:
        names += [c + "_how"] if provenance else []
        names += [c + "_from"] if provenance == "all" else []
    return names, out


def fill_run(orig, slots, clock, method, limit, max_age_ns, area, all_or_nothing, earlier=None,
             with_provenance=False):
    """Fills one (partition, key) run, one cell at a time. `earlier` (value, slot start) is
    the key's latest observation in an earlier partition, for forward fills with carry-in.
    With provenance, also returns per cell (how, source slot start or None)."""
    n = len(orig)
    ords = [clock.ordinal(s) for s in slots]
    kind, _, arg = method.partition(":")
    by_time = arg == "time"
    lim = limit if limit is not None else math.inf
    age = max_age_ns if max_age_ns is not None else math.inf

    def pos(j):
        return slots[j] if by_time else ords[j]

    def decide(i):
        prev = next((j for j in range(i - 1, -1, -1) if orig[j] is not None), None)
        nxt = next((j for j in range(i + 1, n) if orig[j] is not None), None)
        carried = prev is None and earlier is not None
        inside = (prev is not None or carried) and nxt is not None
        if (area == "inside" and not inside) or (area == "outside" and inside):
            return None

        def carry(j, how):
            if abs(ords[i] - ords[j]) > lim or abs(slots[i] - slots[j]) > age:
                return None
            return orig[j], how, slots[j]
        if kind == "forward":
            if carried:
                value, slot = earlier
                if ords[i] - clock.ordinal(slot) > lim or slots[i] - slot > age:
                    return None
                return value, "forward", slot
            return carry(prev, "forward") if prev is not None else None
        if kind == "backward":
            return carry(nxt, "backward") if nxt is not None else None
        if kind == "nearest":
            if prev is not None and (nxt is None or pos(i) - pos(prev) <= pos(nxt) - pos(i)):
                return carry(prev, "forward")
            return carry(nxt, "backward") if nxt is not None else None
        if kind == "linear":
            if not inside or ords[i] - ords[prev] > lim:
                return None
            if slots[i] - slots[prev] > age or slots[nxt] - slots[i] > age:
                return None
            y0, y1 = orig[prev], orig[nxt]
            return y0 + (y1 - y0) * ((pos(i) - pos(prev)) / (pos(nxt) - pos(prev))), "interpolated", None
        if kind == "constant":
            start = i
            while start > 0 and orig[start - 1] is None:
                start -= 1
            return (float(arg), "constant", None) if ords[i] - ords[start] < lim else None
        return None  # none

    missing = (None, "missing", None)
    cells = [(orig[i], "observed", None) if orig[i] is not None else (decide(i) or missing)
             for i in range(n)]
    if all_or_nothing:
        i = 0
        while i < n:
            if orig[i] is not None:
                i += 1
                continue
            j = i
            while j + 1 < n and orig[j + 1] is None:
                j += 1
            if any(cells[k][0] is None for k in range(i, j + 1)):
                for k in range(i, j + 1):
                    cells[k] = missing
            i = j + 1
    filled = [c[0] for c in cells]
    return (filled, [c[1:] for c in cells]) if with_provenance else filled
