"""The command line: `python -m criteria_nlp annotate|screen|export|evaluate|train|assemble|benchmark ...`.

Each command parses its arguments and calls a library function; the work is done in
`criteria_nlp.annotate_records`, `criteria_nlp.screen`, `criteria_nlp.io`,
`criteria_nlp.evaluate` and `benchmarks`.
"""
from __future__ import annotations

import os
import stat
import sys
from enum import Enum
from functools import partial
from pathlib import Path
from typing import List, Optional

import typer

from .timing import TIME_BUDGET

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Clinical-trial eligibility criteria to typed, checkable constraints.")


class OutputFormat(str, Enum):
    jsonl = "jsonl"
    json = "json"
    table = "table"
    html = "html"


class Engine(str, Enum):
    local = "local"
    dask = "dask"


class CorpusName(str, Enum):
    lct = "lct"
    chia = "chia"


class ExportFormat(str, Enum):
    brat = "brat"


class ScreenFormat(str, Enum):
    table = "table"
    jsonl = "jsonl"


@app.command()
def annotate(
    inputs: List[str] = typer.Argument(..., help="Files (.txt, .jsonl, ClinicalTrials.gov .json), directories, or - for stdin."),
    format: OutputFormat = typer.Option(OutputFormat.jsonl, "--format", "-f", help="Output format."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write here instead of stdout."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="A saved pipeline directory; default: the built-in pipeline."),
    rules_only: bool = typer.Option(False, "--rules-only", help="Leave out the trained entity recognizer (faster; no entities but thresholds' spans)."),
    n_process: int = typer.Option(1, "--n-process", "-n", min=1, help="Worker processes."),
    batch_size: int = typer.Option(64, "--batch-size", min=1, help="Documents per batch."),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress", help="Progress bar on stderr (default: when many documents)."),
    time_budget: float = typer.Option(TIME_BUDGET, "--time-budget", min=0, help="Seconds one document may take before it is stopped with an error on its record; 0 for no limit."),
    explain: bool = typer.Option(False, "--explain", help="Add to each constraint the rules that made it ('explain'; JSON and HTML formats)."),
    engine: Engine = typer.Option(Engine.local, "--engine", help="local: this machine; dask: a Dask cluster (the dask extra), partitioned JSONL into the --output folder."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="With --engine dask: the scheduler address (tcp://host:8786); default: Dask's local scheduler."),
) -> None:
    """Annotate eligibility texts: one JSON object per record (CONTRACT.md).

    Exit status 0 when every record was read (some may carry errors), 2 for arguments that
    cannot be used. A summary line goes to stderr."""
    from . import annotate_records, load
    from .errors import InputError
    from .io import count_inputs, read_inputs, write_html, write_json, write_jsonl, write_table
    from .process import settle_for_batch

    if engine is Engine.dask:
        _annotate_on_dask(inputs, output, model, rules_only, scheduler)
        return
    try:
        records = read_inputs(inputs, stdin=sys.stdin)
    except InputError as err:
        _fail("annotate", str(err))
    if output is not None:
        _check_writable(output)
    try:
        nlp = load(model, entities=not rules_only)
    except Exception as err:  # noqa: BLE001 - any reason a pipeline does not load is a bad argument
        _fail("annotate", f"cannot load the pipeline {model or '(built-in)'}: {err}")
    settle_for_batch()  # the pipeline out of the collector's scans; malloc keeps freed memory
    total = count_inputs(inputs)
    show = progress if progress is not None else (total or 0) > 20
    docs = annotate_records(records, nlp=nlp, batch_size=batch_size, n_process=n_process,
                            time_budget=time_budget or None)
    if show:
        from tqdm import tqdm

        docs = tqdm(docs, total=total, unit="doc", file=sys.stderr)
    writer = {"jsonl": write_jsonl, "json": write_json, "table": write_table,
              "html": write_html}[format.value]
    if explain and format.value != "table":
        writer = partial(writer, explain=True)
    counts = {"records": 0, "with errors": 0, "constraints": 0}

    def counted(stream):
        for doc in stream:
            counts["records"] += 1
            counts["with errors"] += bool(doc.errors)
            counts["constraints"] += len(doc.constraints)
            yield doc

    if output is None:
        writer(counted(docs), sys.stdout)
    else:
        _write_atomically(output, lambda handle: writer(counted(docs), handle))
    typer.echo("criteria_nlp annotate: " + ", ".join(f"{n} {what}" for what, n in counts.items())
               + (" (see each record's 'errors')" if counts["with errors"] else ""), err=True)


def _annotate_on_dask(inputs: List[str], output: Optional[Path], model: Optional[str],
                      rules_only: bool, scheduler: Optional[str]) -> None:
    """`annotate --engine dask`: partitioned JSONL into the output folder."""
    if output is None or output.exists() and not output.is_dir():
        _fail("annotate", "--engine dask writes one JSONL file per partition: --output must be a folder")
    if "-" in inputs:
        _fail("annotate", "--engine dask reads files and folders, not stdin")
    try:
        from .dask import annotate_to_jsonl
    except ImportError as err:
        _fail("annotate", str(err))
    files = annotate_to_jsonl(inputs, output, model=model, rules_only=rules_only, scheduler=scheduler)
    typer.echo(f"criteria_nlp annotate: {len(files)} partition files in {output}", err=True)


def _fail(command: str, message: str) -> None:
    """One line on stderr and exit status 2: an argument that cannot be used."""
    typer.echo(f"criteria_nlp {command}: {message}", err=True)
    raise typer.Exit(2)


def _check_writable(output: Path, command: str = "annotate") -> None:
    if output.is_dir():
        _fail(command, f"--output {output} is a directory; give a file name")
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        _fail(command, f"output folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
        _fail(command, f"cannot write {output}: permission denied")


def _write_atomically(output: Path, write, command: str = "annotate") -> None:
    """Write a file through `.NAME.part` beside it, renamed over it at the end, so that a run
    that fails (disk full, interrupted) leaves no partial output; a symlink is followed. A
    path that is no regular file (`/dev/stdout`, a named pipe) is written to directly."""
    if output.exists() and not stat.S_ISREG(output.stat().st_mode):
        with output.open("w", encoding="utf-8") as handle:
            write(handle)
        return
    target = Path(os.path.realpath(output))
    part = target.with_name(f".{target.name}.part")
    try:
        with part.open("w", encoding="utf-8") as handle:
            write(handle)
        os.replace(part, target)
    except BaseException as err:
        part.unlink(missing_ok=True)
        if isinstance(err, OSError):
            _fail(command, f"cannot write {output}: {err.strerror or err}")
        raise


@app.command()
def screen(
    trial: List[str] = typer.Option(..., "--trial", "-t", help="The trial: a file (.txt, ClinicalTrials.gov .json, .jsonl) or a directory, as for annotate; every record in it is screened."),
    patient: Path = typer.Option(..., "--patient", "-p", help="The patient: a FHIR R4 Bundle or the plain JSON form (README)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="The screening day, YYYY-MM-DD; default: today."),
    format: ScreenFormat = typer.Option(ScreenFormat.table, "--format", "-f", help="table: readable; jsonl: one Screening object per trial (schema/screening.schema.json)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write here instead of stdout."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="A saved pipeline directory; default: the built-in pipeline."),
    rules_only: bool = typer.Option(False, "--rules-only", help="Leave out the trained entity recognizer (faster)."),
) -> None:
    """Screen a patient against trials: for each criterion met, not_met or unknown, with the
    patient's fact, the converted value and the reason; overall eligible, excluded or needs
    review. Exit status 2 for a trial, patient or date that cannot be used."""
    import datetime as dt

    from . import annotate_records, load
    from .errors import InputError, PatientError
    from .io import read_inputs
    from .patient import read_patient
    from .screen import screen as screen_patient

    try:
        day = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        _fail("screen", f"--as-of {as_of!r} is no date; write YYYY-MM-DD")
    try:
        person = read_patient(patient)
    except PatientError as err:
        _fail("screen", str(err))
    try:
        records = list(read_inputs(trial))
    except InputError as err:
        _fail("screen", str(err))
    if output is not None:
        _check_writable(output, "screen")
    try:
        nlp = load(model, entities=not rules_only)
    except Exception as err:  # noqa: BLE001 - any reason a pipeline does not load is a bad argument
        _fail("screen", f"cannot load the pipeline {model or '(built-in)'}: {err}")
    screenings = [screen_patient(document, person, as_of=day)
                  for document in annotate_records(records, nlp=nlp)]

    def write(handle) -> None:
        for screening in screenings:
            if format is ScreenFormat.table:
                handle.write(screening.to_table() + "\n\n")
            else:
                handle.write(screening.model_dump_json() + "\n")

    if output is None:
        write(sys.stdout)
    else:
        _write_atomically(output, write, "screen")
    counts = {overall: sum(s.overall == overall for s in screenings)
              for overall in ("eligible", "excluded", "needs review")}
    typer.echo(f"criteria_nlp screen: {len(screenings)} trials, "
               + ", ".join(f"{n} {what}" for what, n in counts.items()), err=True)


@app.command()
def export(
    inputs: List[str] = typer.Argument(..., help="Files (.txt, .jsonl, ClinicalTrials.gov .json), directories, or - for stdin."),
    output: Path = typer.Option(..., "--output", "-o", help="Folder to write to (created if needed)."),
    format: ExportFormat = typer.Option(ExportFormat.brat, "--format", "-f", help="Export format."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="A saved pipeline directory; default: the built-in pipeline."),
    rules_only: bool = typer.Option(False, "--rules-only", help="Leave out the trained entity recognizer (faster; no entities but thresholds' spans)."),
) -> None:
    """Annotate eligibility texts as `annotate` does, for reviewers to correct: BRAT standoff
    in Chia's scheme, `<id>.txt` + `<id>.ann` per record and an `annotation.conf`. A
    corrected folder is gold for `evaluate --corpus chia FOLDER`."""
    from . import annotate_records, load
    from .errors import InputError
    from .io import read_inputs, write_brat

    try:
        records = read_inputs(inputs, stdin=sys.stdin)
    except InputError as err:
        _fail("export", str(err))
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        _fail("export", f"cannot make the folder {output}: {err.strerror or err}")
    try:
        nlp = load(model, entities=not rules_only)
    except Exception as err:  # noqa: BLE001 - any reason a pipeline does not load is a bad argument
        _fail("export", f"cannot load the pipeline {model or '(built-in)'}: {err}")
    try:
        count = write_brat(annotate_records(records, nlp=nlp), output)
    except OSError as err:
        _fail("export", f"cannot write into {output}: {err.strerror or err}")
    typer.echo(f"criteria_nlp export: {count} documents as {format.value} in {output}", err=True)


@app.command()
def evaluate(
    path: Optional[Path] = typer.Argument(None, help="BRAT corpus directory; default ../shared/corpora/<corpus>."),
    corpus: CorpusName = typer.Option(..., "--corpus", "-c", help="Which gold scheme the files follow."),
    split: str = typer.Option("all", "--split", help="all, train or dev (fixed split by trial id)."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the first N documents."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the figures as JSON here."),
    errors_out: Optional[Path] = typer.Option(None, "--errors", help="Write every miss and false positive (JSONL) here."),
    n_process: int = typer.Option(1, "--n-process", "-n", min=1, help="Worker processes."),
    entities: bool = typer.Option(False, "--entities", help="Score the entities (per label, strict and lenient) instead of the constraints; Chia only."),
) -> None:
    """Score the pipeline against the Chia or LCT gold annotations."""
    import json

    from .errors import InputError
    from .evaluate import evaluate as run_evaluation
    from .evaluate import write_errors

    if entities and corpus is not CorpusName.chia:
        typer.echo("criteria_nlp evaluate: --entities needs --corpus chia (LCT has no entity gold)", err=True)
        raise typer.Exit(2)
    try:
        if entities:
            from .evaluate.entities import evaluate_entities
            result = evaluate_entities(path, split=split, limit=limit, n_process=n_process)
        else:
            result = run_evaluation(corpus.value, path, split=split, limit=limit, n_process=n_process)
    except InputError as err:
        typer.echo(f"criteria_nlp evaluate: {err}", err=True)
        raise typer.Exit(2)
    typer.echo(result.format_table())
    if json_out is not None:
        json_out.write_text(json.dumps(result.figures, indent=2) + "\n", encoding="utf-8")
    if errors_out is not None:
        write_errors(result, errors_out)


@app.command()
def train(
    corpora: Path = typer.Option(Path("../shared/corpora"), "--corpora", help="Folder holding chia/ (and ctgov-raw/, lct/ for pretraining)."),
    output: Path = typer.Option(Path("models/criteria_ner"), "--output", "-o", help="Where the trained recognizer goes (replaced)."),
    workdir: Path = typer.Option(Path("build/criteria_ner"), "--workdir", help="Converted corpora, pretrained weights, checkpoints."),
    pretrain: bool = typer.Option(False, "--pretrain/--no-pretrain", help="Pretrain the tok2vec layer on raw eligibility text first (measured: no gain, see README)."),
    lct: bool = typer.Option(False, "--lct/--no-lct", help="Add LCT's Condition, Drug and Procedure spans to the training data."),
    gold: List[Path] = typer.Option([], "--gold", help="A folder of corrected BRAT (export --format brat) to train on too; repeatable."),
    max_steps: Optional[int] = typer.Option(None, "--max-steps", min=1, help="Override training.max_steps (for a quick run)."),
) -> None:
    """Train the entity recognizer on Chia's train split and write it to models/criteria_ner."""
    import json

    from .errors import InputError
    from .training import train as run_training

    overrides = {"training.max_steps": max_steps} if max_steps else {}
    try:
        result = run_training(corpora, output, workdir=workdir, pretrain=pretrain, lct=lct, gold=gold, overrides=overrides,
                              progress=lambda msg: typer.echo(f"[train] {msg}", err=True))
    except InputError as err:
        typer.echo(f"criteria_nlp train: {err}", err=True)
        raise typer.Exit(2)
    typer.echo(json.dumps(result, indent=2))


@app.command()
def assemble(
    output: Path = typer.Argument(..., help="Folder to write the pipeline to (replaced)."),
    rules_only: bool = typer.Option(False, "--rules-only", help="Without the trained entity recognizer."),
) -> None:
    """Save the default pipeline (rules + shipped recognizer) to a folder `spacy.load` reads."""
    import shutil

    from . import load

    if output.exists():
        shutil.rmtree(output)
    load(entities=not rules_only).to_disk(output)
    typer.echo(f"saved {output}")


@app.command()
def benchmark(
    path: Optional[Path] = typer.Argument(None, help="Folder of eligibility texts; default ../shared/corpora/ctgov-raw."),
    repeat: int = typer.Option(3, "--repeat", min=1, help="Rounds of timed runs; the best run of each measure is kept."),
    n_process: int = typer.Option(1, "--n-process", "-n", min=1, help="Also time with this many worker processes."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the first N texts."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the figures as JSON here."),
    memory_times: str = typer.Option("1,16", "--memory-times", help="Corpus repeats streamed in the memory check, e.g. 1,3."),
) -> None:
    """Speed and memory as ratios to spaCy's bare tokenizer (benchmarks/run.py, source checkout only)."""
    import importlib.util
    import json

    repo = Path(__file__).resolve().parent.parent
    script = repo / "benchmarks" / "run.py"
    if not (script.is_file() and (repo / "pyproject.toml").is_file()):
        typer.echo(f"criteria_nlp benchmark: {script} not found. The benchmark is part of the "
                   "source repository, not of the installed package: run it from a checkout "
                   "(pip install -e .) or as `python benchmarks/run.py`.", err=True)
        raise typer.Exit(2)
    spec = importlib.util.spec_from_file_location("criteria_nlp_benchmark_run", script)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    try:
        result = module.run_benchmark(
            path, repeat=repeat, n_process=n_process, limit=limit,
            flatness=module.parse_times(memory_times),
            progress=lambda msg: typer.echo(f"[benchmark] {msg}", err=True))
    except (FileNotFoundError, ValueError) as err:
        typer.echo(f"criteria_nlp benchmark: {err}", err=True)
        raise typer.Exit(2)
    typer.echo(module.format_report(result))
    if json_out is not None:
        json_out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def main(args: Optional[List[str]] = None) -> None:
    """Run the command line (`python -m criteria_nlp`, the `criteria-nlp` script).

    A usage error (an unknown command, option or `--format`, a missing argument) is one
    line on stderr and exit status 2, as every other unusable argument is.
    """
    try:
        code = app(args=args, prog_name="criteria_nlp", standalone_mode=False)
    except _USAGE_ERROR as err:
        where = err.ctx.command_path if err.ctx is not None else "criteria_nlp"
        typer.echo(f"{where}: {' '.join(err.format_message().split())}", err=True)
        sys.exit(2)
    except _CLICK_EXCEPTION as err:
        err.show()
        sys.exit(err.exit_code)
    except typer.Abort:
        typer.echo("Aborted!", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


# click's UsageError and ClickException, found through typer's own BadParameter: typer
# 0.29 carries a copy of click, older releases use click itself
_USAGE_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
_CLICK_EXCEPTION = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
