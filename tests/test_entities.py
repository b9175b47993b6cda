"""Entities in the output: the trained recognizer on real criteria, ConText flags on each
entity, subjects taken from entities (with coordinated members), abbreviation long forms."""
from pathlib import Path

import pytest

import criteria_nlp

SEEDS = Path(__file__).resolve().parents[1] / "corpus" / "seeds"


def _entities(document):
    return {(e.text, e.label): e for e in document.entities}


@pytest.mark.parametrize(
    "criterion,expected",
    [
        ("Severe lupus nephritis within 8 weeks prior to screening",
         [("lupus nephritis", "Condition"), ("within 8 weeks prior to screening", "Temporal")]),
        ("IgA deficiency (serum IgA level \\<10 mg/dL).",
         [("serum IgA level", "Measurement"), ("\\<10 mg/dL", "Value")]),
        ("Active severe infection requiring antibiotic treatment within 14 days prior to screening.",
         [("infection", "Condition"), ("antibiotic treatment", "Procedure"),
          ("within 14 days prior to screening", "Temporal")]),
        ("Have documented diagnosis of SCLE or CCLE that has been confirmed by biopsy with or without systemic LE manifestations.",
         [("SCLE", "Condition"), ("biopsy", "Procedure")]),
        ("Evidence of drug abuse, substance abuse, or alcohol addiction.",
         [("drug abuse", "Condition"), ("substance abuse", "Condition"), ("alcohol addiction", "Condition")]),
        ("Aged 18-65 years (inclusive, based on the date of signing the informed consent form), regardless of gender.",
         [("Aged", "Person"), ("18-65 years", "Value")]),
        ("mRSS ≥15 and ≤30 at screening with progression within 6 months;",
         [("mRSS", "Measurement"), ("within 6 months", "Temporal")]),
    ],
)
def test_entities_recognizer_on_seed_criteria(nlp, criterion, expected):
    assert criterion in "".join(p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt"))
    document = criteria_nlp.annotate(criterion, nlp=nlp)
    found = _entities(document)
    for key in expected:
        assert key in found, (key, sorted(found))
    for entity in document.entities:
        assert criterion[entity.start:entity.end] == entity.text


@pytest.mark.parametrize(
    "criterion,entity,flag",
    [
        ("No history of drug allergy", ("drug allergy", "Condition"), "negated"),
        ("History of major organ transplantation (e.g., heart, lung, kidney, liver) or hematopoietic stem cell/bone marrow transplantation.",
         ("hematopoietic stem cell/bone marrow transplantation", "Procedure"), "historical"),
        ("If receiving oral glucocorticoids (e.g., prednisone), the dose must be ≤40 mg/day at screening",
         ("prednisone", "Drug"), "hypothetical"),
    ],
)
def test_entities_carry_context_flags(nlp, criterion, entity, flag):
    found = _entities(criteria_nlp.annotate(criterion, nlp=nlp))
    assert getattr(found[entity], flag) is True


@pytest.mark.parametrize(
    "criterion,threshold,subject,members",
    [
        ("No history of MI or stroke within the past 6 months",
         "within the past 6 months", "stroke", ["MI", "stroke"]),
        ("Prior to the first dose, subjects must have received glucocorticoids and/or immunosuppressants for ≥12 weeks",
         "≥12 weeks", "glucocorticoids and/or immunosuppressants", ["glucocorticoids", "immunosuppressants"]),
        ("IgA deficiency (serum IgA level \\<10 mg/dL).", "\\<10 mg/dL", "serum IgA level", ["serum IgA level"]),
    ],
)
def test_entities_subjects_keep_coordinated_members(nlp, criterion, threshold, subject, members):
    document = criteria_nlp.annotate(criterion, nlp=nlp)
    constraint = next(c for c in document.constraints if c.text == threshold)
    assert constraint.subject.text == subject
    assert [m.text for m in constraint.subjects] == members
    assert all(criterion[m.start:m.end] == m.text for m in constraint.subjects)


def test_entities_abbreviation_gets_its_long_form(nlp):
    text = (SEEDS / "NCT07193810.txt").read_text(encoding="utf-8")
    document = criteria_nlp.annotate(text, nlp=nlp)
    short = [e for e in document.entities if e.text == "ANA"]
    assert short and all(e.long_form == "antinuclear antibody" for e in short)
    defined = next(e for e in document.entities if e.text.startswith("antinuclear antibody"))
    assert defined.long_form is None  # the long form is written there


@pytest.mark.parametrize(
    "criterion,value,subject",
    [
        ("Positive for hepatitis B, hepatitis C or HIV infection", "Positive", "hepatitis B"),
        ("Negative serum pregnancy test; HIV+ patients", "Negative", "serum pregnancy test"),
    ],
)
def test_entities_qualitative_value_has_subject(nlp, criterion, value, subject):
    document = criteria_nlp.annotate(criterion, nlp=nlp)
    entity = next(e for e in document.entities if e.label == "Value" and e.text == value)
    assert entity.subject is not None and entity.subject.text == subject
