"""Running many records through a pipeline into Documents, without losing one.

This is the edge between the spaCy pipeline (`pipeline/`, which knows no input records or
output models) and the library's inputs (`io`) and outputs (`build`, `schemas`).
"""
from __future__ import annotations

import multiprocessing
from collections import deque
from itertools import count, islice
from typing import Deque, Iterable, Iterator, List, Optional, Tuple, Union

from spacy.language import Language
from spacy.tokens import Doc

from . import extensions
from .build import build_document
from .io.readers import Record
from .io.structured import structured_from_ctgov
from .pipeline.loading import MAX_LENGTH, default_pipeline
from .schemas import Document


def _set_error_handler(nlp: Language) -> None:
    """Record a component's failure on the Doc. spaCy's compiled NER cannot take a handler
    (it has no attribute for it): its failures end the batch, whose records are redone one
    by one below."""
    nlp.default_error_handler = _record_error
    for _, pipe in nlp.pipeline:
        try:
            pipe.set_error_handler(_record_error)
        except AttributeError:
            pass


def _record_error(proc_name: str, proc, docs: List[Doc], err: Exception) -> None:
    for doc in docs:
        extensions.get_doc_errors(doc).append(f"[E004] component {proc_name} failed: {err!r}")


def pipe_records(records: Iterable[Record], *, nlp: Optional[Language] = None,
                 batch_size: int = 64, n_process: int = 1) -> Iterator[Document]:
    """Annotate records in order, streaming them through one `nlp.pipe` (one worker pool).

    Read errors, empty and oversized texts and component failures become `Document.errors`;
    every record yields exactly one Document, and memory stays flat as the input grows.
    """
    nlp = nlp or default_pipeline()
    _set_error_handler(nlp)
    if n_process > 1 and "fork" in multiprocessing.get_all_start_methods():
        yield from _pipe_parallel(records, nlp, batch_size, n_process)
        return
    source = iter(records)
    pending: Deque[Tuple[int, Record]] = deque()
    counter = count()

    def feed() -> Iterator[Tuple[str, int]]:
        for record in source:
            index = next(counter)
            pending.append((index, record))
            if _problem(record) is None:
                yield record.text, index

    try:
        for doc, index in nlp.pipe(feed(), as_tuples=True, batch_size=batch_size, n_process=n_process):
            while pending and pending[0][0] <= index:
                position, record = pending.popleft()
                # a record skipped by nlp.pipe failed inside it: redo it alone to record why
                yield _to_document(record, doc if position == index else _redo(nlp, record))
    except Exception:  # noqa: BLE001 - a whole batch or a worker failed; the rest is done one by one
        pass
    while pending:
        yield _to_document(pending[0][1], _redo(nlp, pending.popleft()[1]))
    for record in source:
        yield _to_document(record, _redo(nlp, record))


_WORKER_NLP: Optional[Language] = None


def _pipe_parallel(records: Iterable[Record], nlp: Language, batch_size: int,
                   n_process: int) -> Iterator[Document]:
    """Worker processes (forked, so they share the loaded pipeline) annotate batches of
    records and send back the small typed Documents, not spaCy Docs: a Doc's round trip
    through `Doc.to_bytes` costs more than annotating it. A bounded window of batches is in
    flight at a time, so memory stays flat."""
    global _WORKER_NLP
    _WORKER_NLP = nlp
    source = iter(records)
    batches = iter(lambda: list(islice(source, batch_size)), [])
    with multiprocessing.get_context("fork").Pool(n_process) as pool:
        while True:
            window = list(islice(batches, n_process * 4))
            if not window:
                return
            for documents in pool.imap(_annotate_batch, window):
                yield from documents


def _annotate_batch(batch: List[Record]) -> List[Document]:
    return list(pipe_records(batch, nlp=_WORKER_NLP, batch_size=len(batch) or 1))


def _redo(nlp: Language, record: Record) -> Union[Doc, Exception, None]:
    if _problem(record) is not None:
        return None
    try:
        return nlp(record.text)
    except Exception as err:  # noqa: BLE001 - reported on the record's own line
        return err


def _problem(record: Record) -> Optional[str]:
    if record.error:
        return record.error
    if not isinstance(record.text, str):
        return f"text is {type(record.text).__name__}, not str"
    if not record.text.strip():
        return "empty text: nothing to annotate"
    if len(record.text) > MAX_LENGTH:
        return f"text of {len(record.text)} characters is over the limit of {MAX_LENGTH}; split it"
    return None


def _to_document(record: Record, doc) -> Document:
    problem = _problem(record)
    structured = None
    errors: List[str] = []
    try:
        structured = structured_from_ctgov(record.structured)
    except Exception as err:  # noqa: BLE001
        errors.append(f"[E005] structured fields unreadable: {err!r}")
    if getattr(record, "warning", None):
        errors.append(f"[W001] {record.warning}")
    text = record.text if isinstance(record.text, str) else ""
    if problem is not None:
        return Document(id=record.id, text=text, structured=structured, errors=errors + [problem])
    if isinstance(doc, Exception) or doc is None:
        reason = repr(doc) if doc is not None else "no output from the pipeline"
        return Document(id=record.id, text=text, structured=structured,
                        errors=errors + [f"[E004] document failed: {reason}"])
    try:
        return build_document(doc, record.id, structured=structured, errors=errors)
    except Exception as err:  # noqa: BLE001
        return Document(id=record.id, text=text, structured=structured,
                        errors=errors + [f"[E004] building the output failed: {err!r}"])
