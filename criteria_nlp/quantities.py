"""The quantity grammar: comparator + number(s) + unit -> an interval with its kind.

Works on normalized text (see `normalize.py`), one criterion at a time, and returns plain
dicts, so the spaCy component can store them on spans:

    "serum IgA level <10 mg/dL"
    -> {"start": 16, "end": 25, "kind": "numeric", "lower": None,
        "upper": {"value": 10.0, "inclusive": False}, "unit": "mg/dL", "ucum": "mg/dL", ...}

The words the grammar reads (comparator phrases, temporal words, anchors, references such
as ULN, number words) are data, in `resources/quantity_lexicon.json`; its rules too, in
`resources/quantity_rules.json` (what is read around a number: `cues.py`; how numbers
group: `grouping.py`) and `resources/quantity_kinds.json` (`kinds.py`). This module finds
the numbers and runs those rules.
"""
from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field, fields
from functools import lru_cache
from itertools import accumulate
from typing import Dict, List, Optional, Sequence, Tuple

from .cues import CueRules, WindowRules
from .grouping import SIDES, GroupingRules
from .kinds import KindRules
from .lexicon import ROMAN, Lexicon, PhraseHit, get_lexicon, holds_any, phrase_key, read_resource
from .units import UnitMatch, UnitTable

# Nothing but space, bullets and punctuation: what stands around a bare `Over 18 years`.
_BARE_RE = re.compile(r"^[\s\-*•.,;:]*$")
_BARE_MAX = 12
# Digits: 12, 1,000, 2.5, .5, 2,5 (decimal comma). Not inside words (HbA1c, CD4, COVID-19),
# not exponents (10^9), not denominators (/150), not ordinals (3rd) but a percentile's (95th
# percentile, the 5th to 85th percentile).
_NUMBER_RE = re.compile(
    r"(?<![^\W_])(?<![.^/])(?<!\d,)"
    r"(?:\d{1,3}(?:,\d{3})+(?![\d,])|\d+(?:,\d{1,2}(?![\d,]))?|(?=\.\d))"
    r"(?:\.\d+)?(?![\d])"
    r"(?:(?:st|nd|rd|th)(?=(?:\s*(?:and|to|-|–)\s*(?:[<>≤≥]\s*)?\d+(?:st|nd|rd|th))?\s*(?i:percentile|centile)s?\b)"
    r"|(?!(?:st|nd|rd|th)\b))(?!\.\d)"
)
_PAREN_DIGITS_RE = re.compile(r"\(\s*(\d+)\s*\)$")  # `three (3)`
_WEEKS_DAYS_RE = re.compile(r"\s*\+\s*([0-6])(?!\d)\s*")  # `24+3 weeks`: 24 weeks and 3 days
_WEEKS_DAYS_FIRST_RE = re.compile(  # the first end of a range of them: `32+0 to 36+6 weeks`
    r"\s*\+\s*([0-6])(?=\s*(?:-|–|to|and)\s*\d{1,2}\s*\+\s*[0-6]\s*(?:weeks?|wks?)\b)", re.IGNORECASE)
_DAYS_AFTER_WEEKS_RE = re.compile(r"\s*(?:and\s+)?([0-6])\s*days?\b", re.IGNORECASE)  # `23 weeks (and) 6 days`
_ORDINAL_RE = re.compile(r"(\d+)(?:st|nd|rd|th)$")  # `95th` (percentile)
_THOUSANDS_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")  # `1,000`
_DECIMAL_COMMA_RE = re.compile(r"\d+,\d{1,2}")  # `2,5`
_NEXT_WORD_RE = re.compile(r"\s*([A-Za-z][\w/-]*)")
_OF_WHAT_RE = re.compile(r"\s*of\s+(?:the\s+)?(?:following|these|those|\w+)")  # `≥3 of the following`
_LETTER_RE = re.compile(r"[^\W\d_]")
_WORD_DASH_RE = re.compile(r"([A-Za-z]+)-$")
_LAST_WORD_RE = re.compile(r"([A-Za-z]+)[\s,:]*$")
_ROMAN_NUMERAL_RE = re.compile(ROMAN, re.IGNORECASE)
# three or more numbers joined by bare dashes are a date, a phone number or a code, no range;
# a chain starts where a run of digits starts (from inside a run, `\d+` would back off digit
# by digit at every position: quadratic in a long run of digits)
# single digits joined by commas (`0,1`, `0, 1, 2`): a list when a list joiner and the next
# digit follow (`Lexicon.digit_list_end_re`); a run starts at a digit after no word character
_DIGIT_RE = re.compile(r"\d")  # what every number in digits holds (`\d`, as in _NUMBER_RE)
_DIGIT_RUN_RE = re.compile(r"(?<![\w.,])\d(?![\d.])(?:\s*,\s*\d(?![\d.]))+")
_DASH_CHAIN_RE = re.compile(r"(?<!\d)\d+(?:\.\d+)?(?:-\d+(?:\.\d+)?){2,}")
_TITER_RE = re.compile(r"\s*:\s*(\d+)")
_RATIO_RE = re.compile(r"(\s*)/(\s*)(\d+(?:\.\d+)?)(?![\d.,^])")  # `140/90`, `180 / 110 mmHg`
_NEG_RE = re.compile(r"[≥≤<>=]\s*-$")
_CLAUSE_BREAK_RE = re.compile(r"[;.](?:\s|$)|\n")
_SPACES_RE = re.compile(r"[ \t]{0,3}(?=[ \t]?\S)")
_REVERSED = {"≤": "ge", "<": "gt", "≥": "le", ">": "lt"}  # `18 ≤ age`: age ≥ 18
_MINUS_BEFORE_RE = re.compile(r"(?:^|[\s(])-$")  # a sign, not a dash between words or numbers


@dataclass
class _Num:
    """One number with what sits right around it."""

    start: int
    end: int
    value: float
    is_word: bool = False
    comp: Optional[str] = None
    comp_start: Optional[int] = None
    temporal: Optional[str] = None
    temporal_start: Optional[int] = None
    temporal_phrase: Optional[str] = None  # the cue itself, lower-cased: `in the past`
    opener_start: Optional[int] = None
    unit: Optional[UnitMatch] = None
    suffix: Optional[str] = None
    reference: Optional[str] = None
    titer: bool = False
    on_scale: bool = False  # a named scale sits between comparator and number
    scale_max: Optional[float] = None
    pair: Optional[float] = None
    right: int = 0  # end of the number with its unit, reference and suffix
    hyphened: bool = False  # its unit is joined by a hyphen: `24-hour`, `50-year-old`
    reversed: bool = False  # its comparator follows it, the subject after that: `18 ≤ age`
    anchored: bool = False  # its temporal cue is an anchored-window opener: `in the` 6 months before X
    inclusive: Optional[bool] = None  # said in words after that: `(inclusive)`, `(exclusive)`
    marker_end: Optional[int] = None  # where those words end
    cues: Sequence[str] = ()  # the cue rules that read it, for `explain`

    @property
    def left(self) -> int:
        """Where the number's cues start: comparator, temporal word or range opener."""
        left = self.start
        for start in (self.comp_start, self.temporal_start, self.opener_start):
            if start is not None and start < left:
                left = start
        return left

    @property
    def after(self) -> int:
        """Where what follows the number starts: past its inclusivity words, if any."""
        return self.marker_end if self.marker_end is not None else self.right

    @property
    def op(self) -> Optional[str]:
        return self.comp or self.suffix


@dataclass
class _Expr:
    nums: List[_Num]
    lower: Optional[dict] = None
    upper: Optional[dict] = None
    alternative_of: Optional[int] = None
    rule: Optional[str] = None  # the grouping rule that made it, for `explain`
    extra: Dict[str, object] = field(default_factory=dict)

    @property
    def start(self) -> int:
        return self.nums[0].left

    @property
    def end(self) -> int:
        nums = self.nums
        return nums[0].right if len(nums) == 1 else max(n.right for n in nums)

    @property
    def unit(self) -> Optional[UnitMatch]:
        for num in reversed(self.nums):
            if num.unit is not None:
                return num.unit
        return None


def _skip_spaces(text: str, pos: int) -> int:
    """Past a run of spaces left by removed markup (`$>6$  g/24 h`), keeping one for match_unit."""
    m = _SPACES_RE.match(text, pos)
    return m.end() if m else pos


def _bound(value: float, inclusive: bool) -> dict:
    return {"value": float(value), "inclusive": bool(inclusive)}


def _say_inclusivity(expr: _Expr) -> None:
    """Bounds as the words after their numbers say: `between 50 kg (inclusive) and 90 kg
    (exclusive)` is [50, 90); a word after a range's end alone speaks for both ends
    (`18-65 years, exclusive`); an equality stays one."""
    first, last = expr.nums[0], expr.nums[-1]
    lower_word = first.inclusive if first.inclusive is not None else last.inclusive
    if expr.lower is not None and expr.upper is not None and expr.lower["value"] == expr.upper["value"]:
        return
    if expr.lower is not None and lower_word is not None:
        expr.lower["inclusive"] = lower_word
    if expr.upper is not None and last.inclusive is not None:
        expr.upper["inclusive"] = last.inclusive


def _roman(numeral: str) -> int:
    values = {"i": 1, "v": 5, "x": 10}
    total, previous = 0, 0
    for char in reversed(numeral.lower().rstrip("abc")):  # `IVa` is on stage IV
        value = values[char]
        total = total - value if value < previous else total + value
        previous = max(previous, value)
    return total


def parse_number(text: str, lexicon: Optional[Lexicon] = None) -> Optional[float]:
    """Value of a number as written: `1,000` -> 1000, `2,5` -> 2.5, `six` -> 6,
    `three (3)` -> 3. RETURNS (float or None): None when the text is no number."""
    text = text.strip()
    if text.isdigit() and text.isascii():  # most numbers: plain digits
        return _finite(text)
    lexicon = lexicon or get_lexicon()
    paren = _PAREN_DIGITS_RE.search(text) if text.endswith(")") else None
    if paren:
        return float(paren.group(1))
    words = lexicon.word_numbers.value(text)  # `six`, `one hundred and seventy`
    if words is not None:
        return words
    ordinal = _ORDINAL_RE.fullmatch(text)
    if ordinal:
        return float(ordinal.group(1))
    if _THOUSANDS_RE.fullmatch(text):
        return _finite(text.replace(",", ""))
    if _DECIMAL_COMMA_RE.fullmatch(text):
        return _finite(text.replace(",", "."))
    return _finite(text)


@lru_cache(maxsize=1)
def _default_units() -> UnitTable:
    return UnitTable()


def _finite(text: str) -> Optional[float]:
    """`float(text)`, or None for no number or one too long to be finite (400 digits)."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class QuantityParser:
    """Finds threshold expressions in one criterion.

    "Have a total CLASI-A score of ≥10 at Screening" -> one numeric quantity `≥10`,
    lower bound 10 inclusive, no unit.

    lexicon (Lexicon): the word lists. Defaults to the package's.
    bare_units (bool): keep a number with a unit but no comparator (`for 30 days`,
        `4 weeks prior to screening`) as an equality or, with an anchor, a window.
        Defaults to True.
    units (UnitTable): the unit forms. Defaults to the package's.
    rules (GroupingRules): which neighbouring numbers make one quantity. Defaults to the
        package's `quantity_rules.json`, read with `lexicon`.
    kinds (KindRules): what kind each quantity is. Defaults to the package's
        `quantity_kinds.json`.
    """

    def __init__(self, lexicon: Optional[Lexicon] = None, *, bare_units: bool = True,
                 units: Optional[UnitTable] = None, rules: Optional[GroupingRules] = None,
                 kinds: Optional[KindRules] = None) -> None:
        self.lex = lexicon or get_lexicon()
        self.bare_units = bare_units
        self.units = units or _default_units()
        self.rules = rules or GroupingRules(read_resource("quantity_rules.json"), self.lex)
        self.kinds = kinds or KindRules(read_resource("quantity_kinds.json"))

    @property
    def rules(self) -> GroupingRules:
        return self._rules

    @rules.setter
    def rules(self, rules: GroupingRules) -> None:
        """The grouping rules, and the cue and window rules of the same file (`cues`, `windows`)."""
        self._rules = rules
        self.cues = CueRules(rules.data.get("cues"), self.lex, READERS, _NUM_FIELDS, rules.source)
        self.windows = WindowRules(rules.data.get("windows"), rules.source)

    def __call__(self, text: str, offset: int = 0) -> List[dict]:
        """Parse `text`; offsets in the result are shifted by `offset`.

        text (str): one criterion (or any stretch of normalized text).
        offset (int): where `text` starts in the document. Defaults to 0.
        RETURNS (List[dict]): one dict per quantity, in text order.
        """
        nums = self._numbers(text)
        exprs = self._group(text, nums) if nums else []
        results: List[dict] = []
        index_of: Dict[int, int] = {}
        for i, expr in enumerate(exprs):
            record = self._finish(text, expr)
            if record is None:
                continue
            if expr.alternative_of is not None:
                record["alternative_of"] = index_of.get(expr.alternative_of)
            index_of[i] = len(results)
            results.append(record)
        results = self._with_roman_ranges(text, results)
        self._share_anchors(text, results)
        for record in results:
            record["start"] += offset
            record["end"] += offset
            if record["anchor_end"] is not None:
                record["anchor_end"] += offset
        return results

    # -- numbers and their surroundings ---------------------------------------------------

    def _digit_lists(self, text: str) -> List[_Num]:
        """`ECOG 0,1 or 2`, `score of 1,2 or 3`: consecutive single digits listed with commas
        before a list joiner are values, not a decimal comma (`0,1` is no 0.1 there)."""
        nums: List[_Num] = []
        if "," not in text:
            return nums
        for m in _DIGIT_RUN_RE.finditer(text):
            last = self.lex.digit_list_end_re.match(text, m.end())
            if last is None:
                continue
            digits = [(i, int(c)) for i, c in enumerate(m.group(), m.start()) if c.isdigit()]
            digits.append((last.start(1), int(last.group(1))))
            if all(b == a + 1 for (_, a), (_, b) in zip(digits, digits[1:])):
                nums.extend(_Num(i, i + 1, float(v)) for i, v in digits)
        return nums

    def _numbers(self, text: str) -> List[_Num]:
        """Every number of `text` in text order, with what stands right after it and before
        it read by the cue rules (`quantity_rules.json`, `cues`)."""
        if _DIGIT_RE.search(text) is None:  # most criteria: numbers in words at most
            found = self._written_in_words(text)
        else:
            listed = self._digit_lists(text)
            found = listed + self._written_in_digits(text, listed) + self._written_in_words(text)
            found.sort(key=lambda n: n.start)
        nums: List[_Num] = []
        for num in found:  # digits inside a word number's "(3)" are the same number
            if nums and num.start < nums[-1].end:
                continue
            nums.append(num)
        for num in nums:
            self.cues.read_right(self, text, num)
        kept: List[_Num] = []
        for num in nums:  # `10 hours a week`: the `a` is the number before's unit, no number
            if not (kept and num.start < kept[-1].right):
                kept.append(num)
        nums = kept
        for i, num in enumerate(nums):
            floor = nums[i - 1].after if i else 0
            self.cues.read_left(text, num, floor)
        return nums

    def _written_in_digits(self, text: str, listed: List[_Num]) -> List[_Num]:
        """Numbers in digits (`12`, `1,000`, `2.5`, `2,5`), signed by a minus after a
        comparator (`≤ -2.5`, `below -2`, `≤ minus 2.5`); none inside a dash chain (a date, a
        phone number) or a word (`COVID-19`), none of the `listed` digits read again."""
        found: List[_Num] = []
        taken = [(m.start(), m.end()) for m in _DASH_CHAIN_RE.finditer(text)]
        if listed:
            taken = sorted(taken + [(n.start, n.end) for n in listed])
        chains = iter(taken + [(len(text) + 1,) * 2])
        chain = next(chains)
        for m in _NUMBER_RE.finditer(text):
            while chain[1] <= m.start():
                chain = next(chains)
            if not m.group() or chain[0] <= m.start():
                continue  # in a dash chain: `2019-01-15`, `555-123-4567`, `1-2-3`; or a listed digit
            start = m.start()
            dash = start > 0 and text[start - 1] == "-"  # what the three tests below need
            if dash:
                word = _WORD_DASH_RE.search(text, max(0, start - 12), start)
                if word and self.units.match(word.group(1), 0) is None:
                    continue  # `COVID-19`, `IL-6`, `SLEDAI-2000`; but `8yr-18yrs` is a range
            value = parse_number(m.group(), self.lex)
            if value is None:
                continue
            if dash and (_NEG_RE.search(text, max(0, start - 4), start) or (  # `≤ -2.5`
                    _MINUS_BEFORE_RE.search(text, max(0, start - 2), start)  # `below -2 SD`
                    and self.lex.comp_before_re.search(text, max(0, start - 61), start - 1))):
                start -= 1
                value = -value
            else:
                sign = self.lex.sign_before_re.search(text, max(0, start - 12), start)
                if sign and self._signed(text, sign.start()):  # `≤ minus 2.5`
                    start, value = sign.start(), -value
            found.append(_Num(start, m.end(), value))
        return found

    def _written_in_words(self, text: str) -> List[_Num]:
        """Numbers in words (`three`, `one hundred and seventy`, `above negative ten`); the
        words that are numbers only before a time (`a`, `once`) need one."""
        found: List[_Num] = []
        for word in self.lex.word_numbers.finditer(text):
            start, value = word.start, word.value
            if start < word.body_start and not self._signed(text, start):  # `HIV negative one month ago`
                start, value = word.body_start, word.unsigned
            if " ".join(text[start:word.words_end].lower().split()) in self.lex.context_number_words:
                unit = self.units.match(text, word.end)
                if unit is None or not unit.is_time:
                    continue
                if self.lex.frequency_before_re.search(text, max(0, start - 12), start):
                    continue  # `3 times a week` is a frequency, not a week
            found.append(_Num(start, word.end, value, is_word=True))
        return found

    def _signed(self, text: str, sign_start: int) -> bool:
        """A sign word (`negative`, `minus`) makes the number after it negative only after a
        comparator (`above negative ten`); elsewhere it is a result (`HIV negative`)."""
        return self.lex.comp_before_re.search(text, max(0, sign_start - 30), sign_start) is not None

    def _titer_or_pair(self, text: str, num: _Num, pos: int) -> int:
        """`1:80` (a titer), `140/90 mmHg` and `blood pressure < 140/90` (a paired value),
        `141/150` (a score and its maximum). RETURNS (int): where reading goes on."""
        if num.value == 1 and not num.is_word:
            m = _TITER_RE.match(text, pos)
            titer = _finite(m.group(1)) if m else None
            if titer is not None:
                num.titer, num.value = True, titer
                return m.end()
        m = _RATIO_RE.match(text, pos)
        second = _finite(m.group(3)) if m else None
        if second is not None:
            unit = self.units.match(text, m.end())
            if unit is not None and unit.dimension == "pressure":  # 140/90 mmHg
                num.pair, num.unit = second, unit
                return unit.end
            if m.group(1) or m.group(2):
                return pos  # `10 / 20`: with spaces, a pair only before a pressure unit
            if unit is None and second >= num.value:  # 141/150: a score and its maximum
                num.scale_max = second
                return m.end()
            if unit is None and self.lex.paired_value_re.search(text, max(0, num.start - 60), num.start):
                num.pair = second  # `blood pressure < 140/90`: no unit written
                return m.end()
        return pos

    def _unit(self, text: str, num: _Num, pos: int) -> int:
        """A unit: `mg/dL`, `>50-year-old`, `6 consecutive weeks`, `24+3 weeks`, `13 weeks 6
        days`. RETURNS (int): where reading goes on."""
        unit = self.units.match(text, _skip_spaces(text, pos))
        if unit is None and text.startswith("-", pos) and text[pos + 1: pos + 2].isalpha():
            unit = self.units.match(text, pos + 1)  # `>50-year-old`, `≥ 12-week`: a time only
            if unit is not None and not unit.is_time:
                unit = None
            num.hyphened = unit is not None
        if unit is None:
            m = self.lex.unit_modifier_re.match(text, pos)
            unit = self.units.match(text, m.end()) if m else None
            if unit is not None and not unit.is_time:
                unit = None
        if unit is None and "+" in text[pos:pos + 3]:
            m = _WEEKS_DAYS_RE.match(text, pos)  # a gestational age: `24+0 weeks`, `36 + 6 weeks`
            unit = self.units.match(text, m.end()) if m else None
            if unit is not None and unit.ucum == "wk":
                num.value += int(m.group(1)) / 7
            else:
                unit = None
                m = _WEEKS_DAYS_FIRST_RE.match(text, pos)  # `32+0 to 36+6 weeks`
                if m:
                    num.value += int(m.group(1)) / 7
                    pos = m.end()
        if unit is not None:
            num.unit, pos = unit, unit.end
            if unit.ucum == "wk":  # a gestational age in weeks and days: `13 weeks 6 days`
                m = _DAYS_AFTER_WEEKS_RE.match(text, pos)
                if m:
                    num.value += int(m.group(1)) / 7
                    pos = m.end()
        return pos

    def _time_unit(self, text: str, num: _Num, pos: int) -> int:
        """A time unit after a comparator after the number: `18 or more years`."""
        unit = self.units.match(text, pos)
        if unit is not None and unit.is_time:
            num.unit, pos = unit, unit.end
        return pos

    def _subject_after(self, text: str, num: _Num, pos: int) -> int:
        """`18 ≤ age` (a comparator after the number and before its subject): the bound is
        read from the subject's side. RETURNS (int): the number's end."""
        m = self.lex.subject_after_re.match(text, pos)
        if m and self.lex.comp_before_re.search(text, max(0, num.start - 30), num.start) is None:
            # `<10 mg/dL <b>` has its comparator before it: not this
            num.suffix, num.reversed, pos = _REVERSED[m.group(1)], True, m.end(1)
            if _MINUS_BEFORE_RE.search(text, max(0, num.start - 2), num.start) and num.value > 0:
                num.start, num.value = num.start - 1, -num.value  # `-2 ≤ z-score`
        return pos

    # -- grouping numbers into expressions ------------------------------------------------

    def _group(self, text: str, nums: List[_Num]) -> List[_Expr]:
        """The numbers as expressions, grouped by the rules of `quantity_rules.json`."""
        exprs: List[_Expr] = []
        for group in self.rules.group(text, nums, self):
            expr = _Expr(group.nums, lower=group.lower, upper=group.upper, rule=group.rule)
            if group.alternative:  # a second spelling takes the threshold of the number before
                expr.alternative_of = len(exprs) - 1
                expr.extra["inherit"] = exprs[-1].nums[0]
            exprs.append(expr)
        return exprs

    # -- cues ------------------------------------------------------------------------------

    def scale_before(self, text: str, num: _Num) -> bool:
        """A named scale word (`ECOG`, `grade`) right before the number's cues."""
        start = num.left
        return bool(self.lex.scale_before_re.search(text, max(0, start - 40), start))

    def _person_before(self, text: str, expr: _Expr) -> bool:
        """`Male or female ≥ 18 years`, `Women over 18 years`: a person word right before."""
        m = _LAST_WORD_RE.search(text[max(0, expr.start - 30): expr.start])
        return bool(m) and m.group(1).lower() in self.lex.person_words

    def age_before(self, text: str, num: _Num) -> bool:
        """An age word (`aged`, `age of`) before the number's cues, in its clause."""
        start = num.left
        window = text[max(0, start - 40): start]
        cut = max(window.rfind(";"), window.rfind(". "), window.rfind("\n"))
        if cut >= 0:
            window = window[cut + 1:]
        # every age word has letters: most windows before a number in a list have none
        return bool(_LETTER_RE.search(window)) and bool(self.lex.age_before_re.search(window))

    # -- building the record -----------------------------------------------------------------

    def _finish(self, text: str, expr: _Expr) -> Optional[dict]:
        first, last = expr.nums[0], expr.nums[-1]
        unit = expr.unit
        inherit: Optional[_Num] = expr.extra.get("inherit")  # type: ignore[assignment]
        op = first.op if len(expr.nums) == 1 else None
        if inherit is not None:
            op = inherit.op or inherit.temporal
            first.temporal = first.temporal or inherit.temporal
        temporal = any(n.temporal for n in expr.nums)
        if len(expr.nums) == 1 and expr.lower is None and expr.upper is None:
            features = _AloneFeatures(self, text, expr, unit, op)
            operator, rule = self.rules.alone.decide(features)
            if operator == "none":
                return None
            expr.rule = expr.rule or f"alone: rule {rule!r}"
            if operator == "temporal_cue":
                op = first.temporal  # `within 4 weeks`; `within 2 times the ULN` is at most 2 × ULN
            elif operator == "anchored_window":  # `in the 6 months preceding enrollment`
                op = self._open_window(first, features.opener)
            elif operator == "eq":
                op = "eq"
            if op == "eq":
                expr.lower = expr.upper = _bound(first.value, True)
            else:
                side, inclusive = SIDES[op]
                setattr(expr, side, _bound(first.value, inclusive))
        if first.titer and not (first.op or self.lex.titer_re.search(text, max(0, first.start - 30), first.start)):
            return None
        _say_inclusivity(expr)
        anchor = anchor_end = trigger = after = None
        if unit is not None and unit.is_time:  # only a time can be a window with an anchor
            anchor, anchor_end, trigger = self._anchor(text, expr.end)
            after = self.lex.temporal_after_re.match(text, expr.end)
        kind, kind_rule = self._kind(text, expr, unit, temporal or bool(after) or anchor is not None)
        direction, direction_rule = self._direction(text, expr, trigger) if kind == "temporal" else (None, None)
        if kind != "temporal":
            anchor = anchor_end = None
        ucum = unit.ucum if unit is not None else None
        if first.titer:
            ucum = "{titer}"
        return {
            "start": expr.start,
            "end": expr.end,
            "kind": kind,
            "lower": expr.lower,
            "upper": expr.upper,
            "unit": unit.text if unit is not None else None,
            "ucum": ucum,
            "relative_to": first.reference or last.reference,
            "anchor": anchor,
            "anchor_end": anchor_end,
            "direction": direction,
            "scale_max": first.scale_max,
            "alternative_of": None,
            "pair": first.pair,
            "rules": self._explain(text, expr, kind, kind_rule, trigger if anchor is not None else None,
                                   direction_rule),
        }

    def _explain(self, text: str, expr: _Expr, kind: str, kind_rule: str, trigger: Optional[str],
                 direction_rule: Optional[str]) -> List[str]:
        """The word lists and steps that made a record, in reading order: what `annotate
        --explain` shows (`comparators_before: 'at least' -> ge`, `unit_forms: 'mg/dL' -> mg/dL`)."""
        rules: List[str] = []
        for num in expr.nums:
            if num.temporal_start is not None:
                key = "anchored_window_openers" if num.anchored else "temporal_before"
                rules.append(f"{key}: {num.temporal_phrase!r} -> {num.temporal}")
            if num.opener_start is not None:
                rules.append(f"range_openers: {text[num.opener_start:num.start].strip()!r}")
            if num.comp_start is not None and num.comp is not None:  # `= 8-15` drops its `=`
                key = "scale_comparator_words" if num.on_scale else "comparators_before"
                rules.append(f"{key}: {text[num.comp_start:num.start].strip()!r} -> {num.comp}")
            rules.append(f"number{' in words' if num.is_word else ''}: {text[num.start:num.end]!r} = {num.value:g}")
            if num.titer:
                rules.append("titer: 1:N")
            if num.pair is not None:
                rules.append(f"paired value: second half {num.pair:g}")
            if num.scale_max is not None:
                rules.append(f"score with its maximum: /{num.scale_max:g}")
            if num.reference is not None:
                rules.append(f"references: {num.reference}")
            if num.unit is not None:
                rules.append(f"unit_forms: {num.unit.text!r} -> {num.unit.ucum}")
            if num.reversed:
                rules.append(f"comparator after the number, subject after it -> {num.suffix}")
            elif num.suffix is not None:
                rules.append(f"comparators_after -> {num.suffix}")
            if num.inclusive is not None:
                rules.append(f"inclusivity_words: {text[num.right:num.marker_end].strip()!r} -> "
                             f"{'inclusive' if num.inclusive else 'exclusive'}")
            if num.cues:
                rules.append(f"cue rules: {', '.join(repr(name) for name in num.cues)}")
        if expr.rule is not None:
            rules.append(expr.rule)
        rules.append(f"kind: {kind} (rule {kind_rule!r})")
        if trigger is not None:
            rules.append(f"temporal_after: {trigger!r} names the anchor")
        if direction_rule is not None:
            rules.append(f"direction: rule {direction_rule!r}")
        return rules

    def _with_roman_ranges(self, text: str, records: List[dict]) -> List[dict]:
        """`NYHA class II-IV`, `stage III or IV`, `> grade II`: roman numerals on a named scale,
        kept only as ranges or under a comparator (`stage III` alone is no threshold)."""
        if not holds_any(text, self.lex.roman_scale_tails):
            return records  # most criteria: no scale word, so no roman value on a scale
        added = []
        taken = Occupied(records)
        for m in self.lex.roman_re.finditer(text):
            low = _roman(m.group("roman"))
            comp = self.lex.comp_before_re.search(text, max(0, m.start() - 30), m.start())
            if m.group("comp"):  # `ASA ≥ III`, `stage> II`: between the scale and its value
                comp = PhraseHit(text, m.start("comp"), m.end("comp"))
            high = self._roman_span(m, low)
            if high is not None:
                if high <= low:
                    continue
                start, end = m.start("roman"), m.end("more")
                lower, upper = _bound(low, True), _bound(high, True)
            elif comp:
                op = self.lex.comparator_before(comp.group())
                if op not in SIDES:
                    continue
                start, end = comp.start(), m.end("roman")
                side, inclusive = SIDES[op]
                lower = _bound(low, inclusive) if side == "lower" else None
                upper = _bound(low, inclusive) if side == "upper" else None
            else:
                continue
            if taken.overlaps(start, end):
                continue
            rules = [f"roman_scale_words: {m.group().split()[0]!r}", "roman numerals " + (
                "joined by scale_pair_joiners or list_joiners" if high is not None else f"under a comparator: {comp.group()!r}")]
            added.append({"start": start, "end": end, "kind": "numeric", "lower": lower, "upper": upper,
                          "unit": None, "ucum": None, "relative_to": None, "anchor": None, "anchor_end": None, "direction": None,
                          "scale_max": None, "alternative_of": None, "pair": None, "rules": rules})
        if not added:
            return records
        merged = sorted(records + added, key=lambda r: r["start"])
        position = {id(r): i for i, r in enumerate(merged)}
        for r in records:  # alternative_of indexes the list: follow the reordering
            if r["alternative_of"] is not None:
                r["alternative_of"] = position[id(records[r["alternative_of"]])]
        return merged

    def _roman_span(self, m: re.Match, low: int) -> Optional[int]:
        """The top of the numerals after the first one: `II-IV` (a range joiner) -> 4, `III
        and IV`, `II, III or IV` (a list of consecutive values) -> 4; None when there are none
        or they make no interval."""
        more = m.group("more")
        if not more:
            return None
        numerals = list(_ROMAN_NUMERAL_RE.finditer(more))
        values = [low] + [_roman(n.group()) for n in numerals]
        joiners, pos = [], 0
        for n in numerals:
            joiners.append(more[pos: n.start()].strip().lower())
            pos = n.end()
        if len(values) == 2 and joiners[0] in self.lex.scale_pair_joiners:
            return values[1]
        if all(j in self.lex.list_joiners for j in joiners) and all(
                b == a + 1 for a, b in zip(values, values[1:])):
            return values[-1]
        return None

    def anchored_opener(self, text: str, expr: _Expr) -> Optional[PhraseHit]:
        """An anchored-window opener right before a time with an anchor after it (`in the 6
        months preceding enrollment`, `during the 3 months before screening`); None
        otherwise (`in the 6 months` says nothing alone)."""
        first = expr.nums[0]
        m = self.lex.anchored_window_re.search(text, max(0, first.left - 20), first.left)
        if m is None or self._anchor(text, expr.end)[0] is None:
            return None
        return m

    @staticmethod
    def _open_window(first: _Num, opener: PhraseHit) -> str:
        """Make the opener the number's temporal cue (part of the window); its operator."""
        first.temporal, first.temporal_start, first.anchored = "le", opener.start(), True
        first.temporal_phrase = " ".join(opener.group().lower().split())
        return "le"

    def _kind(self, text: str, expr: _Expr, unit: Optional[UnitMatch], window: bool) -> Tuple[str, str]:
        """The quantity's kind and the kind rule (`quantity_kinds.json`) that gave it."""
        return self.kinds.decide(_KindFeatures(self, text, expr, unit, window))

    def age_cue(self, text: str, expr: _Expr, unit: Optional[UnitMatch]) -> bool:
        """An age word before or after the quantity (`aged`, `years old`, `or older`, `18 ≤
        age`), `older than` before it, a person word before it (`women over 18 years`), a
        unit that says it (`years-old`), or a criterion that is nothing but a number of years."""
        first = expr.nums[0]
        if (self.lex.age_after_re.match(text, expr.end)
                or (unit is not None and unit.is_time and self.lex.age_after_time_re.match(text, expr.end))
                or any(n.suffix and text[n.right - 8: n.right].lower().rstrip().endswith(self.lex.age_suffix_words)
                       for n in expr.nums)
                or self.lex.age_comparator_re.match(text, expr.start, first.start)  # `older than 18`
                or (first.reversed and self.lex.age_after_comparator_re.match(text, expr.end))):  # `18 ≤ age`
            return True
        if (self.age_before(text, first) or self._person_before(text, expr)
                or self.lex.age_before_re.search(text, first.left, first.start)  # `aged between`, `under the age of`
                or (unit is not None and unit.text.lower().endswith(self.lex.age_unit_endings))):
            return True
        # a criterion that is nothing but a number of years (`- Over 18 years`) is an age;
        # bullets and punctuation are short, so only a few characters are read either side
        return (unit is not None and unit.ucum == "a" and not any(n.temporal for n in expr.nums)
                and expr.start <= _BARE_MAX and len(text) - expr.end <= _BARE_MAX
                and _BARE_RE.match(text[:expr.start]) is not None
                and _BARE_RE.match(text[expr.end:]) is not None)

    def is_count(self, text: str, expr: _Expr) -> bool:
        """`≥2 immunosuppressants`, `at least one autoantibody`, `≥3 of`."""
        if any(n.value != int(n.value) or n.value < 0 for n in expr.nums):
            return False
        if expr.nums[0].on_scale or self.scale_before(text, expr.nums[0]):
            return False
        m = _NEXT_WORD_RE.match(text, expr.end)  # at a position: no copy of the text's rest
        if not m:
            return False
        word = m.group(1).lower()
        if word == "of":
            return bool(_OF_WHAT_RE.match(text, expr.end))
        if word in self.lex.count_adjectives:  # `≥2 prior lines of therapy`; `2 prior to` is none
            m = _NEXT_WORD_RE.match(text, m.end())
            return m is not None and m.group(1).lower() not in self.lex.count_stop_words
        return word not in self.lex.count_stop_words

    def _anchor(self, text: str, end: int) -> Tuple[Optional[str], Optional[int], Optional[str]]:
        """The anchor named after a window (`prior to screening` -> "screening"), where its
        phrase ends, and the word that ties it to the window (`prior to`); Nones when there
        is none (`windows.anchor` in quantity_rules.json)."""
        window = text[end: end + self.windows.reach]
        brk = _CLAUSE_BREAK_RE.search(window)
        if brk:
            window = window[: brk.start()]
        m = self.lex.anchor_re.search(window)
        if not m:
            return None, None, None
        trigger = " ".join(m.group("trigger").lower().split())
        if trigger in self.windows.no_number_before and _NUMBER_RE.search(window, 0, m.start()):
            return None, None, None
        anchor = " ".join(m.group("anchor").lower().split())
        return (anchor[4:] if anchor.startswith("the ") else anchor), end + m.end(), trigger

    def _direction(self, text: str, expr: _Expr, trigger: Optional[str]) -> Tuple[Optional[str], Optional[str]]:
        """Where a window's event lies relative to its anchor, and the rule that said so, from
        the first of `windows.direction` whose source says; Nones when none does (`within 4
        weeks of screening`)."""
        for name, source in self.windows.direction:
            direction = self._direction_from(source, text, expr, trigger)
            if direction is not None:
                return direction, name
        return None, None

    def _direction_from(self, source: str, text: str, expr: _Expr, trigger: Optional[str]) -> Optional[str]:
        if source == "trigger":  # `prior to screening`
            return self.lex.direction_words_after.get(trigger)
        if source == "word_after":  # `30 days after surgery`, `6 months ago`
            m = self.lex.direction_after_re.match(text, expr.end)
            return self.lex.direction_words_after[phrase_key(m.group())] if m else None
        for num in expr.nums:  # "cue_before": `in the past 6 months`
            if num.temporal_phrase in self.lex.direction_cues:
                return self.lex.direction_cues[num.temporal_phrase]
        return None

    @staticmethod
    def _share_anchors(text: str, records: List[dict]) -> None:
        """`Major surgery within 4 weeks or minor surgery within 2 weeks prior to screening`:
        a window with no anchor takes the anchor of the first anchored window of its clause
        (clauses end at `;`, `. ` and line ends)."""
        windows = [r for r in records if r["kind"] == "temporal"]
        if len({r["anchor"] is None for r in windows}) < 2:
            return  # none to share, or none lacking one: most criteria
        breaks = [m.start() for m in _CLAUSE_BREAK_RE.finditer(text)]
        first_anchor: Dict[int, dict] = {}
        temporal = [(bisect_right(breaks, r["start"]), r) for r in windows]
        for clause, rec in temporal:
            if rec["anchor"] is not None:
                first_anchor.setdefault(clause, rec)
        for clause, rec in temporal:
            if rec["anchor"] is None and clause in first_anchor:
                rec["anchor"] = first_anchor[clause]["anchor"]
                rec["direction"] = rec["direction"] or first_anchor[clause]["direction"]


#: The readers the cue rules may name in `read`: what needs more than a word list.
READERS = {
    "titer_or_pair": QuantityParser._titer_or_pair,
    "unit": QuantityParser._unit,
    "time_unit": QuantityParser._time_unit,
    "subject_after": QuantityParser._subject_after,
}
#: The fields of a number the cue rules may write and test.
_NUM_FIELDS = frozenset(f.name for f in fields(_Num))


def _unit_class(unit: Optional[UnitMatch], lex: Lexicon) -> str:
    """The unit as the decision lists name it: dose, other, age_time, time or none."""
    if unit is None:
        return "none"
    if unit.is_time:
        return "age_time" if unit.ucum in lex.age_units else "time"
    return "dose" if unit.dimension in lex.dose_dimensions or unit.ucum in lex.dose_ucum else "other"


class _AloneFeatures:
    """What the `alone` rules read of a number that stands alone; the costly cues are
    computed when a rule asks for them."""

    def __init__(self, parser: QuantityParser, text: str, expr: _Expr, unit: Optional[UnitMatch],
                 op: Optional[str]) -> None:
        self._parser, self._text, self._expr = parser, text, expr
        first = self._first = expr.nums[0]
        self.unit = _unit_class(unit, parser.lex)
        self.comparator = op is not None
        self.temporal_cue = bool(first.temporal)
        self.reference = first.reference is not None
        self.in_words = first.is_word
        self.hyphened = first.hyphened
        self.ucum = unit is not None and unit.ucum is not None
        self.bare_units = parser.bare_units
        self.opener: Optional[PhraseHit] = None

    @property
    def scale_value(self) -> bool:  # `ECOG 1`, `Gleason score 7`
        first = self._first
        return (first.value == int(first.value) and first.value < 1000
                and bool(self._parser.lex.scale_bare_re.search(self._text, max(0, first.start - 40), first.start)))

    @property
    def anchored_window(self) -> bool:
        self.opener = self._parser.anchored_opener(self._text, self._expr)
        return self.opener is not None


class _KindFeatures:
    """What the kind rules read of one quantity; the costly cues are computed when a rule
    asks for them."""

    def __init__(self, parser: QuantityParser, text: str, expr: _Expr, unit: Optional[UnitMatch],
                 window: bool) -> None:
        self._parser, self._text, self._expr, self._unit = parser, text, expr, unit
        first = expr.nums[0]
        self.window = window
        self.reference = first.reference is not None
        self.titer = first.titer
        self.scale_max = first.scale_max is not None
        self.reversed = first.reversed
        self.unit = _unit_class(unit, parser.lex)

    @property
    def temporal_cue(self) -> bool:  # read when asked: the grammar may add an anchored window's cue
        return any(n.temporal for n in self._expr.nums)

    @property
    def age_cue(self) -> bool:  # costly: read only when a rule asks
        return self._parser.age_cue(self._text, self._expr, self._unit)

    @property
    def count_cue(self) -> bool:
        return self._parser.is_count(self._text, self._expr)


class Occupied:
    """The stretches held by records (dicts with `start` and `end`), for overlap checks in
    logarithmic time: a criterion can hold thousands of records."""

    def __init__(self, records: List[dict]) -> None:
        spans = sorted((r["start"], r["end"]) for r in records)
        self.starts = [s for s, _ in spans]
        self.reach = list(accumulate((e for _, e in spans), max))  # furthest end so far

    def overlaps(self, start: int, end: int) -> bool:
        """Whether any record shares a character with [start, end)."""
        i = bisect_left(self.starts, end) - 1  # the records starting before `end`
        return i >= 0 and self.reach[i] > start


def find_qualitative_values(text: str, taken: List[dict], offset: int = 0,
                            lexicon: Optional[Lexicon] = None) -> List[dict]:
    """Qualitative result values that are no threshold: `negative serum pregnancy test`,
    `HIV+`, `abnormal liver function`. Words inside a threshold (`upper limit of normal`)
    are left out. RETURNS (List[dict]): {"start", "end"} per value, shifted by `offset`."""
    lexicon = lexicon or get_lexicon()
    if not holds_any(text, lexicon.qualitative_tails):
        return []  # most criteria: none of the values' words, no `+`
    found = []
    occupied = Occupied(taken)
    for m in lexicon.qualitative_re.finditer(text):
        start, end = m.start() + offset, m.end() + offset
        if occupied.overlaps(start, end):
            continue
        found.append({"start": start, "end": end})
    return found


_PARSER: Optional[QuantityParser] = None


def find_quantities(text: str, offset: int = 0) -> List[dict]:
    """Parse `text` with the package's default grammar. See `QuantityParser`."""
    global _PARSER
    if _PARSER is None:
        _PARSER = QuantityParser()
    return _PARSER(text, offset)
