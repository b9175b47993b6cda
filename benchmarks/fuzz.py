r"""Fuzz the normalizer, the quantity grammar and the whole pipeline with hypothesis.

    python benchmarks/fuzz.py [--target normalize|quantities|pipeline|all] [--examples N]
                              [--seed S] [--entities]

This runs outside the test suite (pytest does not collect `benchmarks/`), with a far larger
example budget than the property tests in `tests/`. Every target draws its texts from one
mix of three strategies:

    arbitrary    any Unicode text (no surrogates), with control characters, NUL, `\r\n`,
                 RTL and zero-width marks, combining marks and emoji mixed in
    criteria     eligibility-criteria fragments joined up: section headers, bullets,
                 subjects, comparators (`≥`, `>=`, `at least`, `\<`, `$\geq 7$`), numbers
                 (`1,000`, `2,5`, `10^9`, `×10⁹`, negative), units, time phrases
    repeated     one short unit repeated up to a few thousand characters

and checks:

    normalize    `normalize(text)` never raises; every normalized character maps back to a
                 non-empty source segment, in order (the map invariants of
                 tests/test_normalize.py); any span maps inside the source; normalizing
                 twice changes nothing more when the text has no `$`
    quantities   `QuantityParser()(text)`, on the text as given and as normalized, never
                 raises; each record has 0 <= start <= end <= len(text), float bounds, and
                 lower <= upper when it has both
    pipeline     `annotate(text, nlp=nlp)` never raises and reports no error in
                 `Document.errors` (a blank text only that it is empty; warnings `[W...]`
                 are counted, not failed); `doc.text` is the input; every object
                 with start/end/text maps back, `text[start:end] == span.text`; lower <=
                 upper; the JSON line validates against criteria_nlp/schema/document.schema.json

The pipeline is `criteria_nlp.load(entities=False)` (rules only), or `load()` with
`--entities`. Without `--seed` a random seed is drawn and printed, so any run can be
repeated. For each target the report gives the examples tried, the time, and for each
failure the minimal input (repr), the error and the end of its traceback. The exit status is
1 when a target failed, else 0.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import jsonschema
from hypothesis import HealthCheck, Verbosity, given, seed, settings, strategies as st
from hypothesis.errors import HypothesisException, StopTest

import criteria_nlp
from criteria_nlp.normalize import Normalized, normalize
from criteria_nlp.quantities import QuantityParser

SCHEMA_FILE = Path(criteria_nlp.__file__).parent / "schema" / "document.schema.json"
TARGETS = ("normalize", "quantities", "pipeline")
MAX_REPEATED = 4000  # characters of a repeated-unit string
WARM_UP = r"- platelets \<100 x 109/L, $\geq 7$ within 4 weeks prior to screening"  # loads lazy tables
TRACEBACK_LINES = 8

# --- strategies --------------------------------------------------------------------------

ODD_CHARS = [
    "\x00", "\r", "\n", "\r\n", "\t", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029",
    "\u200e", "\u200f", "\u202a", "\u202b", "\u202e", "\u2066", "\u2069",  # direction marks
    "\u200b", "\u200c", "\u200d", "\ufeff", "\u00ad", "\u00a0", "\u202f", "\u3000",
    "\u0301", "\u0308", "\u0338", "\u20dd",  # combining marks
    "🙂", "👩‍⚕️", "🇺🇸", "1️⃣", "\ufffd", "\U0010ffff", "ﬁ", "Ⅲ", "℃", "µ", "μ", "²", "⁹", "⁻", "₁",
    "$", "\\", "&", "&gt;", "&#8805;", "&amp;", "^", "{", "}", "×", "−", "–",
]
COMPARATORS = [
    "≥", "≤", "<", ">", "=", ">=", "<=", "≧", "≦", "＞", "＜", "=>", "=<", "> or =", ">/=", "⩾",
    "at least", "no more than", "greater than or equal to", "less than", "more than", "over",
    "under", "up to", "maximum", "minimum", "between", "≥ -", r"\<", r"\>", r"\>=", "&gt;=",
    "&lt;", r"$\geq$", r"\geq", r"\le",
]
NUMBERS = [
    "0", "1", "7", "18", "65", "100", "2.5", ".5", "1,000", "100,000", "2,5", "10^9", "×10⁹",
    "-2.5", "−3", "1:80", "140/90", "141/150", "1e9", "10E9", "three (3)", "six", "III",
    "99999999999999999999", "1" * 400,
]
UNITS = [
    "mg/dL", "g/L", "g/dL", "µmol/L", "μmol/L", "mmol/L", "x ULN", "× ULN", "xULN", "%",
    "years", "year", "weeks", "months", "days", "hours", "kg/m2", "kg/m²", "kg/m^2", "mmHg",
    "x 10^9/L", "×10⁹/L", "x 109/L", "/mm3", "/µL", "cells/mm³", "mL/min/1.73 m²", "mg/kg/day",
    "mg/day", "IU/mL", "ms", "upper limit of normal", "times the ULN", "years of age", "",
]
SUBJECTS = [
    "platelets", "Platelet count", "hemoglobin", "ANC", "absolute neutrophil count (ANC)",
    "HbA1c", "eGFR", "age", "Age", "serum creatinine", "AST/ALT", "total bilirubin", "BMI",
    "ECOG performance status", "Karnofsky", "CLASI-A score", "QTcF", "blood pressure",
    "life expectancy", "prednisone", "Men and women", "Participants",
]
TIME_PHRASES = [
    "within 4 weeks prior to screening", "in the last 6 months", "within 30 days after the last dose",
    "at least 3 months before randomization", "prior to first dose", "within the past year",
    "for ≥30 days", "during the study", "at screening", "since diagnosis", "within <5 years",
]
BULLETS = ["-", "*", "1.", "•", "2)", "a.", "(i)", "  -", "\t*", "10.", "◦", "▪"]
HEADERS = [
    "Inclusion Criteria:", "Exclusion Criteria:", "INCLUSION CRITERIA", "Key Exclusion Criteria",
    "For Systemic Lupus Erythematosus (SLE):", "Meet at least one of the following:", "Inclusion:",
]
JOINERS = [
    " ", "", ", ", " and ", " or ", "; ", " to ", "-", " – ", "~", "/", " (", ")", "[", "]",
    " and/or ", ".", ": ", "\n", "\r\n", "  ",
]
LATEX = [
    r"$\geq 7$", r"$\leq 40\,\text{mg/day}$", r"\<10", r"\>2", r"$2.5 \times 10^{9}/L$",
    r"$221 \mu\text{mol/L}$", r"$>6$", r"$ \geq 7 $", r"$\frac{mg}{dL}$", r"$$\ge 1$$", "$500",
]
NEWLINES = ["\n", "\r\n", "\r", "\n\n", "\n  ", "\u2028"]

_fragment = st.sampled_from(
    COMPARATORS + NUMBERS + UNITS + SUBJECTS + TIME_PHRASES + BULLETS + HEADERS + JOINERS + LATEX + ODD_CHARS)


def arbitrary_text() -> st.SearchStrategy[str]:
    """Any Unicode text, odd characters mixed in (st.text() already leaves out surrogates)."""
    return st.lists(st.one_of(st.text(max_size=12), st.sampled_from(ODD_CHARS)), max_size=30).map("".join)


def _number() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NUMBERS),
        st.integers(-10**6, 10**7).map(str),
        st.integers(0, 10**7).map("{:,}".format),
        st.floats(-1e5, 1e5, allow_nan=False).map(lambda x: f"{x:.{_decimals(x)}f}"),
    )


def _decimals(x: float) -> int:
    """Deterministic 0-3 decimal places for a float (so shrinking stays stable)."""
    return int(abs(x) * 7) % 4


@st.composite
def criterion(draw) -> str:
    """One criterion line: bullet, subject, comparator, number(s), unit, time phrase."""
    parts = [draw(st.sampled_from(BULLETS + [""])), draw(st.sampled_from(SUBJECTS)), " "]
    if draw(st.booleans()):
        parts.append(draw(st.sampled_from(LATEX)))
    else:
        parts += [draw(st.sampled_from(COMPARATORS + [""])), draw(st.sampled_from(["", " "])),
                  draw(_number()), draw(st.sampled_from(["", " "])), draw(st.sampled_from(UNITS))]
    if draw(st.booleans()):  # a range or a second threshold
        parts += [draw(st.sampled_from(JOINERS)), draw(st.sampled_from(COMPARATORS + [""])),
                  draw(_number()), " ", draw(st.sampled_from(UNITS))]
    if draw(st.booleans()):
        parts += [" ", draw(st.sampled_from(TIME_PHRASES))]
    parts.append(draw(st.sampled_from(["", ".", ";", ",", " (inclusive)"])))
    return "".join(parts)


@st.composite
def criteria_text(draw) -> str:
    """An eligibility text: headers and criterion lines, or a soup of the same fragments."""
    if draw(st.booleans()):
        return "".join(draw(st.lists(st.one_of(_fragment, _number()), max_size=40)))
    lines: List[str] = []
    for line in draw(st.lists(st.one_of(criterion(), st.sampled_from(HEADERS)), min_size=1, max_size=12)):
        lines += [line, draw(st.sampled_from(NEWLINES))]
    return "".join(lines)


@st.composite
def repeated_text(draw) -> str:
    """A short unit repeated up to MAX_REPEATED characters, maybe inside a criterion."""
    unit = draw(st.one_of(_fragment, st.text(min_size=1, max_size=4),
                          st.lists(_fragment, min_size=1, max_size=3).map("".join)).filter(bool))
    count = draw(st.integers(1, max(1, MAX_REPEATED // len(unit))))
    prefix = draw(st.sampled_from(["", "Age ", "platelets ≥ ", "- ", "Inclusion Criteria:\n"]))
    suffix = draw(st.sampled_from(["", " years", " mg/dL", " within 4 weeks prior to screening"]))
    return prefix + unit * count + suffix


def any_text() -> st.SearchStrategy[str]:
    return st.one_of(arbitrary_text(), criteria_text(), repeated_text())


# --- checks ------------------------------------------------------------------------------


def check_normalized(norm: Normalized, text: str, data: st.DataObject) -> None:
    """The invariants of tests/test_normalize.py: the map, spans inside, idempotence."""
    assert norm.source is text, "norm.source is not the input"
    n, size = len(norm.text), len(text)
    previous = (0, 0)
    for i in range(n):  # check_map
        s, e = norm.to_source(i, i + 1)
        assert 0 <= s < e <= size, f"char {i} maps to ({s}, {e}) outside 0..{size} or empty"
        assert s >= previous[0] and e >= previous[1], f"char {i} maps to ({s}, {e}) before {previous}"
        previous = (s, e)
        c = norm.text[i]
        if c.isascii() and c.isalnum() and e - s == 1 and text[s].isascii():
            assert text[s].lower() == c.lower(), f"char {i} {c!r} maps to {text[s]!r}"
    if n:
        assert norm.to_source(0, n) == (norm.to_source_start(0), norm.to_source_end(n))
    start = data.draw(st.integers(0, n), label="start")
    end = data.draw(st.integers(start, n), label="end")
    s, e = norm.to_source(start, end)
    assert 0 <= s <= e <= size, f"span ({start}, {end}) maps to ({s}, {e})"
    if start < end:
        assert (s, e) == (norm.to_source_start(start), norm.to_source_end(end))
        assert norm.to_source(start, start + 1)[0] == s and norm.to_source(end - 1, end)[1] == e
    if "$" not in text:
        again = normalize(norm.text).text
        assert again == norm.text, f"not idempotent: {norm.text!r} -> {again!r}"


def check_quantities(records: List[dict], text: str) -> None:
    for q in records:
        assert 0 <= q["start"] <= q["end"] <= len(text), f"span ({q['start']}, {q['end']}) of {q}"
        for bound in (q["lower"], q["upper"]):
            assert bound is None or isinstance(bound["value"], float), f"bound {bound!r}"
        if q["lower"] is not None and q["upper"] is not None:
            assert q["lower"]["value"] <= q["upper"]["value"], f"lower > upper in {q}"


def _objects(value: Any, path: str = "") -> Iterator[tuple]:
    """Every dict in a JSON value, with its path (`constraints[2].subject`)."""
    if isinstance(value, dict):
        yield path, value
        for key, item in value.items():
            yield from _objects(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _objects(item, f"{path}[{i}]")


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} in the JSON line")


def check_document(doc: criteria_nlp.Document, text: str, schema: dict) -> None:
    """Offsets, bounds and schema of one Document. Warnings (`[W...]`) are no failure."""
    errors = [e for e in doc.errors if not e.startswith("[W")]
    if text.strip():
        assert not errors, f"errors: {errors}"
    else:
        assert len(errors) == 1 and errors[0].startswith("empty text"), f"errors: {errors}"
    assert doc.text == text, "doc.text is not the input"
    data = json.loads(doc.to_json(), parse_constant=_no_constant)
    for path, obj in _objects(data):
        if {"start", "end", "text"} <= obj.keys() and obj["start"] is not None:
            s, e = obj["start"], obj["end"]
            assert 0 <= s <= e <= len(text), f"{path}: ({s}, {e}) outside 0..{len(text)}"
            assert text[s:e] == obj["text"], f"{path}: text[{s}:{e}] == {text[s:e]!r} != {obj['text']!r}"
        lower, upper = obj.get("lower"), obj.get("upper")
        if isinstance(lower, dict) and isinstance(upper, dict) and "value" in lower and "value" in upper:
            assert lower["value"] <= upper["value"], f"{path}: lower {lower} > upper {upper}"
    jsonschema.validate(data, schema)


# --- running -----------------------------------------------------------------------------


@dataclass
class Failure:
    text: Optional[str]
    error: BaseException
    notes: List[str] = field(default_factory=list)
    detail: str = ""  # a traceback found after the run (a pipeline error is caught inside it)


@dataclass
class Result:
    target: str
    examples: int = 0  # texts tried before the first failure (all of them when none)
    calls: int = 0  # including shrinking and replay
    seconds: float = 0.0
    slowest: tuple = (0.0, "")
    failures: List[Failure] = field(default_factory=list)


def run_target(target: str, check: Callable[..., None], examples: int, seed_value: int) -> Result:
    """Run `check(text, data)` over `examples` drawn texts; collect the minimal failures."""
    result = Result(target)
    inputs: Dict[int, str] = {}  # id(exception) -> the text it was raised for

    @seed(seed_value)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), print_blob=True, verbosity=Verbosity.normal)
    @given(text=any_text(), data=st.data())
    def fuzz(text: str, data: st.DataObject) -> None:
        result.calls += 1
        if not result.failures:
            result.examples = result.calls
        started = time.perf_counter()
        try:
            check(text, data)
        except (HypothesisException, StopTest):  # hypothesis' own control flow (overrun, ...)
            raise
        except BaseException as err:
            inputs[id(err)] = text
            result.failures.append(Failure(text, err))  # placeholder: marks "failed once"
            raise
        finally:
            spent = time.perf_counter() - started
            if spent > result.slowest[0]:
                result.slowest = (spent, text)

    started = time.perf_counter()
    try:
        fuzz()
        result.failures = []
    except BaseException as err:  # noqa: BLE001 - any failure is reported
        if isinstance(err, KeyboardInterrupt):
            raise
        group = isinstance(err, BaseExceptionGroup)
        outer = [f"Hypothesis raised {type(err).__name__}: {err}"] + list(getattr(err, "__notes__", [])) if group else []
        result.failures = [Failure(inputs.get(id(e)), e, outer + list(getattr(e, "__notes__", [])))
                           for e in (err.exceptions if group else [err])]
    result.seconds = time.perf_counter() - started
    return result


def explain_pipeline_error(nlp, text: str) -> str:
    """Run the pipeline by hand with errors raised, for the traceback `annotate` keeps back."""
    from spacy.util import raise_error

    from criteria_nlp.build import build_document

    for _, pipe in nlp.pipeline:
        try:
            pipe.set_error_handler(raise_error)
        except AttributeError:  # spaCy's compiled NER takes no handler (see batch.py)
            pass
    try:
        doc = nlp.make_doc(text)
        for _, pipe in nlp.pipeline:
            doc = pipe(doc)
        build_document(doc, "doc")
    except Exception:  # noqa: BLE001
        return traceback.format_exc()
    return "(no exception when the pipeline runs by hand)"


def make_checks(targets: List[str], entities: bool) -> Dict[str, Callable[..., None]]:
    checks: Dict[str, Callable[..., None]] = {}
    normalize(WARM_UP)
    if "normalize" in targets:
        checks["normalize"] = lambda text, data: check_normalized(normalize(text), text, data)
    if "quantities" in targets:
        parser = QuantityParser()
        parser(normalize(WARM_UP).text)

        def quantities(text: str, data: st.DataObject) -> None:
            check_quantities(parser(text), text)
            clean = normalize(text).text
            check_quantities(parser(clean), clean)

        checks["quantities"] = quantities
    if "pipeline" in targets:
        started = time.perf_counter()
        nlp = criteria_nlp.load() if entities else criteria_nlp.load(entities=False)
        print(f"pipeline loaded in {time.perf_counter() - started:.1f} s: {', '.join(nlp.pipe_names)}")
        schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
        criteria_nlp.annotate(WARM_UP, nlp=nlp)

        warnings: Dict[str, List] = {}  # code -> [count, shortest text]

        def pipeline(text: str, data: st.DataObject) -> None:
            doc = criteria_nlp.annotate(text, nlp=nlp)
            for code in {e[:6] for e in doc.errors if e.startswith("[W")}:
                seen = warnings.setdefault(code, [0, text])
                seen[0] += 1
                seen[1] = min(seen[1], text, key=len)
            check_document(doc, text, schema)

        pipeline.nlp, pipeline.warnings = nlp, warnings  # type: ignore[attr-defined]
        checks["pipeline"] = pipeline
    return checks


def _tail(err: BaseException, lines: int = TRACEBACK_LINES) -> str:
    """The last lines of the traceback, without hypothesis' notes (printed apart)."""
    notes = err.__dict__.pop("__notes__", None)
    try:
        text = "".join(traceback.format_exception(type(err), err, err.__traceback__, chain=False))
    finally:
        if notes is not None:
            err.__notes__ = notes
    return "\n".join(text.splitlines()[-lines:])


def _short(text: str, limit: int = 160) -> str:
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text)} chars)"


def report(result: Result) -> None:
    status = "FAILED" if result.failures else "ok"
    print(f"\n== {result.target}: {status}  {result.examples} examples tried "
          f"({result.calls} calls in all) in {result.seconds:.1f} s")
    spent, text = result.slowest
    print(f"   slowest example: {spent * 1000:.0f} ms for {_short(text)}")
    for i, failure in enumerate(result.failures, 1):
        message = (str(failure.error).splitlines() or [""])[0]
        print(f"-- failure {i}: {type(failure.error).__name__}: {message}")
        print(f"   minimal input: {failure.text!r}")
        for note in map(str.strip, failure.notes):
            if note.startswith(("Draw ", "You can reproduce", "Hypothesis raised")):
                print(f"   {note}")
        print("   traceback (last lines):")
        print("     " + _tail(failure.error).replace("\n", "\n     "))
        if failure.detail:
            print("   traceback of the pipeline run by hand (last lines):")
            print("     " + "\n     ".join(failure.detail.strip().splitlines()[-TRACEBACK_LINES:]))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=TARGETS + ("all",), default="all")
    parser.add_argument("--examples", type=int, default=2000, help="examples per target (default 2000)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: drawn and printed)")
    parser.add_argument("--entities", action="store_true", help="pipeline with the trained recognizer")
    args = parser.parse_args(argv)
    targets = list(TARGETS) if args.target == "all" else [args.target]
    seed_value = args.seed if args.seed is not None else random.randrange(2**32)
    print(f"criteria_nlp {criteria_nlp.__version__}; targets {', '.join(targets)}; "
          f"{args.examples} examples each; --seed {seed_value}")
    failed = False
    for target, check in make_checks(targets, args.entities).items():
        result = run_target(target, check, args.examples, seed_value)
        if target == "pipeline":
            for failure in result.failures:
                if failure.text is not None and "errors:" in str(failure.error):
                    failure.detail = explain_pipeline_error(check.nlp, failure.text)  # type: ignore[attr-defined]
        report(result)
        for code, (count, text) in sorted(getattr(check, "warnings", {}).items()):
            print(f"   warning {code} (no failure) on {count} calls; shortest: {_short(text)}")
        failed = failed or bool(result.failures)
    print(f"\n{'FAILED' if failed else 'all targets passed'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
