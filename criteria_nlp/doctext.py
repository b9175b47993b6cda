"""A Doc's text and its normalization, each computed once per Doc.

spaCy builds `doc.text` from the tokens on every access (about 12 ms for 100,000
characters), and the offset map back to the text as given is the normalizer's output,
which the tokenizer already had. Both are kept here per Doc object, in weak dictionaries:
a Doc's text never changes (retokenizing merges and splits tokens, not characters), an
entry goes with its Doc, and nothing is added to `Doc.user_data`, which DocBin and pickling
serialize.

    >>> text = doc_text(doc)                 # the same str on every call for this Doc
    >>> normalized = normalization(doc)      # the tokenizer's Normalized, or None
"""
from __future__ import annotations

from typing import Optional
from weakref import WeakKeyDictionary

from spacy.tokens import Doc

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
