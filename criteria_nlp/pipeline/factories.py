"""Every component factory of criteria_nlp, registered in one place.

The same names are declared as `spacy_factories` entry points in pyproject.toml, so
`spacy.load("models/...")` resolves them without importing criteria_nlp first.
"""

from spacy.language import Language

from ..extensions import CRITERIA_KEY, QUANTITIES_KEY, SUBJECTS_KEY
from .abbreviations import AbbreviationFinder
from .context import ContextFlags
from .linker import SubjectLinker
from .quantities import QuantityFinder
from .segmenter import CriteriaSegmenter
from .tokenizer import create_normalizing_tokenizer  # noqa: F401  (registers the tokenizer)


@Language.factory(
    "criteria_segmenter",
    assigns=["doc.spans"],
    default_config={"spans_key": CRITERIA_KEY},
)
def make_segmenter(nlp: Language, name: str, spans_key: str) -> CriteriaSegmenter:
    return CriteriaSegmenter(nlp, name, spans_key=spans_key)


@Language.factory(
    "criteria_abbreviations",
    assigns=["doc._.criteria_abbreviations"],
    default_config={},
)
def make_abbreviations(nlp: Language, name: str) -> AbbreviationFinder:
    return AbbreviationFinder(nlp, name)


@Language.factory(
    "criteria_quantities",
    assigns=["doc.spans", "span._.criteria_quantity"],
    requires=["doc.spans"],
    default_config={"spans_key": QUANTITIES_KEY, "criteria_key": CRITERIA_KEY, "bare_units": True},
)
def make_quantities(nlp: Language, name: str, spans_key: str, criteria_key: str,
                    bare_units: bool) -> QuantityFinder:
    return QuantityFinder(nlp, name, spans_key=spans_key, criteria_key=criteria_key,
                          bare_units=bare_units)


@Language.factory(
    "criteria_linker",
    assigns=["doc.spans", "span._.criteria_link"],
    requires=["span._.criteria_quantity"],
    default_config={"spans_key": SUBJECTS_KEY, "criteria_key": CRITERIA_KEY},
)
def make_linker(nlp: Language, name: str, spans_key: str, criteria_key: str) -> SubjectLinker:
    return SubjectLinker(nlp, name, spans_key=spans_key, criteria_key=criteria_key)


@Language.factory(
    "criteria_context",
    assigns=["span._.criteria_flags", "span._.criteria_context"],
    requires=["span._.criteria_quantity", "span._.criteria_link"],
    default_config={"rules": "default", "criteria_key": CRITERIA_KEY, "max_cues": 64},
)
def make_context(nlp: Language, name: str, rules: str, criteria_key: str,
                 max_cues: int) -> ContextFlags:
    return ContextFlags(nlp, name, rules=rules, criteria_key=criteria_key, max_cues=max_cues)
