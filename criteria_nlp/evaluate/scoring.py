"""Scoring predicted constraints against the LCT and Chia gold.

Matching (both corpora)
    A predicted constraint is its ``start``/``end`` span (constraints without a span, such
    as structured ClinicalTrials.gov fields, are not scored and are counted apart). Gold
    spans may be discontinuous; the overlap of a prediction and a gold item is the number
    of characters they share. Matching is ONE-TO-ONE and greedy: all (prediction, gold)
    pairs that overlap are taken by largest overlap first, then by gold start, then by
    prediction start; a prediction matches at most one gold item and vice versa.

Lists
    One gold span can hold a list (``3, 6 and 12 months`` is one LCT threshold, one Chia
    Value). A pipeline that emits one constraint per item has one of them matched to the
    gold span; the other predictions are false positives (for detection and for their
    atoms), and the gold atoms they would have covered are false negatives. The scorer
    does not merge predictions: it measures the gold's segmentation as written.

Paired values
    The two halves of one paired value (`BP ≥140/90 mmHg`: two constraints on one span,
    ``component`` ``systolic`` then ``diastolic``, as CONTRACT.md writes them) are one
    expression: they are scored as one prediction carrying the atoms of both (LCT
    annotates the pair as one threshold with two values).

LCT
    * detection: matched pairs are true positives, unmatched predictions false
      positives, unmatched gold thresholds false negatives;
    * atoms: a constraint's atoms are ("lower", lower.value) and ("upper", upper.value);
      a gold threshold's atoms are described in :mod:`criteria_nlp.evaluate.gold`.
      A predicted atom is correct when its constraint is matched to a gold threshold
      with an atom of the same side and a value within 1e-6 * max(1, |v|). Atoms of
      unmatched predictions are false positives; atoms of unmatched golds are false
      negatives. Choice: a gold threshold that has no atom (its values do not parse --
      ``III``, ``moderate``, a date -- or it is a ``±`` tolerance) still counts for
      detection, but the atoms of the prediction matched to it are neither right nor
      wrong (``atoms_ignored``): the scorer cannot judge them. Inclusiveness is not
      scored: atoms compare side and value only.
    * atoms with unit: the same, and the pair's units must agree. When
      ``criteria_nlp.units.to_ucum`` is importable and gives a code for both sides
      (the gold unit text, the prediction's ``ucum`` or its unit text), the codes are
      compared; otherwise the unit texts, case-folded and without spaces. Choice: a gold
      threshold WITHOUT a Unit/Temporal-Unit argument agrees with any predicted unit --
      the gold often leaves units unannotated (``Per``-only frequencies, scores), and a
      unit the pipeline reads from the text is not evidence of an error. A gold whose only
      unit is a reference (``2 x upper limit of normal``) agrees when the prediction
      has ``relative_to`` set.
    * subject accuracy: over matched pairs whose gold has at least one subject, the share
      whose predicted ``subject`` span overlaps one of the gold subject spans (a missing
      predicted subject is wrong).

Chia
    * detection: predicted spans against gold Values (Arg2 of ``Has_value``). The predictions
      are the constraints plus the qualitative ``Value`` entities (`negative`, `HIV+`) that
      are no constraint. A prediction
      that overlaps no such Value but overlaps a gold ``Temporal`` span is IGNORED (Chia
      annotates time windows as Temporal, not Value), and likewise one that overlaps a gold
      ``Multiplier`` (Chia types dose and count amounts such as `1 mg or less`, `more than
      one` as Multiplier, not Value); so is one that overlaps only a
      ``Value`` that is in no ``Has_value`` relation (gold without a subject link). A
      prediction that overlaps a gold Value already taken by another prediction is a
      false positive (one-to-one), not ignored.
    * numeric-only: gold restricted to numeric Values; predictions matched to
      non-numeric Values are ignored; false positives are the same as in the full figure.
    * subject accuracy as for LCT; every member of an ``*\\tOR`` group that holds the
      relation's Arg1 counts as a correct subject.

Rates: P = tp/(tp+fp), R = tp/(tp+fn), F1 their harmonic mean; a rate whose denominator
is zero is 0.0, except that with no gold and no prediction at all P = R = F1 = 1.0.

Every miss, false positive and wrong matched pair yields an error record (a dict, ready
for JSONL): ``corpus``, ``doc_id``, ``error`` (``missed``, ``false_positive``,
``wrong_value``, ``wrong_unit``, ``wrong_subject``, ``text_mismatch``), ``start``, ``end``,
``text`` (the gold span for a miss, else the prediction), ``line`` (the line that holds
it) and ``line_start``, ``gold`` and ``pred`` (dicts or None), and for LCT ``expected`` /
``predicted`` bounds.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from ..schemas import Constraint, Document
from .gold import ChiaGoldDoc, ChiaValue, Fragments, GoldSubject, LctGoldDoc, LctThreshold

__all__ = [
    "ChiaScorer",
    "Counts",
    "LctScorer",
    "atoms_of",
    "line_at",
    "match_one_to_one",
    "overlap",
    "score_chia",
    "score_lct",
    "units_agree",
    "values_equal",
]

Atom = Tuple[str, float]
PredLike = Union[Document, Dict[str, Any]]


# --------------------------------------------------------------------------- counting


def _rate(num: int, den: int) -> float:
    return num / den if den else 0.0


@dataclass
class Counts:
    """True positives, false positives, false negatives; P/R/F1 derived."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def p(self) -> float:
        if self.tp + self.fp + self.fn == 0:
            return 1.0
        return _rate(self.tp, self.tp + self.fp)

    @property
    def r(self) -> float:
        if self.tp + self.fp + self.fn == 0:
            return 1.0
        return _rate(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float:
        p, r = self.p, self.r
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> Dict[str, Any]:
        return {
            "tp": self.tp, "fp": self.fp, "fn": self.fn,
            "p": round(self.p, 4), "r": round(self.r, 4), "f1": round(self.f1, 4),
        }


@dataclass
class Accuracy:
    n: int = 0
    correct: int = 0

    @property
    def accuracy(self) -> Optional[float]:
        return self.correct / self.n if self.n else None

    def as_dict(self) -> Dict[str, Any]:
        acc = self.accuracy
        return {"n": self.n, "correct": self.correct,
                "accuracy": None if acc is None else round(acc, 4)}


# --------------------------------------------------------------------------- spans


def overlap(start: int, end: int, fragments: Fragments) -> int:
    """Characters shared by [start, end) and the (possibly discontinuous) fragments."""
    return sum(max(0, min(end, e) - max(start, s)) for s, e in fragments)


def match_one_to_one(
    preds: Sequence[Tuple[int, int]], golds: Sequence[Fragments]
) -> Dict[int, int]:
    """Prediction index -> gold index; greedy by largest overlap, then position."""
    cands = []
    for gi, frags in enumerate(golds):
        gstart = min(s for s, _ in frags)
        for pi, (ps, pe) in enumerate(preds):
            ov = overlap(ps, pe, frags)
            if ov > 0:
                cands.append((-ov, gstart, ps, gi, pi))
    cands.sort()
    used_g: set = set()
    out: Dict[int, int] = {}
    for _, _, _, gi, pi in cands:
        if pi in out or gi in used_g:
            continue
        out[pi] = gi
        used_g.add(gi)
    return out


def line_at(text: str, start: int, end: Optional[int] = None) -> Tuple[str, int]:
    """The line (or lines) of `text` holding [start, end), without line ends; its offset."""
    end = start if end is None else max(start, end)
    start = max(0, min(start, len(text)))
    ls = max(text.rfind("\n", 0, start), text.rfind("\r", 0, start)) + 1
    stops = [i for i in (text.find("\n", end), text.find("\r", end)) if i >= 0]
    le = min(stops) if stops else len(text)
    if le < ls:
        le = len(text)
    return text[ls:le], ls


def _subject_ok(pred: Constraint, subjects: Sequence[GoldSubject]) -> bool:
    s = pred.subject
    if s is None:
        return False
    return any(overlap(s.start, s.end, g.fragments) > 0 for g in subjects)


# --------------------------------------------------------------------------- atoms, units


def values_equal(a: float, b: float) -> bool:
    """Equal within 1e-6 * max(1, |b|)."""
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


def atoms_of(c: Constraint) -> List[Atom]:
    out: List[Atom] = []
    if c.lower is not None:
        out.append(("lower", float(c.lower.value)))
    if c.upper is not None:
        out.append(("upper", float(c.upper.value)))
    return out


def _atom_hits(pred_atoms: Sequence[Atom], gold_atoms: Iterable[Atom]) -> int:
    """Predicted atoms that match a distinct gold atom."""
    free = list(gold_atoms)
    hits = 0
    for side, value in pred_atoms:
        for i, (gs, gv) in enumerate(free):
            if gs == side and values_equal(value, gv):
                hits += 1
                del free[i]
                break
    return hits


def _norm_unit(text: Optional[str]) -> str:
    if not text:
        return ""
    t = unicodedata.normalize("NFKC", text).casefold()
    t = t.replace("μ", "u").replace("µ", "u")
    return re.sub(r"\s+", "", t).strip(".")


def _ucum_function() -> Optional[Callable[[str], Any]]:
    """`criteria_nlp.units.to_ucum` if it exists (it is written in parallel), else None."""
    try:
        from .. import units
    except Exception:  # noqa: BLE001 - any import problem means: compare texts
        return None
    fn = getattr(units, "to_ucum", None)
    return fn if callable(fn) else None


def _safe_ucum(fn: Optional[Callable[[str], Any]], text: Optional[str]) -> Optional[str]:
    if fn is None or not text:
        return None
    try:
        code = fn(text)
    except Exception:  # noqa: BLE001 - an unknown unit is simply not comparable by code
        return None
    return code if isinstance(code, str) and code else None


def units_agree(
    gold: LctThreshold,
    pred: Constraint,
    to_ucum: Optional[Callable[[str], Any]] = None,
) -> bool:
    """Whether a matched prediction's unit agrees with the gold's (see module doc)."""
    pred_text = pred.unit or pred.ucum
    if gold.unit is None:
        if gold.reference is None:
            return True
        return pred.relative_to is not None or (
            bool(pred_text) and _norm_unit(pred_text) == _norm_unit(gold.reference)
        )
    gold_code = _safe_ucum(to_ucum, gold.unit)
    pred_code = pred.ucum or _safe_ucum(to_ucum, pred.unit)
    if gold_code and pred_code:
        return gold_code == pred_code
    if not pred_text:
        return False
    return _norm_unit(gold.unit) == _norm_unit(pred_text)


# --------------------------------------------------------------------------- records


def _as_document(pred: PredLike) -> Document:
    if isinstance(pred, Document):
        return pred
    return Document.model_validate(pred)


def _spanned(doc: Document) -> Tuple[List[Constraint], int, Dict[int, List[Atom]]]:
    """The constraints with a span, how many have none, and the atoms of each kept
    constraint's diastolic half (index in the kept list -> atoms), that half left out."""
    kept: List[Constraint] = []
    paired: Dict[int, List[Atom]] = {}
    unspanned = 0
    for c in doc.constraints:
        if c.start is None or c.end is None:
            unspanned += 1
        elif (c.component == "diastolic" and kept and kept[-1].component == "systolic"
              and (kept[-1].start, kept[-1].end) == (c.start, c.end)):
            paired[len(kept) - 1] = atoms_of(c)
        else:
            kept.append(c)
    return kept, unspanned, paired


def _qualitative_values(doc: Document, constraints: List[Constraint]) -> List[Constraint]:
    """Chia's Values also hold qualitative results (`negative` pregnancy test, `HIV+`): the
    predicted `Value` entities that are no constraint, as bound-less predictions."""
    out = []
    for e in doc.entities:
        if e.label != "Value" or any(c.start < e.end and e.start < c.end for c in constraints):
            continue
        out.append(Constraint(kind="numeric", start=e.start, end=e.end, text=e.text, subject=e.subject))
    return out


def _pred_record(c: Constraint) -> Dict[str, Any]:
    return {
        "start": c.start, "end": c.end, "text": c.text, "kind": c.kind,
        "lower": None if c.lower is None else c.lower.model_dump(),
        "upper": None if c.upper is None else c.upper.model_dump(),
        "unit": c.unit, "ucum": c.ucum, "relative_to": c.relative_to,
        "subject": None if c.subject is None else
        {"start": c.subject.start, "end": c.subject.end, "text": c.subject.text},
    }


def _subjects_record(subjects: Sequence[GoldSubject]) -> List[Dict[str, Any]]:
    return [
        {"start": s.start, "end": s.end, "text": s.text, "label": s.label,
         "fragments": [list(f) for f in s.fragments]}
        for s in subjects
    ]


def _lct_gold_record(g: LctThreshold) -> Dict[str, Any]:
    return {
        "start": g.start, "end": g.end, "text": g.text,
        "fragments": [list(f) for f in g.fragments], "event": g.event_id,
        "direction": g.direction, "operators": g.operators, "values": g.value_texts,
        "unit": g.unit, "reference": g.reference, "subjects": _subjects_record(g.subjects),
    }


def _chia_gold_record(g: ChiaValue) -> Dict[str, Any]:
    return {
        "start": g.start, "end": g.end, "text": g.text, "id": g.id,
        "fragments": [list(f) for f in g.fragments], "numeric": g.numeric,
        "subjects": _subjects_record(g.subjects),
    }


def _record(corpus: str, doc_id: str, text: str, error: str, start: int, end: int,
            span_text: Optional[str], **extra: Any) -> Dict[str, Any]:
    line, line_start = line_at(text, start, end)
    rec = {"corpus": corpus, "doc_id": doc_id, "error": error, "start": start, "end": end,
           "text": span_text, "line": line, "line_start": line_start}
    rec.update(extra)
    return rec


def _predicted_bounds(c: Constraint) -> Dict[str, Optional[float]]:
    return {"lower": None if c.lower is None else c.lower.value,
            "upper": None if c.upper is None else c.upper.value}


def _check_text(corpus: str, gold_id: str, gold_text: str, doc: Document,
                errors: List[Dict[str, Any]]) -> int:
    if doc.text == gold_text:
        return 0
    errors.append({"corpus": corpus, "doc_id": gold_id, "error": "text_mismatch",
                   "start": None, "end": None, "text": None, "line": None,
                   "line_start": None, "gold": None, "pred": None,
                   "detail": f"predicted document {doc.id!r} has a text of {len(doc.text)} "
                             f"characters, gold {len(gold_text)}; offsets may not agree"})
    return 1


class _Scorer:
    """What both scorers share: the prediction side of each document and its bookkeeping."""

    corpus = ""

    def __init__(self) -> None:
        self.errors: List[Dict[str, Any]] = []
        self.n_docs = 0
        self.pred_stats = {"constraints": 0, "unspanned": 0, "documents_with_errors": 0,
                           "text_mismatch": 0}

    def _predictions(self, gold_id: str, text: str, pred: Optional[PredLike]
                     ) -> Tuple[Document, List[Constraint], Dict[int, List[Atom]]]:
        """The predicted Document of one gold document, its spanned constraints, and the
        atoms of the diastolic half of each paired one (see `_spanned`)."""
        self.n_docs += 1
        doc = _as_document(pred) if pred is not None else Document(id=gold_id, text=text)
        if doc.errors:
            self.pred_stats["documents_with_errors"] += 1
        self.pred_stats["text_mismatch"] += _check_text(self.corpus, gold_id, text, doc, self.errors)
        preds, unspanned, paired = _spanned(doc)
        self.pred_stats["constraints"] += len(preds) + unspanned
        self.pred_stats["unspanned"] += unspanned
        return doc, preds, paired


# --------------------------------------------------------------------------- LCT


class LctScorer(_Scorer):
    """Accumulates LCT figures document by document (`add`), then `figures()`."""

    corpus = "lct"

    def __init__(self, to_ucum: Optional[Callable[[str], Any]] = None, *,
                 lookup_units: bool = True) -> None:
        super().__init__()
        self.to_ucum = to_ucum if to_ucum is not None or not lookup_units else _ucum_function()
        self.detection = Counts()
        self.atoms = Counts()
        self.atoms_unit = Counts()
        self.subject = Accuracy()
        self.atoms_ignored = 0
        self.gold_stats = {"thresholds": 0, "with_atoms": 0, "atoms": 0, "with_unit": 0,
                           "with_reference": 0, "with_subject": 0, "temporal": 0}

    def add(self, gold: LctGoldDoc, pred: Optional[PredLike]) -> None:
        text = gold.text
        doc, preds, paired = self._predictions(gold.id, text, pred)
        golds = gold.thresholds
        gs = self.gold_stats
        for g in golds:
            gs["thresholds"] += 1
            gs["with_atoms"] += bool(g.atoms)
            gs["atoms"] += len(g.atoms)
            gs["with_unit"] += g.unit is not None
            gs["with_reference"] += g.reference is not None
            gs["with_subject"] += bool(g.subjects)
            gs["temporal"] += g.temporal

        match = match_one_to_one([(c.start, c.end) for c in preds], [g.fragments for g in golds])
        matched_gold = set(match.values())

        for pi, c in enumerate(preds):
            p_atoms = atoms_of(c) + paired.get(pi, [])
            if pi not in match:
                self.detection.fp += 1
                self.atoms.fp += len(p_atoms)
                self.atoms_unit.fp += len(p_atoms)
                self.errors.append(_record(
                    "lct", gold.id, text, "false_positive", c.start, c.end, c.text,
                    gold=None, pred=_pred_record(c),
                    expected=None, predicted=_predicted_bounds(c)))
                continue
            g = golds[match[pi]]
            self.detection.tp += 1
            if not g.atoms:
                # The gold value is unparseable (`III`, `moderate`) or a tolerance (`±2`):
                # the scorer cannot judge the predicted bounds, so they count for nothing.
                self.atoms_ignored += len(p_atoms)
                p_atoms = []
            hits = _atom_hits(p_atoms, g.atoms)
            self.atoms.tp += hits
            self.atoms.fp += len(p_atoms) - hits
            self.atoms.fn += len(g.atoms) - hits
            unit_ok = units_agree(g, c, self.to_ucum)
            uhits = hits if unit_ok else 0
            self.atoms_unit.tp += uhits
            self.atoms_unit.fp += len(p_atoms) - uhits
            self.atoms_unit.fn += len(g.atoms) - uhits
            subj_ok = None
            if g.subjects:
                self.subject.n += 1
                subj_ok = _subject_ok(c, g.subjects)
                self.subject.correct += subj_ok
            common = dict(gold=_lct_gold_record(g), pred=_pred_record(c),
                          expected=g.bounds(), predicted=_predicted_bounds(c))
            if hits != len(p_atoms) or hits != len(g.atoms):
                self.errors.append(_record("lct", gold.id, text, "wrong_value", c.start, c.end,
                                           c.text, **common))
            elif hits and not unit_ok:
                self.errors.append(_record("lct", gold.id, text, "wrong_unit", c.start, c.end,
                                           c.text, **common))
            if subj_ok is False:
                self.errors.append(_record("lct", gold.id, text, "wrong_subject", c.start,
                                           c.end, c.text, **common))

        for gi, g in enumerate(golds):
            if gi in matched_gold:
                continue
            self.detection.fn += 1
            self.atoms.fn += len(g.atoms)
            self.atoms_unit.fn += len(g.atoms)
            self.errors.append(_record(
                "lct", gold.id, text, "missed", g.start, g.end, g.text,
                gold=_lct_gold_record(g), pred=None, expected=g.bounds(), predicted=None))

    def figures(self) -> Dict[str, Any]:
        return {
            "corpus": "lct",
            "n_docs": self.n_docs,
            "gold": dict(self.gold_stats),
            "predicted": dict(self.pred_stats),
            "detection": self.detection.as_dict(),
            "atoms": self.atoms.as_dict(),
            "atoms_with_unit": self.atoms_unit.as_dict(),
            "atoms_ignored": self.atoms_ignored,
            "subject": self.subject.as_dict(),
            "units_compared_by": "ucum" if self.to_ucum is not None else "text",
        }


# --------------------------------------------------------------------------- Chia


class ChiaScorer(_Scorer):
    """Accumulates Chia figures document by document (`add`), then `figures()`."""

    corpus = "chia"

    def __init__(self) -> None:
        super().__init__()
        self.detection = Counts()
        self.detection_numeric = Counts()
        self.subject = Accuracy()
        self.subject_numeric = Accuracy()
        self.ignored = {"temporal": 0, "multiplier": 0, "unrelated_value": 0, "non_numeric_match": 0}
        self.gold_stats = {"values": 0, "numeric": 0, "with_subject": 0,
                           "temporal_spans": 0, "unrelated_values": 0}

    def add(self, gold: ChiaGoldDoc, pred: Optional[PredLike]) -> None:
        text = gold.text
        doc, preds, _ = self._predictions(gold.id, text, pred)
        preds = preds + _qualitative_values(doc, preds)
        golds = gold.values
        gs = self.gold_stats
        gs["values"] += len(golds)
        gs["numeric"] += sum(g.numeric for g in golds)
        gs["with_subject"] += sum(bool(g.subjects) for g in golds)
        gs["temporal_spans"] += len(gold.temporals)
        gs["unrelated_values"] += len(gold.other_values)

        match = match_one_to_one([(c.start, c.end) for c in preds], [g.fragments for g in golds])
        matched_gold = set(match.values())

        for pi, c in enumerate(preds):
            if pi not in match:
                if any(overlap(c.start, c.end, g.fragments) > 0 for g in golds):
                    pass  # overlaps a gold Value taken by another prediction: a FP
                elif any(overlap(c.start, c.end, f) > 0 for f in gold.temporals):
                    self.ignored["temporal"] += 1
                    continue
                elif any(overlap(c.start, c.end, f) > 0 for f in gold.multipliers):
                    self.ignored["multiplier"] += 1
                    continue
                elif any(overlap(c.start, c.end, f) > 0 for f in gold.other_values):
                    self.ignored["unrelated_value"] += 1
                    continue
                self.detection.fp += 1
                self.detection_numeric.fp += 1
                self.errors.append(_record("chia", gold.id, text, "false_positive", c.start,
                                           c.end, c.text, gold=None, pred=_pred_record(c)))
                continue
            g = golds[match[pi]]
            self.detection.tp += 1
            if g.numeric:
                self.detection_numeric.tp += 1
            else:
                self.ignored["non_numeric_match"] += 1
            if g.subjects:
                ok = _subject_ok(c, g.subjects)
                self.subject.n += 1
                self.subject.correct += ok
                if g.numeric:
                    self.subject_numeric.n += 1
                    self.subject_numeric.correct += ok
                if not ok:
                    self.errors.append(_record("chia", gold.id, text, "wrong_subject", c.start,
                                               c.end, c.text, gold=_chia_gold_record(g),
                                               pred=_pred_record(c)))

        for gi, g in enumerate(golds):
            if gi in matched_gold:
                continue
            self.detection.fn += 1
            if g.numeric:
                self.detection_numeric.fn += 1
            self.errors.append(_record("chia", gold.id, text, "missed", g.start, g.end, g.text,
                                       gold=_chia_gold_record(g), pred=None))

    def figures(self) -> Dict[str, Any]:
        return {
            "corpus": "chia",
            "n_docs": self.n_docs,
            "gold": dict(self.gold_stats),
            "predicted": dict(self.pred_stats),
            "detection": self.detection.as_dict(),
            "detection_numeric": self.detection_numeric.as_dict(),
            "ignored": dict(self.ignored),
            "subject": self.subject.as_dict(),
            "subject_numeric": self.subject_numeric.as_dict(),
        }


# --------------------------------------------------------------------------- one-shot


def _pair(golds: Sequence[Any], preds: Iterable[Optional[PredLike]]) -> List[Tuple[Any, Any]]:
    by_id: Dict[str, Any] = {}
    for p in preds:
        if p is None:
            continue
        d = _as_document(p)
        by_id.setdefault(d.id, d)
    return [(g, by_id.get(g.id)) for g in golds]


def score_lct(golds: Sequence[LctGoldDoc], preds: Iterable[Optional[PredLike]],
              to_ucum: Optional[Callable[[str], Any]] = None
              ) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    """Figures and error records for LCT; predictions are paired with gold by id."""
    scorer = LctScorer(to_ucum)
    for g, p in _pair(golds, preds):
        scorer.add(g, p)
    return scorer.figures(), scorer.errors


def score_chia(golds: Sequence[ChiaGoldDoc], preds: Iterable[Optional[PredLike]]
               ) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    """Figures and error records for Chia; predictions are paired with gold by id."""
    scorer = ChiaScorer()
    for g, p in _pair(golds, preds):
        scorer.add(g, p)
    return scorer.figures(), scorer.errors
