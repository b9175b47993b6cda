"""The grouping rules of `quantity_rules.json`: validated on load, each one at work on its
own example, saved with the pipeline, and changed by editing data only."""
import copy

import pytest

from criteria_nlp.errors import RuleFileError
from criteria_nlp.grouping import GroupingRules
from criteria_nlp.lexicon import get_lexicon, read_resource
from criteria_nlp.quantities import QuantityParser

RULES = read_resource("quantity_rules.json")
EXAMPLES = [(section, rule["name"], rule["example"]) for section in ("pairs", "lists", "alternatives")
            for rule in RULES[section]]


def _records(text, rules=None):
    parser = QuantityParser(rules=GroupingRules(rules, get_lexicon()) if rules is not None else None)
    return [(text[r["start"]:r["end"]], r["lower"], r["upper"], r["alternative_of"], r["rules"]) for r in parser(text)]


def _bound(value, inclusive=True):
    return {"value": value, "inclusive": inclusive}


@pytest.mark.parametrize("section,name,example", EXAMPLES, ids=[e[1] for e in EXAMPLES])
def test_grouping_every_rule_groups_its_own_example(section, name, example):
    """No dead rule: each rule's example is grouped by that rule (`--explain` names it), or,
    for the unit definition, gives no threshold at all."""
    found = _records(example)
    if name == "unit definition":
        assert found == []
    else:
        assert any(f"rule {name!r}" in step for *_, rules in found for step in rules), found


ALONE = [(rule["name"], rule["example"]) for rule in RULES["alone"]]


@pytest.mark.parametrize("name,example", ALONE, ids=[a[0] for a in ALONE])
def test_grouping_every_alone_rule_decides_its_own_example(name, example):
    """Each `alone` rule decides its example: the operator of a number that stands alone."""
    found = _records(example)
    if name == "no quantity":
        assert found == []
    else:
        assert [f"alone: rule {name!r}" in steps for *_, steps in found] == [True], found


@pytest.mark.parametrize("text,expected", [
    ("Age 18-65 years", [("18-65 years", _bound(18.0), _bound(65.0), None)]),
    ("HbA1c ≥ 7.0% and ≤ 10.5%", [("≥ 7.0% and ≤ 10.5%", _bound(7.0), _bound(10.5), None)]),
    ("BMI < 35 and > 18.5 kg/m2", [("< 35 and > 18.5 kg/m2", _bound(18.5, False), _bound(35.0, False), None)]),
    ("eGFR 30 to < 60 mL/min", [("30 to < 60 mL/min", _bound(30.0), _bound(60.0, False), None)]),
    ("BMI = 18.5-29.9 kg/m2", [("= 18.5-29.9 kg/m2", _bound(18.5), _bound(29.9), None)]),
    ("ECOG performance status 0, 1, or 2", [("0, 1, or 2", _bound(0.0), _bound(2.0), None)]),
    ("serum creatinine >2.5 mg/dL or 221 µmol/L",
     [(">2.5 mg/dL", _bound(2.5, False), None, None), ("221 µmol/L", _bound(221.0, False), None, 0)]),
    # not groups: two years, a falling pair, two thresholds outside a range, a unit definition
    ("diagnosed 2007-2017", []),
    ("hemoglobin (<10 and >16 g/dl)", [("<10", None, _bound(10.0, False), None),
                                       (">16 g/dl", _bound(16.0, False), None, None)]),
    ("(1 MET = 3.5 mL/kg/min)", []),
])
def test_grouping_bounds(text, expected):
    assert [r[:4] for r in _records(text)] == expected


def test_grouping_a_long_run_of_consecutive_numbers_without_a_scale_is_no_list():
    """A run of 3,000 consecutive numbers with no scale named is read once (the run from
    each later number ends where the first ended) and groups nothing."""
    found = _records("codes " + ", ".join(str(i) for i in range(3000)))
    assert not any("rule 'consecutive values on a scale'" in step for *_, rules in found for step in rules)
    assert [r[:3] for r in _records("ECOG " + ", ".join(str(i) for i in range(5)))] == [
        ("0, 1, 2, 3, 4", _bound(0.0), _bound(4.0))]


def test_grouping_a_new_form_is_one_rule_in_data():
    """`18 thru 65 years` is no range until a rule (with its own joiners) says it is."""
    text = "aged 18 thru 65 years"
    assert [r[0] for r in _records(text)] == ["65 years"]
    rules = copy.deepcopy(RULES)
    rules["pairs"].append({"name": "range with thru", "first": {"comparator": "none"}, "joiners": ["thru"],
                           "gap": 12, "second": {"comparator": "none", "unit": True},
                           "checks": ["same_unit", "lower_not_above_upper"],
                           "produce": {"lower": {"from": "first", "inclusive": True},
                                       "upper": {"from": "second", "inclusive": True}}})
    found = _records(text, rules)
    assert [r[:3] for r in found] == [("18 thru 65 years", _bound(18.0), _bound(65.0))]
    assert "rule 'range with thru': 'thru'" in found[0][4]


@pytest.mark.parametrize("edit,message", [
    (lambda r: r["pairs"][1].update(joiner="and"), "rule 'lower then upper bound': unknown key(s) joiner"),
    (lambda r: r["pairs"][1].update(checks=["same_units"]), "rule 'lower then upper bound': unknown check(s) same_units"),
    (lambda r: r["pairs"][1]["first"].update(comparator=["gte"]), "rule 'lower then upper bound': `comparator` must be"),
    (lambda r: r["pairs"][1]["first"].update(colour=True), "rule 'lower then upper bound': unknown pattern key 'colour'"),
    (lambda r: r["pairs"][1].update(joiners="range_joinerz"), "rule 'lower then upper bound': `joiners` must name"),
    (lambda r: r["pairs"][1].update(produce={"lower": {"from": "third", "inclusive": True}}),
     "rule 'lower then upper bound': `produce.lower` must be"),
    (lambda r: r["lists"][0].pop("step"), "rule 'consecutive values on a scale': a list rule needs a numeric `step`"),
    (lambda r: r["alternatives"][0].update(name="range"), "rule name(s) used twice: range"),
    (lambda r: r.update(triples=[]), "unknown section(s) triples"),
    (lambda r: r["alone"][1]["when"].update(windowed=True), "`alone`: rule 'a window': unknown condition 'windowed'"),
    (lambda r: r["alone"][4].update(operator="equals"), "`alone`: rule 'a multiple of a reference': `operator` must be"),
    (lambda r: r["alone"].pop(), "`alone`: the last rule ('an amount') must have no conditions"),
    (lambda r: r.pop("alone"), "`alone`: a decision list must be a non-empty list of rules"),
    (lambda r: r["alone"][3]["when"].pop("anchored_window"),
     "`alone`: rule 'an anchored window': operator 'anchored_window' needs the condition `anchored_window: true`"),
])
def test_grouping_bad_rules_are_rejected_naming_the_rule(edit, message):
    rules = copy.deepcopy(RULES)
    edit(rules)
    with pytest.raises(RuleFileError) as err:
        GroupingRules(rules, get_lexicon(), source="my_rules.json")
    assert str(err.value).startswith(f"[E002] bad rule in my_rules.json: {message}")


def test_grouping_and_kind_rules_are_saved_with_the_pipeline(tmp_path):
    """`nlp.to_disk` writes quantity_rules.json and quantity_kinds.json beside the word lists,
    and a pipeline read back reads quantities as the saved rules say, not as the package's."""
    import spacy

    import criteria_nlp

    nlp = criteria_nlp.load(entities=False)
    finder = nlp.get_pipe("criteria_quantities")
    rules = copy.deepcopy(RULES)
    rules["pairs"] = [r for r in rules["pairs"] if r["name"] != "range"]
    finder.set_grouping_rules(rules)
    kinds = read_resource("quantity_kinds.json")
    kinds["kinds"] = [r for r in kinds["kinds"] if r["name"] != "dose unit"]
    finder.set_kind_rules(kinds)
    nlp.to_disk(tmp_path / "saved")
    for name in ("quantity_rules.json", "quantity_kinds.json"):
        assert (tmp_path / "saved" / "criteria_quantities" / name).exists()
    again = spacy.load(tmp_path / "saved")
    text = "Age 18-65 years; methotrexate ≤ 25 mg/week"
    assert [(c.text, c.kind) for c in criteria_nlp.annotate(text, nlp=again).constraints] == [
        ("65 years", "age"), ("≤ 25 mg/week", "numeric")]
    assert [(c.text, c.kind) for c in criteria_nlp.annotate(text).constraints] == [
        ("18-65 years", "age"), ("≤ 25 mg/week", "dose")]
