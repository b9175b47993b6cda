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
