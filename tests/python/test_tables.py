"""tsfill.tables: gold tables written as Delta (deltalake) and Iceberg (pyiceberg, a SQLite
catalog), replacing only the days a result holds; read back and compared cell for cell."""
import os
import random

import pyarrow as pa
import pytest

REQUIRED = os.environ.get("TSFILL_REQUIRE_SPARK") == "1"  # (CI installs the scale-out set)


def need(module):
    if REQUIRED:
        return __import__(module)
    return pytest.importorskip(module, reason=f"{module} is not installed (scripts/setup.sh --spark)")


tsfill = need("tsfill")
from tsfill import tables  # noqa: E402

NS = 1_000_000_000
DAY0 = 19_786 * 86_400 * NS  # 2024-03-04


def silver(seed, days):
    rng = random.Random(seed)
    n = 300 * len(days)
    return pa.table({
        "date": pa.array([DAY0 + rng.choice(days) * 86_400 * NS + rng.randrange(8 * 3600, 20 * 3600) * NS
                          for _ in range(n)], pa.timestamp("ns", "UTC")),
        "ticker": [rng.choice(["AAPL", "MSFT", "SPY"]) for _ in range(n)],
        "vol": [None if rng.random() < 0.2 else rng.random() for _ in range(n)],
    })


def gold(seed, days):
    return tsfill.fill(silver(seed, days), keys="ticker", provenance=True)


def in_order(table):
    return table.sort_by([("partition_date", "ascending"), ("ticker", "ascending"),
                          ("slot_ts", "ascending")])


def expected(first, second):
    """`first` with the days of `second` replaced by second's rows."""
    import pyarrow.compute as pc
    replaced = pc.is_in(first.column("partition_date"), second.column("partition_date").unique())
    return in_order(pa.concat_tables([first.filter(pc.invert(replaced)), second]))


def as_utc_us(table):
    return tables._for_tables(table, "partition_date")


def same(got, want):
    got, want = in_order(got.select(want.schema.names)), in_order(want)
    for name in want.schema.names:
        g, w = got.column(name), want.column(name)
        if g.type != w.type:
            g = g.cast(w.type)
        assert g.to_pylist() == w.to_pylist(), name


def test_delta_replaces_only_the_days_of_a_result(tmp_path):
    deltalake = need("deltalake")
    path = str(tmp_path / "gold")
    first, second = gold(1, [0, 1, 2]), gold(2, [1])
    assert tables.write_delta(path, first) == sorted(set(first.column("partition_date").to_pylist()))
    tables.write_delta(path, second)
    dt = deltalake.DeltaTable(path)
    got = dt.to_pyarrow_table()
    same(got, as_utc_us(expected(first, second)))
    assert got.schema.field("slot_ts").type == pa.timestamp("us", tz="UTC")
    history = dt.history()
    assert len(history) == 2 and "2024-03-05" in str(history[0].get("operationParameters", ""))
    # Days outside the result: the same files as before (not rewritten).
    files_before = {f for f in dt.file_uris() if "2024-03-04" in f}
    tables.write_delta(path, gold(3, [2]))
    assert {f for f in deltalake.DeltaTable(path).file_uris() if "2024-03-04" in f} == files_before


def test_iceberg_replaces_only_the_days_of_a_result(tmp_path):
    need("pyiceberg")
    from pyiceberg.catalog.sql import SqlCatalog
    catalog = SqlCatalog("local", uri=f"sqlite:///{tmp_path}/catalog.db",
                         warehouse=f"file://{tmp_path}/warehouse")
    first, second = gold(4, [0, 1, 2]), gold(5, [2])
    tables.write_iceberg(catalog, "lake.gold", first)
    tables.write_iceberg(catalog, "lake.gold", second)
    table = catalog.load_table("lake.gold")
    got = table.scan().to_arrow()
    same(got, as_utc_us(expected(first, second)))
    assert [f.name for f in table.spec().fields] == ["partition_date"]
    # A new catalog object on the same SQLite file sees the same table.
    again = SqlCatalog("local", uri=f"sqlite:///{tmp_path}/catalog.db",
                       warehouse=f"file://{tmp_path}/warehouse")
    assert again.load_table("lake.gold").scan().to_arrow().num_rows == got.num_rows


def test_a_result_without_days_is_refused(tmp_path):
    need("deltalake")
    flat = tsfill.fill(silver(6, [0]), keys="ticker", partition="none")
    with pytest.raises(ValueError, match="partition_date"):
        tables.write_delta(str(tmp_path / "g"), flat)
