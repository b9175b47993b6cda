"""The quantity component: thresholds of each criterion into `doc.spans["quantities"]`.

    "Hematology: hemoglobin <85 g/L, white blood cell count <2.5×10^9/L"
    -> two spans, `<85 g/L` (upper 85 excl., g/L) and `<2.5×10^9/L` (upper 2.5 excl., 10*9/L)

The grammar itself is `criteria_nlp.quantities.QuantityParser`; this component runs it on
every criterion found by the segmenter and puts each record, typed, on its span:
`span._.criteria_quantity` (a `records.QuantityRecord`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, List, Optional, Tuple, Union

import srsly
from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup

from ..doctext import CharSpans, doc_text
from ..extensions import CRITERIA_KEY, QUANTITIES_KEY, VALUES_KEY
from ..grouping import GroupingRules
from ..kinds import KindRules
from ..lexicon import Lexicon, holds_any, read_resource
from ..quantities import QuantityParser, find_qualitative_values
from ..records import QuantityRecord
from ..units import UnitTable
from ..units.registry import read_forms_text
from ._serialize import RuleDataMixin
from .batched import BatchedPipe


def criterion_bounds(doc: Doc, criteria_key: str = CRITERIA_KEY) -> List[Tuple[int, int]]:
    """Char bounds of each criterion, or of each non-empty line when there are none."""
    if criteria_key in doc.spans and len(doc.spans[criteria_key]):
        return [(span.start_char, span.end_char) for span in doc.spans[criteria_key]]
    bounds, pos = [], 0
    for line in doc_text(doc).splitlines(keepends=True):
        if line.strip():
            bounds.append((pos, pos + len(line.rstrip())))
        pos += len(line)
    return bounds


def _outside(records: List[dict], start: int, end: int) -> List[dict]:
    """The records not inside [start, end), `alternative_of` following the new positions."""
    kept = [r for r in records if not (start <= r["start"] and r["end"] <= end)]
    if len(kept) == len(records):
        return records
    position = {id(r): i for i, r in enumerate(kept)}
    for r in kept:
        if r["alternative_of"] is not None:
            r["alternative_of"] = position.get(id(records[r["alternative_of"]]))
    return kept


def _logic_phrase(doc: Doc, criteria_key: str, index: int) -> Optional[Tuple[int, int]]:
    """Char offsets of the phrase introducing the list of alternatives of criterion `index`."""
    criteria = doc.spans[criteria_key] if criteria_key in doc.spans else ()
    return criteria[index]._.criterion_logic_phrase if index < len(criteria) else None


def _read_saved(file: Path) -> dict:
    """A rule file saved with a pipeline, or the package's when the pipeline has none."""
    return srsly.read_json(file) if file.exists() else read_resource(file.name)


class QuantityFinder(BatchedPipe, RuleDataMixin):
    """Find threshold expressions in every criterion of a Doc.

    nlp (Language): the pipeline.
    name (str): the component name.
    spans_key (str): span group for the thresholds. Defaults to "quantities".
    criteria_key (str): span group of the criteria. Defaults to "criteria".
    bare_units (bool): keep numbers with a unit but no comparator. Defaults to True.
    """

    def __init__(self, nlp: Language, name: str = "criteria_quantities", *,
                 spans_key: str = QUANTITIES_KEY, criteria_key: str = CRITERIA_KEY,
                 bare_units: bool = True) -> None:
        self.name = name
        self.spans_key = spans_key
        self.criteria_key = criteria_key
        self.bare_units = bare_units
        self.units = UnitTable()
        self.grouping_data = read_resource(self.grouping_file)
        self.kinds_data = read_resource(self.kinds_file)
        self.set_rule_data(read_resource(self.rules_file))

    rules_file = "quantity_lexicon.json"
    grouping_file = "quantity_rules.json"
    kinds_file = "quantity_kinds.json"
    units_file = "unit_forms.tsv"

    def set_rule_data(self, data: dict) -> None:
        """Use these word lists (the content of `quantity_lexicon.json`)."""
        lexicon = Lexicon(data)
        rules = GroupingRules(self.grouping_data, lexicon)  # its joiners name the lexicon's lists
        self.rule_data = data
        self.parser = QuantityParser(lexicon, bare_units=self.bare_units, units=self.units, rules=rules,
                                     kinds=KindRules(self.kinds_data))

    def set_grouping_rules(self, data: dict) -> None:
        """Use these grouping rules (the content of `quantity_rules.json`)."""
        self.parser.rules = GroupingRules(data, self.parser.lex)
        self.grouping_data = data

    def set_kind_rules(self, data: dict) -> None:
        """Use these kind rules (the content of `quantity_kinds.json`)."""
        self.parser.kinds = KindRules(data)
        self.kinds_data = data

    def set_unit_forms(self, text: Optional[str]) -> None:
        """Read units with these forms (a `unit_forms.tsv` content; None: the package's)."""
        self.units = UnitTable(None if text is None or text == read_forms_text() else text)
        self.parser.units = self.units

    # the grammar's rules and unit table travel with the word lists: a saved pipeline reads
    # quantities as it did when it was saved (a pipeline saved without a rules file reads
    # the package's)
    def to_bytes(self, *, exclude: Iterable[str] = tuple()) -> bytes:
        return srsly.msgpack_dumps({"rules": self.rule_data, "grouping": self.grouping_data,
                                    "kinds": self.kinds_data, "unit_forms": self.units.text})

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = tuple()) -> "QuantityFinder":
        msg = srsly.msgpack_loads(data)
        self.grouping_data = msg.get("grouping") or read_resource(self.grouping_file)
        self.kinds_data = msg.get("kinds") or read_resource(self.kinds_file)
        self.set_rule_data(msg["rules"])
        self.set_unit_forms(msg.get("unit_forms"))
        return self

    def to_disk(self, path: Union[str, Path], *, exclude: Iterable[str] = tuple()) -> None:
        super().to_disk(path, exclude=exclude)
        srsly.write_json(Path(path) / self.grouping_file, self.grouping_data)
        srsly.write_json(Path(path) / self.kinds_file, self.kinds_data)
        (Path(path) / self.units_file).write_text(self.units.text, encoding="utf-8")

    def from_disk(self, path: Union[str, Path], *, exclude: Iterable[str] = tuple()) -> "QuantityFinder":
        self.grouping_data = _read_saved(Path(path) / self.grouping_file)
        self.kinds_data = _read_saved(Path(path) / self.kinds_file)
        super().from_disk(path, exclude=exclude)
        file = Path(path) / self.units_file
        self.set_unit_forms(file.read_text(encoding="utf-8") if file.exists() else None)
        return self

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        bounds = criterion_bounds(doc, self.criteria_key)
        kept = self.set_annotations(doc, self.match(doc, text, bounds))
        values = []
        by_criterion: dict = {}
        for record in kept:
            by_criterion.setdefault(record["criterion"], []).append(record)
        lexicon = self.parser.lex
        # most documents hold none of the values' words: one check instead of one per criterion
        searched = bounds if holds_any(text, lexicon.qualitative_tails) else []
        for index, (start, end) in enumerate(searched):
            for value in find_qualitative_values(text[start:end], by_criterion.get(index, []),
                                                 offset=start, lexicon=lexicon):
                value["criterion"] = index
                values.append(value)
        char_spans = CharSpans(doc)
        spans = [char_spans.expand(v["start"], v["end"], "Value") for v in values]
        doc.spans[VALUES_KEY] = SpanGroup(doc, name=VALUES_KEY, spans=[s for s in spans if s is not None])
        doc._.criteria_values = [v for v, s in zip(values, spans) if s is not None]
        return doc

    def match(self, doc: Doc, text: Optional[str] = None,
              bounds: Optional[List[Tuple[int, int]]] = None) -> List[dict]:
        """The threshold records of every criterion (`text`: `doc.text`, and `bounds`: the
        criteria's `criterion_bounds`, if already read)."""
        records: List[dict] = []
        text = doc_text(doc) if text is None else text
        bounds = criterion_bounds(doc, self.criteria_key) if bounds is None else bounds
        for index, (start, end) in enumerate(bounds):
            found = self.parser(text[start:end], offset=start)
            phrase = _logic_phrase(doc, self.criteria_key, index) if found else None
            if phrase is not None:  # `at least one of the following`: criterion logic, no count
                found = _outside(found, *phrase)
            base = len(records)
            for record in found:
                if record["alternative_of"] is not None:
                    record["alternative_of"] += base
                record["criterion"] = index
                records.append(record)
        return records

    def set_annotations(self, doc: Doc, records: List[dict]) -> List[dict]:
        """Put each record on its span (`span._.criteria_quantity`, typed) in the span group.
        RETURNS (List[dict]): the records that got a span."""
        spans: List[Span] = []
        kept: List[dict] = []
        char_spans = CharSpans(doc)
        for record in records:
            span = char_spans.expand(record["start"], record["end"], record["kind"])
            if span is None:
                continue
            span._.criteria_quantity = QuantityRecord.from_dict(record)
            spans.append(span)
            kept.append(record)
        doc.spans[self.spans_key] = SpanGroup(doc, name=self.spans_key, spans=spans)
        return kept
