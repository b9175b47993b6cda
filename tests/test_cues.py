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


# -- windows: the anchor a time is counted from, and its direction ---------------------------

DIRECTIONS = [(rule["name"], rule["example"]) for rule in RULES["windows"]["direction"]]


def _windows(text, rules=None):
    """(text, anchor, direction, the explain steps on anchor and direction) of each window."""
    return [(text[r["start"]:r["end"]], r["anchor"], r["direction"],
             [s for s in r["rules"] if s.startswith("direction:") or "names the anchor" in s])
            for r in _parser(rules)(text) if r["kind"] == "temporal"]


@pytest.mark.parametrize("name,example", DIRECTIONS, ids=[d[0] for d in DIRECTIONS])
def test_windows_every_direction_rule_decides_its_own_example(name, example):
    found = _windows(example)
    assert [steps[-1] for *_, steps in found] == [f"direction: rule {name!r}"], found


def test_windows_read_anchor_and_direction_as_the_data_says():
    assert _windows("within 4 weeks prior to screening") == [
        ("within 4 weeks", "screening", "before",
         ["temporal_after: 'prior to' names the anchor", "direction: rule \"the anchor's word\""])]
    assert _windows("within 4 weeks of screening") == [
        ("within 4 weeks", "screening", None, ["temporal_after: 'of' names the anchor"])]
    text = "within 14 days or 5 half-lives of the first dose"  # `of` after a number: not its own
    assert _windows(text)[0] == ("within 14 days", "first dose", None, [])  # shared from the next
    rules = copy.deepcopy(RULES)
    rules["windows"]["anchor"]["no_number_before"] = []
    assert _windows(text, rules)[0][3] == ["temporal_after: 'of' names the anchor"]
    rules["windows"]["anchor"]["reach"] = 5  # `prior to screening` is further on
    assert _windows("within 4 weeks prior to screening", rules)[0][1:3] == (None, "before")
    rules["windows"]["direction"] = [r for r in rules["windows"]["direction"] if r["from"] != "word_after"]
    assert _windows("surgery 6 months ago", rules)[0][1:3] == (None, None)


@pytest.mark.parametrize("edit,message", [
    (lambda w: w.pop("anchor"), "`windows` must be an object with `anchor` and `direction`"),
    (lambda w: w.update(reach=90), "`windows`: unknown key(s) reach"),
    (lambda w: w["anchor"].update(reach=-1), "`windows.anchor.reach` must be a positive"),
    (lambda w: w["anchor"].pop("no_number_before"), "`windows.anchor` must have `reach` and `no_number_before`"),
    (lambda w: w["direction"][1].update(source="word_after"), "direction rule 'a word after the window': unknown key(s) source"),
    (lambda w: w["direction"][2].update({"from": "cue_after"}), "direction rule 'the temporal cue': `from` must be one of"),
    (lambda w: w["direction"][2].update({"from": "trigger"}), "direction rule 'the temporal cue': `from` 'trigger' is read"),
    (lambda w: w.update(direction=[]), "`windows.direction` must be a non-empty list"),
])
def test_windows_bad_rules_are_rejected_naming_the_rule(edit, message):
    rules = copy.deepcopy(RULES)
    edit(rules["windows"])
    with pytest.raises(RuleFileError) as err:
        _parser(rules)
    assert str(err.value).startswith(f"[E002] bad rule in quantity_rules.json: {message}"), str(err.value)
