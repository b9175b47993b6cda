"""The quantity grammar on real criteria text (normalized form), one class of text per row."""
import pytest
from hypothesis import given, settings, strategies as st

from criteria_nlp.quantities import QuantityParser, find_quantities, parse_number


def _one(text, expr):
    found = [q for q in find_quantities(text) if text[q["start"]:q["end"]] == expr]
    assert found, f"{expr!r} not found in {[text[q['start']:q['end']] for q in find_quantities(text)]}"
    return found[0]


def _b(value, inclusive):
    return None if value is None else {"value": float(value), "inclusive": inclusive}


@pytest.mark.parametrize(
    "text,expr,kind,lower,upper,unit,ucum",
    [
        ("Have a total CLASI-A score of ≥10 at Screening", "≥10", "numeric", _b(10, True), None, None, None),
        ("a CLASI-A score of ≥8 and <10 are eligible", "≥8 and <10", "numeric", _b(8, True), _b(10, False), None, None),
        ("IgA deficiency (serum IgA level <10 mg/dL).", "<10 mg/dL", "numeric", None, _b(10, False), "mg/dL", "mg/dL"),
        ("urinary protein >6 g/24 h, serum", ">6 g/24 h", "numeric", _b(6, False), None, "g/24 h", "g/(24.h)"),
        ("white blood cell count <2.5×10^9/L, platelet", "<2.5×10^9/L", "numeric", None, _b(2.5, False), "×10^9/L", "10*9/L"),
        ("platelets ≥ 100 x 10^9/L", "≥ 100 x 10^9/L", "numeric", _b(100, True), None, "x 10^9/L", "10*9/L"),
        ("glucocorticoids (prednisone >1 mg/kg/day or equivalent)", ">1 mg/kg/day", "dose", _b(1, False), None, "mg/kg/day", "mg/kg/d"),
        ("the dose must be ≤40 mg/day at screening", "≤40 mg/day", "dose", None, _b(40, True), "mg/day", "mg/d"),
        ("mRSS ≥15 and ≤30 at screening", "≥15 and ≤30", "numeric", _b(15, True), _b(30, True), None, None),
        ("Disease duration ≤5 years (from initial diagnosis);", "≤5 years", "duration", None, _b(5, True), "years", "a"),
        ("with stable doses for ≥30 days;", "≥30 days", "duration", _b(30, True), None, "days", "d"),
        ("must have received ≥2 immunosuppressants and/or biologics;", "≥2", "count", _b(2, True), None, None, None),
        ("Aged 18-65 years (inclusive)", "18-65 years", "age", _b(18, True), _b(65, True), "years", "a"),
        ("Aged 18 to 65 years", "18 to 65 years", "age", _b(18, True), _b(65, True), "years", "a"),
        ("Men and women 18 years or older", "18 years or older", "age", _b(18, True), None, "years", "a"),
        ("≥ 18 years of age at screening", "≥ 18 years", "age", _b(18, True), None, "years", "a"),
        ("Age between 18 and 75 years", "between 18 and 75 years", "age", _b(18, True), _b(75, True), "years", "a"),
        ("ECOG performance status 0-2", "0-2", "numeric", _b(0, True), _b(2, True), None, None),
        ("ECOG 0 or 1", "0 or 1", "numeric", _b(0, True), _b(1, True), None, None),
        ("Karnofsky Performance Status > 60", "> 60", "numeric", _b(60, False), None, None, None),
        ("with ≥20% strength loss in affected muscles", "≥20%", "numeric", _b(20, True), None, "%", "%"),
        ("life expectancy of greater than three (3) months", "greater than three (3) months", "duration", _b(3, False), None, "months", "mo"),
        ("Hemoglobin at least 9 g/dL", "at least 9 g/dL", "numeric", _b(9, True), None, "g/dL", "g/dL"),
        ("BMI no more than 35 kg/m^2", "no more than 35 kg/m^2", "numeric", None, _b(35, True), "kg/m^2", "kg/m2"),
        ("creatinine clearance less than 30 mL/min", "less than 30 mL/min", "numeric", None, _b(30, False), "mL/min", "mL/min"),
        ("HbA1c between 7.0% and 10.0%", "between 7.0% and 10.0%", "numeric", _b(7, True), _b(10, True), "%", "%"),
        ("T-score ≤ -2.5 at the spine", "≤ -2.5", "numeric", None, _b(-2.5, True), None, None),
        ("weight over 50 kg", "over 50 kg", "numeric", _b(50, False), None, "kg", "kg"),
        ("glucose = 2 mmol/L", "= 2 mmol/L", "numeric", _b(2, True), _b(2, True), "mmol/L", "mmol/L"),
        ("BMI = 18.5-29.9 kg/m2", "= 18.5-29.9 kg/m2", "numeric", _b(18.5, True), _b(29.9, True), "kg/m2", "kg/m2"),
        ("MoCA total = 18-26 at screening", "= 18-26", "numeric", _b(18, True), _b(26, True), None, None),
        # a pair that is no range keeps the comparator of its first number
        ("glucose = 5 to 3 mmol/L", "= 5", "numeric", _b(5, True), _b(5, True), None, None),
        ("platelets ≥100,000/mm^3", "≥100,000/mm^3", "numeric", _b(100000, True), None, "/mm^3", "/mm3"),
        # rates: events per hour, days per week
        ("apnea-hypopnea index >5/hour", ">5/hour", "numeric", _b(5, False), None, "/hour", "/h"),
        ("uses e-cigarettes more than 2 days per week", "more than 2 days per week", "numeric", _b(2, False), None, "days per week", "d/wk"),
        # a count with an adjective before its noun
        ("at least 2 prior lines of systemic therapy", "at least 2", "count", _b(2, True), None, None, None),
        ("no more than 3 previous chemotherapy regimens", "no more than 3", "count", None, _b(3, True), None, None),
        # a negated comparator turns it around
        ("weight no lower than 50 kg", "no lower than 50 kg", "numeric", _b(50, True), None, "kg", "kg"),
        # standard deviations from a reference mean; a minus sign after a comparator in words
        ("BMD T-score ≤ -2.5 SD at the lumbar spine", "≤ -2.5 SD", "numeric", None, _b(-2.5, True), "SD", "{SD}"),
        ("height below -2 SD for age and sex", "below -2 SD", "numeric", None, _b(-2, False), "SD", "{SD}"),
        ("a test score 1.5 SDs or more below the norm", "1.5 SDs or more", "numeric", _b(1.5, True), None, "SDs", "{SD}"),
        ("z-score less than -2.0", "less than -2.0", "numeric", None, _b(-2, False), None, None),
        ("haemoglobin 9,5 or more", "9,5 or more", "numeric", _b(9.5, True), None, None, None),  # a decimal comma
        # a comparator after the unit, a list item's number after it (`2- `), not a second value
        ("defined as 1- blood pressure 160/110 mmHg or more 2- proteinuria", "160/110 mmHg or more", "numeric",
         _b(160, True), None, "mmHg", "mm[Hg]"),
        # a symbol and `or equal` in words
        ("AUDIT score of > or equal to 5", "> or equal to 5", "numeric", _b(5, True), None, None, None),
        ("symptom score < or equal 3", "< or equal 3", "numeric", None, _b(3, True), None, None),
        ("tumour size not larger than 3 cm", "not larger than 3 cm", "numeric", None, _b(3, True), "cm", "cm"),
        # a range with a comparator on its upper end only, and two bounds joined by `or`
        ("creatinine clearance 30 to < 60 mL/min", "30 to < 60 mL/min", "numeric", _b(30, True), _b(60, False), "mL/min", "mL/min"),
        ("children aged 2 to <12 years", "2 to <12 years", "age", _b(2, True), _b(12, False), "years", "a"),
        ("BMI > 18.5 or <= 35 kg/m2", "> 18.5 or <= 35 kg/m2", "numeric", _b(18.5, False), _b(35, True), "kg/m2", "kg/m2"),
        # a multiple of a reference with no comparator is the value itself
        ("serum creatinine 1.5 times upper limit of normal", "1.5 times upper limit of normal", "numeric", _b(1.5, True), _b(1.5, True), None, None),
        ("ALT within 2 times the upper limit of normal", "within 2 times the upper limit of normal", "numeric", None, _b(2, True), None, None),
        # two-word comparators with `than`, and registry misspellings (`then`, `lest`)
        ("creatinine clearance higher or equal than 60 mL/min", "higher or equal than 60 mL/min", "numeric", _b(60, True), None, "mL/min", "mL/min"),
        ("hemoglobin less or equal than 10 g/dL", "less or equal than 10 g/dL", "numeric", None, _b(10, True), "g/dL", "g/dL"),
        ("BMI at least or equal to 18.5 kg/m2", "at least or equal to 18.5 kg/m2", "numeric", _b(18.5, True), None, "kg/m2", "kg/m2"),
        ("weight more then 40 kg", "more then 40 kg", "numeric", _b(40, False), None, "kg", "kg"),
        ("serum creatinine less then 1.5 mg/dL", "less then 1.5 mg/dL", "numeric", None, _b(1.5, False), "mg/dL", "mg/dL"),
        ("ejection fraction at lest 40%", "at lest 40%", "numeric", _b(40, True), None, "%", "%"),
        ("ECOG performance status no more then 2", "no more then 2", "numeric", None, _b(2, True), None, None),
        # a dash chain beside is no range, and leaves the range after it alone
        ("consent dated 2019-01-15, hemoglobin 8-10 g/dL", "8-10 g/dL", "numeric", _b(8, True), _b(10, True), "g/dL", "g/dL"),
        # percentile ranks: the ordinal is the number, `the` between comparator and ordinal
        ("BMI ≥ 95th percentile for age and sex", "≥ 95th percentile", "numeric", _b(95, True), None, "percentile", "{percentile}"),
        ("Height below the 3rd percentile", "below the 3rd percentile", "numeric", None, _b(3, False), "percentile", "{percentile}"),
        ("BMI between the 5th and 85th percentile", "between the 5th and 85th percentile", "numeric",
         _b(5, True), _b(85, True), "percentile", "{percentile}"),
        ("BMI ≥ 85th to < 95th percentile for age", "≥ 85th to < 95th percentile", "numeric",
         _b(85, True), _b(95, False), "percentile", "{percentile}"),
        ("estimated fetal weight < 10th centile", "< 10th centile", "numeric", None, _b(10, False), "centile", "{percentile}"),
        # the comparator's symbol repeated in brackets after its words
        ("Age greater than or equal to (>=) 18 years", "greater than or equal to (>=) 18 years", "age",
         _b(18, True), None, "years", "a"),
        ("returned to Grade less than or equal to (<=) 1 or baseline", "less than or equal to (<=) 1", "numeric",
         None, _b(1, True), None, None),
        ("ANC less than (<) 1.5 x 10^9/L", "less than (<) 1.5 x 10^9/L", "numeric", None, _b(1.5, False),
         "x 10^9/L", "10*9/L"),
        # a gestational age in weeks and days
        ("All birth more than 24 + 0 weeks of amenorrhea", "more than 24 + 0 weeks", "duration", _b(24, False), None, "weeks", "wk"),
        ("gestational age between 32+0 and 36+6 weeks", "between 32+0 and 36+6 weeks", "age",
         _b(32, True), _b(36 + 6 / 7, True), "weeks", "wk"),
        ("gestational age between 16 weeks 0 days and 23 weeks 6 days", "between 16 weeks 0 days and 23 weeks 6 days",
         "age", _b(16, True), _b(23 + 6 / 7, True), "weeks", "wk"),
        ("delivery up to 23 weeks and 6 days of gestation", "up to 23 weeks and 6 days", "duration",
         None, _b(23 + 6 / 7, True), "weeks", "wk"),
        # `an` for `and` after `between`, as registries misspell it
        ("age between 50 an 65 years", "between 50 an 65 years", "age", _b(50, True), _b(65, True), "years", "a"),
        # frequencies
        ("seizures at least 2 times per month", "at least 2 times per month", "numeric", _b(2, True), None, "times per month", "/mo"),
        ("urinating more than 8 times a day", "more than 8 times a day", "numeric", _b(8, False), None, "times a day", "/d"),
        # micro written `mikro` (Scandinavian registries)
        ("Plasma creatinine over 200 mikromol/l", "over 200 mikromol/l", "numeric", _b(200, False), None, "mikromol/l", "umol/L"),
        # the comparator after the number, the subject after that: the bound turned round
        ("18 ≤ age ≤ 65 years", "18 ≤", "age", _b(18, True), None, None, None),
        ("18 ≤ age ≤ 65 years", "≤ 65 years", "age", None, _b(65, True), "years", "a"),
        ("aged 20 < age < 75", "20 <", "age", _b(20, False), None, None, None),
        ("125 mmHg ≤ sitting systolic blood pressure ≤ 180 mmHg", "125 mmHg ≤", "numeric", _b(125, True), None, "mmHg", "mm[Hg]"),
        ("3.5 mmol/L < serum potassium", "3.5 mmol/L <", "numeric", _b(3.5, False), None, "mmol/L", "mmol/L"),
        ("a height-for-age -3 ≤ z-score ≤ +2", "-3 ≤", "numeric", _b(-3, True), None, None, None),
        ("30 kg/m2 > BMI", "30 kg/m2 >", "numeric", None, _b(30, False), "kg/m2", "kg/m2"),
        ("body weight 45 kg ≥ weight", "45 kg ≥", "numeric", None, _b(45, True), "kg", "kg"),
        # `at the time of` after a time is an age; after a score, a count or a lab value, no age
        ("Patients ≥ 18 years at the time of signing consent", "≥ 18 years", "age", _b(18, True), None, "years", "a"),
        ("ECOG performance status ≤ 2 at the time of screening", "≤ 2", "numeric", None, _b(2, True), None, None),
        ("platelets > 100 at the time of randomization", "> 100", "numeric", _b(100, False), None, None, None),
        # a duration in milliseconds written out is a measured time (QT), not a span
        ("QT prolongation > 500 milliseconds", "> 500 milliseconds", "numeric", _b(500, False), None, "milliseconds", "ms"),
        # infusion rates are doses
        ("norepinephrine more than 10 ug/min", "more than 10 ug/min", "dose", _b(10, False), None, "ug/min", "ug/min"),
        ("insulin infusion > 2 units/hour", "> 2 units/hour", "dose", _b(2, False), None, "units/hour", "U/h"),
    ],
)
def test_quantities_bounds(text, expr, kind, lower, upper, unit, ucum):
    q = _one(text, expr)
    assert (q["kind"], q["lower"], q["upper"], q["unit"], q["ucum"]) == (kind, lower, upper, unit, ucum)


@pytest.mark.parametrize(
    "text,expr,upper,unit,anchor",
    [
        ("Severe lupus nephritis within 8 weeks prior to screening", "within 8 weeks", _b(8, True), "wk", "screening"),
        ("Received CAR-T therapy within 6 months prior to screening.", "within 6 months", _b(6, True), "mo", "screening"),
        ("myocardial infarction in the past 6 months", "in the past 6 months", _b(6, True), "mo", None),
        ("no headache in recent 3 months", "in recent 3 months", _b(3, True), "mo", None),
        ("a stroke in the recent 6 months", "in the recent 6 months", _b(6, True), "mo", None),
        # `in the`, `during the`: a window when an anchor follows
        ("stroke in the 6 months preceding enrollment", "in the 6 months", _b(6, True), "mo", "enrollment"),
        ("chemotherapy during the 4 weeks before randomization", "during the 4 weeks", _b(4, True), "wk", "randomization"),
        ("Concurrent malignancy diagnosed within <5 years prior to screening.", "within <5 years", _b(5, False), "a", "screening"),
        ("Major surgery within 4 weeks or minor surgery within 2 weeks prior to screening;", "within 4 weeks", _b(4, True), "wk", "screening"),
        ("investigational drug within 30 days of randomization", "within 30 days", _b(30, True), "d", "randomization"),
        ("chemotherapy within the last 3 months before the first dose of study drug", "within the last 3 months", _b(3, True), "mo", "first dose of study drug"),
        ("panretinal photocoagulation within the former 4 months", "within the former 4 months", _b(4, True), "mo", None),
    ],
)
def test_quantities_temporal_windows(text, expr, upper, unit, anchor):
    q = _one(text, expr)
    assert (q["kind"], q["lower"], q["upper"], q["ucum"], q["anchor"]) == ("temporal", None, upper, unit, anchor)


@pytest.mark.parametrize(
    "text,expr,lower,anchor",
    [
        ("stopped at least 3 months before randomization", "at least 3 months", _b(3, True), "randomization"),
        ("last dose more than 6 months ago", "more than 6 months", _b(6, False), None),
    ],
)
def test_quantities_temporal_lower_bounds(text, expr, lower, anchor):
    q = _one(text, expr)
    assert (q["kind"], q["lower"], q["upper"], q["anchor"]) == ("temporal", lower, None, anchor)


@pytest.mark.parametrize(
    "text,expr,value,relative_to",
    [
        ("AST/ALT >2× upper limit of normal (ULN)", ">2× upper limit of normal (ULN)", 2, "ULN"),
        ("total bilirubin <1.5 X ULN;", "<1.5 X ULN", 1.5, "ULN"),
        ("AST ≤ 2.5 times the upper limit of normal", "≤ 2.5 times the upper limit of normal", 2.5, "ULN"),
        ("neutrophils ≥ 1.0 × LLN", "≥ 1.0 × LLN", 1.0, "LLN"),
        # `normal` names the upper limit only after a multiplier
        ("AST < 2.5 x laboratory normal", "< 2.5 x laboratory normal", 2.5, "ULN"),
        ("creatinine < 2 times normal", "< 2 times normal", 2, "ULN"),
        ("ALT > 2.5 UNL", "> 2.5 UNL", 2.5, "ULN"),  # upper normal limit, abbreviated
        ("ALT > 3 times upper limit of laboratory normal", "> 3 times upper limit of laboratory normal", 3, "ULN"),
        ("ALT <3 × upper normal limits", "<3 × upper normal limits", 3, "ULN"),
    ],
)
def test_quantities_multiples_of_reference(text, expr, value, relative_to):
    q = _one(text, expr)
    assert q["relative_to"] == relative_to
    assert (q["lower"] or q["upper"])["value"] == value
    assert q["unit"] is None and q["ucum"] is None


@pytest.mark.parametrize(
    "text,expr,value",
    [("positive antinuclear antibody (ANA)  ≥ 1:80  at screening", "≥ 1:80", 80), ("ANA titer > 1:160", "> 1:160", 160)],
)
def test_quantities_titers(text, expr, value):
    q = _one(text, expr)
    assert q["lower"]["value"] == value and q["ucum"] == "{titer}"


@pytest.mark.parametrize(
    "text,expr,lower,upper",
    [
        ("Stage III or IV disease", "III or IV", _b(3, True), _b(4, True)),
        ("NYHA Class II-IV heart failure", "II-IV", _b(2, True), _b(4, True)),
        ("unresolved diarrhea greater than Grade 1", "greater than Grade 1", _b(1, False), None),
        ("neuropathy > grade II", "> grade II", _b(2, False), None),
        # consecutive values listed on a scale are one interval
        ("ECOG performance status 0, 1, or 2", "0, 1, or 2", _b(0, True), _b(2, True)),
        # single digits listed with commas are values, not a decimal comma (`0,1` is no 0.1)
        ("ECOG PS 0,1 or 2", "0,1 or 2", _b(0, True), _b(2, True)),
        ("ECOG 0,1, or 2", "0,1, or 2", _b(0, True), _b(2, True)),
        ("ICDAS II score of 1,2 or 3", "1,2 or 3", _b(1, True), _b(3, True)),
        ("ASA 1 and 2", "1 and 2", _b(1, True), _b(2, True)),
        ("NYHA class II, III or IV heart failure", "II, III or IV", _b(2, True), _b(4, True)),
        ("severe heart failure (NYHA III and IV)", "III and IV", _b(3, True), _b(4, True)),
        # a comparator between the scale and its value; more scale names; substages
        ("ASA ≥ III", "≥ III", _b(3, True), None),
        ("clinical stage> II", "> II", _b(2, False), None),
        ("ASA classification I to II", "I to II", _b(1, True), _b(2, True)),
        ("physical status I or II", "I or II", _b(1, True), _b(2, True)),
        ("Fitzpatrick skin types III-IV", "III-IV", _b(3, True), _b(4, True)),
        ("MGFA Class II-IVa", "II-IVa", _b(2, True), _b(4, True)),
        ("stage IIIB or IV", "IIIB or IV", _b(3, True), _b(4, True)),
    ],
)
def test_quantities_named_scale_ranges_and_comparators(text, expr, lower, upper):
    q = _one(text, expr)
    assert (q["kind"], q["lower"], q["upper"], q["unit"]) == ("numeric", lower, upper, None)


@pytest.mark.parametrize(
    "text,expr,value", [("ECOG 1", "1", 1), ("Gleason score 7 or less", "7 or less", None), ("Clinical Dementia Rating of 0", "0", 0)]
)
def test_quantities_bare_value_on_named_scale(text, expr, value):
    q = _one(text, expr)
    if value is not None:
        assert q["lower"] == q["upper"] == _b(value, True)


def test_quantities_frequency_is_not_a_window():
    assert [q for q in find_quantities("exercise 3 times a week") if q["unit"] == "week"] == []


def test_quantities_scale_maximum():
    q = _one("MMT-8 total score ≤141/150 with", "≤141/150")
    assert q["upper"] == _b(141, True) and q["scale_max"] == 150 and q["unit"] is None


def test_quantities_alternative_units_share_operator():
    text = "serum creatinine >2.5 mg/dL or 221 µmol/L), requirement"
    found = find_quantities(text)
    assert [text[q["start"]:q["end"]] for q in found] == [">2.5 mg/dL", "221 µmol/L"]
    assert found[1]["lower"] == _b(221, False) and found[1]["ucum"] == "umol/L"
    assert found[1]["alternative_of"] == 0


def test_quantities_two_thresholds_joined_by_or():
    text = "age > 21 or less than 2"
    found = find_quantities(text)
    assert [(q["lower"], q["upper"]) for q in found] == [(_b(21, False), None), (None, _b(2, False))]


def test_quantities_anchored_window_opener_needs_its_anchor():
    q = _one("planning a pregnancy in the 6 months", "6 months")  # no anchor: no window
    assert (q["kind"], q["lower"], q["upper"]) == ("duration", _b(6, True), _b(6, True))
    assert _one("vaccination in the 2 weeks after surgery", "in the 2 weeks")["direction"] == "after"


@pytest.mark.parametrize(
    "text",
    [
        "Diagnosed with SLE according to the 2019 EULAR/ACR classification criteria;",
        "Type 2 diabetes mellitus",
        "Confirmed COVID-19 infection",
        "Stage III disease",
        "NYHA Class III/IV heart failure or NYHA class II",
        "per CTCAE v5.0",
        "polysorbate 80",
        "therapies targeting CD19/CD20/BAFF",
        "SSc-related antibodies (e.g., Scl70, Th/To, RP11/12, U3RNP)",
        "All patients undergoing parastomal hernia repair in Denmark from 2007-2017",
        "HbA1c measured by a 12-lead ECG",
        "randomized 1:1 to IMVT-1402",
        "Informed consent signed on 2019-01-15 or later",
        "Contact the study hotline at 555-123-4567",
        "Rectal cancer stage cT1-2-3",
        # how a unit converts is no threshold
        "(1 MET = 3.5 mL/kg/min)",
        "PEEP measured in cmH2O (1cmH2O=0.098 kPa)",
        # an ordinal that is no percentile
        "the 2nd and 3rd cycles of chemotherapy",
        # a fuzz finding: a long run of digits (no finite number) once took seconds
        "- " + "1" * 20_000,
        "Existing a second malignancy within the study",  # `a second`: an ordinal, no 1 s
        "blood pressure confirmed on a second day",
    ],
)
def test_quantities_non_thresholds_yield_nothing(text):
    assert find_quantities(text) == []


@pytest.mark.parametrize("text,expr", [
    ("cough on most days for 3 months in a year", "3 months"),
    ("patients smoked more than 10 cigarettes in a day", "more than 10"),
])
def test_quantities_the_time_of_a_rate_is_no_number(text, expr):
    """`in a year`, `in a day` after a count or a time: the time a rate is counted in, no `1 year`."""
    assert [text[q["start"]:q["end"]] for q in find_quantities(text)] == [expr]


def test_quantities_lists_that_make_no_interval_stay_apart():
    """Values not consecutive (`ECOG 0 and 2`), or off a scale (`1, 2 and 3 years`), are no
    interval; two bounds around a gap (`<10 or >16`) stay two thresholds."""
    assert [(q["lower"], q["upper"]) for q in find_quantities("ASA 1 and 3")] == []
    assert [q["lower"] for q in find_quantities("NYHA class I and III")] == []
    assert [(q["lower"], q["upper"]) for q in find_quantities("hemoglobin <10 or >16 g/dL")] == [
        (None, _b(10, False)), (_b(16, False), None)]


@pytest.mark.parametrize("text", ["exercise 10 hours a week", "smokes more than 10 cigarettes a day"])
def test_quantities_a_word_inside_a_unit_is_no_number(text):
    """The `a` of `hours a week` belongs to the unit of the number before it."""
    assert len(find_quantities(text)) == 1


def test_quantities_bare_normal_is_no_reference():
    """Without a multiplier `normal` is a word of the criterion, not the upper limit."""
    q = _one("at least 1 normal ECG", "at least 1")
    assert (q["relative_to"], q["lower"]) == (None, {"value": 1.0, "inclusive": True})


@pytest.mark.parametrize(
    "text,value", [("1,000", 1000), ("2,5", 2.5), ("2.5", 2.5), (".5", 0.5), ("six", 6), ("three (3)", 3), ("Twelve", 12),
                   ("one hundred and seventy", 170), ("a thousand", 1000), ("twenty-one", 21), ("Forty five", 45),
                   ("three thousand nine hundred and sixty five", 3965), ("fifteen hundred", 1500),
                   ("one hundred thousand", 100000), ("two million five hundred thousand", 2500000),
                   ("one quarter", 0.25), ("three quarters", 0.75), ("a half", 0.5), ("half", 0.5),
                   ("one and a half", 1.5), ("two thirds", 2 / 3), ("negative ten", -10), ("minus two", -2)]
)
def test_quantities_parse_number(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["three four", "twenty thirty", "hundred", "a third", "thousand million",
                                  "seventy hundred", "one two", "negative", "and"])
def test_quantities_parse_number_words_that_make_no_one_number(text):
    """Words that English does not compose into one number are none (`a third` is an ordinal)."""
    assert parse_number(text) is None


@pytest.mark.parametrize(
    "text,expr,lower,upper",
    [
        ("platelet count of at least one hundred and seventy thousand per microliter",
         "at least one hundred and seventy thousand per microliter", _b(170000, True), None),
        ("fewer than three thousand nine hundred and sixty five steps per day",
         "fewer than three thousand nine hundred and sixty five steps per day", None, _b(3965, False)),
        ("more than a thousand cells/mm3", "more than a thousand cells/mm3", _b(1000, False), None),
        ("body temperature above negative ten degrees", "above negative ten", _b(-10, False), None),
        ("T-score ≤ minus 2.5 at the hip", "≤ minus 2.5", None, _b(-2.5, True)),
        ("ALT at most one and a half times ULN", "at most one and a half times ULN", None, _b(1.5, True)),
        ("within twenty-one days of enrollment", "within twenty-one days", None, _b(21, True)),
    ],
)
def test_quantities_numbers_in_words(text, expr, lower, upper):
    q = _one(text, expr)
    assert (q["lower"], q["upper"]) == (lower, upper)


def test_quantities_a_sign_word_without_a_comparator_is_a_result():
    """`negative` after a test is its result: the number after it keeps its sign."""
    q = _one("HIV negative one month prior to screening", "one month")
    assert q["lower"] == _b(1, True)


@pytest.mark.parametrize(
    "text,expr,lower,upper",
    [
        ("weight between 50 kg (inclusive) and 90 kg (exclusive)", "between 50 kg (inclusive) and 90 kg",
         _b(50, True), _b(90, False)),
        ("Age 18-65 years, exclusive", "18-65 years", _b(18, False), _b(65, False)),
        ("aged between 18 and 65 years inclusive", "aged between 18 and 65 years", _b(18, True), _b(65, True)),
        ("BMI > 18.5 (inclusive)", "> 18.5", _b(18.5, True), None),
        ("creatinine less than 1.5 mg/dL or equal", "less than 1.5 mg/dL", None, _b(1.5, True)),
    ],
)
def test_quantities_inclusivity_words(text, expr, lower, upper):
    """Words after a number say whether its bound includes it; they stay out of the span."""
    q = _one(text, expr)
    assert (q["lower"], q["upper"]) == (lower, upper)


_NUMBER_WORDS = ["one", "two", "five", "eleven", "twenty", "ninety", "hundred", "thousand", "million", "and",
                 "a", "half", "quarters", "third", "negative", "twice", "x", "-", "(3)"]


@given(st.lists(st.sampled_from(_NUMBER_WORDS), max_size=10).map(" ".join))
def test_quantities_word_numbers_read_within_their_text(text):
    """Each number in words found lies inside the text, in order, and reads back on its own."""
    from criteria_nlp.lexicon import get_lexicon

    numbers = get_lexicon().word_numbers
    end = 0
    for found in numbers.finditer(text):
        assert end <= found.start <= found.body_start < found.words_end <= found.end <= len(text)
        if found.end == found.words_end:  # no digits in brackets after it: its words give the value
            assert numbers.value(text[found.start:found.words_end]) == found.value
        end = found.end


def test_quantities_offsets_shift():
    text = "IgA <10 mg/dL"
    q = find_quantities(text, offset=100)[0]
    assert (q["start"], q["end"]) == (104, 113)


_PIECES = list("0123456789 .,-/:%<>≥≤=xX×^()") + [
    "mg/dL", " years", " within ", " or ", " and ", "ULN", "at least ", "IgA ", "1:", " prior to screening"]


@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_quantities_never_crash_and_spans_are_inside(text):
    for q in QuantityParser()(text):
        assert 0 <= q["start"] < q["end"] <= len(text)
        for bound in (q["lower"], q["upper"]):
            assert bound is None or isinstance(bound["value"], float)


def test_quantities_outside_a_range_is_two_thresholds():
    text = "Hematology: hemoglobin (<10 and >16 g/dl)"
    found = find_quantities(text)
    assert [(text[q["start"]:q["end"]], q["lower"], q["upper"]) for q in found] == [
        ("<10", None, _b(10, False)), (">16 g/dl", _b(16, False), None)]


@pytest.mark.parametrize(
    "text,expr,anchor",
    [("Diagnosed at least 6 months (180 days) prior to the date of the Screening Visit", "at least 6 months", "screening visit"),
     ("Those who have received antipsychotic medication within 3 months before screening", "within 3 months", "screening")],
)
def test_quantities_anchor_after_an_aside(text, expr, anchor):
    q = _one(text, expr)
    assert (q["kind"], q["anchor"]) == ("temporal", anchor)


@pytest.mark.parametrize(
    "text,values",
    [
        ("Negative serum pregnancy test at screening", ["Negative"]),
        ("HIV+ patients", ["+"]),
        ("total bilirubin < 1.5 x upper limit of normal; abnormal liver function", ["abnormal"]),
        ("Stable disease for 3 months", []),
    ],
)
def test_quantities_qualitative_values_outside_thresholds(text, values):
    from criteria_nlp.quantities import find_qualitative_values

    found = find_qualitative_values(text, find_quantities(text))
    assert [text[v["start"]:v["end"]] for v in found] == values


@pytest.mark.parametrize(
    "text,expr,kind,lower,ucum",
    [
        ("Men >50-year-old", ">50-year-old", "age", _b(50, False), "a"),
        ("treatment for ≥ 12-week", "≥ 12-week", "duration", _b(12, True), "wk"),
    ],
)
def test_quantities_a_time_unit_joined_by_a_hyphen(text, expr, kind, lower, ucum):
    q = _one(text, expr)
    assert (q["kind"], q["lower"], q["ucum"]) == (kind, lower, ucum)


@pytest.mark.parametrize("text", ["24-hour urine protein >1.0 g", "cardiac ischemia on a 6-minute walk test"])
def test_quantities_a_bare_hyphened_time_names_a_test(text):
    """Without a comparator, `24-hour` and `6-minute` name the test, not a duration."""
    assert all("-" not in text[q["start"]:q["end"]] for q in find_quantities(text))


def test_quantities_a_pair_with_spaces_before_a_pressure_unit():
    q = _one("hypertension (i.e. ≥ 180 / 110mmHg) at screening", "≥ 180 / 110mmHg")
    assert (q["lower"], q["pair"], q["ucum"]) == (_b(180, True), 110.0, "mm[Hg]")
    assert _one("score 10 / 20 points", "10")["pair"] is None  # no pressure unit: no pair


def test_quantities_at_or_after_is_a_lower_bound():
    q = _one("delivering at or after 20 weeks of gestation", "at or after 20 weeks")
    assert (q["lower"], q["upper"]) == (_b(20, True), None)



_FOLDS = ["ſ", "K", "ı", "İ", "ß", " ", "-", "+", "(", "II", "iv", "≥"]


@settings(deadline=None, max_examples=400)
@given(st.lists(st.sampled_from(_FOLDS + ["GRADE", "Class", "NYHA", "ſtage", "claſs", "grAde", "clasſıfıcation",
                                          "posıtıve", "posİtİve", "NEGATİVE", "abnormal", "sero-", "HIV"]),
                max_size=12).map("".join))
def test_prefilters_skip_only_texts_without_a_match(text):
    """The word checks before the roman scale and qualitative value searches skip a text
    only when the search (case-insensitive, with its Unicode case folds: `ı`, `İ`, `ſ`)
    finds nothing in it."""
    from criteria_nlp.lexicon import get_lexicon, holds_any

    lex = get_lexicon()
    if not holds_any(text, lex.roman_scale_tails):
        assert lex.roman_re.search(text) is None
    if not holds_any(text, lex.qualitative_tails):
        assert lex.qualitative_re.search(text) is None


def test_prefilters_read_case_folds_as_the_regex_does():
    from criteria_nlp.lexicon import get_lexicon, holds_any

    lex = get_lexicon()
    for text in ("posıtıve", "posİtİve", "POSITIVE", "HIV+"):
        assert lex.qualitative_re.search(text) and holds_any(text, lex.qualitative_tails)
    for text in ("ſtage III", "NYHA claſs II-IV", "GRADE ıı"):
        assert lex.roman_re.search(text) and holds_any(text, lex.roman_scale_tails)
    assert not holds_any("Pregnant or breastfeeding women", lex.qualitative_tails | lex.roman_scale_tails)
