"""Criterion logic: an item that introduces a list of alternatives, and the items under it.

    Inclusion Criteria:
      -  Meet at least one of the following:
           -  eGFR < 60 mL/min
           -  albuminuria > 30 mg/g

The first item gets `require` (lower 1, no upper: how many of its items must hold), the two
nested items get `parent` 0. The phrase (`at least one of the following`) is no count
constraint. Items under an introducer are those that follow it, in its section, indented
deeper than its own marker; an introducer with no deeper item after it keeps its `require`
and has no children (a list written flat cannot be told from the criteria after it).

The phrases live in `resources/criterion_logic.json`; numbers written as words are read
with the quantity lexicon's number words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from .errors import RuleFileError
from .lexicon import Lexicon, get_lexicon, holds_any, last_words, phrase_alternation, read_resource

__all__ = ["CriterionLogic", "Logic"]

_INDENT = re.compile(r"[ \t]*")
_KEYS = frozenset(("quantifiers", "at_least_words", "or_more_words", "list_words"))


@dataclass
class Logic:
    """The logic of one item: what it requires of its children, and its parent."""

    require: Optional[Tuple[int, Optional[int]]] = None  # (lower, upper), inclusive
    phrase: Optional[Tuple[int, int]] = None  # char offsets of the introducing phrase
    parent: Optional[int] = None


class CriterionLogic:
    """Finds introducers and their children among segmented items.

    data (dict or None): the content of `criterion_logic.json`; None reads the package's.
    lexicon (Lexicon or None): for number words. Defaults to the package's.
    """

    def __init__(self, data: Optional[dict] = None, lexicon: Optional[Lexicon] = None) -> None:
        data = data if data is not None else read_resource("criterion_logic.json")
        wrong = sorted({k for k in data if not k.startswith("_")} ^ _KEYS)
        if wrong:
            raise RuleFileError("criterion_logic.json", None, f"unknown or missing key(s) {', '.join(wrong)}")
        self.data = data
        lexicon = lexicon or get_lexicon()
        self.quantifiers = {" ".join(k.lower().split()): v for k, v in data["quantifiers"].items()}
        self.list_tails = last_words(data["list_words"])  # `following`, `these`, `below`, ...
        self.number_words = lexicon.number_words
        number = r"(?:\d+|" + phrase_alternation(self.number_words) + r")"
        self.pattern = re.compile(
            r"(?<![\w-])(?:(?:" + phrase_alternation(data["at_least_words"]) + r")\s+(?P<n1>" + number
            + r")|(?P<n2>" + number + r")\s+(?:" + phrase_alternation(data["or_more_words"])
            + r")|(?P<q>" + phrase_alternation(self.quantifiers) + r"))\s+of\s+(?:"
            + phrase_alternation(data["list_words"]) + r")(?![\w-])",
            re.IGNORECASE)

    def __call__(self, text: str, items: Sequence[Tuple[int, int, Optional[str]]]) -> List[Logic]:
        """The logic of each item.

        text (str): the document text.
        items (Sequence[Tuple[int, int, Optional[str]]]): (start, end, section) of each item,
            in document order.
        RETURNS (List[Logic]): one per item.
        """
        out = [Logic() for _ in items]
        indents: Optional[List[int]] = None  # read at the first introducer
        for i, (start, end, section) in enumerate(items):
            # every phrase holds `of` and ends with a list word: an item without both is read
            # no further (most items)
            item = text[start:end]
            m = self.pattern.search(text, start, end) \
                if "of" in item.lower() and holds_any(item, self.list_tails) else None
            if m is None:
                continue
            if indents is None:
                indents = [_indent(text, s) for s, _, _ in items]
            children = []
            for j in range(i + 1, len(items)):
                if items[j][2] != section or indents[j] <= indents[i]:
                    break
                children.append(j)
            require = self._require(m, len(children))
            if require is None:
                continue
            out[i].require, out[i].phrase = require, (m.start(), m.end())
            for j in children:
                out[j].parent = i  # a nested introducer, met later, takes its own children
        return out

    def _require(self, m: "re.Match[str]", n_children: int) -> Optional[Tuple[int, Optional[int]]]:
        if m.group("q"):
            lower, upper = self.quantifiers[" ".join(m.group("q").lower().split())]
            if lower == "all":
                return (n_children, n_children) if n_children else None
            return lower, upper
        written = m.group("n1") or m.group("n2")
        value = int(written) if written.isdigit() else self.number_words.get(" ".join(written.lower().split()))
        return (int(value), None) if value is not None else None


def _indent(text: str, start: int) -> int:
    """Column of the first character of the line that holds `start` (the item's marker)."""
    line = text.rfind("\n", 0, start) + 1
    return _INDENT.match(text, line).end() - line
