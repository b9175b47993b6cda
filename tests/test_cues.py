"""The cue rules of `quantity_rules.json` (`cues`): each one at work on its own example,
validated on load naming the rule, and a change of reading made by editing data only."""
import copy

import pytest

from criteria_nlp.errors import RuleFileError
from criteria_nlp.grouping import GroupingRules
from criteria_nlp.lexicon import get_lexicon, read_resource
from criteria_nlp.quantities import QuantityParser

RULES = read_resource("quantity_rules.json")
EXAMPLES = [(side, rule["name"], example.strip()) for side in ("right", "left")
            for rule in RULES["cues"][side] for example in rule["example"].split(";")]


def _parser(rules=None):
    return QuantityParser(rules=GroupingRules(rules, get_lexicon()) if rules is not None else None)


def _read(text, rules=None):
    """(text, lower, upper, unit, cue rules) of each quantity found."""
    found = []
    for r in _parser(rules)(text):
        cues = [step for step in r["rules"] if step.startswith("cue rules: ")]
        found.append((text[r["start"]:r["end"]], r["lower"], r["upper"], r["unit"], cues))
    return found


def _bound(value, inclusive=True):
    return {"value": value, "inclusive": inclusive}


@pytest.mark.parametrize("side,name,example", EXAMPLES, ids=[f"{e[1]}: {e[2]}" for e in EXAMPLES])
def test_cues_every_rule_reads_its_own_examples(side, name, example):
    """No dead rule: each example of a rule gives a quantity that rule read (`--explain`)."""
    found = _read(example)
    assert any(f"{name!r}" in step for *_, cues in found for step in cues), found


@pytest.mark.parametrize("text,expected", [
    # right: the plus sign, then the reference, then the comparator after, then inclusivity
    ("proteinuria 2+", [("2+", _bound(2.0), None, None)]),
    ("ALT ≤ 2.5 × ULN", [("≤ 2.5 × ULN", None, _bound(2.5), None)]),
    ("Age 18 years or older", [("18 years or older", _bound(18.0), None, "years")]),
    ("18 ≤ age ≤ 75", [("18 ≤", _bound(18.0), None, None), ("≤ 75", None, _bound(75.0), None)]),
    ("weight between 50 kg (inclusive) and 90 kg (exclusive)",
     [("between 50 kg (inclusive) and 90 kg", _bound(50.0), _bound(90.0, False), "kg")]),
    # left: the article before an ordinal, a comparator before a scale word
    ("BMI below the 5th percentile", [("below the 5th percentile", None, _bound(5.0, False), "percentile")]),
    ("toxicity greater than Grade 1", [("greater than Grade 1", _bound(1.0, False), None, None)]),
])
def test_cues_read_what_stands_around_a_number(text, expected):
    assert [f[:4] for f in _read(text)] == expected


@pytest.mark.parametrize("edit,message", [
    (lambda r: r["cues"]["right"][1].pop("name"), "a rule in `cues.right` has no name"),
    (lambda r: r["cues"]["right"][1].update(matches="plus_sign"), "cue rule 'plus sign': unknown key(s) matches"),
    (lambda r: r["cues"]["left"][1].update(match="comparator_after"),
     "cue rule 'comparator before': unknown pattern 'comparator_after' on the left"),
    (lambda r: r["cues"]["right"][3].update(read="units"), "cue rule 'unit': unknown reader 'units'"),
    (lambda r: r["cues"]["right"][1].update(read="unit"), "cue rule 'plus sign': needs one of `match`"),
    (lambda r: r["cues"]["right"][1]["produce"].update(suffix="at least"),
     "cue rule 'plus sign': `produce.suffix` must be a comparator"),
    (lambda r: r["cues"]["right"][2]["produce"].update(multiple="$value"),
     "cue rule 'reference': `produce` names 'multiple', which is no field of a number"),
    (lambda r: r["cues"]["right"][2]["produce"].update(reference="$match"),
     "cue rule 'reference': `produce.reference`: '$match' is none of"),
    (lambda r: r["cues"]["left"][2].update(otherwise="range opener"),
     "cue rule 'comparator before a scale': `otherwise` must name an earlier rule on the left"),
    (lambda r: r["cues"]["left"][0].update(when=["roman"]), "cue rule 'article before an ordinal': `when` must list"),
    (lambda r: r["cues"]["right"][4].update(unless=["sufix"]), "cue rule 'comparator after': `unless` must list"),
    (lambda r: r["cues"]["left"][4].update(name="temporal cue"), "`cues.left`: rule name(s) used twice: temporal cue"),
    (lambda r: r["cues"].update(window=0), "`cues.window` must be a positive whole number"),
    (lambda r: r["cues"].update(middle=[]), "`cues`: unknown key(s) middle"),
    (lambda r: r.pop("cues"), "`cues` must be an object"),
])
def test_cues_bad_rules_are_rejected_naming_the_rule(edit, message):
    rules = copy.deepcopy(RULES)
    edit(rules)
    with pytest.raises(RuleFileError) as err:
        _parser(rules)
    assert str(err.value).startswith(f"[E002] bad rule in quantity_rules.json: {message}"), str(err.value)


def test_cues_a_change_of_reading_is_an_edit_of_the_data():
    """With the `plus sign` rule producing `gt`, `2+` excludes its number; with a left
    window of 10 characters, a comparator further before the number is not read."""
    rules = copy.deepcopy(RULES)
    next(r for r in rules["cues"]["right"] if r["name"] == "plus sign")["produce"]["suffix"] = "gt"
    assert [f[:3] for f in _read("proteinuria 2+", rules)] == [("2+", _bound(2.0, False), None)]
    text = "platelets at least    100"
    assert [f[:3] for f in _read(text)] == [("at least    100", _bound(100.0), None)]
    rules = copy.deepcopy(RULES)
    rules["cues"]["window"] = 10
    assert _read(text, rules) == []
    assert [f[:3] for f in _read("platelets at least 100", rules)] == [("at least 100", _bound(100.0), None)]


def test_cues_survive_pickling_as_their_data():
    """Worker processes get the parser by pickle: the cue rules compile again from data."""
    import pickle

    parser = pickle.loads(pickle.dumps(_parser()))
    assert [(r["lower"], r["unit"]) for r in parser("Hb ≥ 9 g/dL")] == [(_bound(9.0), "g/dL")]
