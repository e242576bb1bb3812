"""Reference A/B statistics for tests/it/quality.rs, computed with
statsmodels and scipy (run offline; the output is committed):

    .venv/bin/pip install statsmodels scipy
    .venv/bin/python tests/data/quality/ab_reference.py

For every test in ab_cases.csv, each variant against the control (the
variant whose key sorts first): the pooled two-proportion z-test on
conversions and on clicks (statsmodels proportions_ztest), the 95% Wald
interval of the difference (statsmodels confint_proportions_2indep,
method="wald"), and the sample-ratio-mismatch chi-square test of the test's
impressions against an equal split (scipy chisquare)."""
import csv
import os
from collections import defaultdict

from scipy.stats import chisquare
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

HERE = os.path.dirname(os.path.abspath(__file__))
tests = defaultdict(list)
with open(os.path.join(HERE, "ab_cases.csv")) as f:
    for row in csv.DictReader(f):
        tests[row["test_id"]].append(row)

with open(os.path.join(HERE, "ab_reference.csv"), "w", newline="") as f:
    out = csv.writer(f, lineterminator="\n")
    out.writerow(["test_id", "variant", "z", "p_value", "ci_low", "ci_high", "ctr_p_value", "srm_p_value"])
    for test_id, arms in sorted(tests.items()):
        arms.sort(key=lambda r: r["variant"])
        control = arms[0]
        srm = chisquare([int(a["impressions"]) for a in arms]).pvalue
        n1 = int(control["impressions"])
        for arm in arms[1:]:
            n2 = int(arm["impressions"])
            z, p = proportions_ztest([int(arm["conversions"]), int(control["conversions"])], [n2, n1])
            _, ctr_p = proportions_ztest([int(arm["clicks"]), int(control["clicks"])], [n2, n1])
            low, high = confint_proportions_2indep(
                int(arm["conversions"]), n2, int(control["conversions"]), n1, method="wald", compare="diff", alpha=0.05
            )
            out.writerow([test_id, arm["variant"], repr(float(z)), repr(float(p)), repr(float(low)), repr(float(high)), repr(float(ctr_p)), repr(float(srm))])
