"""The typed records the components put on each threshold span of `doc.spans["quantities"]`;
each component owns the one it writes:

    span._.criteria_quantity   QuantityRecord  criteria_quantities: offsets, bounds, kind, unit, anchor
    span._.criteria_link       SubjectLink     criteria_linker: subject, coordinated members, component
    span._.criteria_flags      ContextMarks    criteria_context: negated, hypothetical, historical

    >>> [(s.text, s._.criteria_quantity.upper, s._.criteria_link.subject) for s in doc.spans["quantities"]]
    [('<10 mg/dL', Limit(value=10.0, inclusive=False), SpanLabel(start=0, end=15, label='Measurement'))]

Offsets are characters of `doc.text` (the normalized text); `build.py` maps them back to the
text as given. The records are dataclasses that msgpack encodes through srsly's registry, so
Docs keep them through `Doc.to_bytes`, DocBin and `nlp.pipe(n_process=2)`.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Callable, Dict, List, Optional

import srsly

__all__ = ["ContextMarks", "Limit", "QuantityRecord", "SpanLabel", "SubjectLink"]


@dataclass
class Limit:
    """One end of an interval: `≥ 10` is Limit(10.0, inclusive=True)."""

    value: float
    inclusive: bool


@dataclass
class QuantityRecord:
    """A threshold as the grammar read it (`find_quantities` gives the same as a dict)."""

    start: int
    end: int
    kind: str  # numeric, age, temporal, duration, count, dose
    lower: Optional[Limit]
    upper: Optional[Limit]
    unit: Optional[str]  # as written
    ucum: Optional[str]
    relative_to: Optional[str]  # ULN, LLN, baseline
    anchor: Optional[str]
    anchor_end: Optional[int]  # where the anchor's phrase ends
    direction: Optional[str]  # before, after
    scale_max: Optional[float]
    pair: Optional[float]  # the second half of a paired value (`140/90`)
    alternative_of: Optional[int]  # index, in the span group, of the threshold it spells again
    criterion: int  # index in doc.spans["criteria"] (or of the line)
    rules: List[str] = field(default_factory=list)  # what made it, for `explain`

    @classmethod
    def from_dict(cls, record: dict) -> "QuantityRecord":
        """From the grammar's plain record (`QuantityParser`)."""
        return cls(**{name: _limit(record[name]) if name in ("lower", "upper") else record[name]
                      for name in _RECORD_FIELDS})


_RECORD_FIELDS = tuple(f.name for f in fields(QuantityRecord))


@dataclass
class SpanLabel:
    """A stretch of `doc.text` with a label: a subject or one of its members."""

    start: int
    end: int
    label: Optional[str]


@dataclass
class SubjectLink:
    """What a threshold constrains, as the linker found it."""

    subject: Optional[SpanLabel]
    members: List[SpanLabel]  # coordinated subjects (`MI or stroke`); empty for one
    component: Optional[str]  # systolic, diastolic: the half of a paired value it names
    rule: str  # how it was found, for `explain`


@dataclass
class ContextMarks:
    """ConText's modifiers of a threshold or its subject."""

    negated: bool = False
    hypothetical: bool = False
    historical: bool = False
    cues: List[str] = field(default_factory=list)  # for `explain`


def _limit(bound: Optional[dict]) -> Optional[Limit]:
    return Limit(float(bound["value"]), bool(bound["inclusive"])) if bound else None


# -- msgpack: Doc.to_bytes and DocBin write doc.user_data, where span extensions live ----------

_TYPES: Dict[str, type] = {cls.__name__: cls for cls in (Limit, QuantityRecord, SpanLabel, SubjectLink, ContextMarks)}
_KEY = "__criteria_nlp__"


def _encode(obj: Any, chain: Optional[Callable] = None) -> Any:
    if type(obj) in _TYPES.values():
        return {_KEY: type(obj).__name__, **{f.name: getattr(obj, f.name) for f in fields(obj)}}
    return obj if chain is None else chain(obj)


def _decode(obj: Any, chain: Optional[Callable] = None) -> Any:
    if isinstance(obj, dict) and _KEY in obj:  # spaCy reads msgpack arrays as tuples: lists again
        values = {k: list(v) if isinstance(v, tuple) else v for k, v in obj.items() if k != _KEY}
        return _TYPES[obj[_KEY]](**values)
    return obj if chain is None else chain(obj)


srsly.msgpack_encoders.register("criteria_nlp_records", func=_encode)
srsly.msgpack_decoders.register("criteria_nlp_records", func=_decode)
