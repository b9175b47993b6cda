"""Numbers written in words: `one hundred and seventy`, `a thousand`, `three quarters`,
`one and a half`, `negative ten`.

The words and their values are data (`number_words`, `number_scales`, `fraction_words`,
`sign_words` in `resources/quantity_lexicon.json`); this module reads a run of them the
way English composes them:

    number   = [sign] whole ["and" fraction] | [sign] fraction | a word that stands alone
    whole    = group {big-scale group}        `three thousand nine hundred and sixty five`
    group    = [digit-word "hundred" ["and"]] tens-or-digit-word
    fraction = numerator denominator          `one quarter`, `a half`, `two thirds`

A run that stops being a number ends the number there: `three four` is two numbers,
`twenty five` one. Words that stand alone (`once`, `twice`, `half`) join no compound.

    >>> numbers = WordNumbers(lexicon_data)
    >>> numbers.value("three thousand nine hundred and sixty five")
    3965.0
"""
from __future__ import annotations

import re
from typing import Dict, Iterator, List, NamedTuple, Optional, Tuple

_WORD_RE = re.compile(r"[^\s-]+")
_DIGITS_AFTER_RE = re.compile(r"\s*\(\s*(\d+)\s*\)")  # `three (3)`


class WordNumber(NamedTuple):
    """A number in words found in a text: its char offsets and value."""

    start: int  # where it starts, its sign word included
    end: int  # where it ends, digits in brackets included
    value: float  # signed; the digits in brackets give it where they follow (`three (3)`)
    body_start: int  # where it starts after its sign word (`start` without one)
    unsigned: float  # the value without the sign word
    words_end: int  # where its words end, before digits in brackets


class WordNumbers:
    """Reads numbers written in words, with the word lists of `quantity_lexicon.json`.

    data (dict): the lexicon's content (`number_words`, `number_articles`, `number_scales`,
        `fraction_words`, `ordinal_fraction_words`, `sign_words`,
        `number_words_needing_context`).
    alternation (Callable): `lexicon.phrase_alternation`, which builds the regex of a
        phrase list.
    """

    def __init__(self, data: dict, alternation) -> None:
        key = _key
        self.atoms: Dict[str, float] = {key(k): float(v) for k, v in data["number_words"].items()}
        self.articles = {key(w) for w in data["number_articles"]}
        self.scales: Dict[str, float] = {key(k): float(v) for k, v in data["number_scales"].items()}
        self.denominators: Dict[str, float] = {key(k): float(v) for k, v in data["fraction_words"].items()}
        self.ordinals = {key(w) for w in data["ordinal_fraction_words"]}
        self.signs: Dict[str, float] = {key(k): float(v) for k, v in data["sign_words"].items()}
        alone = {key(w) for w in data["number_words_needing_context"]} - self.articles
        # digit words (0-9), teens (10-19) and tens (20-90) compose; `once`, `half` stand alone
        self.small = {w: v for w, v in self.atoms.items()
                      if w not in alone and w not in self.articles and v == int(v)
                      and (v < 20 or v < 100 and v % 10 == 0)}
        self.alone = {w: v for w, v in self.atoms.items() if w not in self.small}
        words = set(self.atoms) | set(self.scales) | set(self.denominators)
        self.pattern = re.compile(  # a run of number words, sign words first; `read` says how much is a number
            alternation(words | set(self.signs))
            + r"(?:(?:\s+and)?(?:\s+|\s*-\s*)" + alternation(words, r"\w") + r")*(?![\w-])",
            re.IGNORECASE)

    def finditer(self, text: str, pos: int = 0, endpos: Optional[int] = None) -> Iterator["WordNumber"]:
        """Each number written in words in text[pos:endpos], with its digits in brackets if
        they follow (`three (3)`: the digits give the value)."""
        endpos = len(text) if endpos is None else endpos
        while True:
            m = self.pattern.search(text, pos, endpos)
            if m is None:
                return
            words = [(w.group().lower(), w.start(), w.end()) for w in _WORD_RE.finditer(text, m.start(), m.end())]
            value, read = self.read([w for w, _, _ in words])
            if value is None:  # a run that opens with no number (`minus`): past its first word
                pos = words[0][2]
                continue
            sign = self.signs.get(words[0][0]) if read > 1 else None
            body = words[1][1] if sign is not None else m.start()
            end = words[read - 1][2]
            unsigned = value / sign if sign is not None else value
            digits = _DIGITS_AFTER_RE.match(text, end, endpos)
            if digits:
                unsigned = float(digits.group(1))
                value = unsigned * (sign if sign is not None else 1.0)
            yield WordNumber(m.start(), digits.end() if digits else end, value, body, unsigned, end)
            pos = end

    def value(self, text: str) -> Optional[float]:
        """The value of `text` if all of it is one number in words, else None."""
        words = [w.lower() for w in _WORD_RE.findall(text)]
        if not words:
            return None
        value, read = self.read(words)
        return value if read == len(words) else None

    def read(self, words: List[str]) -> Tuple[Optional[float], int]:
        """The value of the longest number at the start of `words` (lower-cased, without
        hyphens), and how many words it takes; (None, 0) when they open with none."""
        i, sign = 0, 1.0
        if words and words[0] in self.signs:
            i, sign = 1, self.signs[words[0]]
        for n in (2, 1):  # a word that stands alone (`twice`, `a single`) is the whole number
            alone = " ".join(words[i:i + n])
            if i + n <= len(words) and alone in self.alone and alone not in self.articles:
                return sign * self.alone[alone], i + n
        total = group = 0.0  # the value of the big scales read, and of the group after them
        last: Optional[str] = None  # kind of the previous word
        biggest = float("inf")  # big scales must fall: `million` then `thousand`
        best: Tuple[Optional[float], int] = (None, 0)
        while i < len(words):
            word = words[i]
            if word == "and":
                if last in ("hundred", "big"):  # `one hundred and seventy`
                    last, i = "and", i + 1
                    continue
                if last in ("digit", "teen", "tens") and self._fraction_at(words, i + 1):
                    total, group, last, i = total + group, 0.0, "and", i + 1  # `one and a half`
                    continue
                break
            kind = self._kind(word, last)
            if kind is None:
                break
            if kind in ("digit", "teen", "tens"):
                group += self.small[word]
            elif kind == "article":
                group = 1.0
            elif kind == "hundred":
                group = (group or 1.0) * 100
            elif kind == "big":
                scale = self.scales[word]
                if scale >= biggest:
                    break
                biggest, total, group = scale, total + (group or 1.0) * scale, 0.0
            else:  # a denominator: the numerator read just before
                group /= self.denominators[word]
            last = kind
            i += 1
            best = (sign * (total + group), i)
            if kind == "fraction":
                break
        return best

    def _kind(self, word: str, last: Optional[str]) -> Optional[str]:
        """What `word` is after a word of kind `last`, or None where it cannot follow."""
        if word in self.articles:
            return "article" if last in (None, "and") else None
        if word in self.small:
            value = self.small[word]
            kind = "digit" if value < 10 else "teen" if value < 20 else "tens"
            if last in (None, "hundred", "big", "and"):
                return kind
            return "digit" if last == "tens" and kind == "digit" and value > 0 else None
        if word in self.scales:
            if self.scales[word] == 100:
                return "hundred" if last in ("article", "digit", "teen") else None
            return "big" if last in ("article", "digit", "teen", "tens", "hundred") else None
        if word in self.denominators:
            if last == "article" and word not in self.ordinals:
                return "fraction"  # `a half`, `a quarter`; `a third` is an ordinal
            return "fraction" if last in ("digit", "teen") else None
        return None

    def _fraction_at(self, words: List[str], i: int) -> bool:
        """Whether a fraction (`a half`, `one quarter`) starts at words[i]."""
        if i + 1 >= len(words) or words[i + 1] not in self.denominators:
            return False
        if words[i] in self.articles:
            return words[i + 1] not in self.ordinals
        return words[i] in self.small and self.small[words[i]] < 20


def _key(phrase: str) -> str:
    return " ".join(phrase.lower().split())
