"""Tests of criteria_nlp.evaluate.entities: Chia gold entities, strict/lenient scoring."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Iterator, List, Tuple

import pytest
from typer.testing import CliRunner

from criteria_nlp.cli import app
from criteria_nlp.errors import InputError
from criteria_nlp.evaluate import write_errors
from criteria_nlp.evaluate.brat import parse_ann, read_brat
from criteria_nlp.evaluate.entities import (
    EntityResult,
    evaluate_entities,
    gold_entities,
    score_entities,
)
from criteria_nlp.schemas import Document, Entity
from criteria_nlp.training.chia import CHIA_LABELS

TEXT = "Hepatic or renal failure and severe sepsis"
#       0      7  11   16      24  28     35 42

# --------------------------------------------------------------------------- gold_entities


@pytest.mark.parametrize("ann, expected", [
    # discontinuous -> covering extent
    ("T1\tCondition 0 7;17 24\tHepatic failure", [(0, 24, "Condition")]),
    # nested pair: both kept
    ("T1\tCondition 29 42\tsevere sepsis\nT2\tQualifier 29 35\tsevere",
     [(29, 35, "Qualifier"), (29, 42, "Condition")]),
    # not an entity type
    ("T1\tParsing_Error 0 24\tHepatic or renal failure", []),
    # duplicate (start, end, label) once; same span with another label kept
    ("T1\tCondition 11 24\trenal failure\nT2\tCondition 11 24\trenal failure\n"
     "T3\tObservation 11 24\trenal failure", [(11, 24, "Condition"), (11, 24, "Observation")]),
    # a discontinuous span whose covering extent duplicates a continuous one
    ("T1\tCondition 0 7;17 24\tHepatic failure\nT2\tCondition 0 24\tHepatic or renal failure",
     [(0, 24, "Condition")]),
    # all together, with relations/events that are not entities
    ("T1\tCondition 0 7;17 24\tHepatic failure\nT2\tCondition 11 24\trenal failure\n"
     "T3\tCondition 11 24\trenal failure\nT4\tParsing_Error 0 42\tx\n"
     "T5\tQualifier 29 35\tsevere\nT6\tCondition 29 42\tsevere sepsis\n"
     "R1\tHas_qualifier Arg1:T6 Arg2:T5\n*\tOR T1 T2",
     [(0, 24, "Condition"), (11, 24, "Condition"), (29, 35, "Qualifier"),
      (29, 42, "Condition")]),
])
def test_gold_entities(ann, expected):
    doc = parse_ann(ann, text=TEXT, doc_id="d")
    assert gold_entities(doc) == expected


# --------------------------------------------------------------------------- score_entities

C, D, N, V = "Condition", "Drug", "Negation", "Value"


@pytest.mark.parametrize("pairs, mode, key, expected", [
    # boundary error: strict 1 of 2, lenient 2 of 2
    ([([(0, 10, C), (20, 25, D)], [(0, 10, C), (19, 25, D)])], "strict", "micro_core",
     dict(p=0.5, r=0.5, f1=0.5, tp=1, n_gold=2, n_pred=2)),
    ([([(0, 10, C), (20, 25, D)], [(0, 10, C), (19, 25, D)])], "lenient", "micro_core",
     dict(p=1.0, r=1.0, f1=1.0, tp=2, n_gold=2, n_pred=2)),
    # whitespace is not stripped: "fever " against "fever"
    ([([(0, 6, C)], [(0, 5, C)])], "strict", C, dict(p=0.0, r=0.0, f1=0.0, tp=0, n_gold=1, n_pred=1)),
    ([([(0, 6, C)], [(0, 5, C)])], "lenient", C, dict(p=1.0, r=1.0, f1=1.0, tp=1, n_gold=1, n_pred=1)),
    # one-to-one: two predictions overlapping one gold -> one lenient TP
    ([([(0, 10, C)], [(0, 5, C), (3, 10, C)])], "strict", C,
     dict(p=0.0, r=0.0, f1=0.0, tp=0, n_gold=1, n_pred=2)),
    ([([(0, 10, C)], [(0, 5, C), (3, 10, C)])], "lenient", C,
     dict(p=0.5, r=1.0, f1=0.6667, tp=1, n_gold=1, n_pred=2)),
    # label mismatch: same span, no match in either mode
    ([([(0, 10, C)], [(0, 10, D)])], "lenient", "micro_core",
     dict(p=0.0, r=0.0, f1=0.0, tp=0, n_gold=1, n_pred=1)),
    ([([(0, 10, C)], [(0, 10, D)])], "strict", C, dict(p=0.0, r=0.0, f1=0.0, tp=0, n_gold=1, n_pred=0)),
    ([([(0, 10, C)], [(0, 10, D)])], "strict", D, dict(p=0.0, r=0.0, f1=0.0, tp=0, n_gold=0, n_pred=1)),
    # non-core label counts in micro_all only; unknown labels are ignored
    ([([(0, 5, N), (6, 10, C)], [(0, 5, N), (6, 10, C), (6, 10, "Foo"), (11, 12, N)])],
     "strict", "micro_core", dict(p=1.0, r=1.0, f1=1.0, tp=1, n_gold=1, n_pred=1)),
    ([([(0, 5, N), (6, 10, C)], [(0, 5, N), (6, 10, C), (6, 10, "Foo"), (11, 12, N)])],
     "strict", "micro_all", dict(p=0.6667, r=1.0, f1=0.8, tp=2, n_gold=2, n_pred=3)),
    ([([(0, 5, N), (6, 10, C)], [(0, 5, N), (6, 10, C), (6, 10, "Foo"), (11, 12, N)])],
     "strict", N, dict(p=0.5, r=1.0, f1=0.6667, tp=1, n_gold=1, n_pred=2)),
    # duplicate gold counted once, duplicate prediction is a false positive
    ([([(0, 5, D), (0, 5, D)], [(0, 5, D), (0, 5, D)])], "strict", D,
     dict(p=0.5, r=1.0, f1=0.6667, tp=1, n_gold=1, n_pred=2)),
    # nested gold, one flat prediction: the other nested span is a miss in both modes
    ([([(0, 20, C), (5, 10, C)], [(0, 20, C)])], "strict", C,
     dict(p=1.0, r=0.5, f1=0.6667, tp=1, n_gold=2, n_pred=1)),
    ([([(0, 20, C), (5, 10, C)], [(0, 20, C)])], "lenient", C,
     dict(p=1.0, r=0.5, f1=0.6667, tp=1, n_gold=2, n_pred=1)),
    # greedy by largest overlap: (0,9)-(0,10) first, then (8,12)-(8,12)
    ([([(0, 10, V), (8, 12, V)], [(0, 9, V), (8, 12, V)])], "lenient", V,
     dict(p=1.0, r=1.0, f1=1.0, tp=2, n_gold=2, n_pred=2)),
    # documents are scored apart: equal offsets in two documents do not match
    ([([(0, 5, D)], []), ([], [(0, 5, D)])], "lenient", "micro_all",
     dict(p=0.0, r=0.0, f1=0.0, tp=0, n_gold=1, n_pred=1)),
    # no gold and no prediction at all
    ([], "strict", "micro_core", dict(p=1.0, r=1.0, f1=1.0, tp=0, n_gold=0, n_pred=0)),
])
def test_score_entities(pairs, mode, key, expected):
    figures = score_entities(pairs)
    got = figures[mode][key] if key.startswith("micro") else figures[mode]["per_label"][key]
    assert got == pytest.approx(expected, abs=1e-4)


def test_score_entities_shape_and_order_independence():
    gold = [(0, 10, V), (8, 12, V), (20, 30, C)]
    pred = [(21, 30, C), (0, 9, V), (8, 12, V)]
    a = score_entities([(gold, pred)])
    b = score_entities([(gold[::-1], pred[::-1])])
    assert a == b
    assert set(a) == {"strict", "lenient"}
    assert list(a["strict"]["per_label"]) == list(CHIA_LABELS)
    assert set(a["strict"]["micro_all"]) == {"p", "r", "f1", "tp", "n_gold", "n_pred"}


# --------------------------------------------------------------------------- evaluate_entities


def _annotator(make_entities):
    def annotate(items: Iterable[Tuple[str, str]]) -> Iterator[Document]:
        for doc_id, text in items:
            yield Document(id=doc_id, text=text, entities=make_entities(doc_id, text))
    return annotate


def _gold_echo(chia: Path):
    def make(doc_id: str, text: str) -> List[Entity]:
        spans = gold_entities(read_brat(chia / f"{doc_id}.txt"))
        return [Entity(start=s, end=e, text=text[s:e], label=lab) for s, e, lab in spans]
    return make


@pytest.mark.parametrize("mode", ["strict", "lenient"])
def test_evaluate_entities_gold_echo_is_perfect(corpora, mode):
    chia = corpora / "chia"
    result = evaluate_entities(chia, split="dev", limit=3, annotate=_annotator(_gold_echo(chia)))
    f = result.figures
    assert (f["corpus"], f["n_docs"], f["split"]) == ("chia", 3, "dev")
    assert f["gold"]["entities"] > 0
    for key in ("micro_core", "micro_all"):
        m = f[mode][key]
        assert (m["p"], m["r"], m["f1"]) == (1.0, 1.0, 1.0)
        assert m["n_gold"] == m["n_pred"] == m["tp"]
    assert f[mode]["micro_all"]["n_gold"] == f["gold"]["entities"]
    assert result.errors == []


def test_evaluate_entities_no_predictions(corpora):
    chia = corpora / "chia"
    result = evaluate_entities(chia, split="dev", limit=3, annotate=_annotator(lambda i, t: []))
    f = result.figures
    for mode in ("strict", "lenient"):
        for key in ("micro_core", "micro_all"):
            assert (f[mode][key]["r"], f[mode][key]["p"], f[mode][key]["tp"]) == (0.0, 0.0, 0)
    n_gold = f["strict"]["micro_all"]["n_gold"]
    assert n_gold == f["gold"]["entities"] > 0
    assert len(result.errors) == n_gold
    assert {e["error"] for e in result.errors} == {"miss"}


@pytest.fixture()
def tiny_chia(tmp_path: Path) -> Path:
    """Two Chia-style documents with CRLF line ends, a discontinuous and a non-entity span."""
    root = tmp_path / "chia"
    root.mkdir()
    # offsets: Hepatic 0-7, renal 11-16, failure 17-24, \r\n 24-26, No 26-28, HIV 29-32, + 32-33
    (root / "NCT1_inc.txt").write_bytes(b"Hepatic or renal failure\r\nNo HIV+\r\n")
    (root / "NCT1_inc.ann").write_text(
        "T1\tCondition 0 7;17 24\tHepatic failure\nT2\tCondition 11 24\trenal failure\n"
        "T3\tNegation 26 28\tNo\nT4\tCondition 29 32\tHIV\nT5\tValue 32 33\t+\n"
        "T6\tParsing_Error 0 24\tHepatic or renal failure\n", encoding="utf-8")
    (root / "NCT1_exc.txt").write_text("Pregnant\n", encoding="utf-8")
    (root / "NCT1_exc.ann").write_text("T1\tCondition 0 8\tPregnant\n", encoding="utf-8")
    return root


def _tiny_annotate(items: Iterable[Tuple[str, str]]) -> Iterator[Document]:
    for doc_id, text in items:
        if doc_id != "NCT1_inc":
            continue  # no prediction for NCT1_exc
        spans = [(0, 24, C), (29, 33, C), (32, 33, V), (11, 16, D), (0, 2, "Foo")]
        yield Document(id=doc_id, text=text, entities=[
            Entity(start=s, end=e, text=text[s:e], label=lab) for s, e, lab in spans])


@pytest.mark.parametrize("mode, key, expected", [
    ("strict", "micro_core", dict(p=0.5, r=0.4, f1=0.4444, tp=2, n_gold=5, n_pred=4)),
    ("strict", "micro_all", dict(p=0.5, r=0.3333, f1=0.4, tp=2, n_gold=6, n_pred=4)),
    ("lenient", "micro_core", dict(p=0.75, r=0.6, f1=0.6667, tp=3, n_gold=5, n_pred=4)),
    ("lenient", "micro_all", dict(p=0.75, r=0.5, f1=0.6, tp=3, n_gold=6, n_pred=4)),
])
def test_evaluate_entities_tiny_corpus_figures(tiny_chia, mode, key, expected):
    result = evaluate_entities(tiny_chia, split="all", annotate=_tiny_annotate)
    assert result.figures[mode][key] == pytest.approx(expected, abs=1e-4)


def test_evaluate_entities_tiny_corpus_errors_and_outputs(tiny_chia, tmp_path):
    result = evaluate_entities(tiny_chia, split="all", annotate=_tiny_annotate)
    assert isinstance(result, EntityResult)
    f = result.figures
    assert f["gold"] == {"entities": 6, "discontinuous": 1, "duplicates": 0, "other_labels": 1}
    assert f["predicted"] == {"entities": 5, "other_labels": 1, "missing": 1, "text_mismatch": 0}
    got = [(e["doc_id"], e["error"], e["label"], e["start"], e["end"], e["text"], e["lenient"])
           for e in result.errors]
    assert got == [
        ("NCT1_exc", "miss", C, 0, 8, "Pregnant", False),
        ("NCT1_inc", "false_positive", D, 11, 16, "renal", False),
        ("NCT1_inc", "miss", C, 11, 24, "renal failure", False),
        ("NCT1_inc", "miss", N, 26, 28, "No", False),
        ("NCT1_inc", "miss", C, 29, 32, "HIV", True),
        ("NCT1_inc", "false_positive", C, 29, 33, "HIV+", True),
    ]
    table = result.format_table().splitlines()
    assert len([ln for ln in table if ln.split()[0] in CHIA_LABELS]) == 15
    assert any(ln.startswith("micro (core 10)") for ln in table)
    assert any(ln.startswith("micro (all 15)") for ln in table)
    out = write_errors(result, tmp_path / "errors.jsonl")
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(ln) for ln in lines] == result.errors
    json.dumps(result.figures)  # JSON-ready


def test_evaluate_entities_bad_split(tiny_chia):
    with pytest.raises(InputError):
        evaluate_entities(tiny_chia, split="test", annotate=_tiny_annotate)


# --------------------------------------------------------------------------- CLI


@pytest.mark.parametrize("args", [
    ["evaluate", "--corpus", "lct", "--entities"],
    ["evaluate", "--corpus", "lct", "--entities", "--split", "dev"],
])
def test_cli_entities_needs_chia(args):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "--entities" in result.output
