"""A tokenizer that normalizes the text first and keeps the text as given on the Doc.

`nlp("IgA \\<10 mg/dL")` gives a Doc whose text is `IgA <10 mg/dL`, with
`doc._.criteria_source == "IgA \\<10 mg/dL"`; `build.py` maps every span back to the
source offsets. Comparators are split off numbers (`≥10` -> `≥`, `10`) so that the spans
of the quantity component fall on token boundaries.
"""
from __future__ import annotations

from typing import Callable

from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex, registry

from .. import extensions  # noqa: F401  (registers Doc._.criteria_source)
from ..normalize import normalize

_COMPARATORS = ["≥", "≤", "<", ">", "=", "~", "×", r"\+/-", "±"]


class NormalizingTokenizer:
    """Normalize, then tokenize with an inner spaCy tokenizer.

    tokenizer (Tokenizer): the tokenizer that splits the normalized text.
    """

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> Doc:
        normalized = normalize(text)
        doc = self.tokenizer(normalized.text)
        if normalized.changed:
            doc._.criteria_source = text
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
