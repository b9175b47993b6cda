"""Tests of criteria_nlp.evaluate: BRAT reading, gold extraction, scoring, splits."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Iterator, List, Optional, Sequence, Tuple

import pytest

from criteria_nlp.errors import InputError
from criteria_nlp.evaluate import (
    EvalResult,
    evaluate,
    list_docs,
    load_gold,
    split_of,
    write_errors,
)
from criteria_nlp.evaluate.brat import parse_ann, read_brat
from criteria_nlp.evaluate.gold import (
    LctGoldDoc,
    chia_gold,
    is_numeric_text,
    lct_gold,
    parse_number,
    read_lct_gold,
)
from criteria_nlp.evaluate.scoring import (
    ChiaScorer,
    LctScorer,
    line_at,
    match_one_to_one,
    score_chia,
    score_lct,
)
from criteria_nlp.evaluate.splits import split_key
from criteria_nlp.schemas import Bound, Constraint, Document, SpanRef

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
LCT_DIR = CORPORA / "lct"
CHIA_DIR = CORPORA / "chia"
needs_lct = pytest.mark.skipif(
    not (LCT_DIR / "NCT03860012.txt").exists(),
    reason=f"the LCT gold corpus is not at {LCT_DIR} (../shared/corpora is absent)",
)
needs_chia = pytest.mark.skipif(
    not CHIA_DIR.is_dir(),
    reason=f"the Chia gold corpus is not at {CHIA_DIR} (../shared/corpora is absent)",
)


# --------------------------------------------------------------------------- helpers


def find(text: str, needle: str, nth: int = 0) -> Tuple[int, int]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return start, start + len(needle)


def constraint(text: str, needle: str, *, lower: Optional[float] = None,
               upper: Optional[float] = None, unit: Optional[str] = None,
               ucum: Optional[str] = None, subject: Optional[str] = None,
               kind: str = "numeric", nth: int = 0,
               relative_to: Optional[str] = None) -> Constraint:
    s, e = find(text, needle, nth)
    subj = None
    if subject is not None:
        ss, se = find(text, subject)
        subj = SpanRef(start=ss, end=se, text=subject)
    return Constraint(
        kind=kind, start=s, end=e, text=text[s:e], subject=subj,
        lower=None if lower is None else Bound(value=lower, inclusive=True),
        upper=None if upper is None else Bound(value=upper, inclusive=True),
        unit=unit, ucum=ucum, relative_to=relative_to,
    )


def no_ucum(_: str) -> None:
    """A stand-in for `to_ucum` that knows no unit: unit texts are compared."""
    return None


# A small LCT-style document: three thresholds, two units, subjects.
LCT_TEXT = (
    "Inclusion Criteria:\n"
    "  1. ages 18-65 years\n"
    "  2. hemoglobin > 10 g/dL\n"
    "Exclusion Criteria:\n"
    "  1. surgery in the last 6 months\n"
)


def lct_ann(text: str) -> str:
    def t(tid: str, label: str, needle: str) -> str:
        s, e = find(text, needle)
        return f"{tid}\t{label} {s} {e}\t{needle}"

    return "\n".join([
        t("T1", "Age", "ages"),
        t("T2", "Eq-Comparison", "18-65 years"),
        t("T3", "Eq-Value", "18"),
        t("T4", "Eq-Operator", "-"),
        t("T5", "Eq-Value", "65"),
        t("T6", "Eq-Temporal-Unit", "years"),
        t("T7", "Observation", "hemoglobin"),
        t("T8", "Eq-Comparison", "> 10 g/dL"),
        t("T9", "Eq-Operator", ">"),
        t("T10", "Eq-Value", "10"),
        "T11\tEq-Unit {0} {1}\tg".format(find(text, "g/dL")[0], find(text, "g/dL")[0] + 1),
        t("T12", "Procedure", "surgery"),
        t("T13", "Eq-Comparison", "in the last 6 months"),
        t("T14", "Eq-Temporal-Period", "last"),
        "T15\tEq-Value {0} {1}\t6".format(find(text, "6 months")[0], find(text, "6 months")[0] + 1),
        t("T16", "Eq-Temporal-Unit", "months"),
        "T17\tEq-Unit {} {}\tdL".format(*find(text, "dL")),
        "E1\tAge:T1 Numeric-Filter:E2",
        "E2\tEq-Comparison:T2 Operator:T4 Value:T3 Value2:T5 Temporal-Unit:T6",
        "E3\tObservation:T7 Numeric-Filter:E4",
        "E4\tEq-Comparison:T8 Operator:T9 Value:T10 Unit:T11 Per:T17",
        "E5\tProcedure:T12 Temporality:E6",
        "E6\tEq-Comparison:T13 Temporal-Period:T14 Value:T15 Temporal-Unit:T16",
        "A1\tEq-Operator-Value T4 BETWEEN",
        "A2\tEq-Operator-Value T9 GT",
        "A3\tEq-Temporal-Period-Value T14 past",
    ]) + "\n"


def lct_gold_doc(doc_id: str = "DOC1", text: str = LCT_TEXT) -> LctGoldDoc:
    return lct_gold(parse_ann(lct_ann(text), text=text, doc_id=doc_id))


def perfect_lct(text: str = LCT_TEXT, doc_id: str = "DOC1") -> Document:
    return Document(id=doc_id, text=text, constraints=[
        constraint(text, "18-65 years", lower=18, upper=65, unit="years", subject="ages",
                   kind="age"),
        constraint(text, "> 10 g/dL", lower=10, unit="g/dL", subject="hemoglobin"),
        constraint(text, "in the last 6 months", upper=6, unit="months", subject="surgery",
                   kind="temporal"),
    ])


def figures_lct(preds: Sequence[Document], golds: Optional[Sequence[LctGoldDoc]] = None):
    golds = golds if golds is not None else [lct_gold_doc()]
    return score_lct(golds, preds, to_ucum=no_ucum)


# --------------------------------------------------------------------------- BRAT

BRAT_TEXT = "Age >= 18 years\r\nHb 10 to\r\n 12 g/dL; within 6 months\r\n"
BRAT_ANN = (
    "T1\tPerson 0 3\tAge\n"
    "T2\tValue 4 15\t>= 18 years\n"
    "T3\tValue 20 25;28 35\t10 to 12 g/dL\n"
    "T4\tMeasurement 17 19\tHb\n"
    "T5\tTemporal 37 52\twithin 6 months\n"
    "E1\tEq-Comparison:T3 Operator:T6 Value:T2 Value2:T5\n"
    "A1\tEq-Operator-Value T6 BETWEEN\n"
    "A2\tNegated E1\n"
    "R1\tHas_value Arg1:T4 Arg2:T3\t\n"
    "*\tOR T1 T4\n"
    "#1\tAnnotatorNotes T1\ta note\n"
)


def write_brat(tmp_path: Path, name: str, text: str, ann: str) -> Path:
    txt = tmp_path / f"{name}.txt"
    with open(txt, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    with open(tmp_path / f"{name}.ann", "w", encoding="utf-8", newline="") as fh:
        fh.write(ann)
    return txt


def test_evaluate_brat_reads_every_kind_of_line(tmp_path):
    doc = read_brat(write_brat(tmp_path, "doc", BRAT_TEXT, BRAT_ANN))
    assert doc.id == "doc" and doc.text == BRAT_TEXT and doc.malformed == 0
    assert set(doc.entities) == {"T1", "T2", "T3", "T4", "T5"}
    t3 = doc.entities["T3"]
    assert t3.label == "Value" and t3.fragments == ((20, 25), (28, 35))
    # newline="" keeps `\r\n` as two characters, so the offsets hit the text.
    assert [doc.text[s:e] for s, e in t3.fragments] == ["10 to", "12 g/dL"]
    assert doc.text[37:52] == "within 6 months"
    e1 = doc.events["E1"]
    assert e1.type == "Eq-Comparison" and e1.trigger == "T3"
    assert e1.args == (("Operator", "T6"), ("Value", "T2"), ("Value2", "T5"))
    assert e1.args_with_role("Value") == ["T2", "T5"]
    assert [(a.name, a.target, a.value) for a in doc.attributes] == [
        ("Eq-Operator-Value", "T6", "BETWEEN"), ("Negated", "E1", None)]
    assert [(r.type, r.arg1, r.arg2) for r in doc.relations] == [("Has_value", "T4", "T3")]
    assert doc.equivs == [("OR", ("T1", "T4"))]


@pytest.mark.parametrize("bad_line", [
    "T9\tValue 5 x\tbroken offsets",
    "T9\tValue 9 5\tend before start",
    "T9 Value 1 2 no tabs",
    "E9\tEq-Comparison",
    "E9\tEq-Comparison:T1 Value",
    "R9\tHas_value Arg1:T1",
    "*\tOR",
    "X1\tsomething unknown",
    "garbage",
])
def test_evaluate_brat_skips_and_counts_malformed_lines(bad_line):
    doc = parse_ann(BRAT_ANN + bad_line + "\n", text=BRAT_TEXT, doc_id="d")
    assert doc.malformed == 1
    assert doc.malformed_lines[0][1] == bad_line
    assert len(doc.entities) == 5 and len(doc.events) == 1 and len(doc.relations) == 1


def test_evaluate_brat_missing_ann_is_an_empty_document(tmp_path):
    txt = tmp_path / "lonely.txt"
    txt.write_text("no annotation", encoding="utf-8")
    doc = read_brat(txt)
    assert doc.text == "no annotation" and not doc.entities and doc.malformed == 0


# --------------------------------------------------------------------------- gold


@pytest.mark.parametrize("text,expected", [
    ("18", 18.0), ("1,000", 1000.0), ("100,000", 100000.0), ("1.5", 1.5), ("18,5", 18.5),
    ("-2", -2.0), ("+1.5", 1.5), ("six", 6.0), ("Twelve", 12.0), ("twenty-five", 25.0),
    ("one hundred", 100.0), ("1:80", 80.0), ("10^9", 10.0), ("20/40", 20.0), ("7th", 7.0),
    ("½", 0.5), ("half", 0.5), ("III", None), ("moderate", None), ("January 2019", None),
    ("22:00", None), ("S3", None), ("", None),
])
def test_evaluate_parse_number(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("text,numeric", [
    ("<9 g/dL", True), ("at least eighteen years", True), ("Adequate", False),
    ("below the reference interval", False), ("twice", True),
])
def test_evaluate_chia_numeric_flag(text, numeric):
    assert is_numeric_text(text) is numeric


@needs_lct
@pytest.mark.corpora
@pytest.mark.parametrize("span,direction,atoms,unit,subject", [
    ("2-21 years", "BETWEEN", {("lower", 2.0), ("upper", 21.0)}, "years", "ages"),
    ("> 21", "GT", {("lower", 21.0)}, None, "age"),
    ("less than 2", "LT", {("upper", 2.0)}, None, "age"),
])
def test_evaluate_lct_gold_on_real_file(span, direction, atoms, unit, subject):
    gold = read_lct_gold(LCT_DIR / "NCT03860012.txt")
    assert len(gold.thresholds) == 3
    (t,) = [t for t in gold.thresholds if t.text == span]
    assert gold.text[t.start:t.end] == span
    assert t.direction == direction
    assert set(t.atoms) == atoms
    assert t.unit == unit
    assert [s.text for s in t.subjects] == [subject]


@pytest.mark.parametrize("anns,direction,atoms", [
    # No operator but a Temporal-Period: an upper bound on elapsed time.
    (["Temporal-Period:T3"], "LTEQ", {("upper", 6.0)}),
    # No operator at all: equality.
    ([], "EQ", {("lower", 6.0), ("upper", 6.0)}),
])
def test_evaluate_lct_gold_without_operator(anns, direction, atoms):
    text = "in the last 6 months"
    ann = (
        "T1\tEq-Comparison 0 20\tin the last 6 months\n"
        "T2\tEq-Value 12 13\t6\n"
        "T3\tEq-Temporal-Period 7 11\tlast\n"
        "T4\tEq-Temporal-Unit 14 20\tmonths\n"
        f"E1\tEq-Comparison:T1 Value:T2 Temporal-Unit:T4 {' '.join(anns)}\n"
    )
    (t,) = lct_gold(parse_ann(ann, text=text, doc_id="d")).thresholds
    assert t.direction == direction and set(t.atoms) == atoms and t.unit == "months"


def test_evaluate_lct_gold_reverse_range_takes_min_and_max():
    text = "4 to <17 years"
    ann = (
        "T1\tEq-Comparison 0 14\t4 to <17 years\n"
        "T2\tEq-Value 6 8\t17\n"
        "T3\tEq-Value 0 1\t4\n"
        "T4\tEq-Operator 2 4\tto\n"
        "T5\tEq-Operator 5 6\t<\n"
        "E1\tEq-Comparison:T1 Operator:T5 Value:T2 Value2:T3 Operator2:T4\n"
        "A1\tEq-Operator-Value T4 BETWEEN\n"
        "A2\tEq-Operator-Value T5 LT\n"
    )
    (t,) = lct_gold(parse_ann(ann, text=text, doc_id="d")).thresholds
    assert t.direction == "BETWEEN" and set(t.atoms) == {("lower", 4.0), ("upper", 17.0)}


def test_evaluate_lct_gold_unparseable_value_keeps_threshold():
    text = "stage III"
    ann = ("T1\tEq-Comparison 0 9\tstage III\nT2\tEq-Value 6 9\tIII\nT3\tEq-Unit 0 5\tstage\n"
           "E1\tEq-Comparison:T1 Value:T2 Unit:T3\n")
    (t,) = lct_gold(parse_ann(ann, text=text, doc_id="d")).thresholds
    assert t.values == [None] and t.atoms == frozenset() and t.unit is None


def test_evaluate_lct_gold_unit_joins_per():
    gold = lct_gold_doc()
    units = {t.text: t.unit for t in gold.thresholds}
    assert units == {"18-65 years": "years", "> 10 g/dL": "g/dL",
                     "in the last 6 months": "months"}


def test_evaluate_chia_gold_values_subjects_or_groups(tmp_path):
    doc = read_brat(write_brat(tmp_path, "NCT1_inc", BRAT_TEXT, BRAT_ANN))
    gold = chia_gold(doc)
    (v,) = gold.values
    assert v.id == "T3" and v.fragments == ((20, 25), (28, 35)) and v.numeric
    # T4 is the relation's Arg1; T1 is in its OR group, so both are gold subjects.
    assert sorted(s.text for s in v.subjects) == ["Age", "Hb"]
    assert gold.temporals == [((37, 52),)]
    assert gold.other_values == [((4, 15),)]  # T2: a Value in no Has_value relation


# --------------------------------------------------------------------------- LCT scoring


def test_evaluate_lct_perfect_predictions_score_one():
    figures, errors = figures_lct([perfect_lct()])
    for key in ("detection", "atoms", "atoms_with_unit"):
        assert (figures[key]["p"], figures[key]["r"], figures[key]["f1"]) == (1.0, 1.0, 1.0), key
    assert figures["detection"]["tp"] == 3
    assert figures["atoms"]["tp"] == 4
    assert figures["subject"] == {"n": 3, "correct": 3, "accuracy": 1.0}
    assert errors == []


@pytest.mark.parametrize("drop,lost_atoms", [(0, 2), (1, 1), (2, 1)])
def test_evaluate_lct_missing_prediction_lowers_recall(drop, lost_atoms):
    doc = perfect_lct()
    doc.constraints.pop(drop)
    figures, errors = figures_lct([doc])
    det = figures["detection"]
    assert (det["tp"], det["fp"], det["fn"]) == (2, 0, 1)
    assert det["p"] == 1.0 and det["r"] == round(2 / 3, 4)
    atoms = figures["atoms"]
    assert (atoms["tp"], atoms["fp"], atoms["fn"]) == (4 - lost_atoms, 0, lost_atoms)
    assert atoms["p"] == 1.0 and atoms["r"] == round((4 - lost_atoms) / 4, 4)
    (miss,) = errors
    assert miss["error"] == "missed" and miss["pred"] is None
    assert miss["line"] in LCT_TEXT.splitlines()
    assert LCT_TEXT[miss["start"]:miss["end"]] == miss["text"]


def test_evaluate_lct_wrong_value_lowers_atom_precision():
    doc = perfect_lct()
    c = doc.constraints[0]
    doc.constraints[0] = c.model_copy(update={"upper": Bound(value=64, inclusive=True)})
    figures, errors = figures_lct([doc])
    assert figures["detection"]["f1"] == 1.0
    atoms = figures["atoms"]
    assert (atoms["tp"], atoms["fp"], atoms["fn"]) == (3, 1, 1)
    assert atoms["p"] == 0.75 and atoms["r"] == 0.75
    (err,) = errors
    assert err["error"] == "wrong_value"
    assert err["expected"] == {"lower": [18.0], "upper": [65.0]}
    assert err["predicted"] == {"lower": 18.0, "upper": 64.0}
    assert err["line"] == "  1. ages 18-65 years"


def test_evaluate_lct_side_matters():
    doc = perfect_lct()
    c = doc.constraints[1]  # > 10 g/dL read as an upper bound
    doc.constraints[1] = c.model_copy(
        update={"lower": None, "upper": Bound(value=10, inclusive=False)})
    figures, _ = figures_lct([doc])
    assert (figures["atoms"]["tp"], figures["atoms"]["fp"], figures["atoms"]["fn"]) == (3, 1, 1)


@pytest.mark.parametrize("unit,ucum,agrees", [
    ("g/dL", None, True),
    ("G / DL", None, True),
    ("mg/dL", None, False),
    (None, None, False),
    (None, "g/dL", True),
])
def test_evaluate_lct_unit_agreement_by_text(unit, ucum, agrees):
    doc = perfect_lct()
    c = doc.constraints[1]
    doc.constraints[1] = c.model_copy(update={"unit": unit, "ucum": ucum})
    figures, errors = figures_lct([doc])
    assert figures["atoms"]["f1"] == 1.0
    assert (figures["atoms_with_unit"]["tp"] == 4) is agrees
    assert (figures["atoms_with_unit"]["fn"] == 1) is not agrees
    assert any(e["error"] == "wrong_unit" for e in errors) is not agrees


def test_evaluate_lct_unit_agreement_by_ucum_code():
    codes = {"years": "a", "months": "mo", "g/dL": "g/dL"}
    doc = perfect_lct()
    doc.constraints[0] = doc.constraints[0].model_copy(update={"unit": "yrs", "ucum": "a"})
    figures, _ = score_lct([lct_gold_doc()], [doc], to_ucum=codes.get)
    assert figures["atoms_with_unit"]["f1"] == 1.0
    doc.constraints[0] = doc.constraints[0].model_copy(update={"unit": "mo", "ucum": "mo"})
    figures, _ = score_lct([lct_gold_doc()], [doc], to_ucum=codes.get)
    assert figures["atoms_with_unit"]["tp"] == 2


def test_evaluate_lct_gold_without_unit_accepts_any_unit():
    text = "age > 21"
    ann = ("T1\tEq-Comparison 4 8\t> 21\nT2\tEq-Operator 4 5\t>\nT3\tEq-Value 6 8\t21\n"
           "E1\tEq-Comparison:T1 Operator:T2 Value:T3\nA1\tEq-Operator-Value T2 GT\n")
    gold = lct_gold(parse_ann(ann, text=text, doc_id="d"))
    pred = Document(id="d", text=text, constraints=[
        constraint(text, "> 21", lower=21, unit="years", ucum="a", kind="age")])
    figures, _ = score_lct([gold], [pred], to_ucum=no_ucum)
    assert figures["atoms_with_unit"]["f1"] == 1.0


def test_evaluate_lct_wrong_subject_counts_against_subject_accuracy():
    doc = perfect_lct()
    c = doc.constraints[1]
    s, e = find(LCT_TEXT, "g/dL")
    doc.constraints[1] = c.model_copy(update={"subject": SpanRef(start=s, end=e, text="g/dL")})
    doc.constraints[2] = doc.constraints[2].model_copy(update={"subject": None})
    figures, errors = figures_lct([doc])
    assert figures["subject"] == {"n": 3, "correct": 1, "accuracy": round(1 / 3, 4)}
    assert sorted(e["error"] for e in errors) == ["wrong_subject", "wrong_subject"]


def test_evaluate_lct_false_positive_and_its_atoms():
    doc = perfect_lct()
    doc.constraints.append(constraint(LCT_TEXT, "1.", lower=1, upper=1, nth=0))
    figures, errors = figures_lct([doc])
    assert figures["detection"]["fp"] == 1 and figures["detection"]["p"] == 0.75
    assert figures["atoms"]["fp"] == 2
    (fp,) = errors
    assert fp["error"] == "false_positive" and fp["gold"] is None
    assert fp["line"] == "  1. ages 18-65 years"


def test_evaluate_lct_unparseable_gold_ignores_predicted_atoms():
    text = "stage III"
    ann = ("T1\tEq-Comparison 0 9\tstage III\nT2\tEq-Value 6 9\tIII\n"
           "E1\tEq-Comparison:T1 Value:T2\n")
    gold = lct_gold(parse_ann(ann, text=text, doc_id="d"))
    pred = Document(id="d", text=text, constraints=[constraint(text, "III", lower=3, upper=3)])
    figures, errors = score_lct([gold], [pred], to_ucum=no_ucum)
    assert figures["detection"]["f1"] == 1.0
    assert figures["atoms"]["tp"] + figures["atoms"]["fp"] + figures["atoms"]["fn"] == 0
    assert figures["atoms_ignored"] == 2 and errors == []


@pytest.mark.parametrize("n_preds", [1, 2, 3])
def test_evaluate_list_span_is_matched_one_to_one(n_preds):
    text = "vaccinated at 3, 6 and 12 months"
    ann = (
        "T1\tEq-Comparison 14 32\t3, 6 and 12 months\n"
        "T2\tEq-Value 14 15\t3\nT3\tEq-Value 17 18\t6\nT4\tEq-Value 23 25\t12\n"
        "T5\tEq-Temporal-Unit 26 32\tmonths\n"
        "E1\tEq-Comparison:T1 Value:T2 Value2:T3 Value3:T4 Temporal-Unit:T5\n"
    )
    gold = lct_gold(parse_ann(ann, text=text, doc_id="d"))
    assert len(gold.thresholds) == 1 and len(gold.thresholds[0].atoms) == 6
    preds = [constraint(text, "3", lower=3, upper=3, unit="months"),
             constraint(text, "6 and", lower=6, upper=6, unit="months"),
             constraint(text, "12 months", lower=12, upper=12, unit="months")][:n_preds]
    figures, errors = score_lct([gold], [Document(id="d", text=text, constraints=preds)],
                                to_ucum=no_ucum)
    det = figures["detection"]
    assert (det["tp"], det["fp"], det["fn"]) == (1, n_preds - 1, 0)
    # The matched prediction is the one that overlaps most: `12 months` when present.
    atoms = figures["atoms"]
    assert (atoms["tp"], atoms["fp"], atoms["fn"]) == (2, 2 * (n_preds - 1), 4)
    assert sum(e["error"] == "false_positive" for e in errors) == n_preds - 1


@pytest.mark.parametrize("preds,golds,expected", [
    ([(0, 5), (3, 8)], [((0, 5),)], {0: 0}),
    ([(3, 8), (0, 5)], [((0, 5),)], {1: 0}),
    ([(0, 10)], [((0, 4),), ((6, 10),)], {0: 0}),
    ([(0, 4), (5, 12)], [((0, 6),), ((6, 12),)], {0: 0, 1: 1}),
    ([(2, 3)], [((0, 1), (2, 4))], {0: 0}),
    ([(1, 2)], [((0, 1), (2, 4))], {}),
])
def test_evaluate_match_one_to_one(preds, golds, expected):
    assert match_one_to_one(preds, golds) == expected


def test_evaluate_line_at_handles_crlf():
    text = "first\r\nsecond line\r\nthird"
    assert line_at(text, 9, 12) == ("second line", 7)
    assert line_at(text, 0, 2) == ("first", 0)
    assert line_at(text, 22, 25) == ("third", 20)


# --------------------------------------------------------------------------- Chia scoring

CHIA_TEXT = "Hemoglobin <9 g/dL\r\nrenal function adequate\r\nsurgery within 6 months\r\n"


def chia_doc(extra: str = ""):
    def t(tid, label, needle):
        s, e = find(CHIA_TEXT, needle)
        return f"{tid}\t{label} {s} {e}\t{needle}\n"

    ann = (t("T1", "Measurement", "Hemoglobin") + t("T2", "Value", "<9 g/dL")
           + t("T3", "Measurement", "renal function") + t("T4", "Value", "adequate")
           + t("T5", "Procedure", "surgery") + t("T6", "Temporal", "within 6 months")
           + "R1\tHas_value Arg1:T1 Arg2:T2\t\nR2\tHas_value Arg1:T3 Arg2:T4\t\n"
           + "R3\tHas_temporal Arg1:T5 Arg2:T6\t\n" + extra)
    return chia_gold(parse_ann(ann, text=CHIA_TEXT, doc_id="NCT1_exc"))


def chia_pred(*constraints: Constraint) -> Document:
    return Document(id="NCT1_exc", text=CHIA_TEXT, constraints=list(constraints))


def test_evaluate_chia_perfect_predictions_score_one():
    pred = chia_pred(
        constraint(CHIA_TEXT, "<9 g/dL", upper=9, unit="g/dL", subject="Hemoglobin"),
        constraint(CHIA_TEXT, "adequate", subject="renal function"),
    )
    figures, errors = score_chia([chia_doc()], [pred])
    assert figures["detection"]["f1"] == 1.0 and figures["detection_numeric"]["f1"] == 1.0
    assert figures["subject"]["accuracy"] == 1.0 and errors == []
    assert figures["gold"]["values"] == 2 and figures["gold"]["numeric"] == 1


@pytest.mark.parametrize("needle,ignored,fp", [
    ("within 6 months", 1, 0),   # on a Temporal and on no Value: ignored
    ("6 months", 1, 0),
    ("surgery", 0, 1),          # on nothing gold: a false positive
])
def test_evaluate_chia_temporal_predictions_are_ignored(needle, ignored, fp):
    pred = chia_pred(
        constraint(CHIA_TEXT, "<9 g/dL", upper=9),
        constraint(CHIA_TEXT, "adequate"),
        constraint(CHIA_TEXT, needle, upper=6, kind="temporal"),
    )
    figures, errors = score_chia([chia_doc()], [pred])
    assert figures["ignored"]["temporal"] == ignored
    assert figures["detection"]["fp"] == fp
    assert figures["detection"]["tp"] == 2
    assert sum(e["error"] == "false_positive" for e in errors) == fp


def test_evaluate_chia_numeric_only_ignores_non_numeric_matches():
    pred = chia_pred(constraint(CHIA_TEXT, "adequate"))
    figures, _ = score_chia([chia_doc()], [pred])
    full, num = figures["detection"], figures["detection_numeric"]
    assert (full["tp"], full["fp"], full["fn"]) == (1, 0, 1)
    assert (num["tp"], num["fp"], num["fn"]) == (0, 0, 1)


@pytest.mark.parametrize("extra,correct", [("*\tOR T1 T5\n", 1), ("", 0)])
def test_evaluate_chia_or_group_members_are_correct_subjects(extra, correct):
    # `surgery` (T5) is a correct subject of `<9 g/dL` only through the OR group with T1.
    gold = chia_doc(extra)
    pred = chia_pred(constraint(CHIA_TEXT, "<9 g/dL", upper=9, subject="surgery"))
    figures, errors = score_chia([gold], [pred])
    assert figures["subject"]["n"] == 1 and figures["subject"]["correct"] == correct
    expected_errors = [] if correct else ["wrong_subject"]
    assert [e["error"] for e in errors if e["error"] != "missed"] == expected_errors


def test_evaluate_chia_extra_prediction_on_taken_value_is_false_positive():
    pred = chia_pred(constraint(CHIA_TEXT, "<9 g/dL", upper=9), constraint(CHIA_TEXT, "g/dL"))
    figures, _ = score_chia([chia_doc()], [pred])
    assert (figures["detection"]["tp"], figures["detection"]["fp"]) == (1, 1)


def test_evaluate_scorers_accumulate_documents():
    lct = LctScorer(no_ucum)
    lct.add(lct_gold_doc("A"), perfect_lct(doc_id="A"))
    lct.add(lct_gold_doc("B"), None)  # no prediction: every gold item is missed
    f = lct.figures()
    assert f["n_docs"] == 2 and f["detection"]["tp"] == 3 and f["detection"]["fn"] == 3
    chia = ChiaScorer()
    chia.add(chia_doc(), chia_pred().model_dump())  # a dict (a JSONL line) is accepted
    assert chia.figures()["detection"]["fn"] == 2


# --------------------------------------------------------------------------- splits


@pytest.mark.parametrize("doc_id", ["NCT03860012", "NCT00050349", "NCT01352598", "x"])
def test_evaluate_split_is_deterministic(doc_id):
    assert split_of(doc_id) == split_of(doc_id) in ("train", "dev")
    assert split_of(f"{doc_id}_inc") == split_of(f"{doc_id}_exc") == split_of(doc_id)
    assert split_key(f"{doc_id}_inc") == doc_id


def test_evaluate_split_takes_about_a_fifth():
    ids = [f"NCT{i:08d}" for i in range(2000)]
    share = sum(split_of(i) == "dev" for i in ids) / len(ids)
    assert 0.15 < share < 0.25


@needs_chia
@pytest.mark.corpora
def test_evaluate_split_keeps_chia_trials_together():
    dev = list_docs(CHIA_DIR, "dev")
    train = list_docs(CHIA_DIR, "train")
    assert dev and train
    assert len(dev) + len(train) == len(list_docs(CHIA_DIR, "all"))
    dev_trials = {split_key(p.stem) for p in dev}
    assert not dev_trials & {split_key(p.stem) for p in train}
    assert all(f"{t}_inc" in {p.stem for p in dev} for t in dev_trials)


def test_evaluate_list_docs_rejects_unknown_split(tmp_path):
    with pytest.raises(InputError):
        list_docs(tmp_path, "test")


# --------------------------------------------------------------------------- evaluate()


def oracle_for(golds: Sequence[LctGoldDoc]):
    """An `annotate` callable that answers with the gold itself."""
    by_id = {g.id: g for g in golds}

    def annotate(items: Iterable[Tuple[str, str]]) -> Iterator[Document]:
        for doc_id, text in items:
            gold = by_id[doc_id]
            constraints = []
            for t in gold.thresholds:
                lows = [v for side, v in t.atoms if side == "lower"]
                ups = [v for side, v in t.atoms if side == "upper"]
                subj = None
                if t.subjects:
                    s = t.subjects[0]
                    subj = SpanRef(start=s.start, end=s.end, text=text[s.start:s.end])
                constraints.append(Constraint(
                    kind="numeric", start=t.start, end=t.end, text=text[t.start:t.end],
                    subject=subj,
                    lower=Bound(value=lows[0], inclusive=True) if lows else None,
                    upper=Bound(value=ups[0], inclusive=True) if ups else None,
                    unit=t.unit, relative_to="ULN" if t.reference else None,
                ))
            yield Document(id=doc_id, text=text, constraints=constraints)

    return annotate


def representable(gold: LctGoldDoc) -> bool:
    """Every threshold fits one constraint: at most one lower and one upper atom."""
    return all(sum(side == "lower" for side, _ in t.atoms) <= 1
               and sum(side == "upper" for side, _ in t.atoms) <= 1 for t in gold.thresholds)


@needs_lct
@pytest.mark.corpora
def test_evaluate_oracle_on_real_lct_documents_scores_one(tmp_path):
    golds = [g for g in load_gold("lct", LCT_DIR) if representable(g) and g.thresholds][:20]
    assert len(golds) == 20
    corpus = tmp_path / "lct"
    corpus.mkdir()
    for g in golds:  # the 20 documents only, linked, not copied
        for ext in (".txt", ".ann"):
            (corpus / f"{g.id}{ext}").symlink_to(LCT_DIR / f"{g.id}{ext}")
    result = evaluate("lct", corpus, annotate=oracle_for(golds))
    f = result.figures
    assert f["n_docs"] == 20 and f["corpus"] == "lct" and f["split"] == "all"
    assert f["detection"]["f1"] == 1.0
    assert f["atoms"]["f1"] == 1.0
    assert f["atoms_with_unit"]["f1"] == 1.0
    assert f["subject"]["accuracy"] == 1.0
    assert f["detection"]["tp"] == sum(len(g.thresholds) for g in golds)
    assert result.errors == []
    json.dumps(f)  # ready for JSON


@needs_chia
@pytest.mark.corpora
def test_evaluate_chia_gold_oracle_on_real_documents():
    golds = load_gold("chia", CHIA_DIR, split="dev", limit=20)
    preds = [Document(id=g.id, text=g.text, constraints=[
        Constraint(kind="numeric", start=v.start, end=v.end, text=g.text[v.start:v.end],
                   subject=SpanRef(start=v.subjects[0].start, end=v.subjects[0].end,
                                   text=g.text[v.subjects[0].start:v.subjects[0].end]))
        for v in g.values]) for g in golds]
    figures, errors = score_chia(golds, preds)
    assert figures["detection"]["f1"] == 1.0 and figures["subject"]["accuracy"] == 1.0
    assert errors == []


def small_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "lct"
    corpus.mkdir()
    for name in ("DOC1", "DOC2"):
        write_brat(corpus, name, LCT_TEXT, lct_ann(LCT_TEXT))
    return corpus


def test_evaluate_runs_annotate_and_is_silent(tmp_path, capsys):
    corpus = small_corpus(tmp_path)
    seen: List[str] = []

    def annotate(items):
        for doc_id, text in items:
            seen.append(doc_id)
            doc = perfect_lct(text, doc_id)
            if doc_id == "DOC2":
                doc.constraints.pop()
            yield doc

    result = evaluate("lct", corpus, annotate=annotate)
    assert seen == ["DOC1", "DOC2"]
    assert capsys.readouterr() == ("", "")
    assert isinstance(result, EvalResult)
    assert result.figures["detection"]["fn"] == 1 and result.figures["n_docs"] == 2
    table = result.format_table()
    assert "detection" in table and "atoms + unit" in table and "subject accuracy" in table
    out = write_errors(result, tmp_path / "errors.jsonl")
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["error"] for x in lines] == ["missed"]
    assert json.loads(lines[0])["doc_id"] == "DOC2"


def test_evaluate_limit_and_missing_predictions(tmp_path):
    corpus = small_corpus(tmp_path)
    result = evaluate("lct", tmp_path, limit=1, annotate=lambda items: iter(()))
    assert result.figures["n_docs"] == 1
    assert result.figures["predicted"]["missing"] == 1
    assert result.figures["detection"]["fn"] == 3
    assert {e["error"] for e in result.errors} == {"no_prediction", "missed"}
    assert corpus.is_dir()


@pytest.mark.parametrize("kwargs", [
    {"corpus": "lct", "path": "/nonexistent/corpora/lct"},
    {"corpus": "other", "path": None},
    {"corpus": "lct", "path": None, "split": "test"},
])
def test_evaluate_bad_arguments_raise_input_error(kwargs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    corpus = kwargs.pop("corpus")
    path = kwargs.pop("path")
    with pytest.raises(InputError):
        evaluate(corpus, path, annotate=lambda items: iter(()), **kwargs)


def test_evaluate_default_path_missing_raises(tmp_path, monkeypatch):
    import criteria_nlp.evaluate as ev

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(ev, "__file__", str(tmp_path / "a" / "b" / "c" / "__init__.py"))
    with pytest.raises(InputError):
        ev.default_corpus_path("lct")


def test_evaluate_lct_paired_value_is_one_prediction_with_both_atoms():
    """`≥ 140/90 mmHg` is two constraints (systolic, diastolic) on one span in the output and
    one threshold with two values in LCT: scored as one prediction carrying both atoms."""
    text = "Inclusion Criteria:\n  1. blood pressure ≥ 140/90 mmHg\n"

    def t(tid, label, needle):
        s, e = find(text, needle)
        return f"{tid}\t{label} {s} {e}\t{needle}"

    ann = "\n".join([
        t("T1", "Observation", "blood pressure"), t("T2", "Eq-Comparison", "≥ 140/90 mmHg"),
        t("T3", "Eq-Operator", "≥"), t("T4", "Eq-Value", "140"), t("T5", "Eq-Value", "90"),
        t("T6", "Eq-Unit", "mmHg"),
        "E1\tObservation:T1 Numeric-Filter:E2",
        "E2\tEq-Comparison:T2 Operator:T3 Value:T4 Value2:T5 Unit:T6",
        "A1\tEq-Operator-Value T3 GTEQ",
    ]) + "\n"
    gold = lct_gold(parse_ann(ann, text=text, doc_id="BP"))
    systolic = constraint(text, "≥ 140/90 mmHg", lower=140, unit="mmHg", ucum="mm[Hg]",
                          subject="blood pressure").model_copy(update={"component": "systolic"})
    diastolic = systolic.model_copy(update={"lower": Bound(value=90, inclusive=True),
                                            "component": "diastolic"})
    figures, errors = figures_lct([Document(id="BP", text=text, constraints=[systolic, diastolic])],
                                  [gold])
    assert sorted(gold.thresholds[0].atoms) == [("lower", 90.0), ("lower", 140.0)]
    assert (figures["detection"]["tp"], figures["detection"]["fp"]) == (1, 0)
    assert (figures["atoms"]["tp"], figures["atoms"]["fp"], figures["atoms"]["fn"]) == (2, 0, 0)
    assert errors == []
