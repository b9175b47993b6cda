"""The context component: medspaCy's ConText marks negated, hypothetical and historical
thresholds and subjects.

    "If receiving oral glucocorticoids (e.g., prednisone), the dose must be ≤40 mg/day"
    -> the `≤40 mg/day` threshold is hypothetical
    "No history of MI or stroke" -> the entities `MI` and `stroke` are negated

Each criterion is one ConText scope (the criteria become the Doc's sentences). The flags
are copied into the plain records of `doc._.criteria_quantities` and, for each recognised
entity in `doc.ents`, into `span._.criteria_context`; ConText's own Python objects are
cleared afterwards so the Doc still serializes.
"""
from __future__ import annotations

from typing import List

import numpy
import srsly
from loguru import logger
from medspacy.context import ConText, ConTextRule
from spacy.language import Language
from spacy.attrs import SENT_START
from spacy.tokens import Doc, Span, SpanGroup

from ..extensions import CRITERIA_KEY, QUANTITIES_KEY, SUBJECTS_KEY
from ..lexicon import read_resource
from ._serialize import RuleDataMixin
from .quantities import criterion_bounds

logger.disable("medspacy")
logger.disable("PyRuSH")

_SPAN_ATTRS = {"modifiers", "is_negated", "is_hypothetical", "is_historical", "is_family",
               "is_uncertain"}
_TARGETS_KEY = "criteria_context_targets"


def read_rule_data(rules: str = "default") -> dict:
    """The rule file's content: the package's `resources/context_rules.json` for "default",
    else the medspaCy-format JSON file at `rules`."""
    if rules == "default":
        return read_resource("context_rules.json")
    return srsly.read_json(rules)


class ContextFlags(RuleDataMixin):
    """Run ConText over thresholds and subjects, one criterion per scope.

    nlp (Language): the pipeline.
    name (str): the component name.
    rules (str): "default" for the package's rules (resources/context_rules.json), else the
        path of a rule file in medspaCy's format. Defaults to "default".
    """

    def __init__(self, nlp: Language, name: str = "criteria_context", *, rules: str = "default",
                 criteria_key: str = CRITERIA_KEY) -> None:
        self.name = name
        self.criteria_key = criteria_key
        self.nlp = nlp
        self.set_rule_data(read_rule_data(rules))

    rules_file = "context_rules.json"

    def set_rule_data(self, data: dict) -> None:
        """Use these ConText rules ({"context_rules": [rule dicts in medspaCy's format]})."""
        self.rule_data = data
        self.context = ConText(self.nlp, name=f"{self.name}_medspacy", rules=None,
                               input_span_type="group", span_group_name=_TARGETS_KEY)
        self.context.add([ConTextRule.from_dict(rule) for rule in data["context_rules"]])

    def __call__(self, doc: Doc) -> Doc:
        records: List[dict] = doc._.criteria_quantities or []
        entities = list(doc.ents)
        if not records and not entities:
            return doc
        self._set_sentences(doc)
        quantity_spans = list(doc.spans[QUANTITIES_KEY])
        targets: List[Span] = []
        pairs = []
        for rec, qspan in zip(records, quantity_spans):
            subject = None
            if rec.get("subject"):
                subject = doc.char_span(rec["subject"]["start"], rec["subject"]["end"],
                                        alignment_mode="expand")
            pairs.append((qspan, subject))
            targets.append(qspan)
            if subject is not None:
                targets.append(subject)
        targets.extend(entities)
        doc.spans[_TARGETS_KEY] = SpanGroup(doc, name=_TARGETS_KEY, spans=targets)
        self.context(doc)
        entity_flags = [{"negated": e._.is_negated, "hypothetical": e._.is_hypothetical,
                         "historical": e._.is_historical, "family": e._.is_family}
                        for e in entities]
        for rec, (qspan, subject) in zip(records, pairs):
            spans = [qspan] + ([subject] if subject is not None else [])
            rec["negated"] = any(s._.is_negated for s in spans)
            rec["hypothetical"] = any(s._.is_hypothetical for s in spans)
            rec["historical"] = any(s._.is_historical for s in spans)
        # ConText keeps Python objects on the Doc and its spans: drop them, so the Doc
        # still goes through DocBin, pickling and n_process > 1.
        for key in [k for k in doc.user_data if isinstance(k, tuple) and len(k) == 4
                    and k[0] == "._." and k[1] in _SPAN_ATTRS]:
            del doc.user_data[key]
        doc._.context_graph = None
        del doc.spans[_TARGETS_KEY]
        for entity, flags in zip(entities, entity_flags):
            entity._.criteria_context = flags
        return doc

    def _set_sentences(self, doc: Doc) -> None:
        """Each criterion (and each line) starts a sentence; set in one array operation."""
        starts = {start for start, _ in criterion_bounds(doc, self.criteria_key)}
        flags = numpy.full(len(doc), -1, dtype="int64")
        previous_newline = True
        for token in doc:
            if previous_newline or token.idx in starts:
                flags[token.i] = 1
            previous_newline = "\n" in token.text
        doc.from_array([SENT_START], flags.view("uint64").reshape(-1, 1))
