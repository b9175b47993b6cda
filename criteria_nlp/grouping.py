"""The grouping rules: which neighbouring numbers of a criterion make one quantity.

The rules are data, in `resources/quantity_rules.json`: a pattern for each number, the
joiners allowed between them, named checks, and what the group produces; and, for a number
that stands alone, a decision list (`alone`) of what it gives. This module validates them on
load and applies them; the checks a rule may name are `CHECKS`.

    >>> rules = GroupingRules(read_resource("quantity_rules.json"), lexicon)
    >>> rules.group(text, numbers, cues)  # -> [Group(...), ...]
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Protocol, Sequence, Tuple

from .decisions import DecisionList
from .errors import RuleFileError
from .lexicon import Lexicon

_YEAR_MIN, _YEAR_MAX = 1900, 2100
#: Each comparator's side of the interval and whether it includes its number.
SIDES = {"ge": ("lower", True), "gt": ("lower", False), "le": ("upper", True), "lt": ("upper", False)}
_COMPARATORS = frozenset(SIDES) | {"eq"}
_RULE_KEYS = {
    "pairs": {"name", "example", "first", "second", "joiners", "gap", "checks", "produce"},
    "lists": {"name", "example", "first", "next", "joiners", "step", "checks", "produce"},
    "alternatives": {"name", "example", "first", "second", "joiners", "gap", "checks", "produce"},
}
_BOUND_FROM = {"pairs": {"first", "second"}, "lists": {"first", "last"}, "alternatives": set()}
#: What a number alone may give (`alone`), and the true/false conditions its rules read,
#: cheapest first.
OPERATORS = frozenset({"comparator", "temporal_cue", "anchored_window", "eq", "none"})
_OPERATOR_CUES = frozenset({"comparator", "temporal_cue", "anchored_window"})
ALONE_FLAGS = ("comparator", "temporal_cue", "reference", "in_words", "hyphened", "ucum", "bare_units",
               "scale_value", "anchored_window")


class Cues(Protocol):
    """What the checks read of the text around a number (the quantity grammar gives it)."""

    lex: Lexicon

    def scale_before(self, text: str, num) -> bool: ...

    def age_before(self, text: str, num) -> bool: ...


@dataclass
class Group:
    """Numbers that make one quantity, the bounds a rule gave them, and the rule.

    With `alternative`, the one number is a second spelling of the quantity before it and
    takes its threshold from there; with no rule, the number stands alone.
    """

    nums: list
    lower: Optional[dict] = None
    upper: Optional[dict] = None
    rule: Optional[str] = None
    alternative: bool = False


# -- checks: a rule names them, each tests the first and the last number of a group -------

def _same_unit(cues: Cues, text: str, a, b, lower, upper) -> bool:
    """No two different units: `2-5 mg/dL`, but not `2 mg - 5 mL`."""
    return a.unit is None or b.unit is None or a.unit.ucum == b.unit.ucum


def _different_units(cues: Cues, text: str, a, b, lower, upper) -> bool:
    """Two different units: `2.5 mg/dL or 221 µmol/L`."""
    return a.unit is not None and b.unit is not None and a.unit.ucum != b.unit.ucum


def _no_time_unit(cues: Cues, text: str, a, b, lower, upper) -> bool:
    """Neither number is a time: two times are two windows, not two spellings."""
    return not ((a.unit is not None and a.unit.is_time) or (b.unit is not None and b.unit.is_time))


def _lower_not_above_upper(cues: Cues, text: str, a, b, lower, upper) -> bool:
    """The lower bound is no higher than the upper one: `12-6` is no range, and `<10 and
    >16 g/dL` are two thresholds outside a range."""
    return lower is None or upper is None or lower["value"] <= upper["value"]


def _range_cue(cues: Cues, text: str, a, b, lower, upper) -> bool:
    """Something says the numbers are a range, not a date or a code: a range opener
    (`between`), a unit, decimals (`pH 6.75-7.25`), a scale, or an age word before or after."""
    return bool(a.opener_start is not None or b.unit or a.unit
                or all("." in text[n.start:n.end] for n in (a, b))
                or cues.scale_before(text, a) or cues.age_before(text, a)
                or cues.lex.age_after_re.match(text, b.right))


def _not_two_years(cues: Cues, text: str, a, b, lower, upper) -> bool:
    """Not two years without a unit (`2007-2017`)."""
    return b.unit is not None or not all(_YEAR_MIN <= n.value <= _YEAR_MAX for n in (a, b))


def _scale_before(cues: Cues, text: str, a, b, lower, upper) -> bool:
    """A named scale before the first number: `ECOG 0 or 1`, `ASA 1 and 2`."""
    return cues.scale_before(text, a)


Check = Callable[..., bool]
#: The checks a rule may name in `checks`.
CHECKS: Dict[str, Check] = {
    "same_unit": _same_unit,
    "different_units": _different_units,
    "no_time_unit": _no_time_unit,
    "lower_not_above_upper": _lower_not_above_upper,
    "range_cue": _range_cue,
    "not_two_years": _not_two_years,
    "scale_before": _scale_before,
}


# -- number patterns ------------------------------------------------------------------------

def _comparator_test(want) -> Callable[[object], bool]:
    if want == "none":
        return lambda n: n.comp is None
    if want == "any":
        return lambda n: n.comp is not None
    codes = frozenset(want)
    return lambda n: n.comp in codes


def _unit_test(want) -> Callable[[object], bool]:
    if want == "time":
        return lambda n: n.unit is not None and n.unit.is_time
    return (lambda n: n.unit is not None) if want else (lambda n: n.unit is None)


def _flag(read: Callable[[object], bool]) -> Callable[[bool], Callable[[object], bool]]:
    return lambda want: (lambda n: bool(read(n)) == want)


_PATTERN_KEYS: Dict[str, Callable[[object], Callable[[object], bool]]] = {
    "comparator": _comparator_test,
    "unit": _unit_test,
    "value": lambda want: (lambda n: n.value == want),
    "whole": _flag(lambda n: n.value == int(n.value)),
    "in_words": _flag(lambda n: n.is_word),
    "cues": _flag(lambda n: n.left != n.start),
    "opener": _flag(lambda n: n.opener_start is not None),
    "reference": _flag(lambda n: n.reference),
    "titer": _flag(lambda n: n.titer),
    "temporal": _flag(lambda n: n.temporal),
    "suffix": _flag(lambda n: n.suffix),
    "bounded": _flag(lambda n: n.op or n.temporal),
}


class _Rule:
    """One grouping rule, compiled: its tests in the order they are cheapest to fail."""

    def __init__(self, section: str, data: dict, lexicon: Lexicon, fail: Callable[[str], RuleFileError]) -> None:
        name = data.get("name")
        if not isinstance(name, str) or not name:
            raise fail(f"a rule in `{section}` has no name")

        def bad(reason: str) -> RuleFileError:
            return fail(f"rule {name!r}: {reason}")

        unknown = sorted(set(data) - _RULE_KEYS[section])
        if unknown:
            raise bad(f"unknown key(s) {', '.join(unknown)}")
        self.name = name
        self.joiners = self._joiners(data.get("joiners"), lexicon, bad)
        self.gap = data.get("gap")
        if self.gap is not None and (not isinstance(self.gap, int) or self.gap < 0):
            raise bad("`gap` must be a whole number of characters")
        self.first = self._pattern(data.get("first"), "first", bad)
        other = "next" if section == "lists" else "second"
        self.second = self._pattern(data.get(other), other, bad)
        self.step = data.get("step")
        if section == "lists" and not isinstance(self.step, (int, float)):
            raise bad("a list rule needs a numeric `step`")
        checks = data.get("checks", [])
        unknown = [c for c in checks if c not in CHECKS] if isinstance(checks, list) else [str(checks)]
        if unknown:
            raise bad(f"unknown check(s) {', '.join(unknown)}; known: {', '.join(sorted(CHECKS))}")
        self.checks = [CHECKS[c] for c in checks]
        self.nothing = self.alternative = False
        self.lower = self.upper = None
        self.drop_first_comparator = False
        self._production(section, data.get("produce"), bad)

    @staticmethod
    def _joiners(value, lexicon: Lexicon, bad) -> frozenset:
        if isinstance(value, list) and all(isinstance(j, str) for j in value):
            return frozenset(value)
        if isinstance(value, str) and value.endswith("_joiners") and value in lexicon.data:
            return frozenset(lexicon.data[value])
        raise bad(f"`joiners` must name a joiner list of the lexicon (…_joiners) or list the joiners; got {value!r}")

    @staticmethod
    def _pattern(value, key: str, bad) -> Callable[[object], bool]:
        if not isinstance(value, dict):
            raise bad(f"`{key}` must be a number pattern")
        tests = []
        for field, want in value.items():
            if field not in _PATTERN_KEYS:
                raise bad(f"unknown pattern key {field!r} in `{key}`; known: {', '.join(sorted(_PATTERN_KEYS))}")
            if field == "comparator" and not (want in ("none", "any") or (
                    isinstance(want, list) and want and set(want) <= _COMPARATORS)):
                raise bad(f"`comparator` must be \"none\", \"any\" or a list of {', '.join(sorted(_COMPARATORS))}")
            if field == "unit" and want not in (True, False, "time"):
                raise bad("`unit` must be true, false or \"time\"")
            if field == "value" and not isinstance(want, (int, float)):
                raise bad("`value` must be a number")
            if field not in ("comparator", "unit", "value") and not isinstance(want, bool):
                raise bad(f"`{field}` must be true or false")
            tests.append(_PATTERN_KEYS[field](want))

        def matches(n) -> bool:  # a loop, not all() over a generator: this runs per number
            for test in tests:
                if not test(n):
                    return False
            return True

        return matches

    def _production(self, section: str, value, bad) -> None:
        if value == "nothing" and section == "pairs":
            self.nothing = True
        elif value == "alternative" and section == "alternatives":
            self.alternative = True
        elif isinstance(value, dict) and section != "alternatives":
            unknown = sorted(set(value) - {"lower", "upper", "drop_comparator"})
            if unknown:
                raise bad(f"unknown key(s) {', '.join(unknown)} in `produce`")
            for side in ("lower", "upper"):
                bound = value.get(side)
                if not (isinstance(bound, dict) and set(bound) == {"from", "inclusive"}
                        and bound["from"] in _BOUND_FROM[section]
                        and bound["inclusive"] in (True, False, "comparator")):
                    raise bad(f"`produce.{side}` must be {{\"from\": {' or '.join(sorted(_BOUND_FROM[section]))}, "
                              "\"inclusive\": true, false or \"comparator\"}")
            self.lower, self.upper = value["lower"], value["upper"]
            if value.get("drop_comparator", "first") != "first":
                raise bad("`drop_comparator` can only be \"first\"")
            self.drop_first_comparator = "drop_comparator" in value
        else:
            raise bad(f"cannot produce {value!r} in `{section}`")

    def bounds(self, a, b) -> Tuple[Optional[dict], Optional[dict]]:
        """The (lower, upper) bounds this rule gives the group of `a` ... `b`."""
        return _bound(self.lower, a, b), _bound(self.upper, a, b)

    def holds(self, cues: Cues, text: str, a, b, lower, upper) -> bool:
        return all(check(cues, text, a, b, lower, upper) for check in self.checks)


def _bound(spec: Optional[dict], a, b) -> Optional[dict]:
    if spec is None:
        return None
    num = a if spec["from"] == "first" else b
    inclusive = spec["inclusive"]
    if inclusive == "comparator":
        inclusive = SIDES[num.comp][1]
    return {"value": num.value, "inclusive": inclusive}


class GroupingRules:
    """The grouping rules of `quantity_rules.json`, validated and compiled.

    data (dict): the file's content (keys starting with `_` are comments).
    lexicon (Lexicon): the word lists the rules' `joiners` name.
    source (str): where the data came from, for the error on a bad rule.
    RAISES RuleFileError: a section, rule key, pattern, check or production that is unknown
        or malformed, naming the rule.
    """

    def __init__(self, data: dict, lexicon: Lexicon, source: str = "quantity_rules.json") -> None:
        def fail(reason: str) -> RuleFileError:
            return RuleFileError(source, None, reason)

        self.data, self.lexicon, self.source = data, lexicon, source
        data = {k: v for k, v in data.items() if not k.startswith("_")}  # `_about`: a comment
        unknown = sorted(set(data) - set(_RULE_KEYS) - {"alone", "cues", "windows"})  # `cues`, `windows`: cues.py
        if unknown:
            raise fail(f"unknown section(s) {', '.join(unknown)}; known: cues, windows, alone, {', '.join(_RULE_KEYS)}")
        #: what a number alone gives: its comparator, its temporal cue's, ..., or no quantity
        self.alone = DecisionList(data.get("alone"), result_key="operator", results=OPERATORS,
                                  flags=ALONE_FLAGS, fail=lambda reason: fail(f"`alone`: {reason}"))
        for name, operator, conditions in self.alone.rules:  # an operator read from a cue needs the cue
            if operator in _OPERATOR_CUES and (operator, True) not in conditions:
                raise fail(f"`alone`: rule {name!r}: operator {operator!r} needs the condition "
                           f"`{operator}: true`")
        sections = {}
        for section in _RULE_KEYS:
            rules = data.get(section, [])
            if not isinstance(rules, list):
                raise fail(f"`{section}` must be a list of rules")
            sections[section] = [_Rule(section, rule, lexicon, fail) for rule in rules]
        names = [rule.name for rules in sections.values() for rule in rules]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise fail(f"rule name(s) used twice: {', '.join(twice)}")
        self.pairs: List[_Rule] = sections["pairs"]
        self.lists: List[_Rule] = sections["lists"]
        self.alternatives: List[_Rule] = sections["alternatives"]
        # every joiner of a section: most pairs of numbers have none between them
        self._pair_joiners = frozenset().union(*(rule.joiners for rule in self.pairs))
        self._alternative_joiners = frozenset().union(*(rule.joiners for rule in self.alternatives))

    def __reduce__(self):  # compiled tests are closures: pickle the data, compile again
        return (type(self), (self.data, self.lexicon, self.source))

    def group(self, text: str, nums: Sequence, cues: Cues) -> List[Group]:
        """The numbers of `text` (in text order) as groups, in text order."""
        count = len(nums)
        if count < 2:  # most criteria: one number or none, nothing to group
            return [Group([num]) for num in nums]
        groups: List[Group] = []
        reach: Dict[int, Tuple[int, int]] = {}
        i = 0
        while i < count:
            num = nums[i]
            nxt = nums[i + 1] if i + 1 < count else None
            joiner = _joiner(text, num, nxt) if nxt is not None else None
            if joiner is not None and joiner[0] in self._pair_joiners:
                rule = self._first_rule(self.pairs, cues, text, num, nxt, joiner)
                if rule is not None:
                    if not rule.nothing:
                        lower, upper = rule.bounds(num, nxt)
                        if rule.drop_first_comparator:
                            num.comp = None
                        groups.append(Group([num, nxt], lower, upper, f"rule {rule.name!r}: {joiner[0]!r}"))
                    i += 2
                    continue
            listed = self._list(cues, text, nums, i, reach) if self.lists else None
            if listed is not None:
                rule, last = listed
                lower, upper = rule.bounds(num, nums[last])
                groups.append(Group(list(nums[i: last + 1]), lower, upper, f"rule {rule.name!r}"))
                i = last + 1
                continue
            groups.append(Group([num]))
            if joiner is not None and joiner[0] in self._alternative_joiners:
                rule = self._first_rule(self.alternatives, cues, text, num, nxt, joiner)
                if rule is not None:
                    groups.append(Group([nxt], rule=f"rule {rule.name!r}", alternative=True))
                    i += 2
                    continue
            i += 1
        return groups

    @staticmethod
    def _first_rule(rules: List[_Rule], cues: Cues, text: str, a, b,
                    joiner: Tuple[str, int, bool]) -> Optional[_Rule]:
        """The first of `rules` whose joiner, patterns and checks hold for `a` and `b`."""
        words, length, one_line = joiner
        for rule in rules:
            if words not in rule.joiners or (rule.gap is not None and (length > rule.gap or not one_line)):
                continue
            if rule.first(a) and rule.second(b):
                lower, upper = rule.bounds(a, b)
                if rule.holds(cues, text, a, b, lower, upper):
                    return rule
        return None

    def _list(self, cues: Cues, text: str, nums: Sequence, i: int,
              reach: Dict[int, Tuple[int, int]]) -> Optional[Tuple[_Rule, int]]:
        """The first list rule that holds for a run of numbers from `nums[i]`, and the index
        of the run's last number; None when none does. `reach` keeps, per rule, the last
        run read (its first and last index): a run that starts inside it ends where it
        ends, so a long run whose checks fail is read once, not once per number."""
        first = nums[i]
        for k, rule in enumerate(self.lists):
            if not rule.first(first):
                continue
            start, last = reach.get(k, (-1, -1))
            if not start < i <= last:
                last = i
                for j in range(i + 1, len(nums)):
                    prev, num = nums[j - 1], nums[j]
                    if (not rule.second(num) or num.value != prev.value + rule.step
                            or _joiner(text, prev, num)[0] not in rule.joiners):
                        break
                    last = j
                reach[k] = (i, last)
            if last > i:
                lower, upper = rule.bounds(first, nums[last])
                if rule.holds(cues, text, first, nums[last], lower, upper):
                    return rule, last
        return None


def _joiner(text: str, a, b) -> Tuple[str, int, bool]:
    """What stands between two numbers, up to the second one's comparator: its words
    (trimmed, lower-cased), its length, and whether it stays on one line."""
    gap = text[a.after: b.comp_start if b.comp_start is not None else b.start]
    return gap.strip().lower(), len(gap), "\n" not in gap
