"""The word lists of the quantity grammar and the linker, loaded once from package data.

The lists live in `resources/quantity_lexicon.json` and `resources/linker.json`; this module
only reads them and compiles the regular expressions built from them.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib.resources import files
from typing import Dict, FrozenSet, Iterable, List, Optional, Tuple

from .errors import RuleFileError
from .number_words import WordNumbers

RESOURCES = "criteria_nlp.resources"


def read_resource(name: str) -> dict:
    """Read a JSON file of the package's resources folder.

    name (str): file name inside `criteria_nlp/resources`.
    RETURNS (dict): the parsed file, without keys starting with `_`.
    """
    path = files(RESOURCES) / name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise RuleFileError(str(path), err.lineno, err.msg) from err
    except OSError as err:
        raise RuleFileError(str(path), None, str(err)) from err
    return {k: v for k, v in data.items() if not k.startswith("_")}


def phrase_alternation(phrases: Iterable[str], not_before: str = r"[\w-]") -> str:
    """One regex alternation of literal phrases, matched case-insensitively whatever the
    flags: longest first, word-bounded where a phrase starts or ends with a word character
    (the character before one that starts with a word character must not match the class
    `not_before`), any run of spaces matching one space.

    The phrases are grouped by their first character, and a group opens with that character
    outside IGNORECASE (`(?-i:[aA])`) and only then checks the word boundary before it: the
    regex engine then rejects a group at a position with one character test, where a
    lookbehind or a case-folded literal opening every phrase made it try all of them at
    every position. Phrases of different groups cannot match at the same position, so the
    order of the groups does not change what matches.
    """
    branches = []
    for phrase in sorted(set(phrases), key=len, reverse=True):
        words = phrase.split()
        rest = r"\s+".join([re.escape(words[0][1:])] + [re.escape(w) for w in words[1:]])
        if phrase[-1:].isalnum():
            rest += r"(?![\w])"
        branches.append((words[0][0], rest))
    return _grouped(branches, not_before)


def _grouped(branches: List[Tuple[str, str]], not_before: str) -> str:
    """The alternation of (first character, regex of the rest) branches, in their order,
    grouped by first character; where that character is a word character, the one before
    it must not match the class `not_before`."""
    groups: Dict[str, List[str]] = {}
    for first, rest in branches:
        groups.setdefault(_group_key(first), []).append(rest)
    parts = []
    for key, rests in groups.items():
        head = _case_class(key) if key in _CASE_VARIANTS else "(?i:" + re.escape(key) + ")"
        if key.isalnum():
            head += "(?<!" + not_before + ".)"  # the character before the phrase
        parts.append(head + "(?i:" + "|".join(rests) + ")")
    return "(?:" + "|".join(parts) + ")"


def _group_key(char: str) -> str:
    lower = char.lower()
    return lower if len(lower) == 1 else char


def _ascii_case_variants() -> Dict[str, str]:
    """Every character that IGNORECASE matches with each ASCII letter (`k`: `kK` and the
    Kelvin sign), found by asking the regex engine itself."""
    variants = {c: c + c.upper() for c in "abcdefghijklmnopqrstuvwxyz"}
    others = "".join(map(chr, range(0x80, 0x10000)))
    for char in re.findall("[a-z]", others, re.IGNORECASE):  # one scan in C: a handful
        for c in variants:
            if re.fullmatch(c, char, re.IGNORECASE):
                variants[c] += char
    return variants


_CASE_VARIANTS = _ascii_case_variants()


def _case_class(letter: str) -> str:
    return "(?-i:[" + _CASE_VARIANTS[letter] + "])"


#: A roman numeral of a scale, I to X, with the letter of a substage (`IVa`, `IIIB`).
ROMAN = r"\b(?:IV|IX|V?I{1,3}|VI{0,3}|X)(?:[abc]\b|\b)"

#: The keys of `quantity_lexicon.json`: each is read by the grammar, none may be missing.
LEXICON_KEYS = frozenset((
    "age_suffix_words",
    "age_unit_endings",
    "age_units",
    "age_words_after",
    "age_words_after_a_comparator",
    "age_words_after_a_time",
    "age_words_before",
    "alternative_joiners",
    "alternative_window_joiners",
    "anchored_window_openers",
    "anchors",
    "bound_pair_joiners",
    "comparators_after",
    "comparators_before",
    "count_adjectives",
    "count_stop_words",
    "direction_cues",
    "direction_words_after",
    "dose_dimensions",
    "dose_ucum",
    "elapsed_after",
    "equals_range_joiners",
    "fraction_words",
    "frequency_words",
    "inclusivity_words",
    "list_joiners",
    "multiplied_references",
    "multiplier_words",
    "number_articles",
    "number_scales",
    "number_words",
    "number_words_needing_context",
    "opened_range_joiners",
    "ordinal_fraction_words",
    "paired_value_words",
    "person_words",
    "qualitative_values",
    "range_joiners",
    "range_openers",
    "references",
    "roman_scale_words",
    "scale_bare_words",
    "scale_comparator_words",
    "scale_range_joiners",
    "scale_words",
    "sign_words",
    "subject_after_stop_words",
    "temporal_after",
    "temporal_before",
    "titer_words",
    "unit_modifiers",
))


_BRACKETED_SYMBOL_RE = re.compile(r"\(\s*[<>≤≥=]{1,2}\s*\)")  # `(≤)` after `less than or equal to`
_LETTERS_RE = re.compile(r"[^\W\d_]+")  # runs of letters
#: The letters a case-insensitive regex takes for ASCII ones that `str.lower` keeps apart.
_REGEX_FOLD = str.maketrans({"ı": "i", "İ": "i", "ſ": "s", "K": "k"})


def last_words(phrases: Iterable[str]) -> FrozenSet[str]:
    """The last run of letters of each phrase, lower-cased (`NYHA functional class` ->
    `class`): a text that holds none of them (see `holds_any`) matches none of the phrases."""
    return frozenset(_LETTERS_RE.findall(phrase.lower())[-1] for phrase in phrases)


def holds_any(text: str, words: FrozenSet[str]) -> bool:
    """Whether `text` holds one of `words` (lower-case ASCII) as a case-insensitive regex
    would find it (`posİtİve`, `claſs`, `POSITIVE`): a check in C before a costly search."""
    folded = text.lower() if text.isascii() else text.translate(_REGEX_FOLD).lower()
    return _any_of(words).search(folded) is not None


@lru_cache(maxsize=64)
def _any_of(words: FrozenSet[str]) -> "re.Pattern":
    """One search for any of `words` anywhere (a frozenset caches its hash: the lookup is cheap)."""
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))


class Lexicon:
    """Compiled view of `quantity_lexicon.json`.

    data (dict): the file's content (keys starting with `_` are comments, already dropped).
    source (str): where the data came from, for the error on a bad file.
    RAISES RuleFileError: a key that is unknown or missing.
    """

    def __init__(self, data: dict, source: str = "quantity_lexicon.json") -> None:
        unknown = sorted(set(data) - LEXICON_KEYS)
        missing = sorted(LEXICON_KEYS - set(data))
        if unknown or missing:
            reason = "; ".join(filter(None, [unknown and f"unknown key(s) {', '.join(unknown)}",
                                             missing and f"missing key(s) {', '.join(missing)}"]))
            raise RuleFileError(source, None, reason)
        self.data = data
        self.comparators_before: Dict[str, str] = {
            phrase_key(k): v for k, v in data["comparators_before"].items()
        }
        self.comparators_after: Dict[str, str] = {
            phrase_key(k): v for k, v in data["comparators_after"].items()
        }
        self.temporal_before: Dict[str, str] = {
            phrase_key(k): v for k, v in data["temporal_before"].items()
        }
        self.number_words: Dict[str, float] = {
            phrase_key(k): float(v) for k, v in data["number_words"].items()
        }
        self.context_number_words = {phrase_key(w) for w in data["number_words_needing_context"]}
        self.references: Dict[str, str] = {
            phrase_key(form): ref for ref, forms in data["references"].items() for form in forms
        }
        self.dose_dimensions = set(data["dose_dimensions"])
        self.dose_ucum = set(data["dose_ucum"])
        self.count_stop_words = {phrase_key(w) for w in data["count_stop_words"]}
        self.count_adjectives = {phrase_key(w) for w in data["count_adjectives"]}
        # the joiner lists are read by the grouping rules (`quantity_rules.json` names them);
        # the roman values on a scale read these three here
        self.range_joiners = frozenset(data["range_joiners"])
        self.scale_range_joiners = frozenset(data["scale_range_joiners"])
        self.list_joiners = frozenset(data["list_joiners"])
        # what ends a list of single digits (`0,1 or 2`): a joiner's words and the last digit
        list_words = sorted({j.strip(" ,") for j in self.list_joiners} - {""}, key=len, reverse=True)
        self.digit_list_end_re = re.compile(
            r"\s*,?\s*(?:" + "|".join(re.escape(w) for w in list_words) + r")\s*(\d)(?![\w.,])", re.IGNORECASE)
        self.age_units = frozenset(data["age_units"])
        self.direction_cues = {phrase_key(k): v for k, v in data["direction_cues"].items()}
        self.direction_words_after = {phrase_key(k): v for k, v in data["direction_words_after"].items()}
        self.age_suffix_words = tuple(data["age_suffix_words"])
        self.age_unit_endings = tuple(data["age_unit_endings"])
        flags = re.IGNORECASE
        # `less than or equal to (≤) 1`: the symbol may follow the words in brackets
        self.comp_before_re = EndAnchored(self.comparators_before, flags,
                                          gap_reversed=r"\s*(?:\)\s*[<>≤≥=]{1,2}\s*\(\s*)?")
        self.temporal_before_re = EndAnchored(self.temporal_before, flags)
        self.range_opener_re = EndAnchored(data["range_openers"], flags)
        self.anchored_window_re = EndAnchored(data["anchored_window_openers"], flags)
        self.comp_after_re = re.compile(  # `> 21 or less than 2`, `under 18 or over 70` are two thresholds
            r"\s*(?:of\s+age\s*|old\s*)?(?P<comp>" + phrase_alternation(self.comparators_after) + r")"
            r"(?!\s*(?:than\b|\d(?!\d*\s*[-–]\s)))", flags  # a digit that starts a list item (`2- `) does not count
        )
        self.multiplied_references: Dict[str, str] = {
            phrase_key(form): ref for ref, forms in data["multiplied_references"].items() for form in forms
        }
        multiplier = "|".join(re.escape(w) for w in sorted(data["multiplier_words"], key=len, reverse=True))
        self.reference_re = re.compile(  # `2.5 × ULN`, `ULN`, `3 times normal`
            r"\s*(?:(?:(?:" + multiplier + r")\s*)?(?:the\s+)?(?P<ref>"
            + phrase_alternation(self.references)
            + r")|(?:" + multiplier + r")\s*(?:the\s+)?(?P<mref>"
            + phrase_alternation(self.multiplied_references)
            + r"))(?:\s*\((?:ULN|LLN)\))?",
            flags,
        )
        self.anchor_re = re.compile(
            r"(?P<trigger>" + phrase_alternation(data["temporal_after"]) + r")\s+(?:the\s+)?"
            r"(?:participant's\s+|subject's\s+|patient's\s+)?(?:(?:date|day|time)\s+of\s+(?:the\s+)?)?(?P<anchor>"
            + phrase_alternation(data["anchors"]) + r")",
            flags,
        )
        self.temporal_after_re = re.compile(
            r"\s*" + phrase_alternation(data["elapsed_after"]), flags
        )
        self.direction_after_re = re.compile(r"\s*" + phrase_alternation(self.direction_words_after), flags)
        self.age_before_re = re.compile(phrase_alternation(data["age_words_before"]), flags)
        self.age_after_re = re.compile(r"\s*" + phrase_alternation(data["age_words_after"]), flags)
        self.age_after_time_re = re.compile(r"\s*" + phrase_alternation(data["age_words_after_a_time"]), flags)
        self.age_comparator_re = re.compile(r"\s*" + phrase_alternation(data["age_suffix_words"]), flags)  # `older than 18`
        self.age_after_comparator_re = re.compile(  # `18 ≤ age`
            r"\s*" + phrase_alternation(data["age_words_after_a_comparator"]), flags)
        # `18 ≤ age`, `145 mmHg ≤ msSBP`: a comparator symbol after the number (and its unit)
        # with a word after it, the subject; not a word that joins or compares (`3 > or = 2`)
        self.subject_after_re = re.compile(
            r"\s*([≤<≥>])\s*(?=[^\W\d_])(?!" + phrase_alternation(data["subject_after_stop_words"]) + ")", flags)
        self.scale_before_re = EndAnchored(data["scale_words"], flags,
                                           gap_reversed=r"(?:\s+fo)?[\s:(\[\]]*")  # `score of `
        self.titer_re = re.compile(phrase_alternation(data["titer_words"]), flags)
        self.paired_value_re = re.compile(phrase_alternation(data["paired_value_words"]), flags)
        self.person_words = {phrase_key(w) for w in data["person_words"]}
        self.scale_bare_re = EndAnchored(data["scale_bare_words"], flags,
                                         gap_reversed=r"(?:\s+fo|\s*:|\s*=)?\s*")  # `ECOG of `, `: `, `= `
        self.scale_comparator_re = re.compile(  # `greater than Grade 1`
            r"(?P<comp>" + phrase_alternation(self.comparators_before) + r")\s*"
            + phrase_alternation(data["scale_comparator_words"]) + r"[\s:=]*$", flags)
        # a pair on a scale (`II-IV`, `III or IV`) is a range; a longer list must be consecutive
        self.scale_pair_joiners = self.range_joiners | self.scale_range_joiners
        roman_joiners = (self.scale_pair_joiners | self.list_joiners) - {""}
        joiner = "|".join(re.escape(j) for j in sorted(roman_joiners, key=len, reverse=True))
        # the last word of every roman scale phrase (`class` of `NYHA functional class`): a
        # text holding none (case-folded) holds no roman scale value, and is not searched
        self.roman_scale_tails = last_words(data["roman_scale_words"])
        self.roman_re = re.compile(  # `NYHA class II-IV`, `stage III or IV`, `class II, III or IV`
            phrase_alternation(data["roman_scale_words"])
            + r"\s*(?:(?P<comp>" + phrase_alternation(self.comparators_before) + r")\s*)?"  # `ASA ≥ III`
            + r"(?P<roman>" + ROMAN + r")"
            r"(?P<more>(?:\s*(?:" + joiner + r")\s*" + ROMAN + r")*)", flags)
        self.frequency_before_re = EndAnchored(data["frequency_words"], flags)
        # as for the roman scales: a text holding none of these (case-folded) has no value
        self.qualitative_tails = last_words(data["qualitative_values"]) | {"+"}
        self.qualitative_re = re.compile(  # `negative serum pregnancy test`, `HIV+`
            phrase_alternation(data["qualitative_values"]) + r"|\+(?<=[A-Za-z0-9]\+)(?![\w+])", flags)
        self.unit_modifier_re = re.compile(  # `≥6 consecutive weeks`, `5 elimination half-lives`
            r"\s*" + phrase_alternation(data["unit_modifiers"]) + r"(?=\s)", flags)
        self.inclusivity_words: Dict[str, bool] = {phrase_key(k): v for k, v in data["inclusivity_words"].items()}
        self.inclusivity_re = re.compile(  # `(inclusive)`, `, exclusive`, `or equal` where a phrase ends
            r"\s*(?:\(\s*(?P<word>" + phrase_alternation(self.inclusivity_words) + r")\s*\)"
            r"|,?\s*(?P<bare>" + phrase_alternation(self.inclusivity_words) + r")(?=\s*(?:[),;.\n]|and\b|or\b|$)))",
            flags)
        self.word_numbers = WordNumbers(data, phrase_alternation)  # `one hundred and seventy`
        self.sign_before_re = EndAnchored(data["sign_words"], flags)  # `≤ minus 2.5`

    def comparator_before(self, phrase: str) -> str:
        """The operator of a comparator found by `comp_before_re` (`less than or equal to
        (≤)` -> "le")."""
        return self.comparators_before[" ".join(_BRACKETED_SYMBOL_RE.sub(" ", phrase).lower().split())]


def phrase_key(phrase: str) -> str:
    """A phrase as the word lists key it: lower-cased, runs of spaces as one."""
    return " ".join(phrase.lower().split())


class EndAnchored:
    """Finds a phrase that ends a window of text (after an optional gap), like
    `re.search(phrases + gap + "$", text, lo, hi)` but in time that does not grow with the
    window: the window is read backwards from its end, so the phrases are tried at one
    position instead of at every one.

    phrases (Iterable[str]): literal phrases, as for `phrase_alternation`.
    flags (int): regex flags, e.g. `re.IGNORECASE`.
    gap_reversed (str): the regex of what may follow the phrase, written for the reversed
        text (`of ` after the phrase is `\\s+fo`). Defaults to spaces.
    """

    def __init__(self, phrases: Iterable[str], flags: int, gap_reversed: str = r"\s*") -> None:
        branches = []  # each phrase reversed, grouped by its last character
        for phrase in sorted(set(phrases), key=len, reverse=True):
            words = [w[::-1] for w in reversed(phrase.split())]
            rest = r"\s+".join([re.escape(words[0][1:])] + [re.escape(w) for w in words[1:]])
            if phrase[:1].isalnum():
                rest += r"(?![\w-])"
            branches.append((words[0][0], rest))
        self.pattern = re.compile(gap_reversed + _grouped(branches, r"[\w]"), flags)

    def search(self, text: str, lo: int, hi: int) -> Optional["PhraseHit"]:
        """The phrase (with its gap) ending at `hi`, starting at or after `lo`, or None."""
        lo = max(lo, 0)
        if hi <= lo:
            return None
        # one character more on the left, for the word boundary before the phrase
        window = text[max(lo - 1, 0):hi][::-1]
        m = self.pattern.match(window)
        if m is not None and m.end() > hi - lo:  # ran into the extra character
            m = self.pattern.match(window, 0, hi - lo)
        return PhraseHit(text, hi - m.end(), hi) if m is not None else None


class PhraseHit:
    """A phrase found by `EndAnchored`: `.start()`, `.end()` and `.group()` as on a match."""

    __slots__ = ("_text", "_start", "_end")

    def __init__(self, text: str, start: int, end: int) -> None:
        self._text, self._start, self._end = text, start, end

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end

    def group(self) -> str:
        return self._text[self._start:self._end]


@lru_cache(maxsize=1)
def get_lexicon() -> Lexicon:
    """The shared, compiled lexicon of the package."""
    return Lexicon(read_resource("quantity_lexicon.json"))
