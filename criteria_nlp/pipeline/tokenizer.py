"""A tokenizer that normalizes the text first and keeps the text as given on the Doc.

`nlp("IgA \\<10 mg/dL")` gives a Doc whose text is `IgA <10 mg/dL`, with
`doc._.criteria_source == "IgA \\<10 mg/dL"`; `build.py` maps every span back to the
source offsets. Comparators are split off numbers (`≥10` -> `≥`, `10`) so that the spans
of the quantity component fall on token boundaries.

spaCy's tokenizer peels prefixes and suffixes off a whitespace-free chunk one at a time,
copying the rest each time: its cost grows with the square of the chunk's length (10,000
`≥` in a row take seconds). Runs without whitespace longer than `LONG_RUN` characters
(no word is that long) are cut into pieces of that length, tokenized apart and joined, so
the cost stays linear.
"""
from __future__ import annotations

import re
from typing import Callable, List

from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex, registry

from .. import extensions  # noqa: F401  (registers Doc._.criteria_source)
from ..doctext import remember_normalization
from ..normalize import normalize

#: Whitespace-free runs longer than this are tokenized in pieces of this length.
LONG_RUN = 256
_LONG_RUN_RE = re.compile(r"\S{%d,}" % (LONG_RUN + 1))
_COMPARATORS = ["≥", "≤", "<", ">", "=", "~", "×", r"\+/-", "±"]


class NormalizingTokenizer:
    """Normalize, then tokenize with an inner spaCy tokenizer.

    tokenizer (Tokenizer): the tokenizer that splits the normalized text.
    """

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> Doc:
        normalized = normalize(text)
        pieces = _pieces(normalized.text)
        if len(pieces) == 1:
            doc = self.tokenizer(normalized.text)
        else:
            doc = Doc.from_docs([self.tokenizer(piece) for piece in pieces], ensure_whitespace=False)
        if normalized.changed:
            doc._.criteria_source = text
        remember_normalization(doc, normalized)
        return doc

    def pipe(self, texts, batch_size: int = 1000):
        for text in texts:
            yield self(text)

    def to_bytes(self, **kwargs) -> bytes:
        return self.tokenizer.to_bytes(**kwargs)

    def from_bytes(self, data: bytes, **kwargs) -> "NormalizingTokenizer":
        self.tokenizer.from_bytes(data, **kwargs)
        return self

    def to_disk(self, path, **kwargs) -> None:
        self.tokenizer.to_disk(path, **kwargs)

    def from_disk(self, path, **kwargs) -> "NormalizingTokenizer":
        self.tokenizer.from_disk(path, **kwargs)
        return self


def _pieces(text: str) -> List[str]:
    """`text` cut so that no piece holds a whitespace-free run over `LONG_RUN` characters."""
    pieces: List[str] = []
    start = 0
    for run in _LONG_RUN_RE.finditer(text):
        if run.start() > start:
            pieces.append(text[start:run.start()])
        pieces.extend(text[i:min(i + LONG_RUN, run.end())] for i in range(run.start(), run.end(), LONG_RUN))
        start = run.end()
    if start < len(text) or not pieces:
        pieces.append(text[start:])
    return pieces


def criteria_base_tokenizer(nlp: Language) -> Tokenizer:
    """The language's default tokenizer with comparators split off as prefixes and infixes."""
    defaults = nlp.Defaults
    prefixes = list(defaults.prefixes or []) + _COMPARATORS
    infixes = list(defaults.infixes or []) + _COMPARATORS
    return Tokenizer(
        nlp.vocab,
        rules=defaults.tokenizer_exceptions,
        prefix_search=compile_prefix_regex(prefixes).search,
        suffix_search=compile_suffix_regex(defaults.suffixes or []).search,
        infix_finditer=compile_infix_regex(infixes).finditer,
        token_match=defaults.token_match,
        url_match=defaults.url_match,
    )


@registry.tokenizers("criteria_nlp.NormalizingTokenizer.v1")
def create_normalizing_tokenizer() -> Callable[[Language], NormalizingTokenizer]:
    """Registered factory: `[nlp.tokenizer] @tokenizers = "criteria_nlp.NormalizingTokenizer.v1"`."""

    def make(nlp: Language) -> NormalizingTokenizer:
        return NormalizingTokenizer(criteria_base_tokenizer(nlp))

    return make
