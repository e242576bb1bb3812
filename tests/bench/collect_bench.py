"""make bench-collect: `creativeiq collect --all` against the local platform
simulator (`creativeiq sim serve`, its images rendered before the clock
starts), beside a Python asyncio collector (tests/bench/collect_peer.py,
aiohttp + Pillow) that pages the same endpoints and downloads and checks the
same images, on the same simulator in the same run.

Prints posts per second, images per second, wall time and peak memory (max
RSS, from GNU time) of each, the best of BENCH_ROUNDS alternating rounds,
and the ratios. Both sides must collect the same posts, experiments and
images, or the bench fails."""
import json, os, shutil, signal, subprocess, sys, time

POSTS = int(os.environ.get("BENCH_POSTS", "3500"))
EXPERIMENTS = int(os.environ.get("BENCH_EXPERIMENTS", "50"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
OUT = os.path.abspath(os.environ.get("BENCH_DIR", "bench-out/collect"))
BIN = os.path.abspath(os.environ.get("CREATIVEIQ", "target/release/creativeiq"))
PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "collect_peer.py")
SINCE, UNTIL = "2026-09-01", "2026-11-01"


def timed(cmd, ok=(0,)):
    """Runs cmd under GNU time; returns wall seconds, stdout and peak RSS in KiB."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode not in ok:
        sys.exit(f"{cmd[:3]} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return wall, proc.stdout, int(proc.stderr.strip().splitlines()[-1])


def sql_count(lake, sql):
    out = subprocess.run([BIN, "--lake", lake, "sql", sql, "--format", "json"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.splitlines()[0])["n"]


def start_simulator(env_file):
    if os.path.exists(env_file):
        os.remove(env_file)
    sim = subprocess.Popen([BIN, "sim", "serve", "--port", "0", "--posts", str(POSTS),
                            "--experiments", str(EXPERIMENTS), "--prerender", "--env-file", env_file],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started = time.time()
    while not os.path.exists(env_file):
        if sim.poll() is not None:
            sys.exit(f"the simulator stopped: {sim.stderr.read()}")
        if time.time() - started > 600:
            sim.kill()
            sys.exit("the simulator did not start within 10 minutes")
        time.sleep(0.2)
    return sim, time.time() - started


def run_creativeiq(env_file, round_no):
    lake = os.path.join(OUT, f"lake-{round_no}")
    shutil.rmtree(lake, ignore_errors=True)
    # Exit status 1: done, with rejected items (there should be none here).
    wall, out, peak = timed([BIN, "--lake", lake, "--quiet", "collect", "--all", "--env-file", env_file,
                             "--since", SINCE, "--until", UNTIL], ok=(0, 1))
    rows = {line.split()[0]: [int(n) for n in line.split()[1:10]]
            for line in out.splitlines()[1:] if len(line.split()) >= 10 and line.split()[1].isdigit()}
    posts = sum(c[1] for p, c in rows.items() if p != "optimizely")
    experiments = rows["optimizely"][1]
    images = sql_count(lake, "SELECT count(*) AS n FROM raw.images")
    return wall, peak, {"posts": posts, "experiments": experiments, "images": images}


def run_peer(env_file, round_no):
    out_dir = os.path.join(OUT, f"peer-{round_no}")
    shutil.rmtree(out_dir, ignore_errors=True)
    wall, out, peak = timed([sys.executable, PEER, env_file, SINCE, UNTIL, out_dir])
    counts = json.loads(out.strip().splitlines()[-1])
    return wall, peak, {k: counts[k] for k in ("posts", "experiments", "images")}


def main():
    os.makedirs(OUT, exist_ok=True)
    env_file = os.path.join(OUT, "sim.env")
    print(f"starting the simulator ({POSTS:,} posts, {EXPERIMENTS} experiments; rendering its images) ...",
          flush=True)
    sim, startup = start_simulator(env_file)
    try:
        best = {}
        for round_no in range(ROUNDS):
            for name, run in (("creativeiq", run_creativeiq), ("peer", run_peer)):
                wall, peak, counts = run(env_file, round_no)
                print(f"  round {round_no + 1}: {name:<10} {wall:7.2f} s  {counts}", flush=True)
                if name not in best or wall < best[name][0]:
                    best[name] = (wall, peak, counts)
    finally:
        sim.send_signal(signal.SIGTERM)
        try:
            sim.wait(timeout=30)
        except subprocess.TimeoutExpired:
            sim.kill()
    ours, peer = best["creativeiq"], best["peer"]
    if ours[2] != peer[2]:
        sys.exit(f"the two collectors did not collect the same things: creativeiq {ours[2]}, peer {peer[2]}")
    posts, images = ours[2]["posts"], ours[2]["images"]
    print()
    print(f"bench-collect: {posts:,} posts on 7 platforms, {ours[2]['experiments']} experiments, "
          f"{images:,} images (PNG), from `creativeiq sim serve` on 127.0.0.1; {os.cpu_count()} cores shared "
          f"with the simulator; best of {ROUNDS} rounds (simulator start and rendering: {startup:.0f} s)")
    print(f"{'':<46}{'seconds':>9}{'posts/s':>10}{'images/s':>10}{'peak MB':>9}")
    for label, (wall, peak, _) in (("creativeiq collect --all (release)", ours),
                                   ("Python asyncio peer (aiohttp + Pillow)", peer)):
        print(f"{label:<46}{wall:>9.2f}{posts / wall:>10,.0f}{images / wall:>10,.0f}{peak / 1024:>9,.0f}")
    print(f"speed: creativeiq is {peer[0] / ours[0]:.2f}x the peer (above 1 is faster)")
    print(f"peak memory: creativeiq uses {ours[1] / peer[1]:.2f}x the peer's")


if __name__ == "__main__":
    main()
