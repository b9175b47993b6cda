"""Screening a patient against an annotated trial (criteria_nlp.screen).

The seed-trial tests compare the screener with corpus/patients/*.verdicts.json, verdicts a
person decided from the trial text and the patient's record (corpus/patients/README.md).
The screener may leave unknown what the person decided only where KNOWN_MISSES says why;
it may never decide otherwise than the person, nor decide what the person left unknown.
"""
import datetime as dt
import json
from pathlib import Path

import pytest

import criteria_nlp
from criteria_nlp.io import read_inputs
from criteria_nlp.io.readers import Record
from criteria_nlp.patient import Patient, read_patient
from criteria_nlp.screen import Screening, screen

REPO = Path(__file__).resolve().parents[1]
PATIENTS = REPO / "corpus" / "patients"
VERDICT_FILES = sorted(PATIENTS.glob("*.verdicts.json"))
AS_OF = dt.date(2026, 12, 1)

#: (patient, criterion excerpt) -> why the screener leaves unknown what the person decided.
KNOWN_MISSES: dict = {}
#: patient -> why the screener's overall verdict is `needs review` where the person decided.
KNOWN_OVERALL_MISSES: dict = {}


# ============================================================================ fixtures


@pytest.fixture(scope="module")
def rules():
    """The rules-only pipeline: the recognizer is not needed for these thresholds."""
    return criteria_nlp.load(entities=False)


def annotate(rules, text, structured=None):
    return next(criteria_nlp.annotate_records(
        [Record(id="t", text=text, structured=structured)], nlp=rules))


def person(**fields):
    data = {"id": "p", "birth_date": "1970-05-01", "sex": "female"}
    data.update(fields)
    return Patient.model_validate(data)


def obs(name, value, unit, code=None, date="2026-11-20"):
    return {"name": name, "code": code, "value": value, "unit": unit, "date": date}


def months_before(months, day=AS_OF):
    return (day - dt.timedelta(days=round(months * 30.4375))).isoformat()


def only_check(screening, criterion=0):
    checks = screening.criteria[criterion].checks
    assert len(checks) == 1, checks
    return checks[0]


@pytest.fixture(scope="module")
def seed_documents(nlp):
    """The seed trials as the `annotate` command reads them: ClinicalTrials.gov JSON (with
    the structured age and sex) where there is one, else the eligibility text."""
    inputs = sorted({json.loads(f.read_text(encoding="utf-8"))["trial_input"]
                     for f in VERDICT_FILES})
    missing = [path for path in inputs if not (REPO / path).exists()]
    if missing:
        pytest.skip(f"seed trial inputs not found: {missing}")
    records = read_inputs([str(REPO / path) for path in inputs])
    return {doc.id: doc for doc in criteria_nlp.annotate_records(records, nlp=nlp)}


def _verdicts(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _screen_file(path, seed_documents):
    wanted = _verdicts(path)
    document = seed_documents[wanted["trial"]]
    patient = read_patient(PATIENTS / wanted["patient_file"])
    return wanted, document, screen(document, patient, as_of=dt.date.fromisoformat(wanted["as_of"]))


def _criterion(document_or_screening, excerpt):
    hits = [c for c in document_or_screening.criteria if excerpt in c.text]
    assert len(hits) == 1, f"excerpt {excerpt!r} matches {len(hits)} criteria"
    return hits[0]


# ============================================================================ the corpus


def test_corpus_patients_read():
    trials = {}
    for path in VERDICT_FILES:
        wanted = _verdicts(path)
        source = PATIENTS / wanted["patient_file"]
        patient = read_patient(source)
        assert patient.id == wanted["patient"]
        fhir = json.loads(source.read_text(encoding="utf-8")).get("resourceType") == "Bundle"
        trials.setdefault(wanted["trial"], []).append(fhir)
        assert wanted["overall"] in ("eligible", "excluded", "needs review")
        for item in wanted["criteria"]:
            assert item["verdict"] in ("met", "not_met", "unknown") and item["why"]
    assert sorted(trials) == ["NCT06980805", "NCT07177911", "NCT07193810"]
    for trial, kinds in trials.items():
        assert 2 <= len(kinds) <= 3, trial
        assert any(kinds), f"{trial}: no patient as a FHIR Bundle"


@pytest.mark.parametrize("path", VERDICT_FILES, ids=lambda p: p.name.split(".")[0])
def test_corpus_excerpts_name_one_criterion(path, seed_documents):
    wanted = _verdicts(path)
    document = seed_documents[wanted["trial"]]
    for item in wanted["criteria"]:
        _criterion(document, item["excerpt"])


@pytest.mark.parametrize("path", VERDICT_FILES, ids=lambda p: p.name.split(".")[0])
def test_corpus_verdicts(path, seed_documents):
    """Every verdict the person decided, the screener decides the same, except known misses."""
    wanted, _, got = _screen_file(path, seed_documents)
    patient = wanted["patient"]
    for field, item in wanted["structured"].items():
        verdict = next(v.verdict for v in got.structured if v.field == field)
        assert verdict == item["verdict"], (patient, field, item["why"])
    for item in wanted["criteria"]:
        criterion = _criterion(got, item["excerpt"])
        key = (patient, item["excerpt"])
        if key in KNOWN_MISSES:
            assert criterion.verdict == "unknown" and item["verdict"] != "unknown", (
                f"{key} is no longer a miss ({criterion.verdict}): drop it from KNOWN_MISSES")
            continue
        assert criterion.verdict == item["verdict"], (
            patient, item["excerpt"], item["why"], criterion.reason)
    if patient in KNOWN_OVERALL_MISSES:
        assert got.overall == "needs review" != wanted["overall"], patient
    else:
        assert got.overall == wanted["overall"], (patient, got.reason)


def test_corpus_no_wrong_decisions(seed_documents):
    """No exemption here: the screener never says met or not met against the person, nor
    decides what the person left unknown, nor excludes a patient the person did not."""
    wrong = []
    for path in VERDICT_FILES:
        wanted, _, got = _screen_file(path, seed_documents)
        for item in wanted["criteria"]:
            verdict = _criterion(got, item["excerpt"]).verdict
            if verdict != "unknown" and verdict != item["verdict"]:
                wrong.append((wanted["patient"], item["excerpt"], item["verdict"], verdict))
        for field, item in wanted["structured"].items():
            verdict = next(v.verdict for v in got.structured if v.field == field)
            if verdict != "unknown" and verdict != item["verdict"]:
                wrong.append((wanted["patient"], field, item["verdict"], verdict))
        if got.overall != "needs review" and got.overall != wanted["overall"]:
            wrong.append((wanted["patient"], "overall", wanted["overall"], got.overall))
    assert not wrong


def test_known_misses_are_in_the_corpus():
    listed = {(_verdicts(p)["patient"], item["excerpt"]) for p in VERDICT_FILES
              for item in _verdicts(p)["criteria"]}
    assert set(KNOWN_MISSES) <= listed


# ============================================================================ units


def test_hemoglobin_in_g_per_l_against_a_g_per_l_bound(rules):
    doc = annotate(rules, "Exclusion Criteria:\n- Hemoglobin <85 g/L")
    got = screen(doc, person(observations=[obs("hemoglobin", 95, "g/L", "LOINC:718-7")]), AS_OF)
    check = only_check(got)
    assert (check.verdict, check.value, check.unit) == ("not_met", 95, "g/L")
    assert check.fact.code == "LOINC:718-7" and check.fact.date == dt.date(2026, 11, 20)
    assert got.criteria[0].verdict == "not_met" and got.overall == "eligible"


@pytest.mark.parametrize("value, verdict", [(9.5, "not_met"), (8.5, "not_met"), (8.4, "met")])
def test_hemoglobin_in_g_per_dl_against_a_g_per_l_bound(rules, value, verdict):
    doc = annotate(rules, "Exclusion Criteria:\n- Hemoglobin <85 g/L")
    got = screen(doc, person(observations=[obs("hemoglobin", value, "g/dL")]), AS_OF)
    check = only_check(got)
    assert check.verdict == verdict and check.value == pytest.approx(value * 10)
    assert got.overall == ("excluded" if verdict == "met" else "eligible")


def test_hemoglobin_in_g_per_dl(rules):
    doc = annotate(rules, "Inclusion Criteria:\n- Hb ≥ 9 g/dL")
    got = screen(doc, person(observations=[obs("Hemoglobin", 9.5, "g/dL", "LOINC:718-7")]), AS_OF)
    check = only_check(got)
    assert (check.verdict, check.value, check.unit) == ("met", 9.5, "g/dL")
    assert got.overall == "eligible"


def test_creatinine_in_umol_per_l_against_mg_per_dl(rules):
    doc = annotate(rules, "Inclusion Criteria:\n- Serum creatinine ≤ 1.5 mg/dL")
    got = screen(doc, person(observations=[obs("creatinine", 180, "umol/L")]), AS_OF)
    check = only_check(got)
    assert check.verdict == "not_met" and check.unit == "mg/dL"
    assert check.value == pytest.approx(2.04, abs=0.005)  # 180 / 88.42
    assert got.overall == "excluded"


@pytest.mark.parametrize("value, unit, converted, verdict", [
    (150, "10*9/L", 150, "met"),
    (150000, "/uL", 150, "met"),
    (80, "10*3/uL", 80, "not_met"),
    (150, "10^9/L", 150, "met"),
])
def test_platelets_in_counting_units(rules, value, unit, converted, verdict):
    doc = annotate(rules, "Inclusion Criteria:\n- Platelets ≥100 × 10^9/L")
    got = screen(doc, person(observations=[obs("platelets", value, unit, "LOINC:777-3")]), AS_OF)
    check = only_check(got)
    assert (check.verdict, check.value) == (verdict, converted)


AUTOANTIBODY = "Inclusion Criteria:\n* Are positive for at least one autoantibody at Screening."


@pytest.mark.parametrize("results, verdict, count", [
    ([obs("ANA titer", 320, "{titer}", "LOINC:5048-4")], "met", 1),  # 1:320, positive from 1:80
    ([obs("ANA titer", 40, "{titer}", "LOINC:5048-4")], "unknown", 0),  # 1:40: not positive
    ([dict(obs("anti-dsDNA antibody", None, None), value_text="Positive")], "met", 1),
    ([dict(obs("anti-Sm antibody", None, None), value_text="Negative")], "unknown", 0),
    ([dict(obs("anti-Sm antibody", None, None), value_text="Not positive")], "unknown", 0),
    ([dict(obs("anti-dsDNA antibody", None, None), value_text="Positive", date="2026-12-05")], "unknown", 0),
    ([obs("hemoglobin", 120, "g/L")], "unknown", 0),  # no test of the class
])
def test_a_count_of_positive_autoantibodies(rules, results, verdict, count):
    doc = annotate(rules, AUTOANTIBODY)
    check = only_check(screen(doc, person(observations=results), AS_OF))
    assert (check.kind, check.verdict, check.value) == ("count", verdict, count)


def test_two_results_of_one_test_count_once(rules):
    doc = annotate(rules, "Inclusion Criteria:\n- At least 2 positive autoantibodies")
    twice = [dict(obs("anti-dsDNA antibody", None, None, date=day), value_text="positive")
             for day in ("2026-10-01", "2026-11-20")]
    assert only_check(screen(doc, person(observations=twice), AS_OF)).verdict == "unknown"
    two = twice + [dict(obs("anti-Ro/SSA", None, None, date="2026-11-25"), value_text="Detected")]
    check = only_check(screen(doc, person(observations=two), AS_OF))
    assert (check.verdict, check.value, check.fact.name) == ("met", 2, "anti-Ro/SSA")


def test_a_count_of_a_narrower_class_is_not_checked(rules):
    """`myositis-specific autoantibody` is no class of the table: an ANA does not count."""
    doc = annotate(rules, "Inclusion Criteria:\n- Have at least one positive myositis-specific "
                          "autoantibody at or prior to screening")
    got = screen(doc, person(observations=[obs("ANA titer", 320, "{titer}", "LOINC:5048-4")]), AS_OF)
    assert got.criteria[0].checks[0].verdict == "unknown"


INLINE_RESULTS = ("Inclusion Criteria:\n- Meet at least one of the following: positive antinuclear "
                  "antibody (ANA) and/or anti-dsDNA antibody and/or anti-Sm antibody at screening;")


@pytest.mark.parametrize("results, verdict", [
    ([obs("Nuclear Ab [Titer] in Serum", 640, "{titer}", "LOINC:5048-4")], "met"),  # coded ANA, 1:640
    ([obs("Nuclear Ab [Titer] in Serum", 40, "{titer}", "LOINC:5048-4")], "unknown"),  # 1:40
    ([dict(obs("ANA screen", None, None), value_text="Positive")], "met"),  # named with `ANA`
    ([dict(obs("ANA screen", None, None), value_text="Negative")], "unknown"),  # never not met
    ([dict(obs("ANA screen", None, None, date="2026-12-05"), value_text="Positive")], "unknown"),  # after as_of
    ([dict(obs("anti-Sm antibody", None, None), value_text="Positive")], "unknown"),  # not the named test
    ([obs("hemoglobin", 120, "g/L")], "unknown"),
])
def test_a_positive_result_named_without_a_threshold(rules, results, verdict):
    """`at least one of: positive ANA and/or ...`: the recognised Value `positive` and its
    subject make a check of the very test named (the subject here is the ANA alone: the
    other alternatives are not checked, so the criterion is never not met)."""
    doc = annotate(rules, INLINE_RESULTS)
    got = screen(doc, person(observations=results), AS_OF)
    (criterion,) = got.criteria
    (check,) = criterion.checks
    assert (check.kind, check.constraint, check.subject) == ("qualitative", None, "antinuclear antibody (ANA)")
    assert (check.verdict, criterion.verdict) == (verdict, verdict)
    if verdict == "met":
        assert criterion.reason.startswith("1 of the named results positive (needs 1)")


def test_a_positive_result_takes_the_latest(rules):
    doc = annotate(rules, INLINE_RESULTS)
    results = [dict(obs("ANA screen", None, None, date="2026-06-01"), value_text="Positive"),
               dict(obs("ANA screen", None, None, date="2026-11-20"), value_text="Negative")]
    check = screen(doc, person(observations=results), AS_OF).criteria[0].checks[0]
    assert check.verdict == "unknown" and check.fact.value_text == "Negative"


DEFINED = ("Exclusion Criteria:\n- Severe anemia within 4 weeks prior to screening (defined as "
           "hemoglobin < 8 g/dL, or transfusion of red blood cells)")
ANEMIA_NOW = {"name": "anemia", "date": "2026-11-20", "status": "active"}
ANEMIA_PAST = {"name": "anemia", "date": "2025-01-01", "end": "2025-03-01", "status": "resolved"}


@pytest.mark.parametrize("hemoglobin, condition, verdict", [
    (7.5, ANEMIA_NOW, "met"),  # anemia in the window, severe as the bracket defines it
    (9.5, ANEMIA_NOW, "unknown"),  # not severe by hemoglobin; the transfusion is not checked
    (None, ANEMIA_NOW, "unknown"),  # no hemoglobin: how severe is not known
    (7.5, ANEMIA_PAST, "not_met"),  # no anemia in the window, nothing after the bracket
])
def test_a_bracket_that_defines_the_qualifier(rules, hemoglobin, condition, verdict):
    """`Severe X within 4 weeks (defined as A, or B)`: the window is the record's `X`, the
    bracket says what `severe` means."""
    doc = annotate(rules, DEFINED)
    results = [obs("hemoglobin", hemoglobin, "g/dL", "LOINC:718-7")] if hemoglobin else []
    got = screen(doc, person(observations=results, conditions=[condition]), AS_OF)
    (criterion,) = got.criteria
    assert criterion.verdict == verdict
    if verdict != "unknown":
        window = criterion.checks[0]
        assert (window.kind, window.subject, window.fact.name) == ("temporal", "anemia", "anemia")


@pytest.mark.parametrize("criterion", [
    "Severe anemia within 4 weeks prior to screening requiring transfusion (defined as hemoglobin < 8 g/dL)",
    "Severe anemia within 4 weeks prior to screening unless transfused (defined as hemoglobin < 8 g/dL)",
])
def test_a_defining_bracket_after_a_condition_stays_open(rules, criterion):
    """Words before the bracket that no check covers (`requiring ...`, `unless ...`) keep a
    criterion whose checks are all met from being met."""
    doc = annotate(rules, "Exclusion Criteria:\n- " + criterion)
    got = screen(doc, person(observations=[obs("hemoglobin", 7.5, "g/dL", "LOINC:718-7")],
                             conditions=[ANEMIA_NOW]), AS_OF)
    assert got.criteria[0].verdict != "met"


def test_a_bracket_of_examples_defines_nothing(rules):
    doc = annotate(rules, "Exclusion Criteria:\n- Severe anemia within 4 weeks prior to screening "
                          "(e.g., hemoglobin < 8 g/dL)")
    got = screen(doc, person(observations=[obs("hemoglobin", 7.5, "g/dL", "LOINC:718-7")],
                             conditions=[ANEMIA_NOW]), AS_OF)
    assert got.criteria[0].verdict == "unknown"  # `severe anemia` is in no record


def test_a_multiple_of_uln_without_a_range_between_the_bounds_is_unknown(rules):
    doc = annotate(rules, "Inclusion Criteria:\n- ALT ≤ 2.5 × ULN")
    got = screen(doc, person(observations=[obs("ALT", 100, "U/L", "LOINC:1742-6")]), AS_OF)
    check = only_check(got)  # 2.5 x 19 < 100 < 2.5 x 79: depends on the laboratory
    assert check.verdict == "unknown" and "ULN" in check.reason
    assert check.fact is not None and check.fact.value == 100  # the value is shown
    assert got.criteria[0].verdict == "unknown" and got.overall == "needs review"


def test_a_missing_observation_is_unknown(rules):
    doc = annotate(rules, "Inclusion Criteria:\n- Hb ≥ 9 g/dL")
    got = screen(doc, person(observations=[obs("platelets", 150, "10*9/L")]), AS_OF)
    check = only_check(got)
    assert check.verdict == "unknown" and check.reason.startswith("no LOINC:718-7 (Hb)")
    assert got.unknowns == [0] and got.overall == "needs review"


def test_observations_after_as_of_are_not_used(rules):
    doc = annotate(rules, "Inclusion Criteria:\n- Hb ≥ 9 g/dL")
    patient = person(observations=[obs("hemoglobin", 8, "g/dL", date="2026-11-01"),
                                   obs("hemoglobin", 12, "g/dL", date="2026-12-05")])
    assert only_check(screen(doc, patient, AS_OF)).value == 8


def test_a_unit_that_cannot_be_converted_is_unknown(rules):
    doc = annotate(rules, "Inclusion Criteria:\n- Hb ≥ 9 g/dL")
    got = screen(doc, person(observations=[obs("hemoglobin", 9, "U/L")]), AS_OF)
    check = only_check(got)
    assert check.verdict == "unknown" and "cannot convert" in check.reason


@pytest.mark.parametrize("value, verdict", [(86, "met"), (64, "not_met")])
def test_hba1c_mmol_per_mol_against_percent(rules, value, verdict):
    """The IFCC-NGSP master equation: 86 mmol/mol is 10.0 %, 64 mmol/mol 8.0 %."""
    doc = annotate(rules, "Exclusion Criteria:\n- HbA1c > 9%")
    check = only_check(screen(doc, person(observations=[obs("HbA1c", value, "mmol/mol")]), AS_OF))
    assert check.verdict == verdict
    assert check.value == pytest.approx(0.09148 * value + 2.152, abs=1e-6)


def test_unitless_scores(rules):
    doc = annotate(rules, "Inclusion Criteria:\n- ECOG ≤ 1")
    assert only_check(screen(doc, person(observations=[obs("ECOG", 1, "{score}")]), AS_OF)
                      ).verdict == "met"
    assert only_check(screen(doc, person(observations=[obs("ECOG", 2, None)]), AS_OF)
                      ).verdict == "not_met"
    assert only_check(screen(doc, person(observations=[obs("ECOG", 1, "mg")]), AS_OF)
                      ).verdict == "unknown"


# ============================================================================ logic


REQUIRE = """Inclusion Criteria:
- At least two of the following:
  - Hemoglobin ≥ 9 g/dL
  - Platelets ≥100 × 10^9/L
  - Serum creatinine ≤ 1.5 mg/dL
"""


@pytest.mark.parametrize("hb, plt, verdict, overall", [
    (10, 150, "met", "eligible"),
    (8, 80, "not_met", "excluded"),
    (10, 80, "unknown", "needs review"),
])
def test_require_at_least_n_items(rules, hb, plt, verdict, overall):
    doc = annotate(rules, REQUIRE)
    assert doc.criteria[0].require is not None and [c.parent for c in doc.criteria[1:]] == [0] * 3
    patient = person(observations=[obs("hemoglobin", hb, "g/dL"), obs("platelets", plt, "10*9/L")])
    got = screen(doc, patient, AS_OF)
    assert got.criteria[0].verdict == verdict
    assert [c.counts for c in got.criteria] == [True, False, False, False]
    assert got.criteria[3].verdict == "unknown"  # no creatinine: counts through the parent only
    assert got.overall == overall
    assert got.unknowns == ([0] if verdict == "unknown" else [])


def test_require_with_inline_alternatives_is_met_by_one(rules):
    doc = annotate(rules, "Inclusion Criteria:\n- Meet at least one of the following: "
                          "hemoglobin ≥ 9 g/dL, or positive anti-dsDNA antibody")
    assert doc.criteria[0].require is not None
    met = screen(doc, person(observations=[obs("hemoglobin", 10, "g/dL")]), AS_OF)
    assert met.criteria[0].verdict == "met"
    low = screen(doc, person(observations=[obs("hemoglobin", 8, "g/dL")]), AS_OF)
    assert low.criteria[0].verdict == "unknown"  # the antibody may still be positive


@pytest.mark.parametrize("platelets, check, verdict, overall", [
    (30, "met", "not_met", "excluded"),
    (150, "not_met", "met", "eligible"),
])
def test_negated_constraint(rules, platelets, check, verdict, overall):
    doc = annotate(rules, "Inclusion Criteria:\n- Must have no platelet count < 50 × 10^9/L")
    assert doc.constraints[0].negated
    got = screen(doc, person(observations=[obs("platelets", platelets, "10*9/L")]), AS_OF)
    assert only_check(got).verdict == check and only_check(got).negated
    assert got.criteria[0].verdict == verdict and got.overall == overall


@pytest.mark.parametrize("creatinine, overall, unknowns", [
    (1.0, "eligible", []),
    (2.5, "excluded", []),
    (None, "needs review", [1]),
])
def test_inclusion_and_exclusion(rules, creatinine, overall, unknowns):
    doc = annotate(rules, "Inclusion Criteria:\n- Age ≥ 18 years\n"
                          "Exclusion Criteria:\n- Serum creatinine > 2 mg/dL")
    values = [] if creatinine is None else [obs("creatinine", creatinine, "mg/dL")]
    got = screen(doc, person(observations=values), AS_OF)
    assert got.criteria[0].verdict == "met"
    assert got.overall == overall and got.unknowns == unknowns
    if overall == "excluded":
        assert got.reason.startswith("exclusion 1 met")


def test_a_failed_inclusion_excludes(rules):
    doc = annotate(rules, "Inclusion Criteria:\n- Age ≥ 18 years\n- Hb ≥ 9 g/dL")
    got = screen(doc, person(birth_date="2012-01-01", observations=[]), AS_OF)
    assert [c.verdict for c in got.criteria] == ["not_met", "unknown"]
    assert got.overall == "excluded" and got.reason.startswith("inclusion 0 not met")


MI = "Exclusion Criteria:\n- Myocardial infarction within 6 months prior to screening"


@pytest.mark.parametrize("fact, verdict", [
    ({"date": months_before(3)}, "met"),  # onset 3 months before, end not recorded
    ({"date": months_before(8), "end": months_before(7.5)}, "not_met"),
    ({"date": months_before(8)}, "unknown"),  # may have lasted into the window
    ({"date": months_before(8), "status": "active"}, "met"),  # still going on
    ({"date": months_before(8), "status": "resolved"}, "unknown"),
    ({"date": None}, "unknown"),
], ids=["3-months", "ended-before", "end-unknown", "active", "resolved-no-end", "no-date"])
def test_temporal_condition(rules, fact, verdict):
    doc = annotate(rules, MI)
    patient = person(conditions=[{"name": "Acute myocardial infarction", **fact}])
    got = screen(doc, patient, AS_OF)
    check = only_check(got)
    assert check.verdict == verdict, check.reason
    assert check.fact is not None and check.fact.kind == "condition"
    assert got.overall == {"met": "excluded", "not_met": "eligible"}.get(verdict, "needs review")


def test_temporal_elapsed_time_is_in_the_constraints_unit(rules):
    patient = person(conditions=[{"name": "myocardial infarction", "date": "2026-09-01"}])
    got = screen(annotate(rules, MI), patient, AS_OF)
    check = only_check(got)
    assert check.unit == "months" and check.value == pytest.approx(91 / 30.4375)


def test_temporal_without_a_matching_fact_is_unknown(rules):
    doc = annotate(rules, MI)
    got = screen(doc, person(conditions=[{"name": "stroke", "date": months_before(2)}]), AS_OF)
    assert only_check(got).verdict == "unknown" and "no condition" in only_check(got).reason


def test_temporal_procedure(rules):
    doc = annotate(rules, "Exclusion Criteria:\n- Received CAR-T therapy within 6 months "
                          "prior to screening.")
    recent = person(procedures=[{"name": "CD19 CAR-T therapy", "date": months_before(3)}])
    old = person(procedures=[{"name": "CD19 CAR-T therapy", "date": months_before(9)}])
    assert screen(doc, recent, AS_OF).overall == "excluded"
    assert screen(doc, old, AS_OF).criteria[0].verdict == "not_met"
    not_done = person(procedures=[{"name": "CAR-T therapy", "date": months_before(3),
                                   "status": "not-done"}])
    assert screen(doc, not_done, AS_OF).criteria[0].verdict == "unknown"


def test_an_alternative_left_open_keeps_an_exclusion_unknown(rules):
    doc = annotate(rules, "Exclusion Criteria:\n- Major surgery within 4 weeks or minor "
                          "surgery within 2 weeks prior to screening")
    six_weeks = person(procedures=[{"name": "major surgery", "date": months_before(1.4)}])
    got = screen(doc, six_weeks, AS_OF)
    assert got.criteria[0].checks[0].verdict == "not_met"
    assert got.criteria[0].verdict == "unknown"  # minor surgery is not recorded either way
    three_weeks = person(procedures=[{"name": "major surgery", "date": months_before(0.7)}])
    assert screen(doc, three_weeks, AS_OF).criteria[0].verdict == "met"


@pytest.mark.parametrize("value, high, verdict, multiple", [
    (30, 33, "met", 0.9090909091), (82.5, 33, "met", 2.5), (90, 33, "not_met", 2.727272727)])
def test_a_multiple_of_uln_against_the_range_given_with_the_result(rules, value, high, verdict, multiple):
    doc = annotate(rules, "Inclusion Criteria:\n- ALT ≤ 2.5 × ULN")
    alt = dict(obs("ALT", value, "U/L", "LOINC:1742-6"), reference_high=high)
    check = only_check(screen(doc, person(observations=[alt]), AS_OF))
    assert (check.verdict, check.value, check.unit) == (verdict, multiple, "x ULN")
    assert f"x ULN ({high} U/L)" in check.reason


# ---------------------------------------------------------------- reference-limit bounds

ALT_OVER = "Exclusion Criteria:\n- ALT > 2 × ULN"
TBIL_UNDER = "Inclusion Criteria:\n- Total bilirubin ≤ 1.5 × ULN"


@pytest.mark.parametrize("text, name, code, value, unit, verdict, says", [
    # ALT: lowest ULN in use 19 U/L, highest 79 U/L
    (ALT_OVER, "ALT", "LOINC:1742-6", 30, "U/L", "not_met",
     "30 U/L on 2026-11-20 < 2 x 19 U/L, the lowest ULN in use"),
    (ALT_OVER, "ALT", "LOINC:1742-6", 38, "U/L", "not_met",
     "= 2 x 19 U/L, the lowest ULN in use"),  # not > 2x at a laboratory whose ULN is 19
    (ALT_OVER, "ALT", "LOINC:1742-6", 160, "U/L", "met", "> 2 x 79 U/L, the highest ULN in use"),
    # total bilirubin: lowest ULN 0.99 mg/dL, highest 1.23 mg/dL; µmol/L converted
    (TBIL_UNDER, "total bilirubin", "LOINC:1975-2", 20, "umol/L", "met",
     "20 umol/L = 1.16932 mg/dL on 2026-11-20 < 1.5 x 0.99 mg/dL, the lowest ULN in use"),
    (TBIL_UNDER, "total bilirubin", "LOINC:1975-2", 40, "µmol/L", "not_met",
     "= 2.33864 mg/dL on 2026-11-20 > 1.5 x 1.23 mg/dL, the highest ULN in use"),
    (TBIL_UNDER, "total bilirubin", "LOINC:1975-2", 1.4, "mg/dL", "met",
     "1.4 mg/dL on 2026-11-20 < 1.5 x 0.99"),
    (TBIL_UNDER, "total bilirubin", "LOINC:1975-2", 2.0, "mg/dL", "not_met",
     "2 mg/dL on 2026-11-20 > 1.5 x 1.23"),
])
def test_a_multiple_of_uln_without_a_range_is_decided_by_the_bounds(rules, text, name, code, value,
                                                                    unit, verdict, says):
    check = only_check(screen(annotate(rules, text), person(observations=[obs(name, value, unit, code)]),
                              AS_OF))
    assert check.verdict == verdict and says in check.reason
    # the table decided (its row names the sources), not the patient's range
    assert f"(reference_limits.tsv, the {name.lower()} row, with its sources)" in check.reason
    assert check.reason.endswith("at any laboratory; the record carries no reference range")


@pytest.mark.parametrize("text, name, code, value, unit", [
    (ALT_OVER, "ALT", "LOINC:1742-6", 100, "U/L"),  # 2 x 19 < 100 < 2 x 79
    (ALT_OVER, "ALT", "LOINC:1742-6", 158, "U/L"),  # 2 x 79 exactly: not > 2x at that laboratory
    (TBIL_UNDER, "total bilirubin", "LOINC:1975-2", 30, "umol/L"),  # 1.754 mg/dL, 1.43-1.77 x ULN
    (TBIL_UNDER, "total bilirubin", "LOINC:1975-2", 1.5, "mg/dL"),
])
def test_a_multiple_of_uln_between_the_bounds_stays_unknown(rules, text, name, code, value, unit):
    check = only_check(screen(annotate(rules, text), person(observations=[obs(name, value, unit, code)]),
                              AS_OF))
    assert check.verdict == "unknown"
    assert "for the ULNs in use" in check.reason and "at some laboratories, not at others" in check.reason


@pytest.mark.parametrize("value, high, verdict", [(30, 10, "met"), (160, 100, "not_met")])
def test_the_range_given_with_the_result_wins_over_the_bounds(rules, value, high, verdict):
    # the bounds alone would decide the other way (30 < 2 x 19; 160 > 2 x 79)
    alt = dict(obs("ALT", value, "U/L", "LOINC:1742-6"), reference_high=high)
    check = only_check(screen(annotate(rules, ALT_OVER), person(observations=[alt]), AS_OF))
    assert check.verdict == verdict and check.unit == "x ULN"
    assert f"x ULN ({high} U/L)" in check.reason and "reference_limits" not in check.reason


@pytest.mark.parametrize("text, name, code, value, unit, missing", [
    ("Inclusion Criteria:\n- LDH ≤ 2.5 × ULN", "LDH", "LOINC:2532-0", 900, "U/L",
     "ULN bounds for LOINC:2532-0"),  # no row
    ("Inclusion Criteria:\n- ALT ≥ 0.5 × LLN", "ALT", "LOINC:1742-6", 1, "U/L",
     "LLN bounds for LOINC:1742-6"),  # a row without LLN bounds
])
def test_a_multiple_of_a_limit_without_bounds_stays_unknown(rules, text, name, code, value, unit,
                                                            missing):
    check = only_check(screen(annotate(rules, text), person(observations=[obs(name, value, unit, code)]),
                              AS_OF))
    assert check.verdict == "unknown"
    assert "carries no reference range" in check.reason and missing in check.reason


HB_LLN = ("# version: test\n"
          "LOINC:718-7\themoglobin\tg/dL\t-\t-\t11.6\t14\tlowest: a; highest: b\n")


@pytest.mark.parametrize("value, unit, verdict", [
    (13, "g/dL", "met"),  # 13 / 14 = 0.93 x LLN at the least: >= 0.9 x LLN anywhere
    (130, "g/L", "met"),
    (10, "g/dL", "not_met"),  # 10 / 11.6 = 0.86 x LLN at the most
    (12, "g/dL", "unknown"),  # 0.86-1.03 x LLN
])
def test_a_multiple_of_lln_is_decided_by_the_lln_bounds(rules, monkeypatch, value, unit, verdict):
    from criteria_nlp import reference_limits

    table = reference_limits.ReferenceLimitTable(HB_LLN)
    monkeypatch.setattr(reference_limits, "get_reference_limits", lambda: table)
    doc = annotate(rules, "Inclusion Criteria:\n- Hemoglobin ≥ 0.9 x LLN")
    hb = obs("hemoglobin", value, unit, "LOINC:718-7")
    check = only_check(screen(doc, person(observations=[hb]), AS_OF))
    assert check.verdict == verdict and "LLN" in check.reason


def test_reference_limits_file_loads_with_sources():
    from criteria_nlp.concepts import get_concepts
    from criteria_nlp.reference_limits import get_reference_limits

    table = get_reference_limits()
    assert table.version and table is get_reference_limits()
    codes = {row.code for row in table}
    assert {"LOINC:1742-6", "LOINC:1920-8", "LOINC:1975-2", "LOINC:6768-6", "LOINC:2324-2",
            "LOINC:2160-0"} <= codes  # ALT, AST, total bilirubin, ALP, GGT, creatinine
    for row in table:
        concept = get_concepts().by_code(row.code)
        assert concept is not None and row.unit == concept.unit
        assert row.source.strip() and "lowest:" in row.source and "highest:" in row.source
        assert row.uln is not None or row.lln is not None
        for pair in (row.uln, row.lln):
            assert pair is None or 0 < pair[0] <= pair[1]


@pytest.mark.parametrize("row, reason", [
    ("LOINC:1742-6\talt\tU/L\t79\t19\t-\t-\tlowest: a", "lowest <= highest"),
    ("LOINC:1742-6\talt\tU/L\t19\t-\t-\t-\tlowest: a", "numbers or both `-`"),
    ("LOINC:1742-6\talt\tU/L\t-\t-\t-\t-\tlowest: a", "no limits"),
    ("LOINC:1742-6\talt\tU/L\t19\t79\t-\t-\t", "no source"),
    ("LOINC:1742-6\talt\tkat/L\t19\t79\t-\t-\tlowest: a", "not LOINC:1742-6's unit"),
    ("LOINC:1742-6\tast\tU/L\t19\t79\t-\t-\tlowest: a", "does not find LOINC:1742-6"),
    ("LOINC:1-1\talt\tU/L\t19\t79\t-\t-\tlowest: a", "no concept"),
    ("LOINC:1742-6\talt\tU/L\t19\t79\t-\tlowest: a", "expected 8 TAB-separated columns"),
])
def test_reference_limits_bad_row_names_its_line(row, reason):
    from criteria_nlp.reference_limits import ReferenceLimitTable

    with pytest.raises(ValueError, match=reason) as err:
        ReferenceLimitTable(f"# version: test\n\n{row}\n")
    assert err.value.line == 3 and "reference_limits.tsv:3" in str(err.value)


LABS = ("Exclusion Criteria:\n- Abnormal laboratory findings: ALT > 2 × ULN; hemoglobin "
        "< 85 g/L, platelet count < 50 × 10^9/L.")


def test_one_item_of_an_exclusion_list_excludes(rules):
    doc = annotate(rules, LABS)
    low = person(observations=[obs("platelets", 42, "10*9/L"), obs("hemoglobin", 120, "g/L")])
    got = screen(doc, low, AS_OF)
    assert got.criteria[0].verdict == "met" and got.overall == "excluded"
    normal = person(observations=[obs("platelets", 242, "10*9/L"), obs("hemoglobin", 120, "g/L"),
                                  obs("ALT", 20, "U/L")])
    got = screen(doc, normal, AS_OF)
    assert got.criteria[0].checks[0].verdict == "not_met"  # ALT 20 < 2 x the lowest ULN in use
    # every item of the list is checked and none holds: the exclusion is not met
    assert got.criteria[0].verdict == "not_met" and "no item of the list" in got.criteria[0].reason
    ranged = person(observations=[obs("platelets", 242, "10*9/L"), obs("hemoglobin", 120, "g/L"),
                                  dict(obs("ALT", 20, "U/L"), reference_high=40)])
    got = screen(doc, ranged, AS_OF)  # 0.5 x ULN: no check on the list holds
    assert [(c.subject, c.verdict) for c in got.criteria[0].checks] == [
        ("ALT", "not_met"), ("hemoglobin", "not_met"), ("platelet count", "not_met")]
    assert got.criteria[0].checks[0].value == 0.5
    assert got.criteria[0].verdict == "not_met"
    unchecked = person(observations=[obs("platelets", 242, "10*9/L"), obs("hemoglobin", 120, "g/L")])
    got = screen(doc, unchecked, AS_OF)  # no ALT in the record: one item stays open
    assert got.criteria[0].verdict == "unknown"


@pytest.mark.parametrize("text", [
    # an item without a threshold (`active infection`) may be what excludes
    "Exclusion Criteria:\n- Active infection; hemoglobin < 85 g/L, platelet count < 50 × 10^9/L.",
    # `or` names alternatives the checks may not cover
    "Exclusion Criteria:\n- Hemoglobin < 85 g/L or any other abnormal laboratory value.",
])
def test_an_exclusion_list_with_an_unchecked_item_stays_open(rules, text):
    doc = annotate(rules, text)
    normal = person(observations=[obs("platelets", 242, "10*9/L"), obs("hemoglobin", 120, "g/L")])
    got = screen(doc, normal, AS_OF)
    assert {c.verdict for c in got.criteria[0].checks} == {"not_met"}
    assert got.criteria[0].verdict == "unknown"


@pytest.mark.parametrize("values,verdict", [
    ([("AST", 28), ("ALT", 30)], "not_met"),  # both under 2 x 19 and 2 x 30 U/L
    ([("AST", 28), ("ALT", 200)], "met"),  # ALT over 2 x 79 U/L, the highest ULN in use
    ([("AST", 28)], "unknown"),  # ALT not in the record
    ([("AST", 28), ("ALT", 50)], "unknown"),  # ALT 50: over 2 x ULN at some laboratories only
])
def test_a_slash_pair_is_checked_member_by_member(rules, values, verdict):
    doc = annotate(rules, "Exclusion Criteria:\n- AST/ALT > 2 × ULN")
    assert doc.constraints[0].subject.text == "AST/ALT"
    got = screen(doc, person(observations=[obs(name, value, "U/L") for name, value in values]), AS_OF)
    check = only_check(got)
    assert check.subject == "AST/ALT" and check.verdict == verdict
    assert check.reason.count("x ULN") >= 1 and "AST" in check.reason


def test_a_slash_pair_under_an_upper_bound_needs_both(rules):
    doc = annotate(rules, "Inclusion Criteria:\n- ALT/AST ≤ 2.5 × ULN")
    both = person(observations=[dict(obs("ALT", 30, "U/L"), reference_high=40),
                                dict(obs("AST", 30, "U/L"), reference_high=40)])
    assert only_check(screen(doc, both, AS_OF)).verdict == "met"
    one_over = person(observations=[dict(obs("ALT", 30, "U/L"), reference_high=40),
                                    dict(obs("AST", 130, "U/L"), reference_high=40)])
    assert only_check(screen(doc, one_over, AS_OF)).verdict == "not_met"
    one_missing = person(observations=[dict(obs("ALT", 30, "U/L"), reference_high=40)])
    assert only_check(screen(doc, one_missing, AS_OF)).verdict == "unknown"


def test_a_condition_the_checks_do_not_cover_keeps_met_open(rules):
    doc = annotate(rules, "Exclusion Criteria:\n- Patients with diabetes and HbA1c > 9%")
    got = screen(doc, person(observations=[obs("HbA1c", 10, "%")]), AS_OF)
    assert only_check(got).verdict == "met"
    assert got.criteria[0].verdict == "unknown"  # diabetes is not checked
    got = screen(doc, person(observations=[obs("HbA1c", 6, "%")]), AS_OF)
    assert got.criteria[0].verdict == "not_met"


def test_conditional_constraint(rules):
    doc = annotate(rules, "Inclusion Criteria:\n- If receiving glucocorticoids, the dose must "
                          "be ≤40 mg/day")
    got = screen(doc, person(medications=[{"name": "prednisone", "date": "2026-10-01"}]), AS_OF)
    assert only_check(got).verdict == "unknown" and "conditional" in only_check(got).reason


@pytest.mark.parametrize("text,sex,value,verdict", [
    # each threshold holds for one sex: the other sex's is not checked (never a wrong not met)
    ("Inclusion Criteria:\n- Hemoglobin ≥ 13 g/dL for men and ≥ 12 g/dL for women", "female", 12.5, "unknown"),
    ("Inclusion Criteria:\n- Hemoglobin ≥ 13 g/dL for men and ≥ 12 g/dL for women", "female", 11, "not_met"),
    ("Inclusion Criteria:\n- Hemoglobin ≥ 13 g/dL for men and ≥ 12 g/dL for women", "male", 12.5, "not_met"),
    ("Exclusion Criteria:\n- Anemia: Hb < 13 g/dL in men or < 12 g/dL in women", "male", 12.5, "met"),
    ("Exclusion Criteria:\n- Anemia: Hb < 13 g/dL in men or < 12 g/dL in women", "female", 11, "met"),
    ("Exclusion Criteria:\n- Anemia: Hb < 13 g/dL in men or < 12 g/dL in women", "female", 12.5, "unknown"),
    ("Exclusion Criteria:\n- Anemia: Hb < 13 g/dL in men or < 12 g/dL in women", None, 11, "unknown"),
])
def test_a_threshold_for_one_sex_is_checked_for_that_sex_only(rules, text, sex, value, verdict):
    got = screen(annotate(rules, text), person(sex=sex, observations=[obs("Hemoglobin", value, "g/dL")]), AS_OF)
    assert got.criteria[0].verdict == verdict
    held = [c for c in got.criteria[0].checks if "holds for" in c.reason]
    assert len(held) == (1 if sex is not None else 2)


def test_a_criterion_without_constraints(rules):
    doc = annotate(rules, "Inclusion Criteria:\n- Signed informed consent")
    got = screen(doc, person(), AS_OF)
    assert got.criteria[0].verdict == "unknown"
    assert got.criteria[0].reason == "no checkable constraint"


def test_a_trial_without_criteria_is_never_eligible(rules):
    doc = annotate(rules, "   ", structured=CTGOV)
    assert doc.criteria == [] and doc.errors
    assert screen(doc, person(), AS_OF).overall == "needs review"
    assert screen(doc, person(sex="male"), AS_OF).overall == "excluded"


def test_a_criterion_outside_any_section_keeps_eligible_open(rules):
    got = screen(annotate(rules, "Hb ≥ 9 g/dL"), person(observations=[obs("Hb", 10, "g/dL")]),
                 AS_OF)
    assert got.criteria[0].section is None and got.criteria[0].verdict == "met"
    assert got.overall == "needs review"


COHORTS = """Inclusion Criteria:
* For Cohort A:

1. Hemoglobin ≥ 9 g/dL
* For Cohort B:

1. Platelets ≥ 100 × 10^9/L
* Age ≥ 18 years
"""


@pytest.mark.parametrize("plt, overall", [(150, "eligible"), (80, "excluded")])
def test_a_patient_needs_to_fit_one_cohort(rules, plt, overall):
    doc = annotate(rules, COHORTS)
    assert [c.cohort for c in doc.criteria] == ["Cohort A", "Cohort B", None]
    patient = person(observations=[obs("hemoglobin", 8, "g/dL"), obs("platelets", plt, "10*9/L")])
    got = screen(doc, patient, AS_OF)
    assert got.criteria[0].verdict == "not_met"
    assert got.overall == overall


# ============================================================================ age and sex


CTGOV = {"minimumAge": "18 Years", "maximumAge": "65 Years", "sex": "FEMALE"}


def test_structured_sex(rules):
    doc = annotate(rules, "Inclusion Criteria:\n- Hb ≥ 9 g/dL", structured=CTGOV)
    male = person(sex="male", observations=[obs("Hb", 10, "g/dL")])
    got = screen(doc, male, AS_OF)
    assert [(v.field, v.verdict) for v in got.structured] == [("age", "met"), ("sex", "not_met")]
    assert got.overall == "excluded" and got.reason.startswith("inclusion sex not met")
    female = person(observations=[obs("Hb", 10, "g/dL")])
    assert screen(doc, female, AS_OF).overall == "eligible"
    unknown = person(sex=None, observations=[obs("Hb", 10, "g/dL")])
    assert screen(doc, unknown, AS_OF).overall == "needs review"


@pytest.mark.parametrize("born, verdict", [
    ("1961-05-10", "met"),  # 65 years 7 months: aged 65, inside 18-65 years
    ("1960-11-30", "not_met"),  # 66 the day before
    ("2008-12-01", "met"),  # 18th birthday on the day
    ("2008-12-02", "not_met"),  # 18 tomorrow
])
def test_age_in_completed_years(rules, born, verdict):
    doc = annotate(rules, "Inclusion Criteria:\n- Aged 18-65 years", structured=CTGOV)
    got = screen(doc, person(birth_date=born), AS_OF)
    assert got.criteria[0].verdict == verdict
    assert got.structured[0].verdict == verdict


def test_age_over_a_strict_lower_bound_in_the_year_after_it_is_unknown(rules):
    doc = annotate(rules, "Inclusion Criteria:\n- Age > 18 years")
    assert screen(doc, person(birth_date="2008-06-01"), AS_OF).criteria[0].verdict == "unknown"
    assert screen(doc, person(birth_date="2006-06-01"), AS_OF).criteria[0].verdict == "met"


def test_age_at_an_event_is_not_the_age_today(rules):
    doc = annotate(rules, "Inclusion Criteria:\n- Age at diagnosis ≥ 18 years")
    check = only_check(screen(doc, person(), AS_OF))
    assert check.verdict == "unknown" and "event" in check.reason


def test_patient_without_age(rules):
    doc = annotate(rules, "Inclusion Criteria:\n- Age ≥ 18 years")
    got = screen(doc, person(birth_date=None), AS_OF)
    assert got.criteria[0].verdict == "unknown"


# ============================================================================ output


def test_patient_given_as_plain_json(rules):
    doc = annotate(rules, "Inclusion Criteria:\n- Hb ≥ 9 g/dL")
    data = {"id": "p1", "birth_date": "1970-05-01", "sex": "female",
            "observations": [{"name": "hemoglobin", "code": "LOINC:718-7", "value": 9.5,
                              "unit": "g/dL", "date": "2026-11-20"}]}
    for source in (data, json.dumps(data)):
        assert screen(doc, source, AS_OF).overall == "eligible"


def test_json_schema_and_a_round_trip(rules):
    jsonschema = pytest.importorskip("jsonschema")
    schema = Screening.model_json_schema()
    assert schema["properties"]["overall"]["enum"] == ["eligible", "excluded", "needs review"]
    doc = annotate(rules, REQUIRE, structured=CTGOV)
    got = screen(doc, person(observations=[obs("hemoglobin", 95, "g/L")]), AS_OF)
    data = json.loads(got.model_dump_json())
    jsonschema.validate(data, schema)
    assert Screening.model_validate(data) == got


def test_table_lists_every_criterion(rules):
    doc = annotate(rules, REQUIRE + "Exclusion Criteria:\n- Serum creatinine > 2 mg/dL\n",
                   structured=CTGOV)
    got = screen(doc, person(observations=[obs("hemoglobin", 10, "g/dL")]), AS_OF)
    table = got.to_table()
    lines = table.splitlines()
    assert lines[0].startswith("t | patient p | as of 2026-12-01 | needs review")
    rows = lines[3:]
    assert len(rows) == len(got.structured) + len(doc.criteria)
    labels = [row.split()[0] for row in rows]
    assert labels == ["age", "sex", "0", "(1)", "(2)", "(3)", "4"]
    assert all(len(line) <= 120 for line in lines[1:])
    assert all(len(line) <= 80 for line in got.to_table(width=80).splitlines()[1:])


@pytest.mark.parametrize("onset, verdict", [("2023-04-01", "met"), ("2019-04-01", "not_met")])
def test_disease_duration_from_the_cohort_condition(rules, onset, verdict):
    """`Disease duration ≤5 years` in a cohort's block: the time since that condition's onset."""
    doc = annotate(rules, "Inclusion Criteria:\n* For Systemic Sclerosis (SSc):\n\n"
                          "1. Disease duration ≤5 years (from initial diagnosis);")
    patient = person(conditions=[{"name": "diffuse cutaneous systemic sclerosis", "date": onset}])
    (check,) = [c for v in screen(doc, patient, AS_OF).criteria if v is not None for c in v.checks]
    assert check.verdict == verdict and check.fact.name == "diffuse cutaneous systemic sclerosis"


def test_disease_duration_named_in_the_subject(rules):
    doc = annotate(rules, "Inclusion Criteria:\n- Duration of diabetes ≥ 1 year")
    patient = person(conditions=[{"name": "type 2 diabetes", "date": "2026-06-01"}])
    check = only_check(screen(doc, patient, AS_OF))
    assert check.verdict == "not_met" and check.value == pytest.approx(183 / 365.25, abs=1e-3)


@pytest.mark.parametrize("diagnosed, verdict", [("2019-05-20", "not_met"), ("2024-02-01", "met")])
def test_a_class_and_a_diagnosis_window(rules, diagnosed, verdict):
    """`malignancy` matches a record of `breast cancer`; `diagnosed within` dates the
    diagnosis, not how long the condition lasted."""
    doc = annotate(rules, "Exclusion Criteria:\n* Concurrent malignancy diagnosed within 5 years prior to screening.")
    patient = person(conditions=[{"name": "breast cancer", "date": diagnosed, "status": "remission"}])
    check = only_check(screen(doc, patient, AS_OF))
    assert check.verdict == verdict and check.fact.name == "breast cancer"


@pytest.mark.parametrize("hemoglobin", [9.0, 11.0])
def test_an_exception_keeps_an_exclusion_from_being_met_or_not_met(rules, hemoglobin):
    """`Chemotherapy within 4 weeks, unless hemoglobin recovered to >= 10 g/dL`: the
    chemotherapy is in the window, but whether the exception holds decides; a threshold inside
    the exception is not the criterion's own. Unknown either way, never a wrong answer."""
    doc = annotate(rules, "Exclusion Criteria:\n* Chemotherapy within 4 weeks prior to screening, "
                          "unless hemoglobin recovered to >= 10 g/dL")
    patient = person(medications=[{"name": "chemotherapy", "date": "2026-11-20"}],
                     observations=[obs("hemoglobin", hemoglobin, "g/dL")])
    (verdict,) = [v for v in screen(doc, patient, AS_OF).criteria if v is not None]
    assert verdict.verdict == "unknown"
