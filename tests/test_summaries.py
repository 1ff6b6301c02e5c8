"""Bounded namespace and object summaries: many object kinds, hostile objects, huge frames."""

from __future__ import annotations

import collections
import subprocess
import sys
import textwrap
import types
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from jupyter_autogpt.execution.summaries import SAMPLE_ROWS, describe, overview, summarize

BIG_STRING = "lorem ipsum " * 437_000  # ~5 MB


# -- ordinary objects of many kinds -----------------------------------------------------------------------------


def _generator() -> Iterator[int]:
    yield 1
    yield 2


def _mixed_frame(n: int = 50) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    price = rng.random(n) * 100
    price[::7] = np.nan
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "price": price,
            "city": pd.Categorical(rng.choice(["Paris", "Rome", "Oslo"], n)),
            "name": [f"user{i % 9}" if i % 5 else None for i in range(n)],
            "when": pd.date_range("2024-01-01", periods=n, freq="h"),
            "flag": rng.random(n) < 0.5,
            "mixed": [1, "a", 2.5, None, (1, 2)] * (n // 5),
        }
    )


CASES: list[tuple[str, Any, list[str]]] = [
    ("int", 42, ["int", "42"]),
    ("none", None, ["None"]),
    ("short str", "hello", ["str", "5 chars", "'hello'"]),
    ("bytes", b"\x00" * 10_000, ["bytes", "10,000 bytes"]),
    ("list", list(range(100_000)), ["list", "100,000 items", "int"]),
    ("tuple", (1, "a", None), ["tuple", "3 items"]),
    ("set", set(range(50)), ["set", "50 items"]),
    ("deque", collections.deque([1, 2, 3]), ["deque"]),
    ("range", range(10**12), ["range", "range(0, 1000000000000)"]),
    ("function", _mixed_frame, ["function", "_mixed_frame(n: 'int' = 50)"]),
    ("builtin", len, ["len", "Return the number of items"]),
    ("class", collections.OrderedDict, ["class OrderedDict(dict)"]),
    ("module", collections, ["module collections"]),
    ("array 2d", np.arange(12.0).reshape(3, 4), ["shape=(3, 4)", "float64", "min 0", "max 11"]),
    ("array empty", np.array([]), ["shape=(0,)"]),
    ("array 0d", np.array(3.5), ["shape=()", "3.5"]),
    ("array object", np.array([{"a": 1}, None], dtype=object), ["dtype=object", "'a'"]),
    ("array bool", np.array([True, False, True, True]), ["bool", "true"]),
    ("array structured", np.zeros(3, dtype=[("x", "i4"), ("y", "f8")]), ["shape=(3,)", "x"]),
    ("array strided", np.arange(100.0).reshape(10, 10)[:, ::3], ["shape=(10, 4)", "max 99"]),
    ("series", pd.Series([1.5, None, 3.0], name="v"), ["pandas.Series 'v'", "3 values", "min 1.5", "max 3"]),
    ("empty frame", pd.DataFrame(), ["pandas.DataFrame, 0 rows × 0 columns"]),
    ("timestamp", pd.Timestamp("2024-01-01"), ["Timestamp", "2024-01-01"]),
]


@pytest.mark.parametrize(("label", "obj", "expected"), CASES, ids=[c[0] for c in CASES])
def test_summarize_describes_each_kind_within_its_bound(label: str, obj: Any, expected: list[str]) -> None:
    text = summarize(obj, 600)
    assert 0 < len(text) <= 600
    for part in expected:
        assert part in text, f"{part!r} missing from {text!r}"


def test_mixed_frame_shows_dtypes_nulls_ranges_categories_and_rows() -> None:
    df = _mixed_frame()
    text = summarize(df)
    assert len(text) <= 2000
    assert "pandas.DataFrame, 50 rows × 7 columns" in text
    assert "RangeIndex 0..49" in text
    assert "price: float64, 8 null, min" in text  # every 7th of 50 rows
    assert f"max {df['id'].max()}" in text
    top_city, top_count = df["city"].value_counts().index[0], df["city"].value_counts().iloc[0]
    assert f"city: category, 3 categories, 3 distinct; top '{top_city}' {top_count}" in text
    assert "name: " in text and "10 null" in text and "'user" in text
    assert "when: datetime64" in text and "2024-01-01 00:00:00 .. 2024-01-03 01:00:00" in text
    assert "flag: bool, true" in text
    assert "mixed: object, 10 null, 4 distinct" in text  # ints, strings, floats and tuples counted together
    assert "first rows:" in text and "user1" in text
    assert "sample" not in text  # a small frame is described exactly


def test_multiindex_frame_names_its_levels() -> None:
    index = pd.MultiIndex.from_product([["a", "b"], range(3)], names=["letter", "n"])
    columns = pd.MultiIndex.from_tuples([("x", "mean"), ("x", "max")])
    df = pd.DataFrame(np.arange(12).reshape(6, 2), index=index, columns=columns)
    text = summarize(df, 1200)
    assert "MultiIndex (2 levels: letter, n)" in text
    assert "('x', 'mean'): int64, min 0, max 10" in text


def test_wide_frame_lists_dtypes_and_the_first_columns_within_budget() -> None:
    df = pd.DataFrame(np.zeros((20, 400)), columns=[f"feature_{i}" for i in range(400)])
    for limit in (300, 1000, 2000, 6000):
        text = summarize(df, limit)
        assert len(text) <= limit
        assert "20 rows × 400 columns" in text
    text = summarize(df, 2000)
    assert "float64 ×400" in text and "feature_0: float64" in text and "more: feature_" in text


def test_exotic_column_dtypes_are_described() -> None:
    df = pd.DataFrame(
        {
            "lists": [[1], [2, 3], []],
            "nullable": pd.array([1, None, 3], dtype="Int64"),
            "tz": pd.date_range("2024-01-01", periods=3, tz="Europe/Paris"),
            "delta": pd.to_timedelta([1, 2, 3], unit="s"),
            "period": pd.period_range("2024-01", periods=3, freq="M"),
            "interval": pd.interval_range(0, 3),
            "sparse": pd.arrays.SparseArray([0.0, 0.0, 1.0]),
            "complex": [1 + 2j, 0j, 3j],
        }
    )
    text = summarize(df)
    assert len(text) <= 2000
    assert "lists: object, 3 distinct" in text
    assert "nullable: Int64, 1 null, min 1, max 3" in text
    assert "tz: datetime64[" in text and "Europe/Paris], 2024-01-01 00:00:00+01:00 .. 2024-01-03" in text
    assert "delta: timedelta64" in text and "0 days 00:00:01 .. 0 days 00:00:03" in text
    assert "period: period[M], 2024-01 .. 2024-03" in text
    for label in ("interval: interval", "sparse: Sparse[float64", "complex: complex128"):
        assert label in text


def test_huge_string_and_nested_dict_stay_bounded() -> None:
    text = summarize(BIG_STRING, 500)
    assert len(text) <= 500 and f"{len(BIG_STRING):,} chars" in text and "lorem ipsum" in text
    nested = {f"k{i}": {"inner": {"deep": list(range(i % 50))}} for i in range(10_000)}
    text = summarize(nested, 800)
    assert len(text) <= 800 and "10,000 keys" in text and "'k0': dict, 1 key" in text and "more" in text


def test_recursive_list_is_described() -> None:
    loop: list[Any] = [1]
    loop.append(loop)
    assert "list, 2 items" in summarize(loop)


# -- iterators are never consumed ------------------------------------------------------------------------------


def test_generator_and_iterators_are_not_consumed() -> None:
    gen = _generator()
    assert "generator" in summarize(gen) and "not consumed" in summarize(gen)
    assert next(gen) == 1
    it = iter([10, 20])
    assert "not consumed" in summarize(it)
    assert "not consumed" in describe({"it": it}, ["it"], 300)
    assert next(it) == 10
    lazy = map(str, [7])
    overview({"lazy": lazy}, ["lazy"], 300)
    assert list(lazy) == ["7"]


# -- hostile objects ------------------------------------------------------------------------------------------------


class ReprRaises:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


class LenRaises(list):  # type: ignore[type-arg]
    def __len__(self) -> int:
        raise ValueError("no len")


class AttributesRaise:
    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"no attribute {name}")


class EverythingRaises:
    def __getattribute__(self, name: str) -> Any:
        raise RuntimeError(f"no attribute {name}")

    def __repr__(self) -> str:
        raise RuntimeError("no repr")

    def __len__(self) -> int:
        raise RuntimeError("no len")


class IterRaises(dict):  # type: ignore[type-arg]
    def __iter__(self) -> Iterator[Any]:
        raise OSError("cursor closed")


class ShapeIsLazy:
    """A lazy object whose ``shape`` would run a query."""

    @property
    def shape(self) -> tuple[int, int]:
        raise ConnectionError("the database is unreachable")


@pytest.mark.parametrize(
    "make",
    [ReprRaises, lambda: LenRaises([1, 2]), AttributesRaise, EverythingRaises, lambda: IterRaises(a=1), ShapeIsLazy],
    ids=["repr", "len", "getattr", "getattribute", "iter", "lazy-shape"],
)
def test_hostile_objects_degrade_to_type_and_never_raise(make: Any) -> None:
    obj = make()
    for limit in (50, 300, 2000):
        text = summarize(obj, limit)
        assert 0 < len(text) <= limit
        assert type(obj).__name__ in text
    assert type(obj).__name__ in overview({"x": obj}, ["x"], 500)
    assert type(obj).__name__ in describe({"x": obj}, ["x"], 500)


def test_raising_repr_still_shows_type_and_size() -> None:
    class Table(ReprRaises):
        def __len__(self) -> int:
            return 12

    text = summarize(Table())
    assert "Table" in text and "len 12" in text


# -- duck-typed libraries --------------------------------------------------------------------------------------


def _fake_polars(monkeypatch: pytest.MonkeyPatch) -> tuple[type, type]:
    """Return polars-shaped DataFrame and LazyFrame classes, with a stand-in ``polars`` module registered."""
    monkeypatch.setitem(sys.modules, "polars", types.ModuleType("polars"))

    class Nulls:
        def row(self, i: int) -> tuple[int, ...]:
            return (0, 3)

    class DataFrame:
        shape = (1_000_000, 2)
        schema: ClassVar[dict[str, str]] = {"a": "Int64", "b": "String"}

        def null_count(self) -> Nulls:
            return Nulls()

        def estimated_size(self) -> int:
            return 24_000_000

        def head(self, n: int) -> str:
            return f"<{n} rows>"

    class LazyFrame:
        def collect(self) -> None:
            raise AssertionError("a lazy frame must not be collected")

    for cls in (DataFrame, LazyFrame):
        cls.__module__ = "polars.dataframe.frame"
    return DataFrame, LazyFrame


def test_polars_frames_are_duck_typed_and_lazy_ones_not_collected(monkeypatch: pytest.MonkeyPatch) -> None:
    frame, lazy = _fake_polars(monkeypatch)
    text = summarize(frame())
    assert "polars.DataFrame, 1,000,000 rows × 2 columns" in text and "b: String, 3 null" in text
    assert "<3 rows>" in text
    assert "not collected" in summarize(lazy())
    assert overview({"x": 1, "lf": lazy(), "pf": frame()}, ["x", "lf", "pf"], 2000).startswith("lf: polars.LazyFrame")


def test_matplotlib_figure_shows_titles_and_labels() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2)
    left.plot([1, 2], [3, 4], label="sales")
    left.set(title="Sales", xlabel="month", ylabel="EUR")
    left.legend()
    right.scatter([1], [2])
    try:
        text = summarize(fig)
    finally:
        plt.close(fig)
    assert "2 axes" in text and "title 'Sales'" in text and "x 'month'" in text and "y 'EUR'" in text
    assert "legend ['sales']" in text and "collections 1" in text


def test_summarizing_never_imports_heavy_libraries() -> None:
    code = textwrap.dedent(
        """
        import sys
        from jupyter_autogpt.execution.summaries import overview, summarize
        ns = {"d": {"a": [1, 2]}, "s": "text", "f": print, "g": (i for i in range(3)), "n": 3.5}
        print(overview(ns, list(ns), 2000))
        heavy = [m for m in ("pandas", "numpy", "polars", "matplotlib", "IPython") if m in sys.modules]
        assert not heavy, heavy
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=60)


# -- huge frames: bounded and sampled by design ----------------------------------------------------------------


class Probe:
    """A value that counts how often pandas hashes it: a full pass over a column would hash every row."""

    hashes = 0

    def __hash__(self) -> int:
        Probe.hashes += 1
        return 7

    def __eq__(self, other: object) -> bool:
        return other is self

    def __repr__(self) -> str:
        return "Probe()"


def test_five_million_row_frame_is_summarized_from_a_bounded_sample() -> None:
    n = 5_000_000
    probe = Probe()
    df = pd.DataFrame({"id": np.arange(n), "probe": np.full(n, probe, dtype=object)})
    Probe.hashes = 0
    text = summarize(df, 2000)
    assert len(text) <= 2000
    assert "5,000,000 rows × 2 columns" in text
    assert "(statistics from a sample of" in text and "of 5,000,000 rows: head, tail, random)" in text
    assert "probe: object" in text and "top Probe()" in text
    assert 0 < Probe.hashes <= SAMPLE_ROWS  # the top values were counted on the sample only
    Probe.hashes = 0
    series_text = summarize(df["probe"], 1000)
    assert "sample" in series_text and 0 < Probe.hashes <= SAMPLE_ROWS


def test_sample_statistics_are_labelled_as_such() -> None:
    text = summarize(pd.DataFrame({"v": np.zeros(SAMPLE_ROWS * 3)}))
    assert "statistics from a sample of" in text and f"of {SAMPLE_ROWS * 3:,} rows" in text
    assert "v: float64" in text


# -- the namespace overview and changed-variable descriptions ---------------------------------------------------


def _namespace() -> dict[str, Any]:
    return {
        "n": 1,
        "label": "quarterly",
        "helper": _mixed_frame,
        "arr": np.arange(10),
        "sales": _mixed_frame(),
        "costs": pd.DataFrame({"c": [1.0, 2.0]}),
        "config": {"alpha": 0.1},
    }


def test_overview_puts_dataframes_first_then_arrays_then_the_rest() -> None:
    ns = _namespace()
    names = ["n", "label", "helper", "arr", "costs", "sales", "config"]  # most recent first
    text = overview(ns, names, 4000)
    assert len(text) <= 4000
    starts = {name: text.index(f"\n{name}: ") if not text.startswith(f"{name}: ") else 0 for name in names}
    assert starts["costs"] < starts["sales"] < starts["arr"] < starts["n"] < starts["label"] < starts["config"]
    assert "price: float64" in text and "label: str, 9 chars = 'quarterly'" in text


def test_overview_focus_comes_first_with_a_larger_share() -> None:
    ns = {f"{name}": pd.DataFrame(np.ones((5, 100))).add_prefix(name) for name in ("sales", "other")} | {"n": 1}
    names = ["sales", "other", "n"]
    plain = overview(ns, names, 3000)
    focused = overview(ns, names, 3000, focus=["other"])
    assert plain.startswith("sales: ") and focused.startswith("other: ")
    other_part, sales_part = focused.split("\n\n")[:2]
    assert sales_part.startswith("sales: ") and len(other_part) > 1.3 * len(sales_part)
    assert len(plain) <= 3000 and len(focused) <= 3000


@pytest.mark.parametrize("limit", [100, 400, 1000, 3000])
def test_overview_fits_any_budget_and_names_what_did_not_fit(limit: int) -> None:
    ns = {f"v{i}": i for i in range(500)} | {"big": BIG_STRING, "frame": _mixed_frame()}
    text = overview(ns, list(ns), limit)
    assert len(text) <= limit
    if limit >= 400:
        assert "more: " in text


def test_describe_covers_named_variables_within_budget() -> None:
    ns = _namespace()
    text = describe(ns, ["sales", "n", "gone"], 1200)
    assert len(text) <= 1200
    assert text.startswith("sales: pandas.DataFrame") and "\n\nn: int = 1" in text and "gone" not in text
    assert describe(ns, [], 500) == ""


def test_text_columns_count_their_values_without_the_missing_ones() -> None:
    df = pd.DataFrame({"city": ["Oslo", None, "Rome", "Oslo", float("nan"), "Lima", "Oslo", "Rome"]})
    text = summarize(df)
    assert "city: str, 2 null, " in text and "3 distinct; top 'Oslo' 3, 'Rome' 2, 'Lima' 1" in text
