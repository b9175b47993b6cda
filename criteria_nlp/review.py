"""A self-contained HTML page for reviewing annotated Documents.

Each criterion is a block with its section, cohort and logic, its text exactly as given with
the constraints (colored by kind) and the entities (underlined by label) highlighted at their
offsets, and a table of its constraints. Inline CSS only: no script, no network reference.
Every string taken from a document is escaped.

    >>> from criteria_nlp.review import render_html
    >>> page = render_html([criteria_nlp.annotate(text, id="NCT07193810")])
"""
from __future__ import annotations

import heapq
import html
import re
from bisect import bisect_left, bisect_right
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from .io.writers import format_interval
from .schemas import ENTITY_LABELS, Constraint, Criterion, Document, Entity, Requirement

__all__ = ["render_html", "render_document_html", "iter_html"]

KIND_COLORS: Dict[str, str] = {
    "numeric": "#ffe08a", "age": "#bfe6b1", "temporal": "#b3d7ff",
    "duration": "#dccbff", "count": "#ffc9d6", "dose": "#ffd2a6",
}
LABEL_COLORS: Dict[str, str] = {
    "Condition": "#d62728", "Drug": "#1f77b4", "Procedure": "#2ca02c",
    "Measurement": "#9467bd", "Observation": "#8c564b", "Device": "#e377c2",
    "Person": "#7f7f7f", "Visit": "#bcbd22", "Temporal": "#17becf", "Value": "#ff7f0e",
    "Negation": "#393b79", "Qualifier": "#637939", "Multiplier": "#8c6d31",
    "Reference_point": "#843c39", "Mood": "#7b4173",
}
# The last line of the text before a criterion, when it is only a list marker (`*`, `1.`, `a)`)
_MARKER = re.compile(r"\s*(?:[-*+>•·‣◦▪–—]|\(?(?:\d{1,3}|[A-Za-z]|[ivxIVX]{1,5})[.)])\s*")

_CSS = """
.cnlp{font:14px/1.5 system-ui,-apple-system,"Segoe UI","DejaVu Sans",sans-serif;color:#1d1d1f}
.cnlp h1{font-size:20px;margin:0 0 8px}
.cnlp h2{font-size:17px;margin:24px 0 2px;border-bottom:2px solid #ccd;padding-bottom:2px}
.cnlp .summary{color:#666;margin:0 0 8px;font-size:12px}
.cnlp .errors{color:#a00;margin:4px 0}
.cnlp .legend{border:1px solid #dde;border-radius:6px;padding:6px 10px;margin:8px 0;font-size:12px}
.cnlp .legend div{margin:2px 0}
.cnlp .legend .key{display:inline-block;width:96px;font-weight:600}
.cnlp .legend mark,.cnlp .legend .entity{margin-right:6px}
.cnlp .outside{white-space:pre-wrap;color:#555;font-weight:600;margin:12px 0 4px}
.cnlp .criterion{border-left:4px solid #ccc;padding:4px 10px;margin:6px 0;background:#fafafa}
.cnlp .criterion.inclusion{border-left-color:#3a9a4a}
.cnlp .criterion.exclusion{border-left-color:#c0392b}
.cnlp .meta{font-size:11px;color:#555}
.cnlp .meta span{margin-right:8px}
.cnlp .meta .marker{font-family:monospace;color:#999}
.cnlp .meta .section{font-weight:700;text-transform:uppercase}
.cnlp .inclusion .section{color:#2d7a3a}
.cnlp .exclusion .section{color:#a93226}
.cnlp .meta .logic{background:#eef;border-radius:3px;padding:0 4px}
.cnlp .ctext{white-space:pre-wrap;margin:2px 0}
.cnlp mark.constraint{border-radius:3px;padding:0 1px;color:inherit;background:#eee}
.cnlp .entity{border-bottom:2px solid #555;padding-bottom:1px}
.cnlp .entity .entity{padding-bottom:4px}
.cnlp .negated{text-decoration:line-through;text-decoration-color:#0008}
.cnlp mark.negated{outline:1px dashed #0006}
.cnlp .hypothetical{font-style:italic}
.cnlp table{border-collapse:collapse;font-size:12px;margin:4px 0 2px}
.cnlp th,.cnlp td{border:1px solid #dde;padding:1px 6px;text-align:left;vertical-align:top}
.cnlp th{background:#f0f0f5;font-weight:600}
.cnlp td ul{margin:0;padding-left:16px}
"""


def _esc(value: object) -> str:
    """Escape text and attribute values; a carriage return as a reference, which HTML
    parsers would otherwise turn into a line feed."""
    return html.escape(str(value), quote=True).replace("\r", "&#13;")


def _css() -> str:
    rules = [_CSS.strip()]
    rules += [f".cnlp mark.{kind}{{background:{color}}}" for kind, color in KIND_COLORS.items()]
    rules += [f".cnlp .entity.{_label_class(label)}{{border-bottom-color:{color}}}"
              for label, color in LABEL_COLORS.items()]
    return "<style>\n" + "\n".join(rules) + "\n</style>"


def _label_class(label: str) -> str:
    """A CSS class for an entity label: `e-condition`, `e-other` for a label not in Chia's."""
    return f"e-{label.lower()}" if label in LABEL_COLORS else "e-other"


def _legend() -> str:
    kinds = "".join(f'<mark class="constraint {kind}">{kind}</mark>' for kind in KIND_COLORS)
    labels = "".join(f'<span class="entity {_label_class(label)}">{label}</span>'
                     for label in ENTITY_LABELS)
    flags = ('<mark class="constraint numeric negated">negated</mark>'
             '<mark class="constraint numeric hypothetical">hypothetical</mark>')
    return (f'<div class="legend"><div><span class="key">constraints</span>{kinds}</div>'
            f'<div><span class="key">entities</span>{labels}</div>'
            f'<div><span class="key">flags</span>{flags} '
            "hover a highlight for its subject, interval and flags</div></div>")


# --- hover texts and table cells ------------------------------------------------------


def _flags(item: object) -> List[str]:
    names = ("negated", "hypothetical", "historical", "family")
    return [name for name in names if getattr(item, name, False)]


def _constraint_flags(constraint: Constraint) -> List[str]:
    flags = _flags(constraint)
    if constraint.component:
        flags.append(constraint.component)
    if constraint.alternative_of is not None:
        flags.append(f"alternative of #{constraint.alternative_of}")
    return flags


def _subject(constraint: Constraint) -> str:
    """The subject's text, with its members when there are several: `MI or stroke (MI;
    stroke)`."""
    if constraint.subject is None:
        return ""
    if len(constraint.subjects) < 2:
        return constraint.subject.text
    return f"{constraint.subject.text} ({'; '.join(span.text for span in constraint.subjects)})"


def _constraint_title(index: int, constraint: Constraint) -> str:
    lines = [f"#{index} {constraint.kind}: {format_interval(constraint)}"]
    if constraint.subject is not None:
        label = f" [{constraint.subject.label}]" if constraint.subject.label else ""
        lines.append(f"subject: {_subject(constraint)}{label}")
    for name in ("unit", "ucum", "anchor", "direction"):
        value = getattr(constraint, name)
        if value:
            lines.append(f"{'UCUM' if name == 'ucum' else name}: {value}")
    flags = _constraint_flags(constraint)
    if flags:
        lines.append(", ".join(flags))
    return "\n".join(lines)


def _entity_title(entity: Entity) -> str:
    lines = [entity.label]
    flags = _flags(entity)
    if flags:
        lines.append(", ".join(flags))
    if entity.long_form:
        lines.append(f"long form: {entity.long_form}")
    if entity.subject is not None:
        lines.append(f"value of: {entity.subject.text}")
    if entity.concept:
        lines.append(f"concept: {entity.concept}")
    return "\n".join(lines)


def _table(rows: Sequence[Tuple[int, Constraint]], explain: bool) -> str:
    """The constraints of one criterion: subject, interval, unit, UCUM, anchor, flags."""
    if not rows:
        return ""
    rules = explain and any(constraint.explain for _, constraint in rows)
    head = ["#", "kind", "text", "subject", "interval", "unit", "UCUM", "anchor", "direction",
            "flags"] + (["rules"] if rules else [])
    out = ['<table class="constraints"><tr>', *(f"<th>{name}</th>" for name in head), "</tr>"]
    for index, c in rows:
        cells = [str(index), c.kind, c.text or "", _subject(c), format_interval(c), c.unit or "",
                 c.ucum or "", c.anchor or "", c.direction or "", ", ".join(_constraint_flags(c))]
        out.append(f'<tr class="{_esc(c.kind)}">')
        out.extend(f"<td>{_esc(cell)}</td>" for cell in cells)
        if rules:
            items = "".join(f"<li>{_esc(rule)}</li>" for rule in c.explain or [])
            out.append(f"<td><ul>{items}</ul></td>" if items else "<td></td>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


# --- highlighted text -----------------------------------------------------------------

# (start, -end, rank, whole, opening tag, closing tag): in this order a span comes before the
# spans inside it, and rank (unique) puts a constraint outside an entity of the same extent;
# `whole` (constraints) is split by no entity
_Span = Tuple[int, int, int, bool, str, str]
# the same with the end itself: (start, end, rank, whole, opening tag, closing tag)
_Tagged = Tuple[int, int, int, bool, str, str]


def _tagged(document: Document) -> List[_Tagged]:
    """Every constraint and entity with a non-empty span, as tags, by start."""
    spans: List[_Tagged] = []
    for index, c in enumerate(document.constraints):
        if c.start is not None and c.end is not None and c.start < c.end:
            classes = " ".join(["constraint", c.kind] + _flags(c))
            title = _esc(_constraint_title(index, c))
            tag = f'<mark class="{_esc(classes)}" data-c="{index}" title="{title}">'
            spans.append((c.start, c.end, len(spans), True, tag, "</mark>"))
    for index, e in enumerate(document.entities):
        if e.start < e.end:
            classes = " ".join(["entity", _label_class(e.label)] + _flags(e))
            tag = f'<span class="{classes}" data-e="{index}" title="{_esc(_entity_title(e))}">'
            spans.append((e.start, e.end, len(spans), False, tag, "</span>"))
    return sorted(spans)


def _nest(text: str, start: int, end: int, spans: List[_Span]) -> str:
    """text[start:end] escaped, each span wrapped in its tags, so that the elements nest and
    the visible text is text[start:end] exactly. Where two spans cross, one is split at the
    other's edge, both pieces with the same tag: an entity where a constraint starts, else
    the later span where the earlier one ends."""
    heapq.heapify(spans)
    parts, pos = [], start
    while spans:
        outer = heapq.heappop(spans)
        outer_end = -outer[1]
        inside: List[_Span] = []
        while spans and spans[0][0] < outer_end:
            span = heapq.heappop(spans)
            if -span[1] > outer_end:
                if span[3] and not outer[3]:  # end the entity where the constraint starts
                    for item in inside + [span, (span[0], -outer_end) + outer[2:]]:
                        heapq.heappush(spans, item)
                    inside, outer_end = [], span[0]
                    continue
                heapq.heappush(spans, (outer_end,) + span[1:])
                span = (span[0], -outer_end) + span[2:]
            inside.append(span)
        parts.append(_esc(text[pos:outer[0]]))
        parts.append(outer[4] + _nest(text, outer[0], outer_end, inside) + outer[5])
        pos = outer_end
    parts.append(_esc(text[pos:end]))
    return "".join(parts)


# --- criteria and documents -----------------------------------------------------------


def _requirement(require: Requirement, has_children: bool) -> str:
    """`at least 1 of the items below`, `exactly 2 of ...`, `none of ...`."""
    low, up = require.lower, require.upper
    floor = f"{'at least' if low.inclusive else 'more than'} {low.value:g}"
    if up is None:
        phrase = floor
    elif low.value == up.value and low.inclusive and up.inclusive:
        phrase = "none" if up.value == 0 else f"exactly {up.value:g}"
    else:
        ceiling = f"{'at most' if up.inclusive else 'fewer than'} {up.value:g}"
        phrase = ceiling if low.value == 0 and low.inclusive else f"{floor} and {ceiling}"
    return f"{phrase} of {'the items below' if has_children else 'the alternatives it lists'}"


def _depth(criteria: Sequence[Criterion], index: int) -> int:
    depth, seen = 0, {index}
    parent = criteria[index].parent
    while parent is not None and 0 <= parent < len(criteria) and parent not in seen:
        seen.add(parent)
        depth += 1
        parent = criteria[parent].parent
    return depth


def _owner(constraint: Constraint, criteria: Sequence[Criterion],
           order: Sequence[int]) -> Optional[int]:
    """The criterion a constraint is listed under: the one holding its span, else the one it
    names. `order` lists the criteria by start."""
    if constraint.start is not None and constraint.end is not None:
        at = bisect_right(order, constraint.start, key=lambda i: criteria[i].start) - 1
        if at >= 0 and constraint.end <= criteria[order[at]].end:
            return order[at]
    if constraint.criterion is not None and 0 <= constraint.criterion < len(criteria):
        return constraint.criterion
    return None


def _outside(text: str) -> str:
    return f'<div class="outside">{_esc(text)}</div>' if text else ""


def _criterion(document: Document, index: int, marker: str, spans: List[_Span],
               rows: Sequence[Tuple[int, Constraint]], has_children: bool, explain: bool) -> str:
    """One criterion's block: its marker, section, cohort and logic, its text with `spans`
    (clipped to it) highlighted, and the table of its constraints."""
    criterion = document.criteria[index]
    meta = [f'<span class="marker">{_esc(marker)}</span>' if marker else "",
            f'<span class="index">#{index}</span>',
            f'<span class="section">{_esc(criterion.section or "no section")}</span>']
    if criterion.cohort:
        meta.append(f'<span class="cohort">cohort: {_esc(criterion.cohort)}</span>')
    if criterion.require is not None:
        logic = _requirement(criterion.require, has_children)
        meta.append(f'<span class="logic">requires {_esc(logic)}</span>')
    if criterion.parent is not None:
        meta.append(f'<span class="logic">item under #{criterion.parent}</span>')
    body = _nest(document.text, criterion.start, criterion.end, spans)
    depth = _depth(document.criteria, index)
    indent = f' style="margin-left:{2 * depth}em"' if depth else ""
    section = _esc(criterion.section or "")
    return (f'<div class="criterion {section}" data-criterion="{index}"{indent}>'
            f'<div class="meta">{"".join(meta)}</div><div class="ctext">{body}</div>'
            f"{_table(rows, explain)}</div>")


def _document(document: Document, explain: bool) -> str:
    """One document: heading, errors, then its text in order, each criterion a block."""
    text, criteria = document.text, document.criteria
    order = sorted(range(len(criteria)), key=lambda i: criteria[i].start)
    counts = (f"{len(criteria)} criteria · {len(document.entities)} entities · "
              f"{len(document.constraints)} constraints")
    out = [f'<section class="document"><h2>{_esc(document.id)}</h2><p class="summary">{counts}</p>']
    if document.errors:
        items = "".join(f"<li>{_esc(error)}</li>" for error in document.errors)
        out.append(f'<ul class="errors">{items}</ul>')
    rows: Dict[Optional[int], List[Tuple[int, Constraint]]] = {}
    for index, constraint in enumerate(document.constraints):
        rows.setdefault(_owner(constraint, criteria, order), []).append((index, constraint))
    parents = {c.parent for c in criteria}
    spans = _tagged(document)
    starts = [span[0] for span in spans]
    carried: List[_Tagged] = []  # spans starting before the criterion that may reach into it
    pos = seen = 0
    for index in order:
        criterion = criteria[index]
        first, last = bisect_left(starts, criterion.start), bisect_left(starts, criterion.end)
        carried = [s for s in carried + spans[seen:first] if s[1] > criterion.start]
        seen = max(seen, first)
        clipped = [(max(s[0], criterion.start), -min(s[1], criterion.end)) + s[2:]
                   for s in carried + spans[first:last]]
        gap = text[pos:max(pos, criterion.start)]
        head, _, tail = gap.rpartition("\n")
        marker = tail.strip() if _MARKER.fullmatch(tail) else ""
        out.append(_outside((head if marker else gap).strip()))
        out.append(_criterion(document, index, marker, clipped, rows.get(index, []),
                              index in parents, explain))
        pos = max(pos, criterion.end)
    out.append(_outside(text[pos:].strip()))
    if rows.get(None):
        out.append('<div class="outside">Constraints outside any criterion</div>')
        out.append(_table(rows[None], explain))
    out.append("</section>")
    return "".join(out)


def iter_html(documents: Iterable[Document], *, title: Optional[str] = None,
              explain: bool = False) -> Iterator[str]:
    """The review page in pieces, for writing it as the documents arrive: the head with the
    styles and the legend, one piece per document, the tail.

    documents (Iterable[Document]): the documents, consumed lazily.
    title (str or None): the page title. Defaults to "criteria_nlp review".
    explain (bool): add to each constraint table the rules that made each constraint
        (`Constraint.explain`). Defaults to False.
    YIELDS (str): the pieces of one HTML page; joined, the whole page.
    """
    title = _esc(title if title is not None else "criteria_nlp review")
    yield (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
           f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
           f"<title>{title}</title>\n{_css()}\n</head>\n<body>\n<div class=\"cnlp\">\n"
           f"<h1>{title}</h1>\n{_legend()}\n")
    for document in documents:
        yield _document(document, explain) + "\n"
    yield "</div>\n</body>\n</html>\n"


def render_html(documents: Iterable[Document], *, title: Optional[str] = None,
                explain: bool = False) -> str:
    """One complete, self-contained HTML page reviewing the documents.

    documents (Iterable[Document]): the annotated documents.
    title (str or None): the page title. Defaults to "criteria_nlp review".
    explain (bool): add the rules that made each constraint to its table. Defaults to False.
    RETURNS (str): the page: inline CSS, no script, no network reference.
    """
    return "".join(iter_html(documents, title=title, explain=explain))


def render_document_html(document: Document, *, explain: bool = False) -> str:
    """One document as an HTML fragment carrying its own styles and legend, e.g. for
    `IPython.display.HTML(render_document_html(doc))` in a notebook.

    document (Document): the annotated document.
    explain (bool): add the rules that made each constraint to its table. Defaults to False.
    RETURNS (str): a `<div class="cnlp">` element.
    """
    return f'<div class="cnlp">{_css()}{_legend()}{_document(document, explain)}</div>'
