"""The pipelines shipped in models/ load offline: the rules-only one agrees with
`criteria_nlp.load(entities=False)`, the trained recognizer ships inside the package.
(The default pipeline saved with `nlp.to_disk` is checked in test_pipeline.py.)"""
from importlib.resources import files
from pathlib import Path

import pytest
import spacy
import srsly

import criteria_nlp

MODELS = Path(__file__).resolve().parents[1] / "models"
SEEDS = Path(__file__).resolve().parents[1] / "corpus" / "seeds"


@pytest.fixture(scope="module")
def rules_nlp():
    return criteria_nlp.load(entities=False)


def _same_output(shipped, built):
    for seed in sorted(SEEDS.glob("*.txt")):
        text = seed.read_text(encoding="utf-8")
        assert criteria_nlp.annotate(text, nlp=shipped) == criteria_nlp.annotate(text, nlp=built), seed.name


def test_models_rules_pipeline_matches_rules_only_load(rules_nlp):
    shipped = spacy.load(MODELS / "criteria_rules")
    assert shipped.pipe_names == rules_nlp.pipe_names
    _same_output(shipped, rules_nlp)


@pytest.mark.parametrize("component", ["criteria_segmenter", "criteria_quantities", "criteria_linker", "criteria_context"])
def test_models_components_carry_their_rules(component):
    assert any((MODELS / "criteria_rules" / component).iterdir())


def test_models_saved_pipeline_carries_normalization_and_unit_tables(rules_nlp, tmp_path):
    """`nlp.to_disk` writes the normalization table with the tokenizer and the unit forms
    with the quantity component; a pipeline loaded from there reads with its own copies."""
    rules_nlp.to_disk(tmp_path)
    assert (MODELS / "criteria_rules" / "tokenizer" / "normalization.json").exists()
    assert (MODELS / "criteria_rules" / "criteria_quantities" / "unit_forms.tsv").exists()
    table = srsly.read_json(tmp_path / "tokenizer" / "normalization.json")
    table["compatibility"]["§"] = "≥"  # a sign this copy alone reads as a comparator
    srsly.write_json(tmp_path / "tokenizer" / "normalization.json", table)
    forms = tmp_path / "criteria_quantities" / "unit_forms.tsv"
    forms.write_text(forms.read_text(encoding="utf-8") + "furlongs\tkm\tkm\tlength\ti\n", encoding="utf-8")
    saved = spacy.load(tmp_path)
    for nlp, expected in ((saved, [("§ 9 g/dL", True), ("at least 2 furlongs", "km")]),
                          (rules_nlp, [("9 g/dL", True), ("at least 2", None)])):
        hb, walk = (criteria_nlp.annotate(t, nlp=nlp).constraints[0]
                    for t in ("hemoglobin § 9 g/dL", "walk at least 2 furlongs"))
        assert [(hb.text, hb.lower.inclusive), (walk.text, walk.ucum)] == expected
    again = criteria_nlp.load(entities=False).from_bytes(saved.to_bytes())
    assert criteria_nlp.annotate("hemoglobin § 9 g/dL", nlp=again).constraints[0].text == "§ 9 g/dL"


def test_models_recognizer_ships_inside_the_package():
    recognizer = files("criteria_nlp.models") / "criteria_ner"
    assert (recognizer / "config.cfg").is_file() and (recognizer / "ner" / "model").is_file()
    size = sum(p.stat().st_size for p in (MODELS / "criteria_ner").rglob("*") if p.is_file())
    assert size < 20_000_000
    meta = srsly.read_json(MODELS / "criteria_ner" / "meta.json")
    assert meta["pipeline"] == ["tok2vec", "ner"]
    assert set(meta["labels"]["ner"]) >= {"Condition", "Drug", "Procedure", "Measurement", "Value", "Temporal"}
    conversion = meta["criteria_nlp"]["conversion"]["train"]
    assert conversion["rules"]["kept"] > 20_000 and conversion["rules"]["discontinuous_covered"] > 0
