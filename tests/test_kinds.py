"""The kind rules of `quantity_kinds.json`: a decision list in data, validated on load, each
rule at work on its own example, and saved with the pipeline."""
import copy

import pytest

from criteria_nlp.errors import RuleFileError
from criteria_nlp.kinds import KindRules
from criteria_nlp.lexicon import read_resource
from criteria_nlp.quantities import QuantityParser

RULES = read_resource("quantity_kinds.json")
EXAMPLES = [(rule["name"], rule["kind"], rule["example"]) for rule in RULES["kinds"]]


def _kinds(text, rules=None):
    """(text, kind, the explain step naming the kind rule) of each quantity found."""
    parser = QuantityParser(kinds=KindRules(rules) if rules is not None else None)
    return [(text[r["start"]:r["end"]], r["kind"], next(s for s in r["rules"] if s.startswith("kind:")))
            for r in parser(text)]


@pytest.mark.parametrize("name,kind,example", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_kinds_every_rule_decides_its_own_example(name, kind, example):
    assert [k[1:] for k in _kinds(example)] == [(kind, f"kind: {kind} (rule {name!r})")]


@pytest.mark.parametrize("text,span,kind", [
    ("Women over 18 years", "over 18 years", "age"),
    ("- Over 18 years", "Over 18 years", "age"),
    # an age word inside the range opener: `aged between` (a time unit made them durations)
    ("Aged between 1 and 17", "Aged between 1 and 17", "age"),
    ("aged between 18 and 55 years", "aged between 18 and 55 years", "age"),
    ("18 ≤ age ≤ 65", "18 ≤", "age"),
    ("HbA1c ≥ 7.0%", "≥ 7.0%", "numeric"),
    ("methotrexate ≤ 25 mg/week", "≤ 25 mg/week", "dose"),
    ("stroke within the past 6 months", "within the past 6 months", "temporal"),
    ("symptoms for more than 3 weeks", "more than 3 weeks", "duration"),
    ("at least 3 of the following", "at least 3", "count"),
    ("AST > 2.5 × ULN", "> 2.5 × ULN", "numeric"),
])
def test_kinds_decided_by_the_rules(text, span, kind):
    assert [k[:2] for k in _kinds(text)][:1] == [(span, kind)]


def test_kinds_a_rule_in_data_changes_the_kind():
    """Taking the count rule out makes `≥ 2 prior lines` a plain number: the decision is data."""
    rules = copy.deepcopy(RULES)
    rules["kinds"] = [r for r in rules["kinds"] if r["name"] != "count"]
    assert [k[1] for k in _kinds("≥ 2 prior lines of systemic therapy", rules)] == ["numeric"]


@pytest.mark.parametrize("edit,message", [
    (lambda r: r["kinds"][0].update(kind="dosage"), "rule 'dose unit': `kind` must be one of"),
    (lambda r: r["kinds"][0]["when"].update(unit=["dosage"]), "rule 'dose unit': `unit` must be a list of"),
    (lambda r: r["kinds"][2]["when"].update(old=True), "rule 'age in time units': unknown condition 'old'"),
    (lambda r: r["kinds"][2]["when"].update(age_cue="yes"), "rule 'age in time units': `age_cue` must be true or false"),
    (lambda r: r["kinds"][0].update(colour="red"), "rule 'dose unit': unknown key(s) colour"),
    (lambda r: r["kinds"].pop(), "the last rule ('count') must have no conditions"),
    (lambda r: r.update(kindz=[]), "unknown key(s) kindz"),
])
def test_kinds_bad_rules_are_rejected_naming_the_rule(edit, message):
    rules = copy.deepcopy(RULES)
    edit(rules)
    with pytest.raises(RuleFileError) as err:
        KindRules(rules, source="my_kinds.json")
    assert str(err.value).startswith(f"[E002] bad rule in my_kinds.json: {message}")
