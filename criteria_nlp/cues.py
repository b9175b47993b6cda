"""The cue rules: what the quantity grammar reads around each number, and in which order.

The rules are data, the `cues` section of `resources/quantity_rules.json`. Each side of a
number (`right`, then `left`) has a list of named rules, read in order. A rule either
`match`es one of the lexicon's patterns (`MATCHERS`: the comparators before a number, the
temporal cues, the references such as ULN, ...) and says what a match `produce`s (fields of
the number: its comparator, temporal cue, reference, inclusivity), or names a `read`er: a
step of the grammar that needs more than a word list (the unit table, a titer, a paired
value). This module validates the rules on load, naming the rule, and applies them.

    >>> cues = CueRules(read_resource("quantity_rules.json")["cues"], lexicon, readers, fields)
    >>> cues.read_right(parser, text, num); cues.read_left(text, num, floor)
"""
from __future__ import annotations

import re
from operator import attrgetter
from typing import Callable, Dict, FrozenSet, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from .errors import RuleFileError
from .lexicon import Lexicon, phrase_key

_COMPARATORS = frozenset({"ge", "gt", "le", "lt", "eq"})
_RULE_KEYS = frozenset({"name", "example", "match", "read", "produce", "when", "unless", "after",
                        "otherwise", "moves"})
#: What a production may take from a match (the index of that field of `Hit`); anything else
#: in `produce` is a constant.
_FROM_MATCH = {"$start": 0, "$end": 1, "$value": 2, "$phrase": 3}
# an article between a comparator and an ordinal: `below the 5th percentile`
_ARTICLE_BEFORE_RE = re.compile(r"(?<![\w-])the\s+$", re.IGNORECASE)


class Hit(NamedTuple):
    """A cue found next to a number: where it is, and the value its word list gives."""

    start: int
    end: int
    value: object = None
    phrase: Optional[str] = None


# -- matchers: the lexicon's patterns a rule may name, each for one side ------------------
# A left matcher finds a cue ending at `hi` (the number, or the cue read before it) and
# starting at or after `lo`; a right matcher, one starting at `lo`.

def _comparator_before(lex: Lexicon, text: str, lo: int, hi: int) -> Optional[Hit]:
    m = lex.comp_before_re.search(text, lo, hi)
    return Hit(m.start(), m.end(), lex.comparator_before(m.group())) if m else None


def _scale_comparator(lex: Lexicon, text: str, lo: int, hi: int) -> Optional[Hit]:
    m = lex.scale_comparator_re.search(text, lo, hi)
    return Hit(m.start(), m.end(), lex.comparators_before[phrase_key(m.group("comp"))]) if m else None


def _temporal_before(lex: Lexicon, text: str, lo: int, hi: int) -> Optional[Hit]:
    m = lex.temporal_before_re.search(text, lo, hi)
    if m is None:
        return None
    phrase = phrase_key(m.group())
    return Hit(m.start(), m.end(), lex.temporal_before.get(phrase, "le"), phrase)


def _range_opener(lex: Lexicon, text: str, lo: int, hi: int) -> Optional[Hit]:
    m = lex.range_opener_re.search(text, lo, hi)
    return Hit(m.start(), m.end()) if m else None


def _article(lex: Lexicon, text: str, lo: int, hi: int) -> Optional[Hit]:
    m = _ARTICLE_BEFORE_RE.search(text, lo, hi)
    return Hit(m.start(), m.end()) if m else None


def _plus_sign(lex: Lexicon, text: str, lo: int, hi: int) -> Optional[Hit]:
    if text.startswith("+", lo) and not text[lo + 1: lo + 2].isdigit():
        return Hit(lo, lo + 1)
    return None


def _reference(lex: Lexicon, text: str, lo: int, hi: int) -> Optional[Hit]:
    m = lex.reference_re.match(text, lo)
    if m is None:
        return None
    if m.group("ref") is not None:
        return Hit(lo, m.end(), lex.references[phrase_key(m.group("ref"))])
    return Hit(lo, m.end(), lex.multiplied_references[phrase_key(m.group("mref"))])


def _comparator_after(lex: Lexicon, text: str, lo: int, hi: int) -> Optional[Hit]:
    m = lex.comp_after_re.match(text, lo)
    return Hit(lo, m.end(), lex.comparators_after[phrase_key(m.group("comp"))]) if m else None


def _inclusivity(lex: Lexicon, text: str, lo: int, hi: int) -> Optional[Hit]:
    m = lex.inclusivity_re.match(text, lo)
    if m is None:
        return None
    return Hit(lo, m.end(), lex.inclusivity_words[phrase_key(m.group("word") or m.group("bare"))])


Matcher = Callable[[Lexicon, str, int, int], Optional[Hit]]
#: The patterns a rule may `match`, by side, with the lexicon list each reads.
MATCHERS: Dict[str, Dict[str, Matcher]] = {
    "left": {
        "comparator_before": _comparator_before,  # comparators_before: `at least`, `≥`
        "scale_comparator": _scale_comparator,  # comparators_before + scale_comparator_words
        "temporal_before": _temporal_before,  # temporal_before: `within`, `in the past`
        "range_opener": _range_opener,  # range_openers: `between`, `from`
        "article": _article,  # `the` before an ordinal
    },
    "right": {
        "plus_sign": _plus_sign,  # `2+`, `3+ proteinuria`
        "reference": _reference,  # references, multiplied_references, multiplier_words
        "comparator_after": _comparator_after,  # comparators_after: `or more`, `or older`
        "inclusivity": _inclusivity,  # inclusivity_words: `(inclusive)`, `or equal`
    },
}


def _ordinal(text: str, num) -> bool:
    """The number is written with an ordinal ending: `95th`."""
    return not num.is_word and text[num.end - 1].isalpha()


#: The conditions a rule may name in `when`.
CONDITIONS: Dict[str, Callable[[str, object], bool]] = {"ordinal": _ordinal}

#: A reader: (grammar, text, number, position) -> where reading goes on.
Reader = Callable[[object, str, object, int], int]


class _Rule:
    """One cue rule, compiled."""

    __slots__ = ("name", "match", "read", "produce", "when", "unless", "after", "otherwise", "moves",
                 "gated", "unless_of")

    def __init__(self, side: str, data: object, readers: Mapping[str, Reader], fields: FrozenSet[str],
                 earlier: List[str], fail: Callable[[str], RuleFileError]) -> None:
        name = data.get("name") if isinstance(data, dict) else None
        if not isinstance(name, str) or not name:
            raise fail(f"a rule in `cues.{side}` has no name")

        def bad(reason: str) -> RuleFileError:
            return fail(f"cue rule {name!r}: {reason}")

        unknown = sorted(set(data) - _RULE_KEYS)
        if unknown:
            raise bad(f"unknown key(s) {', '.join(unknown)}")
        self.name = name
        self.match: Optional[Matcher] = None
        self.read: Optional[Reader] = None
        if ("match" in data) == ("read" in data):
            raise bad("needs one of `match` (a pattern of the lexicon) or `read` (a reader)")
        if "match" in data:
            if data["match"] not in MATCHERS[side]:
                raise bad(f"unknown pattern {data['match']!r} on the {side}; known: {', '.join(MATCHERS[side])}")
            self.match = MATCHERS[side][data["match"]]
        else:
            if side != "right" or data["read"] not in readers:
                raise bad(f"unknown reader {data['read']!r}; known (right side only): {', '.join(readers)}")
            if "produce" in data:
                raise bad("a reader writes its own fields: no `produce`")
            self.read = readers[data["read"]]
        self.produce = self._production(data.get("produce", {}), fields, bad)
        when = data.get("when", [])
        if not isinstance(when, list) or any(c not in CONDITIONS for c in when):
            raise bad(f"`when` must list conditions of {', '.join(CONDITIONS)}")
        self.when = [CONDITIONS[c] for c in when]
        unless = data.get("unless", [])
        if not isinstance(unless, list) or any(f not in fields for f in unless):
            raise bad("`unless` must list fields of a number")
        self.unless: Tuple[str, ...] = tuple(unless)
        self.after, self.otherwise = data.get("after"), data.get("otherwise")
        for key in ("after", "otherwise"):
            if data.get(key) is not None and data[key] not in earlier:
                raise bad(f"`{key}` must name an earlier rule on the {side}; got {data[key]!r}")
        self.moves = data.get("moves", True)
        if not isinstance(self.moves, bool):
            raise bad("`moves` must be true or false")
        #: whether `applies` must be asked (most rules have no condition)
        self.gated = bool(self.unless or self.after or self.otherwise or self.when)
        # the `unless` fields of a number in one C call (a tuple even for one field)
        self.unless_of = attrgetter(*self.unless, *self.unless[:1]) if self.unless else None

    @staticmethod
    def _production(value, fields: FrozenSet[str], bad) -> Tuple[Tuple[str, object], ...]:
        if not isinstance(value, dict):
            raise bad("`produce` must map fields of a number to $value, $start, $end, $phrase or a constant")
        for field, source in value.items():
            if field not in fields:
                raise bad(f"`produce` names {field!r}, which is no field of a number")
            if isinstance(source, str) and source.startswith("$") and source not in _FROM_MATCH:
                raise bad(f"`produce.{field}`: {source!r} is none of {', '.join(sorted(_FROM_MATCH))}")
            if field in ("comp", "suffix", "temporal") and source not in _FROM_MATCH and source not in _COMPARATORS:
                raise bad(f"`produce.{field}` must be a comparator ({', '.join(sorted(_COMPARATORS))})")
        # (field, index of the Hit field it takes or None, constant)
        return tuple((field, _FROM_MATCH.get(source) if isinstance(source, str) else None, source)
                     for field, source in value.items())

    def applies(self, text: str, num, matched: Sequence[str]) -> bool:
        """Whether the rule is tried on this number, given the rules that matched before."""
        if self.unless_of is not None and any(self.unless_of(num)):
            return False
        if self.after is not None and self.after not in matched:
            return False
        if self.otherwise is not None and self.otherwise in matched:
            return False
        for condition in self.when:
            if not condition(text, num):
                return False
        return True


class CueRules:
    """The cue rules of `quantity_rules.json` (its `cues` section), validated and compiled.

    data (dict): the section: `window` (how many characters before a number the left rules
        read), `right` and `left` (lists of rules).
    lexicon (Lexicon): the word lists the matchers read.
    readers (Mapping[str, Reader]): the grammar's readers a rule may name in `read`.
    fields (Iterable[str]): the fields of a number that rules may write and test.
    source (str): where the data came from, for the error on a bad rule.
    RAISES RuleFileError: a key, pattern, reader, field or condition that is unknown or
        malformed, naming the rule.
    """

    def __init__(self, data: object, lexicon: Lexicon, readers: Mapping[str, Reader], fields,
                 source: str = "quantity_rules.json") -> None:
        def fail(reason: str) -> RuleFileError:
            return RuleFileError(source, None, reason)

        self._args = (data, lexicon, readers, fields, source)
        if not isinstance(data, dict):
            raise fail("`cues` must be an object with `window`, `right` and `left`")
        unknown = sorted(k for k in set(data) - {"window", "right", "left"} if not k.startswith("_"))
        if unknown:
            raise fail(f"`cues`: unknown key(s) {', '.join(unknown)}; known: window, right, left")
        self.lex = lexicon
        self.window = data.get("window")
        if not isinstance(self.window, int) or self.window <= 0:
            raise fail("`cues.window` must be a positive whole number of characters")
        fields = frozenset(fields)
        sides: Dict[str, List[_Rule]] = {}
        for side in ("right", "left"):
            rules = data.get(side)
            if not isinstance(rules, list):
                raise fail(f"`cues.{side}` must be a list of rules")
            compiled: List[_Rule] = []
            for rule in rules:
                compiled.append(_Rule(side, rule, readers, fields, [r.name for r in compiled], fail))
            names = [r.name for r in compiled]
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                raise fail(f"`cues.{side}`: rule name(s) used twice: {', '.join(twice)}")
            sides[side] = compiled
        self.right, self.left = sides["right"], sides["left"]

    def __reduce__(self):  # pickle the data, compile again
        return (type(self), self._args)

    def read_right(self, grammar, text: str, num) -> None:
        """Read what follows `num`: sets its fields, `right` (where the number with its
        unit, reference and comparator ends) and `cues` (the rules that matched)."""
        pos = num.end
        lex, size = self.lex, len(text)
        matched: List[str] = []
        for rule in self.right:  # per number: loops, no generators
            if rule.gated and not rule.applies(text, num, matched):
                continue
            if rule.read is not None:
                end = rule.read(grammar, text, num, pos)
                if end == pos:
                    continue
            else:
                hit = rule.match(lex, text, pos, size)
                if hit is None:
                    continue
                for field, index, constant in rule.produce:
                    setattr(num, field, hit[index] if index is not None else constant)
                end = hit.end
            matched.append(rule.name)
            if rule.moves:
                pos = end
        num.right = pos
        num.cues = matched

    def read_left(self, text: str, num, floor: int) -> None:
        """Read what precedes `num`, back to `floor` (the number before's end) and at most
        `window` characters: each rule's cue ends where the cue read before it starts."""
        lo = num.start - self.window
        if lo < floor:
            lo = floor
        pos = num.start
        lex = self.lex
        matched: Optional[List[str]] = None
        for rule in self.left:
            if rule.gated and not rule.applies(text, num, matched or ()):
                continue
            hit = rule.match(lex, text, lo, pos)
            if hit is None:
                continue
            for field, index, constant in rule.produce:
                setattr(num, field, hit[index] if index is not None else constant)
            if matched is None:
                matched = []
            matched.append(rule.name)
            if rule.moves:
                pos = hit.start
        if matched:
            num.cues = matched + num.cues


#: Where a window's direction may come from (`windows.direction`), with the word list each reads.
DIRECTION_SOURCES = {
    "trigger": "direction_words_after",  # the word that ties the anchor: `prior to screening`
    "word_after": "direction_words_after",  # a word right after the window: `6 months ago`
    "cue_before": "direction_cues",  # the temporal cue before it: `in the past 6 months`
}


class WindowRules:
    """The window rules of `quantity_rules.json` (its `windows` section): how far after a
    time the grammar looks for the anchor it is counted from, and where its direction comes
    from, first source first.

    data (dict): the section: `anchor` (`reach`, `no_number_before`) and `direction` (a
        list of rules, each `name`, `example` and `from`: one of `DIRECTION_SOURCES`).
    source (str): where the data came from, for the error on a bad rule.
    RAISES RuleFileError: a key or source that is unknown or malformed, naming the rule.
    """

    def __init__(self, data: object, source: str = "quantity_rules.json") -> None:
        def fail(reason: str) -> RuleFileError:
            return RuleFileError(source, None, reason)

        if not isinstance(data, dict) or not {"anchor", "direction"} <= set(data):
            raise fail("`windows` must be an object with `anchor` and `direction`")
        unknown = sorted(k for k in set(data) - {"anchor", "direction"} if not k.startswith("_"))
        if unknown:
            raise fail(f"`windows`: unknown key(s) {', '.join(unknown)}; known: anchor, direction")
        anchor = data["anchor"]
        if not isinstance(anchor, dict) or set(anchor) != {"reach", "no_number_before"}:
            raise fail("`windows.anchor` must have `reach` and `no_number_before`, nothing else")
        self.reach = anchor["reach"]
        if not isinstance(self.reach, int) or self.reach <= 0:
            raise fail("`windows.anchor.reach` must be a positive whole number of characters")
        words = anchor["no_number_before"]
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise fail("`windows.anchor.no_number_before` must list words that tie an anchor")
        #: trigger words that tie no anchor when a number stands between the window and them
        self.no_number_before = frozenset(phrase_key(w) for w in words)
        rules = data["direction"]
        if not isinstance(rules, list) or not rules:
            raise fail("`windows.direction` must be a non-empty list of rules")
        #: (rule name, source), in the order they are tried
        self.direction: List[Tuple[str, str]] = []
        for rule in rules:
            name = rule.get("name") if isinstance(rule, dict) else None
            if not isinstance(name, str) or not name:
                raise fail("a rule in `windows.direction` has no name")
            unknown = sorted(set(rule) - {"name", "example", "from"})
            if unknown:
                raise fail(f"direction rule {name!r}: unknown key(s) {', '.join(unknown)}")
            if rule.get("from") not in DIRECTION_SOURCES:
                raise fail(f"direction rule {name!r}: `from` must be one of {', '.join(DIRECTION_SOURCES)}")
            if any(rule["from"] == known for _, known in self.direction):
                raise fail(f"direction rule {name!r}: `from` {rule['from']!r} is read by an earlier rule")
            self.direction.append((name, rule["from"]))
