"""`CharSpans`: the same spans as `doc.char_span(..., alignment_mode="expand")`, on criteria
text and on any text and offsets."""
import pytest
import spacy
from hypothesis import given, settings, strategies as st

import criteria_nlp
from criteria_nlp.doctext import CharSpans

_BLANK = spacy.blank("en")


@pytest.fixture(scope="module")
def rules():
    return criteria_nlp.load(entities=False)


def _key(span):
    return None if span is None else (span.start, span.end, span.label_)


def test_char_spans_on_a_seed_criterion(rules):
    text = "  -  Platelets ≥ 100 x 10^9/L;  absolute neutrophil count (ANC) \\>= 1.5\n"
    doc = rules.make_doc(text)
    spans = CharSpans(doc)
    start = text.index("Platelets")
    assert spans.expand(start, start + 9, "Measurement").text == "Platelets"
    assert _key(spans.expand(start + 2, start + 11)) == _key(doc.char_span(start + 2, start + 11, alignment_mode="expand"))
    number = text.index("100")
    assert spans.expand(number - 1, number + 2).text == "100"  # from the space after `≥`: the next token
    assert spans.expand(start - 1, start + 4).text == " Platelets"  # the second of two spaces is a token
    assert spans.expand(len(text), len(text) + 3) is None


@settings(deadline=None, max_examples=300)
@given(st.text(alphabet=st.sampled_from(list("ab1 ≥<(),.\n\t-")), max_size=40), st.data())
def test_char_spans_match_char_span(text, data):
    doc = _BLANK(text)
    start = data.draw(st.integers(-2, len(text) + 2))
    end = data.draw(st.integers(start, len(text) + 3))
    expected = doc.char_span(start, end, label="X", alignment_mode="expand")
    assert _key(CharSpans(doc).expand(start, end, "X")) == _key(expected)


def test_char_spans_in_the_pipeline_keep_offsets(rules):
    document = criteria_nlp.annotate("Hemoglobin ≥ 9 g/dL and platelets ≥ 100 x 10^9/L", nlp=rules)
    assert [(c.text, c.subject.text) for c in document.constraints] == \
        [("≥ 9 g/dL", "Hemoglobin"), ("≥ 100 x 10^9/L", "platelets")]
