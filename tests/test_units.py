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
    number = "12th" if "o" in row.flags else "12"  # `o`: after an ordinal (`95th percentile`)
    text = f"<{number}{gap}{row.form} in"
    start = 1 + len(number) + len(gap)
    m = match_unit(text, 1 + len(number))
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
        # infusion rates
        (">10 mcg/min of", 3, "mcg/min", "ug/min"),
        ("50ug/hr,", 2, "ug/hr", "ug/h"),
        ("4 mg/kg/h)", 1, "mg/kg/h", "mg/kg/h"),
        ("2 units/hour of", 1, "units/hour", "U/h"),
        ("≥60 mL/min/1.73 m^2", 3, "mL/min/1.73 m^2", "mL/min/{1.73_m2}"),
        ("<30 ml / min / 1.73m.", 3, "ml / min / 1.73m", "mL/min/{1.73_m2}"),  # the square left out
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
        # spellings found missing in the LCT and Chia gold corpora
        ("PEEP ≤8cmH2O", 7, "cmH2O", "cm[H2O]"),
        ("PEEP <8 cm H2O and", 7, "cm H2O", "cm[H2O]"),
        ("PEEP ≤ 5 cmH20", 8, "cmH20", "cm[H2O]"),
        ("Endotoxin >25 EU/ml", 13, "EU/ml", "{EU}/mL"),
        ("temperature > 38.5 degrees C or", 18, "degrees C", "Cel"),
        ("> 38 degrees Celsius (C)", 4, "degrees Celsius", "Cel"),
        ("≥ 38.5 ° C", 6, "° C", "Cel"),
        ("> 100.4 degrees F", 7, "degrees F", "[degF]"),
        ("> 5 cigarettes per day", 3, "cigarettes per day", "{cigarettes}/d"),
        ("≤ 10 cigarettes/day.", 4, "cigarettes/day", "{cigarettes}/d"),
        ("more than 10 cigarettes a day.", 12, "cigarettes a day", "{cigarettes}/d"),
        ("≥ 150 minutes per week", 5, "minutes per week", "min/wk"),
        ("(>4 hours per week)", 3, "hours per week", "h/wk"),
        ("at least 20 h per week", 11, "h per week", "h/wk"),
        ("> 2 drinks per day)", 3, "drinks per day", "{drinks}/d"),
        ("or 7 drinks a week", 4, "drinks a week", "{drinks}/wk"),
        ("> 2 alcoholic drinks per day", 3, "alcoholic drinks per day", "{drinks}/d"),
        ("Alcohol consumption >14 units / week", 23, "units / week", "{alcohol_units}/wk"),
        ("> 14 units of alcohol per week", 4, "units of alcohol per week", "{alcohol_units}/wk"),
        ("Curves over 50° are", 14, "°", "deg"),
        ("curves 15°-45°.", 9, "°", "deg"),
        ("contracture of >10 degrees, knee", 18, "degrees", "deg"),
        ("anisometropia >1.5 D, prematurity", 18, "D", "[diop]"),
        ("astigmatism ≤ 0.75D", 18, "D", "[diop]"),
        ("-1 to -10 diopters (D)", 9, "diopters", "[diop]"),
        ("thickness above 300 microns at", 19, "microns", "um"),
        ("CMT more than 250 µm measured", 18, "µm", "um"),
        ("CST ≥ 350um on", 9, "um", "um"),
        ("lesion (0.5-1.0 cm2), with", 15, "cm2", "cm2"),
        ("valve area <1.5 cm^2)", 15, "cm^2", "cm2"),
        ("hemoglobin <8 gm/dL", 13, "gm/dL", "g/dL"),
        ("hemoglobin <10gm%)", 14, "gm%", "g/dL"),
        ("greater than 4.5 MIU/mL).", 16, "MIU/mL", "m[iU]/mL"),
        ("basal insulin ≥ 20 uU/ml", 18, "uU/ml", "uU/mL"),
        ("insulin ≥ 20 µIU/mL", 12, "µIU/mL", "u[iU]/mL"),
        ("carbon monoxide ≥ 6 ppm", 19, "ppm", "[ppm]"),
        ("at least 50 feet", 11, "feet", "[ft_i]"),
        ("more than 2 liters via", 11, "liters", "L"),
        ("≤ 750 grams at birth", 5, "grams", "g"),
        ("at 60 dBA under", 5, "dBA", "dB{A}"),
        ("thresholds 70 dB HL or", 13, "dB HL", "dB{HL}"),
        ("MCV less than 80 fl and", 16, "fl", "fL"),
        ("MCH < 27 pg", 8, "pg", "pg"),
        ("WBC<3,000 cells/ml at", 9, "cells/ml", "{cells}/mL"),
        ("HbA1c >47mmol/mol (", 9, "mmol/mol", "mmol/mol"),
        ("osmolality > 300 mOsm/kg", 16, "mOsm/kg", "mosm/kg"),
        ("VO2peak < 20 mL/kg/min", 12, "mL/kg/min", "mL/kg/min"),
        ("oliguria <0.5 ml/kg/h for", 13, "ml/kg/h", "mL/kg/h"),
        ("oxygen > 2 L/min", 10, "L/min", "L/min"),
        ("gait speed (<1 m/s)", 15, "m/s", "m/s"),
        ("stiffness ≥10 kPa and", 13, "kPa", "kPa"),
        ("≥ 4 METs without", 3, "METs", "{MET}"),
        ("< 1200 kcal/day", 6, "kcal/day", "kcal/d"),
        ("(defined by Tmax>6s) and", 18, "s", "s"),
        ("break-up time <10 s in", 17, "s", "s"),
        ("interferon 3 MIU three", 12, "MIU", "10*6.[iU]"),
        ("AHI ≥ 15 events per hour", 8, "events per hour", "{events}/h"),
        ("BMI >30 Kg/m2", 7, "Kg/m2", "kg/m2"),
        ("BMI 25-40 kilograms per square meter (", 9, "kilograms per square meter", "kg/m2"),
        ("GFR < 30 mL/minute/1.73 m2)", 8, "mL/minute/1.73 m2", "mL/min/{1.73_m2}"),
        ("bacteriuria > 10^3 CFU/mL with", 18, "CFU/mL", "{CFU}/mL"),
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
        ("2D echocardiography", 1),  # imaging dimensions, not diopters
        ("3D-printed", 1),
        ("4D flow MRI", 1),
        ("above 26 in those", 8),  # `in` is no unit: too often the preposition
        ("grade 2 foot ulcer", 7),  # `foot` is no unit: the body part
        ("3 mets", 1),  # metastases, not METs
        ("approved in 2 EU countries", 13),  # EU alone is no unit, EU/mL is
        ("3 sand", 1),  # s only as a whole word
        ("3 Dose", 1),
        ("2 Gram-negative", 1),
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


def test_units_time_per_period_is_one_unit_and_not_a_time_span():
    text = "exercise > 10 hours per week"
    m = match_unit(text, 13)
    assert m is not None and (m.start, m.end) == (14, len(text))
    assert m.dimension == "time_per_period" and not m.is_time
    m = match_unit("for 10 hours prior", 6)
    assert m is not None and m.text == "hours" and m.is_time
    assert match_unit("within 30 s of", 9).is_time


def test_units_bare_degrees_are_an_angle_named_degrees_are_a_temperature():
    assert match_unit("angle < 20° on", 10).dimension == "angle"
    assert match_unit("temperature >38 degrees C", 15).dimension == "temperature"
    assert match_unit("temperature >38.5 °C", 17).dimension == "temperature"
    assert match_unit("ROM < 90 degrees", 8).dimension == "angle"


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
        ("per microliter", "/uL"),
        ("/microlitre", "/uL"),
        ("per cubic millimeter", "/mm3"),
        ("x 10^3 / mm3", "10*3/mm3"),
        ("10^9 cells/L", "10*9/L"),
        ("mL/min per 1.73 m^2", "mL/min/{1.73_m2}"),
        ("titre", "{titer}"),
        (" mg/dL ", "mg/dL"),
        ("kg/m²", "kg/m2"),
        ("d", "d"),
        ("y", "a"),
        ("cm H2O", "cm[H2O]"),
        ("MIU/mL", "m[iU]/mL"),
        ("mIU/ml", "m[iU]/mL"),
        ("µU/mL", "uU/mL"),
        ("1.73 m²", "{1.73_m2}"),
        ("um", "um"),
        ("μm", "um"),
        ("° C", "Cel"),
        ("ºC", "Cel"),
        ("degrees", "deg"),
        ("D", "[diop]"),
        ("s", "s"),
        ("mm³", "mm3"),
        ("kg·m-2", "kg/m2"),
        ("g per day", "g/d"),
        ("drinks per week", "{drinks}/wk"),
        ("steps per day", "{steps}/d"),
        ("hours per day", "h/d"),
        ("in", None),
        ("foot", None),
        ("times/week", "/wk"),  # a frequency
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
    assert convert(38.5, "degrees C", "degrees Fahrenheit") == pytest.approx(101.3)
    assert convert(10, "cmH2O", "mmHg") == pytest.approx(7.356, rel=1e-3)
    assert convert(1, "kPa", "mmHg") == pytest.approx(7.50, rel=1e-3)
    assert convert(12, "gm%", "g/L") == pytest.approx(120)
    assert convert(300, "microns", "mm") == pytest.approx(0.3)
    assert convert(6, "feet", "cm") == pytest.approx(182.88)
    assert convert(4, "METs", "mL/kg/min") == pytest.approx(14)
    assert convert(14, "units/week", "drinks/week") == pytest.approx(8)  # 8 g UK unit, 14 g US drink
    assert convert(150, "minutes per week", "hours/week") == pytest.approx(2.5)
    assert convert(2, "MIU", "IU") == pytest.approx(2e6)
    assert convert(2, "D", "1/m") == pytest.approx(2)


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
        # HbA1c: the IFCC-NGSP master equation, not the ratio (6.5 % is 47.5 mmol/mol)
        (6.5, "%", "mmol/mol", "HbA1c", 47.53),
        (53, "mmol/mol", "%", "hemoglobin A1c", 7.00),
        (48, "mmol/mol", "%", "glycated hemoglobin", 6.54),
    ],
)
def test_units_convert_with_analyte(value, src, dst, analyte, expected):
    assert convert(value, src, dst, analyte=analyte) == pytest.approx(expected, rel=0.01)


@pytest.mark.parametrize(
    "value, ucum, written, expected",
    [
        # UCUM codes, as FHIR valueQuantity and the output write them; pint alone reads
        # `10*9/L` as 90 per litre
        (150, "10*9/L", "×10^9/L", 150),
        (150, "10*3/uL", "×10^9/L", 150),
        (150_000, "/uL", "×10^9/L", 150),
        (120, "mm[Hg]", "mmHg", 120),
        (37, "Cel", "°C", 37),
        (5, "m[IU]/L", "mIU/L", 5),
        (5, "m[iU]/L", "mIU/L", 5),
        (60, "mL/min/{1.73_m2}", "mL/min/1.73 m^2", 60),
    ],
)
def test_units_convert_reads_ucum_codes(value, ucum, written, expected):
    assert convert(value, ucum, written) == pytest.approx(expected)


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


@pytest.fixture(scope="module")
def rules():
    import criteria_nlp

    return criteria_nlp.load(entities=False)


def test_units_constraint_admits_a_value_in_another_unit(rules):
    """A patient's value in any unit pint converts to the constraint's: mass to amount of
    substance through the subject's molar mass; a ULN multiple needs the reference range."""
    import criteria_nlp

    text = "Hemoglobin ≥ 9 g/dL; serum creatinine ≤ 1.5 mg/dL; AST ≤ 2.5 × ULN; surgery within 4 weeks"
    hb, creatinine, ast, surgery = criteria_nlp.annotate(text, nlp=rules).constraints
    assert (hb.admits(95, "g/L"), hb.admits(85, "g/L"), hb.admits(9)) == (True, False, True)
    assert (creatinine.admits(120, "µmol/L"), creatinine.admits(180, "µmol/L")) == (True, False)
    assert (surgery.admits(20, "days"), surgery.admits(35, "days")) == (True, False)
    with pytest.raises(ValueError, match="ULN"):
        ast.admits(50, "U/L")
    with pytest.raises(UnitParseError):
        creatinine.admits(1, "kg")
