"""Finding the subject of a threshold: the measurement, score, age, drug or event it constrains.

A rule-based reading of the words next to the threshold inside one criterion:

    "IgA deficiency (serum IgA level <10 mg/dL)"  ->  subject "serum IgA level"
    "≥2 immunosuppressants and/or biologics"      ->  subject "immunosuppressants"
    "Major surgery within 4 weeks"                ->  subject "Major surgery"

The word lists (fillers skipped next to the threshold, words that end a subject, event
heads such as `participation in`, label hints) are data, in `resources/linker.json`.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import List, Optional, Tuple

from .lexicon import read_resource

Subject = Tuple[int, int, str]  # start, end, label

_TOKEN_RE = re.compile(r"\([^()\n]{0,200}\)|\[[^\[\]\n]{0,200}\]|[A-Za-z0-9µ][\w/'+-]*[\w+]|[A-Za-z0-9µ]|[^\w\s]")
_PUNCT_STOP = set(",;:()[]{}.!?\"'•*")
_COMPARATORS = set("≤<≥>=")  # a comparator ends a subject (`145 mmHg ≤ msSBP ≤ 190 mmHg`)
_BULLETS = {"-", "–", "•", "*"}
_JOINERS = {"/", "&"}  # join list members; never the first word of a subject
_NUMERIC_RE = re.compile(r"^[\d.,]+$")
_ON_SCALE_RE = re.compile(r"\s+on\s+(?:the\s+)?", re.IGNORECASE)  # `a score of ≥ 20 on the HAM-D`
_OF_NOUN_RE = re.compile(r"\s+(?:of|in)\s+(?=[A-Za-z])", re.IGNORECASE)
_ABBREVIATION_RE = re.compile(r"^[(\[][A-Za-z][\w/-]{0,11}[)\]]$")


class SubjectFinder:
    """Reads the words around a threshold to name what it constrains."""

    def __init__(self, data: Optional[dict] = None) -> None:
        data = data or read_resource("linker.json")
        self.filler = set(data["filler"])
        self.stop = set(data["stop"])
        self.event_heads = set(data["event_heads"])
        self.event_preps = set(data["event_preps"])
        # an age's subject: a word of these lists (`aged`, `years old`, `or older`, `years`)
        self.age_word_re = _words_re(data["age_words"])
        self.age_after_re = _words_re(data["age_after"])
        self.age_comparative_re = _words_re(data["age_comparatives"])
        self.age_unit_re = _words_re(data["age_units"])
        self.right_skip = set(data["right_skip"])
        self.conjunctions = set(data["conjunctions"])
        self.anaphora = set(data["anaphora"])
        self.no_extend_heads = set(data["no_extend_heads"])
        self.generic_event_preps = set(data["generic_event_preps"])
        self.temporal_lead_in = re.compile(data["temporal_lead_in"], re.IGNORECASE)
        # a time whose subject follows it: `37 weeks gestation`, `>37 weeks gestational age`
        after = sorted(data["time_subjects_after"], key=len, reverse=True)
        self.time_subject_after = re.compile(
            r"\s*(?:of\s+)?(" + "|".join(map(re.escape, after)) + r")\b", re.IGNORECASE) if after else None
        self.max_tokens = int(data["max_tokens"])
        self.scale_heads = set(data["scale_heads"])
        # `≥ 13 g/dL for men and ≥ 12 g/dL`: whom the threshold before holds for, then a joiner
        self.qualified_gap = re.compile(
            r"^\s*\(?\s*(?:for|in|among)?\s*(?:the\s+)?(?:"
            + "|".join(map(re.escape, sorted(data["population_qualifiers"], key=len, reverse=True)))
            + r")\s*\)?\s*[,;]?\s*(?:and/or|and|or)?\s*$", re.IGNORECASE)
        self.component_words = {half: set(words) for half, words in data["component_words"].items()}
        labels = data["labels"]
        self.label_words = {
            label: set(labels[label])
            for label in ("Temporal", "Measurement", "Procedure", "Drug", "Condition")
        }
        self.label_suffixes = {
            "Procedure": tuple(labels["Procedure_suffixes"]),
            "Drug": tuple(labels["Drug_suffixes"]),
            "Condition": tuple(labels["Condition_suffixes"]),
        }
        self._cache()

    def _cache(self) -> None:
        # pure functions of a phrase, asked again for each threshold of a repeated subject
        self.label = lru_cache(maxsize=4096)(type(self).label.__get__(self))
        self.component = lru_cache(maxsize=4096)(type(self).component.__get__(self))

    def __getstate__(self) -> dict:  # the caches wrap bound methods: rebuilt, not pickled
        return {k: v for k, v in self.__dict__.items() if k not in ("label", "component")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._cache()

    def find(self, text: str, start: int, end: int, kind: str, unit: Optional[str],
             lo: int = 0, hi: Optional[int] = None, criterion_start: Optional[int] = None) -> Optional[Subject]:
        """The subject of the threshold at text[start:end], looked for in text[lo:hi].

        text (str): the (normalized) document text.
        start (int), end (int): the threshold expression.
        kind (str): the constraint kind (`age` looks for an age word first).
        unit (str or None): the unit as written (`%` and doses look right first).
        lo (int), hi (int): the criterion around it. Defaults to the whole text.
        criterion_start (int or None): where the criterion starts, when `lo` is later (after
            the threshold before): an age word there is the subject of every age after it
            (`Age < 20 or > 70 years`). Defaults to `lo`.
        RETURNS (Tuple[int, int, str] or None): start, end and label of the subject.
        """
        hi = len(text) if hi is None else hi
        if kind == "age":
            return self._age(text, start, end, lo, hi, lo if criterion_start is None else criterion_start)
        after = self.time_subject_after.match(text, end, hi) if self.time_subject_after and \
            kind in ("duration", "temporal") else None
        if after:
            return after.start(1), after.end(1), "Measurement"
        if text[end - 1:end] in _COMPARATORS:  # `18 ≤ age ≤ 65`: the threshold ends with its comparator
            found = self._right(text, end, hi)
            return self._labelled(text, found, kind) if found is not None else None
        of_noun = _OF_NOUN_RE.match(text, end, hi) if kind == "duration" else None
        right_first = kind in ("count", "dose", "qualitative") or unit == "%" or of_noun is not None
        if right_first:  # `≥2 immunosuppressants`, `≥20% strength loss`, `24 hours of ventilation`
            found = self._right(text, of_noun.end() if of_noun else end, hi)
            if found is not None:
                return self._labelled(text, found, kind)
        found = self._left(text, lo, start, end, kind)
        if found is None:
            return None
        if text[found[0]:found[1]].lower().rsplit(None, 1)[-1] in self.scale_heads:
            on = _ON_SCALE_RE.match(text, end, hi)
            named = self._right(text, on.end(), hi) if on is not None else None
            if named is not None:  # `a score of > 10 on the Epworth sleepiness scale`: the scale's
                found = named
        return self._labelled(text, found, kind)

    # -- scans -------------------------------------------------------------------------------

    def _left(self, text: str, lo: int, start: int, end: int, kind: str) -> Optional[Tuple[int, int]]:
        left = text[lo:start]
        if kind == "temporal" and re.match(r"(?:up\s+)?(?:until|till)\b", text[start:end], re.IGNORECASE) \
                or kind == "temporal" and re.search(r"\b(?:until|till|through)\s*$", left, re.IGNORECASE):
            # `contraception from screening until 6 months after the last dose`
            m = self.temporal_lead_in.search(left)
            if m:
                left = left[: m.start()]
        tokens = [(m.start() + lo, m.end() + lo, m.group()) for m in _TOKEN_RE.finditer(left)]
        i = len(tokens) - 1
        while i >= 0 and tokens[i][2].lower() in self.filler:
            i -= 1
        picked: List[Tuple[int, int, str]] = []
        while i >= 0 and len(picked) < self.max_tokens:
            tok = tokens[i][2]
            low = tok.lower()
            if len(tok) > 1 and tok[0] in "([":
                if _ABBREVIATION_RE.match(tok):  # `antinuclear antibody (ANA)`, `gingival index (GI) score`
                    picked.append(tokens[i])
                    i -= 1
                    continue
                if picked:
                    break
                i -= 1  # an aside before the threshold: `disorders (including ...) within 8 weeks`
                continue
            if low in self.conjunctions and picked and self._coordinated(tokens, i, picked):
                picked.append(tokens[i])  # `glucocorticoids and/or immunosuppressants`
                i -= 1
                continue
            if low in self.stop or tok in _PUNCT_STOP or tok in _COMPARATORS or _NUMERIC_RE.match(tok):
                break
            picked.append(tokens[i])
            i -= 1
        while picked and picked[-1][2] in _JOINERS:  # `/hepatitis B virus DNA`: a cut list
            picked.pop()
        if not picked or all(t[2][0] in "([" for t in picked):
            return None
        picked.reverse()
        s, e = picked[0][0], picked[-1][1]
        if kind in ("temporal", "duration"):
            s = self._event_head(tokens, i, s)
        return s, e

    def _coordinated(self, tokens, i: int, picked) -> bool:
        """Whether the word before a conjunction names a thing of the same kind as the head."""
        if i < 1:
            return False
        head = self.label(picked[0][2], "")
        before = tokens[i - 1][2]
        return head in ("Drug", "Procedure") and self.label(before, "") == head

    def _event_head(self, tokens: List[Tuple[int, int, str]], i: int, s: int) -> int:
        """`Participation in any other clinical trial`, `ventilated in intensive care unit`:
        an event and its place or object, `HEAD PREP [any other] NOUNS`, is one subject."""
        j = i
        while j >= 0 and tokens[j][2].lower() in ("any", "other", "the", "a", "an", "all", "prior", "previous"):
            j -= 1
        if j < 1 or tokens[j][2].lower() not in self.event_preps:
            return s
        head = tokens[j - 1][2]
        low = head.lower()
        if low in self.event_heads or (
            tokens[j][2].lower() in self.generic_event_preps and low not in self.stop
            and low not in self.no_extend_heads and head[0].isalpha()
        ):
            return tokens[j - 1][0]
        return s

    def _right(self, text: str, end: int, hi: int) -> Optional[Tuple[int, int]]:
        picked: List[Tuple[int, int, str]] = []
        skipped = 0
        for m in _TOKEN_RE.finditer(text, end, hi):
            tok = m.group()
            low = tok.lower()
            if not picked and tok in _JOINERS:
                return None  # `HBsAg negative/HBcAb positive`: a list of values, subjects left
            if not picked and low in self.right_skip:
                skipped += 1  # `at least one positive myositis-specific autoantibody`
                if skipped > self.max_tokens:  # a run of such words has no subject after it
                    return None
                continue
            if picked and _ABBREVIATION_RE.match(tok):
                picked.append((m.start(), m.end(), tok))
                break
            if low in self.stop or tok in _PUNCT_STOP or tok in _COMPARATORS or tok.startswith("(") \
                    or _NUMERIC_RE.match(tok):
                break
            picked.append((m.start(), m.end(), tok))
            if len(picked) >= 3:
                break
        while picked and picked[-1][2].lower() in self.filler:
            picked.pop()
        if not picked:
            return None
        return picked[0][0], picked[-1][1]

    def _age(self, text: str, start: int, end: int, lo: int, hi: int, criterion_start: int) -> Optional[Subject]:
        before = self._last_age_word(text, lo, start)
        if before is not None:
            return before
        for pattern in (self.age_after_re, self.age_comparative_re):
            m = pattern.search(text, start, min(hi, end + 12))
            if m:  # `aged between 18 and 70`, `18 years of age`, `over 18 years old`, `65 or older`
                return m.start(1), m.end(1), "Person"
        before = self._last_age_word(text, criterion_start, lo) if criterion_start < lo else None
        if before is not None:  # `Age < 20 or > 70 years`: the age named before the first one
            return before
        m = self.age_unit_re.search(text, start, end)
        if m:  # `Male or female ≥ 18 years`: the age is named by its unit only
            return m.start(), m.end(), "Person"
        return None

    def _last_age_word(self, text: str, lo: int, hi: int) -> Optional[Subject]:
        """The last of `age_words` in text[lo:hi], as a Person subject."""
        found = None
        for found in self.age_word_re.finditer(text, lo, hi):
            pass
        return (found.start(), found.end(), "Person") if found is not None else None

    def bracketed_scale_head(self, text: str, start: int, end: int) -> Optional[int]:
        """Where the opening bracket is when text[start:end] is a scale's own word right after
        one (`periodontitis (stages III or IV)`), else None."""
        if text[start:end].lower() not in self.scale_heads:
            return None
        before = text[:start].rstrip()
        return len(before) - 1 if before.endswith("(") else None

    def only_fillers(self, gap: str) -> bool:
        """Whether nothing but filler words stand in `gap`: `ANC of <1.0`, `ANC: <1.0`."""
        return all(m.group().lower() in self.filler for m in _TOKEN_RE.finditer(gap))

    def trim(self, text: str, start: int, end: int) -> Optional[Tuple[int, int]]:
        """text[start:end] without filler words and unmatched brackets or punctuation at its
        edges (`total CLASI-A score of` -> `total CLASI-A score`); None when nothing is left."""
        tokens = [m for m in _TOKEN_RE.finditer(text, start, end)]
        edge = lambda tok: tok.lower() in self.filler or tok in _PUNCT_STOP or tok in _BULLETS  # noqa: E731
        while tokens and edge(tokens[-1].group()):
            tokens.pop()
        while tokens and edge(tokens[0].group()):
            tokens.pop(0)
        return (tokens[0].start(), tokens[-1].end()) if tokens else None

    def anaphoric(self, text: str, lo: int, start: int) -> bool:
        """`≥2 muscle enzymes elevated, with one ≥1.5× ULN`: the threshold's subject is a
        pronoun-like word (`one`, `each`) that points back to an earlier subject."""
        m = re.search(r"([A-Za-z]+)\s*$", text[lo:start])
        return bool(m) and m.group(1).lower() in self.anaphora

    # -- labels ------------------------------------------------------------------------------

    def _labelled(self, text: str, span: Tuple[int, int], kind: str) -> Subject:
        return span[0], span[1], self.label(text[span[0]:span[1]], kind)

    def component(self, subject: str) -> Optional[str]:
        """Which half of a paired value a subject names (`SBP` -> "systolic"), or None for
        none or both (`systolic/diastolic blood pressure`)."""
        words = set(re.split(r"[\s/(),]+", subject.lower()))
        halves = [half for half, names in self.component_words.items() if words & names]
        return halves[0] if len(halves) == 1 else None

    def label(self, subject: str, kind: str) -> str:
        """A Chia type for a subject phrase: `Major surgery` -> Procedure."""
        if kind in ("numeric", "qualitative"):
            return "Measurement"
        words = [w for w in re.split(r"[\s/]+", subject.lower().strip("() ")) if w]
        for word in reversed(words):
            for label in ("Temporal", "Measurement", "Procedure", "Drug", "Condition"):
                if word in self.label_words[label]:
                    return label
            for label in ("Procedure", "Condition", "Drug"):
                if word.endswith(self.label_suffixes[label]) and len(word) > 5:
                    return label
        return {"dose": "Drug", "age": "Person"}.get(kind, "Observation")


@lru_cache(maxsize=1)
def get_subject_finder() -> SubjectFinder:
    """The shared finder built from the package's word lists."""
    return SubjectFinder()


def _words_re(words) -> "re.Pattern":
    """Any of `words` as a whole word (case-insensitive), captured as group 1."""
    return re.compile(r"\b(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")\b",
                      re.IGNORECASE)
