"""Small helpers on spaCy Docs shared by the components."""
from __future__ import annotations

from spacy.tokens import Doc, Span


def tokens_of(span: Span) -> Doc:
    """The span's tokens as a new Doc, in time linear in the span (`Span.as_doc` first copies
    the arrays of the whole Doc, so calling it per span is quadratic in a long Doc)."""
    return Doc(span.doc.vocab, words=[t.text for t in span], spaces=[bool(t.whitespace_) for t in span])
