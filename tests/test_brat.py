"""BRAT standoff export and read-back (`criteria_nlp.io.brat`, `criteria_nlp export`): the
round trip, the Chia gold reader on an export, and reviewers' corrections."""
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import criteria_nlp
from criteria_nlp.cli import app
from criteria_nlp.errors import InputError
from criteria_nlp.evaluate import evaluate, read_chia_gold
from criteria_nlp.io.brat import read_brat, to_brat, write_brat
from criteria_nlp.schemas import Constraint, Document, Entity, SpanRef

runner = CliRunner()
SEEDS = sorted((Path(__file__).resolve().parents[1] / "corpus" / "seeds").glob("*.txt"))
CRLF_TEXT = (
    "Inclusion Criteria:\r\n- Age ≥ 18 years 😀\r\n- Vitamin B12 ≥ 200 µg/L\r\n"
    "- Blood pressure ≥140/90 mmHg\r\nExclusion Criteria:\r\n"
    "- Creatinine > 1.5 mg/dL 🙂 within 6 months\r\n- Serum IgA level <10 mg/dL\r\n"
)


@pytest.fixture(scope="module")
def seeds(nlp):
    return [criteria_nlp.annotate(p.read_text(encoding="utf-8"), id=p.stem, nlp=nlp) for p in SEEDS]


@pytest.fixture(scope="module")
def exported(seeds, tmp_path_factory):
    folder = tmp_path_factory.mktemp("brat")
    assert write_brat(seeds, folder) == 3
    return folder


def constraint_fields(c):
    subject = c.subject and (c.subject.start, c.subject.end, c.subject.text)
    return (c.kind, c.start, c.end, c.text, c.lower, c.upper, c.unit, c.ucum, subject, c.negated)


def without_long_forms(document):
    """Entities and constraints as dicts, `long_form` (not exported) left out."""
    data = document.model_dump(include={"entities", "constraints"})
    for item in [*data["entities"], *data["constraints"]]:
        item.pop("long_form", None)
        for ref in [item.get("subject"), *item.get("subjects", [])]:
            if ref:
                ref.pop("long_form")
    return data


def roundtrip(documents, folder):
    write_brat(documents, folder)
    return list(read_brat(folder))


def test_seed_trials_round_trip(seeds, exported):
    back = list(read_brat(exported))
    assert [d.id for d in back] == [p.stem for p in SEEDS]
    for original, read in zip(seeds, back):
        assert read.text == original.text
        assert [constraint_fields(c) for c in read.constraints] == \
            [constraint_fields(c) for c in original.constraints]
        assert [(e.start, e.end, e.label) for e in read.entities] == \
            [(e.start, e.end, e.label) for e in original.entities]
        # everything else of entities and constraints too, but the abbreviations' long forms
        assert without_long_forms(read) == without_long_forms(original)


def test_export_is_chia_gold_and_scores_the_pipeline_perfectly(seeds, exported):
    """Every constraint and qualitative Value with a subject is a Chia gold Value; temporal
    and duration constraints are `Temporal` spans and constraints without a subject Values
    without `Has_value`, which the Chia scorer ignores rather than counts: F1 is 1.0."""
    golds = [read_chia_gold(exported / f"{d.id}.txt") for d in seeds]
    for gold, document in zip(golds, seeds):
        assert gold.malformed == 0 and gold.text == document.text
        assert all(document.text[v.start:v.end] == v.text for v in gold.values)
    n_values = sum(len(g.values) for g in golds)
    assert n_values > 50
    by_id = {d.id: d for d in seeds}
    figures = evaluate("chia", path=exported, annotate=lambda items: [by_id[i] for i, _ in items]).figures
    assert figures["detection"] == {"tp": n_values, "fp": 0, "fn": 0, "p": 1.0, "r": 1.0, "f1": 1.0}
    assert figures["subject"]["accuracy"] == 1.0
    temporal = sum(c.kind in ("temporal", "duration") for d in seeds for c in d.constraints)
    assert figures["ignored"]["temporal"] == temporal


def test_crlf_and_non_ascii_keep_exact_offsets(nlp, tmp_path):
    document = criteria_nlp.annotate(CRLF_TEXT, id="crlf", nlp=nlp)
    (read,) = roundtrip([document], tmp_path)
    assert (tmp_path / "crlf.txt").read_bytes() == CRLF_TEXT.encode("utf-8")
    assert read.text == CRLF_TEXT
    assert without_long_forms(read) == without_long_forms(document)
    assert {c.text: c.ucum for c in read.constraints}["≥ 200 µg/L"] == "ug/L"
    for span in [*read.constraints, *read.entities]:
        assert CRLF_TEXT[span.start:span.end] == span.text
    gold = read_chia_gold(tmp_path / "crlf.txt")
    assert {v.text for v in gold.values} >= {"≥ 200 µg/L", "> 1.5 mg/dL", "<10 mg/dL"}


def test_constraints_on_one_span_share_a_t_line(tmp_path):
    """`BP ≥140/90 mmHg`: two constraints, one Value T, a list of two notes."""
    text = "Blood pressure ≥140/90 mmHg"
    bp = SpanRef(start=0, end=14, text="Blood pressure", label="Measurement")
    halves = [Constraint(kind="numeric", start=15, end=27, text=text[15:], subject=bp, subjects=[bp],
                         lower={"value": value, "inclusive": True}, unit="mmHg", component=half)
              for value, half in ((140, "systolic"), (90, "diastolic"))]
    document = Document(id="bp", text=text, constraints=halves)
    _, ann = to_brat(document)
    assert re.findall(r"^T\d+\tValue .*$", ann, re.M) == ["T2\tValue 15 27\t≥140/90 mmHg"]
    note = json.loads(re.search(r"AnnotatorNotes T2\t(.*)", ann).group(1))
    assert [n["component"] for n in note] == ["systolic", "diastolic"]
    (read,) = roundtrip([document], tmp_path)
    assert read.constraints == halves and read.entities == []


def test_span_across_a_line_end_is_fragments(tmp_path):
    text = "Body\r\nweight ≥ 50 kg 😀"
    # a Measurement carries its concept, as the pipeline gives it and the reader finds it again
    entity = Entity(start=0, end=12, text=text[:12], label="Measurement", negated=True, concept="LOINC:29463-7")
    document = Document(id="frag", text=text, entities=[entity])
    _, ann = to_brat(document)
    assert ann.splitlines()[:2] == ["T1\tMeasurement 0 4;6 12\tBody weight", "A1\tNegated T1"]
    (read,) = roundtrip([document], tmp_path)
    assert read.entities == [entity]
    assert read_chia_gold(tmp_path / "frag.txt").malformed == 0


def test_corrected_span_and_bound_are_read_back(nlp, tmp_path):
    document = criteria_nlp.annotate("Serum IgA level <10 mg/dL", id="iga", nlp=nlp)
    (constraint,) = document.constraints
    write_brat([document], tmp_path)
    ann_path = tmp_path / "iga.ann"
    ann = ann_path.read_text(encoding="utf-8")
    start, end = constraint.start, constraint.end
    # the reviewer shortens the span to `<10` and changes the bound to 12
    ann = ann.replace(f"Value {start} {end}\t<10 mg/dL", f"Value {start} {start + 3}\t<10")
    ann = ann.replace('"upper":{"value":10.0,', '"upper":{"value":12,')
    ann += "T99\tQualifier 0 5\tSerum\n#99\tAnnotatorNotes T99\tadded by the reviewer\n"
    ann_path.write_text(ann, encoding="utf-8")
    (read,) = read_brat(tmp_path)
    (corrected,) = read.constraints
    assert (corrected.start, corrected.end, corrected.text) == (start, start + 3, "<10")
    assert corrected.upper.value == 12.0 and not corrected.upper.inclusive
    assert corrected.unit == "mg/dL" and corrected.subject.text == "Serum IgA level"
    assert (0, 5, "Qualifier") in {(e.start, e.end, e.label) for e in read.entities}


@pytest.mark.parametrize("line,message", [
    ("T50\tValue 0 5\tSerux", "T50 says 'Serux' but the text at 0 5 is 'Serum'"),
    ("T50\tValue 0 500\tSerum", "outside the text"),
    ("T50 Value 0 5 Serum", "not a BRAT text-bound line"),
    ("R50\tHas_value Arg1:T77 Arg2:T1", "T77 is no T annotation of this file"),
    ("#50\tAnnotatorNotes T1\t{\"kind\": ", "the note is not valid JSON"),
    ("#50\tAnnotatorNotes T1\t{\"kind\":\"speed\"}", "the note of T1: kind"),
    ("X50\tsomething", "not a BRAT annotation line"),
])
def test_malformed_line_names_file_and_line(nlp, tmp_path, line, message):
    write_brat([criteria_nlp.annotate("Serum IgA level <10 mg/dL", id="iga", nlp=nlp)], tmp_path)
    ann_path = tmp_path / "iga.ann"
    lines = ann_path.read_text(encoding="utf-8").splitlines()
    ann_path.write_text("\n".join(lines + [line]) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        list(read_brat(tmp_path))
    assert f"iga.ann:{len(lines) + 1}: " in str(error.value) and message in str(error.value)


def test_ids_become_distinct_safe_file_names(tmp_path):
    documents = [Document(id=i, text="x") for i in ("NCT1/inc", "nct1 inc", "../up")]
    assert write_brat(documents, tmp_path) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "NCT1_inc.ann", "NCT1_inc.txt", "_up.ann", "_up.txt", "annotation.conf",
        "nct1_inc_2.ann", "nct1_inc_2.txt"]
    conf = (tmp_path / "annotation.conf").read_text(encoding="utf-8")
    assert "[entities]\nCondition\n" in conf and "Has_value\tArg1:<ENTITY>, Arg2:<ENTITY>" in conf


def test_cli_export_writes_brat_pairs(tmp_path):
    out = tmp_path / "brat"
    result = runner.invoke(app, ["export", *map(str, SEEDS[:2]), "--format", "brat", "--output", str(out), "--rules-only"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{p.stem}{suffix}" for p in SEEDS[:2] for suffix in (".ann", ".txt")] + ["annotation.conf"])
    assert [d.id for d in read_brat(out)] == [p.stem for p in SEEDS[:2]]


def test_cli_export_without_output_exits_2():
    result = runner.invoke(app, ["export", str(SEEDS[0])])
    assert result.exit_code == 2
