"""The Python module (tsfill.fill) against the command line on the same rows, cell for cell:
the flag matrix, every Arrow layout producers send, zero copies in, errors as ValueError
with the command line's messages, and the GIL released while it works."""
import os
import random
import subprocess
import threading
import time

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

if os.environ.get("TSFILL_REQUIRE_PYTHON") == "1":
    import tsfill  # (CI: a missing module is a failure, not a skip)
else:
    tsfill = pytest.importorskip("tsfill", reason="the module is not installed (scripts/build_python.sh)")

BIN = os.environ.get("TSFILL_BIN", "build/release/examples/tsfill")
NS = 1_000_000_000
DAY0 = 19_786 * 86_400 * NS  # 2024-03-04


def make_rows(seed, n=400, days=3, tickers=("AAPL", "MSFT", "SPY", "ZZ top")):
    """Silver-like rows: out of order, duplicated slots, nulls, NaN, a filter column."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        t = DAY0 + rng.randrange(days) * 86_400 * NS + rng.randrange(6 * 3600, 22 * 3600) * NS
        def value():
            r = rng.random()
            return None if r < 0.15 else float("nan") if r < 0.18 else round(rng.uniform(-1, 1), 6)
        rows.append({"date": t, "ticker": rng.choice(tickers), "days": rng.choice([30, 90]),
                     "session": rng.choice(["RegularMkt", "RegularMkt", "PreMkt"]),
                     "v1": value(), "v2": value(), "n": rng.choice([None, rng.randrange(-5, 5)])})
    return rows


def table_of(rows, **types):
    t = pa.table({
        "date": pa.array([r["date"] for r in rows], pa.timestamp("ns", "UTC")),
        "ticker": pa.array([r["ticker"] for r in rows], pa.string()),
        "days": pa.array([r["days"] for r in rows], pa.int64()),
        "session": pa.array([r["session"] for r in rows], pa.string()),
        "v1": pa.array([r["v1"] for r in rows], pa.float64()),
        "v2": pa.array([r["v2"] for r in rows], pa.float64()),
        "n": pa.array([r["n"] for r in rows], pa.int64()),
    })
    for name, type_ in types.items():
        t = t.set_column(t.schema.get_field_index(name), name, t.column(name).cast(type_))
    return t


def write_csv(rows, path):
    def cell(v):
        if v is None:
            return ""
        if isinstance(v, float):
            return "NaN" if v != v else repr(v)
        return str(v)
    with open(path, "w") as f:
        f.write("date,ticker,days,session,v1,v2,n\n")
        for r in rows:
            iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(r["date"] // NS)) + "Z"
            f.write(",".join([iso] + [cell(r[c]) for c in ("ticker", "days", "session", "v1", "v2", "n")]) + "\n")


def cli(rows, tmp_path, flags):
    src, out = tmp_path / "in.csv", tmp_path / "out.parquet"
    write_csv(rows, src)
    if out.exists():
        out.unlink()
    subprocess.run([BIN, "fill", str(src), "--output", str(out), "--quiet", *flags], check=True,
                   capture_output=True)
    return pq.read_table(out)


def assert_same(got, want):
    assert got.schema.names == want.schema.names
    assert got.num_rows == want.num_rows
    for name in want.schema.names:
        g, w = got.column(name), want.column(name)
        if g.type != w.type:
            g = g.cast(w.type)
        assert g.to_pylist() == w.to_pylist() or _same_with_nan(g, w), name


def _same_with_nan(g, w):
    for a, b in zip(g.to_pylist(), w.to_pylist()):
        if not (a == b or (isinstance(a, float) and isinstance(b, float) and a != a and b != b)):
            return False
    return True


MATRIX = [
    {},
    {"dedup": "first"}, {"dedup": "mean"}, {"dedup": "last-valid"}, {"dedup": "max"},
    {"fill": "linear"}, {"fill": "backward"}, {"fill": "none"}, {"fill": "constant:0"},
    {"fill": "nearest"}, {"fill": {"v1": "linear", "v2": "backward"}},
    {"limit": 2}, {"limit": 2, "limit_area": "inside"}, {"limit": 1, "all_or_nothing": True},
    {"max_age": "1h"}, {"grid": "key"}, {"grid": "observed"}, {"partition": "none"},
    {"slot": "1h"}, {"slot": "15min"}, {"carry_in": True}, {"tz": "America/New_York"},
    {"provenance": True}, {"provenance": "status"}, {"threads": 2}, {"nan_is_null": True},
    {"where": {"session": "RegularMkt"}}, {"where": {"session": ["RegularMkt", "PreMkt"]}},
    {"where": ["v1>0", "n:notnull"]}, {"values": "v*"}, {"values": ["v2", "n"]},
    {"keys": "ticker"}, {"keys": ()}, {"suffix": "_filled"},
    {"original": False}, {"original": False, "suffix": ""},
    {"original": False, "provenance": True, "fill": "linear"},
]


@pytest.mark.parametrize("case", range(len(MATRIX)))
def test_fill_equals_the_command_line(tmp_path, case):
    kwargs = {"keys": ("ticker", "days"), **MATRIX[case]}
    for seed in (case, case + 100):
        rows = make_rows(seed)
        # (The command line reads CSV numbers as doubles; an int64 column would fill as
        # int64, e.g. linear fills round.)
        got = tsfill.fill(table_of(rows, n=pa.float64()), **kwargs)
        want = cli(rows, tmp_path, tsfill.fill_flags(**kwargs))
        assert_same(got, want)


def test_keywords_become_the_flags():
    f = tsfill.fill_flags(keys=["a", "b"], values="v*", where={"s": ["x", "y"], "k": 3},
                          limit=2, provenance="status", calendar=["nyse"], tz="UTC")
    text = " ".join(f)
    for part in ("--keys a,b", "--values v*", "--where s=x", "--where s=y", "--where k=3",
                 "--limit 2", "--provenance=status", "--calendar nyse", "--tz UTC"):
        assert part in text
    assert "--limit-area" not in f  # (the default is not passed: --fill none refuses it)


def test_where_on_a_bool_column():
    rows = make_rows(12)
    t = table_of(rows)
    flag = pa.array([r["session"] == "RegularMkt" for r in rows])
    got = tsfill.fill(t.append_column("regular", flag), **BASE, where={"regular": True})
    assert_same(got, tsfill.fill(t, **BASE, where={"session": "RegularMkt"}))


BASE = {"keys": ("ticker", "days")}


def baseline(rows):
    return tsfill.fill(table_of(rows), **BASE)


@pytest.mark.parametrize("types", [
    {"date": pa.timestamp("us")}, {"date": pa.timestamp("ms", "America/New_York")},
    {"date": pa.timestamp("s", "UTC")}, {"date": pa.string()}, {"date": pa.large_string()},
    {"ticker": pa.large_string()}, {"ticker": pa.string_view()},
    {"ticker": pa.dictionary(pa.int32(), pa.string())},
    {"ticker": pa.dictionary(pa.int8(), pa.large_string())},
    {"days": pa.int32()}, {"days": pa.uint8()}, {"days": pa.string()},
    {"n": pa.int32()}, {"n": pa.int8()},
])
def test_every_arrow_layout_gives_the_same_result(types):
    rows = make_rows(7)
    want = baseline(rows)
    got = tsfill.fill(table_of(rows, **types), **BASE)
    if "days" in types and types["days"] == pa.string():
        want = want.set_column(2, "days", want.column("days").cast(pa.string()))
        # (a utf8 key stays utf8; its words sort as text: "30" < "90" either way)
    assert_same(got, want)


def test_chunks_slices_batches_readers_polars_pandas():
    rows = make_rows(11, n=600)
    t = table_of(rows)
    want = baseline(rows)
    batches = t.to_batches(max_chunksize=97)
    assert len(batches) > 3
    assert_same(tsfill.fill(pa.Table.from_batches(batches), **BASE), want)
    assert_same(tsfill.fill(pa.RecordBatchReader.from_batches(t.schema, batches), **BASE), want)
    assert_same(tsfill.fill(t.combine_chunks().to_batches()[0], **BASE), want)  # __arrow_c_array__
    sliced = t.slice(37)
    assert_same(tsfill.fill(sliced, **BASE), baseline(rows[37:]))
    pl = pytest.importorskip("polars")
    assert_same(tsfill.fill(pl.from_arrow(t), **BASE), want)  # string views, Polars' buffers
    pd = pytest.importorskip("pandas")
    if hasattr(pd.DataFrame, "__arrow_c_stream__"):  # (pandas holds a null float as NaN)
        want = tsfill.fill(t, **BASE, nan_is_null=True)
        assert_same(tsfill.fill(t.to_pandas(), **BASE, nan_is_null=True), want)


def test_text_columns_of_numbers_are_values_as_in_csv():
    # spark.read.csv leaves a column with "NA" in it as strings: read as CSV reads it.
    rows = make_rows(9)
    t = table_of(rows)
    text = pa.array([None if v is None else "NaN" if v != v else "NA" if i % 7 == 0 else repr(v)
                     for i, v in enumerate(t.column("v1").to_pylist())])
    got = tsfill.fill(t.set_column(4, "v1", text), **BASE)
    want_rows = [dict(r, v1=None if i % 7 == 0 and r["v1"] is not None and r["v1"] == r["v1"] else r["v1"])
                 for i, r in enumerate(rows)]
    assert_same(got, baseline(want_rows))
    # Not numbers: left out by default and by a glob (with a warning naming the column and
    # its first cell that is no number, as the command line's note), an error when named.
    words = t.set_column(4, "v1", pa.array(["x"] * t.num_rows))
    with pytest.warns(UserWarning, match=r"not value columns \(not numeric\): .*'v1' \(the table, row 1: 'x' is not a number\)"):
        assert "v1" not in tsfill.fill(words, **BASE).schema.names
    assert "v1" not in tsfill.fill(words, **BASE, values="v*").schema.names
    raises(r"column 'v1': cannot read 'x' as a number", words, values=["v1", "v2"])


def test_value_columns_are_read_in_place():
    rows = make_rows(3)
    t = table_of(rows).combine_chunks()
    flags = tsfill.fill_flags(**BASE)
    got = dict(tsfill._tsfill._borrowed_addresses(t, flags))
    for name in ("v1", "v2", "n"):
        assert got[name] == t.column(name).chunks[0].buffers()[1].address, name
    s = t.slice(5)
    got = dict(tsfill._tsfill._borrowed_addresses(s, flags))
    assert got["v1"] == t.column("v1").chunks[0].buffers()[1].address + 5 * 8
    pl = pytest.importorskip("polars")
    df = pl.from_arrow(t)
    got = dict(tsfill._tsfill._borrowed_addresses(df, flags))
    assert got["v1"] == df["v1"].to_arrow().buffers()[1].address  # Polars' own memory
    # Rows dropped by `where`: copied (0), not read in place.
    got = dict(tsfill._tsfill._borrowed_addresses(t, tsfill.fill_flags(**BASE, where={"session": "PreMkt"})))
    assert got["v1"] == 0


def test_the_result_is_shared_not_copied():
    r = tsfill._tsfill.fill(table_of(make_rows(4)), tsfill.fill_flags(**BASE))
    a, b = pa.table(r), pa.table(r)
    assert len(r) == a.num_rows == b.num_rows > 0
    for name in ("slot_ts", "v1", "v1_bf"):
        assert a.column(name).chunks[0].buffers()[1].address == b.column(name).chunks[0].buffers()[1].address
    pl = pytest.importorskip("polars")
    assert pl.DataFrame(r).shape == (a.num_rows, a.num_columns)


def raises(match, table, **kwargs):
    with pytest.raises(ValueError, match=match):
        tsfill.fill(table, **{**BASE, **kwargs})


def test_errors_are_value_errors_with_the_command_lines_messages():
    rows = make_rows(5)
    t = table_of(rows)
    raises(r"^--time: the table has no column 'when'$", t, time="when")
    raises(r"^--keys: the table has no column 'nope'$", t, keys=("nope",))
    raises(r"--slot", t, slot="7x")
    raises(r"--dedup", t, dedup="sometimes")
    raises(r"--all-or-nothing", t, all_or_nothing=True)
    raises(r"^the table, row 1, column 'session': cannot read 'RegularMkt' as a number "
           r"\(null values are: '', 'NA', 'null', 'NULL'\)$", t, values=["session"])
    raises(r"--values: column 'session' of the table has type timestamp\[us\], not a number",
           t.set_column(3, "session", t.column("date").cast(pa.timestamp("us"))), values=["session"])
    raises(r"--values: pattern 'zz\*' matches no numeric column", t, values="zz*")
    nulled = t.set_column(0, "date", pa.array([None] + t.column("date").to_pylist()[1:], t.schema.field("date").type))
    raises(r"^the table, row 1, column 'date': cannot read the time: the time is null$", nulled)
    bad = t.set_column(0, "date", pa.array(["2024-03-04 10:00"] * 2 + ["yesterday"] + ["2024-03-04 10:00"] * (t.num_rows - 3)))
    raises(r"^the table, row 3, column 'date': cannot read the time", bad)
    nokey = t.set_column(1, "ticker", pa.array(["A"] * 4 + [None] + ["A"] * (t.num_rows - 5)))
    raises(r"^the table, row 5, column 'ticker': a key is null$", nokey)
    big = t.set_column(6, "n", pa.array([2**63 + 1] + [1] * (t.num_rows - 1), pa.uint64()))
    raises(r"^the table, row 1, column 'n': the value does not fit in int64$", big)
    twice = pa.Table.from_arrays([t.column(0), t.column(4), t.column(5)], names=["date", "v", "v"])
    raises(r"names the column 'v' twice", twice, keys=())
    dup = pa.table({"date": pa.array([DAY0, DAY0 + NS], pa.timestamp("ns", "UTC")), "v": [1.0, 2.0]})
    raises(r"--dedup reject: the table row 1 and the table row 2", dup, keys=(), dedup="reject")
    with pytest.raises(TypeError, match="Arrow data"):
        tsfill.fill([1, 2, 3])
    with pytest.raises(TypeError):
        tsfill.fill(t, no_such_keyword=1)


def test_the_gil_is_released_while_it_works():
    n = 3_000_000  # (a row a second, 50 keys: 35 days of 1,440 slots x 50 keys)
    t = pa.table({"date": pa.array(range(DAY0, DAY0 + n * NS, NS), pa.timestamp("ns", "UTC")),
                  "k": pa.array([i % 50 for i in range(n)], pa.int64()),
                  "v": pa.array([float(i % 7) if i % 5 else None for i in range(n)])})
    flags = tsfill.fill_flags(keys="k", slot="1min")
    done = []
    worker = threading.Thread(target=lambda: done.append(tsfill._tsfill.fill(t, flags)))
    start = time.perf_counter()
    worker.start()
    last, longest = time.perf_counter(), 0.0
    while worker.is_alive():
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    worker.join()
    took = time.perf_counter() - start
    assert done and len(done[0]) > 0
    assert took > 0.2, f"the job was too small to tell ({took:.3f} s)"
    assert longest < took / 2, f"Python stood still {longest:.3f} s of {took:.3f} s"


def test_the_result_keeps_the_inputs_time_unit_zone_and_key_widths():
    # (Spark's applyInArrow checks the returned types against the ones it declared.)
    t = table_of(make_rows(2), date=pa.timestamp("us", "Europe/Paris"), days=pa.int32())
    got = tsfill.fill(t, **BASE, provenance=True)
    assert got.schema.field("slot_ts").type == pa.timestamp("us", "Europe/Paris")
    assert got.schema.field("v1_from").type == pa.timestamp("us", "Europe/Paris")
    assert got.schema.field("days").type == pa.int32()
    want = baseline(make_rows(2))
    assert got.column("slot_ts").cast(pa.timestamp("ns", "UTC")).equals(want.column("slot_ts"))
    assert tsfill.fill(t, **BASE, tz="America/New_York").schema.field("slot_ts").type == \
        pa.timestamp("us", "America/New_York")


def test_decimal_and_half_value_columns():
    # (Spark's DecimalType arrives as decimal128; float16 from numpy.)
    import numpy as np
    rows = make_rows(13)
    t = table_of(rows)
    v1 = [None if v is None or v != v else v for v in t.column("v1").to_pylist()]
    plain = t.set_column(4, "v1", pa.array(v1, pa.float64()))
    want = tsfill.fill(plain, **BASE)
    dec = plain.set_column(4, "v1", pa.array(v1, pa.float64()).cast(pa.decimal128(12, 6)))
    assert_same(tsfill.fill(dec, **BASE), want)
    big = plain.set_column(4, "v1", pa.array(v1, pa.float64()).cast(pa.decimal128(38, 6)))
    assert_same(tsfill.fill(big, **BASE), want)
    neg = pa.table({"date": pa.array([DAY0], pa.timestamp("ns", "UTC")),
                    "d": pa.array([-12345678901234567890123], pa.decimal128(38, 3))})  # (2^74)
    got = tsfill.fill(neg).column("d").to_pylist()
    assert got == [pytest.approx(-12345678901234567890123.0, rel=1e-15)]
    small = pa.table({"date": pa.array([DAY0], pa.timestamp("ns", "UTC")),
                      "d": pa.array(["-1234.567"], pa.string()).cast(pa.decimal128(10, 3))})
    assert tsfill.fill(small).column("d").to_pylist() == [-1234.567]
    halves = np.array([0.5, -2.0, 6.1e-5, 65504.0, 1e-7], dtype=np.float16)
    h = pa.table({"date": pa.array([DAY0 + i * 3600 * NS for i in range(5)], pa.timestamp("ns", "UTC")),
                  "h": pa.array(halves)})
    assert tsfill.fill(h, slot="1h").column("h").to_pylist() == [float(x) for x in halves.astype(np.float32)]


def test_arrow_input_it_cannot_use_is_named_never_a_crash():
    ts = pa.array([0, 1], pa.timestamp("s"))
    raises(r"^the table, row 1, column 'k': this type cannot be a key$",
           pa.table({"date": ts, "k": pa.array([[1], [2]]), "v": [1.0, 2.0]}), keys=["k"])
    raises(r"^the table, row 1, column 'date': cannot read the time: unsupported type$",
           pa.table({"date": pa.array([b"x", b"y"]), "v": [1.0, 2.0]}), keys=())
    raises(r"^the table, row 1, column 'date': cannot read the time: the time is null$",
           pa.table({"date": pa.nulls(2), "v": [1.0, 2.0]}), keys=())
    raises(r"^the table, row 1, column 'date': cannot read the time: outside the nanosecond range",
           pa.table({"date": pa.array([2**62, 0], pa.timestamp("s")), "v": [1.0, 2.0]}), keys=())
    raises(r"^--time: the table has no column 'date'$", pa.table({}), keys=())
    raises(r"^--max-memory: the grid would need", pa.table({"date": pa.array([0, 10**9], pa.timestamp("s")),
                                                           "v": [1.0, 2.0]}),
           keys=(), partition="none", slot="1s", max_memory="100M")
    # Columns of types that are no values are left out; empty tables give empty results.
    odd = pa.table({"date": ts, "s": pa.array([{"a": 1}, {"a": 2}]), "n": pa.nulls(2), "v": [1.0, 2.0]})
    assert tsfill.fill(odd).schema.names == ["partition_date", "slot_ts", "v", "v_bf"]
    empty = pa.Table.from_batches([], schema=pa.schema([("date", pa.timestamp("ns")), ("v", pa.float64())]))
    assert tsfill.fill(empty).num_rows == 0


def test_columns_of_types_that_are_not_values_are_named_in_the_warning():
    rows = make_rows(41)
    t = table_of(rows)
    n = t.num_rows
    t = (t.append_column("l", pa.array([[i] for i in range(n)]))
          .append_column("b", pa.array([b"x"] * n))
          .append_column("ok", pa.array([True] * n))
          .append_column("st", pa.array([{"x": i} for i in range(n)]))
          .append_column("fl", pa.array([[i, i] for i in range(n)], pa.list_(pa.int64(), 2))))
    with pytest.warns(UserWarning) as caught:
        got = tsfill.fill(t, keys=("ticker", "days"), values=None)
    text = " ".join(str(w.message) for w in caught)
    for name, kind in (("l", "list"), ("b", "binary"), ("ok", "bool"), ("st", "struct"),
                       ("fl", "fixed_size_list")):
        assert f"'{name}' (the table: type {kind})" in text, (name, text)
    assert not {"l", "b", "ok", "st", "fl"} & set(got.column_names)
    with pytest.raises(ValueError, match="--values: column 'st' of the table has type struct, not a number"):
        tsfill.fill(t, keys=("ticker", "days"), values=["v1", "st"])
