"""Every custom attribute criteria_nlp puts on spaCy objects, in one table.

Values are plain (str, int, float, bool, small dicts) or the dataclasses of `records.py`,
which msgpack encodes, so Docs survive DocBin, pickling and `nlp.pipe(n_process>1)`. Spans
themselves live in span groups under the keys below.
"""
from __future__ import annotations

from typing import Any, Dict, Tuple

from . import pipeline  # noqa: F401  (spaCy without its command line: first)
from spacy.tokens import Doc, Span

from . import records  # noqa: F401  (registers the records' msgpack encoders)

CRITERIA_KEY = "criteria"
QUANTITIES_KEY = "quantities"
SUBJECTS_KEY = "subjects"
VALUES_KEY = "values"

# (object, name) -> keyword arguments of set_extension
_TABLE: Dict[Tuple[type, str], Dict[str, Any]] = {
    # Doc: the text as given, before normalization (None when normalization changed nothing).
    (Doc, "criteria_source"): {"default": None},
    # Doc: messages of what went wrong while annotating; the document still gets a line.
    (Doc, "criteria_errors"): {"default": None},
    # Span in doc.spans["criteria"]: "inclusion" | "exclusion" | None.
    (Span, "criterion_section"): {"default": None},
    # Span in doc.spans["criteria"]: the cohort a nested block applies to, or None.
    (Span, "criterion_cohort"): {"default": None},
    # Span in doc.spans["criteria"]: for an item that introduces a list of alternatives
    # (`at least one of the following:`), how many of its items must hold, (lower, upper or
    # None); and the char offsets of that phrase. None for other items.
    (Span, "criterion_require"): {"default": None},
    (Span, "criterion_logic_phrase"): {"default": None},
    # Span in doc.spans["criteria"]: index of the introducing item this one is listed under.
    (Span, "criterion_parent"): {"default": None},
    # Span in doc.spans["quantities"]: the typed records of `records.py`, one per component:
    # the grammar's QuantityRecord, the linker's SubjectLink, ConText's ContextMarks.
    (Span, "criteria_quantity"): {"default": None},
    (Span, "criteria_link"): {"default": None},
    (Span, "criteria_flags"): {"default": None},
    # Doc: qualitative result values that are no threshold (`negative pregnancy test`), as
    # plain dicts {start, end, criterion, subject} in the order of doc.spans["values"].
    (Doc, "criteria_values"): {"default": None},
    # Doc: abbreviations (scispaCy's Schwartz & Hearst pairing), as plain dicts {start, end,
    # long_start, long_end}: char offsets of each short form and of its long form.
    (Doc, "criteria_abbreviations"): {"default": None},
    # Span in doc.ents: ConText's flags {negated, hypothetical, historical, family}, or None.
    (Span, "criteria_context"): {"default": None},
    # Span in doc.ents, label Value, no threshold: its subject {start, end, label}, or None.
    (Span, "criteria_subject"): {"default": None},
}


def register_extensions(force: bool = False) -> None:
    """Register every extension of the table once.

    force (bool): re-register attributes that already exist. Defaults to False.
    """
    for (cls, name), kwargs in _TABLE.items():
        if cls.has_extension(name) and not force:
            continue
        cls.set_extension(name, force=force, **kwargs)


def get_doc_errors(doc: Doc) -> list:
    """The error list of a Doc, created on first use."""
    if doc._.criteria_errors is None:
        doc._.criteria_errors = []
    return doc._.criteria_errors


register_extensions()

__all__ = [
    "CRITERIA_KEY",
    "QUANTITIES_KEY",
    "SUBJECTS_KEY",
    "VALUES_KEY",
    "register_extensions",
    "get_doc_errors",
]
