"""Running many records through a pipeline into Documents, without losing one.

This is the edge between the spaCy pipeline (`pipeline/`, which knows no input records or
output models) and the library's inputs (`io`) and outputs (`build`, `schemas`).
"""
from __future__ import annotations

import multiprocessing
import re
from collections import deque
from itertools import islice
from typing import Dict, Iterable, Iterator, List, Optional, Tuple, Union

from . import pipeline  # noqa: F401  (spaCy without its command line: first)
from spacy.language import Language
from spacy.tokens import Doc

from . import extensions
from .build import build_document
from .io.readers import Record
from .io.structured import structured_from_ctgov
from .pipeline.chunked import run_chunked
from .pipeline.loading import MAX_LENGTH, default_pipeline
from .schemas import Document
from .timing import TIME_BUDGET, TimeBudgetExceeded, time_limit

#: Documents of more tokens than this (counted roughly: words and symbols) run alone, their
#: recognizer in pieces; the longest eligibility text of the corpora has about 1,300.
LONG_DOCUMENT = 4_000
#: Documents of more tokens than this are refused: memory grows with tokens (a run of
#: symbols is a token per character), and 1,000,000 characters of criteria have 175,000.
MAX_TOKENS = 200_000
_TOKENISH = re.compile(r"\w+|[^\w\s]")


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
                 batch_size: int = 64, n_process: int = 1,
                 time_budget: Optional[float] = TIME_BUDGET) -> Iterator[Document]:
    """Annotate records in order, streaming them through `nlp.pipe` (one worker pool).

    Read errors, empty and oversized texts, component failures and documents over the time
    budget become `Document.errors`; every record yields exactly one Document, and memory
    stays flat as the input grows. Documents of more than `LONG_DOCUMENT` tokens run alone,
    their recognizer in pieces (`pipeline.chunked`).

    time_budget (float or None): seconds one document (or one batch step) may take before
        it is stopped with an error; None for no limit. Needs the main thread (SIGALRM).
    """
    nlp = nlp or default_pipeline()
    _set_error_handler(nlp)
    if n_process > 1 and "fork" in multiprocessing.get_all_start_methods():
        yield from _pipe_parallel(records, nlp, batch_size, n_process, time_budget)
        return
    source = iter(records)
    # records are read outside any time limit: a slow reader (stdin) is no slow document
    for batch in iter(lambda: list(islice(source, batch_size)), []):
        yield from _annotate(nlp, batch, time_budget)


def _annotate(nlp: Language, batch: List[Record], time_budget: Optional[float]) -> Iterator[Document]:
    """One batch: its short texts through one `nlp.pipe` within the time budget; long ones,
    and all of them when the batch fails or runs over, alone."""
    problems = [_problem(record) for record in batch]
    long = [problem is None and _is_long(record.text) for record, problem in zip(batch, problems)]
    short = [i for i, problem in enumerate(problems) if problem is None and not long[i]]
    docs: Dict[int, Doc] = {}
    if short:
        try:
            with time_limit(time_budget):
                # a Doc that fails a component leaves spaCy's stream (its error handler is
                # told): each Doc comes with its record's index, and one missing runs alone
                texts = ((batch[i].text, i) for i in short)
                docs = {i: doc for doc, i in nlp.pipe(texts, batch_size=len(short), as_tuples=True)}
        except (Exception, TimeBudgetExceeded):  # noqa: BLE001 - the batch failed or ran over: each alone
            docs = {}
    for i, (record, problem) in enumerate(zip(batch, problems)):
        if problem is None and i not in docs:
            docs[i] = _alone(nlp, record.text, long[i], time_budget)
        yield _to_document(record, docs.get(i), problem)


_WORKER_NLP: Optional[Language] = None
_WORKER_BUDGET: Optional[float] = None


def _pipe_parallel(records: Iterable[Record], nlp: Language, batch_size: int,
                   n_process: int, time_budget: Optional[float]) -> Iterator[Document]:
    """Worker processes (forked, so they share the loaded pipeline) annotate batches of
    records and send back the small typed Documents as JSON, not spaCy Docs: a Doc's round
    trip through `Doc.to_bytes` costs more than annotating it, and pydantic reads JSON back
    in half the time pickle takes for the same Document. A sliding window of batches is in
    flight, a new one sent as soon as the oldest comes back: memory stays flat, and no worker
    waits for a slow batch of another."""
    global _WORKER_NLP, _WORKER_BUDGET
    _WORKER_NLP, _WORKER_BUDGET = nlp, time_budget
    source = iter(records)
    batches = iter(lambda: list(islice(source, batch_size)), [])
    with multiprocessing.get_context("fork").Pool(n_process) as pool:
        in_flight = deque(pool.apply_async(_annotate_batch, (batch,))
                          for batch in islice(batches, n_process * 4))
        while in_flight:
            packed = in_flight.popleft().get()
            batch = next(batches, None)
            if batch is not None:
                in_flight.append(pool.apply_async(_annotate_batch, (batch,)))
            yield from (_unpack(*document) for document in packed)


def _annotate_batch(batch: List[Record]) -> List[Tuple[str, List[Optional[List[str]]]]]:
    documents = pipe_records(batch, nlp=_WORKER_NLP, batch_size=len(batch) or 1,
                             time_budget=_WORKER_BUDGET)
    return [_pack(document) for document in documents]


def _pack(document: Document) -> Tuple[str, List[Optional[List[str]]]]:
    """A Document as its JSON and each constraint's `explain`, which the JSON leaves out."""
    return document.model_dump_json(), [constraint.explain for constraint in document.constraints]


def _unpack(data: str, explains: List[Optional[List[str]]]) -> Document:
    document = Document.model_validate_json(data)
    for constraint, explain in zip(document.constraints, explains):
        if explain is not None:
            constraint.explain = explain
    return document


def _alone(nlp: Language, text: str, long: bool,
           time_budget: Optional[float]) -> Union[Doc, BaseException]:
    """One text through the pipeline by itself (a long one with the recognizer in pieces),
    within the time budget."""
    try:
        with time_limit(time_budget):
            return run_chunked(nlp, text) if long else nlp(text)
    except (Exception, TimeBudgetExceeded) as err:  # noqa: BLE001 - reported on the record's own line
        return err


def _rough_tokens(text: str, stop: int) -> int:
    """Words and symbols in `text` (about spaCy's token count; `≥≥≥` is three), counted up
    to `stop`."""
    n = 0
    for n, _ in enumerate(_TOKENISH.finditer(text), 1):
        if n >= stop:
            break
    return n


def _is_long(text: str) -> bool:
    """Whether `text` has more than `LONG_DOCUMENT` tokens, roughly."""
    return len(text) > LONG_DOCUMENT and _rough_tokens(text, LONG_DOCUMENT + 1) > LONG_DOCUMENT


def _problem(record: Record) -> Optional[str]:
    if record.error:
        return record.error
    if not isinstance(record.text, str):
        return f"text is {type(record.text).__name__}, not str"
    if not record.text.strip():
        return "empty text: nothing to annotate"
    if len(record.text) > MAX_LENGTH:
        return (f"[E007] text of {len(record.text):,} characters is over the limit of "
                f"{MAX_LENGTH:,}; no eligibility text is that long: split it")
    if len(record.text) > MAX_TOKENS and _rough_tokens(record.text, MAX_TOKENS + 1) > MAX_TOKENS:
        return (f"[E007] text of over {MAX_TOKENS:,} tokens (words and symbols) is over the "
                "limit; no eligibility text is that long: split it")
    return None


def _to_document(record: Record, doc: Union[Doc, BaseException, None],
                 problem: Optional[str]) -> Document:
    """The record's Document: its problem, its failure or its annotations, never nothing."""
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
    if isinstance(doc, TimeBudgetExceeded):
        return Document(id=record.id, text=text, structured=structured, errors=errors + [str(doc)])
    if isinstance(doc, BaseException) or doc is None:
        reason = repr(doc) if doc is not None else "no output from the pipeline"
        return Document(id=record.id, text=text, structured=structured,
                        errors=errors + [f"[E004] document failed: {reason}"])
    try:
        return build_document(doc, record.id, structured=structured, errors=errors)
    except Exception as err:  # noqa: BLE001
        return Document(id=record.id, text=text, structured=structured,
                        errors=errors + [f"[E004] building the output failed: {err!r}"])
