"""Clinical measurement concepts: the curated LOINC table and the subject-phrase matcher."""
from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from criteria_nlp.concepts import Concept, ConceptTable, find_concept, get_concepts
from criteria_nlp.units import convert, get_registry, load_unit_forms

TABLE = get_concepts()  # a broken row fails collection
FORM_BY_UCUM = {}
for _row in load_unit_forms():
    FORM_BY_UCUM.setdefault(_row.ucum, _row)

# UCUM codes unit_forms.tsv has no surface form for (DLCO's mL/min/mm[Hg]).
NOT_IN_UNIT_FORMS = {"mL/min/mm[Hg]"}
ANNOTATION_RE = re.compile(r"\{[^{}]*\}")


def _code(phrase: str):
    concept = find_concept(phrase)
    return concept.code if concept is not None else None


# ------------------------------------------------------------------ data file


def test_concepts_table_version_and_rows():
    assert TABLE.version == "2026.12"
    assert 50 <= len(TABLE) <= 80
    codes = [c.code for c in TABLE]
    assert len(set(codes)) == len(codes)
    assert all(isinstance(c, Concept) and c.names for c in TABLE)


def test_concepts_table_is_built_once():
    assert get_concepts() is TABLE


def test_concepts_known_rows():
    by_code = {c.code: c for c in TABLE}
    hb = by_code["LOINC:718-7"]
    assert (hb.unit, hb.analyte) == ("g/dL", "hemoglobin")
    assert {"haemoglobin", "hgb", "hemoglobine"} <= set(hb.names)
    assert by_code["LOINC:751-8"].unit == "10*9/L"
    assert by_code["LOINC:2164-2"].analyte is None
    assert by_code["LOINC:3084-1"].analyte == "uric_acid"
    assert by_code["LOINC:98979-8"].unit == "mL/min/{1.73_m2}"


@pytest.mark.parametrize("concept", TABLE.concepts, ids=lambda c: c.code)
def test_concepts_every_name_finds_its_concept(concept):
    for name in concept.names:
        assert TABLE.find(name) == concept, name


def _molar_mass(analyte: str) -> float:
    return get_registry().Quantity(1, f"molar_mass_{analyte}").to("g/mol").magnitude


@pytest.mark.parametrize("concept", [c for c in TABLE if c.analyte], ids=lambda c: c.code)
def test_concepts_analyte_has_a_molar_mass(concept):
    assert _molar_mass(concept.analyte) > 0
    # an analyte only where it serves: a mass or substance concentration
    assert FORM_BY_UCUM[concept.unit].dimension in ("mass_concentration", "substance_concentration")


@pytest.mark.parametrize(
    "concept",
    [c for c in TABLE if c.analyte and FORM_BY_UCUM[c.unit].dimension == "mass_concentration"],
    ids=lambda c: c.code,
)
def test_concepts_mass_concentration_converts_to_molar(concept):
    value = convert(1.0, "mg/dL", "umol/L", analyte=concept.analyte)
    assert math.isfinite(value) and value == pytest.approx(1e4 / _molar_mass(concept.analyte))
    assert convert(1.0, FORM_BY_UCUM[concept.unit].form, "mmol/L", analyte=concept.analyte) > 0


@pytest.mark.parametrize(
    "concept",
    [c for c in TABLE if c.analyte and FORM_BY_UCUM[c.unit].dimension == "substance_concentration"],
    ids=lambda c: c.code,
)
def test_concepts_substance_concentration_converts_to_mass(concept):
    value = convert(1.0, "mmol/L", "mg/dL", analyte=concept.analyte)
    assert value == pytest.approx(_molar_mass(concept.analyte) / 10)


@pytest.mark.parametrize(
    "code, from_unit, to_unit, expected",
    [
        ("LOINC:2160-0", "mg/dL", "umol/L", 88.4),  # creatinine
        ("LOINC:2345-7", "mmol/L", "mg/dL", 18.0),  # glucose
        ("LOINC:718-7", "g/dL", "mmol/L", 0.6206),  # hemoglobin, per heme
        ("LOINC:1975-2", "mg/dL", "umol/L", 17.1),  # bilirubin
    ],
)
def test_concepts_clinical_conversion_factors(code, from_unit, to_unit, expected):
    analyte = next(c.analyte for c in TABLE if c.code == code)
    assert convert(1.0, from_unit, to_unit, analyte=analyte) == pytest.approx(expected, rel=2e-3)


def _checked_units():
    units = {c.unit for c in TABLE}
    return sorted(u for u in units if not ANNOTATION_RE.fullmatch(u) and u not in NOT_IN_UNIT_FORMS)


def test_concepts_units_are_ucum_codes_of_unit_forms():
    unknown = {c.unit for c in TABLE if c.unit not in FORM_BY_UCUM}
    annotations = {u for u in unknown if ANNOTATION_RE.fullmatch(u)}
    assert annotations == {"{score}", "{INR}"}
    assert unknown - annotations == NOT_IN_UNIT_FORMS


@pytest.mark.parametrize("unit", _checked_units())
def test_concepts_unit_is_readable(unit):
    form = FORM_BY_UCUM[unit].form
    assert convert(1.0, form, form) == 1.0


@pytest.mark.parametrize("unit", _checked_units())
def test_concepts_ucum_code_reads_as_its_surface_form(unit):
    assert convert(1.0, unit, FORM_BY_UCUM[unit].form) == pytest.approx(1.0)


# -------------------------------------------------------------------- matching

PHRASES = [
    ("serum IgA level", "LOINC:2458-8"),
    ("antinuclear antibody (ANA)", "LOINC:5048-4"),
    ("ANA titer", "LOINC:5048-4"),
    ("Hemoglobin", "LOINC:718-7"),
    ("Hgb", "LOINC:718-7"),
    ("haemoglobin", "LOINC:718-7"),
    ("Hb level", "LOINC:718-7"),
    ("ANC", "LOINC:751-8"),
    ("absolute neutrophil count (ANC)", "LOINC:751-8"),
    ("Neutrophil count", "LOINC:751-8"),
    ("platelet count", "LOINC:777-3"),
    ("PLT", "LOINC:777-3"),
    ("thrombocytes", "LOINC:777-3"),
    ("white blood cell count", "LOINC:6690-2"),
    ("Leukocytes", "LOINC:6690-2"),
    ("SGPT", "LOINC:1742-6"),
    ("alanine transaminase (ALT)", "LOINC:1742-6"),
    ("serum creatinine", "LOINC:2160-0"),
    ("creatinin", "LOINC:2160-0"),
    ("S-creatinine", "LOINC:2160-0"),
    ("Creatinine clearance", "LOINC:2164-2"),
    ("CrCl", "LOINC:2164-2"),
    ("calculated creatinine clearance (Cockcroft-Gault)", "LOINC:2164-2"),
    ("eGFR", "LOINC:98979-8"),
    ("estimated glomerular filtration rate (eGFR)", "LOINC:98979-8"),
    ("total bilirubin", "LOINC:1975-2"),
    ("Total serum bilirubin", "LOINC:1975-2"),
    ("bilirubin, direct", "LOINC:1968-7"),
    ("HbA1c", "LOINC:4548-4"),
    ("glycated hemoglobin (HbA1c) level", "LOINC:4548-4"),
    ("Body mass index (BMI)", "LOINC:39156-5"),
    ("LVEF", "LOINC:10230-1"),
    ("LV ejection fraction (LVEF)", "LOINC:10230-1"),
    ("QTcF interval", "LOINC:8636-3"),
    ("QTc (Fridericia)", "LOINC:8636-3"),
    ("Systolic blood pressure", "LOINC:8480-6"),
    ("sitting systolic BP", "LOINC:8480-6"),
    ("serum K+", "LOINC:2823-3"),
    ("ECOG performance status", "LOINC:89247-1"),
    ("Cooperative Oncology Group (ECOG) performance status", "LOINC:89247-1"),
    ("Karnofsky score", "LOINC:89243-0"),
    ("NT-proBNP levels", "LOINC:33762-6"),
    ("CD4 cell counts", "LOINC:24467-3"),
    ("plasma HIV-1 RNA", "LOINC:20447-9"),
    ("spot urine protein/creatinine ratio", "LOINC:2890-2"),
    ("fasting plasma glucose", "LOINC:1558-6"),
    ("LDL-C", "LOINC:13457-7"),
    ("25-OH vitamin D", "LOINC:1989-3"),
    ("Hemoglobin/Hgb", "LOINC:718-7"),
]


@pytest.mark.parametrize("phrase, code", PHRASES)
def test_concepts_find_criteria_phrases(phrase, code):
    assert _code(phrase) == code


@pytest.mark.parametrize(
    "phrase",
    [
        "age", "major surgery", "prednisone", "stroke", "IgA deficiency", "urine glucose",
        "free testosterone", "indirect bilirubin", "platelet transfusion", "birth weight",
        "weight loss", "end diastolic diameter", "troponin", "blood pressure",
        "performance status", "CA-125", "K/cumm", "HBV viral load", "", "   ", "()", "/",
    ],
)
def test_concepts_no_measurement_finds_none(phrase):
    assert find_concept(phrase) is None


@pytest.mark.parametrize(
    "phrase",
    [
        "AST/ALT", "ALT and AST", "PT/INR", "Hb/Hct", "serum creatinine or creatinine clearance",
        "(ALT)/aspartate transaminase (AST) elevations", "neutrophil to lymphocyte ratio",
    ],
)
def test_concepts_two_concepts_find_none(phrase):
    assert find_concept(phrase) is None


def test_concepts_longest_name_wins():
    assert _code("creatinine") == "LOINC:2160-0"
    assert _code("creatinine clearance") == "LOINC:2164-2"
    assert _code("serum creatinine clearance") == "LOINC:2164-2"
    assert _code("bilirubin") == "LOINC:1975-2"
    assert _code("direct bilirubin") == "LOINC:1968-7"
    assert _code("hemoglobin A1c") == "LOINC:4548-4"
    assert _code("creatinine kinase") == "LOINC:2157-6"
    assert _code("QT interval") == "LOINC:8634-8"


def test_concepts_count_and_total_dropped_only_when_needed():
    assert _code("eosinophil count") == "LOINC:711-2"
    assert _code("total white blood cell count") == "LOINC:6690-2"
    assert _code("total cholesterol") == "LOINC:2093-3"
    assert _code("total protein") == "LOINC:2885-2"


def test_concepts_case_accents_and_input_kinds():
    assert _code("HÉMOGLOBINE") == "LOINC:718-7"
    assert _code("ＨｂＡ１ｃ") == "LOINC:4548-4"  # full-width
    assert TABLE.find(None) is None  # type: ignore[arg-type]
    assert TABLE.find(42) is None  # type: ignore[arg-type]
    long_phrase = "hemoglobin " + "measured at the screening visit " * 20
    assert len(long_phrase) > 256 and _code(long_phrase) == "LOINC:718-7"


# ------------------------------------------------------------------ validation

HEAD = "# a test table\n# version: 1\n"
ROW_HB = "LOINC:718-7\tHemoglobin\tg/dL\themoglobin\themoglobin|hgb"
ROW_PLT = "LOINC:777-3\tPlatelets\t10*9/L\t-\tplatelets|plt"


def _table(*rows: str) -> str:
    return HEAD + "".join(row + "\n" for row in rows)


def test_concepts_custom_table():
    table = ConceptTable(_table(ROW_HB, "", "# a comment", ROW_PLT))
    assert table.version == "1" and len(table) == 2
    assert table.find("Hgb").code == "LOINC:718-7"
    assert table.find("serum hemoglobin level").analyte == "hemoglobin"
    assert table.find("platelet count").analyte is None
    assert table.find("creatinine") is None


@pytest.mark.parametrize(
    "row, reason",
    [
        ("LOINC:718\tHemoglobin\tg/dL\themoglobin\thb", "'LOINC:718' is not LOINC"),
        ("718-7\tHemoglobin\tg/dL\themoglobin\thb", "'718-7' is not LOINC"),
        ("LOINC:7a8-7\tHemoglobin\tg/dL\themoglobin\thb", "is not LOINC"),
        ("\tHemoglobin\tg/dL\themoglobin\thb", "empty code"),
        ("LOINC:718-7\tHemoglobin\tg/dL\themoglobin", "expected 5 TAB-separated columns.*got 4"),
        ("LOINC:718-7\tHemoglobin\tg/dL\themoglobin\thb\textra", "got 6"),
        ("LOINC:718-7\tHemoglobin\tg/dL\talbumin\thb", "analyte 'albumin'"),
        ("LOINC:718-7\tHemoglobin\tg/dL\t\thb", "analyte ''"),
        ("LOINC:718-7\tHemoglobin\tg/dL\themoglobin\t|", "no names"),
        ("LOINC:718-7\tHemoglobin\tg/dL\themoglobin\t-|hb", "no letter or digit"),
        ("LOINC:777-3\tPlatelets again\t10*9/L\t-\tthrombocytes", "code LOINC:777-3 already on line 3"),
    ],
)
def test_concepts_bad_row_names_its_line(row, reason):
    with pytest.raises(ValueError, match=reason) as err:
        ConceptTable(_table(ROW_PLT, row))
    assert err.value.line == 4
    assert "concepts.tsv:4" in str(err.value)


@pytest.mark.parametrize(
    "names, read",
    [
        ("hematocrit|HGB", "hgb"),  # the same name
        ("hematocrit|hgbs", "hgb"),  # the same after the plural
        ("hematocrit|blood hgb", "hgb"),  # the same without qualifiers
    ],
)
def test_concepts_duplicate_name_names_both_lines(names, read):
    with pytest.raises(ValueError, match=rf"\(read '{read}'\) already names LOINC:718-7 on line 3") as err:
        ConceptTable(_table(ROW_HB, f"LOINC:4544-3\tHematocrit\t%\t-\t{names}"))
    assert err.value.line == 4


def test_concepts_missing_version_or_rows():
    with pytest.raises(ValueError, match="version"):
        ConceptTable("# no version\n" + ROW_HB + "\n")
    with pytest.raises(ValueError, match="no concepts"):
        ConceptTable(HEAD)


# ------------------------------------------------------------------ robustness

_PIECES = [n for c in TABLE.concepts[:20] for n in c.names[:3]] + [
    "serum", "level", "count", "total", "urine", "(", ")", "[", "]", "/", ",", " and ", " or ",
    "≥", "1.5", "x ULN", "mg/dL", "-", "é", " ",
]


@given(st.text(max_size=300))
def test_concepts_find_never_raises_on_any_text(text):
    result = TABLE.find(text)
    assert result is None or isinstance(result, Concept)


@given(st.lists(st.sampled_from(_PIECES), max_size=12).map(" ".join))
def test_concepts_find_never_raises_on_name_soup(text):
    result = TABLE.find(text)
    assert result is None or result in TABLE.concepts
