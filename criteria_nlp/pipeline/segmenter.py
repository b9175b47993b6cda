"""Split an eligibility text into criteria items, each with its section and cohort.

The text is read line by line, once (linear time). Each line is one of:

- blank, or skipped: no letter or digit (`---`, a lone `*`), or a `skip_patterns` line
  (`... and 3 more (see full listing online)`);
- a section header (`Inclusion Criteria:`, `### Exclusion (23)`, `Key Inclusion Criteria`):
  sets the section of the items that follow; text after its colon is an item;
- a cohort header (`* For Systemic Lupus Erythematosus (SLE):`, `Cohort A:`): the items of
  its block carry the cohort; text after its colon is an item of that cohort;
- a markdown heading (`## Locations`) that is neither: not an item; below the heading that
  set the section it names a cohort, otherwise it ends the section;
- an item: a bullet (`*`, `-`, `•`, `·`, `o`, `▪`, `+` ...), a numbered item (`1.`, `1)`,
  `(1)`, `a.`, `a)`, `ii)`, `A.`, `1.2`), or a plain line. Its span leaves out the marker and
  the whitespace around it, and trailing whitespace and `\\r`;
- a continuation line, which extends the item above it (see below).

Continuation rule. A line without a list marker continues the item above it when all hold:
1. the line right above it (no blank, skipped or header line between) belongs to that item;
2. that item began with a list marker (or is the text after a header's colon);
3. the line is indented deeper than the item's marker, or it is indented exactly as much and
   it does not start with a capital letter and the line above does not end with ":".
A line indented deeper than the item's marker is read as a continuation before any header
test (`  -  Patients who do not meet the` / `     inclusion criteria.` is one item). A plain line
after a plain line is always a new item, so a file with one criterion per line (Chia) gives
one item per line; a wrapped `  -  text` / `     more text` item stays one item. On the
corpora: ClinicalTrials.gov's old layout wraps under the text (`  -  ` then 5 spaces), so
rule 3's first half joins those; some texts wrap at column 0 under `(1)` items, which the
second half joins; a column-0 line after a `  -  ` item (`Neonates:`, `For AD patients:`) is
a new line of its own.

Cohort blocks. A cohort header at indent `h` with marker style `s` covers the items after it
until a section header, another cohort header, or an item of its own level: a marked item
with style `s` at indent `h` or less (the next `*` after `* For SLE:` + `1. ...` items), any
item indented less than `h`, or a plain line at indent `h` or less. A plain cohort header
followed directly by a section header (`For community patients:` / `Inclusion Criteria:`)
covers the following sections too, until the next such header.

Example (NCT07193810):

    Inclusion Criteria

    * Aged 18-65 years ...
    * For Systemic Lupus Erythematosus (SLE):

    1. Diagnosed with SLE according to the 2019 EULAR/ACR classification criteria;
    * Females of childbearing potential must use ...

gives items "Aged 18-65 years ..." (inclusion, no cohort), "Diagnosed with SLE ..." (inclusion,
cohort "Systemic Lupus Erythematosus (SLE)"), "Females of ..." (inclusion, no cohort).

The header words live in `criteria_nlp/resources/sections.json`; `CriteriaSegmenter` carries
them in a saved pipeline.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Tuple, Union

import srsly
from spacy import util
from spacy.language import Language
from spacy.pipeline import Pipe
from spacy.tokens import Doc, Span

from ..doctext import CharSpans, doc_text
from ..errors import RuleFileError
from ..extensions import CRITERIA_KEY
from ..logic import CriterionLogic
from .batched import BatchedPipe

RULES_FILE = "sections.json"
LOGIC_FILE = "criterion_logic.json"
SECTIONS = ("inclusion", "exclusion")

__all__ = [
    "Item",
    "SegmenterRules",
    "segment",
    "default_rules",
    "load_rules",
    "CriteriaSegmenter",
    "RULES_FILE",
]


class Item(NamedTuple):
    """One criterion: `text[start:end]`, its section and its cohort.

    start (int): offset of the first character (after the list marker).
    end (int): offset after the last non-space character.
    section (Optional[str]): "inclusion", "exclusion" or None (before any header).
    cohort (Optional[str]): the sub-population of the block, e.g. "Systemic Sclerosis (SSc)".
    """

    start: int
    end: int
    section: Optional[str]
    cohort: Optional[str]


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------

_PHRASE_SEP = r"[\s\-\u2010-\u2015:/_]+"
_WORD_SEP = r"[ \t]+"
_LIST_KEYS = (
    "header_qualifiers",
    "header_stopwords",
    "cohort_prefixes",
    "cohort_labels",
    "cohort_stopwords",
    "skip_patterns",
)
_ALLOWED_KEYS = frozenset(("description", "version", "sections", "max_cohort_words") + _LIST_KEYS)
_SECTION_KEYS = frozenset(SECTIONS + ("none",))


def _norm_phrase(phrase: str) -> str:
    return " ".join(w for w in re.split(_PHRASE_SEP, phrase.strip().lower()) if w)


def _phrase_pattern(phrase: str) -> str:
    words = [w for w in re.split(_PHRASE_SEP, phrase.strip()) if w]
    return _PHRASE_SEP.join(re.escape(w) for w in words)


def _alternation(phrases: Iterable[str], sep: str = _PHRASE_SEP) -> str:
    uniq = sorted({_norm_phrase(p) for p in phrases if _norm_phrase(p)}, key=lambda p: (-len(p), p))
    return "|".join(sep.join(re.escape(w) for w in p.split(" ")) for p in uniq)


@dataclass(frozen=True)
class SegmenterRules:
    """The header rules of the segmenter, compiled from a `sections.json` dict.

    Build with `SegmenterRules.from_dict(data)`; `to_dict()` gives the data back.
    """

    data: Dict[str, Any]
    header_re: "re.Pattern[str]"
    phrase_section: Dict[str, Optional[str]]
    qualifiers: frozenset
    stopwords: frozenset
    for_re: "re.Pattern[str]"
    label_re: "re.Pattern[str]"
    cohort_stop_re: Optional["re.Pattern[str]"]
    cohort_start_re: "re.Pattern[str]"
    max_cohort_words: int
    skip_re: Optional["re.Pattern[str]"]

    @classmethod
    def from_dict(cls, data: Dict[str, Any], source: str = RULES_FILE) -> "SegmenterRules":
        """Check and compile rules; every problem is reported at once.

        data (Dict[str, Any]): the content of a `sections.json` file.
        source (str): where the rules come from, for the error message. Defaults to "sections.json".
        RETURNS (SegmenterRules): the compiled rules.
        RAISES (RuleFileError): unknown keys, wrong types, bad section names or regexes.
        """
        problems: List[str] = []
        if not isinstance(data, dict):
            raise RuleFileError(source, None, f"expected a JSON object, got {type(data).__name__}")
        unknown = sorted(set(data) - _ALLOWED_KEYS)
        if unknown:
            problems.append(f"unknown keys {unknown}; allowed: {sorted(_ALLOWED_KEYS)}")
        sections = data.get("sections")
        if not isinstance(sections, dict) or not sections:
            problems.append("'sections' must be an object of lists of header phrases")
            sections = {}
        for key, phrases in sections.items():
            if key not in _SECTION_KEYS:
                problems.append(f"sections: unknown section {key!r}; allowed: {sorted(_SECTION_KEYS)}")
            if not isinstance(phrases, list) or not all(isinstance(p, str) and p.strip() for p in phrases):
                problems.append(f"sections.{key}: must be a list of non-empty strings")
        for key in _LIST_KEYS:
            value = data.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                problems.append(f"{key}: must be a list of non-empty strings")
        max_words = data.get("max_cohort_words", 8)
        if not isinstance(max_words, int) or isinstance(max_words, bool) or max_words < 1:
            problems.append("max_cohort_words: must be a positive integer")
        skip_re = None
        if not problems:
            patterns = data.get("skip_patterns", [])
            for i, pattern in enumerate(patterns):
                try:
                    re.compile(pattern)
                except re.error as e:
                    problems.append(f"skip_patterns[{i}] {pattern!r}: {e}")
            if patterns and not problems:
                skip_re = re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
        if not data.get("cohort_prefixes") and not problems:
            problems.append("cohort_prefixes: must not be empty")
        if problems:
            raise RuleFileError(source, None, "; ".join(problems))

        phrase_section: Dict[str, Optional[str]] = {}
        for key, phrases in sections.items():
            for phrase in phrases:
                phrase_section[_norm_phrase(phrase)] = None if key == "none" else key
        header_re = re.compile(
            r"^\s*"
            r"(?P<pre>(?:[\w'\u2019.\-]{1,40}\s+){0,3}?)"
            rf"(?P<kw>{_alternation(phrase_section)})(?!\w)"
            r"(?:\s+for\s+(?P<for>[^:;\n]{1,120}?)|\s*\((?P<paren>[^()\n]{0,80})\))?"
            r"(?:(?:\s*,\s*|\s+)(?:includes?|will\s+be|are\s+as\s+follows|are|as\s+follows))?"
            r"(?:\s*(?::|-{1,2}|[\u2013\u2014])\s*(?P<rest>.*)|\s*\.?\s*)$",
            re.IGNORECASE,
        )
        prefixes = _alternation(data["cohort_prefixes"], _WORD_SEP)
        for_re = re.compile(
            rf"^\s*(?:{prefixes})\s+"
            r"(?P<label>[^\W\d_][^:\n]{0,119}?)\s*:\s*(?P<rest>.*)$",
            re.IGNORECASE,
        )
        labels = _alternation(data.get("cohort_labels", []) or ["cohort"], _WORD_SEP)
        label_re = re.compile(
            rf"^\s*(?P<label>(?i:{labels})[ \t]+(?:\d{{1,3}}[a-z]?|[IVX]{{1,5}}|[A-Z])\b"
            r"(?:\s*\([^()\n]{0,60}\))?)\s*:\s*(?P<rest>.*)$"
        )
        stops = _alternation(data.get("cohort_stopwords", []))
        return cls(
            data=copy.deepcopy(data),
            header_re=header_re,
            phrase_section=phrase_section,
            qualifiers=frozenset(w.lower() for w in data.get("header_qualifiers", [])),
            stopwords=frozenset(w.lower() for w in data.get("header_stopwords", [])),
            for_re=for_re,
            label_re=label_re,
            cohort_stop_re=re.compile(rf"(?:{stops})(?!\w)", re.IGNORECASE) if stops else None,
            cohort_start_re=re.compile(rf"\s*(?:{prefixes}|{labels})(?!\w)", re.IGNORECASE),
            max_cohort_words=max_words,
            skip_re=skip_re,
        )

    def to_dict(self) -> Dict[str, Any]:
        """RETURNS (Dict[str, Any]): a copy of the rules data, as in `sections.json`."""
        return copy.deepcopy(self.data)


def load_rules(path: Optional[Union[str, Path]] = None) -> SegmenterRules:
    """Read and compile a rules file.

    path (str, Path or None): a `sections.json`; None reads the one shipped in the package.
        Defaults to None.
    RETURNS (SegmenterRules): the compiled rules.
    RAISES (RuleFileError): the file does not parse or breaks the format.
    """
    if path is None:
        source = f"criteria_nlp/resources/{RULES_FILE}"
        text = resources.files("criteria_nlp").joinpath("resources", RULES_FILE).read_text(encoding="utf8")
    else:
        source = str(path)
        text = Path(path).read_text(encoding="utf8")
    try:
        data = srsly.json_loads(text)
    except ValueError as e:
        raise RuleFileError(source, None, f"not valid JSON ({e})") from None
    return SegmenterRules.from_dict(data, source=source)


@lru_cache(maxsize=1)
def default_rules() -> SegmenterRules:
    """RETURNS (SegmenterRules): the package's rules, read once."""
    return load_rules()


# --------------------------------------------------------------------------------------------
# Lines
# --------------------------------------------------------------------------------------------

_EOL = re.compile(r"\r\n|\r|\n")
_HEADING = re.compile(r"(#{1,6})(?:\s+|$)")
# bullets: - * + • · ▪ ◦ ‣ ⁃ ■ □ ● ○ ► ➢ ➤ ✓ ✔ o – —, followed by spaces ("- item") ...
_BULLET_WS = re.compile(
    r"([-*+\u2022\u00b7\u25aa\u25e6\u2023\u2043\u25a0\u25a1\u25cf\u25cb\u25ba\u27a2\u27a4\u2713\u2714o\u2013\u2014])"
    r"(?:\s+|$)"
)
# ... or, for dash-like bullets, directly by a letter ("-children", "•Patients")
_BULLET_TIGHT = re.compile(
    r"([-\u2022\u00b7\u25aa\u25e6\u2023\u2043\u25a0\u25cf\u25cb\u25ba\u27a2\u27a4\u2013])(?=[^\W\d_])"
)
_ENUM = re.compile(
    r"""(?:
        \((?P<pn>\d{1,3})\)
      | \((?P<pr>[ivx]{1,5}|[IVX]{1,5})\)
      | \((?P<pa>[a-zA-Z])\)
      | (?P<n>\d{1,3}(?:\.\d{1,3}){0,3})(?P<np>[.)])
      | (?P<sn>\d{1,3}(?:\.\d{1,3}){1,3})(?=\s+[A-Z])
      | (?P<r>[ivx]{1,5}|[IVX]{1,5})(?P<rp>[.)])
      | (?P<a>[a-zA-Z])(?P<ap>[.)])
    )(?:\s+|$|(?<=\d\.)(?=[^\W\d_]))""",
    re.VERBOSE,
)
_MAX_MARKERS = 2


_LEAD = re.compile(r"[\s\ufeff\u200b-\u200d\u2060]*")  # indentation, byte-order mark, zero-width spaces


def _indent_width(ws: str) -> int:
    """Columns of leading whitespace; a tab goes to the next multiple of 4, zero-width marks count 0."""
    col = 0
    for ch in ws:
        if ch == "\t":
            col = (col // 4 + 1) * 4
        elif ch.isspace():
            col += 1
    return col


def _lower_at(s: str, i: int) -> bool:
    return i < len(s) and s[i].islower()


def _marker(content: str, pos: int) -> Tuple[Optional[str], int]:
    """The style of the list marker at `content[pos:]` and the offset after it and its spaces."""
    m = _BULLET_WS.match(content, pos) or _BULLET_TIGHT.match(content, pos)
    if m:
        return "b" + m.group(1), m.end()
    m = _ENUM.match(content, pos)
    if not m:
        return None, pos
    g = m.groupdict()
    if g["pn"]:
        style = "(n)"
    elif g["pr"]:
        style = "(r)"
    elif g["pa"]:
        style = "(a)" if g["pa"].islower() else "(A)"
    elif g["n"]:
        style = "n" + g["np"]
    elif g["sn"]:
        style = "n"
    elif g["r"]:
        letter = g["r"]
        # "I. pylori"-like abbreviations are not markers.
        if len(letter) == 1 and letter.isupper() and g["rp"] == "." and _lower_at(content, m.end()):
            return None, pos
        style = ("r" if letter.islower() else "R") + g["rp"]
    else:
        letter = g["a"]
        # "H. pylori", "S. aureus", "E. coli": a genus initial, not a marker.
        if letter.isupper() and g["ap"] == "." and _lower_at(content, m.end()):
            return None, pos
        style = ("a" if letter.islower() else "A") + g["ap"]
    return style, m.end()


_ALNUM = re.compile(r"[^\W_]")  # a letter or digit (str.isalnum)


def _has_alnum(s: str) -> bool:
    return _ALNUM.search(s) is not None


def _mask(s: str) -> str:
    """Emphasis marks to spaces: offsets stay, `**For SLE:**` reads as `  For SLE:  `."""
    return s.replace("*", " ").replace("_", " ")


class _Block(NamedTuple):
    label: str
    style: Optional[str]  # marker style; None for a plain line; "#" for a markdown heading
    indent: int


class _Open:
    __slots__ = ("start", "end", "section", "cohort", "indent", "continuable")

    def __init__(self, start: int, end: int, section: Optional[str], cohort: Optional[str],
                 indent: int, continuable: bool) -> None:
        self.start = start
        self.end = end
        self.section = section
        self.cohort = cohort
        self.indent = indent
        self.continuable = continuable


class _Header(NamedTuple):
    kind: str  # "section" | "cohort"
    section: Optional[str]
    cohort: Optional[str]
    rest: int  # offset of the text after the colon in the masked body, -1 when none


def _strip_bounds(text: str, start: int, end: int) -> Tuple[int, int]:
    """`(start, end)` narrowed so that `text[start:end]` is stripped (str.strip semantics)."""
    seg = text[start:end]
    lead = len(seg) - len(seg.lstrip())
    return start + lead, start + len(seg.rstrip())


def _cohort_ok(label: str, rules: SegmenterRules) -> bool:
    if len(label.split()) > rules.max_cohort_words:
        return False
    return rules.cohort_stop_re is None or rules.cohort_stop_re.match(label) is None


def _section_header(body: str, rules: SegmenterRules) -> Optional[_Header]:
    m = rules.header_re.match(body)
    if not m:
        return None
    cohort_words: List[str] = []
    for word in m.group("pre").split():
        low = word.lower()
        if low in rules.qualifiers:
            continue
        if low in rules.stopwords or not (word[0].isupper() or word[0].isdigit()):
            return None
        cohort_words.append(word)
    section = rules.phrase_section.get(_norm_phrase(m.group("kw")))
    cohort = None
    if m.group("for"):
        label = m.group("for").strip()
        fm = rules.for_re.match(f"for {label}:")
        cohort = fm.group("label").strip() if fm else label
    elif cohort_words:
        cohort = " ".join(cohort_words)
    rest = m.start("rest") if m.group("rest") is not None else -1
    return _Header("section", section, cohort or None, rest)


def _cohort_header(body: str, rules: SegmenterRules, heading: bool) -> Optional[_Header]:
    if rules.cohort_start_re.match(body) is None:
        return None
    candidates = [body]
    if heading and not body.rstrip().endswith(":"):
        candidates.append(body.rstrip() + ":")  # "#### For SLE" needs no colon
    for cand in candidates:
        for regex in (rules.label_re, rules.for_re):
            m = regex.match(cand)
            if m and _cohort_ok(m.group("label"), rules):
                rest = m.start("rest") if m.start("rest") < len(body) else -1
                return _Header("cohort", None, m.group("label").strip(), rest)
    return None


def _block_ends(block: _Block, style: Optional[str], indent: int) -> bool:
    """Whether a new item with marker `style` at `indent` leaves the cohort block."""
    if block.style == "#":
        return False
    if indent < block.indent:
        return True
    if style is None:
        return indent <= block.indent
    return block.style is not None and style == block.style and indent <= block.indent


# --------------------------------------------------------------------------------------------
# segment()
# --------------------------------------------------------------------------------------------


def segment(text: str, rules: Optional[SegmenterRules] = None) -> List[Item]:
    """Split an eligibility text into criteria items.

    text (str): a whole eligibility section (ClinicalTrials.gov text, markdown, one criterion
        per line, ...), already normalized.
    rules (SegmenterRules or None): header rules; None uses the package's `sections.json`.
        Defaults to None.
    RETURNS (List[Item]): the items in document order, not overlapping, with
        `text[item.start:item.end]` stripped and non-empty.

    EXAMPLE:
        >>> segment("Exclusion Criteria:\\n  -  Pregnant women\\n  -  Known allergy to FDG")
        [Item(start=25, end=39, section='exclusion', cohort=None),
         Item(start=45, end=65, section='exclusion', cohort=None)]
    """
    if not text:
        return []
    rules = rules or default_rules()
    items: List[Item] = []

    section: Optional[str] = None
    section_level: Optional[int] = None  # markdown level of the heading that set the section
    section_cohort: Optional[str] = None  # "Inclusion Criteria for controls:"
    outer: Optional[str] = None  # "For community patients:" right before a section header
    block: Optional[_Block] = None
    block_fresh = False  # the block has no item yet
    cur: Optional[_Open] = None
    prev_item_line = False  # the previous line belongs to `cur`
    prev_colon = False  # the previous line ends with ":"

    def flush() -> None:
        if cur is not None:
            items.append(Item(cur.start, cur.end, cur.section, cur.cohort))

    def current_cohort() -> Optional[str]:
        if block is not None:
            return block.label
        return section_cohort or outer

    pos = 0
    n = len(text)
    eols = _EOL.finditer(text)
    while pos <= n:
        m = next(eols, None)
        line_end = m.start() if m else n
        next_pos = m.end() if m else n + 1
        line = text[pos:line_end]
        lead = _LEAD.match(line).end()
        content = line[lead:].rstrip()
        if not content:
            prev_item_line = False
            pos = next_pos
            continue
        indent = _indent_width(line[:lead])
        content_end = pos + lead + len(content)
        prev_colon_here = content.endswith(":")

        # markdown heading, or list marker(s)
        heading_level: Optional[int] = None
        style: Optional[str] = None
        body_off = 0
        hm = _HEADING.match(content)
        if hm:
            heading_level = len(hm.group(1))
            body_off = hm.end()
        else:
            for _ in range(_MAX_MARKERS):
                st, after = _marker(content, body_off)
                if st is None:
                    break
                style = style or st
                body_off = after
        body = content[body_off:]
        if not _has_alnum(body) or (rules.skip_re is not None and rules.skip_re.match(body.strip())):
            prev_item_line = False
            pos = next_pos
            continue
        masked = _mask(body)
        may_continue = (
            cur is not None and prev_item_line and style is None and heading_level is None and cur.continuable
        )

        # a line indented under an item continues it, even "     inclusion criteria."
        header = None
        if not (may_continue and indent > cur.indent):
            header = _section_header(masked, rules)
            if header is None:
                header = _cohort_header(masked, rules, heading_level is not None)
        if header is not None:
            if header.kind == "section":
                if block is not None and block_fresh and block.style is None:
                    outer = block.label  # "For community patients :" then "Inclusion Criteria:"
                block, block_fresh = None, False
                section = header.section
                section_cohort = header.cohort
                section_level = heading_level
            else:
                block = _Block(header.cohort or "", style if heading_level is None else "#", indent)
                block_fresh = True
            prev_item_line = False
            if header.rest >= 0:
                rest_off = _marker(body, header.rest)[1]  # "Inclusion Criteria: (1) age ..."
                if _has_alnum(body[rest_off:]):
                    start, end = _strip_bounds(text, pos + lead + body_off + rest_off, content_end)
                    flush()
                    cur = _Open(start, end, section, current_cohort(), indent, True)
                    block_fresh = False
                    prev_item_line = True
            prev_colon = prev_colon_here
            pos = next_pos
            continue

        if heading_level is not None:
            if section_level is not None and heading_level > section_level:
                block = _Block(masked.strip(), "#", indent)  # "#### Patients with SLE" under "### Inclusion"
                block_fresh = True
            else:  # "## Locations": the criteria are over
                section = section_level = section_cohort = outer = None
                block, block_fresh = None, False
            prev_item_line = False
            prev_colon = prev_colon_here
            pos = next_pos
            continue

        start = pos + lead + body_off
        if may_continue and (
            indent > cur.indent or (indent == cur.indent and not body[0].isupper() and not prev_colon)
        ):
            cur.end = content_end
        else:
            flush()
            if block is not None and _block_ends(block, style, indent):
                block, block_fresh = None, False
            cur = _Open(start, content_end, section, current_cohort(), indent, style is not None)
            block_fresh = False
        prev_item_line = True
        prev_colon = prev_colon_here
        pos = next_pos

    flush()
    return items


# --------------------------------------------------------------------------------------------
# spaCy component
# --------------------------------------------------------------------------------------------


class CriteriaSegmenter(BatchedPipe, Pipe):
    """Put the criteria items of a Doc in a span group, with section and cohort.

    Each item of `segment(doc.text)` becomes a Span in `doc.spans[spans_key]`, in document
    order, with `span._.criterion_section` and `span._.criterion_cohort` set. The header rules
    (`sections.json`) are saved with the pipeline.

    nlp (Language): the pipeline.
    name (str): the component name, e.g. "criteria_segmenter".
    spans_key (str): the span group to write. Defaults to "criteria".
    overwrite (bool): replace the spans already in the group; False adds to them. Defaults to True.
    """

    def __init__(self, nlp: Language, name: str = "criteria_segmenter", *,
                 spans_key: str = CRITERIA_KEY, overwrite: bool = True) -> None:
        self.nlp = nlp
        self.name = name
        self.spans_key = spans_key
        self.overwrite = overwrite
        self.logic = CriterionLogic()  # `at least one of the following:` and its items
        self._rules = default_rules()

    @property
    def rules(self) -> Dict[str, Any]:
        """RETURNS (Dict[str, Any]): a copy of the header rules, as in `sections.json`."""
        return self._rules.to_dict()

    def set_rules(self, rules: Dict[str, Any]) -> None:
        """Check, compile and use new header rules.

        rules (Dict[str, Any]): content of a `sections.json` file.
        RAISES (RuleFileError): the rules break the format.
        """
        self._rules = SegmenterRules.from_dict(rules, source=f"{self.name} rules")

    def initialize(self, get_examples: Optional[Callable[[], Iterable[Any]]] = None,
                   nlp: Optional[Language] = None, *, rules: Optional[Dict[str, Any]] = None) -> None:
        """Replace the header rules, e.g. from `[initialize.components.criteria_segmenter.rules]`
        with `@readers = "srsly.read_json.v1"`.

        get_examples (Callable or None): not used.
        nlp (Language or None): not used.
        rules (Dict[str, Any] or None): new rules; None keeps the current ones. Defaults to None.
        """
        if rules is not None:
            self.set_rules(rules)

    def __call__(self, doc: Doc) -> Doc:
        """Segment a Doc.

        doc (Doc): the Doc.
        RETURNS (Doc): the same Doc, with its criteria in `doc.spans[spans_key]`.
        """
        self.set_annotations(doc, segment(doc_text(doc), self._rules))
        return doc

    def set_annotations(self, doc: Doc, items: List[Item]) -> None:
        """Write the items to the Doc as spans.

        doc (Doc): the Doc.
        items (List[Item]): items of `segment(doc.text)`.
        """
        spans: List[Span] = []
        sections: List[Optional[str]] = []
        char_spans = CharSpans(doc)
        for item in items:
            span = char_spans.expand(item.start, item.end)
            if span is None:
                continue
            ext = span._  # a new accessor on every `span._`: one per span
            if item.section is not None:  # None is every extension's default: not written
                ext.criterion_section = item.section
            if item.cohort is not None:
                ext.criterion_cohort = item.cohort
            spans.append(span)
            sections.append(item.section)
        if not self.overwrite and self.spans_key in doc.spans:
            spans = sorted(list(doc.spans[self.spans_key]) + spans, key=lambda s: (s.start_char, s.end_char))
            sections = [s._.criterion_section for s in spans]
        logic = self.logic(doc_text(doc), [(s.start_char, s.end_char, section) for s, section in zip(spans, sections)])
        for span, found in zip(spans, logic):
            if found.require is None and found.phrase is None and found.parent is None:
                continue  # most criteria: no list of alternatives, in none
            ext = span._
            ext.criterion_require = found.require
            ext.criterion_logic_phrase = found.phrase
            ext.criterion_parent = found.parent
        doc.spans[self.spans_key] = spans

    def to_bytes(self, *, exclude: Iterable[str] = tuple()) -> bytes:
        """RETURNS (bytes): the header rules, serialized."""
        serializers = {"rules": lambda: srsly.json_dumps(self.rules),
                       "logic": lambda: srsly.json_dumps(self.logic.data)}
        return util.to_bytes(serializers, exclude)

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = tuple()) -> "CriteriaSegmenter":
        """Load the header rules from bytes.

        bytes_data (bytes): data of `to_bytes`.
        RETURNS (CriteriaSegmenter): self.
        """
        deserializers = {"rules": lambda b: self.set_rules(srsly.json_loads(b)),
                         "logic": lambda b: setattr(self, "logic", CriterionLogic(srsly.json_loads(b)))}
        util.from_bytes(bytes_data, deserializers, exclude)
        return self

    def to_disk(self, path: Union[str, Path], *, exclude: Iterable[str] = tuple()) -> None:
        """Save the header rules to `path/sections.json` and the criterion-logic phrases to
        `path/criterion_logic.json`.

        path (str or Path): a directory, created if missing.
        """
        path = util.ensure_path(path)
        serializers = {RULES_FILE: lambda p: srsly.write_json(p, self.rules),
                       LOGIC_FILE: lambda p: srsly.write_json(p, self.logic.data)}
        util.to_disk(path, serializers, exclude)

    def from_disk(self, path: Union[str, Path], *, exclude: Iterable[str] = tuple()) -> "CriteriaSegmenter":
        """Load the header rules from `path/sections.json` and the criterion-logic phrases
        from `path/criterion_logic.json` (a pipeline saved without it keeps the package's).

        path (str or Path): a directory written by `to_disk`.
        RETURNS (CriteriaSegmenter): self.
        """
        path = util.ensure_path(path)
        deserializers = {RULES_FILE: lambda p: self.set_rules(_read_rules(p)),
                         LOGIC_FILE: lambda p: p.exists() and setattr(self, "logic", CriterionLogic(srsly.read_json(p)))}
        util.from_disk(path, deserializers, exclude)
        return self


def _read_rules(path: Path) -> Dict[str, Any]:
    try:
        return srsly.read_json(path)
    except ValueError as e:
        raise RuleFileError(str(path), None, f"not valid JSON ({e})") from None
