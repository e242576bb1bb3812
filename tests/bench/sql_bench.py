"""make bench-sql: the validation suite (`creativeiq validate`: the views of
sql/views and every check of sql/checks) over a lake of 10,000,000 generated
posts, beside DuckDB running the same SQL over the same Parquet files.

The lake (bench-out/sql/lake, reused while BENCH_POSTS is unchanged) holds
raw.posts partitioned by platform and day over 120 days, one image per post
in raw.images, 20,000 A/B tests and 10,000 annotations, with a few problems
planted at about 0.05% (negative counts, likes above impressions, missing
and undecodable images, missing captions, duplicate snapshots, broken A/B
splits), so every check has real work and a few failing rows.

DuckDB gets exactly the SQL creativeiq runs: `creativeiq validate --dump-sql`
writes the meta tables, the views in order and each check with its
thresholds filled in. DuckDB reads the lake through read_parquet views with
hive partitioning and gets the three statistical functions creativeiq
registers (normal_cdf, normal_quantile, chi2_sf) as Python UDFs. Both use
every core of the machine. creativeiq's time is the whole `validate` process
(start, listing, every check, writing the results to the lake); DuckDB's is
connecting, registering the lake and the views, and running every check to
its last row."""
import datetime as dt
import math
import os
import shutil
import subprocess
import sys
import time
import tomllib

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from scipy.special import gammaincc
from statistics import NormalDist

N = int(os.environ.get("BENCH_POSTS", "10000000"))
OUT = os.environ.get("BENCH_DIR", "bench-out/sql")
BIN = os.environ.get("CREATIVEIQ", "target/release/creativeiq")
LAKE = os.path.join(OUT, "lake")
DAYS = 120
START = dt.date(2024, 1, 1)
AS_OF = (START + dt.timedelta(days=DAYS)).isoformat()
COLLECTED = dt.datetime(2024, 5, 2, tzinfo=dt.timezone.utc)
PLATFORMS = ["instagram", "facebook", "linkedin", "tiktok", "x", "dribbble", "behance"]
SHARES = np.array([0.35, 0.20, 0.15, 0.15, 0.08, 0.04, 0.03])
TYPES = {"utf8": pa.string(), "int64": pa.int64(), "int32": pa.int32(), "float64": pa.float64(),
         "boolean": pa.bool_(), "timestamp": pa.timestamp("us", tz="UTC")}


def file_schema(table):
    """The Parquet schema of a table, from its contract in schemas/tables."""
    with open(f"schemas/tables/{table.replace('.', '_')}.toml", "rb") as f:
        contract = tomllib.load(f)
    return pa.schema([pa.field(c["name"], TYPES[c["type"]], c.get("nullable", True))
                      for c in contract["columns"] if not c.get("partition")])


def write(table, rows, partitions, name):
    """Writes a pyarrow table into the lake, one file per partition."""
    schema = file_schema(table)
    part_schema = pa.schema([(p, pa.string()) for p in partitions])
    full = pa.schema(list(schema) + list(part_schema))
    ds.write_dataset(
        pa.table(rows, schema=full), os.path.join(LAKE, *table.split(".")), format="parquet",
        partitioning=ds.partitioning(part_schema, flavor="hive"),
        basename_template=name + "-{i}.parquet", existing_data_behavior="overwrite_or_ignore",
        file_options=ds.ParquetFileFormat().make_write_options(compression="zstd"),
        max_rows_per_group=256 * 1024)


def hexes(ids, prefix):
    return np.char.add(prefix, np.char.mod("%016x", ids))


def generate():
    rnd = np.random.default_rng(7)
    per_day = N // DAYS
    next_id = 0
    for day in range(DAYS):
        n = per_day if day < DAYS - 1 else N - per_day * (DAYS - 1)
        ids = np.arange(next_id, next_id + n)
        next_id += n
        date = START + dt.timedelta(days=day)
        platform = rnd.choice(len(PLATFORMS), size=n, p=SHARES)
        seconds = rnd.integers(0, 86400, size=n)
        published = (np.datetime64(date.isoformat(), "us") + seconds.astype("timedelta64[s]")).astype("datetime64[us]")
        impressions = rnd.integers(2000, 200000, size=n)
        reach = (impressions * rnd.uniform(0.4, 0.95, size=n)).astype(np.int64)
        likes = (impressions * rnd.beta(2, 60, size=n)).astype(np.int64)
        comments = (likes * rnd.uniform(0, 0.08, size=n)).astype(np.int64)
        shares = (likes * rnd.uniform(0, 0.05, size=n)).astype(np.int64)
        saves = (likes * rnd.uniform(0, 0.1, size=n)).astype(np.int64)
        clicks = (impressions * rnd.uniform(0, 0.02, size=n)).astype(np.int64)
        sha = hexes(ids, "5eed" * 12)
        caption_null = rnd.random(n) < 0.0005
        # Planted problems, about 0.05% each.
        likes[rnd.random(n) < 0.0005] = -1
        over = rnd.random(n) < 0.0005
        likes[over] = impressions[over] + 10
        missing_image = rnd.random(n) < 0.0005
        post_sha = np.where(missing_image, hexes(ids, "dead" * 12), sha)
        platforms = np.array(PLATFORMS)[platform]
        posts = {
            "post_id": np.char.add(np.char.add(np.array([p[:2] for p in PLATFORMS])[platform], "_"), ids.astype(str)),
            "account_id": np.char.add("account_", (ids % 5000).astype(str)),
            "media_type": np.full(n, "image"),
            "image_url": np.char.add("https://cdn.example.com/", np.char.add(sha, ".jpg")),
            "image_sha256": post_sha,
            "published_at": pa.array(published, pa.timestamp("us", tz="UTC")),
            "collected_at": pa.array(np.full(n, np.datetime64(COLLECTED.replace(tzinfo=None), "us")), pa.timestamp("us", tz="UTC")),
            "likes": likes, "comments": comments, "shares": shares,
            "saves": pa.array(saves, mask=np.isin(platform, [1, 2, 4])),
            "clicks": pa.array(clicks, mask=~np.isin(platform, [1, 2])),
            "views": pa.array(impressions, mask=~np.isin(platform, [3, 5, 6])),
            "reach": reach, "impressions": impressions,
            "audience_size": rnd.integers(1000, 2_000_000, size=n),
            "paid": rnd.random(n) < 0.1,
            "caption": pa.array(np.char.add("post #design ", ids.astype(str)), mask=caption_null),
            "hashtag_count": pa.array(rnd.integers(0, 12, size=n).astype(np.int32)),
            "engagement_rate_reported": pa.array(np.zeros(n), mask=np.ones(n, dtype=bool)),
            "company_size": pa.array(np.full(n, "1000-5000"), mask=platform != 2),
            "industry": pa.array(np.full(n, "Technology"), mask=platform != 2),
            "source": np.full(n, "generate:sql_bench"),
            "source_record": ids,
            "platform": platforms,
            "dt": np.full(n, date.isoformat()),
        }
        write("raw.posts", posts, ["platform", "dt"], "gen")
        # The same snapshot landed again from another input: duplicates.
        dup = np.flatnonzero(rnd.random(n) < 0.0002)
        again = pa.table({k: (v.take(pa.array(dup)) if isinstance(v, pa.Array) else v[dup]) for k, v in posts.items()})
        again = again.set_column(again.schema.get_field_index("source"), "source", pa.array(np.full(len(dup), "generate:again")))
        write("raw.posts", again.to_pydict(), ["platform", "dt"], "again")
        status = np.where(rnd.random(n) < 0.0005, "truncated", "ok")
        write("raw.images", {
            "sha256": sha, "url": posts["image_url"], "bytes": rnd.integers(20_000, 2_000_000, size=n),
            "format": np.full(n, "jpeg"), "width": pa.array(np.full(n, 1080, dtype=np.int32)),
            "height": pa.array(np.full(n, 1080, dtype=np.int32)), "decode_status": status,
            "decode_error": pa.array(np.full(n, "the JPEG ends before its end-of-image marker"), mask=status == "ok"),
            "fetched_at": posts["collected_at"], "dt": np.full(n, date.isoformat()),
        }, ["dt"], "gen")
        print(f"\rgenerating: day {day + 1}/{DAYS}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    tests = 20_000
    t = np.repeat(np.arange(tests), 2)
    visitors = np.repeat(rnd.integers(1000, 100_000, size=tests), 2)
    impressions = np.where(np.tile([0, 1], tests) == 1, visitors, visitors + rnd.integers(-30, 30, size=2 * tests))
    broken = np.repeat(rnd.random(tests) < 0.01, 2) & (np.tile([0, 1], tests) == 1)
    impressions = np.where(broken, (impressions * 0.9).astype(np.int64), impressions)
    conversions = (impressions * rnd.uniform(0.01, 0.06, size=2 * tests)).astype(np.int64)
    clicks = (impressions * rnd.uniform(0.05, 0.15, size=2 * tests)).astype(np.int64)
    started = START + dt.timedelta(days=10)
    write("raw.ab_tests", {
        "test_id": np.char.add("test_", t.astype(str)), "variant": np.tile(["a", "b"], tests),
        "platform": np.full(2 * tests, "instagram"), "image_url": np.full(2 * tests, "https://cdn.example.com/ab.jpg"),
        "image_sha256": pa.array(np.full(2 * tests, ""), mask=np.ones(2 * tests, dtype=bool)),
        "started_at": pa.array(np.full(2 * tests, np.datetime64(started.isoformat(), "us")), pa.timestamp("us", tz="UTC")),
        "collected_at": pa.array(np.full(2 * tests, np.datetime64(COLLECTED.replace(tzinfo=None), "us")), pa.timestamp("us", tz="UTC")),
        "impressions": impressions, "conversions": conversions, "clicks": clicks,
        "conversion_rate": conversions / impressions, "click_through_rate": clicks / impressions,
        "recorded_significance": np.repeat(rnd.uniform(0, 1, size=tests), 2),
        "source": np.full(2 * tests, "generate:sql_bench"), "source_record": np.arange(2 * tests),
        "dt": np.full(2 * tests, started.isoformat()),
    }, ["dt"], "gen")
    k = 10_000
    scores = {c: rnd.uniform(0, 100, size=k) for c in ["overall_quality", "color_harmony", "typography", "layout", "brand_consistency"]}
    scores["typography"][:10] = 120.0
    write("raw.annotations", {
        "design_id": np.char.add("design_", np.arange(k).astype(str)), "image_url": np.full(k, "https://cdn.example.com/d.jpg"),
        "expert_id": np.char.add("expert_", (np.arange(k) % 7).astype(str)),
        "annotated_at": pa.array(np.full(k, np.datetime64(started.isoformat(), "us")), pa.timestamp("us", tz="UTC")),
        **scores, "source": np.full(k, "generate:sql_bench"), "source_record": np.arange(k),
        "dt": np.full(k, started.isoformat()),
    }, ["dt"], "gen")


def normal_cdf(x):
    return 0.5 * math.erfc(-x / math.sqrt(2))


def normal_quantile(p):
    return NormalDist().inv_cdf(p) if 0 < p < 1 else None


def chi2_sf(x, df):
    return float(gammaincc(df / 2, max(x, 0) / 2)) if df > 0 else None


def run_duckdb(sql_dir):
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads = {os.cpu_count()}; SET TimeZone = 'UTC'")
    for name, fn, args in [("normal_cdf", normal_cdf, ["DOUBLE"]), ("normal_quantile", normal_quantile, ["DOUBLE"]),
                           ("chi2_sf", chi2_sf, ["DOUBLE", "DOUBLE"])]:
        con.create_function(name, fn, args, "DOUBLE", side_effects=False)
    con.execute("CREATE SCHEMA raw")
    for table, parts in [("posts", "platform': 'VARCHAR', 'dt"), ("images", "dt"), ("ab_tests", "dt"), ("annotations", "dt")]:
        con.execute(f"CREATE VIEW raw.{table} AS SELECT * FROM read_parquet('{LAKE}/raw/{table}/**/*.parquet', "
                    f"hive_partitioning = true, hive_types = {{'{parts}': 'VARCHAR'}})")
    # The lake has no images' features here; creativeiq registers the
    # contract's empty table, so DuckDB gets the same empty table.
    con.execute("CREATE SCHEMA features; CREATE TABLE features.design "
                "(image_sha256 VARCHAR, version VARCHAR, dt VARCHAR, error VARCHAR)")
    for f in sorted(os.listdir(os.path.join(sql_dir, "views"))):
        con.execute(open(os.path.join(sql_dir, "views", f)).read())
    setup = time.perf_counter() - started
    checks = {}
    for f in sorted(os.listdir(os.path.join(sql_dir, "checks"))):
        t0 = time.perf_counter()
        rows = con.sql(open(os.path.join(sql_dir, "checks", f)).read()).to_arrow_table().num_rows
        checks[f[:-4]] = (time.perf_counter() - t0, rows)
    return time.perf_counter() - started, setup, checks


def main():
    marker = os.path.join(OUT, f"generated-{N}")
    if not os.path.exists(marker):
        shutil.rmtree(OUT, ignore_errors=True)
        os.makedirs(OUT)
        t0 = time.perf_counter()
        generate()
        open(marker, "w").close()
        print(f"generated {N:,} posts in {time.perf_counter() - t0:.0f} s into {LAKE}", file=sys.stderr)
    if "--generate-only" in sys.argv:
        return
    shutil.rmtree(os.path.join(LAKE, "quality"), ignore_errors=True)
    sql_dir = os.path.join(OUT, "sql")
    shutil.rmtree(sql_dir, ignore_errors=True)
    subprocess.run([BIN, "--lake", LAKE, "validate", "--as-of", AS_OF, "--dump-sql", sql_dir], check=True, capture_output=True)

    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", BIN, "--quiet", "--lake", LAKE, "validate", "--as-of", AS_OF],
                          capture_output=True, text=True)
    ours = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"creativeiq validate failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    ours_rss = int(proc.stderr.strip().splitlines()[-1])
    print(proc.stdout)
    per_check = subprocess.run(
        [BIN, "--lake", LAKE, "sql", "SELECT check_name, seconds, failed_rows FROM quality.check_results ORDER BY check_name",
         "--format", "csv"], check=True, capture_output=True, text=True).stdout.splitlines()[1:]
    ours_checks = {line.split(",")[0]: (float(line.split(",")[1]), int(line.split(",")[2])) for line in per_check}

    theirs, setup, their_checks = run_duckdb(sql_dir)
    print(f"validation suite over {N:,} posts ({DAYS} days x {len(PLATFORMS)} platforms, {os.cpu_count()} cores)")
    print(f"{'check':<18} {'creativeiq s':>12} {'duckdb s':>10} {'ratio':>7} {'rows (ours/duckdb)':>22}")
    for name in sorted(ours_checks):
        a, ra = ours_checks[name]
        b, rb = their_checks.get(name, (float("nan"), -1))
        mark = "" if ra == rb else "  (row counts differ!)"
        print(f"{name:<18} {a:>12.2f} {b:>10.2f} {a / b:>7.2f} {f'{ra}/{rb}':>22}{mark}")
    print(f"{'total':<18} {ours:>12.2f} {theirs:>10.2f} {ours / theirs:>7.2f}   "
          f"(creativeiq: whole process, peak RSS {ours_rss / 1024:.0f} MiB; duckdb: setup {setup:.2f} s + checks)")
    print(f"ratio creativeiq / duckdb = {ours / theirs:.2f} (below 1: creativeiq is faster)")


if __name__ == "__main__":
    main()
