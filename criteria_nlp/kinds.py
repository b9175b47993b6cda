"""The kind rules: what a quantity is (numeric, dose, age, temporal, duration, count).

The rules are data, in `resources/quantity_kinds.json`: a decision list (`decisions.py`),
the first rule whose conditions all hold gives the kind.

    >>> rules = KindRules(read_resource("quantity_kinds.json"))
    >>> rules.decide(features)  # -> ("age", "age in time units")
"""
from __future__ import annotations

from typing import Tuple

from .decisions import DecisionList, Features
from .errors import RuleFileError

KINDS = frozenset({"numeric", "dose", "age", "temporal", "duration", "count"})
#: The true/false conditions of the kind rules, cheapest first.
FLAGS = ("temporal_cue", "window", "reference", "titer", "scale_max", "reversed", "age_cue", "count_cue")


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
        self.rules = DecisionList(data.get("kinds"), result_key="kind", results=KINDS, flags=FLAGS, fail=fail)

    def __reduce__(self):
        return (type(self), (self.data, self.source))

    def decide(self, features: Features) -> Tuple[str, str]:
        """The kind of the quantity and the name of the rule that gave it."""
        return self.rules.decide(features)
