"""The Python peer of `make bench-predict`: one design scored the way the
seed's prototype does it. Pillow decodes the image, NumPy, scikit-image
and OpenCV compute the 14 pixel statistics (features_peer.py), and XGBoost
predicts and explains the score (pred_contribs: tree SHAP).

    python predict_peer.py MODEL.json WIDTH IMAGE REPEAT

MODEL.json is an XGBoost model reading WIDTH columns; the statistics fill
the first 14, the rest (context, layout, text) are left missing. Prints
one JSON line: the score, the process's seconds until the model was
loaded, and the seconds of each of REPEAT designs scored after the first
(warm)."""
import json
import os
import sys
import time

STARTED = time.perf_counter()
os.environ.setdefault("OMP_NUM_THREADS", "2")

import numpy as np  # noqa: E402
import xgboost as xgb  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from features_peer import features  # noqa: E402

STATISTICS = ["brightness", "contrast_rms", "grey_entropy", "saturation_mean", "saturation_std",
              "colorfulness", "lab_l_mean", "lab_a_mean", "lab_b_mean", "lab_l_std", "edge_density",
              "width", "height", "aspect_ratio"]


def score(booster, width, path):
    with open(path, "rb") as f:
        values = features(f.read())
    row = np.full((1, width), np.nan)
    for i, name in enumerate(STATISTICS[:width]):
        row[0, i] = float(values[name])
    matrix = xgb.DMatrix(row, missing=np.nan)
    predicted = float(booster.predict(matrix)[0])
    contributions = booster.predict(matrix, pred_contribs=True)[0]
    order = np.argsort(-np.abs(contributions[:-1]))[:10]
    return predicted, [(int(i), float(contributions[i])) for i in order]


def main():
    model, width, image, repeat = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    booster = xgb.Booster()
    booster.load_model(model)
    loaded = time.perf_counter() - STARTED
    first, _ = score(booster, width, image)
    first_done = time.perf_counter() - STARTED
    warm = []
    for _ in range(repeat):
        t = time.perf_counter()
        score(booster, width, image)
        warm.append(time.perf_counter() - t)
    print(json.dumps({"score": first, "loaded_s": loaded, "first_design_s": first_done,
                      "warm_s": warm}))


if __name__ == "__main__":
    main()
