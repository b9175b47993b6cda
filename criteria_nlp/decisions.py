"""Decision lists in data: an ordered list of rules, each `when` (conditions) -> a result;
the first rule whose conditions all hold decides.

The grammar decides two things this way, each from a section of a rule file: the kind of a
quantity (`quantity_kinds.json`, see `kinds.py`) and the operator of a number that stands
alone (`alone` in `quantity_rules.json`, see `grouping.py`). Conditions are a unit class and
true/false features of the quantity that the grammar reads from the text (`quantities.py`),
each computed only when a rule asks.

    >>> rules = DecisionList(data["kinds"], result_key="kind", results=KINDS, flags=FLAGS, fail=fail)
    >>> rules.decide(features)  # -> ("age", "age in time units")
"""
from __future__ import annotations

from typing import Callable, Dict, FrozenSet, List, Protocol, Sequence, Tuple

from .errors import RuleFileError

#: What a unit is, as conditions name it: a dose unit, any other unit that is no time, a time
#: in which ages are counted, any other time, no unit.
UNIT_CLASSES = frozenset({"dose", "other", "age_time", "time", "none"})


class Features(Protocol):
    """What a decision list reads of a quantity: `unit` (one of `UNIT_CLASSES`) and each flag
    it knows as an attribute (true or false)."""

    unit: str


class DecisionList:
    """One decision list, validated.

    rules (list): the rules, each a dict with `name`, optional `example`, `when` (conditions;
        none: always) and `result_key` (the result).
    result_key (str): the key of a rule's result (`kind`, `operator`).
    results (FrozenSet[str]): the results a rule may give.
    flags (Sequence[str]): the true/false conditions, cheapest first (a rule's conditions
        are tested in this order, after `unit`).
    fail (Callable[[str], RuleFileError]): makes the error for a bad rule.
    RAISES RuleFileError: an unknown key, condition or result, naming the rule; a list whose
        last rule has conditions (some quantity would get no result).
    """

    def __init__(self, rules: list, *, result_key: str, results: FrozenSet[str], flags: Sequence[str],
                 fail: Callable[[str], RuleFileError]) -> None:
        if not isinstance(rules, list) or not rules:
            raise fail("a decision list must be a non-empty list of rules")
        self._flags = tuple(flags)
        order = {name: i for i, name in enumerate(("unit",) + self._flags)}
        self.rules: List[Tuple[str, str, List[Tuple[str, object]]]] = []
        for rule in rules:
            name = rule.get("name") if isinstance(rule, dict) else None
            if not isinstance(name, str) or not name:
                raise fail("a rule has no name")

            def bad(reason: str, name: str = name) -> RuleFileError:
                return fail(f"rule {name!r}: {reason}")

            unknown = sorted(set(rule) - {"name", "example", "when", result_key})
            if unknown:
                raise bad(f"unknown key(s) {', '.join(unknown)}")
            if rule.get(result_key) not in results:
                raise bad(f"`{result_key}` must be one of {', '.join(sorted(results))}")
            conditions = self._conditions(rule.get("when", {}), bad)
            self.rules.append((name, rule[result_key], sorted(conditions, key=lambda c: order[c[0]])))
        if self.rules[-1][2]:
            raise fail(f"the last rule ({self.rules[-1][0]!r}) must have no conditions, so that every "
                       "quantity gets a result")
        # per unit class, the rules that admit it, with their other conditions
        self._by_unit: Dict[str, List[Tuple[str, str, List[Tuple[str, object]]]]] = {
            unit: [(name, result, [c for c in conditions if c[0] != "unit"])
                   for name, result, conditions in self.rules
                   if all(unit in want for key, want in conditions if key == "unit")]  # type: ignore[operator]
            for unit in UNIT_CLASSES
        }

    def _conditions(self, when, bad) -> List[Tuple[str, object]]:
        if not isinstance(when, dict):
            raise bad("`when` must be an object of conditions")
        conditions = []
        for key, want in when.items():
            if key == "unit":
                if not (isinstance(want, list) and want and set(want) <= UNIT_CLASSES):
                    raise bad(f"`unit` must be a list of {', '.join(sorted(UNIT_CLASSES))}")
                want = frozenset(want)
            elif key not in self._flags:
                raise bad(f"unknown condition {key!r}; known: unit, {', '.join(self._flags)}")
            elif not isinstance(want, bool):
                raise bad(f"`{key}` must be true or false")
            conditions.append((key, want))
        return conditions

    def decide(self, features: Features) -> Tuple[str, str]:
        """The result for the quantity and the name of the rule that gave it."""
        for name, result, conditions in self._by_unit[features.unit]:
            for key, want in conditions:
                if bool(getattr(features, key)) != want:
                    break
            else:
                return result, name
        raise AssertionError("the last rule has no conditions")  # checked on load
