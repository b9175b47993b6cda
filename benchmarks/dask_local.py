"""Time `criteria_nlp.dask.annotate_to_jsonl` on a local Dask cluster, against `annotate`.

    python benchmarks/dask_local.py [--workers 2] [--times 5] [--blocksize 500000]

The ctgov-raw corpus repeated `--times` times is written as one JSONL file and annotated
(whole pipeline) three ways, wall time each: the `annotate` command in one process, the
`annotate` command with `--n-process WORKERS`, and a local cluster of WORKERS one-thread
worker processes (cluster start included). The outputs must hold the same lines. The
speed-up of the cluster over one process, divided by the number of workers, is the
efficiency a projection to a larger cluster can use (README, Speed). Needs the dask extra.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> int:
    import run as bench  # benchmarks/run.py: the corpus as the benchmark reads it
    from dask.distributed import Client, LocalCluster

    import criteria_nlp.dask as on_dask

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--times", type=int, default=5, help="corpus repeats (default 5: 5,990 documents)")
    parser.add_argument("--blocksize", type=int, default=500_000, help="JSONL bytes per partition")
    args = parser.parse_args()
    items = bench.load_corpus(bench.default_corpus_path())
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "records.jsonl"
        with source.open("w", encoding="utf-8") as out:
            for doc_id, text in bench._stream(items, args.times):
                out.write(json.dumps({"id": doc_id, "text": text}) + "\n")
        walls = {}
        for procs in (1, args.workers):
            walls[f"annotate, {procs} process(es)"] = bench._wall(
                [sys.executable, "-m", "criteria_nlp", "annotate", str(source), "--output",
                 str(Path(scratch) / f"local{procs}.jsonl"), "--n-process", str(procs)])
        start = time.perf_counter()
        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster):
            files = on_dask.annotate_to_jsonl([source], Path(scratch) / "dask", blocksize=args.blocksize)
        walls[f"dask, {args.workers} workers"] = time.perf_counter() - start
        local = (Path(scratch) / "local1.jsonl").read_text(encoding="utf-8").splitlines()
        joined = [line for f in files for line in Path(f).read_text(encoding="utf-8").splitlines()]
        same = local == joined
    one = walls["annotate, 1 process(es)"]
    print(f"{len(local):,} documents; dask: {len(files)} partitions; output the same as one process: {same}")
    for name, seconds in walls.items():
        print(f"  {name:<28}{seconds:8.1f} s  {one / seconds:5.2f}x one process")
    dask_speedup = one / walls[f"dask, {args.workers} workers"]
    print(f"  dask efficiency per worker: {dask_speedup / args.workers:.2f}")
    return 0 if same else 1


if __name__ == "__main__":  # the workers are processes: the guard keeps them from rerunning this
    sys.exit(main())
