"""The linker, the ConText component and `build.py`, each on its own: the component run on
a Doc that the components before it have filled, its own output read directly."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

import criteria_nlp
from criteria_nlp.build import build_document
from criteria_nlp.normalize import normalize


@pytest.fixture(scope="module")
def rules():
    return criteria_nlp.load(entities=False)


def run_until(nlp, text, last):
    """The Doc after the pipeline's components up to and including `last`."""
    doc = nlp.make_doc(text)
    for name, proc in nlp.pipeline:
        doc = proc(doc)
        if name == last:
            return doc
    raise ValueError(last)


def subjects(doc):
    text = doc.text
    links = [(span._.criteria_quantity, span._.criteria_link) for span in doc.spans["quantities"]]
    return [(text[r.start:r.end], link.subject and text[link.subject.start:link.subject.end]) for r, link in links]


# --------------------------------------------------------------------------- linker


@pytest.mark.parametrize(
    "text,expected",
    [
        ("IgA deficiency (serum IgA level <10 mg/dL).", [("<10 mg/dL", "serum IgA level")]),
        ("Major surgery within 4 weeks prior to screening", [("within 4 weeks", "Major surgery")]),
        # the second threshold has no words of its own: it inherits, across an aside
        ("AST <2.5 × ULN (<5 × ULN if liver metastases are present)",
         [("<2.5 × ULN", "AST"), ("<5 × ULN", "AST")]),
        # a second window inherits across the first window's anchor
        ("rituximab within 6 months prior to screening or within 5 half-lives",
         [("within 6 months", "rituximab"), ("within 5 half-lives", "rituximab")]),
        # an age word before the first age is the subject of the next one too, not its unit
        ("Age < 20 or > 70 years", [("< 20", "Age"), ("> 70 years", "Age")]),
        ("an infant age of 6 months (±3 weeks)", [("6 months", "age"), ("3 weeks", "age")]),
        # a scale's own word after a bracket: the stages are those of the phrase before it
        ("Diagnosis of periodontitis (stages III or IV) that may require surgery",
         [("III or IV", "periodontitis")]),
        # a comparator after the number: the subject follows it, and a comparator ends it
        ("145 mmHg ≤ msSBP ≤ 190 mmHg", [("145 mmHg ≤", "msSBP"), ("≤ 190 mmHg", "msSBP")]),
        ("Body mass index (BMI): 18 ≤ BMI ≤ 32 kg/m²", [("18 ≤", "BMI"), ("≤ 32 kg/m^2", "BMI")]),
        ("2.0 mmol/L < serum potassium", [("2.0 mmol/L <", "serum potassium")]),
        # whom the first threshold holds for, then the second: the same subject
        ("hemoglobin ≥ 13 g/dL for men and ≥ 12 g/dL for women",
         [("≥ 13 g/dL", "hemoglobin"), ("≥ 12 g/dL", "hemoglobin")]),
        ("alcohol intake > 21 units/week for males, > 14 units/week for females",
         [("> 21 units/week", "alcohol intake"), ("> 14 units/week", "alcohol intake")]),
        ("Hb > 10 g/dL for men and platelets > 100", [("> 10 g/dL", "Hb"), ("> 100", "platelets")]),
        # a score's scale named after it: `on the X`
        ("sleep apnea (with a score of > 10 on the Epworth sleepiness scale)", [("> 10", "Epworth sleepiness scale")]),
        ("a score of >18 on the MADRS at screening", [(">18", "MADRS")]),
    ],
)
def test_components_linker_subjects(rules, text, expected):
    doc = run_until(rules, text, "criteria_linker")
    assert subjects(doc) == expected


def test_components_linker_takes_the_entity_before_the_bracket_a_threshold_opens(nlp):
    """With no reading of the rules (the aside goes on: `using ...`), a recognised entity right
    before the bracket is the subject of the thresholds inside it."""
    doc = run_until(nlp, "Subject has lower handgrip strength (<26 kg in men; <18 kg in women) using dynamometer",
                    "criteria_linker")
    assert subjects(doc) == [("<26 kg", "lower handgrip strength"), ("<18 kg", "lower handgrip strength")]


def test_components_linker_keeps_coordinated_members(nlp):
    """Members come from recognised entities: the default pipeline."""
    doc = run_until(nlp, "No history of myocardial infarction or stroke within the past 6 months", "criteria_linker")
    (span,) = doc.spans["quantities"]
    members = [doc.text[m.start:m.end] for m in span._.criteria_link.members]
    assert members == ["myocardial infarction", "stroke"]


@pytest.mark.parametrize(
    "text,component",
    [("SBP >140 mmHg", "systolic"), ("diastolic blood pressure >90 mmHg", "diastolic"),
     ("systolic/diastolic blood pressure >140 mmHg", None), ("hemoglobin >9 g/dL", None)],
)
def test_components_linker_component_from_the_subject(rules, text, component):
    doc = run_until(rules, text, "criteria_linker")
    assert [span._.criteria_link.component for span in doc.spans["quantities"]] == [component]


# --------------------------------------------------------------------------- ConText


@pytest.mark.parametrize(
    "text,flag",
    [
        ("No platelet count <50 × 10^9/L", "negated"),
        ("If receiving oral glucocorticoids, the dose must be ≤40 mg/day", "hypothetical"),
        ("History of hemoglobin <8 g/dL", "historical"),
    ],
)
def test_components_context_sets_the_flag_on_the_record(rules, text, flag):
    doc = run_until(rules, text, "criteria_context")
    (span,) = doc.spans["quantities"]
    marks = span._.criteria_flags
    assert getattr(marks, flag) is True
    assert all(getattr(marks, other) is False for other in ("negated", "hypothetical", "historical") if other != flag)


def test_components_context_scope_ends_with_the_criterion(rules):
    """`No` in one criterion does not negate the next one."""
    doc = run_until(rules, "Inclusion Criteria:\n- No anemia\n- hemoglobin ≥ 10 g/dL\n", "criteria_context")
    (span,) = doc.spans["quantities"]
    assert span._.criteria_flags.negated is False


def test_components_context_cues_are_medspacys_matches(rules):
    """The cue matcher finds what medspaCy's own matcher finds for the same rules: the same
    rule, at the same tokens, after the same pruning of overlaps."""
    from medspacy.common.medspacy_matcher import MedspacyMatcher
    from medspacy.context import ConTextRule

    from criteria_nlp.pipeline.context import _exact_rules

    context = rules.get_pipe("criteria_context")
    reference = MedspacyMatcher(rules, name="reference", phrase_matcher_attr="LOWER", prune=True)
    reference.add([ConTextRule.from_dict(exact) for rule in context.rule_data["context_rules"]
                   for exact in _exact_rules(rule)])
    text = ("Exclusion Criteria:\n- No more than 2 prior regimens, not to exceed 6 cycles\n"
            "- Patients who don't have, or deny, a history of MI but not if applicable\n"
            "- Family hx stroke; plans to become pregnant; whether or not treated\n")
    doc = rules.make_doc(text)
    expected = [(reference.rule_map[rules.vocab[key].text].literal, start, end) for key, start, end in reference(doc)]
    found = [(context.matcher.rule_map[key].literal, start, end) for key, start, end in context.matcher(doc)]
    assert found == expected
    assert ("no more than", 5, 8) in found and ("not to exceed", 12, 15) in found


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 20), st.integers(1, 6)), max_size=16))
def test_components_context_pruning_is_medspacys(rules, spans):
    from medspacy.common.util import prune_overlapping_matches

    from criteria_nlp.pipeline.context import CueMatcher

    matches = [(key, start, start + length) for key, start, length in spans]
    matcher = CueMatcher(rules, [])  # the pruning alone, over given matches
    matcher.phrases = lambda doc: matches
    assert matcher(None) == (prune_overlapping_matches(list(matches)) if matches else [])


def test_components_context_flags_recognised_entities(nlp):
    doc = run_until(nlp, "No history of stroke", "criteria_context")
    stroke = next(e for e in doc.ents if e.text == "stroke")
    assert stroke._.criteria_context["negated"] is True


# --------------------------------------------------------------------------- build


def test_components_build_maps_offsets_to_the_text_as_given(rules):
    text = "SLEDAI-2000 score $\\geq 7$ at screening; hemoglobin &gt;= 9 g/dL"
    document = build_document(rules(text))
    assert normalize(text).changed
    for constraint in document.constraints:
        assert text[constraint.start:constraint.end] == constraint.text
    assert [c.lower.value for c in document.constraints] == [7.0, 9.0]


def test_components_build_a_doc_restored_from_bytes_maps_offsets_too(rules):
    """The tokenizer's offset map is kept per Doc object; a Doc read back from bytes has
    none, and build normalizes its source text again to the same offsets."""
    from spacy.tokens import Doc

    from criteria_nlp.doctext import doc_text, normalization

    text = "SLEDAI-2000 score $\\geq 7$ at screening; hemoglobin &gt;= 9 g/dL"
    doc = rules(text)
    restored = Doc(rules.vocab).from_bytes(doc.to_bytes())
    assert normalization(doc).source == text and normalization(restored) is None
    assert doc_text(restored) == doc_text(doc) == doc.text
    assert build_document(restored).model_dump() == build_document(doc).model_dump()


def test_components_build_paired_value_and_alternatives_keep_their_indexes(rules):
    text = "BP ≥140/90 mmHg; creatinine >2.5 mg/dL or 221 µmol/L"
    document = build_document(rules(text))
    got = [(c.text, c.component, c.lower.value, c.alternative_of) for c in document.constraints]
    assert got == [("≥140/90 mmHg", "systolic", 140.0, None), ("≥140/90 mmHg", "diastolic", 90.0, None),
                   (">2.5 mg/dL", None, 2.5, None), ("221 µmol/L", None, 221.0, 2)]


def test_components_build_negated_flag_reaches_constraint_and_entity(rules):
    document = build_document(rules("No platelet count <50 × 10^9/L"))
    (constraint,) = document.constraints
    assert constraint.negated is True
    value = next(e for e in document.entities if e.start == constraint.start and e.end == constraint.end)
    assert value.negated is True


def test_components_build_criterion_logic(rules):
    text = "  -  Two or more of the following:\n       -  fever\n       -  cough\n"
    document = build_document(rules(text))
    assert [(c.require.lower.value if c.require else None, c.parent) for c in document.criteria] == [
        (2.0, None), (None, 0), (None, 0)]
