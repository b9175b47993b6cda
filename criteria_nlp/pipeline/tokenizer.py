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
from pathlib import Path
from typing import Callable, List, Optional

import srsly
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex, registry

from .. import extensions  # noqa: F401  (registers Doc._.criteria_source)
from ..doctext import remember_normalization
from ..normalize import Normalizer, normalize, read_normalization_table

#: Whitespace-free runs longer than this are tokenized in pieces of this length.
LONG_RUN = 256
NORMALIZATION_FILE = "normalization.json"
_LONG_RUN_RE = re.compile(r"\S{%d,}" % (LONG_RUN + 1))
_COMPARATORS = ["≥", "≤", "<", ">", "=", "~", "×", r"\+/-", "±"]


class NormalizingTokenizer:
    """Normalize, then tokenize with an inner spaCy tokenizer.

    tokenizer (Tokenizer): the tokenizer that splits the normalized text.
    table (dict or None): the normalization rules (a `normalization.json` content); None for
        the package's. Saved with the pipeline: `nlp.to_disk` writes a folder `tokenizer/`
        holding the inner tokenizer and `normalization.json`.
    """

    def __init__(self, tokenizer: Tokenizer, table: Optional[dict] = None) -> None:
        self.tokenizer = tokenizer
        self.set_table(table)

    def set_table(self, table: Optional[dict]) -> None:
        """Normalize with these rules (None: the package's)."""
        package = read_normalization_table()
        self.table = table if table is not None else package
        self.normalizer = None if self.table == package else Normalizer(self.table, source="tokenizer/normalization.json")

    def __call__(self, text: str) -> Doc:
        normalized = normalize(text, self.normalizer)
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
        return srsly.msgpack_dumps({"tokenizer": self.tokenizer.to_bytes(**kwargs), "normalization": self.table})

    def from_bytes(self, data: bytes, **kwargs) -> "NormalizingTokenizer":
        msg = srsly.msgpack_loads(data)
        if isinstance(msg, dict) and "normalization" in msg:
            self.tokenizer.from_bytes(msg["tokenizer"], **kwargs)
            self.set_table(msg["normalization"])
        else:  # the inner tokenizer alone, as pipelines saved before the table travelled
            self.tokenizer.from_bytes(data, **kwargs)
            self.set_table(None)
        return self

    def to_disk(self, path, **kwargs) -> None:
        path = Path(path)
        if path.is_file():  # a pipeline saved before the table travelled: the folder replaces it
            path.unlink()
        path.mkdir(parents=True, exist_ok=True)
        self.tokenizer.to_disk(path / "tokenizer", **kwargs)
        srsly.write_json(path / NORMALIZATION_FILE, self.table)

    def from_disk(self, path, **kwargs) -> "NormalizingTokenizer":
        path = Path(path)
        if path.is_file():  # the inner tokenizer alone, as pipelines saved before
            self.tokenizer.from_disk(path, **kwargs)
            self.set_table(None)
            return self
        self.tokenizer.from_disk(path / "tokenizer", **kwargs)
        table = path / NORMALIZATION_FILE
        self.set_table(srsly.read_json(table) if table.exists() else None)
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
