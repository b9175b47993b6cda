"""Typed output models: the JSON contract of `criteria_nlp annotate` (CONTRACT.md).

Models hold plain values only, never spaCy objects. Offsets index the input text
exactly as given, so for every span object `text[start:end] == span.text`.
"""
from __future__ import annotations

import json
from typing import List, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

Section = Literal["inclusion", "exclusion"]
ConstraintKind = Literal["numeric", "age", "temporal", "duration", "count", "dose"]
Sex = Literal["ALL", "FEMALE", "MALE"]

ENTITY_LABELS = (
    "Condition", "Drug", "Procedure", "Measurement", "Observation", "Device", "Person",
    "Visit", "Temporal", "Value", "Negation", "Qualifier", "Multiplier",
    "Reference_point", "Mood",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Bound(_Model):
    """One end of an interval: `≥ 10` is Bound(value=10, inclusive=True)."""

    value: float
    inclusive: bool


class SpanRef(_Model):
    """A span of the input text with a label, e.g. the subject of a constraint."""

    start: int
    end: int
    text: str
    label: Optional[str] = None
    long_form: Optional[str] = Field(
        default=None,
        description="For an abbreviation defined in the text: its long form "
        "(`absolute neutrophil count` for `ANC`), by scispaCy's abbreviation detector.",
    )
    concept: Optional[str] = Field(
        default=None,
        description="The measurement it names, as a code of the package's concept table "
        "(`LOINC:718-7` for `Hgb`), or null.",
    )


class Requirement(_Model):
    """How many items of a list of alternatives must hold: `at least one of the following`
    is lower 1 (inclusive), no upper."""

    lower: Bound
    upper: Optional[Bound] = None


class Criterion(_Model):
    """One item of an eligibility list: a bullet, a numbered item or a line."""

    start: int
    end: int
    text: str
    section: Optional[Section] = None
    cohort: Optional[str] = None
    require: Optional[Requirement] = Field(
        default=None,
        description="For an item that introduces a list of alternatives (`Meet at least one of "
        "the following:`), how many of the items under it must hold.",
    )
    parent: Optional[int] = Field(
        default=None, description="Index of the introducing item this one is listed under."
    )


class Entity(_Model):
    """An entity with its ConText flags. Labels are the Chia core types."""

    start: int
    end: int
    text: str
    label: str
    negated: bool = False
    hypothetical: bool = False
    historical: bool = False
    family: bool = False
    concept: Optional[str] = Field(
        default=None,
        description="For a Measurement: the measurement it names, as a code of the package's "
        "concept table (`LOINC:751-8` for `ANC`), or null.",
    )
    long_form: Optional[str] = Field(
        default=None, description="For an abbreviation defined in the text: its long form."
    )
    subject: Optional[SpanRef] = Field(
        default=None,
        description="For a qualitative Value entity (`negative` in `negative pregnancy test`): "
        "what it is the value of.",
    )


class Constraint(_Model):
    """An interval over a quantity, with its subject and provenance.

    "serum IgA level <10 mg/dL" -> kind "numeric", upper Bound(10, inclusive=False),
    unit "mg/dL", ucum "mg/dL", subject "serum IgA level".
    """

    kind: ConstraintKind
    start: Optional[int]
    end: Optional[int]
    text: Optional[str]
    subject: Optional[SpanRef] = None
    subjects: List[SpanRef] = Field(
        default_factory=list,
        description="Every member of the subject, in text order: `[MI, stroke]` for `No history "
        "of MI or stroke within the past 6 months`; `[subject]` for a single one, empty for none.",
    )
    lower: Optional[Bound] = None
    upper: Optional[Bound] = None
    unit: Optional[str] = None
    ucum: Optional[str] = None
    relative_to: Optional[str] = None
    anchor: Optional[str] = None
    section: Optional[Section] = None
    criterion: Optional[int] = None
    negated: bool = False
    hypothetical: bool = False
    scale_max: Optional[float] = Field(
        default=None, description="Maximum of an N/M score: 150 in `MMT-8 ≤141/150`."
    )
    alternative_of: Optional[int] = Field(
        default=None,
        description="Index of the constraint this one is an alternative spelling of "
        "(`>2.5 mg/dL or 221 μmol/L`).",
    )
    direction: Optional[Literal["before", "after"]] = Field(
        default=None,
        description="For a temporal constraint, where the event lies relative to the anchor: "
        "`before` (`within 4 weeks prior to screening`, `in the past 6 months`), `after` "
        "(`until 6 months after the last dose`); null when the text does not say.",
    )
    component: Optional[Literal["systolic", "diastolic"]] = Field(
        default=None,
        description="Which half of a paired value this is: `BP ≥140/90 mmHg` gives lower 140 "
        "`systolic` and lower 90 `diastolic`, as do `SBP >140, DBP >90`; null otherwise.",
    )
    explain: Optional[List[str]] = Field(
        default=None, exclude=True,
        description="Only with `annotate --explain`: the word lists and steps that made the "
        "constraint, in order (`comparators_before: '<' -> lt`, `unit_forms: 'mg/dL' -> "
        "mg/dL`, `kind: numeric`, `subject: the recognised Measurement entity`, "
        "`context_rules: 'no' -> negated`).",
    )

    def admits(self, value: float, unit: Optional[str] = None, analyte: Optional[str] = None) -> bool:
        """Whether `value` lies inside the interval.

        value (float): in this constraint's unit, or in `unit`.
        unit (str or None): the value's unit as written (`g/L`, `µmol/L`, `days`), converted
            to the constraint's with pint; None when the value is in the constraint's unit.
        analyte (str or None): what was measured, for conversions between mass and amount
            of substance (`creatinine`: 180 µmol/L is 2.04 mg/dL). Defaults to the analyte of
            the subject's concept, else the subject's words.
        RETURNS (bool): whether the interval holds the value.
        RAISES UnitParseError: a unit that cannot be read or converted to the constraint's
            (no molar mass for the analyte, another dimension), saying which.
        RAISES ValueError: a unit for a constraint without one, or for a multiple of a
            reference (`≤ 2.5 × ULN` needs the patient's reference range).
        """
        if unit is not None:
            if self.relative_to is not None:
                raise ValueError(f"{self.text!r} is a multiple of {self.relative_to}: a value in "
                                 f"{unit} needs the patient's {self.relative_to} to compare")
            if self.unit is None:
                raise ValueError(f"{self.text!r} has no unit to convert {unit} to")
            from .units import convert

            value = convert(value, unit, self.unit, analyte=analyte or self._analyte())
        if self.lower is not None:
            if value < self.lower.value or (value == self.lower.value and not self.lower.inclusive):
                return False
        if self.upper is not None:
            if value > self.upper.value or (value == self.upper.value and not self.upper.inclusive):
                return False
        return True

    def _analyte(self) -> Optional[str]:
        """What the subject measures, for molar masses: its concept's analyte, else its words."""
        if self.subject is None:
            return None
        if self.subject.concept is not None:
            from .concepts import get_concepts

            concept = get_concepts().by_code(self.subject.concept)
            if concept is not None:  # a name of it where no molar mass is needed (HbA1c)
                return concept.analyte or concept.names[0]
        return self.subject.text


class Structured(_Model):
    """ClinicalTrials.gov's structured eligibility fields."""

    age: Optional[Constraint] = None
    sex: Optional[Sex] = None
    healthy_volunteers: Optional[bool] = None


class Document(_Model):
    """One annotated document: the line `annotate` writes for it."""

    id: str
    text: str
    criteria: List[Criterion] = Field(default_factory=list)
    entities: List[Entity] = Field(default_factory=list)
    constraints: List[Constraint] = Field(default_factory=list)
    structured: Optional[Structured] = None
    errors: List[str] = Field(default_factory=list)

    def to_dict(self, explain: bool = False) -> dict:
        """The document as JSON-ready data; with `explain`, each constraint's `explain` too."""
        data = self.model_dump(mode="json")
        if explain:
            for constraint, out in zip(self.constraints, data["constraints"]):
                out["explain"] = constraint.explain or []
        return data

    def to_json(self, explain: bool = False) -> str:
        """One line of JSONL, compact, non-ASCII kept as is; with `explain`, each constraint's
        rules."""
        if not explain:
            return self.model_dump_json()  # pydantic's serializer: a third of json.dumps' time
        return json.dumps(self.to_dict(explain), ensure_ascii=False, separators=(",", ":"))


def document_json_schema() -> dict:
    """JSON Schema of one output line, generated from the models."""
    return Document.model_json_schema()
