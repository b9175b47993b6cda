"""Clinical measurement concepts: the LOINC-coded measurements criteria constrain, and a
matcher from a subject phrase (`serum creatinine`, `ANC`, `QTcF interval`) to its concept.

The table is `resources/concepts.tsv`; its header gives the columns and the matching rules.
Matching is dictionary look-ups over the words of the phrase, memoized per table:

    >>> find_concept("absolute neutrophil count (ANC)").code
    'LOINC:751-8'
    >>> find_concept("AST/ALT") is None  # two concepts: none
    True
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Dict, FrozenSet, Iterator, List, NoReturn, Optional, Tuple, Union

from .errors import RuleFileError
from .lexicon import read_resource

__all__ = ["Concept", "ConceptTable", "concept_code", "find_concept", "get_concepts", "read_concepts_text"]

CONCEPTS_FILE = "concepts.tsv"
_PACKAGE_PATH = f"criteria_nlp/resources/{CONCEPTS_FILE}"
_DEFINITIONS_PATH = "criteria_nlp/units/clinical_units.txt"

_CODE_RE = re.compile(r"LOINC:\d+-\d")
_VERSION_RE = re.compile(r"#\s*version:\s*(\S+)")
_MOLAR_MASS_RE = re.compile(r"\bmolar_mass_(\w+)")
_WORD_RE = re.compile(r"[^\W_]+")
_BRACKETED_RE = re.compile(r"[(\[{]([^()\[\]{}]*)[)\]}]")
_OPENING_RE = re.compile(r"[(\[{]")
_LIST_SEPARATOR_RE = re.compile(r"[/,;&|]|\b(?:and|or|vs|versus)\b")
_CACHE_SIZE = 4096
_CACHED_LENGTH = 256  # longer texts are matched but not memoized
_SHORT = 2  # names this long or shorter match whole phrases or list members only


def _singular(word: str) -> str:
    """A simple plural made singular: platelets -> platelet, antibodies -> antibody."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _word_set(words: str) -> FrozenSet[str]:
    return frozenset(_singular(w) for w in words.split())


_MATCHING = read_resource("concept_matching.json")  # see its `_about`
_QUALIFIERS = _word_set(" ".join(_MATCHING["qualifiers"]))
_BLOCKERS = _word_set(" ".join(_MATCHING["blockers"]))


@dataclass(frozen=True, slots=True)
class Concept:
    """One row of concepts.tsv."""

    code: str  # LOINC:718-7
    name: str  # preferred name
    unit: str  # preferred UCUM unit
    analyte: Optional[str]  # molar_mass_<analyte> key of clinical_units.txt; None if none
    names: Tuple[str, ...]  # names, abbreviations and misspellings found in criteria


class _Ambiguous:
    """A phrase that names more than one concept."""


_AMBIGUOUS = _Ambiguous()
_Match = Union[Concept, _Ambiguous, None]


def read_concepts_text() -> str:
    """The content of the package's concepts.tsv."""
    return read_package_table(CONCEPTS_FILE)


def read_package_table(name: str) -> str:
    """The content of a data table in `criteria_nlp/resources` (`concepts.tsv`)."""
    try:
        return files("criteria_nlp.resources").joinpath(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(f"criteria_nlp/resources/{name}", None, f"cannot read: {exc}") from exc


@lru_cache(maxsize=1)
def _analyte_keys() -> FrozenSet[str]:
    """Every `molar_mass_<key>` name and alias that clinical_units.txt defines."""
    try:
        text = (files("criteria_nlp") / "units" / "clinical_units.txt").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(_DEFINITIONS_PATH, None, f"cannot read: {exc}") from exc
    lines = (line for line in text.splitlines() if not line.lstrip().startswith("#"))
    return frozenset(key for line in lines for key in _MOLAR_MASS_RE.findall(line))


def _fold(text: str) -> str:
    """Lower case without accents."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _words(text: str) -> List[str]:
    """The words of folded text, plurals made singular."""
    return [_singular(w) for w in _WORD_RE.findall(text)]


def _split_brackets(text: str) -> Tuple[str, List[str]]:
    """(text outside brackets, each bracketed part, innermost first)."""
    inside: List[str] = []
    if not _OPENING_RE.search(text):
        return text, inside

    def keep(m: "re.Match[str]") -> str:
        inside.append(m.group(1))
        return " "

    previous = None
    while previous != text:
        previous, text = text, _BRACKETED_RE.sub(keep, text)
    return text, inside


def read_versioned_tsv(text: str) -> Tuple[Optional[str], List[Tuple[int, List[str]]]]:
    """The `# version:` of a data table (the first such comment; None without one) and its
    rows as (line number, TAB-separated columns stripped); blank and `#` lines skipped."""
    version: Optional[str] = None
    rows: List[Tuple[int, List[str]]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if line.lstrip().startswith("#"):
            m = _VERSION_RE.match(line.strip())
            if m and version is None:
                version = m.group(1)
            continue
        rows.append((lineno, [c.strip() for c in line.split("\t")]))
    return version, rows


class ConceptTable:
    """The concepts of a concepts.tsv, indexed by name.

    text (str or None): a concepts.tsv content; None for the package's.
    Raises RuleFileError (a ValueError) naming the line of a bad row.
    """

    def __init__(self, text: Optional[str] = None) -> None:
        self.path = _PACKAGE_PATH if text is None else CONCEPTS_FILE
        self.text = read_concepts_text() if text is None else text
        self.version, rows = self._parse()
        self.concepts: Tuple[Concept, ...] = tuple(concept for concept, _ in rows)
        self._index: Dict[str, Concept] = {}
        self._build_index(rows)
        self._max_words = max(key.count(" ") + 1 for key in self._index)
        self._find_cached = lru_cache(maxsize=_CACHE_SIZE)(self._find)
        self._by_code = {concept.code: concept for concept in self.concepts}

    def by_code(self, code: str) -> Optional[Concept]:
        """The concept with this code (`LOINC:718-7`), or None."""
        return self._by_code.get(code)

    def __len__(self) -> int:
        return len(self.concepts)

    def __iter__(self) -> Iterator[Concept]:
        return iter(self.concepts)

    def find(self, text: str) -> Optional[Concept]:
        """The concept a subject phrase names; None when it names none or several."""
        if not isinstance(text, str):
            return None
        if len(text) > _CACHED_LENGTH:
            return self._find(text)
        return self._find_cached(text)

    # ------------------------------------------------------------------ loading

    def _parse(self) -> Tuple[str, List[Tuple[Concept, int]]]:
        rows: List[Tuple[Concept, int]] = []
        codes: Dict[str, int] = {}
        analytes = _analyte_keys()
        version, lines = read_versioned_tsv(self.text)
        for lineno, cols in lines:
            if len(cols) != 5:
                self._fail(lineno, "expected 5 TAB-separated columns (code, name, unit, analyte, names), "
                           f"got {len(cols)}")
            code, name, unit, analyte, names = cols
            if not code:
                self._fail(lineno, "empty code")
            if not _CODE_RE.fullmatch(code):
                self._fail(lineno, f"code {code!r} is not LOINC:<number>-<check digit>")
            if code in codes:
                self._fail(lineno, f"code {code} already on line {codes[code]}")
            codes[code] = lineno
            if not name or not unit:
                self._fail(lineno, "empty name or unit")
            if analyte != "-" and analyte not in analytes:
                self._fail(lineno, f"analyte {analyte!r} is not a molar_mass_<analyte> of "
                           f"{_DEFINITIONS_PATH} (`-` for none)")
            name_list = tuple(n.strip() for n in names.split("|") if n.strip())
            if not name_list:
                self._fail(lineno, "no names")
            rows.append((Concept(code, name, unit, None if analyte == "-" else analyte, name_list), lineno))
        if version is None:
            raise RuleFileError(self.path, None, "no `# version:` line")
        if not rows:
            raise RuleFileError(self.path, None, "no concepts")
        return version, rows

    def _build_index(self, rows: List[Tuple[Concept, int]]) -> None:
        """Each name under its words, and under its words without qualifiers."""
        lines: Dict[str, int] = {}
        for concept, lineno in rows:
            for name in concept.names:
                words = _words(_fold(name))
                if not words:
                    self._fail(lineno, f"name {name!r} has no letter or digit")
                kept = [w for w in words if w not in _QUALIFIERS]
                for key in {" ".join(words), " ".join(kept)} - {""}:
                    owner = self._index.setdefault(key, concept)
                    if owner is not concept:
                        self._fail(lineno, f"name {name!r} (read {key!r}) already names {owner.code} "
                                           f"on line {lines[key]}")
                    lines.setdefault(key, lineno)

    def _fail(self, lineno: int, reason: str) -> NoReturn:
        raise RuleFileError(self.path, lineno, reason)

    # ----------------------------------------------------------------- matching

    def _find(self, text: str) -> Optional[Concept]:
        outside, bracketed = _split_brackets(_fold(text))
        if bracketed and not _WORD_RE.search(outside):
            outside, bracketed = bracketed[0], bracketed[1:]
        match = self._match(outside)
        if match is _AMBIGUOUS:
            return None
        found = {match} if match is not None else set()
        # A bracketed part counts as a whole name only: an abbreviation, `(ANC)`.
        for part in bracketed:
            whole = self._whole(_words(part))
            if whole is not None:
                found.add(whole[1])
        return found.pop() if len(found) == 1 else None

    def _whole(self, words: List[str]) -> Optional[Tuple[str, Concept]]:
        """(key, concept) of the name the words form as a whole: as they are, without
        qualifiers, then also without `count`, then also without `total`."""
        key = " ".join(words)
        concept = self._index.get(key)
        if concept is not None:
            return key, concept
        kept = [w for w in words if w not in _QUALIFIERS]
        no_count = [w for w in kept if w != "count"]
        for candidate in (kept, no_count, [w for w in no_count if w != "total"]):
            key = " ".join(candidate)
            concept = self._index.get(key)
            if concept is not None:
                return key, concept
        return None

    def _match(self, segment: str) -> _Match:
        """The concept one bracket-free segment names, _AMBIGUOUS when several, else None."""
        all_words = _words(segment)
        whole = self._whole(all_words)
        if whole is not None:
            return whole[1]
        if _LIST_SEPARATOR_RE.search(segment):
            parts = [words for words in map(_words, _LIST_SEPARATOR_RE.split(segment)) if words]
        else:
            parts = [all_words]
        # Names inside the phrase, longest first; they may span list separators.
        flat: List[str] = []
        positions: List[range] = []  # of each list member in flat
        for words in parts:
            kept = [w for w in words if w not in _QUALIFIERS]
            positions.append(range(len(flat), len(flat) + len(kept)))
            flat += kept
        n = len(flat)
        covered = [False] * n
        found = set()
        for size in range(min(self._max_words, n), 0, -1):
            for start in range(n - size + 1):
                if any(covered[start:start + size]):
                    continue
                key = " ".join(flat[start:start + size])
                concept = self._index.get(key)
                if concept is not None and len(key) > _SHORT:
                    found.add(concept)
                    covered[start:start + size] = [True] * size
        # A list member no name covered may be a name as a whole (`Hb` of `Hb/Hct`); a short
        # one counts only next to a longer name (`K/cumm` is no potassium). A phrase that is no
        # list was tried whole above.
        short = set()
        for words, member in zip(parts, positions):
            if words is not all_words and member and not any(covered[j] for j in member):
                whole = self._whole(words)
                if whole is not None:
                    (short if len(whole[0]) <= _SHORT else found).add(whole[1])
                    covered[member.start:member.stop] = [True] * len(member)
        if not found or any(not covered[j] and flat[j] in _BLOCKERS for j in range(n)):
            return None
        found |= short
        return found.pop() if len(found) == 1 else _AMBIGUOUS


@lru_cache(maxsize=1)
def get_concepts() -> ConceptTable:
    """The package's concept table, built once."""
    return ConceptTable()


def find_concept(text: str) -> Optional[Concept]:
    """The concept a subject phrase names, from the package's table; None if none or several."""
    return get_concepts().find(text)


def concept_code(text: str, long_form: Optional[str] = None) -> Optional[str]:
    """The code of the concept a phrase names, or its long form does (`ANC`, `absolute
    neutrophil count`); None when neither names one."""
    concept = find_concept(text) or (find_concept(long_form) if long_form else None)
    return concept.code if concept is not None else None
