"""Doc -> `schemas.Document`: the typed output, with offsets into the text as given.

The pipeline works on normalized text; every span is mapped back through the offset map
of `normalize.py`, so `document.text[c.start:c.end] == c.text` for every span object.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from typing import Dict, List, Optional, Tuple, Union

from . import pipeline  # noqa: F401  (spaCy without its command line: first)
from spacy.tokens import Doc

from .concepts import concept_code
from .doctext import doc_text, normalization
from .extensions import CRITERIA_KEY, QUANTITIES_KEY
from .normalize import normalize
from .records import ContextMarks, QuantityRecord, SpanLabel, SubjectLink
from .schemas import Bound, Constraint, Criterion, Document, Entity, Requirement, SpanRef, Structured

_VALUE_LABELS = {"temporal": "Temporal", "duration": "Temporal"}


class _OffsetMap:
    """Normalized char offsets -> offsets of the text as given."""

    def __init__(self, doc: Doc) -> None:
        source = doc._.criteria_source
        self.source: str = source if source is not None else doc_text(doc)
        self.normalized = None
        if source is not None:
            known = normalization(doc)  # the tokenizer's own, unless the Doc was copied
            self.normalized = known if known is not None and known.source == source else normalize(source)
            if self.normalized.text != doc_text(doc):
                raise ValueError("the Doc's text is not the normalization of its source text")

    def span(self, start: int, end: int) -> Tuple[int, int, str]:
        if self.normalized is not None:
            start, end = self.normalized.to_source(start, end)
        return start, end, self.source[start:end]


def build_document(doc: Doc, doc_id: str = "doc", structured: Optional[Structured] = None,
                   errors: Optional[List[str]] = None) -> Document:
    """Turn an annotated Doc into the contract's Document.

    Entities are the recognised ones (`doc.ents`, with ConText's flags), then the threshold,
    subject and qualitative-value spans that no recognised entity already covers.

    doc (Doc): a Doc processed by the criteria_nlp pipeline.
    doc_id (str): the document id. Defaults to "doc".
    structured (Structured or None): ClinicalTrials.gov's structured fields, if any.
    errors (List[str] or None): messages to carry into `Document.errors`.
    RETURNS (Document): the typed output.
    """
    offsets = _OffsetMap(doc)
    long_forms = _LongForms(doc, offsets)
    criteria: List[Criterion] = []
    if CRITERIA_KEY in doc.spans:
        for span in doc.spans[CRITERIA_KEY]:
            start, end, text = offsets.span(span.start_char, span.end_char)
            ext = span._  # a new accessor on every `span._`: one per span
            require = ext.criterion_require
            criteria.append(Criterion(start=start, end=end, text=text,
                                      section=ext.criterion_section,
                                      cohort=ext.criterion_cohort,
                                      require=_requirement(require) if require else None,
                                      parent=ext.criterion_parent))
    entities = _Entities()

    def span_ref(ref: Union[dict, SpanLabel], flags: dict) -> SpanRef:
        ref = ref if isinstance(ref, dict) else {"start": ref.start, "end": ref.end, "label": ref.label}
        s, e, stext = offsets.span(ref["start"], ref["end"])
        entities.add(s, e, stext, ref["label"], flags)
        long_form = long_forms.get(ref["start"], ref["end"])
        return SpanRef(start=s, end=e, text=stext, label=ref["label"], long_form=long_form,
                       concept=concept_code(stext, long_form))

    recognised = []
    for ent in doc.ents:
        start, end, text = _trim_edges(offsets.source, *offsets.span(ent.start_char, ent.end_char)[:2])
        ext = ent._
        label = ent.label_
        entity = entities.add(start, end, text, label, ext.criteria_context or {}, recognised=True,
                              long_form=long_forms.get(ent.start_char, ent.end_char))
        if label == "Value":  # the linker gives a subject to recognised Values only
            recognised.append((entity, ext.criteria_subject))
    for entity, subject in recognised:  # a recognised Value's subject (`sero-positive` -> `HIV`)
        if subject is not None:
            entity.subject = span_ref(subject, {})

    constraints: List[Constraint] = []
    position: Dict[int, int] = {}  # record index -> constraint index (a pair adds one)
    thresholds = doc.spans[QUANTITIES_KEY] if QUANTITIES_KEY in doc.spans else []
    for i, span in enumerate(thresholds):
        ext = span._
        rec: QuantityRecord = ext.criteria_quantity
        link: Optional[SubjectLink] = ext.criteria_link
        context: ContextMarks = ext.criteria_flags or ContextMarks()
        flags = {"negated": context.negated, "hypothetical": context.hypothetical,
                 "historical": context.historical}
        start, end, text = offsets.span(rec.start, rec.end)
        subject = span_ref(link.subject, flags) if link is not None and link.subject is not None else None
        members = [span_ref(m, flags) for m in link.members] if subject else []
        entities.add(start, end, text, _VALUE_LABELS.get(rec.kind, "Value"), flags)
        index = rec.criterion
        criterion = criteria[index] if index is not None and index < len(criteria) else None
        position[i] = len(constraints)
        constraints.append(Constraint(
            kind=rec.kind, start=start, end=end, text=text, subject=subject,
            subjects=members or ([subject] if subject else []),
            lower=Bound(value=rec.lower.value, inclusive=rec.lower.inclusive) if rec.lower else None,
            upper=Bound(value=rec.upper.value, inclusive=rec.upper.inclusive) if rec.upper else None,
            unit=rec.unit, ucum=rec.ucum, relative_to=rec.relative_to,
            anchor=rec.anchor, section=criterion.section if criterion else None,
            criterion=index if criterion else None, negated=context.negated,
            hypothetical=context.hypothetical, scale_max=rec.scale_max,
            alternative_of=rec.alternative_of, direction=rec.direction,
            component=link.component if link is not None else None,
            explain=rec.rules + ([link.rule] if link is not None else []) + context.cues,
        ))
        diastolic = _diastolic(constraints[-1], rec.pair)
        if diastolic is not None:  # `BP ≥140/90 mmHg`: two constraints on one subject
            constraints[-1].component = "systolic"
            constraints.append(diastolic)
    for constraint in constraints:
        if constraint.alternative_of is not None:
            constraint.alternative_of = position.get(constraint.alternative_of)
    for value in doc._.criteria_values or []:  # qualitative results: entities, no constraint
        start, end, text = offsets.span(value["start"], value["end"])
        subject = span_ref(value["subject"], value) if value.get("subject") else None
        entity = entities.add(start, end, text, "Value", value, nested=True)
        if entity is not None:
            entity.subject = subject
    all_errors = list(errors or []) + list(doc._.criteria_errors or [])
    found = entities.sorted()
    for entity in found:  # recognised or a subject's: a Measurement names its concept
        if entity.label == "Measurement":
            entity.concept = concept_code(entity.text, entity.long_form)
    return Document(id=doc_id, text=offsets.source, criteria=criteria,
                    entities=found, constraints=constraints,
                    structured=structured, errors=all_errors)


def _requirement(require: Tuple[int, Optional[int]]) -> Requirement:
    lower, upper = require
    return Requirement(lower=Bound(value=lower, inclusive=True),
                       upper=Bound(value=upper, inclusive=True) if upper is not None else None)


def _diastolic(systolic: Constraint, pair: Optional[float]) -> Optional[Constraint]:
    """The second half of a paired value (`≥140/90 mmHg` -> ≥ 90), bound as the first is;
    None when there is no pair or the first half is a range of two numbers."""
    lower, upper = systolic.lower, systolic.upper
    if pair is None or (lower is not None and upper is not None and lower.value != upper.value):
        return None
    return systolic.model_copy(update={
        "lower": Bound(value=pair, inclusive=lower.inclusive) if lower is not None else None,
        "upper": Bound(value=pair, inclusive=upper.inclusive) if upper is not None else None,
        "component": "diastolic", "alternative_of": None,
    })


_EDGE_PUNCT = " \t\r\n,;:.("
_BULLET_RE = re.compile(r"^(?:[-*•–]\s+)+")  # `- SLEDAI-2000 score`: a list bullet, not `-5`
_EDGE_START = _EDGE_PUNCT + ")-*•–"  # what `_trim_edges` may take off the start
_EDGE_END = _EDGE_PUNCT + ")"  # and off the end


def _trim_edges(source: str, start: int, end: int) -> Tuple[int, int, str]:
    """A recognised span without punctuation or a list bullet at its edges (`hepatitis B,` ->
    `hepatitis B`, `- SLEDAI-2000 score` -> `SLEDAI-2000 score`) or an unmatched closing
    bracket."""
    text = source[start:end]
    if text and text[0] not in _EDGE_START and text[-1] not in _EDGE_END:
        return start, end, text  # most spans: nothing at either edge to trim
    stripped = text.rstrip(_EDGE_PUNCT)
    if stripped.endswith(")") and stripped.count(")") > stripped.count("("):
        stripped = stripped[:-1].rstrip(_EDGE_PUNCT)
    lead = len(stripped) - len(_BULLET_RE.sub("", stripped.lstrip(_EDGE_PUNCT + ")")))
    if not stripped[lead:]:
        return start, end, text
    return start + lead, start + len(stripped), stripped[lead:]


class _LongForms:
    """Abbreviations of the Doc: normalized span of a short form -> its long form's text."""

    def __init__(self, doc: Doc, offsets: _OffsetMap) -> None:
        self.records = doc._.criteria_abbreviations or []  # sorted by start
        self.starts = [rec["start"] for rec in self.records]
        self.offsets = offsets

    def get(self, start: int, end: int) -> Optional[str]:
        """The long form of the abbreviation inside [start, end), unless the long form is
        written there too (`absolute neutrophil count (ANC)` needs none)."""
        for i in range(bisect_left(self.starts, start), bisect_left(self.starts, end)):
            rec = self.records[i]
            if rec["end"] <= end and not (start <= rec["long_start"] and rec["long_end"] <= end):
                return self.offsets.span(rec["long_start"], rec["long_end"])[2]
        return None


class _Entities:
    """The Document's entities, one per (start, end, label); a span the recognizer did not
    find is kept only where no recognised entity overlaps it."""

    def __init__(self) -> None:
        self.by_key: Dict[Tuple[int, int, str], Entity] = {}
        self.recognised: List[Tuple[int, int, str]] = []  # in text order, not overlapping
        self.recognised_starts: List[int] = []

    def _blocked(self, start: int, end: int, label: str, nested: bool) -> bool:
        """Whether a recognised entity overlapping [start, end) keeps the span out: any one,
        or with `nested` one of the same label."""
        i = bisect_left(self.recognised_starts, end) - 1
        while i >= 0:
            _, other_end, other = self.recognised[i]
            if other_end <= start:
                return False
            if not nested or other == label:
                return True
            i -= 1
        return False

    def add(self, start: int, end: int, text: str, label: str, flags: dict,
            recognised: bool = False, nested: bool = False,
            long_form: Optional[str] = None) -> Optional[Entity]:
        """Add (or flag) an entity. A span the recognizer did not find is dropped where it
        overlaps a recognised one; with `nested`, only where that one has the same label
        (the Value `+` stays inside the Condition `HIV+`). `long_form` goes on a new entity."""
        key = (start, end, label)
        entity = self.by_key.get(key)
        if entity is None:
            if not recognised and self._blocked(start, end, label, nested):
                return None
            entity = self.by_key[key] = Entity(
                start=start, end=end, text=text, label=label,
                negated=bool(flags.get("negated")), hypothetical=bool(flags.get("hypothetical")),
                historical=bool(flags.get("historical")), family=bool(flags.get("family")),
                long_form=long_form)
            if recognised:
                self.recognised.append((start, end, label))
                self.recognised_starts.append(start)
        elif flags.get("negated"):
            entity.negated = True
        return entity

    def sorted(self) -> List[Entity]:
        """The entities by (start, end, label): their keys, compared without reading them."""
        return [self.by_key[key] for key in sorted(self.by_key)]
