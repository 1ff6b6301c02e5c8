"""Write the smoke set: 14 DABench-style tasks on generated CSVs, their labels, and scripted replies.

    python benchmarks/smoke/make_smoke.py            # rewrite the files next to this script
    python benchmarks/smoke/make_smoke.py --out DIR  # write them elsewhere (the tests compare the two)

Deterministic: the tables come from seeded ``random.Random`` generators and are written with fixed
formatting, so every run writes the same bytes. The labels are computed here with the standard library
(``statistics``), independently of the pandas code in the scripted replies (``recordings.py``), which the
harness really runs in a kernel. The layout is InfiAgent-DABench's dev set (``da-dev-questions.jsonl``,
``da-dev-labels.jsonl``, ``da-dev-tables/``); every question, table and value here is our own.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import statistics
import sys
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from questions import QUESTIONS  # noqa: E402
from recordings import REPLIES  # noqa: E402

Rows = list[dict[str, object]]


def sales() -> Rows:
    rng = random.Random(1401)
    prices = {"A": 4.5, "B": 12.0, "C": 25.0, "D": 7.25, "E": 60.0}
    rows: Rows = []
    for order in range(1, 301):
        product = rng.choice("ABCDE")
        rows.append({
            "order_id": order,
            "date": (date(2024, 1, 1) + timedelta(days=rng.randrange(366))).isoformat(),
            "region": rng.choices(["North", "South", "East", "West"], weights=[3, 2, 2, 3])[0],
            "product": product,
            "units": rng.randint(1, 20),
            "unit_price": f"{prices[product] * rng.uniform(0.9, 1.1):.2f}",
            "returned": "yes" if rng.random() < 0.08 else "no",
        })
    return rows


def students() -> Rows:
    rng = random.Random(1402)
    rows: Rows = []
    for sid in range(1, 201):
        hours = round(rng.uniform(0, 20), 1)
        score = min(100.0, max(0.0, 35 + 2.6 * hours + rng.gauss(0, 10)))
        rows.append({
            "student_id": f"S{sid:03d}",
            "gender": rng.choice("FM"),
            "age": rng.randint(17, 25),
            "study_hours": f"{hours:.1f}",
            "score": f"{score:.1f}",
        })
    return rows


def employees() -> Rows:
    rng = random.Random(1403)
    base = {"Engineering": 72000, "Sales": 52000, "Support": 41000, "Finance": 63000, "HR": 47000}
    rows: Rows = []
    for eid in range(1, 151):
        department = rng.choice(sorted(base))
        years = rng.randint(0, 30)
        salary = base[department] + 1500 * years + rng.gauss(0, 4000)
        if eid in (17, 58, 99, 140):  # executives: the outliers the IQR task finds
            salary = rng.uniform(240000, 320000)
        rows.append({"employee_id": eid, "department": department, "years": years, "salary": round(salary)})
    return rows


def sensors() -> Rows:
    rng = random.Random(1404)
    start = datetime(2024, 3, 1)
    rows: Rows = []
    for hour in range(168):
        for sensor, offset in (("s1", 0.0), ("s2", 1.5), ("s3", -1.0)):
            temp = 20 + offset + 5 * math.sin(2 * math.pi * (hour - 8) / 24) + rng.gauss(0, 0.8)
            humidity = 38 + 12 * rng.lognormvariate(0, 0.6)
            rows.append({
                "timestamp": (start + timedelta(hours=hour)).strftime("%Y-%m-%d %H:%M"),
                "sensor": sensor,
                "temperature": "" if rng.random() < 0.05 else f"{temp:.2f}",
                "humidity": f"{humidity:.1f}",
            })
    return rows


TABLES = {"sales.csv": sales, "students.csv": students, "employees.csv": employees, "sensors.csv": sensors}


def col(rows: Rows, name: str) -> list[float]:
    """Return the numbers of a column, skipping empty cells."""
    return [float(r[name]) for r in rows if r[name] != ""]  # type: ignore[arg-type]


def f2(x: float) -> str:
    return f"{x:.2f}"


def skew(xs: list[float]) -> float:
    """Return the adjusted Fisher-Pearson skewness (what pandas' ``skew`` computes)."""
    n, mean = len(xs), statistics.fmean(xs)
    m2 = sum((x - mean) ** 2 for x in xs) / n
    m3 = sum((x - mean) ** 3 for x in xs) / n
    return m3 / m2**1.5 * math.sqrt(n * (n - 1)) / (n - 2)


def labels(t: dict[str, Rows]) -> dict[int, list[list[str]]]:
    """Return each task's expected answers, computed from the tables with the standard library."""
    s, st, e, se = t["sales.csv"], t["students.csv"], t["employees.csv"], t["sensors.csv"]
    revenue = [float(r["units"]) * float(r["unit_price"]) for r in s]  # type: ignore[arg-type]
    kept = defaultdict(float)
    for r, rev in zip(s, revenue, strict=True):
        if r["returned"] == "no":
            kept[r["region"]] += rev
    top = max(kept, key=kept.__getitem__)
    months = Counter(str(r["date"])[:7] for r in s)
    busiest = min(months, key=lambda m: (-months[m], m))
    salary = col(e, "salary")
    q1, _, q3 = statistics.quantiles(salary, n=4, method="inclusive")
    fence = (q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1))
    outliers = [x for x in salary if not fence[0] <= x <= fence[1]]
    hours, score = col(st, "study_hours"), col(st, "score")
    r = statistics.correlation(hours, score)
    bands = Counter("A" if x >= 85 else "B" if x >= 70 else "C" if x >= 50 else "F" for x in score)
    fit = statistics.linear_regression(hours, score)
    medians = {d: statistics.median(col([x for x in e if x["department"] == d], "salary")) for d in
               sorted({str(x["department"]) for x in e})}
    low = min(medians, key=medians.__getitem__)
    temps = col(se, "temperature")
    hum = skew(col(se, "humidity"))
    filled = {}
    for sensor in ("s1", "s2", "s3"):
        values = [x["temperature"] for x in se if x["sensor"] == sensor]
        median = statistics.median(float(v) for v in values if v != "")  # type: ignore[arg-type]
        filled[sensor] = statistics.fmean(float(v) if v != "" else median for v in values)  # type: ignore[arg-type]
    by_hour = defaultdict(list)
    for x in se:
        if x["temperature"] != "":
            by_hour[int(str(x["timestamp"])[11:13])].append(float(x["temperature"]))  # type: ignore[arg-type]
    peak = max(by_hour, key=lambda h: statistics.fmean(by_hour[h]))
    return {
        1: [["mean_revenue", f2(statistics.fmean(revenue))]],
        2: [["top_region", str(top)], ["top_region_revenue", f2(kept[top])]],
        3: [["busiest_month", busiest], ["units_in_month", str(sum(int(x["units"]) for x in s  # type: ignore[call-overload]
                                                                   if str(x["date"]).startswith(busiest)))]],
        4: [["outlier_count", str(len(outliers))], ["outlier_mean_salary", f2(statistics.fmean(outliers))]],
        5: [["mean_score", f2(statistics.fmean(score))], ["std_score", f2(statistics.pstdev(score))]],
        6: [["missing_temperature", str(sum(x["temperature"] == "" for x in se))],
            ["mean_temperature", f2(statistics.fmean(temps))]],
        7: [["r_hours_score", f2(r)], ["relationship", "strong" if abs(r) >= 0.7 else "moderate" if abs(r) >= 0.4
                                        else "weak"]],
        8: [[f"count_{g}", str(bands[g])] for g in "ABCF"],
        9: [["slope", f2(fit.slope)], ["intercept", f2(fit.intercept)],
            ["predicted_score_10h", f2(fit.intercept + 10 * fit.slope)]],
        10: [["lowest_median_department", low], ["lowest_median_salary", f2(medians[low])]],
        11: [["humidity_skew", f2(hum)], ["is_symmetric", "yes" if abs(hum) < 0.5 else "no"]],
        12: [[f"mean_temp_{k}", f2(v)] for k, v in filled.items()],
        13: [["return_rate", f2(100 * sum(x["returned"] == "yes" for x in s) / len(s))]],
        14: [["peak_hour", str(peak)]],
    }


def write(out: Path) -> None:
    """Write the whole smoke set under ``out``."""
    tables = {name: make() for name, make in TABLES.items()}
    (out / "da-dev-tables").mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        with (out / "da-dev-tables" / name).open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    answers = labels(tables)
    jsonl(out / "da-dev-questions.jsonl", [{"id": i, **q} for i, q in QUESTIONS.items()])
    jsonl(out / "da-dev-labels.jsonl", [{"id": i, "common_answers": answers[i]} for i in QUESTIONS])
    (out / "replies").mkdir(exist_ok=True)
    for i, replies in REPLIES.items():
        (out / "replies" / f"{i}.json").write_text(json.dumps(replies, indent=1) + "\n", encoding="utf-8")


def jsonl(path: Path, records: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


if __name__ == "__main__":
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--out", type=Path, default=HERE, help="where to write (default: next to this script)")
    write(cli.parse_args().out)
