"""Development figures of the pipeline on the gold corpora (LCT, Chia).

    >>> from criteria_nlp.evaluate import evaluate, write_errors
    >>> result = evaluate("lct", split="dev")            # doctest: +SKIP
    >>> print(result.format_table())                      # doctest: +SKIP
    >>> write_errors(result, "lct-dev-errors.jsonl")      # doctest: +SKIP

The corpora live in ``../shared/corpora/<corpus>`` (BRAT: ``NAME.txt`` + ``NAME.ann``);
about a fifth of each collection is held back elsewhere, so the figures here are
*development* figures. Gold extraction is described in :mod:`.gold`, the scoring rules
(one-to-one matching, atoms, units, the Chia ignore rules) in :mod:`.scoring`, the fixed
train/dev split in :mod:`.splits`. Nothing here prints.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Literal, Optional, Tuple, Union

from ..errors import InputError
from ..schemas import Document
from .brat import BratDoc, parse_ann, read_brat
from .gold import (
    ChiaGoldDoc,
    LctGoldDoc,
    chia_gold,
    lct_gold,
    parse_number,
    read_chia_gold,
    read_lct_gold,
)
from .scoring import ChiaScorer, Counts, LctScorer, score_chia, score_lct
from .splits import list_docs, split_of

__all__ = [
    "BratDoc",
    "ChiaGoldDoc",
    "ChiaScorer",
    "Counts",
    "EvalResult",
    "LctGoldDoc",
    "LctScorer",
    "chia_gold",
    "default_corpus_path",
    "evaluate",
    "lct_gold",
    "list_docs",
    "load_gold",
    "parse_ann",
    "parse_number",
    "read_brat",
    "read_chia_gold",
    "read_lct_gold",
    "score_chia",
    "score_lct",
    "split_of",
    "write_errors",
]

Corpus = Literal["lct", "chia"]
Annotate = Callable[[Iterable[Tuple[str, str]]], Iterable[Union[Document, Dict[str, Any]]]]
CORPORA = ("lct", "chia")


@dataclass
class EvalResult:
    """Figures (a JSON-ready dict) and per-document error records of one evaluation."""

    figures: Dict[str, Any]
    errors: List[Dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(self.figures, ensure_ascii=False, indent=2)

    def format_table(self) -> str:
        """A plain fixed-width text table of the figures."""
        f = self.figures
        corpus = str(f.get("corpus", "")).upper()
        lines = [f"{corpus} development figures: split={f.get('split', 'all')}, "
                 f"{f.get('n_docs', 0)} documents"]
        head = f"{'metric':<22}{'tp':>7}{'fp':>7}{'fn':>7}{'P':>8}{'R':>8}{'F1':>8}"
        lines += [head, "-" * len(head)]
        rows = [("detection", "detection"), ("detection (numeric)", "detection_numeric"),
                ("atoms", "atoms"), ("atoms + unit", "atoms_with_unit")]
        for label, key in rows:
            m = f.get(key)
            if not m:
                continue
            lines.append(f"{label:<22}{m['tp']:>7}{m['fp']:>7}{m['fn']:>7}"
                         f"{m['p']:>8.3f}{m['r']:>8.3f}{m['f1']:>8.3f}")
        lines.append("-" * len(head))
        for label, key in (("subject accuracy", "subject"),
                           ("subject (numeric)", "subject_numeric")):
            s = f.get(key)
            if not s:
                continue
            acc = "n/a" if s["accuracy"] is None else f"{s['accuracy']:.3f}"
            lines.append(f"{label:<22}{acc:>7}   ({s['correct']}/{s['n']} matched pairs "
                         "with a gold subject)")
        if f.get("ignored"):
            ig = f["ignored"]
            lines.append(f"{'ignored predictions':<22}{ig.get('temporal', 0)} on Temporal, "
                         f"{ig.get('multiplier', 0)} on Multiplier, "
                         f"{ig.get('unrelated_value', 0)} on Values without Has_value")
        if f.get("atoms_ignored"):
            lines.append(f"{'ignored atoms':<22}{f['atoms_ignored']} (gold value not numeric)")
        pred = f.get("predicted", {})
        if pred.get("text_mismatch") or pred.get("documents_with_errors") or pred.get("missing"):
            lines.append(f"{'documents':<22}{pred.get('missing', 0)} without prediction, "
                         f"{pred.get('text_mismatch', 0)} with another text, "
                         f"{pred.get('documents_with_errors', 0)} with pipeline errors")
        return "\n".join(lines)


def write_errors(result: EvalResult, path: Union[str, Path]) -> Path:
    """Write `result.errors` as JSONL (one record a line, UTF-8); returns the path."""
    path = Path(path)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for rec in result.errors:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return path


def default_corpus_path(corpus: str) -> Path:
    """``../shared/corpora/<corpus>`` from the current directory, else beside the repo."""
    candidates = [
        Path.cwd().parent / "shared" / "corpora" / corpus,
        Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / corpus,
    ]
    for c in candidates:
        if c.is_dir():
            return c
    raise InputError(
        str(candidates[0]),
        f"the {corpus} corpus is not there nor at {candidates[1]}; pass its directory as path",
    )


def _resolve(corpus: str, path: Union[str, Path, None]) -> Path:
    if corpus not in CORPORA:
        raise InputError(f"corpus {corpus!r}", "the corpus is 'lct' or 'chia'")
    if path is None:
        return default_corpus_path(corpus)
    p = Path(path)
    if not p.is_dir():
        raise InputError(str(p), "no such directory")
    if not any(p.glob("*.txt")) and (p / corpus).is_dir():
        p = p / corpus  # the corpora root was given
    return p


def load_gold(corpus: Corpus, path: Union[str, Path, None] = None, *, split: str = "all",
              limit: Optional[int] = None) -> List[Union[LctGoldDoc, ChiaGoldDoc]]:
    """The gold documents of a corpus split, sorted by id (first `limit` of them)."""
    root = _resolve(corpus, path)
    paths = list_docs(root, split)
    if limit is not None:
        paths = paths[: max(0, limit)]
    reader = read_lct_gold if corpus == "lct" else read_chia_gold
    return [reader(p) for p in paths]


def _default_annotate(n_process: int) -> Annotate:
    from .. import annotate_texts  # the pipeline; imported only when needed

    def run(items: Iterable[Tuple[str, str]]) -> Iterator[Document]:
        return annotate_texts(items, n_process=n_process)

    return run


def evaluate(
    corpus: Corpus,
    path: Union[str, Path, None] = None,
    *,
    split: str = "all",
    limit: Optional[int] = None,
    annotate: Optional[Annotate] = None,
    n_process: int = 1,
) -> EvalResult:
    """Annotate the documents of a gold corpus and score the constraints.

    `annotate` takes an iterable of ``(doc_id, text)`` and yields one `Document` (or its
    dict) per item; the default is ``criteria_nlp.annotate_texts``. Predictions are paired
    with gold by id; a document that gets no prediction is scored as empty. Raises
    `InputError` when the corpus directory is missing.
    """
    if split not in ("all", "train", "dev"):
        raise InputError(f"split {split!r}", "the split is 'train', 'dev' or 'all'")
    golds = load_gold(corpus, path, split=split, limit=limit)
    run = annotate if annotate is not None else _default_annotate(n_process)
    preds: Dict[str, Document] = {}
    for item in run((g.id, g.text) for g in golds):
        doc = item if isinstance(item, Document) else Document.model_validate(item)
        preds.setdefault(doc.id, doc)
    scorer: Union[LctScorer, ChiaScorer] = LctScorer() if corpus == "lct" else ChiaScorer()
    missing = 0
    for g in golds:
        p = preds.get(g.id)
        if p is None:
            missing += 1
            scorer.errors.append({
                "corpus": corpus, "doc_id": g.id, "error": "no_prediction", "start": None,
                "end": None, "text": None, "line": None, "line_start": None, "gold": None,
                "pred": None, "detail": "annotate yielded no document with this id"})
        scorer.add(g, p)  # type: ignore[arg-type]
    figures = scorer.figures()
    figures["split"] = split
    figures["predicted"]["missing"] = missing
    ordered = {"corpus": figures.pop("corpus"), "n_docs": figures.pop("n_docs"),
               "split": figures.pop("split")}
    ordered.update(figures)
    return EvalResult(figures=ordered, errors=scorer.errors)
