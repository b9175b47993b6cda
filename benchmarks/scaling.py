"""Time per character and peak memory as one document grows, for real and adversarial text.

    python benchmarks/scaling.py [--sizes 1000,10000,100000,1000000] [--kinds real,ge,...]
                                 [--rules-only] [--json OUT]

Each document is annotated with `criteria_nlp.annotate_texts` (no time budget) in a Python
process of its own that loads the pipeline first and then, as `annotate` does, calls
`criteria_nlp.process.settle_for_batch()` (`gc.freeze()`, glibc's malloc keeping freed
memory), so that its peak RSS is that document's alone (the loaded pipeline included) and
its time is what `annotate` spends on it. spaCy's bare tokenizer is timed on the same text in
the same process as the reference (it is itself quadratic on long runs of prefixes such
as `<<<<`: past 20 s it is stopped and no ratio is given). A step whose cost grows faster than the text shows as
µs/char rising with the size; `x 1K` is each row's µs/char over that kind's 1,000-character
figure (per-document overhead makes the 1K figure the highest on linear steps).

Kinds: `real` is ../shared/corpora/ctgov-raw joined (eligibility text as published); the
others repeat one string: `ge` ≥, `lt` <, `dash` -, `one_dash` 1-, `digits` 0123456789,
`platelets` "platelets >= 100 ", `brackets` "(", `negations` "no ".
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

REPO_ROOT = Path(__file__).resolve().parent.parent
REAL_CORPUS = REPO_ROOT.parent / "shared" / "corpora" / "ctgov-raw"
UNITS = {"ge": "≥", "lt": "<", "dash": "-", "one_dash": "1-", "digits": "0123456789",
         "platelets": "platelets >= 100 ", "brackets": "(", "negations": "no "}
SIZES = (1_000, 10_000, 100_000, 1_000_000)
REFERENCE_LIMIT = 20.0  # seconds for the bare tokenizer; over it, the ratio is not given

def make_text(kind: str, size: int) -> str:
    """`size` characters of the kind: real eligibility text, or one string repeated."""
    if kind == "real":
        unit = "\n".join(p.read_text(encoding="utf-8") for p in sorted(REAL_CORPUS.glob("*.txt")))
        if not unit:
            raise FileNotFoundError(f"no texts in {REAL_CORPUS}")
    else:
        unit = UNITS[kind]
    return (unit * (size // len(unit) + 1))[:size]


def measure(kind: str, size: int, *, entities: bool = True) -> dict:
    """Annotate one document of the kind and size; time it, and the bare tokenizer on it."""
    import spacy

    import criteria_nlp
    from criteria_nlp.process import settle_for_batch
    from criteria_nlp.timing import TimeBudgetExceeded, time_limit

    nlp = criteria_nlp.load(entities=entities)
    next(criteria_nlp.annotate_texts([("warm", "Age ≥ 18 years; ANC (absolute neutrophil count) ≥ 1.5")], nlp=nlp))
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    settle_for_batch()  # as `annotate` does after loading: gc.freeze(), malloc keeps freed memory
    text = make_text(kind, size)
    start = time.perf_counter()
    document = next(criteria_nlp.annotate_texts([(kind, text)], nlp=nlp, time_budget=None))
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the reference runs
    tokenizer = spacy.blank("en").tokenizer
    start = time.perf_counter()
    try:  # spaCy's own tokenizer is quadratic on long runs of prefixes (`<<<<`): cut it short
        with time_limit(REFERENCE_LIMIT):
            tokenizer(text)
        reference: Optional[float] = time.perf_counter() - start
    except TimeBudgetExceeded:
        reference = None
    return {"kind": kind, "chars": size, "seconds": seconds,
            "us_per_char": seconds / size * 1e6,
            "x_tokenizer": reference / seconds if reference is not None else None,
            "loaded_rss_mb": loaded,
            "peak_rss_mb": peak,
            "constraints": len(document.constraints), "entities": len(document.entities),
            "errors": document.errors[:2]}


def run_scaling(kinds: List[str], sizes: List[int], *, entities: bool = True,
                progress=None) -> Dict[str, object]:
    """Measure every kind at every size, each in a new process. RETURNS: the figures."""
    rows = []
    for kind in kinds:
        base: Optional[float] = None
        for size in sizes:
            command = [sys.executable, __file__, "--one", kind, str(size)]
            if not entities:
                command.append("--rules-only")
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode:
                raise RuntimeError(f"{kind} at {size}: {done.stderr.strip().splitlines()[-1:]}")
            row = json.loads(done.stdout.strip().splitlines()[-1])
            base = base if base is not None else row["us_per_char"]
            row["x_1k"] = row["us_per_char"] / base
            rows.append(row)
            if progress:
                progress(format_row(row))
    return {"pipeline": "default" if entities else "rules only", "rows": rows}


def format_row(row: dict) -> str:
    ratio = f"{row['x_tokenizer']:>8.3f}" if row["x_tokenizer"] is not None else f"{'>' + str(int(REFERENCE_LIMIT)) + ' s':>8}"
    return (f"{row['kind']:<10} {row['chars']:>9,} {row['seconds']:>8.2f} s {row['us_per_char']:>8.1f} "
            f"{row['x_1k']:>6.2f} {ratio} {row['peak_rss_mb']:>7.0f} "
            f"{row['constraints']:>7} {'; '.join(row['errors'])[:40]}")


def format_report(result: dict) -> str:
    loaded = max(row["loaded_rss_mb"] for row in result["rows"])
    lines = [f"pipeline: {result['pipeline']}; pipeline loaded: {loaded:.0f} MB peak RSS",
             f"{'kind':<10} {'chars':>9} {'time':>10} {'µs/char':>8} {'x 1K':>6} {'x tokenizer':>8} "
             f"{'peak MB':>7} {'constr.':>7} errors"]
    lines += [format_row(row) for row in result["rows"]]
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--kinds", default=",".join(["real", *UNITS]))
    parser.add_argument("--rules-only", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--one", nargs=2, metavar=("KIND", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:  # a worker: one measure, as JSON on stdout
        print(json.dumps(measure(args.one[0], int(args.one[1]), entities=not args.rules_only)))
        return 0
    result = run_scaling(args.kinds.split(","), [int(s) for s in args.sizes.split(",")],
                         entities=not args.rules_only,
                         progress=lambda line: print(line, file=sys.stderr, flush=True))
    print(format_report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
