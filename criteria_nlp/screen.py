"""Screen one patient against one annotated trial, criterion by criterion.

    >>> document = next(criteria_nlp.annotate_records(read_inputs(["NCT07193810.json"]), nlp=nlp))
    >>> screening = screen(document, read_patient("patient.json"), as_of=date(2026, 12, 1))
    >>> screening.overall, screening.unknowns[:3]
    ('needs review', [0, 2, 3])
    >>> print(screening.to_table())

Every answer is `met`, `not_met` or `unknown`. A wrong answer is worse than `unknown`, so
whatever the rules below cannot establish from the record stays `unknown`, with the reason.
`as_of` is the screening day (today by default): ages are taken on it, observations on or
before it, and time windows ("within 6 months prior to screening") end on it.

1. Checks: one per constraint, saying whether the patient's value lies in its interval.

   * Age (kind `age`, and ClinicalTrials.gov's structured minimum/maximum age):
     `patient.age_on(as_of)`, in the constraint's unit (years when it has none). Ages are
     stated in completed units: 65 years and 7 months is "aged 65", inside `18-65 years
     (inclusive)`. When the completed and the exact age disagree otherwise (`> 18 years` at
     18.5) the check is unknown; so is an age at an event (`age at diagnosis`, `onset`), and
     an age in a criterion with several age ranges (`6 months to 17 years` read as two).
   * Sex (the structured field): `ALL` is met; `FEMALE`/`MALE` against `patient.sex`. A
     threshold whose text names one sex right after it (`≥ 13 g/dL for men and ≥ 12 g/dL
     for women`) is checked only for a patient of that sex, and is unknown for the others.
   * Numeric and dose: the measurement is found by concept, `find_concept` on the subject
     (for a `component`, the systolic or diastolic blood pressure; else the subject text, its
     `long_form`, its only member), then `patient.latest(code, names, before=as_of)`; the
     latest value on or before as_of counts, whatever its age (its date is in the check).
     No concept (or a subject of several members that names none), no observation, or an
     observation without a numeric value: unknown. The value is converted to the
     constraint's unit as `Constraint.admits(value, unit, analyte=concept.analyte)` does
     (UCUM codes such as `10*9/L` read as UCUM; HbA1c % and mmol/mol by the IFCC-NGSP
     master equation); a conversion error is unknown with its message. A unitless constraint takes only unitless or
     `{annotation}` values. Converted values are rounded to 10 significant digits, so
     9.5 g/dL is exactly 95 g/L at a bound. A multiple of a reference (`relative_to`,
     `> 2x ULN`) is the value over the limit the laboratory gave with the result (its
     `reference_high` for ULN, `reference_low` for LLN). Without one, the concept's row of
     `resources/reference_limits.tsv` (the lowest and highest limit adult reference
     intervals in use report, with sources) decides what holds at every laboratory: the
     value, in the row's unit, is between value / highest and value / lowest x the limit;
     the check is met when the constraint holds at both ends, not met when both lie on one
     side outside it (`30 U/L < 2 x 19 U/L, the lowest ULN in use`), else unknown, as it is
     for a concept without a row. Two analytes named with a slash under such a multiple
     (`AST/ALT > 2x ULN`; no ratio has a limit of normal) are checked one by one: a lower
     bound is met when one of them is over it and not met when neither is; an upper bound
     (`ALT/AST <= 2.5x ULN`) met when both are under it and not met when one is over.
   * Temporal (`within 6 months prior to screening`): the conditions, medications and
     procedures whose name contains the subject (a member of it, or its long form) as whole
     words, case-insensitively, or a member of a class it names (`malignancy`: `cancer`,
     `lymphoma`...; `resources/screening.json`), or whose code is the subject's concept
     code, that have a date. A fact held from its date to its end (an ongoing condition or medication, status
     `active`, to as_of; a procedure on its day); the check is met when that time meets the
     window ending on as_of (the constraint's interval over the time elapsed, 1 mo =
     30.4375 d, 1 a = 365.25 d, 1 wk = 7 d), not met when it lies wholly outside. A fact
     whose end is not known is met when its start lies inside the window, not met when it
     started after the window, else unknown. The record is taken as complete for the facts
     it lists (the latest matching one is the latest), but a record without a matching fact
     says nothing: unknown. Windows after an anchor (`until 6 months after the last dose`),
     or anchored on another day than screening (`first dose`), and units that are no length
     of time (`5 half-lives`) are unknown. Several members: any one inside the window meets
     an `or` list; an `and` list needs all.
   * Disease duration (kind `duration`, subject `disease duration`, `duration of diabetes`):
     the time from the earliest dated record of the condition the subject names (for a bare
     `disease`, the criterion's cohort: `For Systemic Sclerosis (SSc):`) to as_of.
   * Hypothetical constraints (`If receiving glucocorticoids, the dose must be <=40 mg/day`):
     unknown, "conditional".
   * A count of positive results whose subject names a class of tests (`positive for at
     least one autoantibody`; `result_classes` in `resources/screening.json`): the distinct
     tests of the class on or before as_of whose value reads positive (`Positive`,
     `Detected`; a number at or above the test's positivity threshold, ANA from 1:80). Met
     when there are enough; otherwise unknown (the record is not taken as complete). A
     narrower class (`myositis-specific autoantibody`) is none of the table's. Other counts,
     other durations and anything else: unknown.

2. Criteria. Alternatives (`alternative_of`: `>2.5 mg/dL or 221 umol/L`) are one check:
   the verdict they agree on, unknown if they disagree. A negated constraint ("no platelet
   count < 50") counts inverted: its check met makes the criterion's item not met. Then:

   * no constraint: unknown, "no checkable constraint";
   * every check met: met; any check not met: not met (the constraints of a criterion
     hold together); otherwise unknown.
   * Guards, since the pipeline does not give a criterion's logic: where the text has
     alternatives the checks may not cover (`or`, `either`, `if`, `whichever`, `one of`,
     `N of`; in an exclusion also a `,` or `;` outside brackets), a failed check does not
     make the criterion not met; where it has conditions or exceptions they may not cover
     (`with`, `and`, `without`, `requiring`, `due to`... outside the constraints and their
     subjects; `unless`, `except`, `other than`), all checks met do not make it met. For a
     negated criterion (`no X or Y`) the two swap; with negated and plain constraints mixed,
     any of these words leaves it unknown. Bracketed examples (`(e.g., rituximab, or ...)`)
     hold no alternatives, nor does a closing exception without a threshold (`..., unless
     B-cell levels returned to normal or baseline`), which keeps every item of an exclusion
     from being met by itself.
   * A bracket that defines the words before it (`Severe lupus nephritis within 8 weeks
     prior to screening (defined as urinary protein >6 g/24 h, or serum creatinine >2.5
     mg/dL, or ...)`; `definition_openers`): the checks before the bracket, a window's
     subject taken without its leading `qualifier_words` (the record's `lupus nephritis`;
     the bracket says what `severe` means), all met and one check inside the bracket met
     make the criterion met, unless the words before the bracket hold a condition or an
     exception the checks leave out (`requiring ...`, `unless ...`); one of them not met
     makes it not met when those words hold no alternative (`or`) and nothing follows the
     bracket; otherwise the rules here apply.
   * An exclusion lists what excludes, one item after another: an item of its text (split at
     `;`, `, ` and `or` outside brackets, a duration joined to the item before it) whose
     checks are all met, with no condition or exception left in it, makes the exclusion met.
     When every item holds a check and the text has no `or`-like alternative (`Abnormal
     laboratory findings: AST/ALT > 2x ULN; hemoglobin < 85 g/L, platelet count < 50`), all
     checks not met make it not met; an item without one (`active infection`) keeps it open.
   * An item with `require` (at least N of the items listed under it, their `parent` its
     index) is met when N of them are met, not met when fewer than N can still be met,
     else unknown; the items under it count only through it. With no items under it (the
     alternatives are inline), it is met when N of its text's items (split as above) are
     met and no check is unknown, else unknown: the alternatives without a constraint are
     not checked, so it is never not met. When such a criterion holds no constraint at
     all, its checks are the positive results it names (`at least one of the following:
     positive antinuclear antibody (ANA) and/or anti-dsDNA antibody`): a recognised Value
     that reads positive, not negated or conditional, whose subject names a test of a
     `result_classes` class; the check is met when the patient's latest result of that
     very test on or before as_of reads positive (a result named with the same word of the
     class, or coded with a code whose `code_words` the subject holds), else unknown. It
     is met with N such checks met, else unknown.

3. Overall. The criteria of a cohort (`For Systemic Sclerosis (SSc):`) hold for that
   cohort's patients only, and the patient needs to fit one cohort. A part (the criteria of
   no cohort, with the structured age and sex, or one cohort's) fails when an inclusion
   criterion is not met or an exclusion criterion met, and passes when all inclusion
   criteria are met and all exclusion criteria not met. `excluded` when the common part
   fails or every cohort does; `eligible` when the common part passes and one cohort (if
   any) does; else `needs review`, with the criteria left unknown in `unknowns`. A
   criterion outside an Inclusion/Exclusion section cannot be read either way: it keeps an
   otherwise eligible patient at `needs review`.

Speed: what depends on the document only (each criterion's constraints and how they
combine) is planned once per Document object (a screened Document is taken as unchanged);
concept look-ups are memoized per subject within one call (unit conversions are, in
`units.convert`). Screening one patient against NCT07193810 (47 criteria, 68
constraints) takes about 1-1.5 ms.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from functools import lru_cache
from typing import (TYPE_CHECKING, Any, Callable, Dict, List, Literal, NamedTuple,
                    Optional, Sequence, Tuple)

from pydantic import BaseModel, ConfigDict, Field

from .lexicon import phrase_alternation, read_resource
from .schemas import Bound, Constraint, Criterion, Document, Section

if TYPE_CHECKING:  # pragma: no cover
    from .concepts import Concept
    from .patient import Fact, Observation, Patient
    from .reference_limits import ReferenceLimits

__all__ = ["screen", "Screening", "CriterionVerdict", "Check", "PatientFact"]

Verdict = Literal["met", "not_met", "unknown"]
Overall = Literal["eligible", "excluded", "needs review"]
MET, NOT_MET, UNKNOWN = "met", "not_met", "unknown"

#: Days in one time unit, by UCUM code (UCUM's definitions: a = 365.25 d, mo = a/12).
DAYS: Dict[str, float] = {"a": 365.25, "mo": 30.4375, "wk": 7.0, "d": 1.0, "h": 1 / 24,
                          "min": 1 / 1440}
_AGE_UNITS = {"years": "a", "year": "a", "months": "mo", "month": "mo", "weeks": "wk",
              "week": "wk", "days": "d", "day": "d"}
_SIGNIFICANT = 10


_WORDS = read_resource("screening.json")  # the word lists: see its `_about`
#: Statuses of a condition or medication that is still going on (FHIR clinicalStatus and
#: MedicationStatement/MedicationRequest status), and of one that did not happen.
ONGOING = frozenset(_WORDS["ongoing_statuses"])
NOT_HAPPENED = frozenset(_WORDS["not_happened_statuses"])
#: Anchors of a time window that are the screening day.
_SCREENING_ANCHOR = re.compile(phrase_alternation(_WORDS["screening_anchors"]), re.I)
_OR_CUE = re.compile(
    phrase_alternation(_WORDS["alternative_words"])
    + rf"|(?:{phrase_alternation(_WORDS['counted_alternatives'])}|\b\d+) of\b|≥\s*\d+\s+of\b", re.I)
_EXCEPT_CUE = re.compile(phrase_alternation(_WORDS["exception_phrases"]), re.I)
_AND_CUE = re.compile(phrase_alternation(_WORDS["condition_words"]), re.I)
_AND_OR = re.compile(r"\band\s*/\s*or\b", re.I)
_SEX_OF = {w.lower(): sex for sex, words in _WORDS["sex_qualifiers"].items() for w in words}
_PERSON = phrase_alternation(_SEX_OF)
_SEX_PAIR = re.compile(rf"\b(?:{_PERSON})\s+(?:or|and|and/or)\s+(?:{_PERSON})\b", re.I)  # no alternative
#: Whom a threshold holds for, right after it: `≥ 13 g/dL for men`, `< 12 g/dL in women`, `(men)`.
_SEX_AFTER = re.compile(rf"\s*[,(]?\s*(?:for|in|among)?\s*(?:the\s+)?(?P<who>{_PERSON})\b", re.I)
_EVENTS = phrase_alternation(_WORDS["age_events"])
_AGE_AT_EVENT = re.compile(
    rf"\b(?:at|of|since|before|after)\s+(?:the\s+)?(?:time\s+of\s+)?(?:first\s+)?(?:{_EVENTS})\b"
    r"|\bonset\b|\bdiagnosed\b", re.I)
#: A subject that is how long a condition has lasted: `disease duration`, `duration of
#: diabetes`; `before` or `after` the word names the condition (or a generic word).
_DISEASE_DURATION = re.compile(
    r"(?:(?P<before>[\w\s'-]*?)\s+)?duration(?:\s+of\s+(?:the\s+|his\s+|her\s+)?(?P<after>[\w\s'-]+))?",
    re.I)
_GENERIC_CONDITIONS = frozenset(_WORDS["generic_conditions"])
_CLASSES: Dict[str, List[str]] = _WORDS["classes"]
_EXAMPLES = re.compile(rf"\(\s*(?:{phrase_alternation(_WORDS['example_openers'])})[^()]*\)", re.I)
_DIAGNOSIS = re.compile(phrase_alternation(_WORDS["diagnosis_words"]), re.I)
_BRACKETED_TEXT = re.compile(r"\(([^()]+)\)")
#: `Severe lupus nephritis (defined as ...)`: a bracket that says what the words before it mean.
_DEFINITION = re.compile(rf"\(\s*(?:{phrase_alternation(_WORDS['definition_openers'])})", re.I)
_QUALIFIER = re.compile(rf"^(?:{phrase_alternation(_WORDS['qualifier_words'])})\s+", re.I)
_ITEM_SEPARATOR = re.compile(r";|,\s|\s(?:and/)?or\s", re.I)
_TOP_SEPARATOR = re.compile(r";|,\s")
_LETTER = re.compile(r"[^\W\d_]")
_SLASH_PAIR = re.compile(r"^\s*([^\W\d_][\w-]*)\s*/\s*([^\W\d_][\w-]*)\s*$")  # `AST/ALT`
_WS = re.compile(r"\s+")
_LEADING = re.compile(rf"^(?:(?:{phrase_alternation(_WORDS['leading_words'])}) )+", re.I)
_ANNOTATION = re.compile(r"\{[^{}]*\}")
_POSITIVE = re.compile(phrase_alternation(_WORDS["positive_words"]), re.I)
_NEGATIVE = re.compile(phrase_alternation(_WORDS["negative_words"]), re.I)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PatientFact(_Model):
    """The fact of the patient's record a check used."""

    kind: Literal["age", "sex", "observation", "condition", "medication", "procedure"] = Field(
        description="Where in the record it comes from.")
    name: Optional[str] = Field(default=None, description="The observation's or fact's name.")
    code: Optional[str] = Field(default=None, description="Its code (`LOINC:718-7`).")
    value: Optional[float] = Field(
        default=None, description="The value as recorded (age in years), before conversion.")
    value_text: Optional[str] = Field(default=None, description="A coded or text value.")
    unit: Optional[str] = Field(default=None, description="The recorded unit (UCUM).")
    date: Optional[dt.date] = Field(
        default=None, description="When it was measured, or when the fact started.")
    end: Optional[dt.date] = Field(default=None, description="When the fact ended.")
    status: Optional[str] = Field(default=None, description="The fact's status (`active`).")


class Check(_Model):
    """One constraint against the patient: whether the patient's value lies in its interval."""

    constraint: Optional[int] = Field(
        description="Index into Document.constraints; null for the structured age and sex, "
        "and for a positive result named without a threshold.")
    kind: str = Field(description="The constraint's kind (`numeric`, `age`, ...), `sex`, or "
                      "`qualitative` for a positive result named without a threshold.")
    text: Optional[str] = Field(default=None, description="The constraint's text (`<85 g/L`).")
    subject: Optional[str] = Field(default=None, description="The constraint's subject text.")
    verdict: Verdict = Field(
        description="Whether the patient's value lies in the interval, before any negation: "
        "`met`, `not_met`, or `unknown` when the record cannot say.")
    negated: bool = Field(
        default=False, description="The criterion wants this NOT to hold ('no platelet count "
        "< 50'): it counts inverted for the criterion.")
    hypothetical: bool = Field(default=False, description="A conditional constraint.")
    fact: Optional[PatientFact] = Field(default=None, description="The patient fact used.")
    value: Optional[float] = Field(
        default=None, description="The patient's value in `unit`, the constraint's unit: age "
        "in completed units, elapsed time, or the converted measurement.")
    unit: Optional[str] = Field(default=None, description="The unit of `value`.")
    reason: str = Field(description="Why, on one line.")


class CriterionVerdict(_Model):
    """One criterion (or a structured field) against the patient."""

    index: Optional[int] = Field(
        description="Index into Document.criteria; null for a structured field.")
    field: Optional[Literal["age", "sex"]] = Field(
        default=None, description="For ClinicalTrials.gov's structured fields: which one.")
    section: Optional[Section] = Field(
        description="`inclusion` or `exclusion`; null for a criterion outside both.")
    cohort: Optional[str] = Field(default=None, description="The criterion's cohort, if any.")
    parent: Optional[int] = Field(
        default=None, description="The criterion this one is listed under (`at least one of`).")
    text: str = Field(description="The criterion's text.")
    verdict: Verdict = Field(
        description="`met` when the patient fulfils what the criterion says (for an exclusion "
        "criterion: the patient has what excludes), `not_met`, or `unknown`.")
    counts: bool = Field(
        default=True, description="Whether it counts for the overall verdict by itself: false "
        "for items listed under a `require` criterion, which count through it.")
    checks: List[Check] = Field(default_factory=list, description="Its constraints' checks.")
    reason: str = Field(description="Why, on one line.")


class Screening(_Model):
    """A patient screened against one trial: a verdict per criterion, and overall."""

    document: str = Field(description="The trial's Document id.")
    patient: Optional[str] = Field(default=None, description="The patient's id.")
    as_of: dt.date = Field(description="The screening day.")
    overall: Overall = Field(
        description="`excluded` when a criterion rules the patient out, `eligible` when every "
        "criterion is decided in the patient's favour, else `needs review`.")
    reason: str = Field(description="Why, on one line.")
    criteria: List[CriterionVerdict] = Field(
        default_factory=list, description="One per Document criterion, in order.")
    structured: List[CriterionVerdict] = Field(
        default_factory=list,
        description="The structured minimum/maximum age and sex, when the trial has them.")
    unknowns: List[int] = Field(
        default_factory=list,
        description="Indexes of the criteria that count for the overall verdict and are "
        "unknown: what a person has to review.")

    def to_table(self, width: int = 120) -> str:
        """A plain-text table: a header line, then one line per structured field and per
        criterion: index, section, verdict, a short excerpt and the reason."""
        head = (f"{self.document} | patient {self.patient or '?'} | as of "
                f"{self.as_of.isoformat()} | {self.overall}: {self.reason}")
        lines = [_clip(head, width * 2), f"{'#':>4}  {'section':<9}  {'verdict':<7}  "
                 f"{'criterion':<28}  reason", "-" * width]
        rows = [(item.field or "", item) for item in self.structured]
        rows += [(str(item.index) if item.counts else f"({item.index})", item)
                 for item in self.criteria]
        for label, item in rows:
            excerpt = _clip(_WS.sub(" ", item.text), 28)
            line = (f"{label:>4}  {item.section or '-':<9}  {item.verdict:<7}  "
                    f"{excerpt:<28}  {item.reason}")
            lines.append(_clip(line, width))
        return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# ============================================================================ screening


def screen(document: Document, patient: Any, as_of: Optional[dt.date] = None) -> Screening:
    """Screen `patient` against the annotated trial `document`.

    document (Document): from `criteria_nlp.annotate_records` / `annotate_texts`.
    patient (Patient, or what `read_patient` reads: a path, JSON text or dict).
    as_of (date or None): the screening day; today when None.
    RETURNS (Screening): a verdict per criterion and overall, with the reasons.
    """
    from .concepts import find_concept
    from .patient import Patient, read_patient
    from .reference_limits import get_reference_limits

    if not isinstance(patient, Patient):
        patient = read_patient(patient)
    as_of = as_of or dt.date.today()
    plan = _plan(document)
    run = _Run(document, patient, as_of, find_concept, plan, get_reference_limits().get)
    checks = [run.check(i, c) for i, c in enumerate(document.constraints)]
    criteria = document.criteria
    verdicts: List[Optional[CriterionVerdict]] = [None] * len(criteria)
    # items are listed after their parent: judge from the last, so children come first
    for i in range(len(criteria) - 1, -1, -1):
        crit = criteria[i]
        own = plan.own.get(i, [])
        own_checks = [checks[j] for j in own]
        if crit.require is not None and plan.children.get(i):
            kids = [verdicts[j] for j in plan.children[i]]
            verdict, reason = _require_from_items(crit, kids)  # type: ignore[arg-type]
        elif crit.require is not None and not own:  # `at least one of: positive ANA, ...`
            own_checks = run.result_checks(crit)
            verdict, reason = _require_results(crit, own_checks)
        else:
            defined = run.defined(crit, own, checks)  # `Severe X within 8 weeks (defined as ...)`
            if defined is not None:
                verdict, reason, own_checks = defined
            else:
                verdict, reason = _combine(crit, plan.shapes.get(i), checks)
        verdicts[i] = CriterionVerdict(
            index=i, section=crit.section, cohort=crit.cohort, parent=crit.parent,
            text=crit.text, verdict=verdict, checks=own_checks, reason=reason,
            counts=i not in plan.listed)
    structured = run.structured_fields()
    incomplete = None
    if not criteria:
        incomplete = "no criteria were read from the trial"
    elif any(not e.startswith("[W") for e in document.errors):
        incomplete = f"the trial's annotation has errors ({_clip(document.errors[0], 60)})"
    overall, why, unknowns = _overall([v for v in verdicts if v is not None], structured,
                                      incomplete)
    return Screening(document=document.id, patient=patient.id, as_of=as_of, overall=overall,
                     reason=why, criteria=verdicts, structured=structured, unknowns=unknowns)


class _Plan(NamedTuple):
    """What a screening needs of a document that no patient changes."""

    own: Dict[int, List[int]]  # criterion -> its constraints
    children: Dict[int, List[int]]  # `require` criterion -> the items listed under it
    listed: frozenset  # items listed under a `require`
    shapes: Dict[int, "_Shape"]  # criterion -> how its checks combine
    several_ages: frozenset  # criteria with several age ranges


#: Plans of the documents screened last, by identity (the document is kept, so its id
#: stays its own): screening one trial against many patients plans it once. A Document is
#: taken as unchanged once screened.
_PLANS: Dict[int, Tuple[Document, _Plan]] = {}
_PLANS_KEPT = 32


def _plan(document: Document) -> _Plan:
    hit = _PLANS.get(id(document))
    if hit is not None and hit[0] is document:
        return hit[1]
    criteria, constraints = document.criteria, document.constraints
    own: Dict[int, List[int]] = {}
    ages: Dict[int, int] = {}
    for i, c in enumerate(constraints):
        if c.criterion is not None:
            own.setdefault(c.criterion, []).append(i)
            if c.kind == "age" and c.alternative_of is None:
                ages[c.criterion] = ages.get(c.criterion, 0) + 1
    children: Dict[int, List[int]] = {}
    for i, crit in enumerate(criteria):
        if crit.parent is not None and 0 <= crit.parent < i \
                and criteria[crit.parent].require is not None:
            children.setdefault(crit.parent, []).append(i)
    shapes = {i: _shape(criteria[i], members, constraints) for i, members in own.items()
              if 0 <= i < len(criteria)}
    plan = _Plan(own, children, frozenset(j for items in children.values() for j in items),
                 shapes, frozenset(k for k, n in ages.items() if n > 1))
    if len(_PLANS) >= _PLANS_KEPT:
        try:
            _PLANS.pop(next(iter(_PLANS)), None)
        except (RuntimeError, StopIteration):  # another thread changed it meanwhile
            pass
    _PLANS[id(document)] = (document, plan)
    return plan


class _Run:
    """One screening call: the patient, the day and the memoized concept look-ups."""

    def __init__(self, document: Document, patient: "Patient", as_of: dt.date,
                 find_concept: Callable[[str], Optional["Concept"]], plan: _Plan,
                 reference_limits: Callable[[str], Optional["ReferenceLimits"]]) -> None:
        self.document = document
        self.patient = patient
        self.as_of = as_of
        self._find_concept = find_concept
        self._reference_limits = reference_limits  # concept code -> its row of reference_limits.tsv
        self._concepts: Dict[str, Optional["Concept"]] = {}
        self._age: Optional[Tuple[Optional[float]]] = None
        self._facts: Optional[List[Tuple[str, "Fact", str]]] = None
        self._several_ages = plan.several_ages  # `6 months to 17 years` read as two points

    # ------------------------------------------------------------------ look-ups

    def concept(self, text: Optional[str]) -> Optional["Concept"]:
        if not text:
            return None
        if text not in self._concepts:
            self._concepts[text] = self._find_concept(text)
        return self._concepts[text]

    def age(self) -> Optional[float]:
        if self._age is None:
            self._age = (self.patient.age_on(self.as_of),)
        return self._age[0]

    # ------------------------------------------------------------------ checks

    def check(self, index: Optional[int], c: Constraint) -> Check:
        base = dict(constraint=index, kind=c.kind, text=c.text,
                    subject=c.subject.text if c.subject is not None else None,
                    negated=c.negated, hypothetical=c.hypothetical)
        if c.hypothetical:
            return Check(**base, verdict=UNKNOWN,
                         reason="conditional ('if ...'): the condition is not checked")
        sex = self._holds_for(c)
        if sex is not None and self.patient.sex != sex:  # `≥ 13 g/dL for men`, a woman's record
            whose = "not recorded" if self.patient.sex is None else self.patient.sex
            return Check(**base, verdict=UNKNOWN,
                         reason=f"holds for {sex} patients; the patient's sex: {whose}")
        if c.kind == "age":
            return self._age_check(base, c)
        if c.kind in ("numeric", "dose"):
            return self._measurement_check(base, c)
        if c.kind == "temporal":
            return self._temporal_check(base, c)
        if c.kind == "duration" and _DISEASE_DURATION.fullmatch(_fact_key(base["subject"] or "")):
            return self._disease_duration_check(base, c)
        if c.kind == "count" and _result_class(base["subject"]) is not None:
            return self._positive_count_check(base, c)
        what = {"count": "a count of things", "duration": "how long something lasted"}
        return Check(**base, verdict=UNKNOWN,
                     reason=f"{c.kind} constraints are not checked ({what.get(c.kind, c.kind)})")

    def _holds_for(self, c: Constraint) -> Optional[str]:
        """The sex a threshold holds for, when the text names it right after the threshold
        (`≥ 13 g/dL for men and ≥ 12 g/dL for women`), else None."""
        if c.end is None:
            return None
        m = _SEX_AFTER.match(self.document.text, c.end)
        return _SEX_OF.get(m.group("who").lower()) if m else None

    def _positive_count_check(self, base: dict, c: Constraint) -> Check:
        """A count of positive results of a class of tests (`positive for at least one
        autoantibody`): met when the record holds enough of them on or before as_of; else
        unknown, the record not being taken as complete."""
        tests = _result_class(base["subject"])
        positive = [obs for obs in self.patient.observations
                    if obs.date is not None and obs.date <= self.as_of
                    and _of_class(obs, tests) and _reads_positive(obs, tests)]
        count = len({obs.code or _fact_key(obs.name) for obs in positive})  # tests, not repeats
        found = "; ".join(f"{obs.name or obs.code} {_result_text(obs)} on {obs.date.isoformat()}"
                          for obs in positive)  # type: ignore[union-attr]
        what = f"{count} positive {base['subject']} result{'s' if count != 1 else ''}"
        if c.lower is not None and c.upper is None and c.admits(count):
            latest = max(positive, key=lambda obs: obs.date)  # type: ignore[arg-type,return-value]
            return Check(**base, verdict=MET, fact=_observation_fact(latest), value=count,
                         reason=f"{what} ({found}) {_relation(True, c)}")
        return Check(**base, verdict=UNKNOWN, value=count,
                     reason=f"{what}{f' ({found})' if found else ''} on or before "
                            f"{self.as_of.isoformat()}: the record is not taken as complete")

    def defined(self, crit: Criterion, own: List[int], checks: Sequence[Check]
                ) -> Optional[Tuple[str, str, List[Check]]]:
        """`Severe lupus nephritis within 8 weeks prior to screening (defined as urinary
        protein >6 g/24 h, or serum creatinine >2.5 mg/dL, or ...)`: the bracket says what
        the qualifier (`severe`) means, as alternatives. The checks before the bracket are
        taken with the qualifier left out of a window's subject (the record's `lupus
        nephritis` is the condition; how severe it is, the bracket decides): met when they
        are all met, one check inside the bracket is, and the words before the bracket hold
        no condition or exception the checks leave out (`with`, `unless`); not met when one
        before it is not, the words before it hold no alternatives (`or`), and nothing
        follows the bracket. None (the usual rules apply) otherwise."""
        m = _DEFINITION.search(crit.text)
        constraints = self.document.constraints
        if m is None or any(constraints[j].negated or constraints[j].hypothetical for j in own):
            return None
        opening = crit.start + m.start()
        closing = crit.start + _closing_bracket(crit.text, m.start())
        head = [j for j in own if constraints[j].end <= opening]
        inside = [j for j in own if opening <= constraints[j].start and constraints[j].end <= closing]
        if not head or not inside:
            return None
        head_checks = [self._unqualified(checks[j], constraints[j]) for j in head]
        inside_checks = [checks[j] for j in inside]
        own_checks = head_checks + inside_checks
        before = crit.text[:m.start()]
        if all(c.verdict == MET for c in head_checks) \
                and not _AND_CUE.search(before) and not _EXCEPT_CUE.search(before):
            met = next((c for c in inside_checks if c.verdict == MET), None)
            if met is not None:
                return MET, (f"{_joined([(c.verdict, c.reason) for c in head_checks])}; as the "
                             f"bracket defines it: {met.reason}"), own_checks
        failed = next((c for c in head_checks if c.verdict == NOT_MET), None)
        if failed is not None and not _OR_CUE.search(before) \
                and not crit.text[closing - crit.start + 1:].strip(" .;,"):
            return NOT_MET, failed.reason, own_checks
        return None

    def _unqualified(self, check: Check, c: Constraint) -> Check:
        """A window's check again, its subject without a leading qualifier (`Severe lupus
        nephritis` -> `lupus nephritis`); other checks as they are."""
        if c.kind != "temporal" or c.subject is None or len(c.subjects) > 1 \
                or not _QUALIFIER.match(c.subject.text):
            return check  # a list of members (`severe MI or stroke`) is left as it is
        plain = c.subject.model_copy(update={"text": _QUALIFIER.sub("", c.subject.text, count=1)})
        c = c.model_copy(update={"subject": plain, "subjects": [plain]})
        base = dict(constraint=check.constraint, kind=c.kind, text=c.text, subject=plain.text,
                    negated=c.negated, hypothetical=c.hypothetical)
        return self._temporal_check(base, c)

    def result_checks(self, crit: Criterion) -> List[Check]:
        """A check for each positive result a criterion names without a threshold: a
        recognised Value that reads positive (`positive antinuclear antibody (ANA)`), not
        negated or conditional, whose subject names a test of a result class."""
        checks = []
        for entity in self.document.entities:
            if entity.start < crit.start or entity.end > crit.end or entity.label != "Value" \
                    or entity.subject is None or entity.negated or entity.hypothetical:
                continue
            if _POSITIVE.search(entity.text) and not _NEGATIVE.search(entity.text):
                checks.append(self._result_check(entity.text, entity.subject.text))
        return checks

    def _result_check(self, text: str, subject: str) -> Check:
        """Whether the patient's latest result of the test `subject` names reads positive:
        met when it does; otherwise unknown (a result that does not read positive is left to
        a person, as is a test the record holds no result of)."""
        base = dict(constraint=None, kind="qualitative", text=text, subject=subject)
        tests = _test_class(subject)
        if tests is None:
            return Check(**base, verdict=UNKNOWN,
                         reason=f"'{subject}' names no test of the result classes")
        results = [obs for obs in self.patient.observations
                   if obs.date is not None and obs.date <= self.as_of and _of_test(obs, tests, subject)]
        if not results:
            return Check(**base, verdict=UNKNOWN,
                         reason=f"no {subject} result on or before {self.as_of.isoformat()}")
        latest = max(results, key=lambda obs: obs.date)  # type: ignore[arg-type,return-value]
        seen = f"{latest.name or latest.code} {_result_text(latest)} on {latest.date.isoformat()}"  # type: ignore[union-attr]
        if _reads_positive(latest, tests):
            return Check(**base, verdict=MET, fact=_observation_fact(latest),
                         reason=f"{seen}: positive")
        return Check(**base, verdict=UNKNOWN, fact=_observation_fact(latest),
                     reason=f"{seen} does not read positive")

    def _age_check(self, base: dict, c: Constraint) -> Check:
        if c.criterion is not None and c.criterion in self._several_ages:
            return Check(**base, verdict=UNKNOWN,
                         reason="several age ranges in one criterion: how they combine is not "
                                "known")
        crit = self.document.criteria[c.criterion] \
            if c.criterion is not None and 0 <= c.criterion < len(self.document.criteria) \
            else None
        if crit is not None and _AGE_AT_EVENT.search(crit.text):
            return Check(**base, verdict=UNKNOWN,
                         reason="an age at an event (diagnosis, onset), not the age today")
        age = self.age()
        if age is None:
            return Check(**base, verdict=UNKNOWN, reason="age unknown: no birth date or age")
        fact = PatientFact(kind="age", value=round(age, 4))
        ucum = c.ucum or _AGE_UNITS.get((c.unit or "").lower())
        if c.unit is None and c.ucum is None:
            ucum = "a"
        if ucum not in DAYS or ucum in ("h", "min") or c.relative_to:
            return Check(**base, verdict=UNKNOWN, fact=fact,
                         reason=f"age in {c.unit or c.ucum!r} cannot be compared")
        unit_name = c.unit or "years"
        exact = age if ucum == "a" else age * DAYS["a"] / DAYS[ucum]
        completed = math.floor(exact + 1e-9)
        in_exact, in_completed = c.admits(exact), c.admits(completed)
        interval = _interval(c)
        shown = f"{completed} {unit_name} ({exact:.2f})"
        if in_exact == in_completed:
            verdict = MET if in_exact else NOT_MET
        elif (in_completed and c.upper is not None and c.upper.inclusive
              and exact > c.upper.value >= completed):
            verdict = MET  # 65 years and 7 months is aged 65: inside "18-65 years"
            shown = f"{completed} completed {unit_name} ({exact:.1f})"
        else:
            return Check(**base, verdict=UNKNOWN, fact=fact, value=completed, unit=unit_name,
                         reason=f"age {exact:.2f} {unit_name}: completed and exact age read "
                                f"{interval} differently")
        return Check(**base, verdict=verdict, fact=fact, value=completed, unit=unit_name,
                     reason=f"age {shown} on {self.as_of.isoformat()} "
                            f"{_relation(verdict == MET, c)}")

    def _measurement_check(self, base: dict, c: Constraint) -> Check:
        subject = c.subject.text if c.subject is not None else None
        if c.component is not None:
            names = [f"{c.component} blood pressure"]
        else:
            names = [subject, c.subject.long_form if c.subject is not None else None]
            if len(c.subjects) == 1:
                names.append(c.subjects[0].text)
        if subject is None and c.component is None:
            return Check(**base, verdict=UNKNOWN, reason="no subject: nothing to look up")
        concept = None
        for name in names:
            concept = self.concept(name)
            if concept is not None:
                break
        if concept is None:
            pair = _SLASH_PAIR.match(subject or "") if c.relative_to is not None else None
            if pair is not None and all(self.concept(name) is not None for name in pair.groups()):
                return self._pair_check(base, c, pair)
            several = " (several subjects)" if len(c.subjects) > 1 else ""
            return Check(**base, verdict=UNKNOWN,
                         reason=f"no measurement concept for {subject!r}{several}")
        obs = self.patient.latest(code=concept.code, names=concept.names, before=self.as_of)
        if obs is None:
            return Check(**base, verdict=UNKNOWN,
                         reason=f"no {concept.code} ({subject or concept.name}) on or before "
                                f"{self.as_of.isoformat()}")
        fact = _observation_fact(obs)
        when = f" on {obs.date.isoformat()}" if obs.date else ""
        label = subject or concept.name
        if obs.value is None:
            return Check(**base, verdict=UNKNOWN, fact=fact,
                         reason=f"{label}{when} has no numeric value "
                                f"({obs.value_text!r})")
        shown = _result_text(obs)
        if c.relative_to is not None:
            return self._multiple_check(base, c, obs, fact, concept, (label, shown, when))
        value, unit, problem = _to_constraint_unit(obs.value, obs.unit, c, concept)
        if problem is not None:
            return Check(**base, verdict=UNKNOWN, fact=fact, reason=f"{shown}{when}: {problem}")
        ok = c.admits(value)
        converted = "" if unit == obs.unit or (unit or "") == (obs.unit or "") else \
            f" = {_num(value)} {unit}"
        return Check(**base, verdict=MET if ok else NOT_MET, fact=fact, value=value, unit=unit,
                     reason=f"{label} {shown}{converted}{when} {_relation(ok, c)}")

    def _multiple_check(self, base: dict, c: Constraint, obs: "Observation", fact: PatientFact,
                        concept: "Concept", shown: Tuple[str, str, str]) -> Check:
        """A multiple of the laboratory's limit (`> 2x ULN`): the value over the limit given
        with the result. Without one, the bounds of reference_limits.tsv decide what holds
        at every laboratory (`_bounds_check`); else unknown."""
        label, result, when = shown
        ref = c.relative_to
        limit = {"ULN": obs.reference_high, "LLN": obs.reference_low}.get(ref or "")
        if limit is None:
            return self._bounds_check(base, c, obs, fact, concept, shown)
        if limit <= 0:
            return Check(**base, verdict=UNKNOWN, fact=fact,
                         reason=f"{label} {result}{when} vs a multiple of {ref}: the record's "
                                f"{ref} ({_num(limit)}) is no limit to compare with")
        multiple = _round(obs.value / limit)
        ok = c.admits(multiple)
        given = f"{_num(limit)} {obs.unit}" if obs.unit else _num(limit)
        return Check(**base, verdict=MET if ok else NOT_MET, fact=fact, value=multiple,
                     unit=f"x {ref}",
                     reason=f"{label} {result}{when} = {_num(multiple)} x {ref} ({given}) "
                            f"{_relation(ok, c)}")

    def _pair_check(self, base: dict, c: Constraint, pair: "re.Match[str]") -> Check:
        """`AST/ALT > 2x ULN`: a multiple of a limit for two analytes named with a slash (no
        ratio has a limit of normal) holds for each of them: `> 2x ULN` is met when one is
        over it and not met when neither is; `<= 2.5x ULN` is met when both are under it and
        not met when one is over; else unknown."""
        assert c.subject is not None
        checks = []
        for name, start in zip(pair.groups(), (pair.start(1), pair.start(2))):
            ref = c.subject.model_copy(update={"text": name, "start": c.subject.start + start,
                                               "end": c.subject.start + start + len(name),
                                               "long_form": None})
            checks.append(self._measurement_check(dict(base, subject=name),
                                                  c.model_copy(update={"subject": ref, "subjects": [ref]})))
        verdicts = [check.verdict for check in checks]
        # a lower bound (`> 2x`) holds when one holds; an upper one (`<= 2.5x`) when both do
        either = c.lower is not None and c.upper is None
        decisive = MET if either else NOT_MET
        if decisive in verdicts:
            verdict = decisive
        elif all(v == _flip(decisive) for v in verdicts):
            verdict = _flip(decisive)
        else:
            verdict = UNKNOWN
        shown = next((k for k in checks if k.verdict == verdict), checks[0])
        return Check(**base, verdict=verdict, fact=shown.fact, value=shown.value, unit=shown.unit,
                     reason="; ".join(k.reason for k in checks))

    def _bounds_check(self, base: dict, c: Constraint, obs: "Observation", fact: PatientFact,
                      concept: "Concept", shown: Tuple[str, str, str]) -> Check:
        """A multiple of a limit the record does not give, against the lowest and highest
        limit in use (reference_limits.tsv): the value is v / L x the limit for a laboratory
        whose limit is L, so between v / highest and v / lowest. Met when the constraint holds
        at both ends, not met when it holds at neither and both lie on one side of it; else
        (or without a row for the concept) unknown."""
        label, result, when = shown
        ref = c.relative_to
        row = self._reference_limits(concept.code)
        pair = row.bounds(ref) if row is not None else None
        if row is None or pair is None:
            return Check(**base, verdict=UNKNOWN, fact=fact,
                         reason=f"{label} {result}{when} vs a multiple of {ref}: the record carries "
                                f"no reference range ({ref}) to compare, and reference_limits.tsv "
                                f"has no {ref} bounds for {concept.code}")
        if _unitless(obs.unit):
            value, problem = obs.value, f"the observation has no unit; the limits are in {row.unit}"
        else:
            value, problem = _to_unit(obs.value, obs.unit, row.unit, concept)  # type: ignore[arg-type]
        if problem is not None:
            return Check(**base, verdict=UNKNOWN, fact=fact,
                         reason=f"{label} {result}{when} vs a multiple of {ref}: {problem}")
        low, high = pair
        unit = row.unit
        converted = "" if (obs.unit or "").strip() == unit else f" = {_num(value)} {unit}"
        seen = f"{label} {result}{converted}{when}"
        least, most = _round(value / high), _round(value / low)  # the multiple, by laboratory
        lowest = f"{_num(low)} {unit}, the lowest {ref} in use"
        highest = f"{_num(high)} {unit}, the highest {ref} in use"
        lower, upper = c.lower, c.upper
        if lower is not None and _below(most, lower):  # under k x the lowest limit: under k x any
            verdict = NOT_MET
            why = f"{seen} {_sign(most, lower.value)} {_num(lower.value)} x {lowest}"
        elif upper is not None and _above(least, upper):
            verdict = NOT_MET
            why = f"{seen} {_sign(least, upper.value)} {_num(upper.value)} x {highest}"
        elif c.admits(least) and c.admits(most):
            verdict = MET
            sides = []
            if lower is not None:
                sides.append(f"{_sign(least, lower.value)} {_num(lower.value)} x {highest}")
            if upper is not None:
                sides.append(f"{_sign(most, upper.value)} {_num(upper.value)} x {lowest}")
            why = f"{seen} {' and '.join(sides) or 'is any multiple'}"
        else:
            return Check(**base, verdict=UNKNOWN, fact=fact, value=value, unit=unit,
                         reason=f"{seen} is {_num(least)}-{_num(most)} x {ref} for the {ref}s in "
                                f"use, {_num(low)}-{_num(high)} {unit} (reference_limits.tsv, the "
                                f"{row.name} row, with its sources): {_interval(c)} at some "
                                f"laboratories, not at others; the record carries no reference range")
        return Check(**base, verdict=verdict, fact=fact, value=value, unit=unit,
                     reason=f"{why} (reference_limits.tsv, the {row.name} row, with its sources): "
                            f"{_relation(verdict == MET, c)} at any laboratory; the record "
                            f"carries no reference range")

    def _temporal_check(self, base: dict, c: Constraint) -> Check:
        if c.direction == "after":
            return Check(**base, verdict=UNKNOWN,
                         reason=f"a window after {c.anchor or 'an event'}, not before screening")
        if c.anchor is not None and not _SCREENING_ANCHOR.search(c.anchor):
            return Check(**base, verdict=UNKNOWN,
                         reason=f"window anchored on {c.anchor!r}, not on the screening day")
        days = DAYS.get(c.ucum or "")
        if days is None or c.relative_to:
            return Check(**base, verdict=UNKNOWN,
                         reason=f"{c.unit or c.ucum!r} is not a length of time to measure")
        members = list(c.subjects) or ([c.subject] if c.subject is not None else [])
        if not members:
            return Check(**base, verdict=UNKNOWN, reason="no subject: nothing to look up")
        conjunction = (c.subject is not None and len(members) > 1
                       and re.search(r"\band\b", c.subject.text, re.I) is not None
                       and re.search(r"\bor\b", c.subject.text, re.I) is None)
        results = [self._member_window(m.text, m.long_form, c, days) for m in members]
        # an `or` list is met by one member inside the window; an `and` list needs all
        decisive = NOT_MET if conjunction else MET
        pick = next((r for r in results if r[0] == decisive), None)
        if pick is None:
            pick = next((r for r in results if r[0] == UNKNOWN), None) or results[0]
        verdict = pick[0]
        return Check(**base, verdict=verdict, fact=pick[1], value=pick[2], unit=c.unit,
                     reason=pick[3])

    def _diagnosis_window(self, c: Constraint) -> bool:
        """Whether the window is about a diagnosis: `malignancy diagnosed within 5 years`."""
        if c.subject is None or c.subject.end > c.start:
            return False
        return _DIAGNOSIS.search(self.document.text, c.subject.start, c.start) is not None

    def _disease_duration_check(self, base: dict, c: Constraint) -> Check:
        """`Disease duration ≤5 years`, `duration of diabetes ≥ 1 year`: the time from the
        onset of the condition the subject names (for a bare `disease`, the criterion's
        cohort: `For Systemic Sclerosis (SSc):`) to as_of; its earliest dated record counts."""
        days = DAYS.get(c.ucum or "")
        if days is None or c.relative_to:
            return Check(**base, verdict=UNKNOWN,
                         reason=f"{c.unit or c.ucum!r} is not a length of time to measure")
        m = _DISEASE_DURATION.fullmatch(_fact_key(base["subject"]))
        named = (m.group("before") or m.group("after") or "").strip()
        if named in _GENERIC_CONDITIONS:
            crit = self.document.criteria[c.criterion] if c.criterion is not None and \
                0 <= c.criterion < len(self.document.criteria) else None
            cohort = crit.cohort if crit is not None else None
            if not cohort:
                return Check(**base, verdict=UNKNOWN,
                             reason="the duration of which disease: neither the subject nor a "
                                    "cohort names it")
            names = [_BRACKETED.sub(" ", cohort)] + _BRACKETED_TEXT.findall(cohort)
        else:
            names = [named]
        facts = sorted((fact for name in names for kind, fact in self._matching_facts(name, None)
                        if kind == "condition" and fact.date is not None and fact.date <= self.as_of),
                       key=lambda fact: fact.date)
        if not facts:
            return Check(**base, verdict=UNKNOWN,
                         reason=f"no dated condition matching {' / '.join(n.strip() for n in names)!r}")
        fact = facts[0]
        elapsed = (self.as_of - fact.date).days / days
        record = PatientFact(kind="condition", name=fact.name, code=fact.code, date=fact.date,
                             end=fact.end, status=fact.status)  # type: ignore[arg-type]
        ok = c.admits(elapsed)
        return Check(**base, verdict=MET if ok else NOT_MET, fact=record, value=_round(elapsed),
                     unit=c.unit, reason=f"condition {fact.name!r} since {fact.date.isoformat()}: "
                                         f"{_num(round(elapsed, 2))} {c.unit or c.ucum} {_relation(ok, c)}")

    def _member_window(self, text: str, long_form: Optional[str], c: Constraint, days: float
                       ) -> Tuple[str, Optional[PatientFact], Optional[float], str]:
        """(verdict, the deciding fact, its elapsed time in the constraint's unit, reason)
        for one subject member."""
        facts = self._matching_facts(text, long_form)
        if not facts:
            return (UNKNOWN, None, None,
                    f"no condition/medication/procedure matching {text!r}")
        decided: List[Tuple[str, PatientFact, Optional[float], str]] = []
        for kind, fact in facts:
            decided.append(self._fact_window(kind, fact, c, days))
        for wanted in (MET, UNKNOWN, NOT_MET):
            for item in decided:
                if item[0] == wanted:
                    return item
        return decided[0]  # pragma: no cover

    def _matching_facts(self, text: str, long_form: Optional[str]) -> List[Tuple[str, "Fact"]]:
        keys = {_fact_key(text), _fact_key(long_form)} - {""}
        members = {m for key in keys for name, words in _CLASSES.items()
                   if _name_pattern(name).search(key) for m in words}  # `malignancy` -> `cancer`
        patterns = [_name_pattern(n) for n in keys | members]
        concept = self.concept(text)
        code = concept.code if concept is not None else None
        return [(kind, fact) for kind, fact, name in self.facts()
                if (code is not None and fact.code == code)
                or any(p.search(name) for p in patterns)]

    def facts(self) -> List[Tuple[str, "Fact", str]]:
        """(kind, fact, its name folded) of every condition, medication and procedure that
        happened."""
        if self._facts is None:
            self._facts = [
                (kind, fact, _WS.sub(" ", (fact.name or "").casefold()))
                for kind, facts in (("condition", self.patient.conditions),
                                    ("medication", self.patient.medications),
                                    ("procedure", self.patient.procedures))
                for fact in facts if (fact.status or "").lower() not in NOT_HAPPENED
            ]
        return self._facts

    def _fact_window(self, kind: str, fact: "Fact", c: Constraint, days: float
                     ) -> Tuple[str, PatientFact, Optional[float], str]:
        record = PatientFact(kind=kind, name=fact.name, code=fact.code, date=fact.date,
                             end=fact.end, status=fact.status)  # type: ignore[arg-type]
        label = f"{kind} {fact.name!r}"
        if fact.date is None:
            return UNKNOWN, record, None, f"{label} has no date"
        if fact.date > self.as_of:
            return UNKNOWN, record, None, f"{label} dated after {self.as_of.isoformat()}"
        unit = c.unit or c.ucum
        started = (self.as_of - fact.date).days / days
        if fact.end is not None:
            ended: Optional[float] = max(0.0, (self.as_of - fact.end).days / days)
            span = f"{fact.date.isoformat()} to {fact.end.isoformat()}"
        elif kind == "procedure" or (kind == "condition" and self._diagnosis_window(c)):
            ended = started  # a day: the procedure's, or the diagnosis the window is about
            span = f"on {fact.date.isoformat()}"
        elif (fact.status or "").lower() in ONGOING:
            ended = 0.0
            span = f"since {fact.date.isoformat()}, {fact.status}"
        else:
            ended = None
            span = f"from {fact.date.isoformat()}, end not recorded"
        ago = f"{_num(round(started, 2))} {unit} ago"
        if ended is None:
            if c.admits(started):
                return MET, record, started, f"{label} {span} ({ago}): in the window"
            if _below(started, c.lower):
                return NOT_MET, record, started, f"{label} {span} ({ago}): after the window"
            return (UNKNOWN, record, started,
                    f"{label} {span} ({ago}): began before the window; whether it lasted into "
                    f"it is not recorded")
        # held over elapsed times [ended, started]; does that meet the interval?
        meets = not _below(started, c.lower) and not _above(ended, c.upper)
        word = "in" if meets else "outside"
        return (MET if meets else NOT_MET, record, ended,
                f"{label} {span} ({ago}): {word} the window {_interval(c)}")

    # ------------------------------------------------------------------ structured fields

    def structured_fields(self) -> List[CriterionVerdict]:
        s = self.document.structured
        out: List[CriterionVerdict] = []
        if s is None:
            return out
        if s.age is not None:
            check = self._age_check(dict(constraint=None, kind="age", text=None, subject=None,
                                         negated=False, hypothetical=False), s.age)
            out.append(CriterionVerdict(index=None, field="age", section="inclusion",
                text=f"age {_interval(s.age)} (structured field)", verdict=check.verdict,
                checks=[check], reason=check.reason))
        if s.sex is not None:
            sex = self.patient.sex
            fact = PatientFact(kind="sex", value_text=sex) if sex else None
            if s.sex == "ALL":
                verdict, reason = MET, "the trial takes all sexes"
            elif sex is None:
                verdict, reason = UNKNOWN, f"the trial takes {s.sex.lower()} patients; sex unknown"
            else:
                verdict = MET if sex.upper() == s.sex else NOT_MET
                reason = f"{sex} patient; the trial takes {s.sex.lower()} patients"
            check = Check(constraint=None, kind="sex", text=s.sex, verdict=verdict, fact=fact,
                          reason=reason)
            out.append(CriterionVerdict(index=None, field="sex", section="inclusion",
                text=f"sex {s.sex} (structured field)", verdict=verdict, checks=[check],
                reason=reason))
        return out


# ============================================================================ helpers


def _num(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e6 else f"{value:.4g}"


def _round(value: float) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, _SIGNIFICANT - 1 - int(math.floor(math.log10(abs(value)))))


def _interval(c: Constraint) -> str:
    unit = f" {c.unit}" if c.unit else ""
    ref = f" x {c.relative_to}" if c.relative_to else ""
    if c.lower is not None and c.upper is not None:
        lo = "[" if c.lower.inclusive else "("
        hi = "]" if c.upper.inclusive else ")"
        return f"{lo}{_num(c.lower.value)}, {_num(c.upper.value)}{hi}{ref}{unit}"
    if c.lower is not None:
        return f"{'≥' if c.lower.inclusive else '>'} {_num(c.lower.value)}{ref}{unit}"
    if c.upper is not None:
        return f"{'≤' if c.upper.inclusive else '<'} {_num(c.upper.value)}{ref}{unit}"
    return "any value"


def _relation(inside: bool, c: Constraint) -> str:
    """`is < 10 mg/dL`, `is not in [18, 65] years`."""
    both = c.lower is not None and c.upper is not None
    return f"{'is' if inside else 'is not'} {'in ' if both else ''}{_interval(c)}"


def _below(value: float, bound: Optional[Bound]) -> bool:
    return bound is not None and (value < bound.value or (value == bound.value
                                                          and not bound.inclusive))


def _above(value: float, bound: Optional[Bound]) -> bool:
    return bound is not None and (value > bound.value or (value == bound.value
                                                          and not bound.inclusive))


def _sign(value: float, bound: float) -> str:
    """`<`, `=` or `>`: how a value compares with a bound."""
    return "<" if value < bound else ">" if value > bound else "="


def _fact_key(text: Optional[str]) -> str:
    """A subject as matched against fact names: lower case, single spaces, without a leading
    `history of`, `treatment with`, `prior` and the like."""
    return _fact_key_cached(text) if text else ""


@lru_cache(maxsize=4096)
def _name_pattern(key: str) -> "re.Pattern[str]":
    return re.compile(r"(?<!\w)" + re.escape(key) + r"(?!\w)")


@lru_cache(maxsize=4096)
def _fact_key_cached(text: str) -> str:
    key = _WS.sub(" ", text.casefold()).strip(" .,;:()")
    return _LEADING.sub("", key).strip()


_RESULT_CLASSES: Dict[str, dict] = {_fact_key_cached(name): tests
                                    for tests in _WORDS["result_classes"].values()
                                    for name in tests["names"]}


def _result_class(subject: Optional[str]) -> Optional[dict]:
    """The class of tests a count's subject names (`autoantibody`), from `result_classes`."""
    return _RESULT_CLASSES.get(_fact_key(subject))


def _closing_bracket(text: str, opening: int) -> int:
    """Where the bracket opened at text[opening] closes; the end of the text if it does not."""
    depth = 0
    for i in range(opening, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return len(text)


def _test_class(subject: str) -> Optional[dict]:
    """The result class one of whose tests a subject names (`antinuclear antibody (ANA)`:
    a word of the class's `words` in it)."""
    key = subject.casefold()
    return next((tests for tests in _WORDS["result_classes"].values()
                 if any(_name_pattern(_fact_key_cached(word)).search(key) for word in tests["words"])),
                None)


def _of_test(obs: "Observation", tests: dict, subject: str) -> bool:
    """Whether a result is of the very test `subject` names: coded with a code whose
    `code_words` the subject holds, or named with a word of the class that both hold."""
    key = subject.casefold()

    def held(word: str, text: str) -> bool:
        return _name_pattern(_fact_key_cached(word)).search(text) is not None

    if obs.code is not None and any(held(w, key) for w in tests.get("code_words", {}).get(obs.code, [])):
        return True
    name = obs.name.casefold() if obs.name else ""
    return any(held(word, key) and held(word, name) for word in tests["words"])


def _of_class(obs: "Observation", tests: dict) -> bool:
    """Whether a result is one of the class's tests: by code, or a test's words in its name."""
    return obs.code in tests["codes"] or obs.name is not None and any(
        _name_pattern(_fact_key_cached(word)).search(obs.name.casefold()) for word in tests["words"])


def _reads_positive(obs: "Observation", tests: dict) -> bool:
    """A text value that says positive (and nothing negative), or a value at or above the
    test's positivity threshold in its unit."""
    if obs.value is not None:
        threshold = tests.get("positive_at_least", {}).get(obs.code)
        return threshold is not None and (obs.unit or "") == threshold["unit"] and \
            obs.value >= threshold["value"]
    text = obs.value_text or ""
    return bool(_POSITIVE.search(text)) and not _NEGATIVE.search(text)


def _result_text(obs: "Observation") -> str:
    """A result as shown in a reason: `95 g/L`, `320 {titer}`, `Positive`."""
    if obs.value is None:
        return obs.value_text or ""
    return f"{_num(obs.value)} {obs.unit or ''}".strip()


def _observation_fact(obs: "Observation") -> PatientFact:
    return PatientFact(kind="observation", name=obs.name, code=obs.code, value=obs.value,
                       value_text=obs.value_text, unit=obs.unit, date=obs.date)


def _unitless(unit: Optional[str]) -> bool:
    return unit is None or not unit.strip() or unit.strip() == "1" or \
        not _ANNOTATION.sub("", unit).strip()


def _to_unit(value: float, unit: Optional[str], target: str, concept: "Concept"
             ) -> Tuple[float, Optional[str]]:
    """(value in `target`, None) or (value, the problem): `unit` converted by pint, with the
    concept's molar mass where one is needed."""
    if unit is not None and unit.strip() == target:
        return _round(value), None
    from .errors import UnitParseError
    from .units import convert

    analyte = concept.analyte or concept.names[0]  # a name where no molar mass is needed (HbA1c)
    try:
        converted = convert(value, unit or "", target, analyte=analyte)
    except (UnitParseError, ValueError) as err:
        return value, f"cannot convert to {target}: {err}"
    return _round(converted), None


def _to_constraint_unit(value: float, unit: Optional[str], c: Constraint, concept: "Concept"
                        ) -> Tuple[float, Optional[str], Optional[str]]:
    """(value in the constraint's unit, that unit, None) or (.., .., the problem)."""
    if unit is not None and c.unit is not None and unit.strip() in (c.ucum, c.unit):
        return _round(value), c.unit, None
    if c.unit is None or _unitless(c.ucum or c.unit):  # `ECOG ≤ 1`, `≥ 1:80` ({titer})
        if _unitless(unit):
            return value, c.unit, None
        return value, unit, f"the criterion gives no unit to compare {unit} with"
    if _unitless(unit):
        return value, unit, f"the observation has no unit; the criterion is in {c.unit}"
    converted, problem = _to_unit(value, unit, c.unit, concept)
    return converted, unit if problem else c.unit, problem


# ============================================================================ criteria


def _flip(verdict: str) -> str:
    return {MET: NOT_MET, NOT_MET: MET}.get(verdict, UNKNOWN)


class _Shape(NamedTuple):
    """What a criterion's text and constraints say about how its checks combine; depends
    on the document only, so it is computed once per criterion (see `_shape`)."""

    groups: Tuple[Tuple[int, ...], ...]  # constraint indexes, alternatives together
    negated: Tuple[bool, ...]  # per group
    alternatives: bool  # `or`, `if`, `one of`...: alternatives the checks may not cover
    conjunct: bool  # `with`, `and`, `requiring`...: conditions the checks may not cover
    exception: bool  # `unless`, `except`...
    items: Tuple[Tuple[Tuple[int, ...], bool], ...]  # (groups, with a conjunct or exception)
    listed: bool  # an exclusion list whose every item holds a check, and no `or`


def _shape(crit: Criterion, own: List[int], constraints: Sequence[Constraint]) -> _Shape:
    key = []
    for i in own:
        c = constraints[i]
        spans = [(c.start, c.end)] + [(m.start, m.end) for m in c.subjects]
        if c.subject is not None:
            spans.append((c.subject.start, c.subject.end))
        key.append((i, c.start, c.end, c.kind, c.alternative_of, c.negated, tuple(spans)))
    return _shape_of(crit.text, crit.start, crit.section, crit.require is not None, tuple(key))


def _blank(chars: List[str], start: Optional[int], end: Optional[int]) -> None:
    if start is not None and end is not None:
        for k in range(max(0, start), min(len(chars), end)):
            chars[k] = " "


@lru_cache(maxsize=8192)
def _shape_of(text: str, offset: int, section: Optional[str], require: bool,
              key: Tuple[Tuple[Any, ...], ...]) -> _Shape:
    info = {row[0]: row for row in key}
    root: Dict[int, int] = {}
    for i in info:
        j, seen = i, set()
        while info[j][4] is not None and j not in seen:
            seen.add(j)
            if info[j][4] not in info:
                break
            j = info[j][4]
        root[i] = j
    members: Dict[int, List[int]] = {}
    for i in info:
        members.setdefault(root[i], []).append(i)
    groups = tuple(tuple(m) for m in members.values())
    negated = tuple(any(info[i][5] for i in g) for g in groups)
    # `masked`: each alternatives group's span blanked (its `or` is no alternative of the
    # criterion); `plain`: also every constraint and subject (their `and` joins what is
    # checked)
    masked_chars = list(text)
    firsts: List[Optional[int]] = []
    for g in groups:
        starts = [info[i][1] for i in g if info[i][1] is not None]
        ends = [info[i][2] for i in g if info[i][2] is not None]
        firsts.append(min(starts) - offset if starts else None)
        if len(g) > 1 and starts and ends:
            _blank(masked_chars, min(starts) - offset, max(ends) - offset)
    # bracketed examples (`(e.g., rituximab, or therapies targeting CD20)`) illustrate the
    # subject: their `or` is no alternative of the criterion
    for m in _EXAMPLES.finditer(text):
        _blank(masked_chars, m.start(), m.end())
    masked = "".join(masked_chars)
    plain_chars = list(masked)
    for row in key:
        for start, end in row[6]:
            _blank(plain_chars, None if start is None else start - offset,
                   None if end is None else end - offset)
    plain = _SEX_PAIR.sub(" ", _AND_OR.sub(" ", "".join(plain_chars)))
    top = _top_level(masked)
    # the words of an exception that ends the criterion (`..., unless B-cell levels returned
    # to pre-treatment or normal ranges`) are no alternatives of what it excepts from; one in
    # brackets is an item's own, and one holding a threshold is checked as the rest
    except_at = _EXCEPT_CUE.search(top)
    if except_at and any(first is not None and first >= except_at.start() for first in firsts):
        except_at = None  # a threshold inside the exception: it is not what is excepted from
    main = masked[:except_at.start()].rstrip(" ,;") if except_at else masked
    or_cue = _OR_CUE.search(_SEX_PAIR.sub(" ", main)) is not None
    alternatives = or_cue or (
        section == "exclusion" and _TOP_SEPARATOR.search(_top_level(main)) is not None)
    conjunct = _AND_CUE.search(plain) is not None
    exception = _EXCEPT_CUE.search(masked) is not None
    items: List[Tuple[Tuple[int, ...], bool]] = []
    listed = False
    if section == "exclusion" or require:
        cuts = [0] + [m.end() for m in _ITEM_SEPARATOR.finditer(top)] + [len(text) + 1]
        parts: List[Tuple[int, int, List[int]]] = [(cuts[k], cuts[k + 1], [])
                                                   for k in range(len(cuts) - 1)]
        for position, rel in enumerate(firsts):
            k = next((k for k, (a, b, _) in enumerate(parts) if rel is not None and a <= rel < b),
                     None)
            if k is not None:
                parts[k][2].append(position)
        merged: List[Tuple[int, int, List[int]]] = []
        for a, b, positions in parts:
            durations = all(info[groups[p][0]][3] == "duration" for p in positions)
            if positions and merged and durations:  # `for ≥14 days` qualifies the item before
                merged[-1] = (merged[-1][0], b, merged[-1][2] + positions)
            else:
                merged.append((a, b, positions))
        # an exception outside brackets (`..., unless ...`) may except any item from it
        excepted = _EXCEPT_CUE.search(top) is not None
        items = [(tuple(positions), excepted or _AND_CUE.search(plain[a:b]) is not None
                  or _EXCEPT_CUE.search(masked[a:b]) is not None)
                 for a, b, positions in merged if positions]
        # `Abnormal laboratory findings: ALT > 2x ULN; hemoglobin < 85 g/L, platelets < 50`:
        # every item of the list is checked, so none excluding is the exclusion not met
        listed = alternatives and section == "exclusion" and not or_cue and not require and all(
            positions or not _LETTER.search(top[a:b]) for a, b, positions in merged)
    return _Shape(groups, negated, alternatives, conjunct, exception, tuple(items), listed)


_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|\{[^{}]*\}")


def _top_level(text: str) -> str:
    """The text with everything inside brackets blanked (an unclosed bracket blanks the
    rest)."""
    previous = None
    while previous != text:
        previous = text
        text = _BRACKETED.sub(lambda m: " " * len(m.group(0)), text)
    cut = min((k for k in (text.find("("), text.find("["), text.find("{")) if k >= 0),
              default=-1)
    return text if cut < 0 else text[:cut] + " " * (len(text) - cut)


def _group_verdict(members: Tuple[int, ...], negated: bool, checks: Sequence[Check]
                   ) -> Tuple[str, str]:
    """(verdict counted for the criterion, reason) of one constraint and its alternatives."""
    decided = {checks[i].verdict for i in members} - {UNKNOWN}
    if len(decided) == 1:
        raw = decided.pop()
        reason = next(checks[i].reason for i in members if checks[i].verdict == raw)
    elif decided:
        raw, reason = UNKNOWN, "its alternatives disagree"
    else:
        raw, reason = UNKNOWN, checks[members[0]].reason
    if negated and raw != UNKNOWN:
        return _flip(raw), f"negated: {reason}"
    return raw, reason


def _combine(crit: Criterion, shape: Optional[_Shape], checks: Sequence[Check]
             ) -> Tuple[str, str]:
    """A criterion's verdict from its own constraints' checks."""
    if shape is None:
        return UNKNOWN, "no checkable constraint"
    judged = [_group_verdict(g, n, checks) for g, n in zip(shape.groups, shape.negated)]
    if crit.require is not None:
        return _require_inline(crit, shape, judged)
    # what the text may hold beyond the checks: alternatives make a failed check no proof
    # of not met; conditions or exceptions make all checks met no proof of met. A negated
    # criterion (`no X or Y`) turns the two around.
    may_not_be_met = shape.conjunct or shape.exception
    may_be_met = shape.alternatives
    if all(shape.negated):
        may_not_be_met, may_be_met = shape.alternatives, shape.conjunct or shape.exception
    elif any(shape.negated):
        may_not_be_met = may_be_met = may_be_met or may_not_be_met
    blocked = None
    if all(v == MET for v, _ in judged):
        if not may_not_be_met:
            return MET, _joined(judged)
        blocked = (f"checks met ({_joined(judged)}), but the text has conditions or "
                   f"exceptions the checks do not cover")
    if not any(shape.negated):
        for positions, open_text in shape.items:  # an exclusion: one item holding is enough
            if not open_text and all(judged[p][0] == MET for p in positions):
                return MET, _joined([judged[p] for p in positions])
    if shape.listed and not any(shape.negated) and all(v == NOT_MET for v, _ in judged):
        return NOT_MET, f"no item of the list holds: {_joined(judged)}"
    failed = next((r for v, r in judged if v == NOT_MET), None)
    if failed is not None:
        if not may_be_met:
            return NOT_MET, failed
        blocked = blocked or (f"not met: {failed}; but the text has alternatives the checks "
                              f"may not cover")
    if blocked is not None:
        return UNKNOWN, blocked
    return UNKNOWN, next((r for v, r in judged if v == UNKNOWN), "undecided")


def _joined(judged: List[Tuple[str, str]]) -> str:
    return "; ".join(r for _, r in judged)


def _needed(crit: Criterion) -> Tuple[int, Optional[int]]:
    """(at least, at most) of a `require`."""
    req = crit.require
    assert req is not None
    low = math.ceil(req.lower.value) if req.lower.inclusive else math.floor(req.lower.value) + 1
    high = None
    if req.upper is not None:
        high = math.floor(req.upper.value) if req.upper.inclusive else \
            math.ceil(req.upper.value) - 1
    return max(low, 0), high


def _require_from_items(crit: Criterion, kids: List[CriterionVerdict]) -> Tuple[str, str]:
    low, high = _needed(crit)
    met = sum(k.verdict == MET for k in kids)
    open_ = sum(k.verdict == UNKNOWN for k in kids)
    counts = f"{met} of {len(kids)} items met, {open_} unknown; needs at least {low}" + (
        f" and at most {high}" if high is not None else "")
    if met + open_ < low or (high is not None and met > high):
        return NOT_MET, counts
    if met >= low and (high is None or met + open_ <= high):
        return MET, counts
    return UNKNOWN, counts


def _require_results(crit: Criterion, checks: List[Check]) -> Tuple[str, str]:
    """`Meet at least one of the following: positive ANA and/or anti-dsDNA ...`, no
    constraint in it: met when enough of the positive results it names are met; never not
    met (a result not named by a recognised Value, or not in the record, is not checked)."""
    if not checks:
        return UNKNOWN, "no checkable constraint"
    low, high = _needed(crit)
    met = [c.reason for c in checks if c.verdict == MET]
    if len(met) >= low and high is None:
        return MET, f"{len(met)} of the named results positive (needs {low}): {'; '.join(met)}"
    return UNKNOWN, (f"{len(met)} of the named results positive (needs {low}): "
                     f"{'; '.join(c.reason for c in checks)}; the alternatives without a "
                     f"result are not checked")


def _require_inline(crit: Criterion, shape: _Shape, judged: List[Tuple[str, str]]
                    ) -> Tuple[str, str]:
    """`Meet at least one of the following: A, B or C` with no items under it: met when
    enough of its items (split as an exclusion's) are met with no condition or exception
    left in them, and no check is unknown; never not met (alternatives the pipeline found no
    constraint in are not checked)."""
    low, high = _needed(crit)
    met = [positions for positions, open_text in shape.items
           if not open_text and all(judged[p][0] == MET and not shape.negated[p]
                                    for p in positions)]
    open_ = [r for v, r in judged if v == UNKNOWN]
    if len(met) >= low and high is None and not open_:
        reasons = _joined([judged[p] for positions in met for p in positions])
        return MET, f"{len(met)} of the listed alternatives met (needs {low}): {reasons}"
    why = f"; unknown: {open_[0]}" if open_ else ""
    return UNKNOWN, (f"{len(met)} of the checked alternatives met (needs {low}){why}; the "
                     f"alternatives without a constraint are not checked")


# ============================================================================ overall


def _overall(criteria: List[CriterionVerdict], structured: List[CriterionVerdict],
             incomplete: Optional[str] = None) -> Tuple[str, str, List[int]]:
    """(overall, reason, unknowns); `incomplete` says why the criteria may not be all."""
    counted = [c for c in criteria if c.counts]
    unknowns = [c.index for c in counted if c.verdict == UNKNOWN and c.index is not None]
    common = structured + [c for c in counted if c.cohort is None]
    cohorts: Dict[str, List[CriterionVerdict]] = {}
    for c in counted:
        if c.cohort is not None:
            cohorts.setdefault(c.cohort, []).append(c)
    unsectioned = [c for c in counted if c.section is None]

    def fails(items: List[CriterionVerdict]) -> Optional[CriterionVerdict]:
        for c in items:
            if (c.section == "inclusion" and c.verdict == NOT_MET) or \
                    (c.section == "exclusion" and c.verdict == MET):
                return c
        return None

    def passes(items: List[CriterionVerdict]) -> bool:
        return all((c.section == "inclusion" and c.verdict == MET)
                   or (c.section == "exclusion" and c.verdict == NOT_MET) for c in items
                   if c.section is not None)

    def name(c: CriterionVerdict) -> str:
        which = c.field if c.index is None else str(c.index)
        how = "not met" if c.verdict == NOT_MET else "met"
        return f"{c.section} {which} {how} ({_clip(_WS.sub(' ', c.text), 40)})"

    failed = fails(common)
    if failed is not None:
        return "excluded", name(failed), unknowns
    if cohorts:
        cohort_fails = {k: fails(v) for k, v in cohorts.items()}
        if all(f is not None for f in cohort_fails.values()):
            why = "; ".join(f"{k}: {name(f)}" for k, f in cohort_fails.items() if f)
            return "excluded", f"fits no cohort: {why}", unknowns
    cohort_ok = not cohorts or any(passes(v) and fails(v) is None for v in cohorts.values())
    if passes(common) and cohort_ok and not unsectioned and incomplete is None:
        return "eligible", "every criterion decided in the patient's favour", unknowns
    parts = [incomplete] if incomplete else []
    parts += [f"{len(unknowns)} criteria unknown"] if unknowns else []
    if unsectioned:
        parts.append(f"{len(unsectioned)} outside an Inclusion/Exclusion section")
    open_fields = [c.field for c in structured if c.verdict == UNKNOWN]
    if open_fields:
        parts.append(f"structured {', '.join(f for f in open_fields if f)} unknown")
    return "needs review", "; ".join(parts) or "undecided", unknowns
