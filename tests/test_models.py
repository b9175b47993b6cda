"""Every pipeline shipped in models/ loads offline and agrees with `criteria_nlp.load()`."""
from pathlib import Path

import pytest
import spacy

import criteria_nlp

MODELS = Path(__file__).resolve().parents[1] / "models"
SEEDS = Path(__file__).resolve().parents[1] / "corpus" / "seeds"


@pytest.mark.parametrize("model", sorted(p.name for p in MODELS.iterdir() if (p / "config.cfg").exists()))
def test_models_shipped_pipeline_matches_default(nlp, model):
    shipped = spacy.load(MODELS / model)
    assert shipped.pipe_names == nlp.pipe_names
    for seed in sorted(SEEDS.glob("*.txt")):
        text = seed.read_text(encoding="utf-8")
        assert criteria_nlp.annotate(text, nlp=shipped) == criteria_nlp.annotate(text, nlp=nlp), seed.name


@pytest.mark.parametrize("component", ["criteria_segmenter", "criteria_quantities", "criteria_linker", "criteria_context"])
def test_models_components_carry_their_rules(component):
    assert any((MODELS / "criteria_rules" / component).iterdir())
