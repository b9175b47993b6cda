r"""Clean eligibility text for matching, with a map from every clean offset back to the input.

Registries and their exports write one comparator many ways (`>=`, `\>`, `&gt;=`, LaTeX
`$\geq 7$`) and lose superscripts (`x 109/L`). The pipeline runs on one canonical spelling;
every span it finds maps back to exact offsets of the text the user gave. From NCT07177911:

    >>> norm = normalize("serum creatinine  $>2.5$  mg/dL or  $221 \\mu\\text{mol/L}$")
    >>> norm.text
    'serum creatinine  >2.5  mg/dL or  221 µmol/L'
    >>> norm.to_source(34, 44)
    (37, 56)
    >>> norm.source[37:56]
    '221 \\mu\\text{mol/L}'

Normalization is a list of non-overlapping replacements of the input, found in one
left-to-right pass of one compiled regular expression (a second one inside `$...$`). The
tables (comparator spellings, LaTeX commands, entity names, space and dash characters) are in
`resources/normalization.json`.
"""
from __future__ import annotations

import html
import json
import re
from array import array
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Callable, Dict, List, Optional, Tuple

from .errors import RuleFileError

__all__ = ["Normalized", "normalize"]

RESOURCE = "normalization.json"

Edit = Tuple[int, int, str]  # source start, source end (exclusive), replacement

# horizontal white space, and the control characters that become a space
_H = r"(?:[^\S\r\n]|[\x00-\x08\x0e-\x1b\x7f-\x9f])"
_TYPECODE = "i"
_TYPECODE_MAX = 2**31 - 2


@dataclass(frozen=True, slots=True)
class Normalized:
    """A normalized copy of a text, with the offset map back to the text as given.

    For each normalized character the map holds the start and end of the source segment
    it came from: untouched characters map 1:1, characters of a replacement map to the
    whole replaced segment, and deleted source text maps to nothing.

    source (str): The input as given.
    text (str): The normalized text.
    """

    source: str
    text: str
    _starts: Optional[array] = field(default=None, repr=False, compare=False)
    _ends: Optional[array] = field(default=None, repr=False, compare=False)

    @property
    def changed(self) -> bool:
        """True when normalization replaced or deleted anything.

        RETURNS (bool): Whether `text` differs from `source`.
        """
        return self._starts is not None

    def _check(self, i: int) -> None:
        if not 0 <= i <= len(self.text):
            raise IndexError(f"normalized offset {i} outside 0..{len(self.text)}")

    def to_source_start(self, i: int) -> int:
        """Map the start of a normalized span to the source.

        i (int): Offset into `text`, 0 <= i <= len(text).
        RETURNS (int): Where the source segment of normalized character `i` starts;
            len(source) for i == len(text).
        """
        self._check(i)
        if self._starts is None:
            return i
        return self._starts[i] if i < len(self.text) else len(self.source)

    def to_source_end(self, i: int) -> int:
        """Map the (exclusive) end of a normalized span to the source.

        i (int): Offset into `text`, 0 <= i <= len(text).
        RETURNS (int): Where the source segment of normalized character `i - 1` ends;
            0 for i == 0.
        """
        self._check(i)
        if self._ends is None:
            return i
        return self._ends[i - 1] if i > 0 else 0

    def to_source(self, start: int, end: int) -> Tuple[int, int]:
        """Map a normalized span [start, end) to a source span [s, e).

        An empty span maps to the empty span where normalized character `start` begins.

        start (int): Start offset into `text`.
        end (int): End offset into `text`, exclusive, start <= end.
        RETURNS (Tuple[int, int]): Source offsets with 0 <= s <= e <= len(source).
        """
        if start > end:
            raise ValueError(f"span start {start} after end {end}")
        s = self.to_source_start(start)
        if start == end:
            return s, s
        return s, self.to_source_end(end)


def normalize(text: str, normalizer: Optional["Normalizer"] = None) -> Normalized:
    r"""Normalize comparators, LaTeX math, markdown escapes, HTML entities, superscripts,
    scientific units, spaces and dashes, keeping a map back to the offsets of `text`.

    `platelet count \<50×10⁹/L` yields `platelet count <50×10^9/L`.

    text (str): The text as given. Any str is accepted.
    normalizer (Normalizer or None): the rules to apply (`Normalizer(table)`, as a saved
        pipeline's tokenizer holds them); None for the package's `normalization.json`.
    RETURNS (Normalized): The normalized text and its offset map; the text itself and no
        map when nothing changes.
    """
    if not isinstance(text, str):
        raise TypeError(f"normalize() needs a str, not {type(text).__name__}")
    edits = (normalizer or _normalizer()).edits(text)
    if not edits:
        return Normalized(text, text)
    return _build(text, edits)


def _apply(source: str, edits: List[Edit]) -> str:
    """The text with sorted, non-overlapping edits applied."""
    parts = []
    pos = 0
    for s, e, r in edits:
        parts.append(source[pos:s])
        parts.append(r)
        pos = e
    parts.append(source[pos:])
    return "".join(parts)


def _compose(first: List[Edit], second: List[Edit], middle: str) -> List[Edit]:
    """Edits of the source that do what `first` then `second` (edits of `middle`) do.

    An edit of `second` that touches the output of an edit of `first` grows to cover all of
    it, and edits of `first` inside an edit of `second` are absorbed into it. So with `first`
    decoding `&gt;` and `second` turning `>=` into `≥`, `&gt;=` becomes one edit to `≥`.
    """
    out_start, out_end, shift_before = [], [], []  # where the output of each `first` edit is
    shift = 0
    for s, e, r in first:
        out_start.append(s + shift)
        out_end.append(s + shift + len(r))
        shift_before.append(shift)
        shift += len(r) - (e - s)
    shift_before.append(shift)
    n = len(first)

    def inside(p: int) -> Tuple[int, bool]:
        """The first edit whose output does not end before middle char p; whether p is in it."""
        k = bisect_right(out_end, p)
        return k, k < n and out_start[k] <= p

    groups: List[list] = []  # [middle start, middle end, replacement so far, end of last edit]
    for bs, be, r in second:
        k, hit = inside(bs)
        xs = out_start[k] if hit else bs
        k, hit = inside(be - 1)
        xe = out_end[k] if hit else be
        if groups and xs < groups[-1][1]:  # both grew into one output of `first`
            group = groups[-1]
            group[1] = max(group[1], xe)
            group[2] += middle[group[3] : bs] + r
            group[3] = be
        else:
            groups.append([xs, xe, middle[xs:bs] + r, be])

    out: List[Edit] = []
    i = 0
    for xs, xe, built, last in groups:
        k, hit = inside(xs)
        start = first[k][0] if hit else xs - shift_before[k]
        k, hit = inside(xe - 1)
        end = first[k][1] if hit else xe - shift_before[k]
        while i < n and first[i][1] <= start:
            out.append(first[i])
            i += 1
        while i < n and first[i][0] < end:  # absorbed
            i += 1
        out.append((start, end, built + middle[last:xe]))
    out.extend(first[i:])
    return out


# --- building the text and the map -----------------------------------------------------

_IDENTITY = array(_TYPECODE)


def _identity(n: int) -> array:
    """An array holding 0, 1, ... at least up to n, shared between calls and grown once."""
    global _IDENTITY
    if len(_IDENTITY) <= n:
        _IDENTITY = array(_TYPECODE, range(max(n + 1, 2 * len(_IDENTITY))))
    return _IDENTITY


def _build(source: str, edits: List[Edit]) -> Normalized:
    """Apply sorted, non-overlapping edits and record the source segment of each new char."""
    n = len(source)
    size = n + sum(len(r) - (e - s) for s, e, r in edits)
    if n > _TYPECODE_MAX:  # pragma: no cover - a 2 GB string
        typecode, ident = "q", array("q", range(n + 1))
    else:
        typecode, ident = _TYPECODE, _identity(n)
    blank = bytes(size * ident.itemsize)
    starts = array(typecode, blank)
    ends = array(typecode, blank)
    parts: List[str] = []
    pos = j = 0  # next source offset, next normalized offset
    for s, e, r in edits:
        assert pos <= s < e, (pos, s, e)
        if s > pos:
            parts.append(source[pos:s])
            k = j + s - pos
            starts[j:k] = ident[pos:s]
            ends[j:k] = ident[pos + 1 : s + 1]
            j = k
        for _ in r:
            starts[j] = s
            ends[j] = e
            j += 1
        parts.append(r)
        pos = e
    if pos < n:
        parts.append(source[pos:])
        starts[j:] = ident[pos:n]
        ends[j:] = ident[pos + 1 : n + 1]
    return Normalized(source, "".join(parts), starts, ends)


# --- rules -----------------------------------------------------------------------------


def read_normalization_table() -> dict:
    """The package's `normalization.json`, parsed."""
    path = resources.files("criteria_nlp") / "resources" / RESOURCE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise RuleFileError(str(path), err.lineno, err.msg) from err


@lru_cache(maxsize=1)
def _normalizer() -> "Normalizer":
    """The package's rules, compiled once on first use."""
    return Normalizer(read_normalization_table(), source=f"criteria_nlp/resources/{RESOURCE}")


def _alternation(items, suffix: str = "") -> str:
    """A non-capturing alternation of literal strings, longest first."""
    return "(?:" + "|".join(re.escape(x) + suffix for x in sorted(items, key=len, reverse=True)) + ")"


def _char_class(chars) -> str:
    """A character class of the given chars, consecutive code points written as ranges."""
    codes = sorted({ord(c) for c in chars})
    parts = []
    i = 0
    while i < len(codes):
        j = i
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        first, last = re.escape(chr(codes[i])), re.escape(chr(codes[j]))
        parts.append(first if i == j else f"{first}-{last}" if j > i + 1 else first + last)
        i = j + 1
    return "[" + "".join(parts) + "]"


def _forms(spec: Dict[str, List[str]]) -> str:
    """Pattern matching any written form of one comparator (entities are decoded before)."""
    alts = [r"\\?" + re.escape(c) for c in spec["chars"]]  # `\<`, and `\＜` alike
    alts += [re.escape("\\" + name) + "(?![A-Za-z])" for name in spec["latex"]]
    alts += [re.escape(e) for e in spec["escapes"]]
    alts.sort(key=len, reverse=True)
    return "(?:" + "|".join(alts) + ")"


class Normalizer:
    """The rules of a `normalization.json` table, compiled: one regex outside LaTeX math, one
    inside, and a handler per rule.

    table (dict): the table's content.
    source (str): where it came from, for the error on a bad table.
    RAISES RuleFileError: a table that does not compile, naming `source`.
    """

    def __init__(self, table: dict, source: str = RESOURCE) -> None:
        self.table = table
        try:
            self._compile(table)
        except (KeyError, TypeError, ValueError, AttributeError, re.error) as err:
            raise RuleFileError(source, None, f"{type(err).__name__}: {err}") from err

    def _compile(self, table: dict) -> None:
        cmp = table["comparators"]
        self.fold = self._fold_table(table)
        ge, le, gt, lt, eq = (_forms(cmp[k]) for k in ("≥", "≤", ">", "<", "="))
        or_ = rf"{_H}*(?i:or){_H}*"
        to = rf"(?:{_H}+(?i:to)(?={_H}))?"
        self.const: Dict[str, str] = {
            "cmp_ge": "≥", "cmp_le": "≤", "cmp_gt": ">", "cmp_lt": "<", "cmp_eq": "=", "uln": "×",
        }
        # Arrows (`<=>`, `==>`, `<==`) are left alone. The guards see every form of `=`, `<`,
        # `>`, so that a second pass finds nothing new (`>=＝` -> `≥=`, not `≥` twice).
        comparator_chars = {c for spec in cmp.values() for c in spec["chars"]}
        before = "(?<!" + _char_class(comparator_chars | set("!-")) + ")"
        after = f"(?!{eq}|{gt}|{lt}|{ge}|{le})"
        slash = r"(?:\\?/)"  # `>/=`, and `>\/=` once unescaped
        comparators = [
            rf"(?P<cmp_ge>{ge}(?:{eq}{after})?"
            rf"|{gt}{_H}?(?:{slash}{_H}?)?{eq}{after}|{gt}{or_}{eq}{after}{to}"
            rf"|{before}{eq}{slash}?{gt}{after})",
            rf"(?P<cmp_le>{le}(?:{eq}{after})?"
            rf"|{lt}{_H}?(?:{slash}{_H}?)?{eq}{after}|{lt}{or_}{eq}{after}{to}"
            rf"|{before}{eq}{slash}?{lt}{after}(?!-))",
            rf"(?P<cmp_gt>{gt})",
            rf"(?P<cmp_lt>{lt})",
            rf"(?P<cmp_eq>{eq})",
        ]
        # 2.5 x 10^9/L, x 109/L (lost superscript), 10E9/l, \times 10^{9}/L
        letters = [s for s in table["science_signs"] if s.isascii() and s.isalpha()]
        others = [s for s in table["science_signs"] if s not in letters]
        sign = "|".join(
            [r"\\" + _alternation(table["science_latex_signs"]) + "(?![A-Za-z])"]
            + [r"\\" + re.escape(s) for s in others if s.isascii()]
            + [r"(?<![A-Za-z])" + _alternation(letters), _alternation(others)]
        )
        unit = _alternation(table["science_units"], "(?![A-Za-z0-9])")
        superscripts = "".join(table["superscripts"])
        sup = _char_class(superscripts)
        tail = rf"{_H}*/{_H}*{unit}"
        science = (
            rf"(?P<sci>(?:(?P<sci_sign>{sign})(?P<sci_sp1>{_H}*)|(?<![0-9.,]))10"
            rf"(?P<sci_exp>{_H}*\\?\^{_H}*(?:\{{{_H}*(?P<sci_n1>[+-]?\d{{1,2}}){_H}*\}}"
            rf"|(?P<sci_n2>[+-]?\d{{1,2}})(?!\d))"
            rf"|[eE](?P<sci_n3>[+-]?\d{{1,2}})(?!\d)"
            rf"|(?P<sci_n4>⁻?{sup}{{1,2}})(?!{sup})"
            rf"|(?(sci_sign){_H}?(?P<sci_n5>12|9|6|3)(?={tail})|(?!)))"
            rf"(?(sci_sign)|(?={tail}))"
            rf"(?:(?P<sci_sp2>{_H}*)/(?P<sci_sp3>{_H}*)(?:(?P<sci_l>l)(?![A-Za-z0-9])|(?={unit})))?)"
        )
        words = "|".join(
            r"\s+".join(re.escape(w) for w in phrase.split())
            for phrase in sorted(table["reference_words"], key=len, reverse=True)
        )
        digit = rf"[\d{superscripts}]"
        reference = rf"(?P<uln>(?:(?<={digit})|(?<={digit}{_H}))(?:\\\*|[xX*])(?={_H}*(?i:{words})))"
        escape = r"(?P<esc>\\" + _char_class(table["markdown_escapes"]) + ")"
        self.latex = dict(table["latex_symbols"])
        latex = r"(?P<ltx>\\" + _alternation(self.latex, "(?![A-Za-z])") + ")"
        superscript = rf"(?P<sup>⁻?{sup}+)"
        char = "(?P<chr>" + _char_class(set(map(chr, self.fold)) - comparator_chars)[:-1] + r"\ud800-\udfff])"
        # `\–` -> `-`, not `\-` (which a second pass would read as an escape)
        escapable = set(table["markdown_escapes"])
        escaped = {chr(c) for c, value in self.fold.items() if value[:1] in escapable}
        escaped.update(superscripts, "⁻")
        backslash = r"(?P<bs>\\(?=" + _char_class(escaped - comparator_chars) + "))"
        base = comparators + [science, reference, escape, latex, backslash, superscript, char]
        noop = r"(?P<noop>\\\\|\\\$)"

        # `$...$` on one line: with a command, digit or comparator and no space inside the
        # dollars (so `$500 or $600` stays), or with a command and any spacing (`$ \geq 7 $`)
        math = (
            r"(?P<math>(?P<math_open>\$\$?)(?![\s$])(?=[^$\r\n]*?[\\0-9<>=≤≥])"
            r"(?P<math_body>[^$\r\n]{1,200}?)(?<![\s\\])(?P=math_open)(?![\d$]))"
            r"|(?P<mathp>(?P<mathp_open>\$\$?)(?![$])(?=[^$\r\n]*?\\[A-Za-z])"
            r"(?P<mathp_body>[^$\r\n]{1,200}?)(?<!\\)(?P=mathp_open)(?![\d$]))"
        )
        self.prefixes = dict(table["latex_unit_prefixes"])
        self.spaces = dict(table["latex_spaces"])
        brace = r"\{(?P<%s>[^{}]*)\}"
        in_math = [
            rf"(?P<m_text>\\{_alternation(table['latex_text_commands'])}(?![A-Za-z]){_H}*"
            + brace % "m_text_body" + ")",
            rf"(?P<m_frac>\\[dt]?frac{_H}*" + brace % "m_frac_a" + _H + "*" + brace % "m_frac_b" + ")",
            rf"(?P<m_deg>\^{_H}*(?:\{{{_H}*\\circ{_H}*\}}|\\circ(?![A-Za-z])))",
            rf"(?P<m_sup>\^{_H}*" + brace % "m_sup_body" + ")",
            rf"(?P<m_sub>_{_H}*" + brace % "m_sub_body" + ")",
            rf"(?P<m_prefix>\\{_alternation(self.prefixes)}(?![A-Za-z]){_H}+(?=[A-Za-z]))",
            rf"(?P<m_drop>\\{_alternation(table['latex_dropped'])}(?![A-Za-z])\.?)",
            r"(?P<m_space>" + "|".join(
                re.escape(s) + ("(?![A-Za-z])" if s[-1].isalpha() else "")
                for s in sorted(self.spaces, key=len, reverse=True)
            ) + ")",
        ]
        # Every rule starts with one of these characters: a search for them skips plain text
        # at C speed, and the rules are tried only there (trying them at every position of
        # 800 KB takes ~1 s).
        starts = set("\\$1^_⁻" + superscripts)
        starts.update(comparator_chars, table["science_signs"], (s[0] for s in self.spaces))
        starts.update(chr(c) for c in self.fold)
        self.start_re = re.compile(_char_class(starts)[:-1] + r"\ud800-\udfff]")
        self.top_re = re.compile("|".join([noop, math] + base))
        self.math_re = re.compile("|".join([noop] + in_math + base))
        # first stage: HTML entities decoded, invisible characters dropped
        self.entity_re = re.compile(
            r"&(?:amp;)*(?:#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|[A-Za-z][A-Za-z0-9]{1,31});"
        )
        # then characters written as their code point (`37<U+2103>`, as R writes what it
        # cannot encode); a table saved before this rule has none
        codepoint = table.get("codepoint_escape")
        self.codepoint_re = re.compile(codepoint) if codepoint else None
        self.invisible_re = re.compile(_char_class(table["zero_width"]) + "+")
        self.invisible = str.maketrans(dict.fromkeys(table["zero_width"], ""))
        self.sup_table = str.maketrans({**table["superscripts"], "⁻": "-"})
        self.handlers: Dict[str, Callable] = {
            "noop": self._noop,
            "math": self._math,
            "mathp": self._math,
            "cmp_ge": self._const,
            "cmp_le": self._const,
            "cmp_gt": self._const,
            "cmp_lt": self._const,
            "cmp_eq": self._const,
            "uln": self._const,
            "sci": self._science,
            "esc": self._escape,
            "ltx": self._latex,
            "bs": self._drop,
            "sup": self._superscript,
            "chr": self._char,
            "m_text": self._text,
            "m_frac": self._frac,
            "m_deg": self._degree,
            "m_sup": self._braced_superscript,
            "m_sub": self._braced_subscript,
            "m_prefix": self._prefix,
            "m_drop": self._drop,
            "m_space": self._space,
        }

    @staticmethod
    def _fold_table(table: dict) -> Dict[int, str]:
        """Single characters and what they become (comparators and superscript digits aside)."""
        fold: Dict[int, str] = {}
        fw = table["fullwidth"]
        for code in range(ord(fw["first"]), ord(fw["last"]) + 1):
            if chr(code) not in fw["except"]:
                fold[code] = chr(code - 0xFEE0)
        for code in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]:
            fold[code] = " "
        singles = {"spaces": " ", "zero_width": "", "dashes": "-", "tildes": "~", "micro": "µ"}
        for key, value in singles.items():
            for c in table[key]:
                fold[ord(c)] = value
        for key in ("superscript_signs", "subscripts", "compatibility"):
            for c, value in table[key].items():
                fold[ord(c)] = value
        return fold

    # --- scanning --------------------------------------------------------------------

    def edits(self, text: str) -> List[Edit]:
        """The replacements that normalize `text`, sorted and non-overlapping.

        HTML entities and invisible characters go first, so that the other rules read
        `&gt;=` as `>=`, and `>=` with a zero-width space inside too; then code-point escapes
        (`<U+2266>` is `≦`, which the rules read as `≤`); the lists of edits are then
        composed into one.
        """
        first: List[Edit] = []
        if "&" in text:
            for m in self.entity_re.finditer(text):
                self._entity(m, text, first)
        if self.invisible_re.search(text) is not None:
            first.extend((*m.span(), "") for m in self.invisible_re.finditer(text))
            first.sort()
        middle = _apply(text, first) if first else text
        if self.codepoint_re is not None:
            decoded = self._codepoints(middle)
            if decoded:
                first = _compose(first, decoded, middle) if first else decoded
                middle = _apply(text, first)
        second: List[Edit] = []
        self._scan(middle, 0, len(middle), self.top_re, second)
        if not first:
            return second
        if not second:
            return first
        return _compose(first, second, middle)

    def _scan(self, text: str, start: int, end: int, regex: "re.Pattern[str]", out: List[Edit]) -> None:
        """Apply the rules of `regex` to text[start:end], left to right, without overlaps."""
        handlers = self.handlers
        search = self.start_re.search
        match = regex.match
        pos = start
        while True:
            hit = search(text, pos, end)
            if hit is None:
                return
            m = match(text, hit.start(), end)
            if m is None:
                pos = hit.start() + 1
            else:
                handlers[m.lastgroup](m, text, out)
                pos = m.end()

    # --- handlers: each appends edits in source order -------------------------------

    def _noop(self, m, text, out) -> None:
        pass

    def _const(self, m, text, out) -> None:
        value = self.const[m.lastgroup]
        if m.group() != value:
            out.append((m.start(), m.end(), value))

    def _escape(self, m, text, out) -> None:
        out.append((m.start(), m.end(), m.group()[1]))

    def _latex(self, m, text, out) -> None:
        out.append((m.start(), m.end(), self.latex[m.group()[1:]]))

    def _char(self, m, text, out) -> None:
        c = m.group()
        value = self.fold.get(ord(c), "\ufffd")  # only lone surrogates are not in the table
        out.append((m.start(), m.end(), value))

    def _superscript(self, m, text, out) -> None:
        start = m.start()
        value = m.group().translate(self.sup_table)
        if start == 0 or text[start - 1] != "^":
            value = "^" + value
        out.append((start, m.end(), value))

    def _codepoints(self, text: str) -> List[Edit]:
        """`<U+2103>` -> `℃`: each escape of a code point (the rule's first group, in hex)
        that names a character; not one that would start another escape, an entity, a
        markdown escape or LaTeX math (`<`, `&`, `\\`, `$`), nor a surrogate."""
        out: List[Edit] = []
        for m in self.codepoint_re.finditer(text):
            code = int(m.group(1), 16)
            if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                continue
            char = chr(code)
            if char not in "<&\\$":
                out.append((m.start(), m.end(), char.translate(self.invisible)))
        return out

    def _entity(self, m, text, out) -> None:
        raw = decoded = m.group()
        for _ in range(8):  # `&amp;gt;` is `&gt;` escaped once more
            again = html.unescape(decoded)
            if again == decoded:
                break
            decoded = again
        if "\\" in decoded or "$" in decoded:  # would start an escape or LaTeX math
            return
        decoded = decoded.translate(self.invisible)
        if decoded != raw:
            out.append((m.start(), m.end(), decoded))

    def _science(self, m, text, out) -> None:
        def put(group: str, value: str) -> None:
            s, e = m.span(group)
            if s < e and text[s:e] != value:
                out.append((s, e, value))

        if m.group("sci_sign") is not None:
            put("sci_sign", "×")
            put("sci_sp1", "")
        n = next(m.group(g) for g in ("sci_n1", "sci_n2", "sci_n3", "sci_n4", "sci_n5") if m.group(g))
        put("sci_exp", "^" + n.translate(self.sup_table).lstrip("+"))
        put("sci_sp2", "")
        put("sci_sp3", "")
        put("sci_l", "L")

    def _math(self, m, text, out) -> None:
        name = m.lastgroup
        out.append((*m.span(name + "_open"), ""))
        self._scan(text, *m.span(name + "_body"), self.math_re, out)
        out.append((m.end(name + "_body"), m.end(), ""))

    def _scan_wrapped(self, text, out, lead: int, body: int, body_end: int, trail: int, opening: str) -> None:
        r"""Scan a braced body, replacing [lead, body) by `opening` and deleting [body_end, trail).

        The wrapper is merged into the first and last characters of the body, so a span over
        the whole content maps back with its braces: `µmol/L` -> `\mu\text{mol/L}`.
        """
        if body == body_end:
            if lead < trail:
                out.append((lead, trail, opening))
            return
        mark = len(out)
        self._scan(text, body, body_end, self.math_re, out)
        if lead < body:
            if len(out) > mark and out[mark][0] == body:
                _, e, r = out[mark]
                out[mark] = (lead, e, opening + r)
            else:
                out.insert(mark, (lead, body + 1, opening + text[body]))
        if body_end < trail:
            if len(out) > mark and out[-1][1] == body_end:
                s, _, r = out[-1]
                out[-1] = (s, trail, r)
            else:
                out.append((body_end - 1, trail, text[body_end - 1]))

    def _text(self, m, text, out) -> None:
        self._scan_wrapped(text, out, m.start(), *m.span("m_text_body"), m.end(), "")

    def _braced_superscript(self, m, text, out) -> None:
        self._scan_wrapped(text, out, m.start(), *m.span("m_sup_body"), m.end(), "^")

    def _braced_subscript(self, m, text, out) -> None:
        self._scan_wrapped(text, out, m.start(), *m.span("m_sub_body"), m.end(), "")

    def _frac(self, m, text, out) -> None:
        a_s, a_e = m.span("m_frac_a")
        b_s, b_e = m.span("m_frac_b")
        self._scan_wrapped(text, out, m.start(), a_s, a_e, a_e, "")
        out.append((a_e, b_s, "/"))
        self._scan_wrapped(text, out, b_s, b_s, b_e, m.end(), "")

    def _degree(self, m, text, out) -> None:
        out.append((m.start(), m.end(), "°"))

    def _prefix(self, m, text, out) -> None:
        out.append((m.start(), m.end(), self.prefixes[m.group().rstrip()[1:]]))

    def _drop(self, m, text, out) -> None:
        out.append((m.start(), m.end(), ""))

    def _space(self, m, text, out) -> None:
        out.append((m.start(), m.end(), self.spaces[m.group()]))
