"""The linker component: each threshold gets its subject, inside the same criterion.

    "IgA deficiency (serum IgA level <10 mg/dL)"  ->  `<10 mg/dL` is about `serum IgA level`

Subjects go to `doc.spans["subjects"]` (label = Chia type) and, as
`{"start", "end", "label"}` (char offsets), into each record of `doc._.criteria_quantities`.
"""
from __future__ import annotations

import re
from typing import List, Optional

from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup

from ..extensions import CRITERIA_KEY, SUBJECTS_KEY
from ..lexicon import get_lexicon
from ..lexicon import read_resource
from ..subjects import SubjectFinder
from ._serialize import RuleDataMixin
from .quantities import criterion_bounds

# A threshold with no words of its own between it and the threshold before it takes that
# threshold's subject: `AST, ALT <2.5X ULN (<5 X ULN if liver metastases ...)`.
_INHERIT_RE = re.compile(r"^\s*(?:\(|or|,|/|;|for|and)?\s*(?:\(|or|for)?\s*$", re.IGNORECASE)
_ASIDE_RE = re.compile(r"\([^()]*\)")


def _open_bracket(text: str, lo: int, pos: int) -> Optional[int]:
    """Where the bracket that is still open at `pos` starts, or None."""
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
    return bool(_AFTER_ASIDE_RE.match(text[pos:hi]))


class SubjectLinker(RuleDataMixin):
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
        records: List[dict] = doc._.criteria_quantities or []
        bounds = criterion_bounds(doc, self.criteria_key)
        text = doc.text
        spans: List[Span] = []
        for i, rec in enumerate(records):
            lo, hi = bounds[rec["criterion"]] if rec["criterion"] < len(bounds) else (0, len(text))
            subject = self._subject(text, records, i, lo, hi)
            rec["subject"] = subject
            if subject is not None:
                span = doc.char_span(subject["start"], subject["end"], label=subject["label"],
                                     alignment_mode="expand")
                if span is not None:
                    spans.append(span)
        for value in doc._.criteria_values or []:
            lo, hi = bounds[value["criterion"]] if value["criterion"] < len(bounds) else (0, len(text))
            found = self.finder.find(text, value["start"], value["end"], "qualitative", None, lo, hi)
            value["subject"] = {"start": found[0], "end": found[1], "label": found[2]} if found else None
            if found:
                span = doc.char_span(found[0], found[1], label=found[2], alignment_mode="expand")
                if span is not None:
                    spans.append(span)
        doc.spans[self.spans_key] = SpanGroup(doc, name=self.spans_key, spans=spans)
        return doc

    def _subject(self, text: str, records: List[dict], i: int, lo: int, hi: int) -> Optional[dict]:
        """The subject of records[i], looked for in its criterion text[lo:hi]."""
        rec = records[i]
        if rec.get("alternative_of") is not None:  # `>2.5 mg/dL or 221 µmol/L`: one subject
            subject = records[rec["alternative_of"]].get("subject")
            if subject is not None:
                return subject
        # words of an earlier threshold are not a subject: `prednisone ≥100 mg/day for ≥14 days`
        left = lo
        for prev in reversed(records[max(0, i - 8):i]):
            if prev["criterion"] == rec["criterion"] and prev["end"] <= rec["start"]:
                left = max(left, prev["end"])
                break
        found = self.finder.find(text, rec["start"], rec["end"], rec["kind"], rec["unit"], left, hi)
        opening = _open_bracket(text, left, rec["start"])
        if found is None and opening is not None and _aside_closes_phrase(text, rec["end"], hi):
            # `handgrip strength (<26 kg in men; <16 kg in women)`
            found = self.finder.find(text, opening, rec["end"], rec["kind"], rec["unit"], lo, hi)
        if found is not None:
            return {"start": found[0], "end": found[1], "label": found[2]}
        return self._inherited(text, records, i, lo)

    def _inherited(self, text: str, records: List[dict], i: int, lo: int) -> Optional[dict]:
        """The subject of the threshold before, when this one has no words of its own:
        `AST <2.5X ULN (<5 X ULN if ...)`, `prednisone ≥100 mg/day (or equivalent) for ≥14 days`,
        `≥2 muscle enzymes elevated, with one ≥1.5× ULN`."""
        if i == 0:
            return None
        prev = records[i - 1]
        rec = records[i]
        if prev["criterion"] != rec["criterion"] or prev.get("subject") is None:
            return None
        gap = _ASIDE_RE.sub(" ", text[max(lo, prev["end"]): rec["start"]])
        if rec["kind"] == prev["kind"] == "temporal":  # `within 4 weeks prior to screening or within ...`
            gap = get_lexicon().anchor_re.sub(" ", gap)
        if len(gap) < 40 and (_INHERIT_RE.match(gap) or self.finder.anaphoric(text, lo, rec["start"])):
            return prev["subject"]
        return None
