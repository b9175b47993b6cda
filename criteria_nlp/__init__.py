"""criteria_nlp: clinical-trial eligibility criteria to typed, checkable constraints.

    >>> import criteria_nlp
    >>> doc = criteria_nlp.annotate("IgA deficiency (serum IgA level <10 mg/dL).")
    >>> doc.constraints[0].subject.text, doc.constraints[0].upper
    ('serum IgA level', Bound(value=10.0, inclusive=False))
    >>> criteria_nlp.screen(doc, {"age": 40, "observations": [
    ...     {"name": "IgA", "value": 0.06, "unit": "g/L", "date": "2026-11-20"}]}).criteria[0].verdict
    'met'

Nothing heavy happens at import: spaCy and the pipeline load on the first `load()`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Iterator, Optional, Tuple

from .schemas import Bound, Constraint, Criterion, Document, Entity, Structured
from .screen import Screening, screen
from .timing import TIME_BUDGET

if TYPE_CHECKING:  # pragma: no cover
    from spacy.language import Language

    from .io.readers import Record

__version__ = "0.1.0"
__all__ = [
    "load", "annotate", "annotate_texts", "annotate_records", "screen",
    "Document", "Criterion", "Entity", "Constraint", "Bound", "Structured", "Screening",
]


def load(path: Optional[str] = None, *, entities: bool = True, **overrides) -> "Language":
    """Build the criteria_nlp pipeline.

    path (str or None): a saved pipeline directory (e.g. `models/criteria_rules`); None builds
        the default pipeline from the package's `default.cfg`. Defaults to None.
    entities (bool): with the trained entity recognizer shipped in `models/criteria_ner`;
        False gives the faster rules-only pipeline. Ignored with `path`. Defaults to True.
    **overrides: config overrides passed to spaCy, e.g. `{"components.criteria_quantities.bare_units": False}`.
    RETURNS (Language): the pipeline; `nlp(text).spans["quantities"]` holds the thresholds.
    """
    from .pipeline.loading import load_pipeline

    return load_pipeline(path, entities=entities, **overrides)


def annotate(text: str, *, id: str = "doc", nlp: Optional["Language"] = None) -> Document:
    """Annotate one eligibility text.

    text (str): the eligibility criteria, as given.
    id (str): the document id. Defaults to "doc".
    nlp (Language or None): a pipeline from `load()`; the default one when None.
    RETURNS (Document): criteria, entities and constraints, offsets into `text`.
    """
    return next(annotate_texts([(id, text)], nlp=nlp))


def annotate_texts(items: Iterable[Tuple[str, str]], *, nlp: Optional["Language"] = None,
                   batch_size: int = 64, n_process: int = 1,
                   time_budget: Optional[float] = TIME_BUDGET) -> Iterator[Document]:
    """Annotate many `(id, text)` pairs, in order; a bad text yields a Document with errors.

    time_budget (float or None): seconds one document may take before it is stopped with an
        error on its Document (main thread only); None for no limit. Defaults to 60.
    RETURNS (Iterator[Document]): one Document per input.
    """
    from .io.readers import Record

    return annotate_records((Record(id=i, text=t) for i, t in items), nlp=nlp,
                            batch_size=batch_size, n_process=n_process, time_budget=time_budget)


def annotate_records(records: Iterable["Record"], *, nlp: Optional["Language"] = None,
                     batch_size: int = 64, n_process: int = 1,
                     time_budget: Optional[float] = TIME_BUDGET) -> Iterator[Document]:
    """Annotate records from `criteria_nlp.io.read_inputs`, in order; never stops on one.

    RETURNS (Iterator[Document]): one Document per record, errors in `Document.errors`.
    """
    from .batch import pipe_records

    return pipe_records(records, nlp=nlp, batch_size=batch_size, n_process=n_process,
                        time_budget=time_budget)
