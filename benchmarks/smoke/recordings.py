'''Scripted replies for the smoke set: hand-written stand-ins for a model, one list of replies per task.

These are NOT recordings of a real model. They were written by hand to read like a capable model's replies
(inspect the table, compute, answer in the ``@name[value]`` format), so that CI can drive the whole harness —
a fresh kernel per task, the real ``%%autogpt`` path, the code really running on the CSV, the scoring —
without a network or a key. The replay backend streams them in order (``--model replay:benchmarks/smoke/replies``);
the code in them runs for real, so most answers are computed in the kernel, not typed in.

Some replies are imperfect on purpose, as real ones are:

- task 3 first uses ``.dt`` on a text column, reads the error and repairs it;
- task 8 first misspells a column, reads the ``KeyError`` and repairs it;
- task 5 is **wrong**: it ignores the constraint and uses pandas' sample standard deviation (ddof=1);
- task 14 is **wrong**: it finds the right hour but answers in prose, without the ``@peak_hour[...]`` format.

So the smoke report shows real failures and an accuracy of 12/14. ``make_smoke.py`` writes these to
``replies/<id>.json``.
'''

from __future__ import annotations

from textwrap import dedent


def step(thought: str, code: str) -> str:
    """Return one reply: a sentence of reasoning and one python block."""
    return f"{thought}\n\n```python\n{dedent(code).strip()}\n```"


LOAD_SALES = step(
    "Let me load the sales table and look at its columns first.",
    """
    import pandas as pd
    df = pd.read_csv("sales.csv")
    print(df.shape)
    print(df.head())
    print(df.dtypes)
    """,
)

LOAD_STUDENTS = step(
    "I'll start by loading the students table and checking its columns.",
    """
    import pandas as pd
    df = pd.read_csv("students.csv")
    print(df.shape)
    print(df.head())
    print(df.describe())
    """,
)

LOAD_EMPLOYEES = step(
    "First, a look at the employees table.",
    """
    import pandas as pd
    df = pd.read_csv("employees.csv")
    print(df.shape)
    print(df.head())
    print(df["department"].value_counts())
    """,
)

LOAD_SENSORS = step(
    "Let me load the sensor readings and check for missing values.",
    """
    import pandas as pd
    df = pd.read_csv("sensors.csv")
    print(df.shape)
    print(df.head())
    print(df.isna().sum())
    """,
)

REPLIES: dict[int, list[str]] = {
    1: [
        LOAD_SALES,
        step(
            "The columns are as expected. I'll compute each order's revenue and its mean over all orders.",
            """
            df["revenue"] = df["units"] * df["unit_price"]
            mean_revenue = df["revenue"].mean()
            print(len(df), mean_revenue)
            """,
        ),
        step("That is the mean over all 300 orders, returned ones included.",
             'final_answer(f"@mean_revenue[{mean_revenue:.2f}]")'),
    ],
    2: [
        LOAD_SALES,
        step(
            "Now the revenue per region, leaving out the returned orders.",
            """
            kept = df[df["returned"] == "no"].copy()
            kept["revenue"] = kept["units"] * kept["unit_price"]
            by_region = kept.groupby("region")["revenue"].sum().sort_values(ascending=False)
            print(by_region.round(2))
            """,
        ),
        step("North has the highest total revenue once returns are excluded.",
             'final_answer(f"@top_region[North] @top_region_revenue[{by_region[\'North\']:.2f}]")'),
    ],
    3: [
        LOAD_SALES,
        step(
            "I'll count orders per month from the date column.",
            """
            df["month"] = df["date"].dt.strftime("%Y-%m")
            print(df["month"].value_counts().head())
            """,
        ),
        step(
            "The date column was read as text, so `.dt` fails. I'll parse it with `pd.to_datetime` first.",
            """
            df["date"] = pd.to_datetime(df["date"])
            df["month"] = df["date"].dt.strftime("%Y-%m")
            orders = df.groupby("month").size()
            busiest = orders[orders == orders.max()].index.min()
            units = int(df.loc[df["month"] == busiest, "units"].sum())
            print(orders.sort_values(ascending=False).head(3))
            print(busiest, units)
            """,
        ),
        step("The busiest month and its units are known now.",
             'final_answer(f"@busiest_month[{busiest}] @units_in_month[{units}]")'),
    ],
    4: [
        LOAD_EMPLOYEES,
        step(
            "Now the IQR fences on salary, with pandas' default (linear) quantiles.",
            """
            q1, q3 = df["salary"].quantile([0.25, 0.75])
            iqr = q3 - q1
            low, high = q1 - 1.5 * iqr, q3 + 1.5 * iqr
            outliers = df[(df["salary"] < low) | (df["salary"] > high)]
            print(q1, q3, low, high)
            print(outliers)
            """,
        ),
        step(
            "Four employees lie above the upper fence and none below it.",
            'final_answer(f"@outlier_count[{len(outliers)}] @outlier_mean_salary[{outliers[\'salary\'].mean():.2f}]")',
        ),
    ],
    5: [
        LOAD_STUDENTS,
        step(
            "The score column is complete. I'll compute its mean and standard deviation.",
            """
            mean_score = df["score"].mean()
            std_score = df["score"].std()
            print(round(mean_score, 2), round(std_score, 2))
            """,
        ),
        step("Both values are ready.",
             'final_answer(f"@mean_score[{mean_score:.2f}] @std_score[{std_score:.2f}]")'),
    ],
    6: [
        LOAD_SENSORS,
        step(
            "Only temperature has missing readings. The mean skips them by default.",
            """
            missing = int(df["temperature"].isna().sum())
            mean_temperature = df["temperature"].mean()
            print(missing, mean_temperature)
            """,
        ),
        step("Done.",
             'final_answer(f"@missing_temperature[{missing}] @mean_temperature[{mean_temperature:.2f}]")'),
    ],
    7: [
        LOAD_STUDENTS,
        step(
            "Now the Pearson correlation between study hours and score, and its strength.",
            """
            r = df["study_hours"].corr(df["score"])
            strength = "strong" if abs(r) >= 0.7 else "moderate" if abs(r) >= 0.4 else "weak"
            print(r, strength)
            """,
        ),
        step("r is well above 0.7, a strong positive relationship.",
             'final_answer(f"@r_hours_score[{r:.2f}] @relationship[{strength}]")'),
    ],
    8: [
        LOAD_STUDENTS,
        step(
            "I'll assign the grades with `np.select`, checking the highest band first so boundaries go up.",
            """
            import numpy as np
            grade = np.select([df["Score"] >= 85, df["Score"] >= 70, df["Score"] >= 50], ["A", "B", "C"], "F")
            df["grade"] = grade
            print(df["grade"].value_counts())
            """,
        ),
        step(
            "The column is `score` in lower case, not `Score`. Fixing the name:",
            """
            df["grade"] = np.select([df["score"] >= 85, df["score"] >= 70, df["score"] >= 50], ["A", "B", "C"], "F")
            counts = df["grade"].value_counts().reindex(list("ABCF"), fill_value=0)
            print(counts)
            """,
        ),
        step("Every student has a grade; the counts add up to 200.",
             'final_answer(" ".join(f"@count_{g}[{n}]" for g, n in counts.items()))'),
    ],
    9: [
        LOAD_STUDENTS,
        step(
            "A degree-1 least-squares fit with numpy gives the slope and intercept.",
            """
            import numpy as np
            slope, intercept = np.polyfit(df["study_hours"], df["score"], 1)
            predicted = intercept + 10 * slope
            print(slope, intercept, predicted)
            """,
        ),
        step("Rounding only at the end, as asked.",
             'final_answer(f"@slope[{slope:.2f}] @intercept[{intercept:.2f}] @predicted_score_10h[{predicted:.2f}]")'),
    ],
    10: [
        LOAD_EMPLOYEES,
        step(
            "Median salary per department, lowest first:",
            'print(df.groupby("department")["salary"].median().sort_values())',
        ),
        step("Support has the lowest median salary, 62431.5.",
             'final_answer("@lowest_median_department[Support] @lowest_median_salary[62431.50]")'),
    ],
    11: [
        LOAD_SENSORS,
        step(
            "Humidity has no missing values. pandas' `skew()` is the adjusted Fisher-Pearson coefficient.",
            """
            humidity_skew = df["humidity"].skew()
            print(humidity_skew)
            print(df["humidity"].describe())
            """,
        ),
        step(
            "The skewness is far above 0.5: a long right tail, so not symmetric.",
            """
            symmetric = "yes" if abs(humidity_skew) < 0.5 else "no"
            final_answer(f"@humidity_skew[{humidity_skew:.2f}] @is_symmetric[{symmetric}]")
            """,
        ),
    ],
    12: [
        LOAD_SENSORS,
        step(
            "I'll fill each gap with its own sensor's median, then average per sensor.",
            """
            filled = df["temperature"].fillna(df.groupby("sensor")["temperature"].transform("median"))
            means = filled.groupby(df["sensor"]).mean()
            print(filled.isna().sum())
            print(means)
            """,
        ),
        step("No gaps remain.",
             'final_answer(" ".join(f"@mean_temp_{s}[{v:.2f}]" for s, v in means.items()))'),
    ],
    13: [
        LOAD_SALES,
        step(
            "The share of orders marked as returned, as a percentage:",
            """
            print(df["returned"].value_counts())
            rate = round(100 * (df["returned"] == "yes").mean(), 2)
            print(rate)
            """,
        ),
        step("20 of 300 orders were returned.", 'final_answer(f"@return_rate[{rate}]")'),
    ],
    14: [
        LOAD_SENSORS,
        step(
            "I'll take the hour from the timestamp and average the temperature per hour.",
            """
            df["hour"] = pd.to_datetime(df["timestamp"]).dt.hour
            by_hour = df.groupby("hour")["temperature"].mean()
            print(by_hour.sort_values(ascending=False).head(5))
            """,
        ),
        "The mean temperature is highest at **14:00** (about 25.4 °C on average over the three sensors and "
        "seven days), in line with an afternoon peak; 13:00 to 16:00 are all close behind.",
    ],
}
