"""make bench-features: the feature extractor on real images from Debian
packages (mate-backgrounds: photos and abstract designs up to 5640x3172;
openclipart-png: PNG illustrations with transparency), beside a Python peer
(Pillow + NumPy + scikit-image + OpenCV, tests/bench/features_peer.py) on
the same images, both on BENCH_THREADS cores (default 2).

For each image set it prints:
- `creativeiq features` over a lake the images were imported into (import
  not timed): images/s, MP/s, MP per CPU-second, peak memory;
- the same extraction in memory (tests/bench/features_bench.rs), and
  decoding alone: the floor the extraction can approach;
- the Python peer, which computes only the 14 pixel statistics;
- where one thread's time goes, stage by stage;
- the agreement of both sides' pixel statistics within FEATURES.md's
  tolerances, image by image.

Each side runs in its own process; wall time is affected by whatever else
runs on the machine (the load average is printed), CPU time much less."""
import json
import os
import shutil
import subprocess
import sys
import time

DATA = os.environ.get("BENCH_DATA", ".data/bench/unpacked/usr/share")
OUT = os.environ.get("BENCH_DIR", "bench-out/features")
BIN = os.environ.get("CREATIVEIQ", "target/release/creativeiq")
INPROC = os.environ.get("FEATURES_BENCH", "target/release/examples/features_bench")
PY = sys.executable
THREADS = os.environ.get("BENCH_THREADS", "2")
CLIPART = int(os.environ.get("BENCH_CLIPART", "1000"))
TOLERANCES = {
    "width": 0, "height": 0, "aspect_ratio": 1e-9, "brightness": 0.005, "contrast_rms": 0.005,
    "grey_entropy": 0.02, "saturation_mean": 0.005, "saturation_std": 0.005, "colorfulness": 0.5,
    "lab_l_mean": 0.3, "lab_a_mean": 0.3, "lab_b_mean": 0.3, "lab_l_std": 0.3, "edge_density": 0.02,
}


def images_under(folder):
    found = []
    for root, _, files in os.walk(folder):
        found += [os.path.join(root, f) for f in files
                  if f.lower().rsplit(".", 1)[-1] in ("png", "jpg", "jpeg")]
    return sorted(found)


def image_sets():
    photos = images_under(os.path.join(DATA, "backgrounds"))
    clipart = images_under(os.path.join(DATA, "openclipart"))
    if not photos or not clipart:
        sys.exit(f"no images under {DATA}: run `make bench-data`")
    step = max(1, len(clipart) // CLIPART)
    return [("photos (mate-backgrounds)", "photos", photos),
            (f"illustrations (openclipart-png, every {step}th)", "clipart", clipart[::step][:CLIPART])]


def run(cmd, env=None):
    """Runs cmd under GNU time; returns wall s, CPU s, peak RSS KiB, stdout."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%U %S %M"] + cmd, capture_output=True,
                          text=True, env={**os.environ, **(env or {})})
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd[:3])} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    user, system, peak = proc.stderr.strip().splitlines()[-1].split()
    return wall, float(user) + float(system), int(peak), proc.stdout


def lake_for(key, paths):
    """A lake holding the images, imported once and kept."""
    lake = os.path.join(OUT, f"lake-{key}")
    marker = os.path.join(lake, ".imported")
    if not os.path.exists(marker):
        shutil.rmtree(lake, ignore_errors=True)
        os.makedirs(OUT, exist_ok=True)
        print(f"importing {len(paths)} images into {lake} (once) ...", flush=True)
        run([BIN, "--lake", lake, "--quiet", "import"] + paths)
        open(marker, "w").close()
    return lake


def our_rows(lake):
    proc = subprocess.run([BIN, "--lake", lake, "sql", "--format", "json",
                           "SELECT * FROM features.design WHERE error IS NULL"],
                          capture_output=True, text=True, check=True)
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    version = max(r["version"] for r in rows)
    return {r["image_sha256"]: r for r in rows if r["version"] == version}


def agreement(ours, peer):
    both = [s for s in peer if s in ours and "error" not in peer[s]]
    off = {}
    for sha in both:
        for name, tol in TOLERANCES.items():
            if abs(float(ours[sha][name]) - float(peer[sha][name])) > tol:
                off.setdefault(name, []).append(sha[:12])
    bad = {s for shas in off.values() for s in shas}
    return len(both), len(bad), off


def bench(title, key, paths):
    lake = lake_for(key, paths)
    listing = os.path.join(OUT, f"{key}.list")
    with open(listing, "w") as f:
        f.write("\n".join(os.path.abspath(p) for p in paths) + "\n")
    env = {"RAYON_NUM_THREADS": THREADS}

    wall, cpu, peak, out = run([BIN, "--lake", lake, "--quiet", "features", "--force"], env)
    line = out.strip().splitlines()[0]
    mp = float(line.split(" MP in ")[0].rsplit(" ", 1)[-1])
    n = int(line.split(" extracted")[0].rsplit(" ", 1)[-1])
    rows = [("creativeiq features (lake, every feature)", n, mp, wall, cpu, peak / 1024)]

    for mode, label in (("extract", "extraction in memory (every feature)"),
                        ("decode", "decode only: the floor")):
        wall, cpu, peak, out = run([INPROC, mode, listing], env)
        r = json.loads(out)
        rows.append((label, r["images"], r["megapixels"], r["wall_s"], r["cpu_s"], peak / 1024))

    peer_out = os.path.join(OUT, f"peer-{key}.json")
    wall, cpu, peak, out = run([PY, "tests/bench/features_peer.py", listing, peer_out],
                               {"BENCH_THREADS": THREADS})
    r = json.loads(out)
    rows.append(("python peer (14 pixel statistics)", r["images"], r["megapixels"], r["wall_s"],
                 r["cpu_s"], r["peak_worker_kib"] / 1024))

    _, _, _, out = run([INPROC, "stages", listing], {"RAYON_NUM_THREADS": "1"})
    stages = json.loads(out)["stages"]

    checked, disagreeing, off = agreement(our_rows(lake), json.load(open(peer_out)))

    print()
    print(f"== {title}: {len(paths)} images, {rows[0][2]:,.0f} megapixels, {THREADS} threads,"
          f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'':<44}{'seconds':>8}{'images/s':>10}{'MP/s':>8}{'MP/cpu-s':>10}{'peak MB':>9}")
    for label, n, mp, wall, cpu, peak_mb in rows:
        cpu = max(cpu or 0.0, 0.01)  # clock ticks are 10 ms
        print(f"{label:<44}{wall:>8.2f}{n / wall:>10.1f}{mp / wall:>8.1f}{mp / cpu:>10.1f}{peak_mb:>9.0f}")
    ours, peer = rows[0], rows[3]
    per_cpu = (ours[2] / max(ours[4], 0.01)) / (peer[2] / max(peer[4], 0.01))
    print(f"speed: creativeiq features is {ours[2] / ours[3] / (peer[2] / peer[3]):.1f}x the Python peer"
          f" in MP/s ({per_cpu:.1f}x per CPU-second), computing every feature against the peer's 14")
    print(f"decode is {rows[2][3] / rows[1][3] * 100:.0f}% of the in-memory extraction's wall time")
    total = sum(stages.values())
    print("one thread's time: " + ", ".join(f"{k} {v / total * 100:.0f}%" for k, v in stages.items()))
    print(f"agreement with the peer: {checked - disagreeing} of {checked} images within FEATURES.md's"
          f" tolerances on all 14 statistics"
          + "".join(f"; {k} off on {len(v)} ({', '.join(v[:3])})" for k, v in off.items()))
    return ours, peer


def main():
    os.makedirs(OUT, exist_ok=True)
    for title, key, paths in image_sets():
        bench(title, key, paths)


if __name__ == "__main__":
    main()
