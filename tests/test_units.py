"""Clinical units: surface forms, UCUM codes, matching in criteria text, conversion."""
from __future__ import annotations

import importlib.resources
import itertools
import time

import pint
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from criteria_nlp.errors import UnitParseError
from criteria_nlp.units import (
    DIMENSIONS,
    UnitMatch,
    convert,
    get_registry,
    load_unit_forms,
    match_unit,
    parse_unit,
    to_ucum,
)

FORMS = load_unit_forms()  # a broken row fails collection, so CI

# Dimensions whose forms mix kinds pint cannot convert between (mass vs units, mg/g vs mg/mmol).
MIXED_DIMENSIONS = {"dose_rate", "weight_dose", "weight_dose_rate", "ratio", "activity"}


@pytest.fixture(scope="session")
def ureg() -> pint.UnitRegistry:
    return get_registry()


def _form_id(row) -> str:
    return f"{row.line}:{row.form}"


# ------------------------------------------------------------------- data files


def test_units_data_files_open_with_a_comment():
    pkg = importlib.resources.files("criteria_nlp.units")
    for name in ("unit_forms.tsv", "clinical_units.txt"):
        assert pkg.joinpath(name).read_text(encoding="utf-8").startswith("#"), name


def test_units_every_dimension_is_documented_and_used():
    used = {row.dimension for row in FORMS}
    assert used == set(DIMENSIONS), used ^ set(DIMENSIONS)


@pytest.mark.parametrize("row", FORMS, ids=_form_id)
def test_units_every_form_parses_to_its_ucum(row):
    m = parse_unit(row.form)
    assert m is not None, row.form
    assert (m.start, m.end, m.text) == (0, len(row.form), row.form)
    assert m.ucum == row.ucum
    assert m.dimension == row.dimension
    assert m.is_time == (row.dimension in ("time", "half_lives") and "m" not in row.flags)
    assert to_ucum(row.form) == row.ucum


@pytest.mark.parametrize("row", FORMS, ids=_form_id)
def test_units_every_form_matches_after_a_number(row):
    gap = "" if "a" in row.flags else " "
    text = f"<12{gap}{row.form} in"
    start = 3 + len(gap)
    m = match_unit(text, 3)
    assert m is not None, text
    assert (m.start, m.end, m.text) == (start, start + len(row.form), row.form)
    assert m.ucum == row.ucum


@pytest.mark.parametrize("row", FORMS, ids=_form_id)
def test_units_every_pint_expression_loads(ureg, row):
    parsed = ureg.parse_expression(row.pint)
    assert isinstance(parsed, (pint.Quantity, pint.Unit)), row.pint
    assert convert(3.0, row.form, row.form) == pytest.approx(3.0)


@pytest.mark.parametrize(
    "dimension",
    sorted({r.dimension for r in FORMS} - MIXED_DIMENSIONS),
)
def test_units_forms_of_one_dimension_convert_into_each_other(ureg, dimension):
    exprs = sorted({r.pint for r in FORMS if r.dimension == dimension})
    for a, b in itertools.combinations(exprs, 2):
        qa, qb = ureg.parse_expression(a), ureg.parse_expression(b)
        assert ureg.Quantity(1, getattr(qa, "units", qa)).is_compatible_with(
            ureg.Quantity(1, getattr(qb, "units", qb)), "clinical"
        ), (dimension, a, b)


# ---------------------------------------------------------------- match_unit


@pytest.mark.parametrize(
    "text, pos, unit, ucum",
    [
        ("<10 mg/dL or", 3, "mg/dL", "mg/dL"),
        ("<2.5×10^9/L,", 4, "×10^9/L", "10*9/L"),
        (">6 g/24 h,", 2, "g/24 h", "g/(24.h)"),
        ("221 µmol/L)", 3, "µmol/L", "umol/L"),
        ("≤40 mg/day at", 3, "mg/day", "mg/d"),
        (">1 mg/kg/day or", 2, "mg/kg/day", "mg/kg/d"),
        ("≥60 mL/min/1.73 m^2", 3, "mL/min/1.73 m^2", "mL/min/{1.73_m2}"),
        ("4 weeks prior", 1, "weeks", "wk"),
        ("18 years of age", 2, "years", "a"),
        ("20% strength", 2, "%", "%"),
        ("≥1.5 x 10^9/L", 4, "x 10^9/L", "10*9/L"),
        ("≥100 ×10^3/mm^3 and", 4, "×10^3/mm^3", "10*3/mm3"),
        ("≥ 100 x10^11/L", 5, "x10^11/L", "10*11/L"),
        ("221 μmol/L", 3, "μmol/L", "umol/L"),
        ("221 umol/l", 3, "umol/l", "umol/L"),
        ("5 mcg/mL", 1, "mcg/mL", "ug/mL"),
        ("<10 mg / dL", 3, "mg / dL", "mg/dL"),
        ("<10 mg per dL", 3, "mg per dL", "mg/dL"),
        ("<1.5 milligrams per deciliter", 4, "milligrams per deciliter", "mg/dL"),
        (">100 micromoles per liter", 4, "micromoles per liter", "umol/L"),
        ("≥30 ml/min/1.73m²", 3, "ml/min/1.73m²", "mL/min/{1.73_m2}"),
        (">40 kg/m2.", 3, "kg/m2", "kg/m2"),
        ("≥ 200 cells/mm^3", 5, "cells/mm^3", "{cells}/mm3"),
        ("<50 copies/mL", 3, "copies/mL", "{copies}/mL"),
        ("≤ 10 pack-years", 4, "pack-years", "{pack_years}"),
        ("≥140 mm Hg", 4, "mm Hg", "mm[Hg]"),
        ("QTcF >470 ms", 10, "ms", "ms"),
        ("≥ 38.5 °C", 6, "°C", "Cel"),
        ("within 7 d.", 8, "d", "d"),
        ("aged 65y or", 7, "y", "a"),
        ("an 18 year-old", 5, "year-old", "a"),
        ("18 years old", 2, "years old", "a"),
        ("6 mo.", 1, "mo", "mo"),
        ("14 days", 2, "days", "d"),
        ("24 hrs", 2, "hrs", "h"),
        ("30 Days", 2, "Days", "d"),
        ("4 weeks", 2, "weeks", "wk"),  # pos already on the unit
        ("ANC 1.5 G/L", 7, "G/L", "10*9/L"),
        ("10 mg/kg/dose", 2, "mg/kg", "mg/kg"),
    ],
)
def test_units_match_on_criteria_snippets(text, pos, unit, ucum):
    m = match_unit(text, pos)
    assert m is not None, (text, pos)
    assert m.text == unit
    assert m.ucum == ucum
    assert text[m.start : m.end] == unit
    assert m.end == text.index(unit, pos) + len(unit)


@pytest.mark.parametrize(
    "text, pos",
    [
        ("mgmt", 0),
        ("mon", 0),
        ("dose", 0),
        ("diabetes", 0),
        ("Grade", 0),
        ("Grade 3", 0),
        ("3 dose", 1),
        ("3 doses", 1),
        ("2 Mg", 1),
        ("after d", 5),
        ("65 y", 2),
        ("5 months", 0),
        ("xmg/dL", 1),
        ("2 mgs", 1),
        ("3 minimum", 1),
        ("3 hepatitis", 1),
        ("10  mg", 2),  # skips one space, not two
        ("", 0),
        ("mg", 5),
        ("mg", -1),
    ],
)
def test_units_non_units_return_none(text, pos):
    assert match_unit(text, pos) is None


def test_units_milliseconds_are_a_measurement_not_a_span():
    m = match_unit("QTcF >470 ms", 10)
    assert m is not None and m.dimension == "time" and not m.is_time
    assert match_unit("for 30 seconds", 7).is_time


def test_units_months_is_time_but_mon_is_nothing():
    m = match_unit("6 months", 1)
    assert m is not None and m.is_time and m.ucum == "mo" and m.dimension == "time"
    assert match_unit("6 mon", 1) is None
    assert parse_unit("mon") is None


@pytest.mark.parametrize(
    "unit, ucum",
    [
        ("×10^11/L", "10*11/L"),
        ("10^6/µL", "10*6/uL"),
        ("x 10^3 / mm3", "10*3/mm3"),
        ("10^9 cells/L", "10*9/L"),
        ("mL/min per 1.73 m^2", "mL/min/{1.73_m2}"),
        ("titre", "{titer}"),
        (" mg/dL ", "mg/dL"),
        ("kg/m²", "kg/m2"),
        ("d", "d"),
        ("y", "a"),
        ("mg/dose", None),
        ("bananas", None),
        ("", None),
        ("1:80", None),
    ],
)
def test_units_to_ucum(unit, ucum):
    assert to_ucum(unit) == ucum


def test_units_parse_unit_offsets_skip_blanks():
    m = parse_unit("  mg/dL ")
    assert m == UnitMatch(2, 7, "mg/dL", "mg/dL", "mass_concentration", False)


# ------------------------------------------------------------------ conversion


def test_units_registry_is_shared_and_applied(ureg):
    assert get_registry() is ureg
    assert pint.get_application_registry().get() is ureg
    assert ureg.Quantity(1, "IU").dimensionality != ureg.Quantity(1, "mg").dimensionality


def test_units_convert_creatinine_needs_its_molar_mass(ureg):
    assert convert(2.5, "mg/dL", "µmol/L", analyte="creatinine") == pytest.approx(221, rel=0.01)
    assert convert(221, "µmol/L", "mg/dL", analyte="serum creatinine") == pytest.approx(2.5, rel=0.01)


def test_units_convert_same_kind():
    assert convert(85, "g/L", "g/dL") == 8.5
    assert convert(1.5, "×10^9/L", "/µL") == pytest.approx(1500)
    assert convert(200, "cells/mm3", "10^9/L") == pytest.approx(0.2)
    assert convert(1, "g/24 h", "mg/day") == pytest.approx(1000)
    assert convert(2, "years", "months") == pytest.approx(24)
    assert convert(37, "°C", "°F") == pytest.approx(98.6)
    assert convert(40, "IU/L", "U/L") == pytest.approx(40)
    assert convert(3, "mEq/L", "mmol/L") == pytest.approx(3)


@pytest.mark.parametrize(
    "value, src, dst, analyte, expected",
    [
        (100, "mg/dL", "mmol/L", "fasting plasma glucose", 5.55),
        (1.0, "mg/dL", "µmol/L", "total bilirubin", 17.1),
        (200, "mg/dL", "mmol/L", "cholesterol", 5.17),
        (150, "mg/dL", "mmol/L", "triglycerides", 1.69),
        (6, "mg/dL", "µmol/L", "uric acid", 357),
        (10, "mg/dL", "mmol/L", "calcium", 2.495),
        (4.5, "mEq/L", "mmol/L", "serum calcium", 2.25),
        (20, "mg/dL", "mmol/L", "BUN", 7.14),
        (30, "ng/mL", "nmol/L", "25-hydroxyvitamin D", 74.9),
    ],
)
def test_units_convert_with_analyte(value, src, dst, analyte, expected):
    assert convert(value, src, dst, analyte=analyte) == pytest.approx(expected, rel=0.01)


@pytest.mark.parametrize(
    "src, dst, analyte",
    [
        ("bananas", "mg/dL", None),
        ("mg/dL", "furlongs of joy", None),
        ("mg/dL", "mmol/L", None),  # needs an analyte
        ("mg/dL", "mmol/L", "unobtainium"),
        ("mg/dL", "years", "creatinine"),
        ("5", "mg", None),
        ("", "mg", None),
    ],
)
def test_units_convert_unknown_or_incompatible_raises(src, dst, analyte):
    with pytest.raises(UnitParseError):
        convert(1.0, src, dst, analyte=analyte)


def test_units_unknown_unit_has_no_ucum():
    assert to_ucum("bananas") is None
    assert parse_unit("bananas") is None


# ------------------------------------------------------------------ robustness


@settings(max_examples=400, deadline=None)
@given(
    text=st.text(
        alphabet=st.one_of(
            st.sampled_from(list("mgdLlµμu/^0123456789 .,×xX*%°hyK-")),
            st.characters(),
        ),
        max_size=40,
    ),
    pos=st.integers(min_value=-3, max_value=45),
)
def test_units_match_unit_never_raises(text, pos):
    m = match_unit(text, pos)
    if m is not None:
        assert 0 <= pos <= m.start <= pos + 1
        assert m.start < m.end <= len(text)
        assert text[m.start : m.end] == m.text
    parse_unit(text)
    to_ucum(text)


def test_units_match_unit_is_fast():
    samples = [("<10 mg/dL or", 3), ("<2.5×10^9/L,", 4), ("Grade 3 dose", 7), ("18 years of age", 2)]
    match_unit("warm up", 0)
    t0 = time.perf_counter()
    for text, pos in samples * 5000:
        match_unit(text, pos)
    assert time.perf_counter() - t0 < 2.0  # 20k calls; about 0.1 s on a developer machine
