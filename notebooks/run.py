"""Executes the notebooks of this folder top to bottom on a lake, or checks
that the committed notebooks carry no outputs.

    python notebooks/run.py [--lake DIR] [--out DIR] [NOTEBOOK ...]
    python notebooks/run.py --check-stripped

Executing: each notebook runs in a fresh kernel, in this folder (so
``import lake`` finds ``lake.py``), with ``LAKE`` set; a cell that raises
stops the run with the notebook, the cell and the error, exit code 1. The
executed copies (with their outputs) go to ``--out`` (default
``target/notebooks``), never over the committed files.

Checking: exit code 1 when a committed notebook has outputs or execution
counts (``make notebooks-check``; strip them with ``--strip``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent


def notebooks(names: list[str]) -> list[Path]:
    if names:
        return [(Path(n) if Path(n).exists() else HERE / n).resolve() for n in names]
    return sorted(HERE.glob("*.ipynb"))


def dirty_cells(notebook) -> list[int]:
    return [
        i
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]


def check_stripped(paths: list[Path], strip: bool) -> int:
    bad = 0
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        cells = dirty_cells(notebook)
        if not cells:
            continue
        if strip:
            for cell in notebook.cells:
                if cell.cell_type == "code":
                    cell.outputs = []
                    cell.execution_count = None
            nbformat.write(notebook, path)
            print(f"stripped {path.name}: cells {cells}")
        else:
            bad += 1
            print(f"{path.name} has outputs in cells {cells}: run `python notebooks/run.py --strip` before committing")
    return 1 if bad else 0


def execute(paths: list[Path], lake: str, out: Path) -> int:
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    os.environ["LAKE"] = lake
    # The inline backend: figures become outputs of the executed copies.
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        started = time.monotonic()
        client = NotebookClient(
            notebook,
            timeout=600,
            kernel_name="python3",
            resources={"metadata": {"path": str(HERE)}},
        )
        try:
            client.execute()
        except CellExecutionError as error:
            nbformat.write(notebook, out / path.name)
            print(f"FAILED {path.name} on {lake}:\n{error}", file=sys.stderr)
            return 1
        nbformat.write(notebook, out / path.name)
        cells = sum(1 for c in notebook.cells if c.cell_type == "code")
        print(f"ran {path.name}: {cells} cells in {time.monotonic() - started:.1f} s -> {out / path.name}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", help="notebooks to run (default: every one in notebooks/)")
    parser.add_argument("--lake", default=os.environ.get("LAKE", "lake"), help="the lake (default: $LAKE or ./lake)")
    parser.add_argument("--out", default="target/notebooks", help="where the executed copies go")
    parser.add_argument("--check-stripped", action="store_true", help="fail when a notebook has outputs")
    parser.add_argument("--strip", action="store_true", help="remove the notebooks' outputs in place")
    args = parser.parse_args()
    paths = notebooks(args.notebooks)
    if not paths:
        print("no notebooks found", file=sys.stderr)
        return 1
    if args.check_stripped or args.strip:
        return check_stripped(paths, args.strip)
    lake = args.lake if "://" in args.lake else str(Path(args.lake).resolve())
    return execute(paths, lake, Path(args.out).resolve())


if __name__ == "__main__":
    sys.exit(main())
