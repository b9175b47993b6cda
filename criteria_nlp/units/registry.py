"""Clinical units: recognise unit expressions in criteria text, give their UCUM code, convert.

Two data files of this package drive everything:

* ``unit_forms.tsv``: each surface form as written in eligibility text, its pint
  expression, its UCUM code and a coarse dimension (syntax in the file's header);
* ``clinical_units.txt``: pint definitions pint lacks (IU, mEq, cells, copies,
  titer, pack-years, the 1.73 m^2 standard body surface area, analyte molar masses)
  and the parameterised ``clinical`` context that turns mg/dL into umol/L.

Recognition needs no pint: the forms compile into one regular-expression alternation,
built on first use. pint is imported, and its registry built once, on the first call of
:func:`get_registry` or :func:`convert` (loading the pipeline does neither).
"""
from __future__ import annotations

import importlib.resources
import re
import threading
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

from criteria_nlp.errors import RuleFileError, UnitParseError

if TYPE_CHECKING:  # pragma: no cover - pint is imported where a conversion needs it
    import pint

__all__ = [
    "DIMENSIONS",
    "UnitForm",
    "UnitMatch",
    "UnitTable",
    "convert",
    "get_registry",
    "load_unit_forms",
    "match_unit",
    "parse_unit",
    "to_ucum",
]

FORMS_FILE = "unit_forms.tsv"
DEFINITIONS_FILE = "clinical_units.txt"

#: The coarse dimensions a :class:`UnitMatch` can carry, with what each one covers.
DIMENSIONS: Dict[str, str] = {
    "mass_concentration": "mass per volume: mg/dL, g/L, ng/mL, pg/mL, g% (g/dL)",
    "substance_concentration": "amount of substance per volume: mmol/L, umol/L, mEq/L",
    "osmolality": "osmoles per mass of water: mOsm/kg",
    "count_concentration": "counted things per volume: 10^9/L, /uL, cells/uL, cells/mL, copies/mL, CFU/mL",
    "log_count_concentration": "log10 of a count concentration: log10 copies/mL",
    "activity_concentration": "international or enzyme units per volume: IU/L, U/L, mIU/mL, uU/mL",
    "endotoxin_concentration": "endotoxin units per volume: EU/mL (LAL assay)",
    "ratio": "quotient of two amounts: mg/g and mg/mmol (albumin/creatinine), mmol/mol",
    "flow_rate": "volume per time: mL/min (creatinine clearance), L/min (oxygen), mL/h",
    "gfr": "volume per time per 1.73 m^2 body surface area: mL/min/1.73 m^2",
    "dose_rate": "amount per time, mass or units: mg/day, g/24 h, IU/day, units/day",
    "weight_dose_rate": "amount per body weight per time: mg/kg/day, ug/kg/min, mL/kg/h",
    "weight_dose": "amount per body weight: mg/kg, U/kg, mL/kg",
    "area_dose": "amount per body surface area: mg/m^2",
    "oxygen_uptake": "oxygen uptake per body weight: mL/kg/min (VO2), METs (1 MET = 3.5 mL/kg/min)",
    "energy": "energy: kcal",
    "energy_intake": "energy per time: kcal/day",
    "mass": "mass: kg, g, mg, ug, ng, pg, lb",
    "substance": "amount of substance: mmol, umol, mEq",
    "activity": "international or enzyme units: IU, mIU, units, MU (million units)",
    "bmi": "mass per area: kg/m^2",
    "area": "area: m^2, cm^2, mm^2",
    "length": "length: cm, mm, m, um (microns), km, inches, feet",
    "volume": "volume: L, mL, dL, uL, fL, cc, mm^3",
    "velocity": "speed: m/s, cm/s (gait speed, Doppler velocities)",
    "angle": "plane angle: degrees, ° (range of motion, Cobb angle)",
    "optical_power": "refractive power of the eye or a lens: diopters, D",
    "sound_level": "sound level or hearing threshold: dB, dBA, dB HL",
    "percent": "percent: %",
    "parts_per": "parts per million or billion: ppm, ppb (exhaled carbon monoxide)",
    "pressure": "pressure: mmHg, cmH2O, kPa",
    "rate": "events per time: bpm, breaths/min, /min, steps/day, events/h",
    "temperature": "temperature: degrees Celsius, Fahrenheit",
    "radiation_dose": "absorbed or effective dose: Gy, cGy, mSv",
    "tobacco_exposure": "pack-years",
    "tobacco_use": "cigarettes smoked per day or week",
    "alcohol_intake": "drinks per week or day, alcohol units per week",
    "time_per_period": "time spent per period: hours/week, minutes/day (exercise, device wear); "
    "not a time span, so is_time is False",
    "score": "score points",
    "percentile_rank": "a rank in a reference population: 95th percentile (growth charts)",
    "standard_score": "standard deviations from a reference mean: T-score ≤ -2.5 SD, height < -2 SD",
    "titer": "the word titer/titre (the 1:80 ratio itself is parsed elsewhere)",
    "half_lives": "time in multiples of a drug's elimination half-life: 5 half-lives",
    "time": "durations: years, months, weeks, days, hours, minutes, seconds; ms too, "
    "but ms (QTc, QRS) has is_time False: a measurement, not a time span",
}

_FLAGS = frozenset("inamxo")


@dataclass(frozen=True, slots=True)
class UnitMatch:
    """A unit expression found in text."""

    start: int  # char offsets in the text given to match_unit / parse_unit
    end: int
    text: str  # unit as written, e.g. "mg/dL", "×10^9/L", "g/24 h", "years"
    ucum: Optional[str]  # canonical UCUM code, None when unknown
    dimension: Optional[str]  # one of DIMENSIONS
    is_time: bool  # a time span unit: years, months, weeks, days, hours, minutes, seconds (not ms)


@dataclass(frozen=True, slots=True)
class UnitForm:
    """One row of unit_forms.tsv."""

    form: str
    pint: str
    ucum: str
    dimension: str
    flags: str
    line: int

    @property
    def is_time(self) -> bool:
        """A time span: dimension time, except measured times (flag m: ms of QTc)."""
        return self.dimension in ("time", "half_lives") and "m" not in self.flags


# --------------------------------------------------------------------------- data


def _package_files():
    return importlib.resources.files(__package__)


def load_unit_forms() -> Tuple[UnitForm, ...]:
    """Rows of unit_forms.tsv in file order; RuleFileError names the line of a bad row."""
    global _FORMS
    if _FORMS is None:
        _FORMS = _read_forms()
    return _FORMS


_FORMS: Optional[Tuple[UnitForm, ...]] = None


def read_forms_text() -> str:
    """The content of the package's unit_forms.tsv."""
    try:
        return _package_files().joinpath(FORMS_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(f"criteria_nlp/units/{FORMS_FILE}", None, f"cannot read: {exc}") from exc


def _read_forms() -> Tuple[UnitForm, ...]:
    return parse_unit_forms(read_forms_text(), f"criteria_nlp/units/{FORMS_FILE}")


def parse_unit_forms(text: str, path: str = FORMS_FILE) -> Tuple[UnitForm, ...]:
    """Rows of a unit_forms.tsv content in file order; RuleFileError names the line of a bad
    row (`path` says which file in the message)."""
    rows: List[UnitForm] = []
    seen: Dict[str, int] = {}
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) == 4:
            cols.append("-")
        if len(cols) != 5 or not all(c.strip() for c in cols):
            raise RuleFileError(path, lineno, f"expected 4 or 5 TAB-separated columns, got {len(cols)}")
        form, expr, ucum, dimension, flags = (c.strip() for c in cols)
        flags = "" if flags == "-" else flags
        if dimension not in DIMENSIONS:
            raise RuleFileError(path, lineno, f"unknown dimension {dimension!r}")
        if not set(flags) <= _FLAGS:
            raise RuleFileError(path, lineno, f"unknown flags {flags!r} (allowed: i, n, a, m, x, -)")
        if form in seen:
            raise RuleFileError(path, lineno, f"form {form!r} already on line {seen[form]}")
        seen[form] = lineno
        rows.append(UnitForm(form, expr, ucum, dimension, flags, lineno))
    if not rows:
        raise RuleFileError(path, None, "no unit forms")
    return tuple(rows)


# ------------------------------------------------------------------ regular expression

_SLASH = r"(?:\s*/\s*|\s+per\s+)"
_LEAD_SLASH = r"(?:/\s*|per\s+)"
_MICRO = r"(?:[µμu]|mc|mikro)"
_SUPERSCRIPT = {"2": "²", "3": "³"}
_SEP_BETWEEN_LETTERS = r"[\s\-‐]+"
# Flag x: not right after a lone 2, 3 or 4 written against the form: 2D, 3D and 4D are
# imaging dimensions, not diopters (a signed or decimal -3D, 1.5D, 13D still is).
_NOT_DIMENSIONAL = r"(?<!(?<![\d.,+\-])[234])"

# ×10^9/L, x 10^9 /L, 10^3/µL, ×10^3/mm^3, 10^9 cells/L: any exponent.
_SCI = (
    r"(?:[×xX*]\s*)?10\s*\^\s*(?P<exp>\d{1,2})\s*(?:(?i:cells?)\s*)?(?:/\s*|per\s+)"
    r"(?P<den>[Ll]|[µμu][Ll]|mc[Ll]|mm(?:\^3|3|³))(?!\w)"
)
_SCI_DEN = {"l": ("L", "L"), "ul": ("uL", "uL"), "mm3": ("mm3", "mm ** 3")}


def _form_regex(form: str) -> str:
    """The pattern of one surface form, with its generated variants (see unit_forms.tsv)."""
    out: List[str] = []
    i, n = 0, len(form)
    while i < n:
        ch = form[i]
        prev = form[i - 1] if i else ""
        nxt = form[i + 1] if i + 1 < n else ""
        if ch == "/":
            out.append(_LEAD_SLASH if i == 0 else _SLASH)
        elif ch == " ":
            out.append(_SEP_BETWEEN_LETTERS if prev.isalpha() and nxt.isalpha() else r"\s*")
        elif ch == "-" and prev.isalpha() and nxt.isalpha():
            out.append(r"[\s\-‐]?")
        elif ch == "µ":
            out.append(_MICRO)
        elif ch == "L" and form != "L":
            out.append("[Ll]")
        elif ch == "^" and nxt.isdigit():
            out.append(f"(?:\\^{nxt}|{nxt}{'|' + _SUPERSCRIPT[nxt] if nxt in _SUPERSCRIPT else ''})")
            i += 1
        elif ch in "²³":
            d = "2" if ch == "²" else "3"
            out.append(f"(?:\\^{d}|{d}|{ch})")
        elif ch == "°":
            # A space may separate ° from what follows it in the form (° C), never from
            # the text after the form: a bare ° ends right after the sign.
            out.append(r"[°º]\s?" if i + 1 < n else "[°º]")
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def _first_chars(form: str, ignore_case: bool) -> frozenset:
    """Characters a match of the form's pattern can begin with (plain case folds only)."""
    first = form[0]
    if first == "/":
        chars = {"/", "p"}
    elif first == "µ":
        chars = {"µ", "μ", "u", "m"}
    elif first == "L" and form != "L":
        chars = {"L", "l"}
    elif first == "°":
        chars = {"°", "º"}
    elif first in "²³":
        chars = {"^", "2" if first == "²" else "3", first}
    else:
        chars = {first}
    if ignore_case:
        chars |= {c.upper() for c in chars} | {c.lower() for c in chars}
    return frozenset(chars)


# A unit that starts with a letter or digit may not start inside a word.
_GUARD_WORD = r"(?!(?<=[^\W\d_])\w)"


class _Compiled:
    """The compiled alternations and what each named group stands for."""

    def __init__(self, forms: Tuple[UnitForm, ...]) -> None:
        sci_full = re.compile(_SCI)
        ordered = sorted(forms, key=lambda r: -len(r.form))  # stable: ties keep file order
        match_alts = [f"(?P<sci>{_SCI})"]
        alt_starts: List[frozenset] = [frozenset("×xX*1")]
        parse_alts = [f"(?P<sci>{_SCI})"]
        self.rows: Dict[str, UnitForm] = {}
        done = set()
        for k, row in enumerate(ordered):
            if sci_full.fullmatch(row.form):
                continue  # the general scientific pattern reads it
            body = _form_regex(row.form)
            if "i" in row.flags:
                body = f"(?i:{body})"
            if body in done:
                continue  # a variant of a longer-listed form already covers it
            done.add(body)
            name = f"u{k}"
            self.rows[name] = row
            tail = r"(?!\w)" if row.form[-1].isalnum() else ""
            guard = ""
            if "a" in row.flags:
                guard = r"(?<=\d)"
            elif "n" in row.flags:
                guard = r"(?:(?<=\d)|(?<=\d\s))"
            elif "o" in row.flags:
                guard = r"(?:(?<=\d(?:st|nd|rd|th)\s)|(?<=\d(?:st|nd|rd|th)))"
            if "x" in row.flags:
                guard += _NOT_DIMENSIONAL
            match_alts.append(f"(?P<{name}>{guard}{body}{tail})")
            alt_starts.append(_first_chars(row.form, "i" in row.flags))
            parse_alts.append(f"(?P<{name}>{body})")
        # The alternation cut by first character: a miss then costs a dict look-up and a
        # few alternatives instead of all of them. The whole alternation is compiled only
        # for a non-ASCII letter outside the table (a rare case fold), and the one that
        # reads a whole string as a unit (`parse_unit`) on its first use: of the three
        # compilations of every form, loading the pipeline pays one.
        self._match_alts, self._parse_alts = match_alts, parse_alts
        buckets: Dict[str, List[str]] = {}
        for alt, starts in zip(match_alts, alt_starts):
            for ch in starts:
                buckets.setdefault(ch, []).append(alt)
        self.by_first: Dict[str, "re.Pattern[str]"] = {
            ch: re.compile(_GUARD_WORD + "(?:" + "|".join(alts) + ")") for ch, alts in buckets.items()
        }
        # UCUM codes as the output writes them (`mm[Hg]`, `Cel`, `10*9/L`): patient data
        # (FHIR valueQuantity) comes in UCUM, which pint alone misreads (`10*9/L` is 90/L)
        self.ucum_pint: Dict[str, str] = {}
        for row in forms:
            if row.ucum:
                self.ucum_pint.setdefault(row.ucum, row.pint)
        self.sci_cache: Dict[Tuple[str, str], Tuple[str, str]] = {}

    @cached_property
    def match_re(self) -> "re.Pattern[str]":
        """Every form at a position (the alternation `by_first` cuts up)."""
        return re.compile(_GUARD_WORD + "(?:" + "|".join(self._match_alts) + ")")

    @cached_property
    def parse_re(self) -> "re.Pattern[str]":
        """Every form, without the guards on what stands around it."""
        return re.compile("(?:" + "|".join(self._parse_alts) + ")")

    def describe(self, m: "re.Match[str]") -> Tuple[Optional[str], Optional[str], bool]:
        name = m.lastgroup
        if name == "sci":
            ucum, _ = self.sci(m.group("exp"), m.group("den"))
            return ucum, "count_concentration", False
        row = self.rows[name]  # type: ignore[index]
        return row.ucum, row.dimension, row.is_time

    def sci(self, exp: str, den: str) -> Tuple[str, str]:
        """UCUM code and pint expression of 10^exp per den."""
        key = (exp, den)
        hit = self.sci_cache.get(key)
        if hit is None:
            d = den.lower().replace("μ", "u").replace("µ", "u").replace("mc", "u")
            d = d.replace("^", "").replace("³", "3")
            ucum_den, pint_den = _SCI_DEN[d]
            e = str(int(exp))
            hit = (f"10*{e}/{ucum_den}", f"1e{e} / {pint_den}")
            self.sci_cache[key] = hit
        return hit


_COMPILED: Optional[_Compiled] = None
_COMPILE_LOCK = threading.Lock()


def _compiled() -> _Compiled:
    global _COMPILED
    if _COMPILED is None:
        with _COMPILE_LOCK:
            if _COMPILED is None:
                _COMPILED = _Compiled(load_unit_forms())
    return _COMPILED


# ----------------------------------------------------------------------------- API


class UnitTable:
    """The unit forms one pipeline reads: the package's unit_forms.tsv, or the copy a saved
    pipeline carries (`nlp.to_disk` writes it with the quantity component).

    forms_text (str or None): a unit_forms.tsv content; None for the package's.
    """

    def __init__(self, forms_text: Optional[str] = None) -> None:
        self.text = forms_text if forms_text is not None else read_forms_text()
        self._compiled = _compiled() if forms_text is None else _Compiled(parse_unit_forms(self.text))

    def match(self, text: str, pos: int = 0) -> Optional[UnitMatch]:
        """As :func:`match_unit`, with this table's forms."""
        return _match(self._compiled, text, pos)


def match_unit(text: str, pos: int = 0) -> Optional[UnitMatch]:
    """Longest unit expression starting at text[pos] (after skipping at most one space); None if none.

    Offsets are into ``text``. A form never matches inside a word (``mg`` in ``mgmt``)
    nor when followed by a letter or digit (``d`` in ``dose``, ``m`` in ``month``);
    ``d`` must follow a number, ``y`` must be attached to one (``65y``).
    """
    return _match(_COMPILED if _COMPILED is not None else _compiled(), text, pos)


def _match(c: _Compiled, text: str, pos: int) -> Optional[UnitMatch]:
    if not isinstance(text, str) or not isinstance(pos, int) or pos < 0 or pos >= len(text):
        return None
    if text[pos].isspace():
        pos += 1
        if pos >= len(text):
            return None
    first = text[pos]
    pattern = c.by_first.get(first)
    if pattern is None:
        # Only a non-ASCII letter can reach a form through a case fold (K, the Kelvin sign).
        if first.isascii() or not first.isalpha():
            return None
        pattern = c.match_re
    m = pattern.match(text, pos)
    if m is None:
        return None
    ucum, dimension, is_time = c.describe(m)
    return UnitMatch(m.start(), m.end(), m.group(), ucum, dimension, is_time)


def parse_unit(unit_text: str) -> Optional[UnitMatch]:
    """The whole string (surrounding blanks aside) read as one unit; None if it is not one.

    Offsets are into ``unit_text``. The number-position rules of :func:`match_unit`
    do not apply: ``parse_unit("d")`` is days.
    """
    if not isinstance(unit_text, str):
        return None
    stripped = unit_text.strip()
    if not stripped or len(stripped) > 200:
        return None
    c = _COMPILED if _COMPILED is not None else _compiled()
    m = c.parse_re.fullmatch(stripped)
    if m is None:
        return None
    ucum, dimension, is_time = c.describe(m)
    start = unit_text.index(stripped)
    return UnitMatch(start, start + len(stripped), stripped, ucum, dimension, is_time)


def to_ucum(unit_text: str) -> Optional[str]:
    """Canonical UCUM code of a unit as written; None when it is not a known unit."""
    m = parse_unit(unit_text)
    return m.ucum if m is not None else None


# --------------------------------------------------------------------------- pint

_REGISTRY: Optional[pint.UnitRegistry] = None
_REGISTRY_LOCK = threading.RLock()
_PINT_CACHE: Dict[str, Tuple[float, pint.Unit]] = {}

# Words dropped from an analyte name before its molar mass is looked up.
_ANALYTE_NOISE = frozenset(
    "serum plasma blood whole total fasting urine urinary level levels concentration "
    "ionized ionised free direct indirect conjugated unconjugated".split()
)


def get_registry() -> pint.UnitRegistry:
    """The one shared pint registry: pint's defaults plus clinical_units.txt; built once.

    It is also made pint's application registry.
    """
    global _REGISTRY
    if _REGISTRY is None:
        with _REGISTRY_LOCK:
            if _REGISTRY is None:
                import pint  # 0.2 s: only for conversions, not to read units

                ureg = pint.UnitRegistry()
                resource = _package_files().joinpath(DEFINITIONS_FILE)
                try:
                    with importlib.resources.as_file(resource) as path:
                        ureg.load_definitions(str(path))
                except Exception as exc:  # pint raises several kinds of definition errors
                    raise RuleFileError(f"criteria_nlp/units/{DEFINITIONS_FILE}", None, str(exc)) from exc
                pint.set_application_registry(ureg)
                _REGISTRY = ureg
    return _REGISTRY


_UCUM_SCI_RE = re.compile(r"10\*(\d{1,2})/(L|uL|mm3)")
# HbA1c's two scales (clinical_units.txt), by the units they are written in
_HBA1C = frozenset({"hba1c", "a1c", "hb_a1c", "hemoglobin_a1c", "haemoglobin_a1c", "glycated_hemoglobin",
                    "glycated_haemoglobin", "glycosylated_hemoglobin", "glycohemoglobin"})
_HBA1C_UNITS = {"%": "hba1c_ngsp", "percent": "hba1c_ngsp", "mmol/mol": "hba1c_ifcc"}


def _pint_expression(unit_text: str) -> Optional[str]:
    """The pint expression of a known surface form or of a UCUM code the forms carry, or None."""
    c = _compiled()
    stripped = unit_text.strip() if isinstance(unit_text, str) else ""
    m = c.parse_re.fullmatch(stripped) if stripped and len(stripped) <= 200 else None
    if m is None:
        sci = _UCUM_SCI_RE.fullmatch(stripped)
        if sci:  # `10*9/L`, `10*3/uL`
            return c.sci(sci.group(1), sci.group(2))[1]
        return c.ucum_pint.get(stripped.replace("[IU]", "[iU]"))  # UCUM has both spellings
    if m.lastgroup == "sci":
        return c.sci(m.group("exp"), m.group("den"))[1]
    return c.rows[m.lastgroup].pint  # type: ignore[index]


def _pint_unit(unit_text: str) -> Tuple[float, pint.Unit]:
    """(factor, pint unit) of a unit as written; a pint expression is accepted as well."""
    hit = _PINT_CACHE.get(unit_text) if isinstance(unit_text, str) else None
    if hit is not None:
        return hit
    if not isinstance(unit_text, str) or not unit_text.strip():
        raise UnitParseError(str(unit_text), "empty or not a string")
    import pint

    ureg = get_registry()
    expr = _pint_expression(unit_text)
    source = expr if expr is not None else unit_text.strip()
    try:
        parsed = ureg.parse_expression(source)
    except Exception as exc:  # pint's parser raises many kinds of errors on bad text
        raise UnitParseError(unit_text, "not a known unit") from exc
    if isinstance(parsed, pint.Quantity):
        factor, unit = float(parsed.magnitude), parsed.units
    elif isinstance(parsed, pint.Unit):
        factor, unit = 1.0, parsed
    else:
        raise UnitParseError(unit_text, "a number, not a unit")
    if expr is None and unit == ureg.dimensionless:
        raise UnitParseError(unit_text, "a number, not a unit")
    hit = (factor, unit)
    if len(_PINT_CACHE) < 4096:
        _PINT_CACHE[unit_text] = hit
    return hit


def _analyte_key(analyte: str) -> str:
    words = re.findall(r"[a-z0-9]+", analyte.lower())
    kept = [w for w in words if w not in _ANALYTE_NOISE]
    return "_".join(kept or words)


def _analyte_params(analyte: Optional[str]) -> Tuple[object, float]:
    """(molar mass Quantity or 0, valence) of an analyte; 0 when unknown or not given."""
    if not analyte or not isinstance(analyte, str):
        return 0, 1.0
    ureg = get_registry()
    key = _analyte_key(analyte)
    if not key:
        return 0, 1.0
    mass_per_substance = ureg.Quantity(1, "g/mol").dimensionality
    try:
        mw = ureg.Quantity(1, f"molar_mass_{key}")
        if mw.dimensionality != mass_per_substance:
            return 0, 1.0
        mw = mw.to("g/mol")
    except Exception:  # undefined name
        return 0, 1.0
    try:
        valence = float(ureg.Quantity(1, f"valence_{key}").to("").magnitude)
    except Exception:  # no valence given: monovalent
        valence = 1.0
    return mw, valence


def convert(value: float, from_unit: str, to_unit: str, analyte: Optional[str] = None) -> float:
    """``value`` in ``from_unit`` expressed in ``to_unit``.

    Units are surface forms of unit_forms.tsv (``"µmol/L"``, ``"×10^9/L"``,
    ``"mL/min/1.73 m^2"``) or pint expressions. Mass to substance concentration
    (mg/dL to µmol/L) needs ``analyte``, whose molar mass clinical_units.txt gives;
    mEq to mmol and IU to U need none (valence 1 unless the analyte has one). HbA1c's
    % and mmol/mol convert by the IFCC-NGSP master equation. UCUM codes as the output
    writes them (`10*9/L`, `mm[Hg]`, `Cel`) are read too.
    Raises UnitParseError when a unit is unknown or the two cannot be converted.
    """
    if not all(isinstance(x, (str, type(None))) for x in (from_unit, to_unit, analyte)):
        return _convert_once(value, from_unit, to_unit, analyte)  # says what is wrong
    key = (from_unit, to_unit, analyte)
    line = _CONVERSIONS.get(key)
    if line is None:  # every conversion is affine: two points give it, once per unit pair
        offset = _convert_once(0.0, from_unit, to_unit, analyte)
        line = (_convert_once(1.0, from_unit, to_unit, analyte) - offset, offset)
        if len(_CONVERSIONS) < 4096:
            _CONVERSIONS[key] = line
    scale, offset = line
    return float(value) * scale + offset


_CONVERSIONS: Dict[Tuple[str, str, Optional[str]], Tuple[float, float]] = {}


def _convert_once(value: float, from_unit: str, to_unit: str, analyte: Optional[str]) -> float:
    """`convert` through pint (a molar-mass context costs about half a millisecond)."""
    import pint

    if analyte and _analyte_key(analyte) in _HBA1C and {from_unit.strip(), to_unit.strip()} <= _HBA1C_UNITS.keys():
        ureg = get_registry()  # `48 mmol/mol` is 6.54 %: the master equation, not a ratio
        quantity = ureg.Quantity(float(value), _HBA1C_UNITS[from_unit.strip()])
        return float(quantity.to(_HBA1C_UNITS[to_unit.strip()]).magnitude)
    f_from, u_from = _pint_unit(from_unit)
    f_to, u_to = _pint_unit(to_unit)
    ureg = get_registry()
    quantity = ureg.Quantity(float(value) * f_from, u_from)
    try:
        return float(quantity.to(u_to).magnitude) / f_to
    except pint.DimensionalityError:
        pass
    mw, valence = _analyte_params(analyte)
    try:
        with _REGISTRY_LOCK:  # enabling a context changes the shared registry's state
            with ureg.context("clinical", mw=mw, valence=valence):
                return float(quantity.to(u_to).magnitude) / f_to
    except (pint.DimensionalityError, ZeroDivisionError) as exc:
        if isinstance(exc, ZeroDivisionError):
            reason = (
                f"converting to {to_unit!r} needs the molar mass of the analyte"
                + (f"; none is known for {analyte!r}" if analyte else "; pass analyte=")
            )
        else:
            reason = f"{u_from:~} cannot be converted to {u_to:~}"
        raise UnitParseError(from_unit, reason) from exc
