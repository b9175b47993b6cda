"""Gold thresholds and values from the LCT and Chia BRAT annotations.

LCT (Leaf Clinical Trials corpus)
---------------------------------
A gold *threshold* is an ``Eq-Comparison`` event with at least one ``Value`` argument
(``Value``, ``Value2``, ...). Its span is the event trigger's T span (``> 21``,
``2-21 years``, ``within 6 months``).

Direction comes from the ``Eq-Operator-Value`` attribute (``GT``, ``GTEQ``, ``LT``, ``LTEQ``,
``BETWEEN``, ``EQ``, ``PLUS-MINUS``) of the ``Operator`` argument(s):

* no operator: ``EQ`` -- except when the event has a ``Temporal-Period`` argument
  (``in the last 6 months``): an upper bound on elapsed time, ``LTEQ``;
* ``BETWEEN``, or lower-type and upper-type operators together (``≥20 and ≤40``), with
  two or more distinct values: a range, lower = min, upper = max (ranges are sometimes
  annotated in reverse order);
* otherwise ``EQ`` and ``PLUS-MINUS`` are dropped when another operator is present
  (``= <1`` is ``<1`` with a lost ``≤``); if the rest all point one way, that way; if
  they disagree, the first operator argument decides (no rule tries to repair
  reversed annotations);
* ``PLUS-MINUS`` alone (``±2 kg``, a tolerance) yields no atoms.

Gold *atoms* are (side, value) pairs: GT/GTEQ -> ("lower", v); LT/LTEQ -> ("upper", v);
EQ -> both ("lower", v) and ("upper", v); BETWEEN -> ("lower", min) and ("upper", max).
With several values and a one-sided operator (``<140/90 mmHg``) every value gets the
side; a list without operator (``3, 6 and 12 months``) is EQ on each value.
Values are parsed by :func:`parse_number`; an unparseable value (``III``, ``moderate``,
a date) keeps the threshold for detection but yields no atom.

Unit: the text of the ``Unit`` / ``Temporal-Unit`` arguments, together with ``Per``
arguments (``mg`` + ``dL`` -> the document text ``mg/dL`` from the first to the last of
them). A threshold whose only unit-like argument is ``Per`` (``3 times a week``) has no
gold unit, and neither has one whose unit is only the name of a scale (``grade``,
``stage``, ``class``, ``score``, ``points``). A ``Unit`` that names a reference
(attribute ``Eq-Unit-Value`` ``ref-range-*``, or text such as ``upper limit of normal``)
is kept apart in ``reference``.

Subject: the trigger span of each event that points at the threshold with one of
:data:`SUBJECT_ROLES`: ``Numeric-Filter`` (Age, Observation, ...) and ``Temporality``
(Procedure, Drug, ...), and also ``Duration``, ``Dose``, ``Stage`` and ``Minimum-Count``,
which are the same link (subject event -> its quantity). Pass ``subject_roles`` to
:func:`lct_gold` to narrow this.

Chia
----
A gold *value* is every ``Value`` T that is Arg2 of a ``Has_value`` relation; its subjects
are the relations' Arg1 T spans (all fragments), and every member of an ``*\\tOR`` group
that holds an Arg1 counts as a correct subject too. ``numeric``: the value text has a
digit or a number word. ``Temporal`` T spans, and ``Value`` T spans that are in no
``Has_value`` relation, are collected for the scorer's ignore rule.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple, Union

from .brat import BratDoc, BratEvent, base_role, read_brat

__all__ = [
    "ChiaGoldDoc",
    "ChiaValue",
    "Fragments",
    "GoldSubject",
    "LctGoldDoc",
    "LctThreshold",
    "NUMBER_WORDS",
    "SUBJECT_ROLES",
    "chia_gold",
    "is_numeric_text",
    "lct_gold",
    "parse_number",
    "read_chia_gold",
    "read_lct_gold",
]

Fragments = Tuple[Tuple[int, int], ...]
Atom = Tuple[str, float]

SUBJECT_ROLES: Tuple[str, ...] = (
    "Numeric-Filter", "Temporality", "Duration", "Dose", "Stage", "Minimum-Count",
)

LOWER_OPS = frozenset({"GT", "GTEQ"})
UPPER_OPS = frozenset({"LT", "LTEQ"})

# --------------------------------------------------------------------------- numbers

_UNITS_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}
_SCALE_WORDS = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_SPECIAL_WORDS = {"half": 0.5, "once": 1, "twice": 2, "dozen": 12}
_ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
    "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "twelfth": 12,
}
#: Words that make a Chia value "numeric" (besides digits).
NUMBER_WORDS: FrozenSet[str] = frozenset(_UNITS_WORDS) | frozenset(_SCALE_WORDS) | frozenset(
    _SPECIAL_WORDS
)

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE_RE = re.compile(
    rf"\b({_MONTHS}|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I
)
_TITER_RE = re.compile(r"^1\s*:\s*(\d+(?:\.\d+)?)\b")
_CLOCK_RE = re.compile(r"^\d{1,2}:\d{2}")
_NUM_RE = re.compile(
    r"^(?P<sign>[+\-−–]?)\s*(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?|[.,]\d+)"
)
_WORD_RE = re.compile(r"[a-z]+")


def _words_to_number(text: str) -> Optional[float]:
    """`twenty-five` -> 25, `one hundred` -> 100, `six` -> 6; leading words only."""
    tokens = _WORD_RE.findall(text.lower())
    total = 0.0
    current = 0.0
    seen = False
    for tok in tokens:
        if tok in _UNITS_WORDS:
            current += _UNITS_WORDS[tok]
            seen = True
        elif tok in _SCALE_WORDS and seen:
            current = max(current, 1) * _SCALE_WORDS[tok]
            if _SCALE_WORDS[tok] >= 1000:
                total += current
                current = 0
        elif tok == "and" and seen:
            continue
        elif not seen and tok in _SPECIAL_WORDS:
            return float(_SPECIAL_WORDS[tok])
        elif not seen and tok in _ORDINAL_WORDS:
            return float(_ORDINAL_WORDS[tok])
        elif not seen and tok in ("a", "an"):
            continue
        else:
            break
    return total + current if seen else None


def parse_number(text: Optional[str]) -> Optional[float]:
    """The number a gold Value span stands for, or None.

    ``1,000`` -> 1000; ``18,5`` -> 18.5 (decimal comma); ``1.5``; ``-2``; ``six`` -> 6;
    ``twenty five`` -> 25; ``1:80`` -> 80 (titer); ``10^9``, ``5 million``, ``20/40``,
    ``7th``, ``3A`` -> the leading number; ``½`` -> 0.5; dates, clock times, Roman
    numerals, letters and adjectives -> None.
    """
    if text is None:
        return None
    s = unicodedata.normalize("NFKC", text).strip()
    if not s:
        return None
    if _DATE_RE.search(s):
        return None
    m = _TITER_RE.match(s)
    if m:
        return float(m.group(1))
    if _CLOCK_RE.match(s):
        return None
    m = _NUM_RE.match(s)
    if m:
        num = m.group("num")
        if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", num):
            num = num.replace(",", "")
        else:
            num = num.replace(",", ".")
        # NFKC turns `½` into `1⁄2`: a fraction written with the fraction slash.
        frac = re.match(r"^(\d+)\s*⁄\s*(\d+)", s[m.start("num"):])
        value = float(num)
        if frac and float(frac.group(2)) != 0:
            value = float(frac.group(1)) / float(frac.group(2))
        if m.group("sign") in ("-", "−", "–"):
            value = -value
        return value
    if len(s) == 1:
        try:
            return float(unicodedata.numeric(s))
        except (TypeError, ValueError):
            pass
    return _words_to_number(s)


def is_numeric_text(text: str) -> bool:
    """A digit, or a number word (`six`, `twenty`, `hundred`, `twice`)."""
    if re.search(r"\d", text):
        return True
    return any(tok in NUMBER_WORDS for tok in _WORD_RE.findall(text.lower()))


# --------------------------------------------------------------------------- models


def _span_of(fragments: Fragments) -> Tuple[int, int]:
    return min(s for s, _ in fragments), max(e for _, e in fragments)


class _Fragmented:
    """Start and end of a span made of `fragments` (discontinuous in Chia)."""

    fragments: Fragments

    @property
    def start(self) -> int:
        return _span_of(self.fragments)[0]

    @property
    def end(self) -> int:
        return _span_of(self.fragments)[1]


@dataclass(frozen=True)
class GoldSubject(_Fragmented):
    """A gold subject span (possibly discontinuous) with its label."""

    fragments: Fragments
    text: str
    label: str


@dataclass
class LctThreshold(_Fragmented):
    """One LCT `Eq-Comparison` event with a Value."""

    doc_id: str
    event_id: str
    fragments: Fragments
    text: str
    direction: str
    value_texts: List[str]
    values: List[Optional[float]]
    atoms: FrozenSet[Atom]
    operators: List[str] = field(default_factory=list)
    unit: Optional[str] = None
    reference: Optional[str] = None
    temporal: bool = False
    subjects: List[GoldSubject] = field(default_factory=list)

    def bounds(self) -> Dict[str, List[float]]:
        """Expected bounds as lists of values by side (for error records)."""
        out: Dict[str, List[float]] = {"lower": [], "upper": []}
        for side, value in sorted(self.atoms):
            out[side].append(value)
        return out


@dataclass
class LctGoldDoc:
    id: str
    text: str
    thresholds: List[LctThreshold]
    malformed: int = 0


@dataclass
class ChiaValue(_Fragmented):
    """One Chia `Value` T that is Arg2 of a `Has_value` relation."""

    doc_id: str
    id: str
    fragments: Fragments
    text: str
    numeric: bool
    subjects: List[GoldSubject] = field(default_factory=list)


@dataclass
class ChiaGoldDoc:
    id: str
    text: str
    values: List[ChiaValue]
    temporals: List[Fragments]
    other_values: List[Fragments]
    malformed: int = 0
    multipliers: List[Fragments] = field(default_factory=list)


# --------------------------------------------------------------------------- LCT

_REFERENCE_RE = re.compile(
    r"\b(ULN|LLN|normal|baseline|reference|limit|cut-?off|threshold|recommended)\b", re.I
)


_SCALE_NAME_RE = re.compile(
    r"(?i)(stages?|grades?|grading|class(es)?|classification|scores?|points?|groups?|"
    r"types?|category|categories|axis|status|levels?)"
)


def _operator_values(doc: BratDoc, op_ids: Sequence[str]) -> List[str]:
    ops = []
    for oid in op_ids:
        for a in doc.attributes_of(oid):
            if a.name == "Eq-Operator-Value" and a.value:
                ops.append(a.value.upper())
                break
    return ops


def _direction(ops: List[str], has_period: bool, n_distinct_values: int) -> str:
    if not ops:
        return "LTEQ" if has_period else "EQ"
    kinds = set(ops)
    has_lower = bool(kinds & LOWER_OPS)
    has_upper = bool(kinds & UPPER_OPS)
    if n_distinct_values >= 2 and ("BETWEEN" in kinds or (has_lower and has_upper)):
        return "BETWEEN"
    rest = [o for o in ops if o not in ("EQ", "PLUS-MINUS", "BETWEEN")]
    if not rest:
        if "EQ" in kinds or "BETWEEN" in kinds:
            return "EQ"
        return "PLUS-MINUS"
    # One way (`at least ... or older`), or disagreeing operators: the first decides.
    return rest[0]


def _atoms(direction: str, values: Sequence[Optional[float]]) -> FrozenSet[Atom]:
    nums = _dedupe([v for v in values if v is not None])
    if not nums or direction == "PLUS-MINUS":
        return frozenset()
    if direction == "BETWEEN":
        return frozenset({("lower", min(nums)), ("upper", max(nums))})
    atoms = set()
    for v in nums:
        if direction in LOWER_OPS or direction == "EQ":
            atoms.add(("lower", v))
        if direction in UPPER_OPS or direction == "EQ":
            atoms.add(("upper", v))
    return frozenset(atoms)


def _dedupe(values: Iterable[float]) -> List[float]:
    out: List[float] = []
    for v in values:
        if not any(abs(v - w) <= 1e-6 * max(1.0, abs(w)) for w in out):
            out.append(v)
    return out


def _unit_text(doc: BratDoc, event: BratEvent) -> Tuple[Optional[str], Optional[str]]:
    """(unit text, reference text) of an Eq-Comparison event."""
    units, pers, refs = [], [], []
    for role, ref in event.args:
        ent = doc.entities.get(ref)
        if ent is None:
            continue
        r = base_role(role)
        if r in ("Unit", "Temporal-Unit"):
            is_ref = any(
                a.name == "Eq-Unit-Value" and (a.value or "").startswith("ref-range")
                for a in doc.attributes_of(ref)
            ) or (r == "Unit" and bool(_REFERENCE_RE.search(ent.text)))
            (refs if is_ref else units).append(ent)
        elif r == "Per":
            pers.append(ent)
    reference = " ".join(e.text for e in sorted(refs, key=lambda e: e.start)) or None
    if not units:
        return None, reference
    parts = units + pers
    start = min(e.start for e in parts)
    end = max(e.end for e in parts)
    text = doc.text[start:end] if doc.text else ""
    if not text or end - start > 60 or "\n" in text:
        text = "/".join(e.text for e in sorted(parts, key=lambda e: e.start))
    text = text.strip()
    if _SCALE_NAME_RE.fullmatch(text):
        return None, reference  # `grade`, `stage`, `class`, `score`: a scale, not a unit
    return text, reference


def _subjects_by_target(doc: BratDoc, roles: Sequence[str]) -> Dict[str, List[GoldSubject]]:
    out: Dict[str, List[GoldSubject]] = {}
    for ev in doc.events.values():
        trig = doc.entities.get(ev.trigger)
        if trig is None:
            continue
        for role, ref in ev.args:
            if base_role(role) in roles:
                subj = GoldSubject(trig.fragments, trig.text, ev.type)
                lst = out.setdefault(ref, [])
                if subj not in lst:
                    lst.append(subj)
    return out


def lct_gold(doc: BratDoc, subject_roles: Sequence[str] = SUBJECT_ROLES) -> LctGoldDoc:
    """The gold thresholds of one LCT document, in text order."""
    subjects = _subjects_by_target(doc, subject_roles)
    out: List[LctThreshold] = []
    for eid, ev in doc.events.items():
        if ev.type != "Eq-Comparison":
            continue
        value_ids = [v for v in ev.args_with_role("Value") if v in doc.entities]
        trig = doc.entities.get(ev.trigger)
        if not value_ids or trig is None:
            continue
        value_texts = [doc.entities[v].text for v in value_ids]
        values = [parse_number(t) for t in value_texts]
        ops = _operator_values(doc, ev.args_with_role("Operator"))
        has_period = bool(ev.args_with_role("Temporal-Period"))
        n_distinct = len(_dedupe(v for v in values if v is not None))
        direction = _direction(ops, has_period, n_distinct)
        unit, reference = _unit_text(doc, ev)
        out.append(
            LctThreshold(
                doc_id=doc.id,
                event_id=eid,
                fragments=trig.fragments,
                text=trig.text,
                direction=direction,
                value_texts=value_texts,
                values=values,
                atoms=_atoms(direction, values),
                operators=ops,
                unit=unit,
                reference=reference,
                temporal=bool(ev.args_with_role("Temporal-Unit")) or has_period,
                subjects=subjects.get(eid, []),
            )
        )
    out.sort(key=lambda t: (t.start, t.end, t.event_id))
    return LctGoldDoc(doc.id, doc.text, out, doc.malformed)


def read_lct_gold(txt_path: Union[str, Path], **kw) -> LctGoldDoc:
    return lct_gold(read_brat(txt_path), **kw)


# --------------------------------------------------------------------------- Chia


def chia_gold(doc: BratDoc) -> ChiaGoldDoc:
    """The gold values of one Chia document, in text order."""
    groups: Dict[str, List[str]] = {}
    for kind, members in doc.equivs:
        if kind.upper() != "OR":
            continue
        for m in members:
            lst = groups.setdefault(m, [])
            lst.extend(x for x in members if x not in lst)
    values: Dict[str, ChiaValue] = {}
    for rel in doc.relations:
        if rel.type != "Has_value":
            continue
        val = doc.entities.get(rel.arg2)
        if val is None or val.label != "Value":
            continue
        gv = values.get(rel.arg2)
        if gv is None:
            gv = values[rel.arg2] = ChiaValue(
                doc.id, rel.arg2, val.fragments, val.text, is_numeric_text(val.text)
            )
        for sid in groups.get(rel.arg1, [rel.arg1]):
            subj_ent = doc.entities.get(sid)
            if subj_ent is None:
                continue
            subj = GoldSubject(subj_ent.fragments, subj_ent.text, subj_ent.label)
            if subj not in gv.subjects:
                gv.subjects.append(subj)
    temporals = [e.fragments for e in doc.entities.values() if e.label == "Temporal"]
    other = [
        e.fragments for k, e in doc.entities.items() if e.label == "Value" and k not in values
    ]
    ordered = sorted(values.values(), key=lambda v: (v.start, v.end, v.id))
    multipliers = [e.fragments for e in doc.entities.values() if e.label == "Multiplier"]
    return ChiaGoldDoc(doc.id, doc.text, ordered, temporals, other, doc.malformed, multipliers)


def read_chia_gold(txt_path: Union[str, Path]) -> ChiaGoldDoc:
    return chia_gold(read_brat(txt_path))
