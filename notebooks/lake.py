"""Reading a CreativeIQ lake with polars, for the notebooks beside this file.

The lake is plain Hive-partitioned Parquet (DESIGN.md, "The lake"): every
table is a folder such as ``raw/posts/platform=<p>/dt=<day>/<batch>.parquet``,
so polars scans it directly with ``hive_partitioning=True``; no CreativeIQ
code runs. The lake is the environment variable ``LAKE`` (default: the
repository's ``./lake``), a directory or an ``s3://bucket/prefix`` (with the
standard AWS environment).

A table that is not in the lake yet gives ``None`` and a line saying which
command writes it, so every notebook runs top to bottom on any lake.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

LAKE = os.environ.get("LAKE") or str(Path(__file__).resolve().parent.parent / "lake")

# The command that writes each table, for the message when it is missing.
WRITERS = {
    "raw/posts": "creativeiq import / creativeiq collect",
    "raw/ab_tests": "creativeiq import / creativeiq collect",
    "raw/images": "creativeiq collect (it fetches the images)",
    "features/design": "creativeiq features",
    "quality/check_results": "creativeiq validate",
    "quality/failed_rows": "creativeiq validate",
    "metrics/model_metrics": "creativeiq train",
    "metrics/cv_folds": "creativeiq train",
    "metrics/feature_importance": "creativeiq train",
    "metrics/holdout_predictions": "creativeiq train",
}


def _has_files(table: str) -> bool:
    if LAKE.startswith("s3://"):
        # Listing is left to polars: a missing prefix fails the scan below.
        return True
    root = Path(LAKE) / table
    return root.is_dir() and any(root.rglob("*.parquet"))


def scan(table: str, columns: list[str] | None = None) -> pl.LazyFrame | None:
    """The table at ``table`` (e.g. ``"raw/posts"``) as a lazy frame with its
    partition columns, or None (and a message) when the lake has none.

    ``columns`` keeps only those columns; files written before a column was
    added get it as null."""
    hint = WRITERS.get(table, "the pipeline")
    if not _has_files(table):
        print(f"The lake {LAKE} has no {table} table yet; {hint} writes it.")
        return None
    source = f"{LAKE.rstrip('/')}/{table}/**/*.parquet"
    try:
        frame = pl.scan_parquet(
            source,
            hive_partitioning=True,
            missing_columns="insert",
            extra_columns="ignore",
        )
        names = frame.collect_schema().names()
    except (OSError, pl.exceptions.ComputeError) as error:
        print(f"Could not read {table} from {LAKE} ({error}); {hint} writes it.")
        return None
    if columns is not None:
        frame = frame.select([c for c in columns if c in names])
    return frame


def posts() -> pl.DataFrame | None:
    """The latest snapshot of every post (the ``posts`` view of
    ``sql/views/10_posts.sql``, recomputed in polars): interactions, the rate
    denominator (impressions, then reach, then audience size) and the
    engagement rate."""
    raw = scan("raw/posts")
    if raw is None:
        return None
    counts = ["likes", "comments", "shares", "saves", "clicks"]
    names = raw.collect_schema().names()
    interactions = pl.sum_horizontal(
        [pl.col(c).fill_null(0) for c in counts if c in names]
    )
    denominator = (
        pl.when(pl.col("impressions") > 0)
        .then(pl.col("impressions"))
        .when(pl.col("reach") > 0)
        .then(pl.col("reach"))
        .when(pl.col("audience_size") > 0)
        .then(pl.col("audience_size"))
    )
    return (
        raw.filter(pl.col("post_id").is_not_null())
        .sort("collected_at", descending=True)
        .unique(subset=["platform", "post_id"], keep="first")
        .with_columns(
            interactions=interactions,
            denominator=denominator,
        )
        .with_columns(
            engagement_rate=pl.col("interactions") / pl.col("denominator"),
        )
        .collect()
    )


def labelled(posts: pl.DataFrame) -> pl.DataFrame:
    """Posts with a ``performance_score`` (``sql/views/40_labelled_posts.sql``):
    100 x (posts with a lower engagement rate + half the posts with the same
    rate) / posts, among the posts of the same platform and month (DESIGN.md,
    "The label"). Unlike the view it does not drop the posts a validation
    rule rejects beyond those without a rate."""
    return (
        posts.filter(pl.col("engagement_rate").is_not_null() & pl.col("published_at").is_not_null())
        .with_columns(month=pl.col("published_at").dt.strftime("%Y-%m"))
        .with_columns(
            performance_score=(
                (pl.col("engagement_rate").rank("average").over("platform", "month") - 0.5)
                / pl.len().over("platform", "month")
                * 100
            )
        )
    )
