"""Tests of criteria_nlp.pipeline.segmenter: criteria items, sections and cohorts."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import List, Optional, Tuple

import pytest
import spacy
import srsly
from spacy.tokens import DocBin

from criteria_nlp.errors import RuleFileError
from criteria_nlp.extensions import CRITERIA_KEY
from criteria_nlp.pipeline.segmenter import (
    CriteriaSegmenter,
    Item,
    SegmenterRules,
    default_rules,
    load_rules,
    segment,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPORA = SHARED / "corpora"
SEEDS = SHARED / "seeds"

needs_corpora = pytest.mark.skipif(not CORPORA.is_dir(), reason=f"gold corpora not found at {CORPORA}")
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed trials not found at {SEEDS}")

Row = Tuple[str, Optional[str], Optional[str]]  # (item text, section, cohort)


def rows(text: str, items: Optional[List[Item]] = None) -> List[Row]:
    items = segment(text) if items is None else items
    return [(text[i.start:i.end], i.section, i.cohort) for i in items]


def assert_invariants(text: str, items: List[Item]) -> None:
    last_end = 0
    for item in items:
        piece = text[item.start:item.end]
        assert piece, item
        assert piece == piece.strip(), item
        assert item.start >= last_end, item  # sorted, not overlapping
        assert item.section in (None, "inclusion", "exclusion"), item
        last_end = item.end


def read_corpus_text(path: Path) -> str:
    with open(path, encoding="utf8", newline="") as f:
        return f.read()


@pytest.fixture(scope="module")
def nlp():
    """A blank English pipeline, for unit tests of the segmenter alone."""
    return spacy.blank("en")


@pytest.fixture(scope="module")
def seed_text() -> str:
    if not SEEDS.is_dir():
        pytest.skip(f"seed trials not found at {SEEDS}")
    study = json.loads((SEEDS / "ctgov-v2" / "NCT07193810.json").read_text(encoding="utf8"))
    return study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]


# ------------------------------------------------------------------------------------------
# The seed trial NCT07193810 (nested cohort blocks)
# ------------------------------------------------------------------------------------------


@needs_seeds
@pytest.mark.parametrize("section,count", [("inclusion", 23), ("exclusion", 24)])
def test_segmenter_seed_section_counts(seed_text, section, count):
    items = segment(seed_text)
    assert_invariants(seed_text, items)
    assert sum(1 for i in items if i.section == section) == count
    assert all(i.section is not None for i in items)


@needs_seeds
@pytest.mark.parametrize(
    "expected",
    [
        "Severe lupus nephritis within 8 weeks prior to screening (defined as urinary protein "
        "\\>6 g/24 h, serum creatinine \\>2.5 mg/dL or 221 μmol/L), requirement of prohibited "
        "medications for active nephritis per protocol, need for hemodialysis, or receipt of "
        "prednisone ≥100 mg/day (or equivalent glucocorticoids) for ≥14 days."
    ],
)
def test_segmenter_seed_first_exclusion_text(seed_text, expected):
    first = next(i for i in segment(seed_text) if i.section == "exclusion")
    assert seed_text[first.start:first.end] == expected


@needs_seeds
@pytest.mark.parametrize(
    "prefix,section,cohort",
    [
        ("Disease duration ≤5 years (from initial diagnosis);", "inclusion", "Systemic Sclerosis (SSc)"),
        (
            "Diagnosed with SLE according to the 2019 EULAR/ACR classification criteria;",
            "inclusion",
            "Systemic Lupus Erythematosus (SLE)",
        ),
        ("Have active IIM at screening", "inclusion", "Idiopathic Inflammatory Myopathy (IIM)"),
        ("Females of childbearing potential ", "inclusion", None),
        ("Aged 18-65 years", "inclusion", None),
        ("Pregnant or lactating women.", "exclusion", None),
    ],
)
def test_segmenter_seed_cohorts(seed_text, prefix, section, cohort):
    matches = [r for r in rows(seed_text) if r[0].startswith(prefix)]
    assert len(matches) == 1, matches
    assert matches[0][1:] == (section, cohort)


@needs_seeds
@pytest.mark.parametrize("header", ["* For Systemic Lupus Erythematosus (SLE):", "* For Systemic Sclerosis (SSc):"])
def test_segmenter_seed_cohort_header_is_not_an_item(seed_text, header):
    start = seed_text.index(header)
    assert not any(i.start <= start + 2 < i.end for i in segment(seed_text))


# ------------------------------------------------------------------------------------------
# Markdown seed NCT07177911, an LCT file, a Chia file
# ------------------------------------------------------------------------------------------


@needs_seeds
@pytest.mark.parametrize(
    "section,count,first",
    [
        ("inclusion", 5, "Fully understand the trial's purpose"),
        ("exclusion", 5, "Severe lupus nephritis within 8 weeks prior to screening"),
    ],
)
def test_segmenter_markdown_headers(section, count, first):
    text = (SEEDS / "NCT07177911.txt").read_text(encoding="utf8")
    items = segment(text)
    assert_invariants(text, items)
    texts = [text[i.start:i.end] for i in items if i.section == section]
    assert len(texts) == count
    assert texts[0].startswith(first)
    assert not any("more (see full listing online)" in text[i.start:i.end] for i in items)
    assert not any(text[i.start:i.end].startswith(("---", "#")) for i in items)
    # "## Locations" ends the criteria
    west = next(i for i in items if text[i.start:i.end].startswith("West China Hospital"))
    assert west.section is None


@needs_corpora
@pytest.mark.parametrize(
    "name,expected",
    [
        (
            "NCT03860012",
            [
                ("inflammatory bowel disease", "inclusion", None),
                ("on methotrexate at appropriate dosing", "inclusion", None),
                ("normal folate levels at onset of study", "inclusion", None),
                ("treatment with folic acid", "inclusion", None),
                ("ages 2-21 years", "inclusion", None),
                ("abnormal folate levels", "exclusion", None),
                ("age > 21 or less than 2", "exclusion", None),
            ],
        )
    ],
)
def test_segmenter_lct_file(name, expected):
    text = read_corpus_text(CORPORA / "lct" / f"{name}.txt")
    assert rows(text) == expected


@needs_corpora
@pytest.mark.parametrize("name,crlf", [("NCT00182520_inc", True), ("NCT00050349_inc", False), ("NCT00050349_exc", False)])
def test_segmenter_chia_one_item_per_line(name, crlf):
    text = read_corpus_text(CORPORA / "chia" / f"{name}.txt")
    assert ("\r\n" in text) == crlf
    lines = [line.strip() for line in re.split(r"\r\n|\r|\n", text) if line.strip()]
    items = segment(text)
    assert_invariants(text, items)
    assert [text[i.start:i.end] for i in items] == lines
    assert all(i.section is None and i.cohort is None for i in items)


@needs_corpora
@pytest.mark.corpora
@pytest.mark.parametrize("corpus", ["ctgov-raw", "lct", "chia"])
def test_segmenter_corpus_invariants(corpus):
    paths = sorted((CORPORA / corpus).glob("*.txt"))
    if not paths:
        pytest.skip(f"no .txt files in {CORPORA / corpus}")
    problems = []
    n_items = 0
    for path in paths:
        text = read_corpus_text(path)
        items = segment(text)
        n_items += len(items)
        try:
            assert_invariants(text, items)
        except AssertionError as e:
            problems.append(f"{path.name}: {e}")
        if text.strip() and not items:
            problems.append(f"{path.name}: no items")
    assert not problems, problems[:20]
    assert n_items >= len(paths)


# ------------------------------------------------------------------------------------------
# Behaviour on small hand-written texts
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        # bullets and numbering, marker and surrounding spaces left out
        (
            "Inclusion Criteria:\n  -  Age 18+\n  * Male\n• Female\n· Adult\no Child\n▪ Infant\n+ Any",
            [(t, "inclusion", None) for t in ["Age 18+", "Male", "Female", "Adult", "Child", "Infant", "Any"]],
        ),
        (
            "Exclusion criteria:\n1. one\n2) two\n(3) three\na. four\nb) five\nii) six\nA. Seven\n1.2 Eight",
            [(t, "exclusion", None) for t in ["one", "two", "three", "four", "five", "six", "Seven", "Eight"]],
        ),
        # "H. pylori" is not a lettered item; "-word" is a bullet
        ("H. pylori infection\n-children under 5", [("H. pylori infection", None, None), ("children under 5", None, None)]),
        # header variants
        ("INCLUSION CRITERIA\n- a\nKey Exclusion Criteria\n- b", [("a", "inclusion", None), ("b", "exclusion", None)]),
        ("### Inclusion (8)\n\n- a\n\n### Exclusion (23)\n\n- b", [("a", "inclusion", None), ("b", "exclusion", None)]),
        ("Inclusion:\n- a\nExclusion:\n- b", [("a", "inclusion", None), ("b", "exclusion", None)]),
        ("Eligibility criteria - inclusion\n- a\nNon-inclusion criteria:\n- b", [("a", "inclusion", None), ("b", "exclusion", None)]),
        ("**Inclusion Criteria:**\n- a\n**Exclusion Criteria:**\n- b", [("a", "inclusion", None), ("b", "exclusion", None)]),
        # text after a header's colon is an item
        ("Inclusion Criteria: age ≥ 18 years\nExclusion Criteria:pregnancy", [("age ≥ 18 years", "inclusion", None), ("pregnancy", "exclusion", None)]),
        # a header naming a population gives a cohort
        (
            "Inclusion criteria for healthy controls:\n- a\nFamily Exclusion Criteria:\n- b\nKey Exclusion Criteria:\n- c",
            [("a", "inclusion", "healthy controls"), ("b", "exclusion", "Family"), ("c", "exclusion", None)],
        ),
        # sentences that mention the criteria are items
        (
            "Exclusion Criteria:\n- Not meeting all of the inclusion criteria\n- Other, more specific exclusion criteria are defined in the protocol",
            [
                ("Not meeting all of the inclusion criteria", "exclusion", None),
                ("Other, more specific exclusion criteria are defined in the protocol", "exclusion", None),
            ],
        ),
        # rules, lone markers, punctuation and "... and N more" lines are not items
        ("- a\n---\n-\n* * *\n...\n... and 3 more (see full listing online)\n- b", [("a", None, None), ("b", None, None)]),
        # markdown heading that is not a section ends the section
        ("## Inclusion\n- a\n## Locations\nBoston", [("a", "inclusion", None), ("Boston", None, None)]),
        # markdown subheading under the section heading names a cohort
        ("### Inclusion\n#### Patients with SLE\n- a\n### Exclusion\n- b", [("a", "inclusion", "Patients with SLE"), ("b", "exclusion", None)]),
    ],
)
def test_segmenter_items_and_headers(text, expected):
    items = segment(text)
    assert_invariants(text, items)
    assert rows(text, items) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        # old ClinicalTrials.gov layout: wrapped text indented under the item
        (
            "Inclusion Criteria:\n  -  ineffective, relapsed or intolerant to treatment (eg\n     iron, folic acid)\n  -  ECOG ≤2",
            ["ineffective, relapsed or intolerant to treatment (eg\n     iron, folic acid)", "ECOG ≤2"],
        ),
        # an indented continuation is never a header
        (
            "Exclusion Criteria:\n  -  Patients who do not meet the\n     inclusion criteria.\n  -  Pregnancy",
            ["Patients who do not meet the\n     inclusion criteria.", "Pregnancy"],
        ),
        # markdown: indented continuation
        ("* first item\n  goes on\n* second", ["first item\n  goes on", "second"]),
        # lazy continuation at the marker's own indent: lower-case start
        (
            "(1) Participants with recent myocardial infarction, heart failure,\nrecent heart surgery.\n(2) Asthma",
            ["Participants with recent myocardial infarction, heart failure,\nrecent heart surgery.", "Asthma"],
        ),
        # ... but a capitalised line, or a line after a colon, starts a new item
        ("1. Age over 18\nPregnant women", ["Age over 18", "Pregnant women"]),
        ("1. Any of the following:\nexcessive thrombus", ["Any of the following:", "excessive thrombus"]),
        # a blank line ends an item
        ("* first item\n\n  not a continuation", ["first item", "not a continuation"]),
        # a line less indented than the marker is a new item
        ("  -  Known pregnancy\nNeonates:\n  -  Aged 1 day", ["Known pregnancy", "Neonates:", "Aged 1 day"]),
        # plain lines after plain lines are one item each (Chia)
        ("Patients with diabetes\nmellitus type 2\nage > 18", ["Patients with diabetes", "mellitus type 2", "age > 18"]),
    ],
)
def test_segmenter_continuation_lines(text, expected):
    items = segment(text)
    assert_invariants(text, items)
    assert [text[i.start:i.end] for i in items] == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        # a bullet "For ...:" with numbered items under it; ends at the next bullet
        (
            "Inclusion Criteria\n\n* Adult\n* For Systemic Lupus Erythematosus (SLE):\n\n1. a\n2. b\n* Females",
            [
                ("Adult", "inclusion", None),
                ("a", "inclusion", "Systemic Lupus Erythematosus (SLE)"),
                ("b", "inclusion", "Systemic Lupus Erythematosus (SLE)"),
                ("Females", "inclusion", None),
            ],
        ),
        # "For patients with" is left out of the name
        ("  -  For patients with IIM:\n       -  a\n  -  b", [("a", None, "IIM"), ("b", None, None)]),
        # "Cohort A:", "Group 2 (...):", "Part 1:" keep their label
        (
            "Cohort A:\n  -  a\nGroup 2 (10 participants):\n  -  b\nPart 1: healthy volunteers",
            [("a", None, "Cohort A"), ("b", None, "Group 2 (10 participants)"), ("healthy volunteers", None, "Part 1")],
        ),
        # a plain "For ...:" line covers the indented items after it, up to a section header
        (
            "Inclusion Criteria:\nFor AD patients:\n  -  a\nFor healthy volunteers:\n  -  b\nExclusion Criteria:\n  -  c",
            [("a", "inclusion", "AD patients"), ("b", "inclusion", "healthy volunteers"), ("c", "exclusion", None)],
        ),
        # a cohort header right before a section header covers the sections after it
        (
            "For community patients :\nInclusion Criteria:\n  -  a\nExclusion Criteria:\n  -  b\n"
            "For hospitalized patients :\nInclusion Criteria:\n  -  c",
            [
                ("a", "inclusion", "community patients"),
                ("b", "exclusion", "community patients"),
                ("c", "inclusion", "hospitalized patients"),
            ],
        ),
        # a generic line ending in ":" is an item; its sub-items get no cohort
        (
            "* Patients must meet all of the following:\n    1. a\n    2. b",
            [("Patients must meet all of the following:", None, None), ("a", None, None), ("b", None, None)],
        ),
        # "For X: text" on one line: the text is an item of cohort X
        ("For women of childbearing potential: negative pregnancy test", [("negative pregnancy test", None, "women of childbearing potential")]),
        # "For example:" names no cohort
        ("For example: aspirin", [("For example: aspirin", None, None)]),
    ],
)
def test_segmenter_cohorts(text, expected):
    items = segment(text)
    assert_invariants(text, items)
    assert rows(text, items) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("", []),
        ("   \n\t\r\n  ", []),
        ("IgA deficiency (serum IgA level <10 mg/dL).", [("IgA deficiency (serum IgA level <10 mg/dL).", None, None)]),
        ("  \tAge ≥ 18 years\t ", [("Age ≥ 18 years", None, None)]),
        ("Inclusion Criteria:\r- a\r- b\r", [("a", "inclusion", None), ("b", "inclusion", None)]),
        ("Inclusion Criteria:\r\n\t-\tHbA1c ≥ 7%\r\n\t-\tBMI < 30\r\n", [("HbA1c ≥ 7%", "inclusion", None), ("BMI < 30", "inclusion", None)]),
        ("\ufeff\u00a0• Age\u2003≥ 18\u3000\n\u2028\x85\x0c", [("Age\u2003≥ 18", None, None)]),
        ("Inclusion Criteria:", []),
    ],
)
def test_segmenter_edge_cases(text, expected):
    items = segment(text)
    assert_invariants(text, items)
    assert rows(text, items) == expected


@pytest.mark.parametrize(
    "text",
    [
        "x" * 1_000_000,
        "\n" * 1_000_000,
        "* For SLE:\n1. Disease duration ≤5 years;\r\n" * 25_000,
        "Inclusion criteria for " * 45_000 + ":",
        ("  -  wrapped item text\n     continues here\n" * 25_000),
    ],
    ids=["one-line", "newlines", "cohorts", "long-header", "wrapped"],
)
def test_segmenter_large_text_is_linear(text):
    start = time.perf_counter()
    items = segment(text)
    elapsed = time.perf_counter() - start
    assert_invariants(text, items)
    assert elapsed < 30, f"{len(text)} characters took {elapsed:.1f}s"


# ------------------------------------------------------------------------------------------
# Rules file
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [None])
def test_segmenter_rules_file_loads(path):
    rules = load_rules(path)
    data = rules.to_dict()
    assert set(data["sections"]) == {"inclusion", "exclusion", "none"}
    assert "inclusion criteria" in data["sections"]["inclusion"]
    assert default_rules().to_dict() == data


@pytest.mark.parametrize(
    "change,message",
    [
        ({"sections": {"inclusoin": ["inclusion"]}}, "unknown section"),
        ({"colour": "red"}, "unknown keys"),
        ({"skip_patterns": ["("]}, "skip_patterns[0]"),
        ({"max_cohort_words": 0}, "max_cohort_words"),
        ({"cohort_labels": "cohort"}, "cohort_labels"),
    ],
)
def test_segmenter_rules_rejects_bad_rules(change, message):
    data = {**default_rules().to_dict(), **change}
    with pytest.raises(RuleFileError, match=re.escape(message)):
        SegmenterRules.from_dict(data)


# ------------------------------------------------------------------------------------------
# The spaCy component
# ------------------------------------------------------------------------------------------

COMPONENT_TEXT = (
    "Inclusion Criteria\n\n* Aged 18-65 years.\n* For Systemic Sclerosis (SSc):\n\n"
    "1. Disease duration ≤5 years (from initial diagnosis);\n\nExclusion Criteria\r\n\r\n* Pregnant or lactating women.\r\n"
)
COMPONENT_ROWS = [
    ("Aged 18-65 years.", "inclusion", None),
    ("Disease duration ≤5 years (from initial diagnosis);", "inclusion", "Systemic Sclerosis (SSc)"),
    ("Pregnant or lactating women.", "exclusion", None),
]


def span_rows(doc, key: str = CRITERIA_KEY) -> List[Row]:
    return [(s.text, s._.criterion_section, s._.criterion_cohort) for s in doc.spans[key]]


@pytest.mark.parametrize("text,expected", [(COMPONENT_TEXT, COMPONENT_ROWS)])
def test_segmenter_component_sets_spans(nlp, text, expected):
    segmenter = CriteriaSegmenter(nlp, "criteria_segmenter")
    doc = segmenter(nlp.make_doc(text))
    assert span_rows(doc) == expected
    starts = [s.start_char for s in doc.spans[CRITERIA_KEY]]
    assert starts == sorted(starts)


@pytest.mark.parametrize("spans_key,overwrite,expected_len", [("criteria", True, 3), ("my_key", False, 4)])
def test_segmenter_component_spans_key_and_overwrite(nlp, spans_key, overwrite, expected_len):
    segmenter = CriteriaSegmenter(nlp, "criteria_segmenter", spans_key=spans_key, overwrite=overwrite)
    doc = nlp.make_doc(COMPONENT_TEXT)
    doc.spans[spans_key] = [doc[0:1]]
    doc = segmenter(doc)
    assert len(doc.spans[spans_key]) == expected_len
    assert span_rows(doc, spans_key)[-3:] == COMPONENT_ROWS


def _custom_rules():
    rules = default_rules().to_dict()
    rules["sections"]["inclusion"].append("teilnahmekriterien")
    return rules


@pytest.mark.parametrize("text,expected", [("Teilnahmekriterien:\n- Alter ≥ 18", [("Alter ≥ 18", "inclusion", None)])])
def test_segmenter_component_serialize_dir(nlp, tmp_path, text, expected):
    segmenter = CriteriaSegmenter(nlp, "criteria_segmenter")
    assert span_rows(segmenter(nlp.make_doc(text))) != expected
    segmenter.initialize(lambda: [], nlp=nlp, rules=_custom_rules())
    assert span_rows(segmenter(nlp.make_doc(text))) == expected
    segmenter.to_disk(tmp_path / "segmenter")
    assert (tmp_path / "segmenter" / "sections.json").is_file()
    loaded = CriteriaSegmenter(nlp, "criteria_segmenter").from_disk(tmp_path / "segmenter")
    assert loaded.rules == segmenter.rules
    assert span_rows(loaded(nlp.make_doc(text))) == expected


@pytest.mark.parametrize("text,expected", [("Teilnahmekriterien:\n- Alter ≥ 18", [("Alter ≥ 18", "inclusion", None)])])
def test_segmenter_component_serialize_bytes(nlp, text, expected):
    segmenter = CriteriaSegmenter(nlp, "criteria_segmenter")
    segmenter.initialize(rules=_custom_rules())
    loaded = CriteriaSegmenter(nlp, "criteria_segmenter").from_bytes(segmenter.to_bytes())
    assert loaded.rules == segmenter.rules
    assert span_rows(loaded(nlp.make_doc(text))) == expected


@pytest.mark.parametrize("rules", [{"sections": {"inclusion": ["x"]}, "bogus": 1}])
def test_segmenter_component_initialize_rejects_bad_rules(nlp, rules):
    segmenter = CriteriaSegmenter(nlp, "criteria_segmenter")
    with pytest.raises(RuleFileError, match="bogus"):
        segmenter.initialize(rules=rules)
    assert segmenter.rules == default_rules().to_dict()


@pytest.mark.parametrize("bad", ["{not json", json.dumps({"sections": []})])
def test_segmenter_component_from_disk_rejects_bad_file(nlp, tmp_path, bad):
    (tmp_path / "sections.json").write_text(bad, encoding="utf8")
    with pytest.raises(RuleFileError):
        CriteriaSegmenter(nlp, "criteria_segmenter").from_disk(tmp_path)


@pytest.mark.parametrize("text,expected", [(COMPONENT_TEXT, COMPONENT_ROWS)])
def test_segmenter_component_docbin_roundtrip(nlp, text, expected):
    segmenter = CriteriaSegmenter(nlp, "criteria_segmenter")
    doc = segmenter(nlp.make_doc(text))
    data = DocBin(docs=[doc], store_user_data=True).to_bytes()
    (restored,) = DocBin().from_bytes(data).get_docs(nlp.vocab)
    assert span_rows(restored) == expected


@pytest.mark.parametrize("text", [COMPONENT_TEXT])
def test_segmenter_component_error_handler(nlp, text, monkeypatch):
    import criteria_nlp.pipeline.segmenter as module

    def boom(*args, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(module, "segment", boom)
    segmenter = CriteriaSegmenter(nlp, "criteria_segmenter")
    with pytest.raises(ValueError, match="boom"):
        segmenter(nlp.make_doc(text))
    seen = []
    segmenter.set_error_handler(lambda name, comp, docs, e: seen.append((name, str(e), docs[0].text)))
    # as spaCy's own Pipe.pipe: the handler is told, the Doc leaves the stream
    assert list(segmenter.pipe([nlp.make_doc(text)], batch_size=4)) == []
    assert seen == [("criteria_segmenter", "boom", text)]


@pytest.mark.parametrize("text", [COMPONENT_TEXT])
def test_segmenter_component_in_pipeline(nlp, text):
    segmenter = CriteriaSegmenter(nlp, "criteria_segmenter")
    docs = list(nlp.pipe([text, ""]))
    docs = [segmenter(d) for d in docs]
    assert span_rows(docs[0]) == COMPONENT_ROWS
    assert list(docs[1].spans[CRITERIA_KEY]) == []
    assert srsly.json_loads(srsly.json_dumps(segmenter.rules)) == segmenter.rules
