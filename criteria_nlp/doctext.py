"""A Doc's text and its normalization, each computed once per Doc.

spaCy builds `doc.text` from the tokens on every access (about 12 ms for 100,000
characters), and the offset map back to the text as given is the normalizer's output,
which the tokenizer already had. Both are kept here per Doc object, in weak dictionaries:
a Doc's text never changes (retokenizing merges and splits tokens, not characters), an
entry goes with its Doc, and nothing is added to `Doc.user_data`, which DocBin and pickling
serialize.

    >>> text = doc_text(doc)                 # the same str on every call for this Doc
    >>> normalized = normalization(doc)      # the tokenizer's Normalized, or None
    >>> CharSpans(doc).expand(0, 4, "Value")  # doc.char_span(0, 4, "Value", alignment_mode="expand")
"""
from __future__ import annotations

from bisect import bisect_right
from typing import List, Optional, Union
from weakref import WeakKeyDictionary

from . import pipeline  # noqa: F401  (spaCy without its command line: first)
from spacy.attrs import IDX, LENGTH, SPACY
from spacy.tokens import Doc, Span

from .normalize import Normalized

_TEXTS: "WeakKeyDictionary[Doc, str]" = WeakKeyDictionary()
_NORMALIZED: "WeakKeyDictionary[Doc, Normalized]" = WeakKeyDictionary()


def doc_text(doc: Doc) -> str:
    """`doc.text`, built once for this Doc."""
    text = _TEXTS.get(doc)
    if text is None:
        text = _TEXTS[doc] = doc.text
    return text


def remember_normalization(doc: Doc, normalized: Normalized) -> None:
    """Keep the normalization the Doc was made from (its text is `normalized.text`)."""
    _TEXTS[doc] = normalized.text
    if normalized.changed:
        _NORMALIZED[doc] = normalized


def normalization(doc: Doc) -> Optional[Normalized]:
    """The normalization the tokenizer made this Doc from, if it changed the text; None when
    it changed nothing or the Doc was made some other way (a copy, `Doc.from_bytes`)."""
    return _NORMALIZED.get(doc)


class CharSpans:
    """Spans of a Doc from character offsets, as `doc.char_span(start, end, label,
    alignment_mode="expand")` makes them, the token offsets read once: `char_span` makes
    Token objects on every call, which costs more than the span when a component makes
    thousands. Read the offsets anew after the Doc is retokenized."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self._starts: Optional[List[int]] = None  # read on the first span

    def expand(self, start_char: int, end_char: int, label: Union[int, str] = 0) -> Optional[Span]:
        """The tokens at least partly inside [start_char, end_char), or None where either
        end is outside the Doc's tokens."""
        if self._starts is None:
            columns = self.doc.to_array([IDX, LENGTH, SPACY]).reshape(-1, 3).T
            self._starts, self._lengths, self._spaces = (column.tolist() for column in columns)
        start = self._token(start_char)
        end = self._token(end_char - 1)
        if start < 0 or end < 0:
            return None
        if start_char == self._starts[start] + self._lengths[start]:  # in the space after a token
            start += 1
        return Span(self.doc, start, end + 1, label=label)

    def _token(self, char: int) -> int:
        """The token whose text or following space holds `char`; -1 for none."""
        i = bisect_right(self._starts, char) - 1
        return i if i >= 0 and char < self._starts[i] + self._lengths[i] + self._spaces[i] else -1
