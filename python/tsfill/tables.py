"""Gold tables in open table formats, replacing only the days a result holds.

    gold = tsfill.fill(silver, keys=["ticker_tk", "days"], ...)
    tsfill.tables.write_delta("lake/gold", gold)                       # deltalake (delta-rs)
    tsfill.tables.write_iceberg(catalog, "lake.gold", gold)            # pyiceberg

Both are the single-machine counterpart of Spark's dynamic partition overwrite: the days in
``gold`` are replaced as a whole (one commit), every other day is left as it is, and a
table that does not exist yet is created, partitioned by the day column. Timestamps are
written as UTC microseconds (what Delta and Iceberg hold; a slot time finer than that is an
error, never rounded). Optional extras: ``pip install tsfill[delta]`` / ``tsfill[iceberg]``.
"""
from __future__ import annotations

from typing import Any, List

__all__ = ["write_delta", "write_iceberg"]


def _for_tables(gold: Any, day: str):
    import pyarrow as pa

    table = gold if isinstance(gold, pa.Table) else pa.table(gold)
    if day not in table.schema.names:
        raise ValueError(f"the result has no column {day!r} (fill with partition='day')")
    fields = []
    for field in table.schema:
        if pa.types.is_timestamp(field.type):  # UTC microseconds (safe: raises, never rounds)
            field = field.with_type(pa.timestamp("us", "UTC"))
        fields.append(field)
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def _days(table, day: str) -> List[Any]:
    return sorted(set(table.column(day).to_pylist()))


def write_delta(path: str, gold: Any, *, day: str = "partition_date", **storage) -> List[Any]:
    """Writes ``gold`` into the Delta table at ``path`` (created, partitioned by ``day``, if
    absent), replacing exactly the days it holds: an overwrite with the predicate
    ``day IN (...)``, as Spark's ``replaceWhere``. Returns those days."""
    from deltalake import DeltaTable, write_deltalake

    table = _for_tables(gold, day)
    days = _days(table, day)
    if not days:
        return days
    options = {"storage_options": storage} if storage else {}
    if not DeltaTable.is_deltatable(path, **options):
        write_deltalake(path, table, partition_by=[day], mode="error", **options)
        return days
    predicate = f"{day} IN ({', '.join(repr(d.isoformat()) for d in days)})"
    write_deltalake(path, table, mode="overwrite", predicate=predicate, **options)
    return days


def write_iceberg(catalog: Any, identifier: str, gold: Any, *,
                  day: str = "partition_date") -> List[Any]:
    """Writes ``gold`` into the Iceberg table ``identifier`` of a pyiceberg ``catalog``
    (created, partitioned by identity(``day``), if absent), replacing exactly the days it
    holds (``dynamic_partition_overwrite``). Returns those days."""
    from pyiceberg.exceptions import NoSuchTableError

    table = _for_tables(gold, day)
    days = _days(table, day)
    if not days:
        return days
    try:
        target = catalog.load_table(identifier)
    except NoSuchTableError:
        namespace = identifier.rsplit(".", 1)[0] if "." in identifier else None
        if namespace:
            catalog.create_namespace_if_not_exists(namespace)
        target = catalog.create_table(identifier, schema=table.schema)
        with target.update_spec() as spec:
            spec.add_identity(day)
        target.append(table)
        return days
    target.dynamic_partition_overwrite(table)
    return days
