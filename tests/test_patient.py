"""Tests of criteria_nlp.patient: the patient model read from a FHIR R4 Bundle or plain JSON."""
from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from criteria_nlp.errors import CriteriaNLPError
from criteria_nlp.patient import UCUM, Fact, Observation, Patient, PatientError, read_patient

DATA = Path(__file__).parent / "data" / "patients"
BUNDLE = DATA / "bundle.json"


@pytest.fixture(scope="module")
def bundle_patient() -> Patient:
    return read_patient(BUNDLE)


def bundle_dict() -> dict:
    return json.loads(BUNDLE.read_text(encoding="utf-8"))


# --- FHIR -----------------------------------------------------------------------------


def test_bundle_patient(bundle_patient):
    assert bundle_patient.id == "pt-1968"
    assert bundle_patient.birth_date == date(1968, 3, 14)
    assert bundle_patient.sex == "female"
    assert bundle_patient.age is None
    assert bundle_patient.age_on(date(2026, 12, 1)) == pytest.approx(58.72, abs=0.01)


def test_bundle_observations(bundle_patient):
    by_id = {(o.code, o.date): o for o in bundle_patient.observations}
    assert by_id["LOINC:718-7", date(2026, 11, 20)] == Observation(
        name="Hemoglobin", code="LOINC:718-7", value=95.0, unit="g/L", date=date(2026, 11, 20))
    # no effective time: the issued day; UCUM code rather than the unit text 10^9/L
    assert by_id["LOINC:777-3", date(2026, 11, 20)].unit == "10*9/L"
    assert by_id["LOINC:777-3", date(2026, 11, 20)].value == 180.0
    # effectivePeriod.start; no UCUM system: the unit text
    creatinine = by_id["LOINC:14682-9", date(2026, 11, 18)]
    assert (creatinine.name, creatinine.value, creatinine.unit) == ("Creatinine", 180.0, "µmol/L")
    hbsag = by_id["LOINC:5196-1", date(2026, 10, 2)]
    assert (hbsag.name, hbsag.value, hbsag.value_text) == ("HBsAg", None, "Positive")
    crp = by_id["LOINC:1988-5", date(2026, 11, 20)]
    assert (crp.value, crp.value_text, crp.unit) == (None, "<0.5", "mg/dL")
    assert [(o.code, o.value, o.unit) for o in bundle_patient.observations[-3:]] == [
        ("LOINC:85354-9", None, None), ("LOINC:8480-6", 128.0, "mm[Hg]"),
        ("LOINC:8462-4", 82.0, "mm[Hg]"),
    ]
    # the hemoglobin entered in error (2026-11-25) is left out
    assert date(2026, 11, 25) not in {o.date for o in bundle_patient.observations}
    assert len(bundle_patient.observations) == 9


def test_bundle_facts(bundle_patient):
    assert bundle_patient.conditions == [Fact(
        name="systemic lupus erythematosus", code="SNOMED:55464009", date=date(2019, 3, 1),
        status="active")]  # onset "2019-03"; the refuted tuberculosis left out
    assert bundle_patient.medications == [
        Fact(name="prednisone", code="RxNorm:8640", date=date(2026, 9, 1), status="active"),
        Fact(name="hydroxychloroquine", code="RxNorm:5521", date=date(2019, 4, 2),
             status="active"),
    ]
    assert bundle_patient.procedures == [
        Fact(name="kidney biopsy", date=date(2019, 2, 20), status="completed")]


def test_latest(bundle_patient):
    assert bundle_patient.latest("LOINC:718-7").value == 95.0
    assert bundle_patient.latest("LOINC:718-7").date == date(2026, 11, 20)
    older = bundle_patient.latest("LOINC:718-7", before=date(2026, 6, 1))
    assert (older.value, older.date) == (120.0, date(2026, 1, 10))
    assert bundle_patient.latest("LOINC:718-7", before=date(2026, 11, 20)).value == 95.0
    assert bundle_patient.latest("LOINC:718-7", before=date(2025, 12, 31)) is None
    assert bundle_patient.latest(names=["hemoglobin"]).value == 95.0
    assert bundle_patient.latest(names="HBSAG").value_text == "Positive"
    assert bundle_patient.latest("LOINC:85354-9") is None  # the panel itself has no value
    assert bundle_patient.latest("LOINC:2160-0") is None
    with pytest.raises(ValueError, match="a code or names"):
        bundle_patient.latest()


def test_bundle_from_dict_and_text_and_str_path(bundle_patient):
    assert read_patient(bundle_dict()) == bundle_patient
    assert read_patient(BUNDLE.read_text(encoding="utf-8")) == bundle_patient
    assert read_patient(str(BUNDLE)) == bundle_patient


def test_gender_other_is_no_sex():
    data = bundle_dict()
    data["entry"][0]["resource"]["gender"] = "unknown"
    assert read_patient(data).sex is None


def test_medication_reference_display():
    data = bundle_dict()
    statement = data["entry"][11]["resource"]
    del statement["medicationCodeableConcept"]
    statement["medicationReference"] = {"reference": "Medication/m1", "display": "Prednisone 5 mg"}
    assert read_patient(data).medications[0].name == "Prednisone 5 mg"
    assert read_patient(data).medications[0].code is None


# --- plain form -----------------------------------------------------------------------


def test_plain_form():
    patient = read_patient(DATA / "plain.json")
    assert (patient.id, patient.birth_date, patient.sex) == ("p1", date(1970, 5, 1), "female")
    assert patient.age_on(date(2026, 12, 1)) == pytest.approx(56.59, abs=0.01)
    assert patient.latest("LOINC:718-7").value == 9.5
    assert patient.latest(names=["HEMOGLOBIN"], before=date(2026, 6, 1)).value == 12.0
    assert patient.latest(names=["hbsag"]).value_text == "negative"
    assert patient.conditions == [Fact(name="systemic lupus erythematosus",
                                       date=date(2019, 3, 1), status="active")]
    assert patient.medications == [Fact(name="prednisone", date=date(2026, 10, 1))]
    assert patient.procedures == []


def test_plain_form_with_age_only():
    patient = read_patient(DATA / "plain_age.json")
    assert (patient.birth_date, patient.age, patient.sex) == (None, 67.0, "male")
    assert patient.age_on(date(2026, 12, 1)) == 67.0
    # undated: found without `before`, left out with it
    assert patient.latest(names=["creatinine"]).value == 1.1
    assert patient.latest(names=["creatinine"], before=date(2026, 12, 1)) is None
    assert Patient().age_on(date(2026, 12, 1)) is None


def test_plain_form_round_trips_the_bundle(bundle_patient):
    assert read_patient(bundle_patient.model_dump(mode="json")) == bundle_patient


@pytest.mark.parametrize("born, on, age", [
    (date(2008, 6, 15), date(2026, 6, 15), 18.0),
    (date(2008, 6, 15), date(2026, 6, 14), pytest.approx(17.997, abs=0.001)),
    (date(2008, 2, 29), date(2026, 2, 28), pytest.approx(17.997, abs=0.001)),
    (date(2008, 2, 29), date(2026, 3, 1), 18.0),
])
def test_age_on_birthdays(born, on, age):
    assert Patient(birth_date=born).age_on(on) == age


# --- errors ---------------------------------------------------------------------------


def reading_error(source) -> str:
    with pytest.raises(PatientError) as info:
        read_patient(source)
    message = str(info.value)
    assert message.startswith("[E009] cannot read patient ") and "\n" not in message
    return message


def test_error_is_a_value_error():
    assert issubclass(PatientError, ValueError) and issubclass(PatientError, CriteriaNLPError)


def test_unreadable_file():
    message = reading_error(DATA / "missing.json")
    assert "missing.json: cannot read the file (No such file or directory)" in message


def test_invalid_json():
    message = reading_error(DATA / "broken.json")
    assert "broken.json: invalid JSON at line 2 column 55" in message


def test_not_an_object():
    assert reading_error("[1, 2]").endswith("(JSON text): expected a JSON object, got an array")


def test_bundle_rejected_by_fhir_resources():
    message = reading_error(DATA / "bundle_invalid.json")
    assert message.endswith("bundle_invalid.json: not a valid FHIR R4 Bundle: "
                            "entry[1].resource.valueQuantity.value: Decimal value string does "
                            "not match spec regex.")


def test_bundle_with_r5_field():
    data = bundle_dict()
    statement = data["entry"][11]["resource"]
    statement["medication"] = statement.pop("medicationCodeableConcept")
    assert reading_error(data).endswith(
        "entry[11].resource.medication: Extra inputs are not permitted")


@pytest.mark.parametrize("where, path", [
    (lambda data: data["entry"][3]["resource"], "entry[3].resource"),
    (lambda data: data["entry"][1]["resource"].setdefault("contained", [{}])[0],
     "entry[1].resource.contained[0]"),
])
def test_bundle_with_unknown_resource_type(where, path):
    data = bundle_dict()
    where(data)["resourceType"] = "Foo"
    assert reading_error(data).endswith(f"{path}: unknown FHIR R4 resourceType 'Foo'")


def test_bundle_that_trips_fhir_resources():
    # a primitive's extension given as a string: fhir.resources raises AttributeError inside
    data = bundle_dict()
    data["entry"][2]["resource"]["_status"] = "2019"
    assert reading_error(data).endswith("not a valid FHIR R4 Bundle: entry[2]: fhir.resources "
                                        "fails with AttributeError: 'int' object has no "
                                        "attribute 'get'")


def test_bundle_without_patient():
    data = bundle_dict()
    del data["entry"][0]
    assert reading_error(data).endswith("(dict): the Bundle holds no Patient resource")


def test_bundle_with_two_patients():
    data = bundle_dict()
    data["entry"].append({"request": {"method": "GET", "url": "Patient"}})
    data["entry"].append(copy.deepcopy(data["entry"][0]))
    assert "2 Patient resources (entry[0], entry[16])" in reading_error(data)


def test_single_resource_is_not_a_bundle():
    assert "resourceType 'Patient': only a FHIR Bundle is read" in reading_error(
        {"resourceType": "Patient", "birthDate": "1968-03-14"})


@pytest.mark.parametrize("data, problem", [
    ({"observations": [{"name": "hb", "value": "high"}]},
     "observations[0].value: Input should be a valid number"),
    ({"age": -3}, "age: Input should be greater than or equal to 0"),
    ({"sex": "F"}, "sex: Input should be 'female' or 'male'"),
    ({"birth_date": "1970-02-30"}, "birth_date: Input should be a valid date"),
    ({"conditions": [{"name": "SLE", "onset": "2019"}]},
     "conditions[0].onset: Extra inputs are not permitted"),
])
def test_plain_form_that_does_not_validate(data, problem):
    assert f"(dict): {problem}" in reading_error(data)


# --- any JSON -------------------------------------------------------------------------

KEYS = st.sampled_from([
    "resourceType", "type", "entry", "resource", "contained", "id", "birthDate", "gender",
    "status", "code", "coding", "system", "text", "display", "valueQuantity", "value", "unit",
    "comparator", "valueCodeableConcept", "valueString", "valueInteger", "effectiveDateTime",
    "effectivePeriod", "start", "end", "issued", "component", "onsetDateTime",
    "clinicalStatus", "verificationStatus", "medicationCodeableConcept", "performedPeriod",
    "birth_date", "age", "sex", "observations", "conditions", "medications", "procedures",
    "name", "date", "value_text",
]) | st.text(max_size=8)
SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["Bundle", "Patient", "Observation", "Condition", "MedicationStatement",
                       "Procedure", "collection", "final", "entered-in-error", "female",
                       "http://loinc.org", "http://unitsofmeasure.org", "718-7", "2019-03",
                       "2026-11-20", "2026-11-20T08:30:00+01:00", "<"])
    | st.text(max_size=12)
)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(KEYS, inner, max_size=4), max_leaves=25)
RESOURCES = st.fixed_dictionaries(
    {"resourceType": st.sampled_from(["Patient", "Observation", "Condition", "Procedure",
                                      "MedicationStatement", "MedicationRequest", "Foo"])},
    optional={"id": st.text(max_size=5), "status": SCALARS, "gender": SCALARS,
              "birthDate": SCALARS, "code": JSON, "valueQuantity": JSON, "component": JSON,
              "effectiveDateTime": SCALARS, "subject": JSON, "_birthDate": SCALARS},
)
BUNDLES = st.fixed_dictionaries(
    {"resourceType": st.just("Bundle"), "type": st.just("collection"),
     "entry": st.lists(st.fixed_dictionaries({"resource": RESOURCES}), max_size=4)})
PLAIN = st.fixed_dictionaries({}, optional={
    "id": SCALARS, "birth_date": SCALARS, "age": SCALARS, "sex": SCALARS,
    "observations": st.lists(st.dictionaries(KEYS, SCALARS, max_size=5), max_size=3),
    "conditions": JSON,
})


@given(st.dictionaries(KEYS, JSON, max_size=6) | BUNDLES | PLAIN)
def test_any_json_dict_reads_or_raises_patient_error(data):
    try:
        patient = read_patient(data)
    except PatientError as err:
        assert "\n" not in str(err)
    else:
        assert isinstance(patient, Patient)
        assert read_patient(json.dumps(data)) == patient


# --- reference ranges -------------------------------------------------------------------


def _alt(value, *ranges):
    """A Bundle with one ALT result (U/L) and these referenceRange entries."""
    quantity = {"system": UCUM, "code": "U/L", "unit": "U/L"}
    observation = {
        "resourceType": "Observation", "status": "final", "effectiveDateTime": "2026-11-20",
        "code": {"coding": [{"system": "http://loinc.org", "code": "1742-6"}], "text": "ALT"},
        "valueQuantity": dict(quantity, value=value),
        "referenceRange": [{key: dict(quantity, **limit) if key in ("low", "high") else limit
                            for key, limit in r.items()} for r in ranges]}
    return {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p", "birthDate": "1970-05-01"}},
        {"resource": observation}]}


def test_bundle_reference_range_of_the_normal_type():
    treatment = {"low": {"value": 0}, "high": {"value": 80},
                 "type": {"coding": [{"code": "treatment"}]}}
    normal = {"low": {"value": 7}, "high": {"value": 33},
              "type": {"coding": [{"code": "normal"}]}}
    (alt,) = read_patient(_alt(30, treatment, normal)).observations
    assert (alt.value, alt.unit, alt.reference_low, alt.reference_high) == (30.0, "U/L", 7.0, 33.0)
    (untyped,) = read_patient(_alt(30, {"high": {"value": 56}})).observations
    assert (untyped.reference_low, untyped.reference_high) == (None, 56.0)


def test_bundle_reference_limit_in_another_unit_is_left_out():
    other = {"high": {"value": 0.55, "code": "ukat/L", "unit": "µkat/L"}, "low": {"value": 7}}
    (alt,) = read_patient(_alt(30, other)).observations
    assert (alt.reference_low, alt.reference_high) == (7.0, None)


def test_plain_reference_range():
    patient = read_patient({"id": "p", "observations": [
        {"name": "ALT", "value": 30, "unit": "U/L", "reference_high": 33}]})
    assert patient.observations[0].reference_high == 33.0
