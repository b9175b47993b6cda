"""Doc -> `schemas.Document`: the typed output, with offsets into the text as given.

The pipeline works on normalized text; every span is mapped back through the offset map
of `normalize.py`, so `document.text[c.start:c.end] == c.text` for every span object.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

from spacy.tokens import Doc

from .extensions import CRITERIA_KEY
from .normalize import normalize
from .schemas import Bound, Constraint, Criterion, Document, Entity, SpanRef, Structured

_VALUE_LABELS = {"temporal": "Temporal", "duration": "Temporal"}


class _OffsetMap:
    """Normalized char offsets -> offsets of the text as given."""

    def __init__(self, doc: Doc) -> None:
        self.source: str = doc._.criteria_source if doc._.criteria_source is not None else doc.text
        self.normalized = normalize(self.source) if doc._.criteria_source is not None else None
        if self.normalized is not None and self.normalized.text != doc.text:
            raise ValueError("the Doc's text is not the normalization of its source text")

    def span(self, start: int, end: int) -> Tuple[int, int, str]:
        if self.normalized is not None:
            start, end = self.normalized.to_source(start, end)
        return start, end, self.source[start:end]


def build_document(doc: Doc, doc_id: str = "doc", structured: Optional[Structured] = None,
                   errors: Optional[List[str]] = None) -> Document:
    """Turn an annotated Doc into the contract's Document.

    doc (Doc): a Doc processed by the criteria_nlp pipeline.
    doc_id (str): the document id. Defaults to "doc".
    structured (Structured or None): ClinicalTrials.gov's structured fields, if any.
    errors (List[str] or None): messages to carry into `Document.errors`.
    RETURNS (Document): the typed output.
    """
    offsets = _OffsetMap(doc)
    criteria: List[Criterion] = []
    if CRITERIA_KEY in doc.spans:
        for span in doc.spans[CRITERIA_KEY]:
            start, end, text = offsets.span(span.start_char, span.end_char)
            criteria.append(Criterion(start=start, end=end, text=text,
                                      section=span._.criterion_section,
                                      cohort=span._.criterion_cohort))
    constraints: List[Constraint] = []
    entities: Dict[Tuple[int, int, str], Entity] = {}
    for rec in doc._.criteria_quantities or []:
        start, end, text = offsets.span(rec["start"], rec["end"])
        subject = None
        if rec.get("subject"):
            label = rec["subject"]["label"]
            s, e, stext = offsets.span(rec["subject"]["start"], rec["subject"]["end"])
            subject = SpanRef(start=s, end=e, text=stext, label=label)
            _add_entity(entities, s, e, stext, label, rec)
        _add_entity(entities, start, end, text, _VALUE_LABELS.get(rec["kind"], "Value"), rec)
        index = rec.get("criterion")
        criterion = criteria[index] if index is not None and index < len(criteria) else None
        constraints.append(Constraint(
            kind=rec["kind"], start=start, end=end, text=text, subject=subject,
            lower=Bound(**rec["lower"]) if rec["lower"] else None,
            upper=Bound(**rec["upper"]) if rec["upper"] else None,
            unit=rec["unit"], ucum=rec["ucum"], relative_to=rec["relative_to"],
            anchor=rec["anchor"], section=criterion.section if criterion else None,
            criterion=index if criterion else None, negated=bool(rec.get("negated")),
            hypothetical=bool(rec.get("hypothetical")), scale_max=rec.get("scale_max"),
            alternative_of=rec.get("alternative_of"),
        ))
    for value in doc._.criteria_values or []:  # qualitative results: entities, no constraint
        start, end, text = offsets.span(value["start"], value["end"])
        subject = None
        if value.get("subject"):
            s, e, stext = offsets.span(value["subject"]["start"], value["subject"]["end"])
            subject = SpanRef(start=s, end=e, text=stext, label=value["subject"]["label"])
            _add_entity(entities, s, e, stext, value["subject"]["label"], value)
        _add_entity(entities, start, end, text, "Value", value)
        entities[(start, end, "Value")].subject = subject
    all_errors = list(errors or []) + list(doc._.criteria_errors or [])
    return Document(id=doc_id, text=offsets.source, criteria=criteria,
                    entities=sorted(entities.values(), key=lambda e: (e.start, e.end, e.label)),
                    constraints=constraints, structured=structured, errors=all_errors)


def _add_entity(entities: Dict, start: int, end: int, text: str, label: str, rec: dict) -> None:
    key = (start, end, label)
    entity = entities.get(key)
    if entity is None:
        entities[key] = Entity(start=start, end=end, text=text, label=label,
                               negated=bool(rec.get("negated")),
                               hypothetical=bool(rec.get("hypothetical")),
                               historical=bool(rec.get("historical")))
    elif rec.get("negated"):
        entity.negated = True
