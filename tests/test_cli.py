"""Smoke tests of `python -m criteria_nlp`, driven through typer's CliRunner."""
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from criteria_nlp.cli import app, main

runner = CliRunner()
SEED = Path(__file__).resolve().parents[1] / "corpus" / "seeds" / "NCT07193810.txt"


def test_cli_annotate_txt_jsonl():
    result = runner.invoke(app, ["annotate", str(SEED)])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout.splitlines()[0])
    assert document["id"] == "NCT07193810" and len(document["constraints"]) > 60


def test_cli_annotate_study_json_directory_to_file(seeds_v2, tmp_path):
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["annotate", str(seeds_v2), "--output", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [d["id"] for d in lines] == ["NCT06980805", "NCT07193810"]
    assert lines[0]["structured"]["age"]["lower"] == {"value": 18.0, "inclusive": True}


def test_cli_annotate_stdin_and_table():
    result = runner.invoke(app, ["annotate", "-", "--format", "table"], input="IgA deficiency (serum IgA level \\<10 mg/dL)")
    assert result.exit_code == 0, result.output
    assert "serum IgA level" in result.stdout and "< 10 mg/dL" in result.stdout


def test_cli_annotate_explain_names_the_rules_of_each_constraint():
    """`--explain` adds, per constraint, the word lists and steps that made it; without it
    the contract's fields alone."""
    text = "Serum IgA level <10 mg/dL; no history of stroke within the past 6 months"
    explained = json.loads(runner.invoke(app, ["annotate", "-", "--explain"], input=text).stdout.splitlines()[0])
    plain = json.loads(runner.invoke(app, ["annotate", "-"], input=text).stdout.splitlines()[0])
    iga, stroke = explained["constraints"]
    assert iga["explain"][:3] == ["comparators_before: '<' -> lt", "number: '10' = 10", "unit_forms: 'mg/dL' -> mg/dL"]
    assert "kind: numeric (rule 'measurement unit')" in iga["explain"]
    assert stroke["explain"][0] == "temporal_before: 'within the past' -> le"
    assert "context_rules: 'no' -> negated" in stroke["explain"] and stroke["negated"]
    assert all("explain" not in c for c in plain["constraints"])
    assert [{k: v for k, v in c.items() if k != "explain"} for c in explained["constraints"]] == plain["constraints"]


def test_cli_annotate_bad_jsonl_line_gives_error_line(tmp_path):
    path = tmp_path / "batch.jsonl"
    path.write_text('{"id": "a", "text": "Age ≥ 18 years"}\n{not json\n{"id": "c", "text": "BMI < 30 kg/m2"}\n', encoding="utf-8")
    result = runner.invoke(app, ["annotate", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    documents = json.loads(result.stdout)
    assert [bool(d["errors"]) for d in documents] == [False, True, False]


@pytest.mark.parametrize("args,message", [
    (["annotate", "no/such/file.txt"], "criteria_nlp annotate: [E001] cannot read no/such/file.txt"),
    (["annotate", "x.txt", "--format", "xml"], "criteria_nlp annotate: Invalid value for '--format'"),
    (["annotate"], "criteria_nlp annotate: Missing argument 'inputs'"),
    (["annotate", "x.txt", "--no-such-option"], "criteria_nlp annotate: No such option: --no-such-option"),
    (["annotat"], "criteria_nlp: No such command 'annotat'"),
    (["screen", "--trial", "x.txt", "--patient", "no/such/patient.json"],
     "criteria_nlp screen: [E009] cannot read patient no/such/patient.json"),
    (["screen", "--trial", "x.txt", "--patient", "corpus/patients/sle-01.json", "--as-of", "1 Dec"],
     "criteria_nlp screen: --as-of '1 Dec' is no date"),
])
def test_cli_unusable_arguments_exit_2_with_one_line(args, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(args)
    captured = capsys.readouterr()
    assert exit_.value.code == 2
    assert captured.out == ""
    assert captured.err.startswith(message) and captured.err.count("\n") == 1, captured.err


@pytest.mark.parametrize("flags,recognised", [([], True), (["--rules-only"], False)])
def test_cli_annotate_rules_only_leaves_out_the_recognizer(flags, recognised):
    text = "Evidence of drug abuse, substance abuse, or alcohol addiction."
    result = runner.invoke(app, ["annotate", "-", *flags], input=text)
    assert result.exit_code == 0, result.output
    labels = {(e["text"], e["label"]) for e in json.loads(result.stdout)["entities"]}
    assert (("drug abuse", "Condition") in labels) is recognised


def test_cli_assemble_rules_only_loads_with_spacy(tmp_path):
    import spacy

    result = runner.invoke(app, ["assemble", str(tmp_path / "rules"), "--rules-only"])
    assert result.exit_code == 0, result.output
    assert "ner" not in spacy.load(tmp_path / "rules").pipe_names


def test_cli_annotate_output_through_a_symlink_writes_its_target(tmp_path):
    target = tmp_path / "real.jsonl"
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    result = runner.invoke(app, ["annotate", str(SEED), "--rules-only", "--output", str(link)])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and json.loads(target.read_text(encoding="utf-8"))["id"] == "NCT07193810"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.jsonl", "real.jsonl"]


PATIENTS = Path(__file__).resolve().parents[1] / "corpus" / "patients"


def test_cli_screen_table_and_jsonl(tmp_path):
    """A seed trial and a synthetic patient: a table with every criterion, and JSON that the
    shipped schema validates."""
    import jsonschema

    import criteria_nlp

    trial = SEED.with_name("NCT07177911.txt")
    args = ["screen", "--trial", str(trial), "--patient", str(PATIENTS / "sle-02.fhir.json"),
            "--as-of", "2026-12-01", "--rules-only"]
    table = runner.invoke(app, args)
    assert table.exit_code == 0, table.output
    assert table.stdout.startswith("NCT07177911 | patient sle-02 | as of 2026-12-01 | excluded")
    assert "serum IgA level 0.06 g/L = 6 mg/dL on 2026-11-20 is < 10 mg/dL" in table.stdout
    out = tmp_path / "screening.jsonl"
    result = runner.invoke(app, [*args, "--format", "jsonl", "--output", str(out)])
    assert result.exit_code == 0, result.output
    (screening,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    schema = json.loads((Path(criteria_nlp.__file__).parent / "schema" / "screening.schema.json")
                        .read_text(encoding="utf-8"))
    jsonschema.validate(screening, schema)
    assert screening["overall"] == "excluded"


def test_cli_screening_schema_is_current():
    import criteria_nlp
    from criteria_nlp.screen import Screening

    shipped = Path(criteria_nlp.__file__).parent / "schema" / "screening.schema.json"
    assert json.loads(shipped.read_text(encoding="utf-8")) == Screening.model_json_schema()


def test_settle_for_batch_freezes_and_tunes_glibc_malloc():
    import gc
    import platform

    from criteria_nlp.process import settle_for_batch

    try:
        took = settle_for_batch()
        assert gc.get_freeze_count() > 0
        assert took == (sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc")
    finally:
        gc.unfreeze()
