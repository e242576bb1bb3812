"""make bench-synth: render synthetic designs with `creativeiq synth` (release)
and, on the same machine in the same run, render comparable designs with
Pillow (the usual Python way), printing designs per second for both.

The peer draws what a synth design holds: a two-colour gradient background,
decorative shapes, a shaded focal disc, a headline, body lines and a
call-to-action button in a TrueType face, at the same native sizes, saved as
PNG with fast compression, on as many processes as creativeiq has threads.
"""

import os
import random
import shutil
import subprocess
import sys
import time
from multiprocessing import Pool

DESIGNS = int(os.environ.get("SYNTH_DESIGNS", "10000"))
PEER_DESIGNS = int(os.environ.get("PEER_DESIGNS", "1000"))
BIN = os.environ.get("CREATIVEIQ", "target/release/creativeiq")
OUT = os.environ.get("SYNTH_BENCH_OUT", "bench-out/synth")
SIZES = [(1080, 1080), (1080, 1350), (1080, 1920), (1200, 627), (1200, 630), (1600, 900), (1200, 675), (1600, 1200)]
WORKERS = os.cpu_count() or 1


def ensure_pillow():
    try:
        import PIL  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "pillow"], check=True)


def peer_design(i):
    from PIL import Image, ImageDraw, ImageFont

    rng = random.Random(i)
    w, h = SIZES[rng.randrange(len(SIZES))]
    c1 = tuple(rng.randrange(256) for _ in range(3))
    c2 = tuple(rng.randrange(256) for _ in range(3))
    gradient = Image.linear_gradient("L").resize((w, h))
    img = Image.composite(Image.new("RGB", (w, h), c2), Image.new("RGB", (w, h), c1), gradient)
    draw = ImageDraw.Draw(img, "RGBA")
    m = min(w, h)
    for _ in range(8):
        r = int(m * rng.uniform(0.03, 0.16))
        x, y = rng.randrange(w), rng.randrange(h)
        colour = tuple(rng.randrange(256) for _ in range(3)) + (200,)
        if rng.random() < 0.5:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
        else:
            draw.rounded_rectangle((x - r, y - r // 2, x + r, y + r // 2), radius=r // 4, fill=colour)
    cx, cy, r = int(w * 2 / 3), int(h / 3), int(m * 0.18)
    for k in range(12):  # a shaded disc: concentric steps towards the highlight
        t = k / 12
        rr = int(r * (1 - t * 0.6))
        shade = tuple(int(v * (0.5 + 0.5 * t)) for v in c2)
        draw.ellipse((cx - rr - int(t * r * 0.3), cy - rr - int(t * r * 0.3), cx + rr, cy + rr), fill=shade)
    headline = ImageFont.load_default(size=int(m * 0.09))
    body = ImageFont.load_default(size=int(m * 0.035))
    x0, y = int(m * 0.07), int(m * 0.07)
    draw.text((x0, y), "Grow Your Audience", font=headline, fill=(20, 20, 30))
    y += int(m * 0.14)
    for line in ["Everything you need to plan, build", "and ship in one place."]:
        draw.text((x0, y), line, font=body, fill=(40, 40, 50))
        y += int(m * 0.05)
    draw.rounded_rectangle((x0, y + 10, x0 + int(m * 0.25), y + 10 + int(m * 0.07)), radius=12, fill=(200, 60, 40))
    draw.text((x0 + 12, y + 18), "Shop now", font=body, fill=(255, 255, 255))
    path = os.path.join(OUT + "-peer", f"p{i:06}.png")
    img.save(path, compress_level=1)
    return os.path.getsize(path)


def main():
    ensure_pillow()
    import PIL

    shutil.rmtree(OUT, ignore_errors=True)
    shutil.rmtree(OUT + "-peer", ignore_errors=True)
    os.makedirs(OUT + "-peer")
    started = time.perf_counter()
    run = subprocess.run(
        [BIN, "synth", "--quiet", "--designs", str(DESIGNS), "--experiments", "0", "--out", OUT],
        capture_output=True,
        text=True,
    )
    ours = time.perf_counter() - started
    if run.returncode != 0:
        sys.exit(f"creativeiq synth failed: {run.stderr}")
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(run.stdout.rstrip())
    print()
    started = time.perf_counter()
    with Pool(WORKERS) as pool:
        peer_bytes = sum(pool.map(peer_design, range(PEER_DESIGNS), chunksize=8))
    peer = time.perf_counter() - started
    ours_rate, peer_rate = DESIGNS / ours, PEER_DESIGNS / peer
    print(f"{'renderer':<44}{'designs':>9}{'seconds':>10}{'designs/s':>11}{'MB written':>12}")
    print(f"{'creativeiq synth (release, ' + str(WORKERS) + ' threads)':<44}{DESIGNS:>9}{ours:>10.1f}{ours_rate:>11.1f}{size / 1e6:>12.0f}")
    print(f"{'Pillow ' + PIL.__version__ + ' (' + str(WORKERS) + ' processes)':<44}{PEER_DESIGNS:>9}{peer:>10.1f}{peer_rate:>11.1f}{peer_bytes / 1e6:>12.0f}")
    print(f"creativeiq / Pillow: {ours_rate / peer_rate:.2f}x designs per second")
    shutil.rmtree(OUT, ignore_errors=True)
    shutil.rmtree(OUT + "-peer", ignore_errors=True)


if __name__ == "__main__":
    main()
