"""The rows of the benchmark table, and the table as Markdown: measure, ours, baseline, ratio, target, met."""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["Row", "render"]


@dataclass(frozen=True)
class Row:
    """One figure of ours against a baseline measured in the same run (``fmt`` formats both)."""

    measure: str
    ours: float | None
    baseline: str
    theirs: float | None
    target: str = ""
    met: bool | None = None
    fmt: str = ".2f"

    @classmethod
    def note(cls, measure: str, text: str) -> Row:
        """Return a row that says why it has no figures (e.g. "no GPU lent")."""
        return cls(measure, None, text, None)

    @property
    def ratio(self) -> float | None:
        return self.ours / self.theirs if self.ours is not None and self.theirs else None

    def cells(self) -> list[str]:
        if self.ours is None:
            return [self.measure, "—", self.baseline, "—", "—", "", ""]
        ratio = f"{self.ratio:.3g}×" if self.ratio is not None else "—"
        met = "" if self.met is None else ("yes" if self.met else "NO")
        return [self.measure, format(self.ours, self.fmt), self.baseline, format(self.theirs, self.fmt), ratio,
                self.target, met]

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "ratio": self.ratio}


HEAD = ["measure", "ours", "baseline", "baseline's", "ours / baseline", "target", "met"]


def render(rows: list[Row]) -> str:
    """Return ``rows`` as one Markdown table, columns padded to their widest cell."""
    cells = [HEAD, *(r.cells() for r in rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEAD))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in cells]
    lines.insert(1, "| " + " | ".join("-" * w for w in widths) + " |")
    return "\n".join(lines)
