"""Chia BRAT -> spaCy training Docs with flat entities, by written span rules.

A Chia document (one criterion per line) becomes one Doc, made by the pipeline's own
tokenizer (so the text is normalized as at run time) with its gold entities in `doc.ents`. NER is flat, Chia is not: every gold span goes through the rules
below in order, and the converter counts how many spans each rule touched, so nothing is
dropped silently.

* ``not_entity_type``: labels that are no entity type (annotation-quality flags such as
  ``Parsing_Error``, ``Non-query-able``, ``Post-eligibility``) are not entities; skipped.
* ``across_lines``: a span that crosses a line end (a Chia export slip) is cut to its
  first line.
* ``discontinuous_covered``: a discontinuous span (``hepatic ... failure`` in `hepatic or
  renal failure`) becomes the covering span from its first to its last character.
* ``expanded_to_tokens``: a boundary inside a token is moved out to the token's edge
  (``HIV+``: the Value `+` inside the token).
* ``overlap_dropped``: of overlapping spans the longest is kept (ties: the more frequent
  label of Chia, then the earlier span); the others are dropped. The covering span of a
  coordination keeps the whole phrase (`hepatic or renal failure`), its inner conjuncts go.

    >>> doc = chia_doc(nlp, read_brat("chia/NCT00050349_inc.txt"))
    >>> doc.ents[:2]
    (biopsy, proven)
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span

from ..evaluate.brat import BratDoc, read_brat
from ..evaluate.splits import list_docs
from ..normalize import normalize

#: The Chia entity types the recognizer learns (CONTRACT.md, Entity labels).
CHIA_LABELS = (
    "Condition", "Drug", "Procedure", "Measurement", "Observation", "Device", "Person",
    "Visit", "Temporal", "Value", "Negation", "Qualifier", "Multiplier",
    "Reference_point", "Mood",
)
#: The ten core types the acceptance figures are reported over.
CORE_LABELS = CHIA_LABELS[:10]
# Tie-break between equally long overlapping spans: Chia's label frequency order.
_LABEL_PRIORITY = {label: i for i, label in enumerate((
    "Condition", "Qualifier", "Value", "Drug", "Procedure", "Temporal", "Measurement",
    "Person", "Observation", "Reference_point", "Negation", "Multiplier", "Mood", "Device",
    "Visit",
))}
#: LCT types that name the same things as Chia's (Condition, Drug, Procedure). LCT's
#: Observation covers both Chia's Measurement and Observation, so it is left unlabelled.
LCT_LABELS = {"Condition": "Condition", "Drug": "Drug", "Procedure": "Procedure"}
RULES = ("not_entity_type", "across_lines", "discontinuous_covered", "expanded_to_tokens",
         "overlap_dropped", "kept")


@dataclass
class ConversionReport:
    """How many gold spans each rule touched; `skipped_labels` names the non-entity labels."""

    documents: int = 0
    lines: int = 0
    spans: int = 0
    rules: Counter = field(default_factory=Counter)
    skipped_labels: Counter = field(default_factory=Counter)
    labels: Counter = field(default_factory=Counter)

    def update(self, other: "ConversionReport") -> None:
        self.documents += other.documents
        self.lines += other.lines
        self.spans += other.spans
        self.rules.update(other.rules)
        self.skipped_labels.update(other.skipped_labels)
        self.labels.update(other.labels)

    def to_dict(self) -> Dict[str, object]:
        return {
            "documents": self.documents, "lines": self.lines, "gold_spans": self.spans,
            "rules": {rule: self.rules.get(rule, 0) for rule in RULES},
            "skipped_labels": dict(self.skipped_labels.most_common()),
            "kept_labels": dict(self.labels.most_common()),
        }


def _line_bounds(text: str) -> List[Tuple[int, int]]:
    """(start, end) of each line of `text`, without its `\\r\\n` / `\\n` / `\\r` end."""
    bounds, start = [], 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        bounds.append((start, start + len(body)))
        start += len(line)
    return bounds


def flat_spans(doc: BratDoc, report: ConversionReport,
               labels: Optional[Dict[str, str]] = None) -> List[Tuple[int, int, str]]:
    """Apply the span rules to the gold of one BRAT document (offsets into `doc.text`).

    labels (Dict[str, str] or None): corpus label -> recognizer label; others are
        `not_entity_type`. None reads Chia's own labels.
    RETURNS (List[Tuple[int, int, str]]): non-overlapping (start, end, label), each inside
        one line, sorted; boundaries are not yet aligned to tokens.
    """
    lines = _line_bounds(doc.text)
    line_starts = [s for s, _ in lines]
    spans: List[Tuple[int, int, str]] = []
    for entity in doc.entities.values():
        report.spans += 1
        label = entity.label if labels is None else labels.get(entity.label)
        if label not in CHIA_LABELS:
            report.rules["not_entity_type"] += 1
            report.skipped_labels[entity.label] += 1
            continue
        start, end = entity.start, entity.end
        if len(entity.fragments) > 1:
            report.rules["discontinuous_covered"] += 1
        i = max(bisect_right(line_starts, start) - 1, 0)
        line_end = lines[i][1] if lines else len(doc.text)
        if end > line_end:
            report.rules["across_lines"] += 1
            end = line_end
        if end > start:
            spans.append((start, end, label))
    return _resolve_overlaps(spans, report)


def _resolve_overlaps(spans: List[Tuple[int, int, str]],
                      report: ConversionReport) -> List[Tuple[int, int, str]]:
    ranked = sorted(set(spans), key=lambda s: (-(s[1] - s[0]), _LABEL_PRIORITY.get(s[2], 99), s[0]))
    report.rules["overlap_dropped"] += len(spans) - len(ranked)  # exact duplicates
    kept: List[Tuple[int, int, str]] = []
    for span in ranked:
        if any(span[0] < k[1] and k[0] < span[1] for k in kept):
            report.rules["overlap_dropped"] += 1
        else:
            kept.append(span)
    return sorted(kept)


def _to_normalized(norm, start: int, end: int) -> Tuple[int, int]:
    """Source offsets -> offsets into the normalized text (the inverse of its map)."""
    if not norm.changed:
        return start, end
    starts, ends = norm._starts, norm._ends
    return bisect_left(starts, start), bisect_right(ends, end)


def chia_doc(nlp: Language, doc: BratDoc, report: Optional[ConversionReport] = None, *,
             labels: Optional[Dict[str, str]] = None, partial: bool = False) -> Doc:
    """The whole Chia document as one Doc, gold entities in `doc.ents`.

    The Doc keeps the line breaks (as whitespace tokens), as a document annotated at run
    time does, so the recognizer learns that no entity runs across a line end.

    nlp (Language): a pipeline whose tokenizer makes the Doc (the criteria_nlp tokenizer).
    doc (BratDoc): the document, from `read_brat`.
    report (ConversionReport or None): counts of the rules, updated in place.
    labels (Dict[str, str] or None): corpus label -> recognizer label (`LCT_LABELS`); None
        reads Chia's labels.
    partial (bool): tokens outside the gold spans are unknown rather than outside any
        entity, for a corpus that annotates only some of the labels (LCT).
    RETURNS (Doc): the Doc, its text normalized as at run time.
    """
    report = report if report is not None else ConversionReport()
    report.documents += 1
    report.lines += sum(1 for s, e in _line_bounds(doc.text) if doc.text[s:e].strip())
    norm = normalize(doc.text)
    out = nlp.make_doc(doc.text)
    ents: List[Span] = []
    for start, end, label in flat_spans(doc, report, labels):
        s, e = _to_normalized(norm, start, end)
        span = out.char_span(s, e, label=label)
        if span is None:
            span = out.char_span(s, e, label=label, alignment_mode="expand")
            if span is None or not span.text.strip():
                report.rules["overlap_dropped"] += 1
                continue
            report.rules["expanded_to_tokens"] += 1
        if ents and span.start < ents[-1].end:  # expansion made two spans meet
            report.rules["overlap_dropped"] += 1
            continue
        ents.append(span)
        report.rules["kept"] += 1
        report.labels[label] += 1
    out.set_ents(ents, default="missing" if partial else "outside")
    return out


def convert_corpus(nlp: Language, corpus_dir: Union[str, Path], split: Optional[str], *,
                   labels: Optional[Dict[str, str]] = None,
                   ) -> Tuple[DocBin, ConversionReport]:
    """Every document of a corpus split as a DocBin of document Docs, with the rule counts.

    labels (Dict[str, str] or None): as in `chia_doc`; a label map makes the Docs partial.
    RETURNS (Tuple[DocBin, ConversionReport]): the Docs and what the rules did.
    """
    report = ConversionReport()
    docbin = DocBin(attrs=["ORTH", "ENT_IOB", "ENT_TYPE"], store_user_data=False)
    for path in list_docs(corpus_dir, split):
        docbin.add(chia_doc(nlp, read_brat(path), report, labels=labels,
                            partial=labels is not None))
    return docbin, report
