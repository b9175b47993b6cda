"""Entity recognition against the Chia gold: strict and lenient span scoring per label.

    >>> from criteria_nlp.evaluate.entities import evaluate_entities
    >>> result = evaluate_entities(split="dev")            # doctest: +SKIP
    >>> print(result.format_table())                        # doctest: +SKIP

Gold
    Every Chia ``T`` annotation whose label is one of the 15 entity types
    (``CHIA_LABELS`` of :mod:`criteria_nlp.training.chia`); other labels (``Parsing_Error``,
    ``Non-query-able``, ...) are no entities and are left out. A discontinuous entity
    counts as its covering extent, from the start of its first fragment to the end of its
    last, as in the rest of the evaluation. Overlapping and nested gold spans are ALL kept:
    the gold is scored as annotated, so a flat recognizer cannot reach every nested span,
    and that shows in recall rather than being hidden. A duplicate (start, end, label)
    counts once.

Predictions
    The ``entities`` of the predicted `Document`, offsets into the text as given (the text
    of the `.txt`), labels as written. A prediction whose label is not one of the 15 types
    is ignored (counted in ``predicted.other_labels``). Duplicate predictions are not
    merged: the second of two identical predictions is a false positive. Spans are
    compared on raw offsets; leading or trailing whitespace is NOT stripped on either side.

Matching (per document and label, always one-to-one)
    * strict: a prediction is a true positive when a gold entity has exactly the same
      start, end and label;
    * lenient: same label and the spans share at least one character. Pairs are taken
      greedily by largest overlap first, then by gold (start, end), then by prediction
      (start, end) -- :func:`criteria_nlp.evaluate.scoring.match_one_to_one` over spans
      sorted by position, so the result does not depend on input order. Two predictions
      overlapping one gold give one true positive and one false positive.

Figures
    For strict and for lenient: per label (all 15) precision, recall, F1, ``tp``,
    ``n_gold`` and ``n_pred``; ``micro_core`` pools the counts of the ten core types
    (``CORE_LABELS``: Condition ... Value) and is the headline; ``micro_all`` pools all 15.
    Rates follow :class:`criteria_nlp.evaluate.scoring.Counts`: P = tp/n_pred,
    R = tp/n_gold, F1 their harmonic mean; a zero denominator gives 0.0, except that
    with no gold and no prediction at all P = R = F1 = 1.0.

Errors (strict)
    One record per unmatched gold (``"miss"``) and per unmatched prediction
    (``"false_positive"``): ``doc_id``, ``error``, ``label``, ``start``, ``end``,
    ``text`` (the document text at those offsets) and ``lenient`` (whether it has a
    lenient match, i.e. is a boundary error rather than a wholly missed or spurious span).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

from ..errors import InputError
from ..schemas import Document
from ..training.chia import CHIA_LABELS, CORE_LABELS
from . import Annotate, EvalResult, _default_annotate, _resolve
from .brat import BratDoc, read_brat
from .scoring import Counts, match_one_to_one
from .splits import list_docs

__all__ = [
    "EntityResult",
    "EntitySpan",
    "evaluate_entities",
    "gold_entities",
    "score_entities",
]

#: (start, end, label), end exclusive.
EntitySpan = Tuple[int, int, str]
_LABELS = frozenset(CHIA_LABELS)


def gold_entities(doc: BratDoc) -> List[EntitySpan]:
    """The gold entities of a Chia document, by the rules of the module docstring.

    doc (BratDoc): the document as read by `read_brat` / `parse_ann`.
    RETURNS (List[EntitySpan]): distinct (start, end, label), sorted by position then label.
    """
    spans = {(e.start, e.end, e.label) for e in doc.entities.values() if e.label in _LABELS}
    return sorted(spans)


# --------------------------------------------------------------------------- matching


def _by_label(spans: Iterable[EntitySpan]) -> Dict[str, List[Tuple[int, int]]]:
    out: Dict[str, List[Tuple[int, int]]] = {}
    for start, end, label in spans:
        out.setdefault(label, []).append((start, end))
    for items in out.values():
        items.sort()
    return out


def _strict(golds: Sequence[Tuple[int, int]], preds: Sequence[Tuple[int, int]]
            ) -> Tuple[Set[int], Set[int]]:
    """Indices of matched golds and matched predictions, exact offsets, one-to-one."""
    free: Dict[Tuple[int, int], List[int]] = {}
    for gi, span in enumerate(golds):
        free.setdefault(span, []).append(gi)
    matched_g: Set[int] = set()
    matched_p: Set[int] = set()
    for pi, span in enumerate(preds):
        slots = free.get(span)
        if slots:
            matched_g.add(slots.pop(0))
            matched_p.add(pi)
    return matched_g, matched_p


def _lenient(golds: Sequence[Tuple[int, int]], preds: Sequence[Tuple[int, int]]
             ) -> Tuple[Set[int], Set[int]]:
    """Indices of matched golds and matched predictions, overlap, one-to-one."""
    match = match_one_to_one(list(preds), [((s, e),) for s, e in golds])
    return set(match.values()), set(match)


class _EntityScorer:
    """Accumulates strict and lenient counts per label over documents."""

    def __init__(self) -> None:
        self.counts = {mode: {label: Counts() for label in CHIA_LABELS}
                       for mode in ("strict", "lenient")}

    def add(self, gold: Iterable[EntitySpan], pred: Iterable[EntitySpan]
            ) -> List[Tuple[str, EntitySpan, bool]]:
        """Score one document.

        gold (Iterable[EntitySpan]): its gold entities (deduplicated here, other labels dropped).
        pred (Iterable[EntitySpan]): its predicted entities (other labels dropped).
        RETURNS (List[Tuple[str, EntitySpan, bool]]): the strict errors, as
            ("miss" | "false_positive", span, has a lenient match), in position order.
        """
        golds = _by_label({g for g in gold if g[2] in _LABELS})
        preds = _by_label(p for p in pred if p[2] in _LABELS)
        errors: List[Tuple[str, EntitySpan, bool]] = []
        for label in CHIA_LABELS:
            g, p = golds.get(label, []), preds.get(label, [])
            if not g and not p:
                continue
            sg, sp = _strict(g, p)
            lg, lp = _lenient(g, p)
            for mode, n_tp in (("strict", len(sp)), ("lenient", len(lp))):
                c = self.counts[mode][label]
                c.tp += n_tp
                c.fp += len(p) - n_tp
                c.fn += len(g) - n_tp
            errors += [("miss", (s, e, label), gi in lg)
                       for gi, (s, e) in enumerate(g) if gi not in sg]
            errors += [("false_positive", (s, e, label), pi in lp)
                       for pi, (s, e) in enumerate(p) if pi not in sp]
        errors.sort(key=lambda err: (err[1][0], err[1][1], err[1][2], err[0]))
        return errors

    def figures(self) -> Dict[str, Any]:
        return {mode: {
            "micro_core": _figure(_pooled(counts, CORE_LABELS)),
            "micro_all": _figure(_pooled(counts, CHIA_LABELS)),
            "per_label": {label: _figure(counts[label]) for label in CHIA_LABELS},
        } for mode, counts in self.counts.items()}


def _pooled(counts: Dict[str, Counts], labels: Sequence[str]) -> Counts:
    return Counts(tp=sum(counts[x].tp for x in labels), fp=sum(counts[x].fp for x in labels),
                  fn=sum(counts[x].fn for x in labels))


def _figure(c: Counts) -> Dict[str, Any]:
    return {"p": round(c.p, 4), "r": round(c.r, 4), "f1": round(c.f1, 4), "tp": c.tp,
            "n_gold": c.tp + c.fn, "n_pred": c.tp + c.fp}


def score_entities(
    pairs: Iterable[Tuple[Sequence[EntitySpan], Sequence[EntitySpan]]],
) -> Dict[str, Any]:
    """Strict and lenient entity figures over documents.

    pairs (Iterable[Tuple[Sequence[EntitySpan], Sequence[EntitySpan]]]): one
        (gold, predicted) pair of (start, end, label) lists per document.
    RETURNS (Dict[str, Any]): ``{"strict": {...}, "lenient": {...}}``, each with
        ``micro_core``, ``micro_all`` and ``per_label`` (label -> figure); a figure is
        ``{p, r, f1, tp, n_gold, n_pred}``.
    """
    scorer = _EntityScorer()
    for gold, pred in pairs:
        scorer.add(gold, pred)
    return scorer.figures()


# --------------------------------------------------------------------------- corpus


@dataclass
class EntityResult(EvalResult):
    """Figures and strict error records of an entity evaluation (see `evaluate_entities`)."""

    def format_table(self) -> str:
        """A plain fixed-width text table: one row per label, then the two micro rows."""
        f = self.figures
        lines = [f"{str(f.get('corpus', '')).upper()} entity recognition: "
                 f"split={f.get('split', 'all')}, {f.get('n_docs', 0)} documents"]
        head = (f"{'label':<18}{'gold':>7}{'pred':>7}  {'strict P':>8}{'R':>7}{'F1':>7}"
                f"  {'lenient P':>9}{'R':>7}{'F1':>7}")
        lines += [head, "-" * len(head)]

        def row(name: str, strict: Dict[str, Any], lenient: Dict[str, Any]) -> str:
            return (f"{name:<18}{strict['n_gold']:>7}{strict['n_pred']:>7}  "
                    f"{strict['p']:>8.3f}{strict['r']:>7.3f}{strict['f1']:>7.3f}  "
                    f"{lenient['p']:>9.3f}{lenient['r']:>7.3f}{lenient['f1']:>7.3f}")

        strict, lenient = f["strict"], f["lenient"]
        for label in CHIA_LABELS:
            lines.append(row(label, strict["per_label"][label], lenient["per_label"][label]))
        lines.append("-" * len(head))
        lines.append(row("micro (core 10)", strict["micro_core"], lenient["micro_core"]))
        lines.append(row("micro (all 15)", strict["micro_all"], lenient["micro_all"]))
        pred = f.get("predicted", {})
        if pred.get("missing") or pred.get("text_mismatch") or pred.get("other_labels"):
            lines.append(f"{pred.get('missing', 0)} document(s) without prediction, "
                         f"{pred.get('text_mismatch', 0)} with another text; "
                         f"{pred.get('other_labels', 0)} predicted entities with another "
                         "label ignored")
        return "\n".join(lines)


def _pred_spans(doc: Document) -> List[EntitySpan]:
    return [(e.start, e.end, e.label) for e in doc.entities]


def evaluate_entities(
    path: Union[str, Path, None] = None,
    *,
    split: str = "dev",
    limit: Optional[int] = None,
    annotate: Optional[Annotate] = None,
    n_process: int = 1,
) -> EntityResult:
    """Annotate the Chia documents of a split and score the predicted entities.

    path (Union[str, Path, None]): the Chia directory (or the corpora root); default
        ``../shared/corpora/chia``.
    split (str): "dev" (default), "train" or "all", the fixed split of :mod:`.splits`.
    limit (Optional[int]): only the first `limit` documents of the split (sorted by name).
    annotate (Optional[Annotate]): takes ``(doc_id, text)`` items and yields a `Document`
        (or its dict) per item; default ``criteria_nlp.annotate_texts``. A document with no
        prediction is scored as one without entities.
    n_process (int): worker processes of the default annotator.
    RETURNS (EntityResult): figures (corpus, n_docs, split, gold and prediction counts,
        strict and lenient scores) and the strict error records.
    """
    if split not in ("all", "train", "dev"):
        raise InputError(f"split {split!r}", "the split is 'train', 'dev' or 'all'")
    paths = list_docs(_resolve("chia", path), split)
    if limit is not None:
        paths = paths[: max(0, limit)]
    golds = [read_brat(p) for p in paths]
    run = annotate if annotate is not None else _default_annotate(n_process)
    preds: Dict[str, Document] = {}
    for item in run((g.id, g.text) for g in golds):
        doc = item if isinstance(item, Document) else Document.model_validate(item)
        preds.setdefault(doc.id, doc)

    scorer = _EntityScorer()
    errors: List[Dict[str, Any]] = []
    gold_stats = {"entities": 0, "discontinuous": 0, "duplicates": 0, "other_labels": 0}
    pred_stats = {"entities": 0, "other_labels": 0, "missing": 0, "text_mismatch": 0}
    for g in golds:
        gold = gold_entities(g)
        typed = [e for e in g.entities.values() if e.label in _LABELS]
        gold_stats["entities"] += len(gold)
        gold_stats["discontinuous"] += sum(len(e.fragments) > 1 for e in typed)
        gold_stats["duplicates"] += len(typed) - len(gold)
        gold_stats["other_labels"] += len(g.entities) - len(typed)
        doc = preds.get(g.id)
        if doc is None:
            pred_stats["missing"] += 1
            pred = []
        else:
            pred_stats["text_mismatch"] += doc.text != g.text
            pred = _pred_spans(doc)
            pred_stats["entities"] += len(pred)
            pred_stats["other_labels"] += sum(label not in _LABELS for _, _, label in pred)
        for kind, (start, end, label), lenient in scorer.add(gold, pred):
            errors.append({"doc_id": g.id, "error": kind, "label": label, "start": start,
                           "end": end, "text": g.text[start:end], "lenient": lenient})
    figures: Dict[str, Any] = {"corpus": "chia", "n_docs": len(golds), "split": split,
                               "gold": gold_stats, "predicted": pred_stats}
    figures.update(scorer.figures())
    return EntityResult(figures=figures, errors=errors)
