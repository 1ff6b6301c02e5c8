"""The scripted 10-step pandas task every framework in the benchmark table is given.

Nine replies each propose one block of pandas code (load a CSV, look at it, add a column, group, pivot, ...),
printing what a data analyst would print; the tenth is a plain prose answer (open-interpreter ends its turn on
it, our loop takes it as the answer). The CSV is generated, seeded, into the task's working folder, so every
framework reads the same file.
"""

from __future__ import annotations

import random
from pathlib import Path

__all__ = ["CODES", "FINAL", "GOAL", "STEPS", "replies", "write_data"]

GOAL = "Load sales.csv, work out revenue per region, month and product, and say which region earns the most."
ROWS = 600

CODES = [
    'import pandas as pd\nsales = pd.read_csv("sales.csv")\nprint(sales.head())',
    "print(sales.shape)\nprint(sales.dtypes)",
    'sales["revenue"] = sales["units"] * sales["price"]\nprint(sales["revenue"].describe().round(2))',
    'by_region = sales.groupby("region")["revenue"].sum().sort_values(ascending=False)\nprint(by_region.round(2))',
    'sales["month"] = pd.to_datetime(sales["date"]).dt.to_period("M")\n'
    'monthly = sales.groupby("month")["revenue"].sum()\nprint(monthly.round(2))',
    'top_products = sales.groupby("product")["units"].sum().nlargest(3)\nprint(top_products)',
    'pivot = sales.pivot_table(index="region", columns="product", values="revenue", aggfunc="sum")\n'
    "print(pivot.round(1))",
    "print(sales.isna().sum())",
    "share = (by_region / by_region.sum()).round(3)\nprint(share)",
]
FINAL = "The north region earns the most: about a third of all revenue, ahead of the west; the tables above give each figure."
STEPS = len(CODES) + 1


def replies() -> list[str]:
    """Return the ten replies: nine code steps, then the prose answer."""
    body = [f"Step {n + 1}: let me look.\n```python\n{code}\n```" for n, code in enumerate(CODES)]
    return [*body, FINAL]


def write_data(folder: Path) -> Path:
    """Write the task's ``sales.csv`` (600 seeded rows) into ``folder`` and return its path."""
    rng = random.Random(14)
    regions = ["north", "north", "west", "south", "east"]  # north twice: it earns the most, as FINAL says
    products = ["widget", "gadget", "gizmo", "doohickey"]
    lines = ["date,region,product,units,price"]
    for _ in range(ROWS):
        day = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        lines.append(f"{day},{rng.choice(regions)},{rng.choice(products)},{rng.randint(1, 40)},"
                     f"{rng.uniform(2, 60):.2f}")
    path = folder / "sales.csv"
    path.write_text("\n".join(lines) + "\n")
    return path
