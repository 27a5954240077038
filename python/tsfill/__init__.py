"""tsfill: irregular, duplicated, gappy time-series rows -> a uniform, gap-filled grid.

``tsfill.fill`` runs the job of ``tsfill fill`` (the command line) on Arrow data: a pyarrow
Table or RecordBatch, a Polars DataFrame, a RecordBatchReader, what Spark hands
``applyInArrow`` -- anything with ``__arrow_c_stream__`` or ``__arrow_c_array__``. Columns
are taken through the Arrow PyCapsule interface without copies; the C++ core runs without
the GIL. The result has the command line's columns and names, and errors raise
``ValueError`` with the command line's messages (which name the flag, e.g. ``--slot``; each
keyword below is the flag of the same name).
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence, Union

from . import tables
from ._tsfill import Result
from ._tsfill import fill as _fill

__all__ = ["fill", "fill_flags", "Result", "tables"]
__version__ = "0.1.0"


def _names(value: Union[str, Iterable[str], None]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _where_rules(where: Union[Mapping[str, Any], Iterable[str], None]) -> list[str]:
    """``{"col": value}`` or ``{"col": [v1, v2]}`` (any of them) -> ``--where col=v`` rules;
    strings are taken as the command line's rules (``"price>0"``, ``"col:notnull"``)."""
    if where is None:
        return []
    if isinstance(where, str):
        return [where]
    if isinstance(where, Mapping):
        rules = []
        for column, wanted in where.items():
            values = wanted if isinstance(wanted, (list, tuple, set, frozenset)) else [wanted]
            if not values:
                raise ValueError(f"where: no value given for column {column!r}")
            rules += [f"{column}={_text(v)}" for v in values]
        return rules
    return [str(rule) for rule in where]


def _text(value: Any) -> str:
    if isinstance(value, bool):  # (an Arrow bool cell reads as 1 or 0, as in Parquet)
        return "1" if value else "0"
    return str(value)


def fill_flags(*, time: str = "date", keys: Union[str, Sequence[str]] = (),
               values: Union[str, Sequence[str], None] = None,
               where: Union[Mapping[str, Any], Iterable[str], None] = None,
               slot: str = "30min", partition: str = "day", dedup: str = "last",
               grid: str = "partition", fill: Union[str, Mapping[str, str]] = "forward",
               limit: Union[int, None] = None, max_age: Union[str, None] = None,
               limit_area: str = "all", all_or_nothing: bool = False, carry_in: bool = False,
               suffix: str = "_bf", tz: Union[str, None] = None,
               calendar: Union[str, Sequence[str], None] = None, threads: int = 1,
               provenance: Union[bool, str] = False, time_unit: Union[str, None] = None,
               nan_is_null: bool = False, max_memory: Union[str, None] = None,
               original: bool = True) -> list[str]:
    """The ``tsfill fill`` flags that ``fill`` with these keywords runs with."""
    flags = ["--time", time, "--slot", slot, "--partition", partition, "--dedup", dedup,
             "--grid", grid, "--suffix", suffix, "--threads", str(threads)]
    if limit_area != "all":  # (only when asked: --fill none refuses any --limit-area)
        flags += ["--limit-area", limit_area]
    key_names = _names(keys)
    if key_names:
        flags += ["--keys", ",".join(key_names)]
    value_names = _names(values)
    if value_names:
        flags += ["--values", ",".join(value_names)]
    for rule in _where_rules(where):
        flags += ["--where", rule]
    if isinstance(fill, Mapping):  # {"vol*": "linear", "*": "forward"}: per column
        for pattern, method in fill.items():
            flags += ["--fill", f"{pattern}={method}"]
    else:
        flags += ["--fill", fill]
    if limit is not None:
        flags += ["--limit", str(limit)]
    if max_age is not None:
        flags += ["--max-age", max_age]
    if all_or_nothing:
        flags.append("--all-or-nothing")
    if carry_in:
        flags.append("--carry-in")
    if tz is not None:
        flags += ["--tz", tz]
    for c in _names(calendar):
        flags += ["--calendar", c]
    if provenance:
        flags.append("--provenance=status" if provenance == "status" else "--provenance")
    if time_unit is not None:
        flags += ["--time-unit", time_unit]
    if nan_is_null:
        flags.append("--nan-is-null")
    if max_memory is not None:
        flags += ["--max-memory", max_memory]
    if not original:
        flags.append("--no-original")
    return flags


def fill(table: Any, *, time: str = "date", keys: Union[str, Sequence[str]] = (),
         values: Union[str, Sequence[str], None] = None,
         where: Union[Mapping[str, Any], Iterable[str], None] = None, slot: str = "30min",
         partition: str = "day", dedup: str = "last", grid: str = "partition",
         fill: Union[str, Mapping[str, str]] = "forward", limit: Union[int, None] = None,
         max_age: Union[str, None] = None, limit_area: str = "all",
         all_or_nothing: bool = False, carry_in: bool = False, suffix: str = "_bf",
         tz: Union[str, None] = None, calendar: Union[str, Sequence[str], None] = None,
         threads: int = 1, provenance: Union[bool, str] = False,
         time_unit: Union[str, None] = None, nan_is_null: bool = False,
         max_memory: Union[str, None] = None, original: bool = True) -> Any:
    """Regularize rows into a uniform grid of slots per key and partition, then fill gaps.

    Returns a ``pyarrow.Table`` when pyarrow is installed, else a ``tsfill.Result`` (Arrow
    data for any consumer of the PyCapsule interface: ``polars.DataFrame(r)``,
    ``pyarrow.table(r)``, ``deltalake.write_deltalake(path, r)``). Columns: ``partition_date``
    (date; absent with ``partition="none"``), the keys, ``slot_ts`` (UTC timestamp, or in
    ``tz``), each value column (not with ``original=False``, the lean form), each filled
    column (``COL`` + ``suffix``; ``suffix=""`` with ``original=False`` keeps the input's
    names), then with ``provenance`` ``COL_how`` (and ``COL_from`` unless
    ``provenance="status"``).

    Timestamps may be Arrow timestamps of any unit (a zone-less one is read as UTC), dates,
    ISO-8601 strings, or integers with ``time_unit``. ``values`` takes names or globs
    (``"vol*"``); ``where`` a dict column -> value or list of values (any of them), or the
    command line's rules as strings (``"price>0"``). Everything else is the flag of the same
    name of ``tsfill fill`` (see ``man tsfill``). Raises ``ValueError`` on bad arguments or
    input, with the command line's message.
    """
    flags = fill_flags(time=time, keys=keys, values=values, where=where, slot=slot,
                       partition=partition, dedup=dedup, grid=grid, fill=fill, limit=limit,
                       max_age=max_age, limit_area=limit_area, all_or_nothing=all_or_nothing,
                       carry_in=carry_in, suffix=suffix, tz=tz, calendar=calendar,
                       threads=threads, provenance=provenance, time_unit=time_unit,
                       nan_is_null=nan_is_null, max_memory=max_memory, original=original)
    result = _fill(table, flags)
    if result.notice:  # (as the command line's note: no column vanishes without a word)
        import warnings
        warnings.warn("tsfill: " + result.notice, stacklevel=2)
    try:
        import pyarrow
    except ImportError:
        return result
    return pyarrow.table(result)
