#!/usr/bin/env python3
"""Deterministic generator of silver tables shaped like the reference scenario.

Rows (date, ticker_tk, days, tradingSession, volD10, volD25, volATM, volU25, volU40,
vWidth, source) arrive irregularly: a few minutes apart with gaps, sometimes twice in one
30-minute slot, with null (empty or NA) values, pre- and post-market rows that the
reference job filters out, and rows out of time order. `python3 make_silver.py` rewrites
examples/data/silver_sample.csv; the tests import make_silver() for larger tables.
"""
import datetime as dt
import random
import sys

VOL_COLUMNS = ["volD10", "volD25", "volATM", "volU25", "volU40"]
HEADER = ["date", "ticker_tk", "days", "tradingSession"] + VOL_COLUMNS + ["vWidth", "source"]


def make_silver(seed=20240304, tickers=("AAPL", "MSFT", "SPY"), tenors=(30, 90), days=3,
                start=dt.date(2024, 3, 4), null_rate=0.08, shuffle_rate=0.02):
    rng = random.Random(seed)
    rows = []
    day = start
    made = 0
    while made < days:
        if day.weekday() < 5:  # trading days only
            made += 1
            for tk in tickers:
                for tenor in tenors:
                    level = rng.uniform(0.15, 0.45)
                    # 08:00-22:00 UTC: pre-market, regular (13:30-20:00), post-market
                    t = dt.datetime.combine(day, dt.time(8, 0), dt.timezone.utc)
                    t += dt.timedelta(seconds=rng.randint(0, 600))
                    end = dt.datetime.combine(day, dt.time(22, 0), dt.timezone.utc)
                    while t < end:
                        hm = t.hour * 60 + t.minute
                        session = ("PreMkt" if hm < 13 * 60 + 30 else
                                   "RegularMkt" if hm < 20 * 60 else "PostMkt")
                        if rng.random() > 0.12:  # else: a gap
                            level = max(0.05, level + rng.gauss(0, 0.004))
                            vals = []
                            for k, _ in enumerate(VOL_COLUMNS):
                                if rng.random() < null_rate:
                                    vals.append(rng.choice(["", "NA"]))
                                else:
                                    vals.append("%.6f" % (level + 0.01 * (k - 2) ** 2))
                            width = "" if rng.random() < null_rate else "%.6f" % (0.02 + rng.random() * 0.01)
                            stamp = t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)
                            rows.append([stamp, tk, str(tenor), session] + vals +
                                        [width, rng.choice(["feedA", "feedB"])])
                        # Next row 3-20 minutes later; sometimes two in one slot.
                        t += dt.timedelta(seconds=rng.randint(180, 1200), milliseconds=rng.randint(0, 999))
        day += dt.timedelta(days=1)
    rows.sort(key=lambda r: r[0])  # the feed is in time order, keys interleaved ...
    for i in range(len(rows) - 1):  # ... except for a few late rows
        if rng.random() < shuffle_rate:
            rows[i], rows[i + 1] = rows[i + 1], rows[i]
    return rows


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        f.write(",".join(HEADER) + "\n")
        for r in rows:
            f.write(",".join(r) + "\n")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "silver_sample.csv"
    write_csv(out, make_silver())
