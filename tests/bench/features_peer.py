"""The Python peer of `make bench-features`: the pixel statistics of
FEATURES.md computed the usual Python way, with Pillow (decode), NumPy,
scikit-image (CIELAB) and OpenCV (area resize, Canny), as independent
reference implementations do.

    python features_peer.py LIST OUT.json

LIST names one image per line. Runs on BENCH_THREADS worker processes (each
library held to one thread, so N processes use N cores), writes every
image's values to OUT.json (keyed by sha256, for the agreement check) and
prints one JSON line: images, megapixels, wall and CPU seconds."""
import hashlib
import io
import json
import math
import os
import resource
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

Image.MAX_IMAGE_PIXELS = None  # the limit below applies instead
from skimage.color import rgb2lab  # noqa: E402

cv2.setNumThreads(1)


# The extractor's decode limit (DecodeLimits::default): larger images are
# refused on both sides (in float64 one would take gigabytes here).
MAX_PIXELS = 100_000_000


def canonical_rgb(data):
    """FEATURES.md canonical pixels: RGB 0..255 floats, alpha over white."""
    im = Image.open(io.BytesIO(data))
    if im.width * im.height > MAX_PIXELS:
        raise ValueError(f"{im.width}x{im.height} is above the {MAX_PIXELS} pixel limit")
    im.load()
    has_alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
    if im.mode in ("I;16", "I;16B", "I"):
        a = np.asarray(im).astype(np.float64) / 257.0
        return np.repeat(a[..., None], 3, axis=2)
    im = im.convert("RGBA" if has_alpha else "RGB")
    a = np.asarray(im).astype(np.float64)
    if has_alpha:
        alpha = a[..., 3:4] / 255.0
        return a[..., :3] * alpha + 255.0 * (1.0 - alpha)
    return a[..., :3]


def features(data):
    rgb = canonical_rgb(data)
    h, w = rgb.shape[:2]
    R, G, B = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    Y = 0.299 * R + 0.587 * G + 0.114 * B
    g8 = np.clip(np.floor(Y + 0.5), 0, 255).astype(np.uint8)
    hist = np.bincount(g8.ravel(), minlength=256).astype(np.float64)
    p = hist[hist > 0] / hist.sum()
    mx = rgb.max(axis=2)
    mn = rgb.min(axis=2)
    S = np.where(mx > 0, (mx - mn) / np.where(mx > 0, mx, 1), 0.0)
    rg = R - G
    yb = 0.5 * (R + G) - B
    lab = rgb2lab(rgb / 255.0)
    scale = 512.0 / max(h, w)
    small = rgb if scale >= 1 else cv2.resize(
        rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    Ys = 0.299 * small[..., 0] + 0.587 * small[..., 1] + 0.114 * small[..., 2]
    gs = np.clip(np.floor(Ys + 0.5), 0, 255).astype(np.uint8)
    edges = cv2.Canny(gs, 100, 200)
    return {
        "width": w, "height": h, "aspect_ratio": w / h,
        "brightness": float(Y.mean() / 255.0),
        "contrast_rms": float(Y.std() / 255.0),
        "grey_entropy": float(-(p * np.log2(p)).sum()),
        "saturation_mean": float(S.mean()), "saturation_std": float(S.std()),
        "colorfulness": float(math.sqrt(rg.std() ** 2 + yb.std() ** 2)
                              + 0.3 * math.sqrt(rg.mean() ** 2 + yb.mean() ** 2)),
        "lab_l_mean": float(lab[..., 0].mean()), "lab_a_mean": float(lab[..., 1].mean()),
        "lab_b_mean": float(lab[..., 2].mean()), "lab_l_std": float(lab[..., 0].std()),
        "edge_density": float((edges > 0).mean()),
    }


def one(path):
    with open(path, "rb") as f:
        data = f.read()
    sha = hashlib.sha256(data).hexdigest()
    try:
        return sha, features(data)
    except Exception as e:  # a bad file is reported, not fatal
        return sha, {"error": str(e)}


def main():
    from multiprocessing import Pool
    paths = [p for p in open(sys.argv[1]).read().splitlines() if p]
    threads = int(os.environ.get("BENCH_THREADS", "2"))
    start = time.perf_counter()
    with Pool(threads) as pool:
        results = dict(pool.imap_unordered(one, paths, chunksize=4))
    wall = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    ok = [r for r in results.values() if "error" not in r]
    with open(sys.argv[2], "w") as f:
        json.dump(results, f)
    print(json.dumps({
        "images": len(ok),
        "megapixels": sum(r["width"] * r["height"] for r in ok) / 1e6,
        "wall_s": wall,
        "cpu_s": own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime,
        "peak_worker_kib": kids.ru_maxrss,
    }))


if __name__ == "__main__":
    main()
