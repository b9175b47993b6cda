"""The whole pipeline: contract offsets on every document, serialization, schema, bad input."""
import json
import pickle
from pathlib import Path

import jsonschema
import pytest
import spacy
from spacy.tokens import DocBin

import criteria_nlp
from criteria_nlp.records import QuantityRecord
from conftest import document_spans
from criteria_nlp.io import Record, read_inputs
from criteria_nlp.schemas import document_json_schema

SCHEMA_FILE = Path(criteria_nlp.__file__).parent / "schema" / "document.schema.json"
PIPE_NAMES = ["criteria_segmenter", "tok2vec", "ner", "criteria_abbreviations", "criteria_quantities",
              "criteria_linker", "criteria_context"]
RULES_PIPE_NAMES = [name for name in PIPE_NAMES if name not in ("tok2vec", "ner")]


def test_pipeline_components(nlp):
    assert nlp.pipe_names == PIPE_NAMES
    assert nlp.get_pipe_meta("criteria_quantities").assigns


def test_pipeline_rules_only_leaves_out_the_recognizer():
    rules = criteria_nlp.load(entities=False)
    assert rules.pipe_names == RULES_PIPE_NAMES
    document = criteria_nlp.annotate("Hemoglobin < 9 g/dL", nlp=rules)
    assert [(e.text, e.label) for e in document.entities] == [("Hemoglobin", "Measurement"), ("< 9 g/dL", "Value")]


@pytest.mark.slow
def test_pipeline_ctgov_raw_every_span_maps_back(nlp, corpora):
    records = list(read_inputs([str(corpora / "ctgov-raw")]))
    assert len(records) == 1198
    n_constraints = 0
    for document in criteria_nlp.annotate_records(records, nlp=nlp):
        assert not document.errors, (document.id, document.errors)
        for span in document_spans(document):
            assert document.text[span.start:span.end] == span.text, (document.id, span)
        n_constraints += len(document.constraints)
    assert n_constraints > 2500


def test_pipeline_output_validates_against_shipped_schema(nlp, seeds_v2):
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    for document in criteria_nlp.annotate_records(read_inputs([str(seeds_v2)]), nlp=nlp):
        jsonschema.validate(json.loads(document.to_json()), schema)
        assert document.structured is not None and document.structured.sex == "ALL"


def test_pipeline_shipped_schema_is_current():
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == document_json_schema()


@pytest.mark.parametrize(
    "text", ["AST/ALT \\>2× upper limit of normal (ULN); hemoglobin \\<85 g/L, platelet count \\<50×10⁹/L."]
)
def test_pipeline_docbin_and_pickle_round_trip(nlp, text):
    doc = nlp(text)
    doc_bin = DocBin(store_user_data=True)
    doc_bin.add(doc)
    restored = list(DocBin().from_bytes(doc_bin.to_bytes()).get_docs(nlp.vocab))[0]
    for other in (restored, pickle.loads(pickle.dumps(doc))):
        # each component's typed record on each threshold span
        assert [(s._.criteria_quantity, s._.criteria_link, s._.criteria_flags) for s in other.spans["quantities"]] == \
            [(s._.criteria_quantity, s._.criteria_link, s._.criteria_flags) for s in doc.spans["quantities"]]
        assert all(isinstance(s._.criteria_quantity, QuantityRecord) for s in other.spans["quantities"])
        assert [(e.text, e.label_, e._.criteria_context) for e in other.ents] == \
            [(e.text, e.label_, e._.criteria_context) for e in doc.ents]
        assert [s.text for s in other.spans["quantities"]] == [s.text for s in doc.spans["quantities"]]
        assert other._.criteria_source == text


def test_pipeline_pickles_and_annotates_the_same(nlp):
    """A pipeline sent to a process started with `spawn` travels pickled: every component's
    state (word lists, caches rebuilt) comes through."""
    text = "- Systolic blood pressure >160 mmHg; hemoglobin \\<85 g/L\n- Age ≥ 18 years"
    again = pickle.loads(pickle.dumps(nlp))
    before, after = criteria_nlp.annotate(text, nlp=nlp), criteria_nlp.annotate(text, nlp=again)
    assert before == after
    assert [(c.subject.text, c.component) for c in after.constraints[:2]] == \
        [("Systolic blood pressure", "systolic"), ("hemoglobin", None)]


def test_pipeline_saved_to_disk_loads_with_spacy(nlp, tmp_path):
    text = "IgA deficiency (serum IgA level \\<10 mg/dL)."
    nlp.to_disk(tmp_path / "pipeline")
    reloaded = spacy.load(tmp_path / "pipeline")
    assert reloaded.pipe_names == PIPE_NAMES
    before = criteria_nlp.annotate(text, nlp=nlp)
    after = criteria_nlp.annotate(text, nlp=reloaded)
    assert before == after and after.constraints[0].subject.text == "serum IgA level"


@pytest.mark.parametrize(
    "text,reason",
    [("", "empty text"), ("   \n\t ", "empty text")],
)
def test_pipeline_empty_text_gets_an_error_line(nlp, text, reason):
    document = criteria_nlp.annotate(text, id="x", nlp=nlp)
    assert document.id == "x" and document.text == text and reason in document.errors[0]


@pytest.mark.parametrize(
    "text",
    [
        "\x00\x01\x02 binary \xff\xfe junk \x7f",
        "≥≥≥ <<< >>> $$$ \\geq \\\\ $\\text{$ &gt;&lt;&amp; ⁹⁹⁹ ×××",
        "\ud800 lone surrogate ≥ 10 mg/dL",
        "🙂 Age ≥ 18 years 🙂\u200b\u00a0\u2009 hemoglobin\u00a0>\u00a09\u00a0g/dL",
        "x" * 5000,
        "1" * 3000,
        "- \n* \n1. \n",
    ],
)
def test_pipeline_odd_input_never_crashes_and_maps_back(nlp, text):
    document = criteria_nlp.annotate(text, nlp=nlp)
    assert document.text == text
    for span in document_spans(document):
        assert text[span.start:span.end] == span.text


def test_pipeline_batch_keeps_every_record_in_order(nlp):
    records = [Record(id="a", text="Age ≥ 18 years"), Record(id="b", text="", error="malformed JSON at line 2"),
               Record(id="c", text=""), Record(id="d", text="hemoglobin < 9 g/dL")]
    documents = list(criteria_nlp.annotate_records(records, nlp=nlp, batch_size=2))
    assert [d.id for d in documents] == ["a", "b", "c", "d"]
    assert [bool(d.errors) for d in documents] == [False, True, True, False]
    assert documents[3].constraints[0].upper.value == 9


def test_pipeline_huge_document(nlp):
    line = "* Severe lupus nephritis within 8 weeks prior to screening (urinary protein \\>6 g/24 h).\n"
    text = line * 5000  # about 450 KB
    document = criteria_nlp.annotate(text, nlp=nlp)
    assert len(document.constraints) == 10000 and not document.errors
    last = document.constraints[-1]
    assert text[last.start:last.end] == "\\>6 g/24 h"


def test_pipeline_multiprocess_matches_single(nlp, corpora):
    files = sorted((corpora / "ctgov-raw").glob("*.txt"))[:40]
    items = [(f.stem, f.read_text(encoding="utf-8")) for f in files]
    single = list(criteria_nlp.annotate_texts(items, nlp=nlp))
    multi = list(criteria_nlp.annotate_texts(items, nlp=nlp, n_process=2, batch_size=8))
    assert single == multi


def test_pipeline_component_failure_is_reported_on_its_record():
    from spacy.language import Language

    @Language.component("test_fails_on_marker")
    def fails_on_marker(doc):
        if "MARKER" in doc.text:
            raise RuntimeError("component broke")
        return doc

    fresh = criteria_nlp.load()
    fresh.add_pipe("test_fails_on_marker", after="criteria_quantities")
    items = [("a", "Age ≥ 18 years"), ("b", "MARKER hemoglobin < 9 g/dL"), ("c", "BMI < 30 kg/m2")]
    for batch_size in (2, 3):  # the failing record in the middle of a batch, and ending one
        documents = list(criteria_nlp.annotate_texts(items, nlp=fresh, batch_size=batch_size))
        assert [(d.id, d.text) for d in documents] == items  # each record keeps its own text
        assert [[c.text for c in d.constraints] for d in documents] == [["≥ 18 years"], ["< 9 g/dL"], ["< 30 kg/m2"]]
        assert not documents[0].errors and not documents[2].errors
        assert "component broke" in " ".join(documents[1].errors)


def test_pipeline_qualitative_value_entity_has_subject(nlp):
    document = criteria_nlp.annotate("Negative serum pregnancy test; HIV+ patients", nlp=nlp)
    values = {e.text: e.subject.text for e in document.entities if e.label == "Value"}
    assert values == {"Negative": "serum pregnancy test", "+": "HIV"}
    assert document.constraints == []
