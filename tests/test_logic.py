"""Criterion logic: introducers of a list of alternatives, their `require`, their items' `parent`."""
import pytest
from hypothesis import given, settings, strategies as st

import criteria_nlp
from criteria_nlp.logic import CriterionLogic

NESTED = """Inclusion Criteria:
  -  Aged 18 years or older
  -  Meet at least one of the following:
       -  eGFR < 60 mL/min/1.73 m2
       -  urine albumin-to-creatinine ratio > 30 mg/g
  -  Signed informed consent
"""


@pytest.fixture(scope="module")
def rules():
    return criteria_nlp.load(entities=False)


def test_logic_nested_items_get_their_parent_and_the_phrase_is_no_count(rules):
    doc = criteria_nlp.annotate(NESTED, nlp=rules)
    texts = [c.text for c in doc.criteria]
    assert texts[1] == "Meet at least one of the following:"
    assert doc.criteria[1].require.lower.value == 1 and doc.criteria[1].require.upper is None
    assert [c.parent for c in doc.criteria] == [None, None, 1, 1, None]
    assert all(c.require is None for i, c in enumerate(doc.criteria) if i != 1)
    assert [c.text for c in doc.constraints] == ["18 years or older", "< 60 mL/min/1.73 m2", "> 30 mg/g"]


@pytest.mark.parametrize(
    "phrase,expected",
    [
        ("Meet at least one of the following:", (1, None)),
        ("Two or more of the following:", (2, None)),
        ("At least 2 of the following criteria:", (2, None)),
        ("A minimum of three of these:", (3, None)),
        ("Either of the following:", (1, None)),
        ("Both of the following:", (2, 2)),
        ("Exactly one of the following:", (1, 1)),
        ("None of the following:", (0, 0)),
        ("All of the following:", (2, 2)),  # every item under it: two here
    ],
)
def test_logic_require_from_the_phrase(phrase, expected):
    text = f"  -  {phrase}\n       -  first item\n       -  second item\n"
    items = [(text.index(phrase), text.index(phrase) + len(phrase), None),
             (text.index("first"), text.index("first") + 10, None),
             (text.index("second"), text.index("second") + 11, None)]
    logic = CriterionLogic()(text, items)
    assert logic[0].require == expected
    assert [x.parent for x in logic] == [None, 0, 0]


def test_logic_a_flat_list_keeps_require_without_children():
    """Items at the introducer's own level cannot be told from the criteria after it."""
    text = "At least one of the following:\nfever\ncough\n"
    items = [(0, 30, None), (31, 36, None), (37, 42, None)]
    logic = CriterionLogic()(text, items)
    assert logic[0].require == (1, None)
    assert [x.parent for x in logic] == [None, None, None]


def test_logic_children_stop_at_the_section_and_the_indent():
    text = ("  -  One or more of the following:\n       -  a\n  -  b\n"
            "Exclusion Criteria:\n       -  c\n")
    starts = [text.index("One"), text.index("a\n"), text.index("b\n"), text.index("c\n")]
    items = [(starts[0], starts[0] + 32, "inclusion"), (starts[1], starts[1] + 1, "inclusion"),
             (starts[2], starts[2] + 1, "inclusion"), (starts[3], starts[3] + 1, "exclusion")]
    assert [x.parent for x in CriterionLogic()(text, items)] == [None, 0, None, None]


def test_logic_no_phrase_no_logic():
    text = "  -  at least one prior line of therapy\n       -  detail\n"
    items = [(5, 38, None), (text.index("detail"), text.index("detail") + 6, None)]
    assert [(x.require, x.parent) for x in CriterionLogic()(text, items)] == [(None, None), (None, None)]


def test_logic_phrases_are_saved_with_the_pipeline(rules, tmp_path):
    """The segmenter writes criterion_logic.json beside sections.json and reads it back."""
    import json

    import spacy

    rules.to_disk(tmp_path / "pipe")
    saved = tmp_path / "pipe" / "criteria_segmenter" / "criterion_logic.json"
    data = json.loads(saved.read_text(encoding="utf-8"))
    data["quantifiers"]["a couple"] = [2, 2]
    saved.write_text(json.dumps(data), encoding="utf-8")
    loaded = spacy.load(tmp_path / "pipe")
    doc = criteria_nlp.annotate("  -  A couple of the following:\n       -  x\n       -  y\n", nlp=loaded)
    assert doc.criteria[0].require.lower.value == 2 and doc.criteria[0].require.upper.value == 2
    assert [c.parent for c in doc.criteria] == [None, 0, 0]


def test_logic_rule_file_with_a_wrong_key_is_rejected():
    from criteria_nlp.errors import RuleFileError

    with pytest.raises(RuleFileError, match="list_wordz"):
        CriterionLogic({"quantifiers": {}, "at_least_words": [], "or_more_words": [], "list_wordz": []})


@settings(deadline=None, max_examples=300)
@given(st.lists(st.sampled_from(["at least ", "one ", "two ", "of ", "the ", "following", "folłowing",
                                 "FOLLOWİNG", "these", "theſe", "below", "criteria", "crıterıa", "any ",
                                 "both ", ": ", "- "]), max_size=10).map("".join))
def test_logic_word_check_skips_only_items_without_a_phrase(text):
    """The `of` and list-word check before the phrase search skips an item only when the
    search finds nothing in it."""
    from criteria_nlp.lexicon import holds_any

    logic = CriterionLogic()
    if not ("of" in text.lower() and holds_any(text, logic.list_tails)):
        assert logic.pattern.search(text) is None
