"""make bench-import: `creativeiq import` of 1,000,000 seed-format post records
from NDJSON, beside pyarrow's read_json + write_table (zstd) on the same file.

Prints records per second, wall time and peak memory (max RSS) of each, and
the ratio. Each side runs in its own process so its peak memory is its own.

A second pyarrow line writes the same hive partitions as the lake
(platform, day: about 2,300 files of ~430 rows), for context: it shows what
the partitioning itself costs a Parquet writer.

The lakes (and pyarrow's outputs) are written to memory (/dev/shm, or
BENCH_LAKES) when the machine has it. On ext4, after thousands of files
were deleted in a directory, creating files there stays slow for minutes:
an import into bench-out/ after an earlier run's lakes were deleted spent
a second more in the kernel (1.6 s of system time instead of 0.5), even
after waiting 90 s, while the same import elsewhere on the same disk did
not. Each side is measured writing the same files to the same place."""
import glob, json, os, random, resource, shutil, subprocess, sys, time

N = int(os.environ.get("BENCH_RECORDS", "1000000"))
OUT = os.environ.get("BENCH_DIR", "bench-out/import")
BIN = os.environ.get("CREATIVEIQ", "target/release/creativeiq")
LAKES = os.environ.get("BENCH_LAKES") or (
    "/dev/shm/creativeiq-bench-import" if os.path.isdir("/dev/shm") else OUT)
PLATFORMS = ["instagram", "linkedin", "facebook", "tiktok", "x", "dribbble", "behance"]


def generate(path):
    rnd = random.Random(7)
    with open(path, "w") as f:
        for i in range(N):
            day = rnd.randrange(365)
            month, dom = 1 + day // 31 % 12, 1 + day % 28
            f.write(json.dumps({
                "id": f"post_{i}",
                "platform": PLATFORMS[i % 7],
                "image_url": f"https://cdn.example.com/img/{i:08d}.jpg",
                "engagement_metrics": {
                    "likes": rnd.randrange(5000), "comments": rnd.randrange(300),
                    "shares": rnd.randrange(200), "saves": rnd.randrange(400),
                    "reach": 10000 + rnd.randrange(90000), "impressions": 20000 + rnd.randrange(200000),
                },
                "audience_size": 1000 + rnd.randrange(1000000),
                "posting_time": f"2024-{month:02d}-{dom:02d}T{rnd.randrange(24):02d}:{rnd.randrange(60):02d}:00Z",
            }) + "\n")


def timed(cmd):
    """Runs cmd under GNU time; returns wall seconds, stdout and peak RSS in KiB."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return wall, proc.stdout, int(proc.stderr.strip().splitlines()[-1])


PYARROW_PARTITIONED = r"""
import resource, sys, pyarrow.json as pj, pyarrow.parquet as pq, pyarrow.compute as pc
_, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
table = pj.read_json(sys.argv[1])
table = table.append_column("dt", pc.utf8_slice_codeunits(table["posting_time"].cast("string"), 0, 10))
# Sorted, and every partition's file open at once: otherwise the dataset
# writer starts a new file for each input batch that touches a partition
# (80,000 files here).
table = table.sort_by([("platform", "ascending"), ("dt", "ascending")])
pq.write_to_dataset(table, sys.argv[2], partition_cols=["platform", "dt"], compression="zstd",
                    max_partitions=100_000, max_open_files=100_000)
print(table.num_rows)
"""

PYARROW = r"""
import sys, pyarrow.json as pj, pyarrow.parquet as pq
table = pj.read_json(sys.argv[1])
pq.write_table(table, sys.argv[2], compression="zstd")
print(table.num_rows)
"""


def main():
    os.makedirs(OUT, exist_ok=True)
    data = os.path.join(OUT, f"posts-{N}.ndjson")
    if not os.path.exists(data):
        print(f"generating {N:,} records into {data} ...", flush=True)
        generate(data)
    size_mb = os.path.getsize(data) / 1e6
    os.makedirs(LAKES, exist_ok=True)
    lake = os.path.join(LAKES, f"lake-{time.time_ns()}")
    partitioned = os.path.join(LAKES, f"pyarrow-partitioned-{time.time_ns()}")
    single = os.path.join(LAKES, "pyarrow.parquet")

    wall_c, out, peak_c = timed([BIN, "--lake", lake, "--quiet", "import", data])
    landed = int(out.strip().splitlines()[1].split()[-2])
    assert landed == N, f"landed {landed} of {N}: {out}"
    wall_p, out, peak_p = timed([sys.executable, "-c", PYARROW, data, single])
    assert int(out) == N
    wall_q, out, peak_q = timed([sys.executable, "-c", PYARROW_PARTITIONED, data, partitioned])
    assert int(out) == N
    files_c = len(glob.glob(os.path.join(lake, "raw/posts/*/*/*.parquet")))
    files_q = len(glob.glob(os.path.join(partitioned, "*/*/*.parquet")))
    for done in glob.glob(os.path.join(LAKES, "lake-*")) + glob.glob(os.path.join(LAKES, "pyarrow-partitioned-*")):
        shutil.rmtree(done, ignore_errors=True)
    if os.path.exists(single):
        os.remove(single)

    print()
    print(f"bench-import: {N:,} post records, {size_mb:,.0f} MB of NDJSON, {os.cpu_count()} cores, lakes in {LAKES}")
    print(f"{'':<44}{'seconds':>9}{'records/s':>13}{'peak MB':>10}")
    print(f"{'creativeiq import (validated, partitioned)':<44}{wall_c:>9.2f}{N / wall_c:>13,.0f}{peak_c / 1024:>10,.0f}")
    print(f"{'pyarrow read_json + write_table (zstd)':<44}{wall_p:>9.2f}{N / wall_p:>13,.0f}{peak_p / 1024:>10,.0f}")
    print(f"{'pyarrow, the same partitions (context)':<44}{wall_q:>9.2f}{N / wall_q:>13,.0f}{peak_q / 1024:>10,.0f}")
    print(f"files: creativeiq {files_c:,}, pyarrow partitioned {files_q:,}, pyarrow 1")
    print(f"speed: creativeiq is {wall_p / wall_c:.2f}x pyarrow (above 1 is faster)")
    print(f"speed beside pyarrow writing the same partitions: {wall_q / wall_c:.2f}x")
    print(f"peak memory: creativeiq uses {peak_c / peak_p:.2f}x pyarrow's")


if __name__ == "__main__":
    main()
