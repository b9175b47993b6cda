"""Speed and memory of criteria_nlp, as ratios to spaCy's bare tokenizer measured in the same run.

    python benchmarks/run.py [PATH] [--repeat N] [--n-process N] [--limit N] [--json OUT]
                             [--batch-size N] [--no-stages] [--no-memory] [--tracemalloc]

PATH is a folder of eligibility texts (*.txt, ClinicalTrials.gov *.json), read as
`criteria-nlp annotate` reads it; by default ../shared/corpora/ctgov-raw, looked up from the
current directory and then from the repository root.

Measured on the same texts, in `repeat` rounds of one run each, the best run kept:

    tokenizer     spacy.blank("en").tokenizer: the reference every ratio is taken against
    pipeline      nlp.pipe over criteria_nlp.load(): Docs only (rules + entity recognizer)
    rules only    nlp.pipe over criteria_nlp.load(entities=False): no recognizer
    annotate      criteria_nlp.annotate_texts: Docs and the pydantic Documents
    ... x N       the same two with n_process=N, when --n-process is over 1
    stages        each step alone (normalize, tokenize, every component, Document building,
                  and the Doc serialization that n_process > 1 adds), timed batch by batch in
                  the pipeline's order next to the bare tokenizer on the same batches

Memory: peak RSS (getrusage) at each checkpoint, and a flatness check that streams the corpus
repeated 1x and 16x through annotate_texts (one process) without keeping the outputs: RSS
should not grow with the length of the stream.

Whole processes, as a user starts them: `python -c "import criteria_nlp; criteria_nlp.load()"`
(cold load, best of 3), and with --n-process N over 1 the `annotate` command on the corpus
repeated to at least 5,000 documents, in one process and in N (wall time of the process). Timings on shared machines vary from run to
run; the ratios to the tokenizer, measured alongside, are the figures to compare.

See benchmarks/README.md for how to read the report.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = Path("..") / "shared" / "corpora" / "ctgov-raw"
EXTRAPOLATE_DOCS = 500_000
DASK_WORKERS = 16  # the cluster the 500,000-study projection is also given for
FLAT_TOLERANCE_MB = 20.0  # RSS growth between the shortest and longest streams still called flat
#: Documents the whole-process `annotate` runs read at least (the corpus repeated).
WHOLE_PROCESS_DOCS = 5_000


# --------------------------------------------------------------------------- inputs


def default_corpus_path() -> Path:
    """../shared/corpora/ctgov-raw from the current directory, else from the repository root."""
    for base in (Path.cwd(), REPO_ROOT):
        candidate = (base / DEFAULT_CORPUS).resolve()
        if candidate.is_dir():
            return candidate
    return (REPO_ROOT / DEFAULT_CORPUS).resolve()


def load_corpus(path: Path, limit: Optional[int] = None) -> List[Tuple[str, str]]:
    """(id, text) pairs read from `path` as the `annotate` command reads them, in name order;
    records that cannot be read or are blank are skipped."""
    from criteria_nlp.io import read_inputs

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"corpus {path} does not exist; pass a folder of eligibility texts")
    items: List[Tuple[str, str]] = []
    for record in read_inputs([str(path)]):
        if record.error or not isinstance(record.text, str) or not record.text.strip():
            continue
        items.append((record.id, record.text))
        if limit is not None and len(items) >= limit:
            break
    if not items:
        raise ValueError(f"no readable text in {path}")
    return items


# --------------------------------------------------------------------------- measuring


def _rss_mb() -> Optional[float]:
    """Current resident set size in MB (Linux /proc), or None where unavailable."""
    try:
        with open("/proc/self/statm", "rb") as handle:
            pages = int(handle.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size in MB since the process started (ru_maxrss)."""
    peak = resource.getrusage(who).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KB on Linux


def _memory_checkpoint(label: str) -> Dict[str, Any]:
    return {"at": label, "rss_mb": _round(_rss_mb()), "peak_rss_mb": _round(_peak_rss_mb())}


def _round(value: Optional[float], digits: int = 1) -> Optional[float]:
    return None if value is None else round(value, digits)


def _consume(iterable: Iterable[Any]) -> None:
    deque(iterable, maxlen=0)


def timed(fn: Callable[[], None]) -> Tuple[float, float]:
    """Run `fn` once: (wall seconds, CPU seconds of this process)."""
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def _rates(name: str, seconds: float, runs: Sequence[float], n_docs: int, n_chars: int,
           reference: Optional[float], counts: Optional[Dict[str, int]] = None,
           **extra: Any) -> Dict[str, Any]:
    counts = counts or {}
    return {
        "name": name,
        "seconds": round(seconds, 4),
        "runs": [round(r, 4) for r in runs],
        "docs_per_s": round(n_docs / seconds, 1),
        "criteria_per_s": round(counts["criteria"] / seconds) if "criteria" in counts else None,
        "tokens_per_s": round(counts["tokens"] / seconds) if "tokens" in counts else None,
        "chars_per_s": round(n_chars / seconds),
        "ms_per_doc": round(1000 * seconds / n_docs, 3),
        # speed relative to the bare tokenizer: 0.2 means five times slower
        "speed_vs_tokenizer": None if reference is None else round(reference / seconds, 3),
        **extra,
    }


REFERENCE_STEP = "spaCy tokenizer (reference)"
SERIALIZE_STEP = "Doc to/from bytes"
# Steps timed for information, outside the one-process pipeline: the reference; normalize,
# which "tokenize" includes; and the Doc serialization that nlp.pipe adds with n_process > 1.
INFO_STEPS = (REFERENCE_STEP, "normalize", SERIALIZE_STEP)


def _time_stages(nlp, tokenizer, items: List[Tuple[str, str]], batch_size: int,
                 repeat: int) -> Tuple[List[str], Dict[str, float], Dict[str, int]]:
    """Best-of-`repeat` seconds of each pipeline step alone, over the whole corpus.

    Each batch goes through the steps in pipeline order (the components need what the
    ones before them set); every step is timed on its own and summed over batches, and the
    bare tokenizer is timed on the same batch, so that the step ratios have a reference
    measured alongside them. Only one batch of Docs is alive at a time. Components are
    called Doc by Doc, as `nlp.pipe` calls components that have no `pipe` method; a failure
    is counted (per step, over all rounds) and the Doc goes on to the next step.

    The last step is not part of a one-process run: `Doc.to_bytes` and `Doc.from_bytes` of
    the annotated Docs, which `nlp.pipe(n_process > 1)` does for every Doc to pass it from a
    worker back to the main process (with `as_tuples=True`, as in annotate_texts, the
    tokenized input Docs make the trip the other way too).
    """
    from spacy.tokens import Doc

    from criteria_nlp.build import build_document
    from criteria_nlp.normalize import normalize

    names = ([REFERENCE_STEP, "normalize", "tokenize"] + list(nlp.pipe_names)
             + ["build Document", SERIALIZE_STEP])
    best = {name: float("inf") for name in names}
    failures = dict.fromkeys(names, 0)
    clock = time.perf_counter
    for _ in range(max(1, repeat)):
        gc.collect()
        spent = dict.fromkeys(names, 0.0)
        for lo in range(0, len(items), batch_size):
            batch = items[lo:lo + batch_size]
            texts = [text for _, text in batch]
            start = clock()
            for text in texts:
                tokenizer(text)
            spent[REFERENCE_STEP] += clock() - start
            start = clock()
            for text in texts:
                normalize(text)
            spent["normalize"] += clock() - start
            start = clock()
            docs = [nlp.make_doc(text) for text in texts]  # normalizes again: that is the tokenizer
            spent["tokenize"] += clock() - start
            for name, proc in nlp.pipeline:
                start = clock()
                for doc in docs:
                    try:
                        proc(doc)
                    except Exception:  # noqa: BLE001 - counted and reported, as nlp.pipe would
                        failures[name] += 1
                spent[name] += clock() - start
            start = clock()
            for (doc_id, _), doc in zip(batch, docs):
                try:
                    build_document(doc, doc_id)
                except Exception:  # noqa: BLE001
                    failures["build Document"] += 1
            spent["build Document"] += clock() - start
            start = clock()
            for doc in docs:
                try:
                    Doc(nlp.vocab).from_bytes(doc.to_bytes())
                except Exception:  # noqa: BLE001
                    failures[SERIALIZE_STEP] += 1
            spent[SERIALIZE_STEP] += clock() - start
        for name in names:
            best[name] = min(best[name], spent[name])
    return names, best, {name: n for name, n in failures.items() if n}


def _stream(items: List[Tuple[str, str]], times: int) -> Iterator[Tuple[str, str]]:
    for k in range(times):
        for doc_id, text in items:
            yield f"{doc_id}#{k}", text


def _flatness(nlp, items: List[Tuple[str, str]], multiples: Sequence[int], batch_size: int,
              trace: bool) -> Dict[str, Any]:
    """Stream the corpus repeated k times through annotate_texts, keeping no output, and
    watch RSS (sampled every batch) and, with `trace`, the Python heap (tracemalloc)."""
    import tracemalloc

    from criteria_nlp import annotate_texts

    passes = []
    for k in multiples:
        gc.collect()
        if trace:
            tracemalloc.start()
        rss_start = _rss_mb()
        rss_max = rss_start or 0.0
        n = 0
        n_constraints = 0
        n_errors = 0
        start = time.perf_counter()
        for document in annotate_texts(_stream(items, k), nlp=nlp, batch_size=batch_size):
            n += 1
            n_constraints += len(document.constraints)
            n_errors += bool(document.errors)
            if n % batch_size == 0:
                rss = _rss_mb()
                if rss is not None:
                    rss_max = max(rss_max, rss)
        seconds = time.perf_counter() - start
        gc.collect()
        rss_end = _rss_mb()
        entry = {
            "times": k, "docs": n, "constraints": n_constraints,
            "documents_with_errors": n_errors, "seconds": round(seconds, 3),
            "rss_start_mb": _round(rss_start), "rss_max_mb": _round(rss_max),
            "rss_end_mb": _round(rss_end),
            "rss_growth_mb": None if rss_start is None or rss_end is None else round(rss_end - rss_start, 1),
            "peak_rss_mb": _round(_peak_rss_mb()),
        }
        if trace:
            current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            entry["python_heap_kept_mb"] = round(current / 2**20, 2)
            entry["python_heap_peak_mb"] = round(peak / 2**20, 2)
        passes.append(entry)
    first, last = passes[0], passes[-1]
    growth = None
    if first["rss_max_mb"] is not None and last["rss_max_mb"] is not None:
        growth = round(last["rss_max_mb"] - first["rss_max_mb"], 1)
    result: Dict[str, Any] = {
        "passes": passes,
        "rss_max_growth_mb": growth,
        "rss_max_growth_percent": None if growth is None or not first["rss_max_mb"]
        else round(100 * growth / first["rss_max_mb"], 1),
        "flat": None if growth is None else growth <= FLAT_TOLERANCE_MB,
        "tolerance_mb": FLAT_TOLERANCE_MB,
    }
    if trace:
        result["python_heap_peak_growth_mb"] = round(
            last["python_heap_peak_mb"] - first["python_heap_peak_mb"], 2)
    return result


def _machine() -> Dict[str, Any]:
    import spacy

    import criteria_nlp

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    versions = {"python": platform.python_version(), "spacy": spacy.__version__,
                "criteria_nlp": criteria_nlp.__version__}
    try:
        from importlib.metadata import version

        versions["medspacy"] = version("medspacy")
    except Exception:  # noqa: BLE001 - informative only
        pass
    return {"cpu": cpu, "cores": usable, "platform": platform.platform(), **versions}


def _load_average() -> Optional[float]:
    """The 1-minute load average: other work on the machine during the run, or None."""
    try:
        return round(os.getloadavg()[0], 2)
    except (OSError, AttributeError):
        return None


def _extrapolate(seconds: float, n_docs: int, n_process: int, source: str) -> Dict[str, Any]:
    total = EXTRAPOLATE_DOCS * seconds / n_docs
    return {"docs": EXTRAPOLATE_DOCS, "n_process": n_process, "seconds": round(total),
            "hours": round(total / 3600, 2), "from": source}


# --------------------------------------------------------------------------- the benchmark


def run_benchmark(path: Optional[os.PathLike] = None, *, repeat: int = 3, n_process: int = 1,
                  limit: Optional[int] = None, batch_size: int = 64, stages: bool = True,
                  flatness: Sequence[int] = (1, 16), trace_memory: bool = False,
                  progress: Optional[Callable[[str], None]] = None) -> Dict[str, Any]:
    """Measure speed and memory of criteria_nlp against spaCy's bare tokenizer, in one run.

    path (PathLike or None): folder (or file) of eligibility texts; None for the default corpus.
    repeat (int): rounds; each measure runs once a round, in turn, and its best run is
        kept. Defaults to 3.
    n_process (int): if over 1, `nlp.pipe` and `annotate_texts` are timed with that many
        processes too. Defaults to 1.
    limit (int or None): only the first N texts. Defaults to None (all).
    batch_size (int): documents per batch, as in `annotate_texts`. Defaults to 64.
    stages (bool): time each step alone (normalize, tokenize, each component, Document
        building). Defaults to True.
    flatness (Sequence[int]): the corpus repeats streamed in the memory check; () skips it.
        Defaults to (1, 16).
    trace_memory (bool): also follow the Python heap with tracemalloc in the memory check
        (slower). Defaults to False.
    progress (callable or None): called with a line of text before each step.
    RETURNS (dict): JSON-serializable figures; `format_report` prints them.

    BLAS runs on one thread throughout, as in `annotate` (`criteria_nlp.process`): a "1
    process" row uses one core, and worker processes do not compete with BLAS threads.
    """
    import numpy  # noqa: F401  (loads BLAS: the limit reaches only libraries already loaded)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _run_benchmark(path, repeat=repeat, n_process=n_process, limit=limit, batch_size=batch_size,
                              stages=stages, flatness=flatness, trace_memory=trace_memory, progress=progress)


def _run_benchmark(path: Optional[os.PathLike], *, repeat: int, n_process: int, limit: Optional[int],
                   batch_size: int, stages: bool, flatness: Sequence[int], trace_memory: bool,
                   progress: Optional[Callable[[str], None]]) -> Dict[str, Any]:
    import spacy

    import criteria_nlp

    say = progress or (lambda _msg: None)
    corpus_path = Path(path) if path is not None else default_corpus_path()
    memory = [_memory_checkpoint("start")]
    load_before = _load_average()
    items = load_corpus(corpus_path, limit=limit)
    texts = [text for _, text in items]
    n_docs, n_chars = len(texts), sum(len(t) for t in texts)

    say(f"loading the pipeline; {n_docs} texts, {n_chars} characters")
    start = time.perf_counter()
    nlp = criteria_nlp.load()
    load_seconds = time.perf_counter() - start
    rules = criteria_nlp.load(entities=False)
    memory.append(_memory_checkpoint("pipeline loaded"))
    tokenizer = spacy.blank("en").tokenizer

    # Untimed warm-up over the whole corpus: fills both tokenizers' caches and runs every
    # code path once, so that even repeat=1 compares warm against warm; and counts the
    # Documents with errors, which would make the timings meaningless.
    say("warm-up")
    counts = {"tokens": sum(len(tokenizer(t)) for t in texts), "criteria": 0}
    warm_errors = 0
    for document in criteria_nlp.annotate_texts(items, nlp=nlp, batch_size=batch_size):
        warm_errors += bool(document.errors)
        counts["criteria"] += len(document.criteria)

    # The measures run in rounds, one of each per round, so that a burst of other work on
    # the machine slows the reference and the pipeline alike.
    measures: List[Tuple[str, int, str, Callable[[], None]]] = [
        ("tokenizer", 1, 'spacy.blank("en").tokenizer (reference)',
         lambda: _consume(tokenizer(t) for t in texts)),
        ("pipeline", 1, "nlp.pipe: Docs only",
         lambda: _consume(nlp.pipe(texts, batch_size=batch_size))),
        ("rules only", 1, "nlp.pipe, load(entities=False): no recognizer",
         lambda: _consume(rules.pipe(texts, batch_size=batch_size))),
        ("annotate", 1, "annotate_texts: Docs + Documents",
         lambda: _consume(criteria_nlp.annotate_texts(items, nlp=nlp, batch_size=batch_size))),
    ]
    if n_process > 1:
        measures += [
            (f"pipeline x{n_process}", n_process, f"nlp.pipe, n_process={n_process}",
             lambda: _consume(nlp.pipe(texts, batch_size=batch_size, n_process=n_process))),
            (f"annotate x{n_process}", n_process, f"annotate_texts, n_process={n_process}",
             lambda: _consume(criteria_nlp.annotate_texts(
                 items, nlp=nlp, batch_size=batch_size, n_process=n_process))),
        ]
    walls: Dict[str, List[float]] = {name: [] for name, *_ in measures}
    cpus: Dict[str, List[float]] = {name: [] for name, *_ in measures}
    for round_no in range(1, max(1, repeat) + 1):
        for name, _procs, _what, fn in measures:
            say(f"round {round_no}/{max(1, repeat)}: {name}")
            wall, cpu = timed(fn)
            walls[name].append(wall)
            cpus[name].append(cpu)
    ref, ref_cpu = min(walls["tokenizer"]), min(cpus["tokenizer"])
    timings: List[Dict[str, Any]] = []
    for name, procs, what, _fn in measures:
        best = min(walls[name])
        row = _rates(name, best, walls[name], n_docs, n_chars, ref, counts, n_process=procs, what=what)
        one = name.rsplit(" x", 1)[0]  # `annotate x2` -> `annotate`
        row["speedup_vs_1_process"] = round(min(walls[one]) / best, 2) if procs > 1 else None
        # CPU time of this process: less disturbed by other work than wall time, but blind
        # to worker processes, so only given for one process.
        row["cpu_seconds"] = round(min(cpus[name]), 4) if procs == 1 else None
        row["speed_vs_tokenizer_cpu"] = (round(ref_cpu / min(cpus[name]), 3)
                                         if procs == 1 else None)
        timings.append(row)
    memory.append({**_memory_checkpoint("after timing"),
                   "children_peak_rss_mb": _round(_peak_rss_mb(resource.RUSAGE_CHILDREN))
                   if n_process > 1 else None})
    extrapolation = [_extrapolate(min(walls["annotate"]), n_docs, 1, "annotate, 1 process")]
    if n_process > 1:
        extrapolation.append(_extrapolate(min(walls[f"annotate x{n_process}"]), n_docs,
                                          n_process, f"annotate, {n_process} processes"))
    # a cluster of DASK_WORKERS one-process workers, each as fast as one process here: the
    # ideal, with no scheduling or data transfer (`criteria_nlp.dask` streams partitions)
    extrapolation.append(_extrapolate(min(walls["annotate"]) / DASK_WORKERS, n_docs, DASK_WORKERS,
                                      f"annotate, 1 process, divided among {DASK_WORKERS} Dask workers (ideal)"))

    stage_rows: List[Dict[str, Any]] = []
    stage_failures: Dict[str, int] = {}
    if stages:
        say("timing: each step alone")
        names, best, stage_failures = _time_stages(nlp, tokenizer, items, batch_size, repeat)
        stage_ref = best[REFERENCE_STEP]
        steps_total = sum(best[n] for n in names if n not in INFO_STEPS)
        for name in names:
            row = _rates(name, best[name], [best[name]], n_docs, n_chars, stage_ref)
            row.pop("runs")
            row["tokenizer_times"] = round(best[name] / stage_ref, 3)
            row["share"] = None if name in INFO_STEPS else round(best[name] / steps_total, 3)
            stage_rows.append(row)

    flat: Optional[Dict[str, Any]] = None
    if flatness:
        say(f"memory: streaming the corpus {' and '.join(f'{k}x' for k in flatness)}")
        flat = _flatness(nlp, items, list(flatness), batch_size, trace_memory)
    memory.append(_memory_checkpoint("end"))
    say("whole processes: cold load" + (f", annotate in 1 and {n_process} processes" if n_process > 1 else ""))
    whole = _whole_processes(items, n_process, repeat)

    return {
        "corpus": {"path": str(corpus_path), "docs": n_docs, "chars": n_chars,
                   "mean_chars": round(n_chars / n_docs), "limit": limit},
        "machine": {**_machine(), "load_average_start": load_before,
                    "load_average_end": _load_average()},
        "settings": {"repeat": repeat, "n_process": n_process, "batch_size": batch_size},
        "load_seconds": round(load_seconds, 3),
        "counts": counts,
        "timings": timings,
        "whole_processes": whole,
        "stages": stage_rows,
        "memory": {"checkpoints": memory, "flatness": flat},
        "extrapolation": extrapolation,
        # failures make the timings meaningless: a failed component skips its work
        "failures": {"warm-up documents with errors": warm_errors, "stages": stage_failures},
    }


def _wall(command: List[str]) -> float:
    """Wall seconds of a command run to its end; it must succeed."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed (exit {done.returncode}): {done.stderr[-1000:]}")
    return seconds


def _whole_processes(items: List[Tuple[str, str]], n_process: int, repeat: int) -> Dict[str, Any]:
    """Processes as a user starts them: the cold load, best of `repeat` (at least 3); with
    `n_process` over 1, the `annotate` command on the corpus repeated to at least
    `WHOLE_PROCESS_DOCS` documents (JSONL), in one process and in `n_process`, each once,
    with a check that both wrote the same output."""
    python = sys.executable
    loads = [_wall([python, "-c", "import criteria_nlp; criteria_nlp.load()"]) for _ in range(max(3, repeat))]
    result: Dict[str, Any] = {"cold_load_seconds": round(min(loads), 3),
                              "cold_load_runs": [round(x, 3) for x in loads], "annotate": None}
    if n_process <= 1:
        return result
    times = -(-WHOLE_PROCESS_DOCS // len(items))  # ceiling
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "records.jsonl"
        with source.open("w", encoding="utf-8") as out:
            for doc_id, text in _stream(items, times):
                out.write(json.dumps({"id": doc_id, "text": text}) + "\n")
        runs = {}
        for procs in (1, n_process):
            output = Path(scratch) / f"out{procs}.jsonl"
            runs[procs] = _wall([python, "-m", "criteria_nlp", "annotate", str(source), "--output",
                                 str(output), "--n-process", str(procs)])
        same = (Path(scratch) / "out1.jsonl").read_bytes() == (Path(scratch) / f"out{n_process}.jsonl").read_bytes()
    result["annotate"] = {"docs": times * len(items), "seconds_1_process": round(runs[1], 2),
                          "n_process": n_process, f"seconds_{n_process}_processes": round(runs[n_process], 2),
                          "speedup": round(runs[1] / runs[n_process], 2), "same_output": same}
    return result


# --------------------------------------------------------------------------- the report


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    return f"{seconds:.1f} s"


def _failure_lines(result: Dict[str, Any]) -> List[str]:
    failures = result.get("failures") or {}
    lines = []
    if failures.get("warm-up documents with errors"):
        lines.append(f"WARNING: {failures['warm-up documents with errors']} document(s) came out "
                     "with errors: the pipeline is failing, the timings below do not count")
    if failures.get("stages"):
        lines.append(f"WARNING: steps failed while timed alone: {failures['stages']}")
    return lines


def format_report(result: Dict[str, Any]) -> str:
    """The figures of `run_benchmark` as plain-text tables."""
    corpus, machine, settings = result["corpus"], result["machine"], result["settings"]
    lines = [
        f"criteria_nlp benchmark: {corpus['docs']} texts, {corpus['chars']:,} characters "
        f"(mean {corpus['mean_chars']}) from {corpus['path']}",
        f"machine: {machine['cores']} cores, {machine['cpu']}; Python {machine['python']}, "
        f"spaCy {machine['spacy']}, criteria_nlp {machine['criteria_nlp']}",
        f"load average {machine.get('load_average_start')} at start, "
        f"{machine.get('load_average_end')} at end (other work on the machine slows the runs)",
        *_failure_lines(result),
        f"best of {settings['repeat']} rounds, batch size {settings['batch_size']}, one BLAS thread per "
        f"process; pipeline load {result['load_seconds']:.2f} s in this process",
        f"{result['counts']['criteria']:,} criteria, {result['counts']['tokens']:,} tokens (bare tokenizer)",
        "",
        f"{'measure':<16}{'procs':>6}{'best s':>9}{'docs/s':>9}{'criteria/s':>12}{'tokens/s':>11}"
        f"{'vs tokenizer':>14}{'(CPU time)':>12}{'vs 1 proc':>11}",
    ]
    for row in result["timings"]:
        ratio, cpu_ratio = row["speed_vs_tokenizer"], row.get("speed_vs_tokenizer_cpu")
        cpu_text = "" if cpu_ratio is None else f"{cpu_ratio:.3f}x"
        speedup = "" if row.get("speedup_vs_1_process") is None else f"{row['speedup_vs_1_process']:.2f}x"
        lines.append(f"{row['name']:<16}{row['n_process']:>6}{row['seconds']:>9.2f}"
                     f"{row['docs_per_s']:>9.1f}{row['criteria_per_s']:>12,}{row['tokens_per_s']:>11,}"
                     f"{ratio:>13.3f}x{cpu_text:>12}{speedup:>11}")
    lines.append("  (vs tokenizer: speed as a fraction of spaCy's bare tokenizer on the same "
                 "texts, best wall times, the same for documents, criteria and tokens; 0.25x = "
                 "four times slower. CPU time: the same ratio from this process's CPU seconds, "
                 "one process only. vs 1 proc: speed-up over the same measure in one process)")
    if result["stages"]:
        lines += ["", "each step alone, 1 process; x tokenizer time: against the bare tokenizer "
                  "timed on the same batches; share: of the one-process steps",
                  f"{'step':<30}{'best s':>9}{'ms/doc':>9}{'x tokenizer time':>18}{'share':>8}"]
        for row in result["stages"]:
            share = "" if row["share"] is None else f"{100 * row['share']:.0f}%"
            lines.append(f"{row['name']:<30}{row['seconds']:>9.2f}{row['ms_per_doc']:>9.2f}"
                         f"{row['tokenizer_times']:>17.2f}x{share:>8}")
        heaviest = max((r for r in result["stages"] if r["share"] is not None),
                       key=lambda r: r["seconds"])
        lines.append(f"  heaviest step: {heaviest['name']} "
                     f"({100 * heaviest['share']:.0f}% of the steps' time). tokenize includes "
                     f"normalize; {SERIALIZE_STEP} is paid only with n_process > 1, in the main "
                     "process and in the workers")
    lines += ["", "memory (MB):"]
    for point in result["memory"]["checkpoints"]:
        extra = ""
        if point.get("children_peak_rss_mb") is not None:
            extra = f", largest worker process peak {point['children_peak_rss_mb']}"
        lines.append(f"  {point['at']:<28} RSS {point['rss_mb']}, peak {point['peak_rss_mb']}{extra}")
    flat = result["memory"]["flatness"]
    if flat:
        lines.append("  streaming annotate_texts, outputs not kept:")
        for p in flat["passes"]:
            heap = ""
            if "python_heap_peak_mb" in p:
                heap = f"; Python heap peak {p['python_heap_peak_mb']}, kept {p['python_heap_kept_mb']}"
            if p.get("documents_with_errors"):
                heap += f"; {p['documents_with_errors']} with errors"
            lines.append(f"    corpus x{p['times']}: {p['docs']} docs in {p['seconds']:.1f} s, RSS "
                         f"{p['rss_start_mb']} -> max {p['rss_max_mb']} -> end {p['rss_end_mb']}{heap}")
        verdict = {True: "flat", False: "GROWS", None: "unknown (no /proc)"}[flat["flat"]]
        lines.append(f"    RSS max growth from x{flat['passes'][0]['times']} to "
                     f"x{flat['passes'][-1]['times']}: {flat['rss_max_growth_mb']} MB "
                     f"({flat.get('rss_max_growth_percent')} %) -> {verdict} "
                     f"(tolerance {flat['tolerance_mb']:.0f} MB)")
    whole = result.get("whole_processes") or {}
    if whole:
        lines += ["", "whole processes (wall time, as started from a shell):",
                  f"  python -c \"import criteria_nlp; criteria_nlp.load()\": best {whole['cold_load_seconds']:.2f} s "
                  f"of {', '.join(f'{x:.2f}' for x in whole['cold_load_runs'])}"]
        run = whole.get("annotate")
        if run:
            n = run["n_process"]
            lines.append(f"  annotate on {run['docs']:,} documents (the corpus repeated, JSONL): 1 process "
                         f"{run['seconds_1_process']:.1f} s, --n-process {n} {run[f'seconds_{n}_processes']:.1f} s "
                         f"-> {run['speedup']:.2f}x; output {'identical' if run['same_output'] else 'DIFFERENT'}")
    lines += ["", f"extrapolated, {EXTRAPOLATE_DOCS:,} studies at this corpus' mean length, this machine:"]
    for row in result["extrapolation"]:
        n = row["n_process"]
        who = f"{n} Dask workers" if "Dask" in row["from"] else f"{n} process{'es' if n > 1 else ''}"
        lines.append(f"  {who}: {_duration(row['seconds'])} (from {row['from']})")
    return "\n".join(lines)


# --------------------------------------------------------------------------- command line


def parse_times(value: str) -> Tuple[int, ...]:
    """`1,16` -> (1, 16): the corpus repeats of the memory check, each at least 1."""
    try:
        times = tuple(int(part) for part in value.split(","))
    except ValueError:
        raise ValueError(f"--memory-times: expected numbers joined by commas, got {value!r}") from None
    if min(times) < 1:
        raise ValueError(f"--memory-times: repeats must be at least 1, got {value!r}")
    return times


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description="Speed and memory of criteria_nlp, as ratios to spaCy's bare tokenizer.")
    parser.add_argument("path", nargs="?", type=Path, default=None,
                        help="folder of eligibility texts (default: ../shared/corpora/ctgov-raw)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of timed runs; the best run of each measure is kept (default 3)")
    parser.add_argument("--n-process", type=int, default=1,
                        help="also time with this many processes when over 1 (default 1)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N texts")
    parser.add_argument("--batch-size", type=int, default=64, help="documents per batch (default 64)")
    parser.add_argument("--no-stages", action="store_true", help="skip timing each step alone")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory flatness check")
    parser.add_argument("--memory-times", type=parse_times, default=(1, 16),
                        help="corpus repeats streamed in the memory check, e.g. 1,3 (default 1,16)")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="follow the Python heap in the memory check (slower)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    for name in ("repeat", "n_process", "batch_size", "limit"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    try:
        result = run_benchmark(
            args.path, repeat=args.repeat, n_process=args.n_process, limit=args.limit,
            batch_size=args.batch_size, stages=not args.no_stages,
            flatness=() if args.no_memory else args.memory_times, trace_memory=args.tracemalloc,
            progress=lambda msg: print(f"[benchmark] {msg}", file=sys.stderr, flush=True))
    except (FileNotFoundError, ValueError) as err:
        print(f"benchmark: {err}", file=sys.stderr)
        return 2
    print(format_report(result))
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
