"""Write annotated Documents as JSONL (the contract), a JSON array, a plain-text table or an
HTML review page (`criteria_nlp.review`).

Every writer streams: it takes any iterable of `schemas.Document`, writes each document as
soon as it arrives, flushes, and returns how many it wrote. Nothing here needs more than the
standard library.
"""
from __future__ import annotations

import json
import textwrap
import unicodedata
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, TextIO

from ..schemas import Bound, Constraint, Document

# Column caps of the table, in terminal cells; longer cells end with "…".
TABLE_COLUMNS = (
    ("#", 4), ("section", 9), ("cohort", 24), ("subject", 32), ("kind", 8),
    ("interval", 28), ("flags", 14), ("text", 48),
)
_ELLIPSIS = "…"


def _as_dict(doc: Any, explain: bool = False) -> Dict[str, Any]:
    if isinstance(doc, Document):
        return doc.to_dict(explain)
    if isinstance(doc, dict):
        return doc
    raise TypeError(f"expected a criteria_nlp.schemas.Document, got {type(doc).__name__}")


def write_jsonl(docs: Iterable[Document], out: TextIO, explain: bool = False) -> int:
    """Write one JSON object per document and line (CONTRACT.md), flushing after each.

    docs (Iterable[Document]): the documents, consumed lazily.
    out (TextIO): where to write.
    explain (bool): add each constraint's `explain` (the rules that made it).
    RETURNS (int): how many documents were written.
    """
    count = 0
    for doc in docs:
        line = doc.to_json(explain) if isinstance(doc, Document) else json.dumps(
            _as_dict(doc), ensure_ascii=False)
        out.write(line + "\n")
        out.flush()
        count += 1
    return count


def write_json(docs: Iterable[Document], out: TextIO, explain: bool = False) -> int:
    """Write the documents as one indented JSON array, streamed one document at a time.

    docs (Iterable[Document]): the documents, consumed lazily.
    out (TextIO): where to write.
    explain (bool): add each constraint's `explain` (the rules that made it).
    RETURNS (int): how many documents were written.
    """
    count = 0
    out.write("[")
    for doc in docs:
        body = json.dumps(_as_dict(doc, explain), ensure_ascii=False, indent=2)
        out.write((",\n" if count else "\n") + textwrap.indent(body, "  "))
        out.flush()
        count += 1
    out.write("\n]\n" if count else "]\n")
    out.flush()
    return count


def write_html(docs: Iterable[Document], out: TextIO, explain: bool = False) -> int:
    """Write one self-contained HTML review page (`criteria_nlp.review`): per document its
    criteria with the constraints and entities highlighted at their offsets, each document
    written and flushed as it arrives.

    docs (Iterable[Document]): the documents, consumed lazily.
    out (TextIO): where to write.
    explain (bool): add to each constraint table the rules that made each constraint.
    RETURNS (int): how many documents were written.
    """
    from ..review import iter_html  # review imports format_interval from here

    count = 0

    def counted() -> Iterator[Document]:
        nonlocal count
        for doc in docs:
            count += 1
            yield doc if isinstance(doc, Document) else Document.model_validate(_as_dict(doc))

    for piece in iter_html(counted(), explain=explain):
        out.write(piece)
        out.flush()
    return count


# --- interval -------------------------------------------------------------------------


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.10g}"


def format_interval(constraint: Constraint) -> str:
    """The interval of a constraint in math form.

    `serum IgA level <10 mg/dL` -> "< 10 mg/dL"; `aged 18-65 years` -> "18–65 a";
    `AST >2× ULN` -> "> 2 × ULN"; `within 4 weeks prior to screening` -> "≤ 4 wk before
    screening"; `ANA ≥ 1:80` -> "≥ 1:80"; `≥8 and <10` -> "8 ≤ x < 10".

    constraint (Constraint): the constraint (an age in `Structured` too).
    RETURNS (str): the interval, with the UCUM code (else the unit as written), the
        reference of a multiple, the scale maximum and the temporal anchor.
    """
    lower: Optional[Bound] = constraint.lower
    upper: Optional[Bound] = constraint.upper
    titer = constraint.ucum == "{titer}"

    def num(bound: Bound) -> str:
        return f"1:{_number(bound.value)}" if titer else _number(bound.value)

    if lower is not None and upper is not None:
        if lower.value == upper.value and lower.inclusive and upper.inclusive:
            body = f"= {num(lower)}"
        elif lower.inclusive and upper.inclusive:
            dash = " – " if lower.value < 0 or upper.value < 0 else "–"
            body = f"{num(lower)}{dash}{num(upper)}"
        else:
            left = "≤" if lower.inclusive else "<"
            right = "≤" if upper.inclusive else "<"
            body = f"{num(lower)} {left} x {right} {num(upper)}"
    elif lower is not None:
        body = f"{'≥' if lower.inclusive else '>'} {num(lower)}"
    elif upper is not None:
        body = f"{'≤' if upper.inclusive else '<'} {num(upper)}"
    else:
        body = "any"
    if constraint.scale_max is not None:
        body += f"/{_number(constraint.scale_max)}"
    if constraint.relative_to:
        body += f" × {constraint.relative_to}"
    else:
        unit = None if titer else (constraint.ucum or constraint.unit)
        if unit:
            body += unit if unit == "%" else f" {unit}"
    direction = getattr(constraint, "direction", None)
    if constraint.anchor:
        body += f" {direction or 'of'} {constraint.anchor}"
    elif direction:
        body += f" {direction}"
    return body


# --- table ----------------------------------------------------------------------------


def _cell_width(text: str) -> int:
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in "WF" else 1
    return width


def _clip(text: str, cap: int) -> str:
    text = " ".join(text.split())  # newlines and tabs would break the row
    if _cell_width(text) <= cap:
        return text
    out, width = [], 0
    for char in text:
        step = _cell_width(char)
        if width + step > cap - 1:
            break
        out.append(char)
        width += step
    return "".join(out) + _ELLIPSIS


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _cell_width(text))


def _flags(constraint: Constraint) -> str:
    flags = []
    if constraint.negated:
        flags.append("negated")
    if constraint.hypothetical:
        flags.append("hypoth.")
    if constraint.alternative_of is not None:
        flags.append(f"alt of {constraint.alternative_of}")
    return ",".join(flags)


def _rows(doc: Document) -> List[Sequence[str]]:
    rows = []
    for index, constraint in enumerate(doc.constraints):
        cohort = None
        if constraint.criterion is not None and 0 <= constraint.criterion < len(doc.criteria):
            cohort = doc.criteria[constraint.criterion].cohort
        subject = constraint.subject.text if constraint.subject is not None else ""
        rows.append((
            str(index), constraint.section or "", cohort or "", subject, constraint.kind,
            format_interval(constraint), _flags(constraint), constraint.text or "",
        ))
    return rows


def _structured_line(doc: Document) -> Optional[str]:
    if doc.structured is None:
        return None
    parts = []
    if doc.structured.age is not None:
        parts.append(f"age {format_interval(doc.structured.age)}")
    if doc.structured.sex is not None:
        parts.append(f"sex {doc.structured.sex}")
    if doc.structured.healthy_volunteers is not None:
        parts.append(f"healthy volunteers {'yes' if doc.structured.healthy_volunteers else 'no'}")
    return "  structured: " + ("; ".join(parts) if parts else "(no fields)")


def _plural(count: int, word: str, plural: str = "") -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def write_table(docs: Iterable[Document], out: TextIO) -> int:
    """Write a fixed-width, human-readable table: per document a header, then one row per
    constraint (section, cohort, subject, kind, interval, flags, text).

        NCT06980805 | 12 criteria | 5 constraints | 0 errors
        #  section    cohort  subject          kind     interval    flags  text
        0  inclusion          CLASI-A score    numeric  ≥ 10               ≥10

    docs (Iterable[Document]): the documents, consumed lazily.
    out (TextIO): where to write.
    RETURNS (int): how many documents were written.
    """
    count = 0
    for doc in docs:
        if not isinstance(doc, Document):
            doc = Document.model_validate(_as_dict(doc))
        if count:
            out.write("\n")
        out.write(" | ".join((
            doc.id, _plural(len(doc.criteria), "criterion", "criteria"),
            _plural(len(doc.constraints), "constraint"), _plural(len(doc.errors), "error"),
        )) + "\n")
        for error in doc.errors:
            out.write(f"  error: {_clip(error, 200)}\n")
        structured = _structured_line(doc)
        if structured:
            out.write(structured + "\n")
        rows = _rows(doc)
        if not rows:
            out.write("  (no constraints)\n")
        else:
            cells = [[_clip(cell, cap) for cell, (_, cap) in zip(row, TABLE_COLUMNS)]
                     for row in rows]
            header = [name for name, _ in TABLE_COLUMNS]
            widths = [max(_cell_width(row[i]) for row in cells + [header])
                      for i in range(len(header))]
            for row in [header] + cells:
                line = "  " + "  ".join(_pad(cell, width) for cell, width in zip(row, widths))
                out.write(line.rstrip() + "\n")
        out.flush()
        count += 1
    return count
