"""ClinicalTrials.gov's structured eligibility fields -> `schemas.Structured`.

A study's eligibilityModule carries, beside the free text, four typed fields:

    {"minimumAge": "18 Years", "maximumAge": "65 Years", "sex": "ALL", "healthyVolunteers": false}
    -> Structured(age=Constraint(kind="age", lower=Bound(18, inclusive=True),
                                 upper=Bound(65, inclusive=True), unit="years", ucum="a"),
                  sex="ALL", healthy_volunteers=False)

Nothing here raises on odd values: a field that cannot be read becomes null.
"""
from __future__ import annotations

import math
import re
from typing import Any, Dict, Mapping, Optional, Tuple

from ..schemas import Bound, Constraint, Structured

# Age units as ClinicalTrials.gov writes them, singular and lower-case ->
# (unit name used in the output, UCUM code, length in days).
# Lengths are UCUM's definitions (a = mean Julian year = 365.25 d, mo = a/12, wk = 7 d);
# they are used only to put a minimum and a maximum given in different units
# ("6 Months" .. "17 Years") on one unit.
AGE_UNITS: Dict[str, Tuple[str, str, float]] = {
    "year": ("years", "a", 365.25),
    "month": ("months", "mo", 365.25 / 12),
    "week": ("weeks", "wk", 7.0),
    "day": ("days", "d", 1.0),
    "hour": ("hours", "h", 1.0 / 24),
    "minute": ("minutes", "min", 1.0 / 1440),
}
_UNIT_ALIASES = {
    "yr": "year", "yrs": "year", "y": "year", "a": "year",
    "mo": "month", "mos": "month", "mon": "month", "mth": "month", "mths": "month",
    "wk": "week", "wks": "week", "w": "week",
    "d": "day", "h": "hour", "hr": "hour", "hrs": "hour",
    "min": "minute", "mins": "minute",
}
_AGE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*([A-Za-z]+)?\.?\s*(?:old)?\s*$")

_SEX = {"ALL": "ALL", "BOTH": "ALL", "FEMALE": "FEMALE", "MALE": "MALE"}
_TRUE = {"true", "yes", "y", "1", "accepts healthy volunteers"}
_FALSE = {"false", "no", "n", "0"}

# Keys of the ClinicalTrials.gov API v2 eligibilityModule, with the spellings of
# other exports (snake case, the legacy XML names) accepted as well.
_KEYS = {
    "minimumAge": ("minimumAge", "minimum_age", "min_age"),
    "maximumAge": ("maximumAge", "maximum_age", "max_age"),
    "sex": ("sex", "gender"),
    "healthyVolunteers": ("healthyVolunteers", "healthy_volunteers"),
}


def _get(fields: Mapping[str, Any], key: str) -> Any:
    for name in _KEYS[key]:
        if name in fields:
            return fields[name]
    return None


def parse_age(value: Any) -> Optional[Tuple[float, str]]:
    """Read one ClinicalTrials.gov age such as "18 Years" or "6 Months".

    value (Any): the field as found in the study. A bare number is read as years.
    RETURNS (Optional[Tuple[float, str]]): (number, singular unit key of AGE_UNITS),
        or None when the value is absent or unreadable ("N/A", "", "adult").
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number, unit = float(value), "year"
    elif isinstance(value, str):
        match = _AGE_RE.match(value)
        if match is None:
            return None
        number = float(match.group(1))
        word = (match.group(2) or "year").lower()
        word = _UNIT_ALIASES.get(word, word)
        if word.endswith("s") and word[:-1] in AGE_UNITS:
            word = word[:-1]
        if word not in AGE_UNITS:
            return None
        unit = word
    else:
        return None
    if not math.isfinite(number) or number < 0:
        return None
    return number, unit


def age_constraint(minimum: Any, maximum: Any) -> Optional[Constraint]:
    """An age Constraint from ClinicalTrials.gov's minimumAge and maximumAge.

    Both bounds are inclusive, as ClinicalTrials.gov defines them. When the two are given
    in different units, both are expressed in the finer one ("6 Months", "17 Years" ->
    6-204 months).

    minimum (Any): minimumAge, e.g. "18 Years"; absent or unreadable leaves lower null.
    maximum (Any): maximumAge, e.g. "65 Years"; absent or unreadable leaves upper null.
    RETURNS (Optional[Constraint]): kind "age" with no span, or None when neither is readable.
    """
    low, high = parse_age(minimum), parse_age(maximum)
    if low is None and high is None:
        return None
    units = [part[1] for part in (low, high) if part is not None]
    unit = min(units, key=lambda key: AGE_UNITS[key][2])
    name, ucum, days = AGE_UNITS[unit]

    def bound(part: Optional[Tuple[float, str]]) -> Optional[Bound]:
        if part is None:
            return None
        number, key = part
        if key != unit:
            number = round(number * AGE_UNITS[key][2] / days, 6)
        return Bound(value=number, inclusive=True)

    return Constraint(
        kind="age", start=None, end=None, text=None,
        lower=bound(low), upper=bound(high), unit=name, ucum=ucum,
    )


def _sex(value: Any) -> Optional[str]:
    if not isinstance(value, str):
        return None
    return _SEX.get(value.strip().upper())


def _healthy(value: Any) -> Optional[bool]:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    return None


def structured_from_ctgov(fields: Optional[Mapping[str, Any]]) -> Optional[Structured]:
    """Turn ClinicalTrials.gov's structured eligibility fields into `Structured`.

    fields (Optional[Mapping]): minimumAge, maximumAge, sex, healthyVolunteers as in the
        API v2 eligibilityModule (any subset; the legacy "Both" and "Yes"/"No" are read too).
    RETURNS (Optional[Structured]): None when fields is None (or not a mapping); otherwise
        a Structured whose unreadable parts are null.
    """
    if fields is None or not isinstance(fields, Mapping):
        return None
    return Structured(
        age=age_constraint(_get(fields, "minimumAge"), _get(fields, "maximumAge")),
        sex=_sex(_get(fields, "sex")),
        healthy_volunteers=_healthy(_get(fields, "healthyVolunteers")),
    )
