"""The smoke set's questions, written in InfiAgent-DABench's style (our own words, tables and values)."""

from __future__ import annotations

QUESTIONS: dict[int, dict[str, object]] = {
    1: {
        "question": "What is the mean revenue per order, where an order's revenue is its units times its unit_price?",
        "concepts": ["Summary Statistics", "Feature Engineering"],
        "constraints": "Compute the revenue of every order, returned ones included. Round the mean to two decimal places.",
        "format": '@mean_revenue[value] where "value" is a number rounded to two decimal places.',
        "file_name": "sales.csv",
        "level": "easy",
    },
    2: {
        "question": "Which region has the highest total revenue (units times unit_price), and what is that total?",
        "concepts": ["Summary Statistics"],
        "constraints": "Leave out returned orders (returned == 'yes'). Round the total to two decimal places.",
        "format": '@top_region[region] @top_region_revenue[value] where "region" is the region\'s name as written in '
                  'the data and "value" is a number rounded to two decimal places.',
        "file_name": "sales.csv",
        "level": "easy",
    },
    3: {
        "question": "Which month of 2024 had the most orders, and how many units were sold in that month?",
        "concepts": ["Feature Engineering", "Summary Statistics"],
        "constraints": "Group orders by the calendar month of their date, returned orders included. If months tie, "
                       "take the earliest.",
        "format": '@busiest_month[month] @units_in_month[units] where "month" is written YYYY-MM and "units" is an '
                  "integer.",
        "file_name": "sales.csv",
        "level": "medium",
    },
    4: {
        "question": "Find the salary outliers with the interquartile range rule. How many are there, and what is "
                    "their mean salary?",
        "concepts": ["Outlier Detection"],
        "constraints": "Q1 and Q3 are the 25th and 75th percentiles with linear interpolation (pandas' default "
                       "quantile). A salary below Q1 - 1.5*IQR or above Q3 + 1.5*IQR is an outlier.",
        "format": '@outlier_count[count] @outlier_mean_salary[value] where "count" is an integer and "value" is a '
                  "number rounded to two decimal places.",
        "file_name": "employees.csv",
        "level": "medium",
    },
    5: {
        "question": "What are the mean and the standard deviation of the students' scores?",
        "concepts": ["Summary Statistics"],
        "constraints": "Use the population standard deviation (divide by n, ddof=0). Round both values to two "
                       "decimal places.",
        "format": '@mean_score[mean] @std_score[std] where "mean" and "std" are numbers rounded to two decimal places.',
        "file_name": "students.csv",
        "level": "easy",
    },
    6: {
        "question": "How many temperature readings are missing, and what is the mean of the temperatures that are "
                    "present?",
        "concepts": ["Comprehensive Data Preprocessing", "Summary Statistics"],
        "constraints": "A missing reading is an empty cell in the temperature column. Leave the missing readings "
                       "out of the mean; round it to two decimal places.",
        "format": '@missing_temperature[count] @mean_temperature[value] where "count" is an integer and "value" is a '
                  "number rounded to two decimal places.",
        "file_name": "sensors.csv",
        "level": "easy",
    },
    7: {
        "question": "How strongly are study hours and scores correlated?",
        "concepts": ["Correlation Analysis"],
        "constraints": "Use the Pearson correlation coefficient r between study_hours and score, rounded to two "
                       "decimal places. Call the relationship strong when |r| >= 0.7, moderate when "
                       "0.4 <= |r| < 0.7, and weak otherwise.",
        "format": '@r_hours_score[r] @relationship[strength] where "r" is a number between -1 and 1 rounded to two '
                  'decimal places and "strength" is one of strong, moderate, weak.',
        "file_name": "students.csv",
        "level": "medium",
    },
    8: {
        "question": "Give each student a grade from their score: A for 85 and above, B for 70 up to 85, C for 50 up "
                    "to 70, F below 50. How many students get each grade?",
        "concepts": ["Feature Engineering"],
        "constraints": "A score on a boundary gets the higher grade (70.0 is a B).",
        "format": '@count_A[n] @count_B[n] @count_C[n] @count_F[n] where each "n" is an integer.',
        "file_name": "students.csv",
        "level": "medium",
    },
    9: {
        "question": "Fit a least-squares line predicting score from study_hours. What are its slope and intercept, "
                    "and what score does it predict for 10 hours of study?",
        "concepts": ["Machine Learning", "Correlation Analysis"],
        "constraints": "Use ordinary least squares on all rows, one predictor, with an intercept. Round each value "
                       "to two decimal places only at the end.",
        "format": '@slope[value] @intercept[value] @predicted_score_10h[value] where each "value" is a number '
                  "rounded to two decimal places.",
        "file_name": "students.csv",
        "level": "hard",
    },
    10: {
        "question": "Which department has the lowest median salary, and what is that median?",
        "concepts": ["Summary Statistics"],
        "constraints": "Compute the median over every employee of each department, outliers included.",
        "format": '@lowest_median_department[name] @lowest_median_salary[value] where "name" is the department as '
                  'written in the data and "value" is a number rounded to two decimal places.',
        "file_name": "employees.csv",
        "level": "easy",
    },
    11: {
        "question": "Is the distribution of humidity symmetric?",
        "concepts": ["Distribution Analysis"],
        "constraints": "Measure skewness with the adjusted Fisher-Pearson coefficient (what pandas' skew() "
                       "computes). Call the distribution symmetric when |skewness| < 0.5.",
        "format": '@humidity_skew[value] @is_symmetric[answer] where "value" is rounded to two decimal places and '
                  '"answer" is yes or no.',
        "file_name": "sensors.csv",
        "level": "medium",
    },
    12: {
        "question": "Fill each missing temperature with the median temperature of its own sensor, then give each "
                    "sensor's mean temperature.",
        "concepts": ["Comprehensive Data Preprocessing", "Summary Statistics"],
        "constraints": "Take each sensor's median over its readings that are present. Round the means to two "
                       "decimal places.",
        "format": '@mean_temp_s1[value] @mean_temp_s2[value] @mean_temp_s3[value] where each "value" is a number '
                  "rounded to two decimal places.",
        "file_name": "sensors.csv",
        "level": "medium",
    },
    13: {
        "question": "What percentage of orders were returned?",
        "concepts": ["Summary Statistics"],
        "constraints": "An order is returned when its returned column is 'yes'. Give a percentage (0 to 100) "
                       "rounded to two decimal places.",
        "format": '@return_rate[value] where "value" is a percentage rounded to two decimal places.',
        "file_name": "sales.csv",
        "level": "easy",
    },
    14: {
        "question": "At which hour of the day is the mean temperature highest, over all sensors and days?",
        "concepts": ["Summary Statistics", "Feature Engineering"],
        "constraints": "Take the hour (0-23) from the timestamp; leave out missing readings.",
        "format": '@peak_hour[hour] where "hour" is an integer from 0 to 23.',
        "file_name": "sensors.csv",
        "level": "easy",
    },
}
