"""The abbreviation component: short forms and their long forms, by scispaCy's
Schwartz & Hearst (2003) algorithm.

    "absolute neutrophil count (ANC) ≥1.5×10^9/L ... ANC <1.0"
    -> both `ANC` spans get the long form `absolute neutrophil count`

It needs no model: it reads the tokens. scispaCy's `AbbreviationDetector` keeps Span
objects in `doc._.abbreviations`; this component keeps plain records instead, `{"start",
"end", "long_start", "long_end"}` (char offsets into `doc.text`) in
`doc._.criteria_abbreviations`, so Docs still serialize. It uses scispaCy's own candidate
filter and pairing (`filter_matches`, `find_abbreviation`) and finds what the detector's two
matchers find, in linear time:

* brackets: `(`, one to 8 tokens, `)` (the detector's matcher pairs every `(` with every
  later `)`, which is quadratic in a long document, and its filter then drops those with
  more than 8 tokens inside);
* later uses of each short form: its exact tokens looked up in the Doc's ORTH array, where
  the detector adds a token-Matcher pattern per abbreviation.
"""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Dict, Iterator, List, Optional, Set, Tuple

import numpy

from scispacy.abbreviation import filter_matches, find_abbreviation
from spacy.attrs import ORTH
from spacy.language import Language
from spacy.tokens import Doc, Span

from .batched import BatchedPipe

# A short form looks like one: an upper-case letter after the first character (`ANC`, `eGFR`,
# `IgA`, `HbA1c`), or a capital and at most two more letters (`Hb`). Schwartz & Hearst also
# accept plain words, which in criteria pair `function` with `(liver function test > ...)`.
_SHORT_FORM = re.compile(r"^(?:.+[A-Z].*|[A-Z][a-z]{0,2})$")
# scispaCy's filter keeps at most this many tokens between the brackets.
_MAX_INSIDE = 8
_PARENTHESIS = 0  # the match key; scispaCy's filter reads only the offsets
# A long form holds no comparator: `(liver function test > twice the normal range)` is an aside.
_NOT_A_LONG_FORM = re.compile(r"[<>=≤≥]")


class AbbreviationFinder(BatchedPipe):
    """Find `long form (SHORT)` definitions and every later use of SHORT in the Doc.

    nlp (Language): the pipeline.
    name (str): the component name.
    """

    def __init__(self, nlp: Language, name: str = "criteria_abbreviations") -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        records: List[dict] = []
        orth = doc.to_array(ORTH)
        candidates = filter_matches(list(_bracketed(doc, orth)), doc)
        if not candidates:
            doc._.criteria_abbreviations = records
            return doc
        for long_form, short_forms in _with_uses(candidates, doc, orth):
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


def _bracketed(doc: Doc, orth: Optional[numpy.ndarray] = None,
               reach: int = _MAX_INSIDE) -> Iterator[Tuple[int, int, int]]:
    """(key, start, end) of the tokens inside each `( ... )` of at most `reach` tokens, in
    the order of scispaCy's matcher (by closing bracket, then the nearest opening first);
    `orth`: the Doc's ORTH array, if already read."""
    orth = doc.to_array(ORTH) if orth is None else orth
    opening = orth == doc.vocab.strings["("]
    for j in numpy.flatnonzero(orth == doc.vocab.strings[")"]):
        for i in range(j - 2, max(j - reach - 2, -1), -1):
            if opening[i]:
                yield _PARENTHESIS, int(i) + 1, int(j)


def _with_uses(candidates: List[Tuple[Span, Span]], doc: Doc,
               orth: numpy.ndarray) -> List[Tuple[Span, Set[Span]]]:
    """Each defined long form with its short form and every use of the short form in `doc`
    (scispaCy's `find_matches_for`, the short form's tokens looked up in the ORTH array
    `orth` instead of a Matcher pattern per abbreviation)."""
    uses: Dict[Span, Set[Span]] = defaultdict(set)
    long_of: Set[str] = set()
    seen_short: Set[str] = set()
    for long_candidate, short_candidate in candidates:
        short, long = find_abbreviation(long_candidate, short_candidate)
        # one definition per long and per short form, as scispaCy keeps them
        if long is None or long.text in long_of or short.text in seen_short:
            continue
        long_of.add(long.text)
        seen_short.add(short.text)
        uses[long].add(short)
        uses[long].update(doc[start:start + len(short)] for start in _occurrences(orth, orth[short.start:short.end]))
    return list(uses.items())


def _occurrences(orth: numpy.ndarray, tokens: numpy.ndarray) -> Iterator[int]:
    """Where the token sequence `tokens` (ORTH ids) starts in `orth`."""
    n = len(tokens)
    for start in numpy.flatnonzero(orth[:len(orth) - n + 1] == tokens[0]):
        if n == 1 or numpy.array_equal(orth[start:start + n], tokens):
            yield int(start)
