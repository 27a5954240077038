from typing import Any, Iterable, List, Mapping, Sequence, Union

from ._tsfill import Result as Result
from . import tables as tables

__version__: str

def fill_flags(*, time: str = ..., keys: Union[str, Sequence[str]] = ...,
               values: Union[str, Sequence[str], None] = ...,
               where: Union[Mapping[str, Any], Iterable[str], None] = ..., slot: str = ...,
               partition: str = ..., dedup: str = ..., grid: str = ...,
               fill: Union[str, Mapping[str, str]] = ..., limit: Union[int, None] = ...,
               max_age: Union[str, None] = ..., limit_area: str = ...,
               all_or_nothing: bool = ..., carry_in: bool = ..., suffix: str = ...,
               tz: Union[str, None] = ..., calendar: Union[str, Sequence[str], None] = ...,
               threads: int = ..., provenance: Union[bool, str] = ...,
               time_unit: Union[str, None] = ..., nan_is_null: bool = ...,
               max_memory: Union[str, None] = ..., original: bool = ...) -> List[str]: ...

def fill(table: Any, *, time: str = ..., keys: Union[str, Sequence[str]] = ...,
         values: Union[str, Sequence[str], None] = ...,
         where: Union[Mapping[str, Any], Iterable[str], None] = ..., slot: str = ...,
         partition: str = ..., dedup: str = ..., grid: str = ...,
         fill: Union[str, Mapping[str, str]] = ..., limit: Union[int, None] = ...,
         max_age: Union[str, None] = ..., limit_area: str = ..., all_or_nothing: bool = ...,
         carry_in: bool = ..., suffix: str = ..., tz: Union[str, None] = ...,
         calendar: Union[str, Sequence[str], None] = ..., threads: int = ...,
         provenance: Union[bool, str] = ..., time_unit: Union[str, None] = ...,
         nan_is_null: bool = ..., max_memory: Union[str, None] = ...,
         original: bool = ...) -> Any: ...
