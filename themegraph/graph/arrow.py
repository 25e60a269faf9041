"""Arrow columns from Python values, for the embedded store's COPY, without importing pandas.

``pa.array(list)`` asks pandas whether the list is a pandas object, and so imports pandas on its
first call: 0.6 s of a load that needs nothing of it.  The columns here are assembled from
buffers instead (the bytes of the values, their offsets, a bitmap of the nulls), with numpy, which
pyarrow imports anyway.  That is as fast as ``pa.array``: a text column of ASCII values is one
join and one pass over the lengths, and a column holding one value on every row (a load's
``sources``, ``kind`` and ``loaded_at``) is repeated, not converted row by row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .schema import BOOL, FLOAT, INT, STRINGS

if TYPE_CHECKING:
    import pyarrow as pa

#: Offsets of Arrow's ``string`` type are 32-bit: a column of more text than this is left to pyarrow
_MAX_BYTES = 2**31 - 1


def arrow_table(columns: list[tuple[str, str]], rows: list[dict], constants: dict | None = None) -> pa.Table:
    """An Arrow table with the given (name, ladybug type) columns, in that order.

    A missing key is a null; a column in ``constants`` takes one value for every row.  Built
    column by column (five times faster than ``pa.Table.from_pylist`` on row dicts), in
    ``columns`` order, as COPY needs.  pyarrow is imported here, not at start-up: reading
    commands (``stats``, queries) never need it.
    """
    import pyarrow as pa

    constants = constants or {}
    arrays = {}
    for name, ladybug_type in columns:
        values = [constants[name]] * len(rows) if name in constants else [r.get(name) for r in rows]
        arrays[name] = column(values, ladybug_type)
    return pa.table(arrays)


def column(values: list, ladybug_type: str) -> pa.Array:
    """The values (None for a null) as an Arrow array of the Arrow type for ``ladybug_type``."""
    import pyarrow as pa

    if ladybug_type == STRINGS:
        return _lists(values)
    if ladybug_type in (INT, FLOAT, BOOL):
        return _numbers(values, ladybug_type)
    if values and values.count(values[0]) == len(values):  # one value on every row
        return _repeated(values[0], len(values))
    validity, nulls, values = _nulls(values)
    text = "".join(values)
    if text.isascii():  # one byte per character: the lengths of the values are their byte counts
        data, lengths = text.encode("ascii"), map(len, values)
    else:
        encoded = [v.encode("utf-8") for v in values]
        data, lengths = b"".join(encoded), map(len, encoded)
    if len(data) > _MAX_BYTES:
        return pa.array([None if i in nulls else v for i, v in enumerate(values)] if nulls else values, pa.string())
    return pa.Array.from_buffers(pa.string(), len(values), [validity, _offsets(lengths, len(values)), pa.py_buffer(data)],
                                 null_count=len(nulls))


def _nulls(values: list) -> tuple[pa.Buffer | None, set[int], list]:
    """(validity bitmap or None, positions of the nulls, the values with "" for each null)."""
    import numpy as np
    import pyarrow as pa

    if None not in values:
        return None, set(), values
    nulls = {i for i, v in enumerate(values) if v is None}
    present = np.ones(len(values), dtype=bool)
    present[list(nulls)] = False
    return pa.py_buffer(np.packbits(present, bitorder="little")), nulls, ["" if v is None else v for v in values]


def _offsets(lengths, n: int) -> pa.Buffer:
    """Arrow offsets (n + 1 int32, from 0) of values of the given lengths."""
    import numpy as np
    import pyarrow as pa

    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.fromiter(lengths, dtype=np.int32, count=n), out=offsets[1:])
    return pa.py_buffer(offsets)


def _repeated(value, n: int) -> pa.Array:
    """A text column holding ``value`` (or null) on each of ``n`` rows."""
    import numpy as np
    import pyarrow as pa

    if value is None:
        return pa.nulls(n, pa.string())
    data = value.encode("utf-8")
    if len(data) * (n + 1) > _MAX_BYTES:
        return pa.array([value] * n, pa.string())
    offsets = np.arange(n + 1, dtype=np.int32) * np.int32(len(data))
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data * n)])


def _lists(values: list) -> pa.Array:
    """A list<string> column: each value a list of texts, or None."""
    import pyarrow as pa

    validity, nulls, values = _nulls(values)
    n = len(values)
    if nulls:
        values = [[] if i in nulls else v for i, v in enumerate(values)]
    if n and values.count(values[0]) == n:  # every row the same list (a load's sources)
        items = column(values[0] * n, "STRING")
    else:
        items = column([item for v in values for item in v], "STRING")
    return pa.Array.from_buffers(pa.list_(pa.string()), n, [validity, _offsets(map(len, values), n)],
                                 null_count=len(nulls), children=[items])


def _numbers(values: list, ladybug_type: str) -> pa.Array:
    """An int64, float64 or bool column."""
    import numpy as np
    import pyarrow as pa

    validity, nulls, _ = _nulls(values)
    if ladybug_type == BOOL:
        bits = np.packbits(np.fromiter((v is True for v in values), dtype=bool, count=len(values)), bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), len(values), [validity, pa.py_buffer(bits)], null_count=len(nulls))
    dtype, type_ = (np.int64, pa.int64()) if ladybug_type == INT else (np.float64, pa.float64())
    filled = np.fromiter((0 if v is None else v for v in values), dtype=dtype, count=len(values))
    return pa.Array.from_buffers(type_, len(values), [validity, pa.py_buffer(filled)], null_count=len(nulls))
