"""The abbreviation component: short forms and their long forms, by scispaCy's detector.

    "absolute neutrophil count (ANC) ≥1.5×10^9/L ... ANC <1.0"
    -> both `ANC` spans get the long form `absolute neutrophil count`

scispaCy's `AbbreviationDetector` (Schwartz & Hearst, 2003) needs no model: it reads the
tokens. Its own output holds Span objects in `doc._.abbreviations`; this component keeps
plain records instead, `{"start", "end", "long_start", "long_end"}` (char offsets into
`doc.text`) in `doc._.criteria_abbreviations`, so Docs still serialize.
"""
from __future__ import annotations

import re
import warnings
from typing import List

from scispacy.abbreviation import AbbreviationDetector, filter_matches
from spacy.language import Language
from spacy.tokens import Doc


# A short form looks like one: an upper-case letter after the first character (`ANC`, `eGFR`,
# `IgA`, `HbA1c`), or a capital and at most two more letters (`Hb`). Schwartz & Hearst also
# accept plain words, which in criteria pair `function` with `(liver function test > ...)`.
_SHORT_FORM = re.compile(r"^(?:.+[A-Z].*|[A-Z][a-z]{0,2})$")
# A long form holds no comparator: `(liver function test > twice the normal range)` is an aside.
_NOT_A_LONG_FORM = re.compile(r"[<>=≤≥]")


class AbbreviationFinder:
    """Find `long form (SHORT)` definitions and every later use of SHORT in the Doc.

    nlp (Language): the pipeline.
    name (str): the component name.
    """

    def __init__(self, nlp: Language, name: str = "criteria_abbreviations") -> None:
        self.name = name
        self.detector = AbbreviationDetector(nlp, name=f"{name}_scispacy")

    def __call__(self, doc: Doc) -> Doc:
        matches = [(key, start + 1, end - 1) for key, start, end in self.detector.matcher(doc)]
        records: List[dict] = []
        candidates = filter_matches(matches, doc)
        if not candidates:
            doc._.criteria_abbreviations = records
            return doc
        with warnings.catch_warnings():  # W036: scispaCy runs its matcher when it found no pair
            warnings.filterwarnings("ignore", message=r"\[W036\]")
            found = self.detector.find_matches_for(candidates, doc)
        for long_form, short_forms in found:
            if _NOT_A_LONG_FORM.search(long_form.text):
                continue
            for short in short_forms:
                if not _SHORT_FORM.match(short.text):
                    continue
                records.append({"start": short.start_char, "end": short.end_char,
                                "long_start": long_form.start_char, "long_end": long_form.end_char})
        records.sort(key=lambda r: (r["start"], r["end"]))
        doc._.criteria_abbreviations = records
        return doc
