"""Tests of criteria_nlp.normalize: canonical spellings and offsets that map back to the input."""
from __future__ import annotations

import doctest
from html.entities import html5
import json
import pickle
import string
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

import criteria_nlp.normalize as normalize_module
from criteria_nlp.normalize import Normalized, normalize

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEEDS = SHARED / "seeds"
CORPORA = SHARED / "corpora"

NO_DEADLINE = settings(deadline=None, max_examples=200)


def source_of(norm: Normalized, normalized: str, occurrence: int = 0) -> str:
    """The source text behind the `occurrence`-th match of `normalized` in norm.text."""
    start = -1
    for _ in range(occurrence + 1):
        start = norm.text.index(normalized, start + 1)
    s, e = norm.to_source(start, start + len(normalized))
    return norm.source[s:e]


def check_map(norm: Normalized) -> None:
    """Every normalized char maps to a non-empty source segment, in order, inside the source."""
    n, size = len(norm.text), len(norm.source)
    previous = (0, 0)
    for i in range(n):
        s, e = norm.to_source(i, i + 1)
        assert 0 <= s < e <= size
        assert s >= previous[0] and e >= previous[1]
        previous = (s, e)
        c = norm.text[i]
        if c.isascii() and c.isalnum() and e - s == 1 and norm.source[s].isascii():
            # an ASCII letter or digit from one ASCII char is that char (`10e9/l` -> `10^9/L`)
            assert norm.source[s].lower() == c.lower()
    if n:
        assert norm.to_source(0, n) == (norm.to_source_start(0), norm.to_source_end(n))


# --- real criteria ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "source,expected",
    [
        # NCT07177911 (LaTeX math of a registry export)
        (r"SLEDAI-2000 score  $\geq 7$  with at least one BILAG A",
         "SLEDAI-2000 score  ≥ 7  with at least one BILAG A"),
        (r"positive antinuclear antibody (ANA)  $\geq 1:80$  at screening",
         "positive antinuclear antibody (ANA)  ≥ 1:80  at screening"),
        (r"urinary protein  $>6$  g/24 h, or serum creatinine  $>2.5$  mg/dL or  $221 \mu\text{mol/L}$ ,",
         "urinary protein  >6  g/24 h, or serum creatinine  >2.5  mg/dL or  221 µmol/L ,"),
        (r"IgA deficiency (serum IgA level  $<10$  mg/dL).", "IgA deficiency (serum IgA level  <10  mg/dL)."),
        # NCT06980805, NCT07193810 (markdown escapes, superscripts)
        (r"Participants with a CLASI-A score of ≥8 and \<10 are eligible",
         "Participants with a CLASI-A score of ≥8 and <10 are eligible"),
        (r"hemoglobin \<85 g/L, white blood cell count \<2.5×10⁹/L, platelet count \<50×10⁹/L.",
         "hemoglobin <85 g/L, white blood cell count <2.5×10^9/L, platelet count <50×10^9/L."),
        (r"Liver function: AST/ALT \>2× upper limit of normal (ULN)",
         "Liver function: AST/ALT >2× upper limit of normal (ULN)"),
        (r"serum creatinine \>2.5 mg/dL or 221 μmol/L", "serum creatinine >2.5 mg/dL or 221 µmol/L"),
        # Chia, ctgov-raw
        ("Neutrophil count: ≥ 1.5 x 109/L ", "Neutrophil count: ≥ 1.5 ×10^9/L "),
        ("Hemoglobin >= 9g/dL, Platelets>=100 x 109/L", "Hemoglobin ≥ 9g/dL, Platelets≥100 ×10^9/L"),
        ("Hb &gt;= 9 g/dL", "Hb ≥ 9 g/dL"),
        ("eGFR ≥ 60 mL/min/1.73 m²", "eGFR ≥ 60 mL/min/1.73 m^2"),
        ("platelet count > 140 x103/uL", "platelet count > 140 ×10^3/uL"),
        ("Age＜18 years, or age＞80 years.", "Age<18 years, or age>80 years."),
        ("Age ˂ 35 years", "Age < 35 years"),
        ("body mass index (BMI) of 17.1～25.8", "body mass index (BMI) of 17.1~25.8"),
        ("Age > or = 18 years old", "Age ≥ 18 years old"),
        ("Gleason <or=6 & PSA <or=10", "Gleason ≤6 & PSA ≤10"),
        ("white blood cells (WBC) is less than 3000/㎕", "white blood cells (WBC) is less than 3000/µL"),
        ("axillary temperature ≥ 38 ℃ )", "axillary temperature ≥ 38 °C )"),
        ("With skin type Ⅲ or Ⅳ", "With skin type III or IV"),  # roman numeral characters
    ],
)
def test_normalize_real_criteria(source, expected):
    norm = normalize(source)
    assert norm.text == expected
    assert norm.changed
    check_map(norm)


@pytest.mark.parametrize(
    "source,normalized,expected",
    [
        (r"SLEDAI-2000 score  $\geq 7$  with", "≥ 7", r"\geq 7"),
        (r"SLEDAI-2000 score  $\geq 7$  with", "score  ≥ 7  with", r"score  $\geq 7$  with"),
        (r"antibody (ANA)  $\geq 1:80$  at", "1:80", "1:80"),
        (r"or  $221 \mu\text{mol/L}$ , or", "221 µmol/L", r"221 \mu\text{mol/L}"),
        (r"or  $221 \mu\text{mol/L}$ , or", "µmol/L", r"\mu\text{mol/L}"),
        (r"CLASI-A score of ≥8 and \<10", "<10", r"\<10"),
        (r"platelet count \<50×10⁹/L.", "<50×10^9/L", r"\<50×10⁹/L"),
        (r"AST/ALT \>2× upper limit", ">2×", r"\>2×"),
        ("platelets ≥ 100 x 109/L", "100 ×10^9/L", "100 x 109/L"),
        ("platelets ≥ 100 x 109/L", "^9", "9"),
        ("Hb &gt;= 9 g/dL", "≥ 9 g/dL", "&gt;= 9 g/dL"),
        ("eGFR ≥ 60 mL/min/1.73 m²", "m^2", "m²"),
        ("Age > or = to 65 years", "≥ 65", "> or = to 65"),
    ],
)
def test_normalize_maps_span_back(source, normalized, expected):
    assert source_of(normalize(source), normalized) == expected


# --- one rule at a time ----------------------------------------------------------------


@pytest.mark.parametrize(
    "source,expected",
    [
        (">= 5", "≥ 5"), ("=> 5", "≥ 5"), ("≧ 5", "≥ 5"), ("⩾ 5", "≥ 5"), ("&gt;= 5", "≥ 5"),
        (r"\geq 5", "≥ 5"), (r"\ge 5", "≥ 5"), (r"\geqslant 5", "≥ 5"), ("≥= 5", "≥ 5"),
        (r"\>= 5", "≥ 5"), ("&ge; 5", "≥ 5"), ("&#8805; 5", "≥ 5"), ("&#x2265; 5", "≥ 5"),
        (">/= 5", "≥ 5"), ("=/> 5", "≥ 5"), (r">\/= 5", "≥ 5"), ("> = 5", "≥ 5"), ("＞＝5", "≥5"), ("&amp;gt;= 5", "≥ 5"),
        ("<= 5", "≤ 5"), ("=< 5", "≤ 5"), ("≦ 5", "≤ 5"), ("⩽ 5", "≤ 5"), ("&lt;= 5", "≤ 5"),
        (r"\leq 5", "≤ 5"), (r"\le 5", "≤ 5"), ("&le; 5", "≤ 5"), ("</= 5", "≤ 5"), ("< or= 28 days", "≤ 28 days"),
        ("＞5", ">5"), ("&gt;5", ">5"), (r"\gt 5", "> 5"), (r"\>5", ">5"), ("﹥5", ">5"),
        ("＜5", "<5"), ("&lt;5", "<5"), (r"\lt 5", "< 5"), (r"\<5", "<5"), ("˂5", "<5"),
        ("≥ 5", "≥ 5"), ("≤ 5", "≤ 5"),
    ],
)
def test_normalize_comparators(source, expected):
    assert normalize(source).text == expected


@pytest.mark.parametrize(
    "source",
    [
        "x -> y", "a <=> b", "a ==> b", "a <-- b", r"\left( x", r"\lefty", "cost $500", "$500 and $600",
        "$1,000-$5,000", "Self Understood = <1 (MDS B0700)", "2,5 mg/dL", "x-ray", "3 x 2 cm lesion",
        "platelets 103/mm3", "109/L", "max 10 mg", "≥ 18 years", "10^9/L", "×10^9/L", "Sjögren's syndrome",
        "emoji 🙂 stays", "tab\tand\r\nnewline", r"C:\path", "&unknown; entity", "R&D; budget",
    ],
)
def test_normalize_leaves_alone(source):
    norm = normalize(source)
    assert norm.text == source
    assert not norm.changed


@pytest.mark.parametrize(
    "source,expected",
    [
        (r"\* bullet \_ under \[a\] \(b\) \- c \# d \+ e \. f", "* bullet _ under [a] (b) - c # d + e . f"),
        (r"IgA level \<10 mg/dL", "IgA level <10 mg/dL"),
        (r"\\> stays escaped", r"\\> stays escaped"),
        (r"\$5 is money", r"\$5 is money"),
    ],
)
def test_normalize_markdown_escapes(source, expected):
    assert normalize(source).text == expected


@pytest.mark.parametrize(
    "source,expected",
    [
        ("PCV T&amp;E studies", "PCV T&E studies"),
        ("Hb&nbsp;&gt;&nbsp;9", "Hb > 9"),
        ("BMI 30 kg/m&sup2;", "BMI 30 kg/m^2"),
        ("1 &micro;g and 2 &mu;g", "1 µg and 2 µg"),
        ("&#60;5 and &#x3E;3", "<5 and >3"),
        ("a&#8203;b", "ab"),
        ("&amp;amp;", "&"),
        ("&#92;geq 5", "&#92;geq 5"),  # decoding would make a LaTeX command
    ],
)
def test_normalize_html_entities(source, expected):
    norm = normalize(source)
    assert norm.text == expected
    check_map(norm)


@pytest.mark.parametrize(
    "source,expected",
    [
        (r"$\geq 7$", "≥ 7"),
        (r"$\geq 1:80$", "≥ 1:80"),
        (r"$>6$", ">6"),
        (r"$221 \mu\text{mol/L}$", "221 µmol/L"),
        (r"$221 \mu mol/L$", "221 µmol/L"),
        (r"$2.5 \times 10^{9}/L$", "2.5 ×10^9/L"),
        (r"$3 \cdot 10^{9}/\mathrm{L}$", "3 ×10^9/L"),
        (r"$\leq 40\,\text{mg/day}$", "≤ 40 mg/day"),
        (r"$\left( \geq 5 \right)$", "( ≥ 5 )"),
        (r"$37.5^{\circ}C$", "37.5°C"),
        (r"$\frac{mg}{dL}$", "mg/dL"),
        (r"$\geq 10\%$", "≥ 10%"),
        (r"$m^{2}$ and $kg^{-1}$", "m^2 and kg^-1"),
        (r"$$\geq 7$$", "≥ 7"),
        (r"score $ \geq 7 $ at", "score  ≥ 7  at"),
        ("$ 500 or $ 600", "$ 500 or $ 600"),
        (r"$\geq 7$$", "$≥ 7$$"),  # unbalanced: not math, the command alone
        ("costs $500 or $600 a month", "costs $500 or $600 a month"),
        (r"$5 \times$ ULN", "5 × ULN"),
        ("$abc$", "$abc$"),  # no command, digit or comparator: not math
    ],
)
def test_normalize_latex_math(source, expected):
    norm = normalize(source)
    assert norm.text == expected
    check_map(norm)


@pytest.mark.parametrize(
    "source,expected",
    [
        ("10⁹/L", "10^9/L"),
        ("10⁰⁹", "10^09"),
        ("kg/m²", "kg/m^2"),
        ("50/mm³", "50/mm^3"),
        ("10⁻¹", "10^-1"),
        ("CD19⁻ cells", "CD19- cells"),
        ("Ca²⁺", "Ca^2+"),
        ("HbA₁c", "HbA1c"),
    ],
)
def test_normalize_superscripts(source, expected):
    assert normalize(source).text == expected


@pytest.mark.parametrize(
    "source,expected",
    [
        ("x 109/L", "×10^9/L"), ("×109/L", "×10^9/L"), ("X10 9/L", "×10^9/L"), ("x 10 9 /L", "×10^9/L"),
        ("*109/L", "×10^9/L"), ("x 106/L", "×10^6/L"), ("x 1012/L", "×10^12/L"), ("x 103/µL", "×10^3/µL"),
        ("x 103/mm3", "×10^3/mm3"), ("x 103/uL", "×10^3/uL"), ("x10^9/L", "×10^9/L"), ("X 10^9 / L", "×10^9/L"),
        ("x 10E9/L", "×10^9/L"), ("10e9/l", "10^9/L"), ("2.5×10^9/L", "2.5×10^9/L"), ("2.5 x 10^9/L", "2.5 ×10^9/L"),
        ("1.5·10^9/L", "1.5×10^9/L"), ("× 109 / L", "×10^9/L"), ("*10 9 /l", "×10^9/L"), (r"\*109/L", "×10^9/L"),
        ("2 x 10^6 cells/kg", "2 ×10^6 cells/kg"), ("x 104/L", "x 104/L"), ("x 109 cells", "x 109 cells"),
        ("Box 109/L", "Box 109/L"),
    ],
)
def test_normalize_scientific_units(source, expected):
    norm = normalize(source)
    assert norm.text == expected
    check_map(norm)


@pytest.mark.parametrize(
    "source,expected",
    [
        ("AST > 2x ULN", "AST > 2× ULN"), ("2 X ULN", "2 × ULN"), ("2xULN", "2×ULN"),
        ("2.5 x upper limit of normal", "2.5 × upper limit of normal"), ("5 X institutional ULN", "5 × institutional ULN"),
        ("3x the ULN", "3× the ULN"), ("1.5 * LLN", "1.5 × LLN"), ("2 x 3 cm", "2 x 3 cm"), ("x ULN", "x ULN"),
    ],
)
def test_normalize_reference_multiples(source, expected):
    assert normalize(source).text == expected


@pytest.mark.parametrize(
    "source,expected",
    [
        ("18\u00a0years", "18 years"), ("18\u202fyears", "18 years"), ("18\u2009years", "18 years"),
        ("18\u3000years", "18 years"), ("18\u2007years", "18 years"), ("a\u200bb\u200cc\u200dd\ufeffe\u00adf", "abcdef"),
        ("non\u2010invasive", "non-invasive"), ("1\u20132", "1-2"), ("a\u2014b", "a-b"), ("\u22123 SD", "-3 SD"),
        ("1〜2", "1~2"), ("5 μg", "5 µg"), ("ＡＳＴ１２３", "AST123"), ("，；（）", ",;()"), ("ﬁbrosis", "fibrosis"),
        ("stage Ⅲ", "stage III"), ("mg⁄dL", "mg/dL"),
    ],
)
def test_normalize_spaces_dashes_and_compatibility(source, expected):
    norm = normalize(source)
    assert norm.text == expected
    check_map(norm)


@pytest.mark.parametrize(
    "source,expected",
    [
        ("a\x00b", "a b"), ("a\x07b\x0bc\x1fd\x7fe\x85f", "a b c d e f"), ("a\ud800b", "a\ufffdb"),
        ("\udfff", "\ufffd"), ("", ""), ("\u200b", ""), ("$", "$"), ("\\", "\\"), ("&", "&"), ("&#0;", "\ufffd"),
        ("&#1114112;", "\ufffd"), ("$$", "$$"), ("${}$", "${}$"), (r"$\text{}5$", "5"), (r"$\frac{}{}1$", "/1"),
    ],
)
def test_normalize_odd_input(source, expected):
    norm = normalize(source)
    assert norm.text == expected
    check_map(norm)


@pytest.mark.parametrize(
    "source,expected,normalized,behind",
    [
        ("Hb &gt;&nbsp;= 9", "Hb ≥ 9", "≥", "&gt;&nbsp;="),
        ("ANC 1.5 x&nbsp;109/L", "ANC 1.5 ×10^9/L", "×10^9/L", "x&nbsp;109/L"),
        ("age >\u200b= 18", "age ≥ 18", "≥", ">\u200b="),
        ("age \\&gt;18", "age >18", ">18", "\\&gt;18"),
        ("plate\u00adlets &lt;&#8203;= 50", "platelets ≤ 50", "platelets", "plate\u00adlets"),
        ("BMI &sup2;", "BMI ^2", "^2", "&sup2;"),
    ],
)
def test_normalize_entities_and_invisible_chars_under_other_rules(source, expected, normalized, behind):
    norm = normalize(source)
    assert norm.text == expected
    assert source_of(norm, normalized) == behind
    check_map(norm)


@pytest.mark.parametrize(
    "source,expected",
    [
        ("temperature = 37<U+2103>", "temperature = 37°C"),  # R writes what it cannot encode
        ("age <U+2266> 65 years", "age ≤ 65 years"),  # then read as any `≦`
        ("INR>1.5<U+3001>APTT>1.5", "INR>1.5,APTT>1.5"),
        ("stage <U+2162>B", "stage IIIB"),
        ("a<U+200B>b &lt;U+2264>5 <U+2264>=5", "ab ≤5 ≤5"),  # after entities, before the rules
        # not a character, or one that would start another escape: left as written
        ("<U+D800> <U+110000> <U+003C>U+2103> <U+0026>gt; <U+12>", "<U+D800> <U+110000> <U+003C>U+2103> <U+0026>gt; <U+12>"),
    ],
)
def test_normalize_code_point_escapes(source, expected):
    norm = normalize(source)
    assert norm.text == expected
    assert normalize(norm.text).text == norm.text
    check_map(norm)


def test_normalize_code_point_escape_maps_to_the_whole_escape():
    norm = normalize("37<U+2103> fever")
    assert norm.text[2:4] == "°C" and norm.to_source(2, 4) == (2, 10)


@pytest.mark.parametrize(
    "source,expected",
    [("\\–3", "-3"), ("10\\⁹", "10^9"), ("\\＞5", ">5"), (">=>=", ">=≥"), (">=＝", ">=="), ("\\geq==>", "≥==>")],
)
def test_normalize_output_is_stable(source, expected):
    """Cases where a replacement could make a new rule apply on a second pass."""
    once = normalize(source).text
    assert once == expected
    assert normalize(once).text == once


# --- the offset map --------------------------------------------------------------------


@pytest.mark.parametrize(
    "source,span,expected",
    [
        ("a\u200bb", (0, 2), (0, 3)),  # deleted text inside a span is kept
        ("a\u200bb", (0, 1), (0, 1)),  # and never added at its edges
        ("a\u200bb", (1, 2), (2, 3)),
        ("a\u200bb", (1, 1), (2, 2)),  # an empty span sits where the next char starts
        ("a\u200bb", (2, 2), (3, 3)),
        ("\u200b", (0, 0), (1, 1)),
        ("38 ℃", (3, 4), (3, 4)),  # both chars of `°C` come from `℃`
        ("38 ℃", (4, 5), (3, 4)),
        ("plain", (1, 3), (1, 3)),
        ("plain", (5, 5), (5, 5)),
    ],
)
def test_normalize_to_source(source, span, expected):
    assert normalize(source).to_source(*span) == expected


@pytest.mark.parametrize("source", ["plain text", r"$\geq 7$"])
def test_normalize_to_source_rejects_bad_spans(source):
    norm = normalize(source)
    n = len(norm.text)
    with pytest.raises(IndexError):
        norm.to_source(0, n + 1)
    with pytest.raises(IndexError):
        norm.to_source_start(-1)
    with pytest.raises(ValueError):
        norm.to_source(2, 1)


@pytest.mark.parametrize("source", ["Age >= 18 years", "Age 18 years or older"])
def test_normalize_pickles(source):
    norm = normalize(source)
    again = pickle.loads(pickle.dumps(norm))
    assert again == norm
    assert again.to_source(0, len(norm.text)) == norm.to_source(0, len(norm.text))


@pytest.mark.parametrize("source", ["Age 18 years or older, ECOG 0-1"])
def test_normalize_unchanged_text_is_the_input(source):
    norm = normalize(source)
    assert norm.text is source
    assert not norm.changed
    assert norm.to_source(4, 6) == (4, 6)


@pytest.mark.parametrize("value", [None, b"Age >= 18", 18])
def test_normalize_rejects_non_str(value):
    with pytest.raises(TypeError):
        normalize(value)


def test_normalize_module_docstring():
    assert doctest.testmod(normalize_module).failed == 0


# --- the resource table ----------------------------------------------------------------


def load_table() -> dict:
    path = resources.files("criteria_nlp") / "resources" / normalize_module.RESOURCE
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("canonical", ["≥", "≤", ">", "<"])
def test_normalize_every_comparator_form(canonical):
    spec = load_table()["comparators"][canonical]
    forms = spec["chars"] + ["\\" + c for c in spec["latex"]] + spec["escapes"]
    forms += [f"&#{ord(c)};" for c in spec["chars"]] + [f"&#x{ord(c):X};" for c in spec["chars"]]
    forms += [f"&{name}" for name, value in html5.items() if value in spec["chars"] and name[-1] == ";"]
    for form in forms:
        assert normalize(f"x {form} 5").text == f"x {canonical} 5", form


@pytest.mark.parametrize("key", ["spaces", "zero_width", "dashes", "tildes", "micro"])
def test_normalize_every_character_of_table(key):
    expected = {"spaces": " ", "zero_width": "", "dashes": "-", "tildes": "~", "micro": "µ"}[key]
    for c in load_table()[key]:
        assert normalize(f"a{c}b").text == f"a{expected}b", hex(ord(c))


# --- properties ------------------------------------------------------------------------

TOKENS = [
    r"$\geq 7$", r"$\geq 1:80$", r"$>2.5$", r"$221 \mu\text{mol/L}$", r"\geq", r"\ge", r"\le", r"\leq",
    r"\left", r"\right", r"\mu", r"\times", r"\text{mg}", r"^{9}", r"\>", r"\<", r"\*", r"\_", r"\[", r"\\",
    r"\$", "&gt;", "&lt;", "&gt;=", "&amp;", "&amp;gt;", "&nbsp;", "&ge;", "&#8805;", "&#x2265;", "&sup2;",
    "&bogus;", ">=", "=>", "<=", "=<", "<=>", "->", ">/=", "> or =", "≥", "≤", "≧", "⩽", "＞", "＜", "˂",
    "x 109/L", "×10⁹/L", "X10 9/L", "x 10 9 /L", "*109/L", "x10^9/L", "10e9/l", "103/µL", " x ", "2x ULN",
    "ULN", "upper limit", "10", "109", "/L", "⁰", "⁹", "²", "⁻", "m²", "μ", "µ", "\u00a0", "\u200b", "\u2013",
    "−", "～", "ＡＢ１", "℃", "ﬁ", "\x00", "\ud800", "🙂", "$", "$500", "\n", "\r\n", " ", "7", "1.5", "mg/dL",
    "<U+2103>", "<U+2266>", "<U+3001>", "<U+200B>", "<U+003C>", "<U+0026>", "<U+D800>", "<U+110000>", "<U+", "U+2264>",
]
SPECIAL_ASCII = st.sampled_from(list("x1029 ^/L<>=&;#$\\{}gtlqeamp*-~."))


@st.composite
def messy_text(draw, dollars: bool = True) -> str:
    """Criteria-like text: special tokens, risky ASCII and arbitrary code points, mixed."""
    piece = st.one_of(
        st.sampled_from(TOKENS),
        SPECIAL_ASCII,
        st.text(st.characters(exclude_categories=()), max_size=3),
        st.text(string.ascii_letters + " ", max_size=6),
    )
    text = "".join(draw(st.lists(piece, max_size=25)))
    return text if dollars else text.replace("$", "")


@NO_DEADLINE
@given(messy_text())
def test_normalize_never_raises_and_maps_back(text):
    norm = normalize(text)
    assert norm.source is text
    check_map(norm)


@NO_DEADLINE
@given(messy_text(), st.data())
def test_normalize_spans_map_inside_source(text, data):
    norm = normalize(text)
    n = len(norm.text)
    start = data.draw(st.integers(0, n))
    end = data.draw(st.integers(start, n))
    s, e = norm.to_source(start, end)
    assert 0 <= s <= e <= len(text)
    if start < end:
        assert (s, e) == (norm.to_source_start(start), norm.to_source_end(end))
        assert norm.to_source(start, start + 1)[0] == s and norm.to_source(end - 1, end)[1] == e


PLAIN = "".join(c for c in string.ascii_letters + string.digits if c not in "xXeE") + " .,;:()-/%+'\"\n\t"


@NO_DEADLINE
@given(st.text(PLAIN, max_size=200))
def test_normalize_plain_text_is_unchanged(text):
    norm = normalize(text)
    assert norm.text == text
    assert not norm.changed


@NO_DEADLINE
@given(messy_text(dollars=False))
def test_normalize_is_idempotent(text):
    once = normalize(text).text
    assert normalize(once).text == once


# --- shipped texts -----------------------------------------------------------------------


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


SEED_FILES = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []


@pytest.mark.skipif(not SEED_FILES, reason=f"seed studies not found at {SEEDS}")
@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name)
def test_normalize_seed_files(path):
    text = read(path)
    norm = normalize(text)
    check_map(norm)
    for raw in (r"$\geq", r"\>", r"\<", "&gt;", "⁹", "μ"):
        assert raw not in norm.text


@pytest.mark.corpora
@pytest.mark.skipif(not CORPORA.is_dir(), reason=f"corpora not found at {CORPORA}")
@pytest.mark.parametrize("name", ["ctgov-raw", "chia", "lct"])
def test_normalize_corpus_maps_back(name):
    paths = sorted((CORPORA / name).glob("*")) if (CORPORA / name).is_dir() else []
    if not paths:
        pytest.skip(f"{CORPORA / name} is empty or absent")
    for path in paths:
        if path.suffix not in (".txt", ""):
            continue
        text = read(path)
        norm = normalize(text)
        if norm.changed:
            starts, ends = norm._starts, norm._ends
            assert all(a <= b for a, b in zip(starts, starts[1:])), path.name
            assert all(a < b for a, b in zip(starts, ends)), path.name
            assert ends[-1] <= len(text)
            if "$" not in text:
                assert normalize(norm.text).text == norm.text, path.name
