"""The linker component: each threshold gets its subject, inside the same criterion.

    "IgA deficiency (serum IgA level <10 mg/dL)"  ->  `<10 mg/dL` is about `serum IgA level`

    "No history of MI or stroke within the past 6 months"
    ->  `within the past 6 months` is about `stroke`, coordinated with `MI`

A recognised entity (`doc.ents`, from the trained recognizer) is preferred as subject: when
the phrase the rules read overlaps an entity of a subject type, the entity nearest the
threshold is the subject, with its label, and entities coordinated with it (`MI or
stroke`) are kept as `members`. Without entities the phrase rules decide alone.

Subjects go to `doc.spans["subjects"]` (label = Chia type) and, with the coordinated
members and the paired-value component, onto each threshold span as
`span._.criteria_link` (a `records.SubjectLink`).
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import Callable, Dict, List, Optional, Tuple

from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup

from ..doctext import CharSpans, doc_text
from ..extensions import CRITERIA_KEY, QUANTITIES_KEY, SUBJECTS_KEY
from ..lexicon import read_resource
from ..records import QuantityRecord, SpanLabel, SubjectLink
from ..subjects import SubjectFinder
from ._serialize import RuleDataMixin
from .batched import BatchedPipe
from .quantities import criterion_bounds

# A threshold with no words of its own between it and the threshold before it takes that
# threshold's subject: `AST, ALT <2.5X ULN (<5 X ULN if liver metastases ...)`.
_INHERIT_RE = re.compile(r"^\s*(?:\(|or|,|/|;|for|and)?\s*(?:\(|or|for)?\s*$", re.IGNORECASE)
_ASIDE_RE = re.compile(r"\([^()]*\)")
# What may stand between coordinated entities: `MI or stroke`, `AST, ALT`, `HIV and/or HBV`.
_COORDINATION_RE = re.compile(r"^\s*(?:,\s*(?:and|or)?|and/or|and|or|/|&)\s*$", re.IGNORECASE)
# An abbreviation in brackets right after an entity, as the rules' phrase ends.
_ABBREVIATION_AFTER_RE = re.compile(r"\s*\([^()]{1,15}\)\s*$")
# Between a qualitative value and the entity it is the value of, to its right.
_VALUE_OF_RE = re.compile(r"\s*(?:for|of|to|on|in)?\s*$", re.IGNORECASE)
#: Entity labels that can be the subject of a threshold.
SUBJECT_LABELS = frozenset({"Measurement", "Condition", "Procedure", "Drug", "Observation",
                            "Device", "Visit"})


class _Spans:
    """Sorted, non-overlapping (start, end, label) spans (`doc.ents`, records) with
    logarithmic lookups, so that linking stays linear in the length of a document."""

    def __init__(self, spans: List[Tuple[int, int, str]]) -> None:
        self.spans = spans
        self.starts = [s for s, _, _ in spans]
        self.ends = [e for _, e, _ in spans]

    def __len__(self) -> int:
        return len(self.spans)

    def __getitem__(self, i: int) -> Tuple[int, int, str]:
        return self.spans[i]

    def last_ending_by(self, lo: int, pos: int) -> Optional[int]:
        """The last span inside [lo, pos)."""
        i = bisect_right(self.ends, pos) - 1
        return i if i >= 0 and self.starts[i] >= lo else None

    def first_starting_at(self, pos: int, hi: int) -> Optional[int]:
        """The first span inside [pos, hi)."""
        i = bisect_left(self.starts, pos)
        return i if i < len(self.spans) and self.ends[i] <= hi else None

    def holding(self, pos: int) -> Optional[int]:
        """The span holding character `pos`."""
        i = bisect_right(self.starts, pos) - 1
        return i if i >= 0 and pos < self.ends[i] else None

    def inside(self, start: int, end: int) -> range:
        """The spans inside [start, end)."""
        return range(bisect_left(self.starts, start), bisect_right(self.ends, end))

    def overlaps(self, start: int, end: int) -> bool:
        """Whether any span shares a character with [start, end)."""
        i = bisect_right(self.starts, end - 1) - 1
        return i >= 0 and self.ends[i] > start


def _after_previous(records: List[dict], i: int, lo: int) -> int:
    """Where the subject of records[i] may start: after the threshold before it in the same
    criterion (words of an earlier threshold are not a subject: `prednisone ≥100 mg/day for
    ≥14 days`), else at the criterion's start `lo`. Each threshold reads only its own stretch,
    so linking stays linear however many thresholds a criterion holds."""
    rec = records[i]
    for prev in reversed(records[max(0, i - 8):i]):
        if prev["criterion"] == rec["criterion"] and prev["end"] <= rec["start"]:
            return max(lo, prev["end"])
    return lo


def _working(record: QuantityRecord) -> dict:
    """What the linker reads of a threshold, as a dict it may add a subject to."""
    return {"start": record.start, "end": record.end, "kind": record.kind, "unit": record.unit,
            "criterion": record.criterion, "alternative_of": record.alternative_of,
            "anchor_end": record.anchor_end}


def _label(ref: dict) -> SpanLabel:
    return SpanLabel(ref["start"], ref["end"], ref["label"])


def _ref(span: Tuple[int, int, str]) -> dict:
    return {"start": span[0], "end": span[1], "label": span[2]}


def _coordinated(text: str, entities: _Spans, i: int, step: int,
                 usable: Callable[[int], bool]) -> List[int]:
    """Entity `i` and the entities coordinated with it, walking left (`step` -1: `MI or
    stroke`) or right (+1: `hepatitis B, hepatitis C or HIV`), in text order."""
    chain = [i]
    j = i + step
    while 0 <= j < len(entities) and usable(j):
        left, right = (entities[j], entities[chain[-1]]) if step < 0 else (entities[chain[-1]], entities[j])
        if not _COORDINATION_RE.match(text[left[1]:right[0]]):
            break
        chain.append(j)
        j += step
    return sorted(chain)


def _open_bracket(text: str, lo: int, pos: int) -> Optional[int]:
    """Where the bracket that is still open at `pos` starts, or None."""
    if text.rfind("(", lo, pos) < 0 and text.rfind("[", lo, pos) < 0:
        return None  # no bracket opens in the stretch
    depth = 0
    for i in range(pos - 1, lo - 1, -1):
        char = text[i]
        if char in ")]":
            depth += 1
        elif char in "([":
            if depth == 0:
                return i
            depth -= 1
    return None


_AFTER_ASIDE_RE = re.compile(r"[^()\[\]]*[)\]]\s*(?:$|[,;.:]|and\b|or\b|\(|\[)", re.IGNORECASE)


def _aside_closes_phrase(text: str, pos: int, hi: int) -> bool:
    """Whether the bracket open at `pos` closes a phrase (`strength (<26 kg)`, then `,`/end)
    rather than sitting inside one (`transient (≤24 h) Grade ≤3 reactions`)."""
    return bool(_AFTER_ASIDE_RE.match(text, pos, hi))  # at a position: no copy of the rest


class SubjectLinker(BatchedPipe, RuleDataMixin):
    """Attach a subject to every threshold found by the quantity component.

    nlp (Language): the pipeline.
    name (str): the component name.
    spans_key (str): span group for the subjects. Defaults to "subjects".
    criteria_key (str): span group of the criteria. Defaults to "criteria".
    """

    def __init__(self, nlp: Language, name: str = "criteria_linker", *,
                 spans_key: str = SUBJECTS_KEY, criteria_key: str = CRITERIA_KEY) -> None:
        self.name = name
        self.spans_key = spans_key
        self.criteria_key = criteria_key
        self.set_rule_data(read_resource("linker.json"))

    rules_file = "linker.json"

    def set_rule_data(self, data: dict) -> None:
        """Use these word lists (the content of `linker.json`)."""
        self.rule_data = data
        self.finder = SubjectFinder(data)

    def __call__(self, doc: Doc) -> Doc:
        thresholds = list(doc.spans[QUANTITIES_KEY]) if QUANTITIES_KEY in doc.spans else []
        # working copies of what the linker reads of each threshold; it adds "subject"
        records: List[dict] = [_working(span._.criteria_quantity) for span in thresholds]
        bounds = criterion_bounds(doc, self.criteria_key)
        text = doc_text(doc)
        ents = doc.ents  # a new tuple of Spans on every access: read once
        entities = _Spans([self._trimmed(text, e.start_char, e.end_char, e.label_) for e in ents
                           if e.label_ in SUBJECT_LABELS])
        spans: List[Span] = []
        char_spans = CharSpans(doc)
        for i, rec in enumerate(records):
            lo, hi = bounds[rec["criterion"]] if rec["criterion"] < len(bounds) else (0, len(text))
            left = _after_previous(records, i, lo)
            subject, how = self._subject(text, records, i, lo, left, hi)
            if entities and rec["kind"] != "age" and (subject is None or "members" not in subject):
                recognised = self._entity_subject(text, subject, entities, rec, left)
                if recognised is not None:
                    subject, how = recognised, f"the recognised {recognised['label']} entity"
            bracket = self.finder.bracketed_scale_head(text, subject["start"], subject["end"]) if subject else None
            if bracket is not None:  # `NEC (stages I-III)`: what the stages are of, before the bracket
                before = dict(rec, start=bracket, end=bracket)
                found = self.finder.find(text, bracket, bracket, rec["kind"], rec["unit"], left, hi, lo)
                found = {"start": found[0], "end": found[1], "label": found[2]} if found else None
                found = self._entity_subject(text, found, entities, before, left) or found if entities else found
                if found is not None:
                    subject, how = found, "the phrase before the bracket holding a scale's own word"
            rec["subject"] = subject
            thresholds[i]._.criteria_link = SubjectLink(
                subject=_label(subject) if subject else None,
                members=[_label(m) for m in subject.get("members", [])] if subject else [],
                component=self.finder.component(text[subject["start"]:subject["end"]]) if subject else None,
                rule=f"subject: {how}" if subject is not None else "subject: none found")
            if subject is not None:
                span = char_spans.expand(subject["start"], subject["end"], subject["label"])
                if span is not None:
                    spans.append(span)
        values = doc._.criteria_values or []
        after_value: Dict[int, int] = {}  # criterion -> end of its last value read so far
        for value in values:
            lo, hi = bounds[value["criterion"]] if value["criterion"] < len(bounds) else (0, len(text))
            lo = max(lo, after_value.get(value["criterion"], lo))  # as for thresholds: its own stretch
            value["subject"] = self._value_subject(text, value["start"], value["end"], entities, lo, hi)
            after_value[value["criterion"]] = value["end"]
        # recognised Values that are no threshold (`sero-positive`, `> twice the normal range`);
        # one that holds a qualitative value of the rules falls back to that value's subject
        threshold_spans = _Spans(sorted((r["start"], r["end"], "") for r in records))
        qualitative = _Spans(sorted((v["start"], v["end"], "") for v in values))
        value_subjects = {(v["start"], v["end"]): v["subject"] for v in values}
        starts = [b[0] for b in bounds]
        after_entity: Dict[int, int] = {}  # criterion -> end of its last Value entity read so far
        entity_subjects: List[Optional[dict]] = []
        for ent in ents:
            if ent.label_ != "Value" or threshold_spans.overlaps(ent.start_char, ent.end_char):
                continue
            i = max(bisect_right(starts, ent.start_char) - 1, 0)
            lo, hi = bounds[i] if bounds else (0, len(text))
            lo = max(lo, after_entity.get(i, lo))
            subject = self._value_subject(text, ent.start_char, ent.end_char, entities, lo, hi)
            after_entity[i] = ent.end_char
            inner = (value_subjects[qualitative[j][:2]] for j in qualitative.inside(ent.start_char, ent.end_char))
            ent._.criteria_subject = subject or next((s for s in inner if s is not None), None)
            entity_subjects.append(ent._.criteria_subject)
        for subject in [v["subject"] for v in values] + entity_subjects:
            if subject is not None:
                span = char_spans.expand(subject["start"], subject["end"], subject["label"])
                if span is not None:
                    spans.append(span)
        doc.spans[self.spans_key] = SpanGroup(doc, name=self.spans_key, spans=spans)
        return doc

    def _value_subject(self, text: str, start: int, end: int, entities: _Spans,
                       lo: int, hi: int) -> Optional[dict]:
        """What a qualitative value is the value of: `negative` -> `serum pregnancy test`."""
        found = self.finder.find(text, start, end, "qualitative", None, lo, hi)
        subject = {"start": found[0], "end": found[1], "label": found[2]} if found else None
        if entities:
            value = {"start": start, "end": end, "kind": "qualitative", "unit": None}
            subject = self._entity_subject(text, subject, entities, value, lo) or subject
        first = entities.first_starting_at(end, hi) if subject is None and entities else None
        if first is not None and _VALUE_OF_RE.match(text, end, entities[first][0]):
            # `positive for hepatitis B, hepatitis C or HIV`
            members = _coordinated(text, entities, first, +1, lambda i: entities[i][1] <= hi)
            refs = [_ref(entities[m]) for m in members]
            subject = dict(refs[0])
            if len(refs) > 1:
                subject["members"] = refs
        return subject

    def _subject(self, text: str, records: List[dict], i: int, lo: int, left: int,
                 hi: int) -> Tuple[Optional[dict], str]:
        """The subject of records[i], looked for in its criterion text[lo:hi], its own words
        from `left` on; and how it was found, for `explain`."""
        rec = records[i]
        if rec.get("alternative_of") is not None:  # `>2.5 mg/dL or 221 µmol/L`: one subject
            subject = records[rec["alternative_of"]].get("subject")
            if subject is not None:
                return subject, "that of the threshold it spells again"
        found = self.finder.find(text, rec["start"], rec["end"], rec["kind"], rec["unit"], left, hi, lo)
        how = "the words around it"
        opening = _open_bracket(text, left, rec["start"])
        if found is None and opening is not None and _aside_closes_phrase(text, rec["end"], hi):
            # `handgrip strength (<26 kg in men; <16 kg in women)`
            found = self.finder.find(text, opening, rec["end"], rec["kind"], rec["unit"], left, hi)
            how = "the words before the bracket it stands in"
        if found is not None:
            return {"start": found[0], "end": found[1], "label": found[2]}, how
        return self._inherited(text, records, i, lo), "inherited from the threshold before"

    def _entity_subject(self, text: str, subject: Optional[dict], entities: _Spans,
                        rec: dict, lo: int) -> Optional[dict]:
        """The subject as recognised entities give it, or None to keep the rules' reading.

        The head entity is the one right before the threshold (`ANC < 1.0`), else the one
        holding the head word of the phrase the rules read. A phrase that holds its head
        entity whole stays as read (`Severe lupus nephritis`, `glucocorticoids and/or
        immunosuppressants`); otherwise the entity is the subject, with its label. Entities
        coordinated with the head (`MI or stroke`) become `members`. An entity holding the
        threshold itself is none of its subject (`+` in `HIV+`).
        """
        threshold, threshold_end = rec["start"], rec["end"]

        def usable(i: Optional[int]) -> bool:
            return i is not None and not (entities[i][0] < threshold_end and threshold < entities[i][1])

        head = None
        # a time whose subject the rules read after it (`37 weeks gestation`) keeps it
        right_time = subject is not None and subject["start"] >= threshold_end and \
            rec["kind"] in ("duration", "temporal")
        before = None if right_time else entities.last_ending_by(lo, threshold)
        gap = text[entities[before][1]:threshold] if before is not None else ""
        if subject is None and rec["kind"] not in ("duration", "temporal") and gap.rstrip().endswith(("(", "[")):
            # `handgrip strength (<26 kg in men; ...) using`, and no other reading; a time in
            # brackets may follow a word of the phrase it sits in (`transient (≤24 h) reactions`)
            gap = gap.rstrip()[:-1]
        if usable(before) and self.finder.only_fillers(gap) and (
                rec["kind"] not in ("count", "dose") and rec.get("unit") != "%"
                # `Viral load < 200 copies`: a bare number right after a measurement is its value
                or rec["kind"] == "count" and entities[before][2] == "Measurement"):
            head = before
        if head is None and subject is not None:
            # the entity must hold the phrase's head: its last word left of the threshold
            # (`multiple sclerosis treatment` is no `multiple sclerosis`), its first word right
            holding = entities.holding(subject["end"] - 1 if subject["end"] <= threshold else subject["start"])
            if not usable(holding):
                return None
            head = holding
        if head is None:
            return None
        members = _coordinated(text, entities, head, -1, usable)
        refs = [_ref(entities[m]) for m in members]
        found = dict(refs[-1])
        if subject is not None and subject["start"] <= found["start"] and found["end"] <= subject["end"]:
            found = {key: subject[key] for key in ("start", "end", "label")}
            if len(refs) == 1:  # `glucocorticoids and/or immunosuppressants`: its entities
                refs = [_ref(entities[i]) for i in entities.inside(subject["start"], subject["end"])]
        elif subject is not None and found["end"] < subject["end"] and \
                _ABBREVIATION_AFTER_RE.match(text, found["end"], subject["end"]):
            found["end"] = subject["end"]  # `central subfield thickness (CST)`: keep the short form
        if len(refs) > 1:
            found["members"] = refs
        return found

    def _trimmed(self, text: str, start: int, end: int, label: str) -> Tuple[int, int, str]:
        """An entity's span without filler words or brackets at its edges: `CLASI-A score of`
        -> `CLASI-A score` (a recognizer's boundary slip)."""
        trimmed = self.finder.trim(text, start, end)
        start, end = trimmed if trimmed is not None else (start, end)
        return start, end, label

    def _inherited(self, text: str, records: List[dict], i: int, lo: int) -> Optional[dict]:
        """The subject of the threshold before, when this one has no words of its own:
        `AST <2.5X ULN (<5 X ULN if ...)`, `prednisone ≥100 mg/day (or equivalent) for ≥14 days`,
        `≥2 muscle enzymes elevated, with one ≥1.5× ULN`, `Hb ≥ 13 g/dL for men and ≥ 12 g/dL`."""
        if i == 0:
            return None
        prev = records[i - 1]
        rec = records[i]
        if prev["criterion"] != rec["criterion"] or prev.get("subject") is None:
            return None
        gap_start = max(lo, prev["end"])
        anchor_end = prev.get("anchor_end")
        if rec["kind"] == prev["kind"] == "temporal" and anchor_end is not None and anchor_end <= rec["start"]:
            gap_start = max(gap_start, anchor_end)  # `within 4 weeks prior to screening or within ...`
        gap = _ASIDE_RE.sub(" ", text[gap_start: rec["start"]])
        if len(gap) < 40 and (_INHERIT_RE.match(gap) or self.finder.qualified_gap.match(gap)
                              or self.finder.anaphoric(text, gap_start, rec["start"])):
            return prev["subject"]
        if rec["unit"] is not None and rec["unit"] == prev["unit"]:
            # two thresholds in one aside, in one unit: `(≥5.5 points without biopsy; ≥6.7
            # points with biopsy)` are of the same thing
            opening = _open_bracket(text, lo, rec["start"])
            if opening is not None and opening == _open_bracket(text, lo, prev["start"]):
                return prev["subject"]
        return None
