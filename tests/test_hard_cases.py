"""Every row of the hard-cases table of DESIGN.md, on the seed trials' own text."""
import pytest

import criteria_nlp


def _find(doc, text):
    hits = [c for c in doc.constraints if c.text == text]
    assert hits, f"{text!r} not among {[c.text for c in doc.constraints]}"
    return hits[0]


def _bound(b):
    return None if b is None else (b.value, b.inclusive)


@pytest.mark.parametrize(
    "criterion,expr,subject,kind,lower,upper,unit,ucum,extra",
    [
        ("Have a total CLASI-A score of ≥10 at Screening and Day 1.", "≥10", "total CLASI-A score",
         "numeric", (10, True), None, None, None, {}),
        ("Participants with a CLASI-A score of ≥8 and \\<10 are eligible", "≥8 and \\<10", "CLASI-A score",
         "numeric", (8, True), (10, False), None, None, {}),
        ("SLEDAI-2000 score  $\\geq 7$  with at least one BILAG A", "\\geq 7", "SLEDAI-2000 score",
         "numeric", (7, True), None, None, None, {}),
        ("positive antinuclear antibody (ANA)  $\\geq 1:80$  at screening", "\\geq 1:80",
         "antinuclear antibody (ANA)", "numeric", (80, True), None, None, "{titer}", {}),
        ("Aged 18-65 years (inclusive, based on the date of signing the informed consent form)",
         "18-65 years", "Aged", "age", (18, True), (65, True), "years", "a", {}),
        ("(defined as urinary protein >6 g/24 h, serum creatinine", ">6 g/24 h", "urinary protein",
         "numeric", (6, False), None, "g/24 h", "g/(24.h)", {}),
        ("Liver function: AST/ALT \\>2× upper limit of normal (ULN) (except for IIM patients",
         "\\>2× upper limit of normal (ULN)", "AST/ALT", "numeric", (2, False), None, None, None,
         {"relative_to": "ULN"}),
        ("Hematology: hemoglobin \\<85 g/L, white blood cell count \\<2.5×10⁹/L, platelet count \\<50×10⁹/L.",
         "\\<85 g/L", "hemoglobin", "numeric", None, (85, False), "g/L", "g/L", {}),
        ("Hematology: hemoglobin \\<85 g/L, white blood cell count \\<2.5×10⁹/L, platelet count \\<50×10⁹/L.",
         "\\<2.5×10⁹/L", "white blood cell count", "numeric", None, (2.5, False), "×10^9/L", "10*9/L", {}),
        ("Hematology: hemoglobin \\<85 g/L, white blood cell count \\<2.5×10⁹/L, platelet count \\<50×10⁹/L.",
         "\\<50×10⁹/L", "platelet count", "numeric", None, (50, False), "×10^9/L", "10*9/L", {}),
        ("defined as glucocorticoids (prednisone \\>1 mg/kg/day or equivalent) and ≥1 immunomodulatory drug",
         "\\>1 mg/kg/day", "prednisone", "dose", (1, False), None, "mg/kg/day", "mg/kg/d", {}),
        ("If receiving oral glucocorticoids (e.g., prednisone), the dose must be ≤40 mg/day at screening",
         "≤40 mg/day", "dose", "dose", None, (40, True), "mg/day", "mg/d", {"hypothetical": True}),
        ("defined as meeting ≥3 of MMT-8 total score ≤141/150 with ≥20% strength loss in affected muscles;",
         "≤141/150", "MMT-8 total score", "numeric", None, (141, True), None, None, {"scale_max": 150}),
        ("defined as meeting ≥3 of MMT-8 total score ≤141/150 with ≥20% strength loss in affected muscles;",
         "≥20%", "strength loss", "numeric", (20, True), None, "%", "%", {}),
        ("mRSS ≥15 and ≤30 at screening with progression within 6 months;", "≥15 and ≤30", "mRSS",
         "numeric", (15, True), (30, True), None, None, {}),
        ("Disease duration ≤5 years (from initial diagnosis);", "≤5 years", "Disease duration",
         "duration", None, (5, True), "years", "a", {}),
        ("Received live/attenuated vaccination within 4 weeks prior to screening or plans to receive such",
         "within 4 weeks", "live/attenuated vaccination", "temporal", None, (4, True), "weeks", "wk",
         {"anchor": "screening", "direction": "before"}),
        # a second window takes the subject of the first across the first one's anchor
        ("Treatment with rituximab within 6 months prior to screening or within 5 half-lives, whichever is longer",
         "within 5 half-lives", "Treatment with rituximab", "temporal", None, (5, True), "half-lives",
         "{half_lives}", {"anchor": "screening"}),
        ("subjects must have received glucocorticoids for ≥12 weeks, with stable doses for ≥30 days;",
         "≥30 days", "stable doses", "duration", (30, True), None, "days", "d", {}),
        ("and the subject must have received ≥2 immunosuppressants and/or biologics;", "≥2",
         "immunosuppressants", "count", (2, True), None, None, None, {}),
        ("IgA deficiency (serum IgA level \\<10 mg/dL).", "\\<10 mg/dL", "serum IgA level", "numeric",
         None, (10, False), "mg/dL", "mg/dL", {"section": None}),
    ],
)
def test_hard_cases_table(nlp, criterion, expr, subject, kind, lower, upper, unit, ucum, extra):
    doc = criteria_nlp.annotate(criterion, nlp=nlp)
    c = _find(doc, expr)
    assert criterion[c.start:c.end] == expr
    assert (c.subject.text if c.subject else None) == subject
    assert (c.kind, _bound(c.lower), _bound(c.upper), c.unit, c.ucum) == (kind, lower, upper, unit, ucum)
    for field, value in extra.items():
        assert getattr(c, field) == value


def test_hard_cases_creatinine_alternatives(nlp):
    text = "Severe lupus nephritis (defined as urinary protein \\>6 g/24 h, serum creatinine \\>2.5 mg/dL or 221 μmol/L)"
    doc = criteria_nlp.annotate(text, nlp=nlp)
    first, second = _find(doc, "\\>2.5 mg/dL"), _find(doc, "221 μmol/L")
    assert first.subject.text == second.subject.text == "serum creatinine"
    assert (_bound(first.lower), first.ucum) == ((2.5, False), "mg/dL")
    assert (_bound(second.lower), second.ucum) == ((221, False), "umol/L")
    assert doc.constraints[second.alternative_of] == first


def test_hard_cases_latex_creatinine(nlp):
    text = "serum creatinine  $>2.5$  mg/dL or  $221 \\mu\\text{mol/L}$ , or requiring"
    doc = criteria_nlp.annotate(text, nlp=nlp)
    second = _find(doc, "221 \\mu\\text{mol/L}")
    assert (_bound(second.lower), second.unit, second.ucum) == ((221, False), "µmol/L", "umol/L")


def test_hard_cases_cohort_of_nested_items(nlp):
    text = ("Inclusion Criteria\n\n* For Idiopathic Inflammatory Myopathy (IIM):\n\n"
            "1. Have active IIM at screening, defined as meeting ≥3 of MMT-8 total score ≤141/150;\n"
            "* For Systemic Sclerosis (SSc):\n\n3. Disease duration ≤5 years (from initial diagnosis);\n")
    doc = criteria_nlp.annotate(text, nlp=nlp)
    cohorts = {c.text: doc.criteria[c.criterion].cohort for c in doc.constraints}
    assert cohorts["≤141/150"] == "Idiopathic Inflammatory Myopathy (IIM)"
    assert cohorts["≤5 years"] == "Systemic Sclerosis (SSc)"
    assert {c.section for c in doc.constraints} == {"inclusion"}


def test_hard_cases_temporal_window_prior_to_screening(nlp):
    text = "Participation in any other clinical trial (including cell or gene therapy) within 4 weeks prior to screening"
    c = _find(criteria_nlp.annotate(text, nlp=nlp), "within 4 weeks")
    assert (c.kind, _bound(c.upper), c.ucum, c.anchor, c.negated) == ("temporal", (4, True), "wk", "screening", False)


@pytest.mark.parametrize(
    "criterion,expected",
    [
        # one ratio with a pressure unit, or after blood-pressure words, gives both halves
        ("Uncontrolled hypertension: blood pressure ≥140/90 mmHg at screening",
         [("≥140/90 mmHg", "systolic", (140, True)), ("≥140/90 mmHg", "diastolic", (90, True))]),
        ("Systolic/diastolic blood pressure < 140/90",
         [("< 140/90", "systolic", None), ("< 140/90", "diastolic", None)]),
        # two thresholds whose subjects name the halves
        ("SBP >140 mmHg, DBP >90 mmHg",
         [(">140 mmHg", "systolic", (140, False)), (">90 mmHg", "diastolic", (90, False))]),
        ("hemoglobin ≥ 9 g/dL", [("≥ 9 g/dL", None, (9, True))]),
    ],
)
def test_hard_cases_paired_values_have_components(nlp, criterion, expected):
    doc = criteria_nlp.annotate(criterion, nlp=nlp)
    assert [(c.text, c.component, _bound(c.lower)) for c in doc.constraints] == expected


@pytest.mark.parametrize(
    "criterion,expr,direction,anchor",
    [
        ("Live vaccine within 4 weeks prior to screening", "within 4 weeks", "before", "screening"),
        ("Myocardial infarction in the past 6 months", "in the past 6 months", "before", None),
        ("Women must use contraception until 6 months after the last dose", "until 6 months", "after", "last dose"),
        ("Planned surgery within the next 3 months", "within the next 3 months", "after", None),
        ("Abnormal ECG within 4 weeks of screening", "within 4 weeks", None, "screening"),
        # a window sharing the anchor of the next one shares its direction
        ("Major surgery within 4 weeks or minor surgery within 2 weeks prior to screening",
         "within 4 weeks", "before", "screening"),
    ],
)
def test_hard_cases_temporal_direction(nlp, criterion, expr, direction, anchor):
    c = _find(criteria_nlp.annotate(criterion, nlp=nlp), expr)
    assert (c.kind, c.direction, c.anchor) == ("temporal", direction, anchor)
