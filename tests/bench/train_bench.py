"""make bench-train: CreativeIQ's gradient-boosted trees (forust-ml) and
random forest (smartcore) beside XGBoost and scikit-learn's random forest,
on the same generated data and the same train/test split.

The data: ROWS rows (default 100,000) x 30 uniform features; the target is
Friedman's first function of the first five, scaled to 0..100, plus noise
(the ceiling R² is printed). The last 20% of the rows are the test set.
Every learner gets the same hyperparameters and two threads.

Environment: TRAIN_BENCH (the Rust bench binary), ROWS, FEATURES.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROWS = int(os.environ.get("ROWS", "100000"))
FEATURES = int(os.environ.get("FEATURES", "30"))
NOISE = 3.0
THREADS = 2

BOOSTING = {"iterations": 300, "learning_rate": 0.1, "max_depth": 6, "l2": 1.0,
            "min_leaf_weight": 1.0, "nbins": 256}
FOREST = {"n_trees": 100, "feature_fraction": 0.33, "min_samples_leaf": 5}


def generate(seed=7):
    rng = np.random.default_rng(seed)
    x = rng.random((ROWS, FEATURES))
    f = (10 * np.sin(np.pi * x[:, 0] * x[:, 1]) + 20 * (x[:, 2] - 0.5) ** 2
         + 10 * x[:, 3] + 5 * x[:, 4]) * 3.3
    y = np.clip(f + rng.normal(0, NOISE, ROWS), 0, 100)
    is_test = np.arange(ROWS) >= int(ROWS * 0.8)
    ceiling = 1 - np.mean((y[is_test] - np.clip(f[is_test], 0, 100)) ** 2) / np.var(y[is_test])
    return x, y, is_test, ceiling


def r2(actual, predicted):
    return 1 - np.sum((actual - predicted) ** 2) / np.sum((actual - actual.mean()) ** 2)


def rust(path):
    boosting = {"boosting": {
        "growth": "depth_wise", "iterations": BOOSTING["iterations"],
        "learning_rate": BOOSTING["learning_rate"], "max_depth": BOOSTING["max_depth"],
        "max_leaves": 2 ** 32, "l2": BOOSTING["l2"], "min_leaf_weight": BOOSTING["min_leaf_weight"],
        "subsample": 1.0, "colsample_bytree": 1.0}}
    forest = {"forest": {
        "n_trees": FOREST["n_trees"], "max_depth": None,
        "min_samples_leaf": FOREST["min_samples_leaf"], "feature_fraction": FOREST["feature_fraction"]}}
    binary = os.environ.get("TRAIN_BENCH", "target/release/examples/train_bench")
    out = subprocess.run([binary, path, json.dumps(boosting), json.dumps(forest)],
                         check=True, capture_output=True, text=True,
                         env={**os.environ, "RAYON_NUM_THREADS": str(THREADS)})
    return {r["model"]: r for r in map(json.loads, out.stdout.splitlines())}


def peers(x, y, is_test):
    import xgboost
    from sklearn.ensemble import RandomForestRegressor
    train, test = ~is_test, is_test
    results = {}
    started = time.perf_counter()
    model = xgboost.XGBRegressor(
        n_estimators=BOOSTING["iterations"], learning_rate=BOOSTING["learning_rate"],
        max_depth=BOOSTING["max_depth"], reg_lambda=BOOSTING["l2"],
        min_child_weight=BOOSTING["min_leaf_weight"], max_bin=BOOSTING["nbins"],
        tree_method="hist", n_jobs=THREADS, random_state=42)
    model.fit(x[train], y[train])
    seconds = time.perf_counter() - started
    results["gradient_boosting"] = {"seconds": seconds, "r2": r2(y[test], model.predict(x[test])),
                                    "peer": f"xgboost {xgboost.__version__} (hist)"}
    import sklearn
    started = time.perf_counter()
    model = RandomForestRegressor(
        n_estimators=FOREST["n_trees"], max_features=FOREST["feature_fraction"],
        min_samples_leaf=FOREST["min_samples_leaf"], n_jobs=THREADS, random_state=42)
    model.fit(x[train], y[train])
    seconds = time.perf_counter() - started
    results["random_forest"] = {"seconds": seconds, "r2": r2(y[test], model.predict(x[test])),
                                "peer": f"scikit-learn {sklearn.__version__} RandomForestRegressor"}
    return results


def main():
    x, y, is_test, ceiling = generate()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.parquet")
        columns = {f"f{j}": x[:, j] for j in range(FEATURES)}
        columns["y"] = y
        columns["is_test"] = is_test
        pq.write_table(pa.table(columns), path)
        ours = rust(path)
    theirs = peers(x, y, is_test)
    print(f"train bench: {ROWS:,} rows x {FEATURES} features, {int(is_test.sum()):,} test rows, "
          f"{THREADS} threads; ceiling R2 {ceiling:.3f}")
    print(f"{'model':<18} {'creativeiq s':>12} {'R2':>7} {'peer s':>9} {'peer R2':>8} "
          f"{'time ratio':>10} {'R2 ratio':>9}  peer")
    for name in ("gradient_boosting", "random_forest"):
        a, b = ours[name], theirs[name]
        print(f"{name:<18} {a['seconds']:>12.2f} {a['r2']:>7.3f} {b['seconds']:>9.2f} {b['r2']:>8.3f} "
              f"{a['seconds'] / b['seconds']:>10.2f} {a['r2'] / b['r2']:>9.3f}  {b['peer']}")
    print("time ratio = creativeiq / peer (below 1: faster); R2 ratio = creativeiq / peer")


if __name__ == "__main__":
    sys.exit(main())
