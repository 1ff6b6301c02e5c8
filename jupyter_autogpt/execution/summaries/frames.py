"""Describers for tabular and array data: pandas, polars, numpy, and matplotlib figures."""

from __future__ import annotations

import itertools
import sys
from collections import Counter
from typing import Any

from ...limits import clip, cut_middle
from ...redaction import redact
from .formatting import (
    SAMPLE_ROWS,
    fit_lines,
    format_bytes,
    format_number,
    format_share,
    hostile,
    lib_type,
    redacted,
    sample_positions,
    short_repr,
    type_name,
)
from .objects import describe_generic

__all__ = ["describe_array", "describe_figure", "describe_frame", "describe_polars", "describe_series"]


def _column_stats(s: Any, sampled: bool) -> str:
    """Return the statistics of one pandas column (already a sample when ``sampled``)."""
    types_ = sys.modules["pandas"].api.types
    n = len(s)
    missing = s.isna().to_numpy()
    nulls = int(missing.sum())
    parts = [str(s.dtype)]
    if nulls:
        parts.append(f"{format_share(nulls, n, sampled)} null")
    if n - nulls == 0:
        return ", ".join([*parts, "all null" if n else "empty"])
    dtype = s.dtype
    if types_.is_bool_dtype(dtype):
        parts.append(f"true {'~' if sampled else ''}{100 * int(s.sum()) / (n - nulls):.1f}%")
    elif types_.is_numeric_dtype(dtype) and not types_.is_complex_dtype(dtype):
        parts.append(f"min {format_number(s.min())}, max {format_number(s.max())}, mean {format_number(s.mean())}")
    elif types_.is_datetime64_any_dtype(dtype) or types_.is_timedelta64_dtype(dtype) or str(dtype).startswith("period"):
        parts.append(f"{s.min()} .. {s.max()}")
    elif isinstance(dtype, sys.modules["pandas"].CategoricalDtype) or types_.is_string_dtype(dtype):
        parts.append(_top_values(s, missing, n - nulls, sampled))  # object, str and category columns
    return ", ".join(parts)


def _top_values(s: Any, missing: Any, non_null: int, sampled: bool) -> str:
    levels = f"{len(s.cat.categories):,} categories, " if hasattr(s, "cat") else ""
    try:  # counted in Python: ~3x faster than value_counts on the few thousand values of a sample
        if levels:
            raise TypeError("a categorical: pandas counts it by its codes")
        values = s.to_numpy()
        counter = Counter(values[~missing] if non_null < len(values) else values)
        distinct, top = len(counter), counter.most_common(3)
    except TypeError:  # unhashable values (pandas hashes lists), or categories
        counts = s.value_counts(dropna=True)
        counts = counts[counts > 0]  # a categorical counts its unused categories too
        distinct, top = len(counts), list(counts.head(3).items())
    shown = ", ".join(f"{short_repr(v, 30)} {format_share(int(c), non_null, sampled)}" for v, c in top)
    return f"{levels}{distinct:,} distinct{' in sample' if sampled else ''}; top {shown}"


def _index_text(index: Any) -> str:
    name = f" {index.name!r}" if getattr(index, "name", None) is not None else ""
    kind = type(index).__name__
    if kind == "RangeIndex":
        return f"RangeIndex{name} {index.start:,}..{index.stop - index.step:,}" + (
            f" step {index.step}" if index.step != 1 else ""
        )
    if kind == "MultiIndex":
        return f"MultiIndex ({index.nlevels} levels: {', '.join(str(n) for n in index.names)})"
    ends = f" {short_repr(index[0], 30)} .. {short_repr(index[-1], 30)}" if len(index) else " (empty)"
    return f"{kind}[{index.dtype}]{name}{ends}"


def describe_frame(df: Any, max_chars: int) -> str:
    """Return a pandas frame's shape, index, memory, per-column statistics (from a sample when long) and first rows."""
    n_rows, n_cols = df.shape
    memory = format_bytes(float(df.memory_usage(index=True, deep=False).sum()))
    header = [f"pandas.DataFrame, {n_rows:,} rows × {n_cols:,} columns; index {_index_text(df.index)}; {memory}"]
    head_budget = max_chars // 4 if max_chars >= 1200 else 0  # at small budgets column statistics say more
    col_budget = max(0, max_chars - len(header[0]) - head_budget - 90)
    described = max(1, min(n_cols, col_budget // 55, 60))
    positions = sample_positions(n_rows, described)
    if positions is not None:
        header.append(f"(statistics from a sample of {len(positions):,} of {n_rows:,} rows: head, tail, random)")
    text = "\n".join(header + _frame_columns(df, positions, described, col_budget))
    if head_budget:
        rows = _shown(df.head(3)).to_string(max_cols=8, max_colwidth=24, show_dimensions=False)
        text += "\nfirst rows:\n" + cut_middle(rows, max(0, max_chars - len(text) - 13))
    return text


def _frame_columns(df: Any, positions: Any, described: int, budget: int) -> list[str]:
    """Return a statistics line for each of the first ``described`` columns, then the others by name and dtype."""
    n_cols = df.shape[1]
    sampled = positions is not None
    sample = df.iloc[positions, :described] if sampled else df.iloc[:, :described]
    heading = "columns:"
    if n_cols > described:  # a wide frame: say what the columns are before listing the first few
        tally = Counter(str(t) for t in df.dtypes)
        heading = f"columns (dtypes: {', '.join(f'{t} ×{k}' for t, k in tally.most_common(6))}):"
    lines = [f"  {_column_line(df.columns[j], sample.iloc[:, j], sampled)}" for j in range(min(n_cols, described))]
    rest_budget = budget // 4 if n_cols > described else 0
    kept = fit_lines(lines, budget - rest_budget - len(heading))
    if len(kept) < n_cols:
        rest = itertools.islice(df.dtypes.items(), len(kept), len(kept) + 200)
        names = ", ".join(f"{redacted(str(c), 30)}: {t}" for c, t in rest)
        kept.append(clip(f"  … and {n_cols - len(kept):,} more: {names}", max(60, rest_budget)))
    return [heading, *kept]


def _column_line(label: Any, s: Any, sampled: bool) -> str:
    try:
        stats = _column_stats(s, sampled)
    except BaseException as exc:  # e.g. unhashable values in an object column, an exotic extension dtype
        if not hostile(exc):
            raise
        stats = f"{s.dtype} (statistics unavailable: {type(exc).__name__})"
    return f"{redacted(str(label), 40)}: {stats}"


def _shown(head: Any) -> Any:
    """Return the first rows of a frame or series with their text redacted, before pandas cuts long cells."""
    is_text = sys.modules["pandas"].api.types.is_string_dtype

    def secret(column: Any) -> bool:  # read in Python: a few cells, where pandas' map and apply cost ~1 ms a frame
        if not (column.dtype == object or is_text(column.dtype)):
            return False
        return any(issubclass(type(v), str) and redact(str.__str__(v)) != str.__str__(v) for v in column.tolist())

    def redacted_text(column: Any) -> Any:
        if not secret(column):
            return column
        return column.map(lambda v: redact(str.__str__(v)) if issubclass(type(v), str) else v)

    if hasattr(head, "columns"):
        if not any(secret(head.iloc[:, j]) for j in range(len(head.columns))):
            return head
        return head.apply(redacted_text)
    return redacted_text(head)


def describe_series(s: Any, max_chars: int) -> str:
    """Return a pandas series' length, index, memory, statistics (from a sample when long) and first values."""
    name = f" {short_repr(s.name, 40)}" if s.name is not None else ""
    memory = format_bytes(float(s.memory_usage(index=True, deep=False)))
    positions = sample_positions(len(s), 1)
    sample = s.iloc[positions] if positions is not None else s
    lines = [f"pandas.Series{name}, {len(s):,} values; index {_index_text(s.index)}; {memory}"]
    if positions is not None:
        lines.append(f"(statistics from a sample of {len(positions):,} of {len(s):,} values)")
    lines.append(_column_line("values", sample, positions is not None))
    lines.append("first values:\n" + _shown(s.head(5)).to_string(max_rows=5))
    return "\n".join(lines)


# -- numpy, polars, matplotlib -----------------------------------------------------------------------------------


def describe_array(arr: Any, max_chars: int) -> str:
    """Return a numpy array's shape, dtype, size, first values and sampled range."""
    np = sys.modules["numpy"]
    text = f"{type_name(arr)} shape={arr.shape} dtype={arr.dtype} ({format_bytes(arr.nbytes)})"
    if arr.size == 0:
        return text
    step = max(1, arr.size // SAMPLE_ROWS)
    sample = arr.flat[::step]  # copies the sampled elements only, contiguous or not
    with np.printoptions(precision=4, threshold=8, edgeitems=3, linewidth=max_chars):
        text += "\nfirst values: " + np.array2string(arr.flat[:8], separator=", ")
    if arr.dtype.kind in "iuf":
        where = f" (on {sample.size:,} of {arr.size:,} elements)" if step > 1 else ""
        nans = int(np.isnan(sample).sum()) if arr.dtype.kind == "f" else 0
        if nans < sample.size:
            text += f"\nmin {format_number(np.nanmin(sample))}, max {format_number(np.nanmax(sample))}" + where
        if nans:
            text += f"\nNaN: {format_share(nans, sample.size, step > 1)}"
    elif arr.dtype.kind == "b":
        text += f"\ntrue {format_share(int(sample.sum()), sample.size, True)}"
    return text


def describe_polars(obj: Any, max_chars: int) -> str:
    """Return a polars frame's or series' shape, schema, null counts and first rows; a lazy frame is not collected."""
    name = type(obj).__name__
    if "Lazy" in name:
        return f"polars.{name} (a lazy query; not collected)"
    if name == "Series":
        head = f"polars.Series {obj.name!r}, {len(obj):,} values, dtype {obj.dtype}, {obj.null_count():,} null"
        return f"{head}\n{obj.head(5)}"
    if name != "DataFrame":
        return describe_generic(obj, max_chars)
    height, width = obj.shape
    nulls = obj.null_count().row(0)  # polars keeps null counts as array metadata: no pass over the data
    lines = [
        f"  {redacted(str(c), 40)}: {t}" + (f", {k:,} null" if k else "")
        for (c, t), k in zip(obj.schema.items(), nulls, strict=False)
    ]
    text = f"polars.DataFrame, {height:,} rows × {width:,} columns; ~{format_bytes(float(obj.estimated_size()))}\ncolumns:\n"
    text += "\n".join(fit_lines(lines, max_chars // 2, lambda k: f"  … {k} more columns", len(lines)))
    return text + "\nfirst rows:\n" + str(obj.head(3))


def _axes_line(ax: Any) -> str:
    texts = {"title": ax.get_title(), "x": ax.get_xlabel(), "y": ax.get_ylabel()}
    bits = [f"{label} {text!r}" for label, text in texts.items() if text]
    counts = {
        "lines": len(ax.lines),
        "collections": len(ax.collections),
        "patches": len(ax.patches),
        "images": len(ax.images),
    }
    bits += [f"{k} {v}" for k, v in counts.items() if v]
    labels = [lab for lab in ax.get_legend_handles_labels()[1] if not lab.startswith("_")]
    if labels:
        bits.append("legend " + short_repr(labels[:6], 80))
    return "axes: " + (", ".join(bits) or "empty")


def describe_figure(fig: Any, max_chars: int) -> str:
    """Return a matplotlib figure's size and, for each axes, titles, labels, artists and legend."""
    if lib_type(fig, "matplotlib.axes", "Axes"):
        return "matplotlib " + _axes_line(fig)
    axes = fig.get_axes()
    w, h = fig.get_size_inches()
    title = getattr(fig, "get_suptitle", lambda: "")()
    text = f"matplotlib Figure {w:.1f}×{h:.1f} in, {len(axes)} axes" + (f", suptitle {title!r}" if title else "")
    return "\n".join([text, *fit_lines((f"  {_axes_line(ax)}" for ax in axes), max_chars, lambda k: f"  … {k} more", len(axes))])


# -- the standard library ----------------------------------------------------------------------------------------
