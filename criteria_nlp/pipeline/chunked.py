"""Running a long document with the entity recognizer in pieces, so memory stays bounded.

The recognizer's CNN holds a few kilobytes per token for the whole Doc at once: a document
of 100,000 tokens took 1.9 GB. Every other component keeps little per token. For a long
document the recognizer (`tok2vec` + `ner`) therefore reads the Doc in pieces of at most
`max_tokens` tokens, cut after line ends where it can (the recognizer was trained on whole
documents whose entities never cross a line end), and its entities are set on the whole Doc;
the other components run on the whole Doc as usual. A piece without a letter is not read
at all: in a long document it is a run of numbers and symbols, whose thresholds the rules
read.

    >>> doc = run_chunked(nlp, very_long_text, max_tokens=500)
"""
from __future__ import annotations

import re
from bisect import bisect_right
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from typing import Iterator, List, Tuple

from spacy.attrs import IDX, LENGTH, SPACY
from spacy.language import Language
from spacy.tokens import Doc, Span

from ..doctext import doc_text
from .loading import RECOGNIZER_PIPES

_LETTER = re.compile(r"[^\W\d_]")


def run_chunked(nlp: Language, text: str, *, max_tokens: int = 500) -> Doc:
    """Annotate `text` with `nlp`, its recognizer run in pieces of at most `max_tokens` tokens.

    RETURNS (Doc): the annotated Doc, as `nlp(text)` gives it up to the recognizer's view of
        the few tokens around each cut. A component that fails goes to its error handler,
        as in `nlp(text)`.
    """
    doc = nlp.make_doc(text)
    recognized = False
    for name, proc in nlp.pipeline:
        if name in RECOGNIZER_PIPES:
            if not recognized:
                _recognize(nlp, doc, max_tokens)
                recognized = True
            continue
        try:
            doc = proc(doc)
        except Exception as err:  # noqa: BLE001 - as Language.__call__ does
            handler = getattr(proc, "get_error_handler", None)
            if handler is None:
                raise
            handler()(name, proc, [doc], err)
    return doc


def _recognize(nlp: Language, doc: Doc, max_tokens: int, group: int = 2) -> None:
    """Set `doc.ents` from the recognizer run on pieces, `group` pieces per batch (the CNN's
    arrays grow with the batch: two pieces are as fast as eight, and 60 MB less at the peak
    of a 1,000,000-character document). Batches run two at a time, one in a helper thread:
    the CNN's matrix products release the GIL, so a second core takes part."""
    pipes = [nlp.get_pipe(name) for name in RECOGNIZER_PIPES if name in nlp.pipe_names]
    text = doc_text(doc)  # Span.text would build the whole Doc's text each time
    # token offsets as lists: the pieces are cut and copied without a Token object per token
    starts, lengths, spaces = (column.tolist() for column in doc.to_array([IDX, LENGTH, SPACY]).T)

    def copies(batch: List[Tuple[int, int]]) -> List[Doc]:  # made here: the Vocab is not thread-safe
        return [Doc(doc.vocab, words=[text[i:i + n] for i, n in zip(starts[start:end], lengths[start:end])],
                    spaces=[bool(space) for space in spaces[start:end]]) for start, end in batch]

    def recognize(subdocs: List[Doc]) -> List[Doc]:
        for pipe in pipes:
            subdocs = list(pipe.pipe(subdocs, batch_size=group))
        return subdocs

    # a piece of 500 tokens without a letter (a rule of dashes, a run of numbers and
    # symbols) names nothing: the recognizer skips it; the rules still read its numbers
    pieces = ((start, end) for start, end in _pieces(text, starts, lengths, max_tokens)
              if _LETTER.search(text, starts[start], starts[end - 1] + lengths[end - 1]))
    ents: List[Span] = []
    with ThreadPoolExecutor(max_workers=1) as helper:
        batches = iter(lambda: list(islice(pieces, group)), [])
        for first in batches:  # two batches at a time: the helper's, then this thread's
            helping = helper.submit(recognize, copies(first))
            second = next(batches, [])
            own = recognize(copies(second))
            for batch, subdocs in ((first, helping.result()), (second, own)):
                for (start, _), sub in zip(batch, subdocs):
                    ents.extend(Span(doc, start + e.start, start + e.end, label=e.label) for e in sub.ents)
    doc.set_ents(ents, default="outside")


def _pieces(text: str, starts: List[int], lengths: List[int], max_tokens: int) -> Iterator[Tuple[int, int]]:
    """(start, end) token ranges covering the tokens (`starts`, `lengths`: each token's
    offset and length in `text`), each at most `max_tokens` long, ending after the last
    token that holds a line end inside the range when there is one."""
    start, total = 0, len(starts)
    while start < total:
        end = min(start + max_tokens, total)
        if end < total:  # the last line end in a token after the range's first
            hi = starts[end - 1] + lengths[end - 1]
            newline = text.rfind("\n", starts[start + 1] if start + 1 < end else hi, hi)
            if newline >= 0:
                end = bisect_right(starts, newline, start + 1, end)  # the token holding it, plus one
        yield start, end
        start = end
