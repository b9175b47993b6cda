"""A patient to check criteria against, read from a FHIR R4 Bundle or a small plain JSON form.

    >>> patient = read_patient({"birth_date": "1968-03-14", "observations": [
    ...     {"code": "LOINC:718-7", "value": 95, "unit": "g/L", "date": "2026-11-20"}]})
    >>> round(patient.age_on(dt.date(2026, 12, 1)), 2), patient.latest("LOINC:718-7").value
    (58.72, 95.0)

A dict with `"resourceType": "Bundle"` is validated with fhir.resources' R4B models (FHIR
4.3.0, the same JSON as R4 for every resource read here; fhir.resources 8 has no R4 package,
and its default models are R5), then read:

    Patient                 birthDate; gender (`other` and `unknown` give no sex)
    Observation             code; valueQuantity, valueInteger, valueCodeableConcept or
                            valueString; effective[x], else issued; referenceRange (the
                            normal one, in the value's unit). Each component with its own code
                            and value is an observation too (`BP` systolic, diastolic)
    Condition               code, onset[x], abatement[x], clinicalStatus
    MedicationStatement     medicationCodeableConcept (or the medicationReference display),
    MedicationRequest       effective[x] or authoredOn, status
    Procedure               code, performed[x], status

Other resources are skipped, as are those entered in error and refuted conditions. A partial
date (`2019`, `2019-03`) reads as its first day. Anything else is the plain form, the
`Patient` model as JSON (`age` instead of `birth_date` allowed):

    {"id": "p1", "birth_date": "1970-05-01", "sex": "female",
     "observations": [{"name": "hemoglobin", "code": "LOINC:718-7", "value": 9.5,
                       "unit": "g/dL", "date": "2026-11-20"}],
     "conditions": [{"name": "systemic lupus erythematosus", "date": "2019-03-01"}],
     "medications": [{"name": "prednisone", "date": "2026-10-01"}], "procedures": []}

Input that cannot be read raises `PatientError`, saying what is wrong and where.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any, Iterable, Iterator, List, Literal, Optional, Sequence, Tuple, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import PatientError

UCUM = "http://unitsofmeasure.org"
#: Short names of code systems: `LOINC:718-7`. Other systems keep their URL.
CODE_SYSTEMS = {
    "http://loinc.org": "LOINC",
    "http://snomed.info/sct": "SNOMED",
    "http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm",
    "http://hl7.org/fhir/sid/icd-10": "ICD10",
    "http://hl7.org/fhir/sid/icd-10-cm": "ICD10CM",
}
IN_ERROR = "entered-in-error"
_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{2}))?$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Observation(_Model):
    """One result: a lab value, a vital sign, a coded finding (`HBsAg positive`)."""

    name: Optional[str] = Field(
        default=None, description="What was measured, as named: the code's text or display."
    )
    code: Optional[str] = Field(
        default=None,
        description="`SYSTEM:code` (`LOINC:718-7`); the system's URL when it has no short name, "
        "the bare code when there is no system.",
    )
    value: Optional[float] = Field(default=None, description="The numeric value, in `unit`.")
    unit: Optional[str] = Field(
        default=None, description="The UCUM code when given (`g/L`, `10*9/L`), else the unit text."
    )
    date: Optional[dt.date] = Field(
        default=None, description="When it was measured: the effective time, else when issued."
    )
    value_text: Optional[str] = Field(
        default=None,
        description="A coded or string value (`Positive`), or a quantity with a comparator "
        "(`<0.5`), which leaves `value` empty.",
    )
    reference_low: Optional[float] = Field(
        default=None, description="The lower limit of normal the laboratory gave with the "
        "result, in `unit` (FHIR `referenceRange.low`).")
    reference_high: Optional[float] = Field(
        default=None, description="The upper limit of normal the laboratory gave with the "
        "result, in `unit` (FHIR `referenceRange.high`): what `2x ULN` is a multiple of.")


class Fact(_Model):
    """A condition, medication or procedure, with when it started and ended."""

    name: Optional[str] = Field(default=None, description="The code's text or display.")
    code: Optional[str] = Field(default=None, description="`SYSTEM:code`, as for Observation.")
    date: Optional[dt.date] = Field(
        default=None,
        description="When it started: onset, effective or performed start; for a prescription, "
        "when it was written.",
    )
    end: Optional[dt.date] = Field(
        default=None, description="When it ended: abatement, effective or performed end."
    )
    status: Optional[str] = Field(
        default=None,
        description="For a condition its clinical status (`active`, `resolved`); else the "
        "resource's status (`active`, `completed`, `stopped`).",
    )


class Patient(_Model):
    """What is known of one patient: age, sex, results, conditions, medications, procedures."""

    id: Optional[str] = None
    birth_date: Optional[dt.date] = None
    age: Optional[float] = Field(
        default=None, ge=0,
        description="Age in years, for a patient known only by age; `birth_date` wins when "
        "both are given.",
    )
    sex: Optional[Literal["female", "male"]] = Field(
        default=None, description="From FHIR `gender`; `other` and `unknown` give None."
    )
    observations: List[Observation] = Field(default_factory=list)
    conditions: List[Fact] = Field(default_factory=list)
    medications: List[Fact] = Field(default_factory=list)
    procedures: List[Fact] = Field(default_factory=list)

    def age_on(self, as_of: dt.date) -> Optional[float]:
        """Age in years on a day: whole years since birth plus the fraction of the year to the
        next birthday, so it is exactly 18.0 on the 18th birthday (29 February counts as
        1 March in common years).

        as_of (date): the day, e.g. the screening date.
        RETURNS (Optional[float]): the age; the stated `age` unchanged when there is no birth
            date; None when neither is known.
        """
        born = self.birth_date
        if born is None:
            return self.age
        years = as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))
        last = _birthday(born, born.year + years)
        following = _birthday(born, born.year + years + 1)
        return years + (as_of - last).days / (following - last).days

    def latest(self, code: Optional[str] = None, names: Iterable[str] = (),
               before: Optional[dt.date] = None) -> Optional[Observation]:
        """The most recent observation with a value (numeric or text) and that code or name.

        code (str or None): e.g. `LOINC:718-7`, compared exactly.
        names (Iterable[str] or str): names compared in any case: `["hemoglobin", "Hb"]`.
        before (date or None): only observations on or before this day; those without a date
            are then left out. Without it an undated observation counts as the oldest.
        RETURNS (Optional[Observation]): the latest match (the one listed last of a day), or None.
        RAISES ValueError: neither a code nor a name given.
        """
        wanted = {names.casefold()} if isinstance(names, str) else {n.casefold() for n in names}
        if code is None and not wanted:
            raise ValueError("latest() needs a code or names to look for")
        best: Optional[Observation] = None
        for obs in self.observations:
            if obs.value is None and obs.value_text is None:
                continue
            if not ((code is not None and obs.code == code)
                    or (obs.name is not None and obs.name.casefold() in wanted)):
                continue
            if before is not None and (obs.date is None or obs.date > before):
                continue
            if best is None or (obs.date or dt.date.min) >= (best.date or dt.date.min):
                best = obs
        return best


def _birthday(born: dt.date, year: int) -> dt.date:
    try:
        return born.replace(year=year)
    except ValueError:  # 29 February in a common year
        return dt.date(year, 3, 1)


def read_patient(source: Union[str, os.PathLike, dict]) -> Patient:
    """Read a patient from a FHIR R4 Bundle or the plain form (see the module docstring).

    source (str, PathLike or dict): a JSON file's path, JSON text (starting with `{`), or the
        parsed JSON.
    RETURNS (Patient): the patient.
    RAISES PatientError: an unreadable file, invalid JSON, a Bundle that fhir.resources
        rejects or that holds no or several Patients, or a plain form that does not validate;
        the one-line message names the file and the entry or field.
    """
    data, where = _load(source)
    if not isinstance(data, dict):
        raise PatientError(where, f"expected a JSON object, got {_json_type(data)}")
    kind = data.get("resourceType")
    if kind == "Bundle":
        return _read_bundle(data, where)
    if kind is not None:
        raise PatientError(where, f"resourceType {kind!r}: only a FHIR Bundle is read; wrap the "
                                  "resources in one")
    try:
        return Patient.model_validate(data)
    except ValidationError as err:
        raise PatientError(where, _problem(err)) from err


def _load(source: Union[str, os.PathLike, dict]) -> Tuple[Any, str]:
    """The parsed JSON and how to name the source in messages."""
    if isinstance(source, dict):
        return source, "(dict)"
    if isinstance(source, str) and source.lstrip().startswith(("{", "[")):
        text, where = source, "(JSON text)"
    else:
        where = str(source)
        try:
            text = Path(source).read_text(encoding="utf-8-sig")
        except OSError as err:
            raise PatientError(where, f"cannot read the file ({err.strerror or err})") from err
        except UnicodeDecodeError as err:
            raise PatientError(where, f"not UTF-8 text (byte {err.start})") from err
    try:
        return json.loads(text), where
    except json.JSONDecodeError as err:
        raise PatientError(where, f"invalid JSON at line {err.lineno} column {err.colno}: "
                                  f"{err.msg}") from err
    except RecursionError as err:
        raise PatientError(where, "JSON nested too deeply") from err


def _json_type(value: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number")


def _problem(err: ValidationError) -> str:
    """The first validation error on one line: `observations[0].value: Input should be ...`."""
    errors = err.errors()
    first = errors[0]
    where = _path(first["loc"])
    message = " ".join(first["msg"].removeprefix("Value error, ").split())
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {message}{more}" if where else f"{message}{more}"


def _path(parts: Sequence[Union[int, str]]) -> str:
    """`entry[1].resource.valueQuantity`; an odd key quoted: `observations[0]['a b']`."""
    path = "".join(f".{part}" if isinstance(part, str) and part.isidentifier() else f"[{part!r}]"
                   for part in parts)
    return path.lstrip(".")


# --- FHIR -----------------------------------------------------------------------------


def _read_bundle(data: dict, where: str) -> Patient:
    """Validate and read a Bundle; fhir.resources loads here, on the first one (0.4 s)."""
    from fhir.resources.R4B.bundle import Bundle

    _check_resource_types(data, where)
    try:
        bundle = Bundle.model_validate(data)
    except ValidationError as err:
        raise PatientError(where, f"not a valid FHIR R4 Bundle: {_problem(err)}") from err
    except (AttributeError, KeyError, TypeError, RecursionError) as err:  # fhir.resources slips
        raise PatientError(where, f"not a valid FHIR R4 Bundle: {_failing_entry(data)}"
                                  f"fhir.resources fails with {type(err).__name__}: "
                                  f"{' '.join(str(err).split())}") from err
    resources = {index: entry.resource for index, entry in enumerate(bundle.entry or ())
                 if entry.resource is not None}
    people = [index for index, r in resources.items() if r.get_resource_type() == "Patient"]
    if not people:
        raise PatientError(where, "the Bundle holds no Patient resource")
    if len(people) > 1:
        entries = ", ".join(f"entry[{index}]" for index in people)
        raise PatientError(where, f"the Bundle holds {len(people)} Patient resources ({entries}); "
                                  "give one patient per Bundle")

    def of(*wanted: str) -> Iterator[Any]:
        return (r for r in resources.values()
                if r.get_resource_type() in wanted and not _dismissed(r))

    person = resources[people[0]]
    return Patient(
        id=person.id,
        birth_date=_day(person.birthDate),
        sex=person.gender if person.gender in ("female", "male") else None,
        observations=[obs for resource in of("Observation") for obs in _observations(resource)],
        conditions=[
            _fact(r.code, _start(r, "onset"), _start(r, "abatement"), _coded(r.clinicalStatus))
            for r in of("Condition")
        ],
        medications=[_medication(r) for r in of("MedicationStatement", "MedicationRequest")],
        procedures=[
            _fact(r.code, _start(r, "performed"), _end(r, "performed"), r.status)
            for r in of("Procedure")
        ],
    )


def _check_resource_types(data: dict, where: str) -> None:
    """Name the first resource, however deep, whose resourceType is not an R4 resource:
    fhir.resources meets it with a bare KeyError."""
    stack: List[Tuple[Any, Tuple[Union[int, str], ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            if "resourceType" in value and not _is_resource_type(value["resourceType"]):
                raise PatientError(where, f"{_path(path) or 'top level'}: unknown FHIR R4 "
                                          f"resourceType {value['resourceType']!r}")
            stack.extend((item, path + (key,)) for key, item in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((item, path + (index,)) for index, item in
                         reversed(list(enumerate(value))))


def _failing_entry(data: dict) -> str:
    """`entry[3]: `, the first entry fhir.resources cannot take on its own; "" when none."""
    from fhir.resources.R4B.bundle import BundleEntry

    entries = data.get("entry")
    for index, entry in enumerate(entries if isinstance(entries, list) else ()):
        try:
            BundleEntry.model_validate(entry)
        except (AttributeError, KeyError, TypeError, RecursionError, ValidationError):
            return f"entry[{index}]: "
    return ""


def _is_resource_type(kind: Any) -> bool:
    from fhir.resources.R4B import get_fhir_model_class

    if not isinstance(kind, str):
        return False
    try:
        return get_fhir_model_class(kind).has_resource_base()
    except ValueError:
        return False


def _dismissed(resource: Any) -> bool:
    """Entered in error, or a refuted condition."""
    if getattr(resource, "status", None) == IN_ERROR:
        return True
    return _coded(getattr(resource, "verificationStatus", None)) in (IN_ERROR, "refuted")


def _observations(resource: Any) -> Iterator[Observation]:
    day = _start(resource, "effective") or _day(resource.effectiveInstant or resource.issued)
    yield _observation(resource, day)
    for component in resource.component or ():
        yield _observation(component, day)


def _observation(element: Any, day: Optional[dt.date]) -> Observation:
    """An Observation or one of its components, which share the value[x] fields."""
    value = unit = None
    text = element.valueString or _name(element.valueCodeableConcept)
    quantity = element.valueQuantity
    if quantity is not None:
        unit = quantity.code if quantity.system == UCUM and quantity.code else quantity.unit
        if quantity.value is not None and quantity.comparator:
            text = f"{quantity.comparator}{quantity.value}"
        elif quantity.value is not None:
            value = float(quantity.value)
    elif element.valueInteger is not None:
        value = float(element.valueInteger)
    low, high = _reference_range(element, unit)
    return Observation(name=_name(element.code), code=_code(element.code), value=value,
                       unit=unit, date=day, value_text=text, reference_low=low, reference_high=high)


def _reference_range(element: Any, unit: Optional[str]) -> Tuple[Optional[float], Optional[float]]:
    """The normal range given with a result: the first `referenceRange` without a type or
    of type `normal`; a limit in another unit than the value's is left out."""
    for reference in element.referenceRange or ():
        if _coded(reference.type) not in (None, "normal"):
            continue
        return _limit(reference.low, unit), _limit(reference.high, unit)
    return None, None


def _limit(quantity: Any, unit: Optional[str]) -> Optional[float]:
    if quantity is None or quantity.value is None:
        return None
    its = quantity.code if quantity.system == UCUM and quantity.code else quantity.unit
    return float(quantity.value) if its is None or its == unit else None


def _medication(resource: Any) -> Fact:
    if resource.get_resource_type() == "MedicationRequest":
        start, end = _day(resource.authoredOn), None
    else:
        start, end = _start(resource, "effective"), _end(resource, "effective")
    concept, reference = resource.medicationCodeableConcept, resource.medicationReference
    return Fact(name=_name(concept) or (reference.display if reference else None),
                code=_code(concept), date=start, end=end, status=resource.status)


def _fact(concept: Any, start: Optional[dt.date], end: Optional[dt.date],
          status: Optional[str]) -> Fact:
    return Fact(name=_name(concept), code=_code(concept), date=start, end=end, status=status)


def _codings(concept: Any) -> Sequence[Any]:
    return [coding for coding in (concept.coding or ()) if coding.code] if concept else []


def _name(concept: Any) -> Optional[str]:
    """A CodeableConcept's text, else its first display."""
    if concept is None:
        return None
    return concept.text or next((c.display for c in concept.coding or () if c.display), None)


def _code(concept: Any) -> Optional[str]:
    """`LOINC:718-7`: the first coding of a system with a short name, else the first coding."""
    codings = _codings(concept)
    if not codings:
        return None
    coding = next((c for c in codings if c.system in CODE_SYSTEMS), codings[0])
    if coding.system is None:
        return coding.code
    return f"{CODE_SYSTEMS.get(coding.system, coding.system)}:{coding.code}"


def _coded(concept: Any) -> Optional[str]:
    """A status concept's code (`active`), else its text."""
    codings = _codings(concept)
    return codings[0].code if codings else (concept.text if concept else None)


def _start(resource: Any, prefix: str) -> Optional[dt.date]:
    """The day of `<prefix>DateTime`, else of `<prefix>Period.start`."""
    period = getattr(resource, prefix + "Period", None)
    return _day(getattr(resource, prefix + "DateTime", None) or (period.start if period else None))


def _end(resource: Any, prefix: str) -> Optional[dt.date]:
    period = getattr(resource, prefix + "Period", None)
    return _day(period.end) if period is not None else None


def _day(value: Union[dt.datetime, dt.date, str, None]) -> Optional[dt.date]:
    """The day of a FHIR date or dateTime as written; a partial date (`2019-03`) is its first."""
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    match = _PARTIAL_DATE.match(value)
    return dt.date(int(match[1]), int(match[2] or 1), 1) if match else None
