"""Helpers behind the review notebooks (`notebooks/review.ipynb`, `notebooks/compare_gold.ipynb`).

    >>> from criteria_nlp.notebook import constraints_table, batch_summary, plot_summary
    >>> table = constraints_table(documents)                 # doctest: +SKIP
    >>> figure = plot_summary(batch_summary(documents))     # doctest: +SKIP

pandas and matplotlib (`pip install '.[notebooks]'`) are imported inside the functions, so
`import criteria_nlp` never needs them. Figures are built on matplotlib's Agg canvas without
pyplot: no global backend is switched, nothing is shown unless displayed.
"""
from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import (TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional, Sequence,
                    Tuple, Union)

from .io.writers import format_interval
from .review import KIND_COLORS
from .schemas import Bound, Constraint, Document

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure
    from spacy.language import Language

    from .evaluate import EvalResult

__all__ = [
    "find_root", "annotate_source", "constraints_table", "batch_summary", "plot_summary",
    "EvaluationRun", "run_evaluation", "evaluation_table", "errors_table",
    "gold_comparison_html",
]

CONSTRAINT_COLUMNS = (
    "document", "criterion", "section", "kind", "start", "end", "text", "subject", "interval",
    "lower", "lower_inclusive", "upper", "upper_inclusive", "unit", "ucum", "anchor",
    "direction", "negated",
)
KINDS = tuple(KIND_COLORS)  # numeric, age, temporal, duration, count, dose
ALL = "(all)"


def find_root(start: Union[str, Path, None] = None) -> Path:
    """The nearest folder at or above `start` (default: the current one) holding a
    `pyproject.toml`: the repository root, from the root itself or from `notebooks/`."""
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file():
            return folder
    raise FileNotFoundError(f"no pyproject.toml in {here} or above it")


def annotate_source(source: Union[str, Path, Sequence[Union[str, Path]]], *,
                    nlp: Optional["Language"] = None, id: str = "text",
                    root: Union[str, Path, None] = None) -> List[Document]:
    """Annotate what a notebook's parameters name, as the CLI reads it.

    source: a path (`.txt`, ClinicalTrials.gov `.json`, `.jsonl`, a folder), a list of
        paths, or eligibility text itself (a string that names no existing file).
    nlp (Language or None): a pipeline from `criteria_nlp.load()`; the default one when None.
    id (str): the document id of a text given inline. Defaults to "text".
    root (path or None): where to look for a relative path not found from the current
        folder, e.g. the repository root (`corpus/seeds` from `notebooks/`).
    RETURNS (List[Document]): one Document per record, in input order.
    """
    from . import annotate, annotate_records
    from .io import read_inputs

    if isinstance(source, (str, Path)):
        if isinstance(source, str) and _as_path(source, root) is None:
            return [annotate(source, id=id, nlp=nlp)]
        source = [source]
    paths = [_as_path(str(path), root) or Path(path) for path in source]
    return list(annotate_records(read_inputs([str(path) for path in paths]), nlp=nlp))


def _as_path(text: str, root: Union[str, Path, None]) -> Optional[Path]:
    """The existing file or folder `text` names (from here, else under `root`), or None."""
    if not text.strip() or "\n" in text or len(text) > 4096:
        return None
    path = Path(text).expanduser()
    candidates = [path] if path.is_absolute() or root is None else [path, Path(root) / path]
    for candidate in candidates:
        try:
            if candidate.exists():
                return candidate
        except OSError:  # a name too long for the file system, say
            return None
    return None


# --- constraints and batch summaries ---------------------------------------------------


def _bound(bound: Optional[Bound]) -> Tuple[Optional[float], Optional[bool]]:
    return (None, None) if bound is None else (bound.value, bound.inclusive)


def _criterion_of(document: Document, constraint: Constraint) -> Optional[int]:
    """The criterion a constraint belongs to: its `criterion`, else the one holding its span."""
    if constraint.criterion is not None:
        return constraint.criterion
    if constraint.start is not None:
        for index, criterion in enumerate(document.criteria):
            if criterion.start <= constraint.start and constraint.end <= criterion.end:
                return index
    return None


def constraints_table(documents: Iterable[Document]) -> "pd.DataFrame":
    """One row per constraint: document id, criterion index, section, kind, span and text,
    subject, interval (as `annotate --format table` writes it), each bound's value and
    inclusivity, unit, UCUM code, anchor, direction and negation.

    RETURNS (DataFrame): the columns of `CONSTRAINT_COLUMNS`; nullable integers and
        booleans, NaN for a missing bound.
    """
    import pandas as pd

    rows = []
    for document in documents:
        for constraint in document.constraints:
            index = _criterion_of(document, constraint)
            section = constraint.section
            if section is None and index is not None and 0 <= index < len(document.criteria):
                section = document.criteria[index].section
            lower, lower_inclusive = _bound(constraint.lower)
            upper, upper_inclusive = _bound(constraint.upper)
            rows.append((
                document.id, index, section, constraint.kind, constraint.start, constraint.end,
                constraint.text, constraint.subject.text if constraint.subject else None,
                format_interval(constraint), lower, lower_inclusive, upper, upper_inclusive,
                constraint.unit, constraint.ucum, constraint.anchor, constraint.direction,
                constraint.negated,
            ))
    table = pd.DataFrame.from_records(rows, columns=list(CONSTRAINT_COLUMNS))
    types = {"criterion": "Int64", "start": "Int64", "end": "Int64", "lower": "float64",
             "upper": "float64", "lower_inclusive": "boolean", "upper_inclusive": "boolean",
             "negated": "bool"}
    return table.astype(types)


def _counted(counts: Counter, forms: Dict[str, Counter], column: str, top: int) -> "pd.DataFrame":
    import pandas as pd

    # most frequent first, ties by name: the same table for the same documents
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
    rows = [(key if column == "unit" else forms[key].most_common(1)[0][0], n,
             ", ".join(form for form, _ in forms[key].most_common(3)))
            for key, n in ranked]
    return pd.DataFrame.from_records(rows, columns=[column, "constraints", "written"])


def batch_summary(documents: Iterable[Document], *, top: int = 10) -> Dict[str, "pd.DataFrame"]:
    """Figures across a batch of documents, as DataFrames.

    top (int): how many subjects and units to keep. Defaults to 10.
    RETURNS (Dict[str, DataFrame]):
        "kinds": constraints per kind (every kind, zeros included);
        "subjects": the `top` most frequent subjects (case and spacing folded; `written`
            lists the spellings seen);
        "units": the `top` most frequent units by UCUM code (else as written);
        "criteria": per document, and `(all)` last: criteria, those with no constraint, and
            their share (`share_without`, 0 to 1).
    """
    import pandas as pd

    kinds: Counter = Counter()
    subjects: Counter = Counter()
    subject_forms: Dict[str, Counter] = {}
    units: Counter = Counter()
    unit_forms: Dict[str, Counter] = {}
    coverage = []
    for document in documents:
        covered = set()
        for constraint in document.constraints:
            kinds[constraint.kind] += 1
            covered.add(_criterion_of(document, constraint))
            if constraint.subject is not None:
                form = " ".join(constraint.subject.text.split())
                subjects[form.casefold()] += 1
                subject_forms.setdefault(form.casefold(), Counter())[form] += 1
            if constraint.ucum or constraint.unit:
                code = constraint.ucum or constraint.unit
                units[code] += 1
                unit_forms.setdefault(code, Counter())[constraint.unit or code] += 1
        n = len(document.criteria)
        without = sum(1 for index in range(n) if index not in covered)
        coverage.append((document.id, n, without))
    n_all, without_all = sum(row[1] for row in coverage), sum(row[2] for row in coverage)
    coverage.append((ALL, n_all, without_all))
    criteria = pd.DataFrame.from_records(coverage, columns=["document", "criteria",
                                                            "without_constraint"])
    criteria["share_without"] = [w / n if n else 0.0 for _, n, w in coverage]
    extra = sorted(set(kinds) - set(KINDS))
    return {
        "kinds": pd.DataFrame({"kind": list(KINDS) + extra,
                               "constraints": [kinds[k] for k in list(KINDS) + extra]}),
        "subjects": _counted(subjects, subject_forms, "subject", top),
        "units": _counted(units, unit_forms, "unit", top),
        "criteria": criteria,
    }


def plot_summary(summary: Mapping[str, "pd.DataFrame"]) -> "Figure":
    """Four panels from `batch_summary`: constraints per kind, the most frequent subjects
    and units, and the share of criteria with no constraint per document.

    RETURNS (Figure): a matplotlib Figure on the Agg canvas (no pyplot, no backend switch);
        in Jupyter it shows after `%matplotlib inline`, else `figure.savefig(path)`.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(12, 8), layout="constrained")
    FigureCanvasAgg(figure)
    (kinds_ax, subjects_ax), (units_ax, criteria_ax) = figure.subplots(2, 2)

    kinds = summary["kinds"]
    kinds_ax.bar(kinds["kind"], kinds["constraints"],
                 color=[KIND_COLORS.get(k, "#cccccc") for k in kinds["kind"]], edgecolor="#555")
    kinds_ax.set_title("Constraints per kind")
    kinds_ax.set_ylabel("constraints")
    kinds_ax.tick_params(axis="x", labelrotation=30)

    for ax, key, title in ((subjects_ax, "subjects", "Most frequent subjects"),
                           (units_ax, "units", "Most frequent units (UCUM)")):
        frame = summary[key].iloc[::-1]  # the most frequent on top
        labels = [_clip(str(label) if key == "subjects" or written in ("", label)
                        else f"{label} ({written})", 40)
                  for label, written in zip(frame.iloc[:, 0], frame["written"])]
        ax.barh(labels, frame["constraints"], color="#9fb8d9", edgecolor="#555")
        ax.set_title(title)
        ax.set_xlabel("constraints")
        if frame.empty:
            ax.text(0.5, 0.5, "none", ha="center", va="center", transform=ax.transAxes)

    criteria = summary["criteria"].iloc[::-1]
    colors = ["#d62728" if doc == ALL else "#bbbbbb" for doc in criteria["document"]]
    bars = criteria_ax.barh([_clip(str(d), 30) for d in criteria["document"]],
                            criteria["share_without"] * 100, color=colors, edgecolor="#555")
    criteria_ax.bar_label(bars, [f"{w} of {n}" for w, n in
                                 zip(criteria["without_constraint"], criteria["criteria"])],
                          padding=3, fontsize=9)
    criteria_ax.set_xlim(0, 118)  # room for the labels
    criteria_ax.set_xticks(range(0, 101, 20))
    criteria_ax.set_title("Criteria with no constraint")
    criteria_ax.set_xlabel("% of criteria")
    return figure


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# --- evaluation against gold --------------------------------------------------------------


@dataclass
class EvaluationRun:
    """An evaluation with what it compared: the gold documents and the predictions by id."""

    result: "EvalResult"
    golds: List[Any] = field(default_factory=list)
    predictions: Dict[str, Document] = field(default_factory=dict)


def run_evaluation(corpus: str = "chia", path: Union[str, Path, None] = None, *,
                   split: str = "dev", limit: Optional[int] = 10,
                   nlp: Optional["Language"] = None) -> EvaluationRun:
    """`criteria_nlp.evaluate.evaluate` on the first `limit` documents of a split, keeping
    the gold documents and the predicted Documents for `gold_comparison_html`.

    corpus (str): "chia" or "lct". path: the corpus folder; None looks in ../shared/corpora.
    nlp (Language or None): the pipeline; the default one (with the recognizer) when None.
    """
    from . import annotate_texts
    from .evaluate import evaluate, load_gold

    predictions: Dict[str, Document] = {}

    def annotate(items: Iterable[Tuple[str, str]]) -> Iterable[Document]:
        for document in annotate_texts(items, nlp=nlp):
            predictions.setdefault(document.id, document)
            yield document

    result = evaluate(corpus, path, split=split, limit=limit,  # type: ignore[arg-type]
                      annotate=annotate)
    golds = load_gold(corpus, path, split=split, limit=limit)  # type: ignore[arg-type]
    return EvaluationRun(result=result, golds=golds, predictions=predictions)


_METRICS = (("detection", "detection"), ("detection (numeric)", "detection_numeric"),
            ("atoms", "atoms"), ("atoms + unit", "atoms_with_unit"))


def evaluation_table(result: Union["EvalResult", EvaluationRun]) -> "pd.DataFrame":
    """The counts and rates of an evaluation, one row per metric it has (detection, numeric
    detection, atoms and atoms with unit for LCT), as `EvalResult.format_table` prints them."""
    import pandas as pd

    figures = _result(result).figures
    rows = [(label, m["tp"], m["fp"], m["fn"], m["p"], m["r"], m["f1"])
            for label, key in _METRICS for m in [figures.get(key)] if m]
    table = pd.DataFrame.from_records(
        rows, columns=["metric", "tp", "fp", "fn", "precision", "recall", "f1"])
    return table.set_index("metric")


def _result(result: Union["EvalResult", EvaluationRun]) -> "EvalResult":
    return result.result if isinstance(result, EvaluationRun) else result


def _error_records(errors: Any) -> List[Dict[str, Any]]:
    if isinstance(errors, EvaluationRun):
        errors = errors.result
    return list(getattr(errors, "errors", errors))


def _interval(pred: Optional[Mapping[str, Any]]) -> str:
    """`format_interval` of a prediction of an error record (a dict)."""
    if not pred:
        return ""
    fields = {key: pred.get(key) for key in ("lower", "upper", "unit", "ucum", "relative_to")}
    try:
        return format_interval(Constraint(kind=pred.get("kind") or "numeric", start=None,
                                          end=None, text=None, **fields))
    except ValueError:
        return ""


def _subject_texts(gold: Optional[Mapping[str, Any]]) -> str:
    subjects = (gold or {}).get("subjects") or []
    return "; ".join(s.get("text", "") for s in subjects)


def errors_table(errors: Any, kinds: Optional[Sequence[str]] = None) -> "pd.DataFrame":
    """One row per error record of an evaluation (an EvaluationRun, EvalResult, or the
    records of `write_errors`' JSONL): document, error, span, text, the gold span and its
    subjects, the prediction with its interval and subject.

    kinds: keep only these errors (`missed`, `false_positive`, `wrong_subject`, ...).
    """
    import pandas as pd

    rows = []
    for rec in _error_records(errors):
        if kinds is not None and rec.get("error") not in kinds:
            continue
        gold, pred = rec.get("gold") or {}, rec.get("pred") or {}
        rows.append((rec.get("doc_id"), rec.get("error"), rec.get("start"), rec.get("end"),
                     rec.get("text"), gold.get("text"), _subject_texts(gold) or None,
                     pred.get("text"), _interval(pred) or None,
                     (pred.get("subject") or {}).get("text")))
    columns = ["document", "error", "start", "end", "text", "gold", "gold_subjects",
               "predicted", "interval", "predicted_subject"]
    return pd.DataFrame.from_records(rows, columns=columns).astype({"start": "Int64",
                                                                    "end": "Int64"})


# A highlighted piece of a line: (start, end) relative to the line, CSS classes, hover text
_Piece = Tuple[int, int, Tuple[str, ...], str]

_GOLD_CLASSES = {"Value": "g-value", "Temporal": "g-temporal", "Multiplier": "g-multiplier",
                 "Value (no Has_value)": "g-other", "Threshold": "g-value"}
_CSS = """
.cnlp-gold{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;font-size:14px;color:#222}
.cnlp-gold table{border-collapse:collapse;width:100%;table-layout:fixed}
.cnlp-gold th,.cnlp-gold td{border:1px solid #ddd;padding:4px 6px;vertical-align:top;
text-align:left}
.cnlp-gold th{background:#f3f3f3}
.cnlp-gold col.meta{width:11em}
.cnlp-gold .line{white-space:pre-wrap;line-height:1.7;word-break:break-word}
.cnlp-gold .note{color:#555;font-size:12px;margin-top:3px}
.cnlp-gold .error{font-weight:600}
.cnlp-gold .error.missed{color:#b35900}.cnlp-gold .error.false_positive{color:#c00}
.cnlp-gold .hl{border-radius:2px;padding:1px 0}
.cnlp-gold .g-value{background:#ffe08a}.cnlp-gold .g-temporal{background:#b3d7ff}
.cnlp-gold .g-multiplier{background:#ffc9d6}
.cnlp-gold .g-other{background:#eeeeee;border-bottom:1px dashed #777}
.cnlp-gold .subject{border-bottom:2px solid #1f77b4}
.cnlp-gold .target{outline:2px solid #d62728}
.cnlp-gold .legend span{margin-right:.8em}
"""


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _css() -> str:
    kinds = "".join(f".cnlp-gold .k-{kind}{{background:{color}}}"
                    for kind, color in KIND_COLORS.items())
    return f"<style>{_CSS}{kinds}</style>"


def _fragments_pieces(fragments: Iterable[Sequence[int]], line_start: int, length: int,
                      classes: Tuple[str, ...], title: str) -> List[_Piece]:
    pieces = []
    for start, end in fragments:
        start, end = max(0, start - line_start), min(length, end - line_start)
        if start < end:
            pieces.append((start, end, classes, title))
    return pieces


def _span_fragments(span: Mapping[str, Any]) -> List[Sequence[int]]:
    return span.get("fragments") or [(span["start"], span["end"])]


def _highlight(line: str, pieces: Sequence[_Piece]) -> str:
    """`line` escaped, each character run wrapped in one `<span>` carrying the classes and
    hover texts of every piece covering it: overlapping pieces need no nesting."""
    cuts = sorted({0, len(line)} | {p for piece in pieces for p in piece[:2]})
    out = []
    for a, b in zip(cuts, cuts[1:]):
        over = [piece for piece in pieces if piece[0] <= a and b <= piece[1]]
        text = _esc(line[a:b])
        if not over:
            out.append(text)
            continue
        classes = " ".join(dict.fromkeys(c for piece in over for c in piece[2]))
        title = "\n".join(dict.fromkeys(piece[3] for piece in over if piece[3]))
        out.append(f'<span class="hl {_esc(classes)}" title="{_esc(title)}">{text}</span>')
    return "".join(out)


def _gold_pieces(gold_doc: Any, line_start: int, length: int) -> List[_Piece]:
    """Every gold annotation of a Chia or LCT gold document that falls on the line."""
    pieces: List[_Piece] = []
    values = getattr(gold_doc, "values", None)
    if values is None:  # LCT
        values = getattr(gold_doc, "thresholds", [])
    label = "Value" if hasattr(gold_doc, "values") else "Threshold"
    for value in values:
        title = f"gold {label}: {value.text}"
        pieces += _fragments_pieces(value.fragments, line_start, length,
                                    (_GOLD_CLASSES[label],), title)
        for subject in value.subjects:
            pieces += _fragments_pieces(subject.fragments, line_start, length, ("subject",),
                                        f"gold subject [{subject.label}] of {value.text}")
    for name, label in (("temporals", "Temporal"), ("multipliers", "Multiplier"),
                        ("other_values", "Value (no Has_value)")):
        for fragments in getattr(gold_doc, name, []):
            pieces += _fragments_pieces(fragments, line_start, length,
                                        (_GOLD_CLASSES[label],), f"gold {label}")
    return pieces


def _record_gold_pieces(gold: Mapping[str, Any], line_start: int, length: int) -> List[_Piece]:
    pieces = _fragments_pieces(_span_fragments(gold), line_start, length, ("g-value",),
                               f"gold: {gold.get('text')}")
    for subject in gold.get("subjects") or []:
        pieces += _fragments_pieces(_span_fragments(subject), line_start, length, ("subject",),
                                    f"gold subject [{subject.get('label')}]")
    return pieces


def _constraint_title(c: Constraint) -> str:
    subject = f"; subject: {c.subject.text}" if c.subject is not None else ""
    return f"predicted {c.kind}: {format_interval(c)}{subject}"


def _pred_pieces(document: Optional[Document], pred: Optional[Mapping[str, Any]],
                 line_start: int, length: int) -> List[_Piece]:
    """The predicted constraints on the line (all of them with the document, else the
    record's one), the record's prediction's subject underlined."""
    pieces: List[_Piece] = []
    spans = set()
    if document is not None:
        for c in document.constraints:
            if c.start is not None and c.end is not None:
                spans.add((c.start, c.end))
                pieces += _fragments_pieces([(c.start, c.end)], line_start, length,
                                            (f"k-{c.kind}",), _constraint_title(c))
    if pred and (pred["start"], pred["end"]) not in spans:  # a qualitative Value entity, say
        pieces += _fragments_pieces([(pred["start"], pred["end"])], line_start, length,
                                    (f"k-{pred.get('kind')}",),
                                    f"predicted {pred.get('kind')}: {_interval(pred)}")
    subject = (pred or {}).get("subject")
    if subject:
        pieces += _fragments_pieces([(subject["start"], subject["end"])], line_start, length,
                                    ("subject",), f"predicted subject: {subject.get('text')}")
    return pieces


def _gold_note(rec: Mapping[str, Any]) -> str:
    gold = rec.get("gold")
    if not gold:
        return "no gold Value here"
    parts = [f"gold: “{gold.get('text')}”"]
    if gold.get("values"):  # LCT
        ops = " ".join(gold.get("operators") or [])
        parts.append(f"{ops} {' / '.join(gold['values'])} {gold.get('unit') or ''}".strip())
    subjects = _subject_texts(gold)
    parts.append(f"subject: {subjects}" if subjects else "no subject")
    return " · ".join(parts)


def _pred_note(rec: Mapping[str, Any]) -> str:
    pred = rec.get("pred")
    if not pred:
        return "nothing predicted here"
    subject = (pred.get("subject") or {}).get("text")
    return (f"{pred.get('kind')}: “{pred.get('text')}” = {_interval(pred)} · "
            + (f"subject: {subject}" if subject else "no subject"))


def gold_comparison_html(errors: Any, *, golds: Optional[Iterable[Any]] = None,
                         predictions: Optional[Mapping[str, Document]] = None,
                         kinds: Sequence[str] = ("missed", "false_positive"),
                         limit: Optional[int] = None) -> str:
    """The errors of an evaluation side by side: for each, its line with the gold spans
    highlighted, and the same line with the predicted constraints; the error's span framed.

    errors: an EvaluationRun (its golds and predictions used), an EvalResult, or the
        records of `criteria_nlp.evaluate.write_errors`' JSONL.
    golds: the gold documents (`load_gold`), to show every gold annotation on the line
        (Values, their subjects, Temporal and Multiplier spans); else the record's gold only.
    predictions: the predicted Documents by id, to show every constraint on the line.
    kinds: the errors to show. Defaults to misses and false positives.
    limit (int or None): at most this many rows.
    RETURNS (str): a `<div class="cnlp-gold">` fragment with its own styles, every text
        escaped; for `IPython.display.HTML`.
    """
    if isinstance(errors, EvaluationRun):
        golds = errors.golds if golds is None else golds
        predictions = errors.predictions if predictions is None else predictions
    by_id = {g.id: g for g in golds or []}
    predictions = predictions or {}
    records = [rec for rec in _error_records(errors)
               if rec.get("error") in kinds and rec.get("line") is not None]
    shown = records if limit is None else records[: max(0, limit)]
    counts = Counter(rec["error"] for rec in records)
    summary = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(counts.items()))
    legend = ('<div class="legend note"><span class="hl g-value">gold Value</span>'
              '<span class="hl subject">subject</span>'
              '<span class="hl g-temporal">gold Temporal</span>'
              '<span class="hl g-multiplier">gold Multiplier</span>'
              '<span class="hl g-other">gold Value without Has_value</span>'
              + "".join(f'<span class="hl k-{k}">{k}</span>' for k in KIND_COLORS)
              + '<span class="hl target">the error\'s span</span></div>')
    out = [f'<div class="cnlp-gold">{_css()}',
           f"<p>{_esc(summary or 'no errors of these kinds')}"
           + (f" (first {len(shown)} shown)" if len(shown) < len(records) else "") + "</p>",
           legend,
           '<table><colgroup><col class="meta"><col><col></colgroup>'
           "<tr><th>document · error</th><th>gold</th><th>predicted</th></tr>"]
    for rec in shown:
        line, line_start = rec["line"], rec["line_start"]
        length = len(line)
        target = _fragments_pieces([(rec["start"], rec["end"])], line_start, length,
                                   ("target",), "")
        gold_doc = by_id.get(rec.get("doc_id"))
        if gold_doc is not None:
            gold = _gold_pieces(gold_doc, line_start, length)
        else:
            gold = _record_gold_pieces(rec["gold"], line_start, length) if rec.get("gold") else []
        pred = _pred_pieces(predictions.get(rec.get("doc_id")), rec.get("pred"), line_start,
                            length)
        error = rec.get("error") or ""
        out.append(
            f'<tr data-error="{_esc(error)}"><td><div>{_esc(rec.get("doc_id"))}</div>'
            f'<div class="error {_esc(error)}">{_esc(error.replace("_", " "))}</div>'
            f'<div class="note">{_esc(rec.get("start"))}–{_esc(rec.get("end"))}</div></td>'
            f'<td><div class="line">{_highlight(line, gold + target)}</div>'
            f'<div class="note">{_esc(_gold_note(rec))}</div></td>'
            f'<td><div class="line">{_highlight(line, pred + target)}</div>'
            f'<div class="note">{_esc(_pred_note(rec))}</div></td></tr>')
    out.append("</table></div>")
    return "".join(out)
