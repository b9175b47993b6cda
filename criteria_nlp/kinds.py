"""The kind rules: what a quantity is (numeric, dose, age, temporal, duration, count).

The rules are data, in `resources/quantity_kinds.json`: a decision list, the first rule
whose conditions all hold gives the kind. The conditions are features of the quantity that
the grammar reads from the text (`quantities.py`), each computed only when a rule asks.

    >>> rules = KindRules(read_resource("quantity_kinds.json"))
    >>> rules.decide(features)  # -> ("age", "age in time units")
"""
from __future__ import annotations

from typing import Dict, List, Protocol, Tuple

from .errors import RuleFileError

KINDS = frozenset({"numeric", "dose", "age", "temporal", "duration", "count"})
UNIT_CLASSES = frozenset({"dose", "other", "age_time", "time", "none"})
#: The true/false conditions, cheapest first: a rule's conditions are tested in this order.
FLAGS = ("temporal_cue", "window", "reference", "titer", "scale_max", "reversed", "age_cue", "count_cue")
_ORDER = {name: i for i, name in enumerate(("unit",) + FLAGS)}


class Features(Protocol):
    """What the kind rules read of a quantity: `unit` (one of `UNIT_CLASSES`) and each of
    `FLAGS` as an attribute (true or false)."""

    unit: str


class KindRules:
    """The kind rules of `quantity_kinds.json`, validated.

    data (dict): the file's content (keys starting with `_` are comments).
    source (str): where the data came from, for the error on a bad rule.
    RAISES RuleFileError: an unknown key, condition or kind, naming the rule; a list whose
        last rule has conditions (some quantity would have no kind).
    """

    def __init__(self, data: dict, source: str = "quantity_kinds.json") -> None:
        self.data, self.source = data, source

        def fail(reason: str) -> RuleFileError:
            return RuleFileError(source, None, reason)

        unknown = sorted(k for k in data if not k.startswith("_") and k != "kinds")
        if unknown:
            raise fail(f"unknown key(s) {', '.join(unknown)}")
        rules = data.get("kinds")
        if not isinstance(rules, list) or not rules:
            raise fail("`kinds` must be a list of rules")
        self.rules: List[Tuple[str, str, List[Tuple[str, object]]]] = []
        for rule in rules:
            name = rule.get("name") if isinstance(rule, dict) else None
            if not isinstance(name, str) or not name:
                raise fail("a kind rule has no name")
            self.rules.append((name, rule.get("kind"), self._conditions(rule, lambda r: fail(f"rule {name!r}: {r}"))))
        if self.rules[-1][2]:
            raise fail(f"the last rule ({self.rules[-1][0]!r}) must have no conditions, so that every quantity has a kind")
        # per unit class, the rules that admit it, with their other conditions
        self._by_unit: Dict[str, List[Tuple[str, str, List[Tuple[str, bool]]]]] = {
            unit: [(name, kind, [c for c in conditions if c[0] != "unit"])
                   for name, kind, conditions in self.rules
                   if all(unit in want for key, want in conditions if key == "unit")]  # type: ignore[operator]
            for unit in UNIT_CLASSES
        }

    @staticmethod
    def _conditions(rule: dict, bad) -> List[Tuple[str, object]]:
        unknown = sorted(set(rule) - {"name", "example", "when", "kind"})
        if unknown:
            raise bad(f"unknown key(s) {', '.join(unknown)}")
        if rule.get("kind") not in KINDS:
            raise bad(f"`kind` must be one of {', '.join(sorted(KINDS))}")
        when = rule.get("when", {})
        if not isinstance(when, dict):
            raise bad("`when` must be an object of conditions")
        conditions = []
        for key, want in when.items():
            if key == "unit":
                if not (isinstance(want, list) and want and set(want) <= UNIT_CLASSES):
                    raise bad(f"`unit` must be a list of {', '.join(sorted(UNIT_CLASSES))}")
                want = frozenset(want)
            elif key not in FLAGS:
                raise bad(f"unknown condition {key!r}; known: unit, {', '.join(FLAGS)}")
            elif not isinstance(want, bool):
                raise bad(f"`{key}` must be true or false")
            conditions.append((key, want))
        return sorted(conditions, key=lambda c: _ORDER[c[0]])

    def __reduce__(self):
        return (type(self), (self.data, self.source))

    def decide(self, features: Features) -> Tuple[str, str]:
        """The kind of the quantity and the name of the rule that gave it."""
        for name, kind, conditions in self._by_unit[features.unit]:
            for key, want in conditions:
                if bool(getattr(features, key)) != want:
                    break
            else:
                return kind, name
        raise AssertionError("the last kind rule has no conditions")  # checked on load
