"""Hostile input: every record read comes out as one line, bad arguments exit 2 with one line,
and no step reads a criterion in time that grows faster than its length (checked by what
each step does, never by timing)."""
import json
import re
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import criteria_nlp
from conftest import document_spans
from criteria_nlp.cli import app
from criteria_nlp.lexicon import EndAnchored, get_lexicon, phrase_alternation

runner = CliRunner()
SCHEMA = json.loads((Path(criteria_nlp.__file__).parent / "schema" / "document.schema.json")
                    .read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rules():
    return criteria_nlp.load(entities=False)


def _hostile_files(folder: Path) -> dict:
    """Every kind of bad file a registry export can hold -> the error expected on its line
    (None: annotated without error)."""
    files = {
        "nested.json": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        "malformed.json": (b'{"protocolSection": {"eligibilityModule": ', "malformed JSON"),
        "wrong_type.json": (b"42", "not an object"),
        "no_eligibility.json": (json.dumps({"protocolSection": {"identificationModule": {"nctId": "NCT00000001"}}}).encode(),
                                "no protocolSection.eligibilityModule"),
        "binary.txt": (bytes(range(256)) * 8, "binary"),
        "invalid_utf8.txt": (b"Age \xff\xfe >= 18 years\n\xc3\x28 platelets > 100", "[W001]"),
        "rtl_emoji.txt": ("\u202eAge ≥ 18 years\u202c العمر e\u0301\u0301 👩\u200d⚕️ HbA1c < 7 %\n".encode(), None),
        "mixed_endings.txt": (b"Inclusion Criteria:\r\n- Age >= 18\r- HbA1c < 7%\n- BMI 18-30 kg/m2\r\n", None),
        "empty.txt": (b"", "empty text"),
        "blank.txt": (b"   \n\t \r\n", "empty text"),
        "comparators.txt": (("≥" * 20_000 + "\n" + "<" * 20_000).encode(), None),
    }
    for name, (data, _) in files.items():
        (folder / name).write_bytes(data)
    (folder / "seed.gold.json").write_text('{"id": "gold"}', encoding="utf-8")  # skipped by a scan
    return {Path(name).stem: error for name, (_, error) in files.items()}


def test_hostile_directory_one_valid_line_per_record(tmp_path, corpora):
    expected = _hostile_files(tmp_path)
    for path in sorted((corpora / "ctgov-raw").glob("*.txt"))[:5]:
        (tmp_path / path.name).write_bytes(path.read_bytes())
        expected[path.stem] = None
    out = tmp_path / "out" / "annotated.jsonl"
    out.parent.mkdir()
    result = runner.invoke(app, ["annotate", str(tmp_path), "--rules-only", "--output", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    documents = {json.loads(line)["id"]: json.loads(line) for line in lines}
    assert len(lines) == len(documents) == len(expected)  # the gold file is not a record
    assert set(documents) == {("NCT00000001" if k == "no_eligibility" else k) for k in expected}
    for stem, error in expected.items():
        document = documents["NCT00000001" if stem == "no_eligibility" else stem]
        jsonschema.validate(document, SCHEMA)
        if error is None:
            assert not document["errors"], (stem, document["errors"])
        else:
            assert any(error in e for e in document["errors"]), (stem, document["errors"])
    summary = result.stderr.strip().splitlines()[-1]
    assert summary.startswith(f"criteria_nlp annotate: {len(expected)} records, ")
    assert not list(out.parent.glob(".*.part"))


def test_hostile_library_reads_and_annotates_every_record(tmp_path, rules):
    from criteria_nlp.io import read_inputs

    expected = _hostile_files(tmp_path)
    documents = list(criteria_nlp.annotate_records(read_inputs([str(tmp_path)]), nlp=rules))
    assert [d.id for d in documents] == [  # one per file, in file-name order; no gold file
        "binary", "blank", "comparators", "empty", "invalid_utf8", "malformed", "mixed_endings",
        "nested", "NCT00000001", "rtl_emoji", "wrong_type"]
    errors = {d.id: d.errors for d in documents}
    for stem, error in expected.items():  # the library gives each record the CLI's error
        found = errors["NCT00000001" if stem == "no_eligibility" else stem]
        assert (not found) if error is None else any(error in e for e in found), (stem, found)
    assert errors["mixed_endings"] == [] and errors["rtl_emoji"] == []
    mixed = next(d for d in documents if d.id == "mixed_endings")
    assert [(c.text, c.lower and c.lower.value, c.upper and c.upper.value) for c in mixed.constraints] == [
        (">= 18", 18.0, None), ("< 7%", None, 7.0), ("18-30 kg/m2", 18.0, 30.0)]


def test_hostile_jsonl_every_line_is_a_record(tmp_path):
    lines = [
        json.dumps({"id": "ok", "text": "Platelets ≥ 100 ×10^9/L"}),
        json.dumps({"text": "creatinine ≤ 1.5 mg/dL"}),  # no id: the file and line name it
        json.dumps({"id": "no_text"}),
        json.dumps({"id": "number", "text": 12}),
        json.dumps([1, 2, 3]),
        "{not json",
        "[" * 50_000 + "]" * 50_000,
        json.dumps({"id": "too_long", "text": "a" * 1_000_001}),
    ]
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["annotate", str(path), "--rules-only"])
    assert result.exit_code == 0, result.output
    documents = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(documents) == len(lines)
    assert [bool(d["errors"]) for d in documents] == [False, False, True, True, True, True, True, True]
    assert documents[1]["constraints"][0]["upper"] == {"value": 1.5, "inclusive": True}
    assert "nested too deeply" in documents[6]["errors"][0]
    assert "[E007]" in documents[7]["errors"][0] and "1,000,000" in documents[7]["errors"][0]


@pytest.mark.parametrize("make_args,message", [
    (lambda tmp: ["--output", str(tmp)], "is a directory"),
    (lambda tmp: ["--output", str(tmp / "missing" / "out.jsonl")], "does not exist"),
    (lambda tmp: ["--model", str(tmp / "no_model")], "cannot load the pipeline"),
])
def test_hostile_unusable_arguments_exit_2_with_one_line(tmp_path, make_args, message):
    text = tmp_path / "a.txt"
    text.write_text("Age ≥ 18 years", encoding="utf-8")
    result = runner.invoke(app, ["annotate", str(text), "--rules-only", *make_args(tmp_path)])
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]  # nothing half-written


def test_hostile_time_budget_stops_one_document_and_goes_on(rules, monkeypatch):
    import criteria_nlp.pipeline.quantities as quantities

    slow_text = "SLOW platelets ≥ 100"
    original = quantities.QuantityFinder.match

    def stalls_on_marker(self, doc, *args):
        while "SLOW" in doc.text:  # a step that never ends on this document
            pass
        return original(self, doc, *args)

    monkeypatch.setattr(quantities.QuantityFinder, "match", stalls_on_marker)
    items = [("a", "Age ≥ 18 years"), ("b", slow_text), ("c", "BMI < 30 kg/m2")]
    documents = list(criteria_nlp.annotate_texts(items, nlp=rules, time_budget=0.5))
    assert [d.id for d in documents] == ["a", "b", "c"]
    assert documents[1].errors == ["[E008] stopped after the time budget of 0.5 s"]
    assert documents[0].constraints[0].lower.value == 18 and documents[2].constraints[0].upper.value == 30


def test_hostile_long_document_runs_alone_with_recognizer_in_pieces(nlp):
    from criteria_nlp.batch import LONG_DOCUMENT

    seed = (Path(__file__).resolve().parents[1] / "corpus" / "seeds" / "NCT07193810.txt").read_text(encoding="utf-8")
    copies = LONG_DOCUMENT // len(seed.split()) + 2
    text = "\n".join([seed] * copies)
    single = criteria_nlp.annotate(seed, nlp=nlp)
    document = criteria_nlp.annotate(text, nlp=nlp)
    assert len(text.split()) > LONG_DOCUMENT and not document.errors
    assert len(document.constraints) == copies * len(single.constraints)
    assert [(c.text, c.lower, c.upper) for c in document.constraints[-len(single.constraints):]] == \
        [(c.text, c.lower, c.upper) for c in single.constraints]
    assert len(document.entities) > copies * len(single.entities) * 0.9  # the recognizer ran on every piece
    for span in document_spans(document):
        assert text[span.start:span.end] == span.text


def test_hostile_time_budget_stops_a_long_document_in_its_recognizer(nlp):
    """The recognizer of a long document runs pieces in a helper thread: a stop for the time
    budget leaves no thread behind and the next document comes out whole."""
    import threading

    text = "Platelets ≥ 100 x 10^9/L and no history of stroke or myocardial infarction\n" * 800
    threads = threading.active_count()
    documents = list(criteria_nlp.annotate_texts([("long", text), ("next", "Age ≥ 18 years")],
                                                 nlp=nlp, time_budget=0.3))
    assert documents[0].errors == ["[E008] stopped after the time budget of 0.3 s"]
    assert documents[1].constraints[0].lower.value == 18 and not documents[1].errors
    assert threading.active_count() == threads


def test_hostile_context_cue_limit_is_reported(rules):
    text = "Age ≥ 18 years\n" + "no " * 100 + "platelets < 100"
    document = criteria_nlp.annotate(text, nlp=rules)
    assert any(e.startswith("[W002]") and "100 ConText cues" in e for e in document.errors)
    assert document.constraints[0].lower.value == 18


def test_hostile_abbreviation_brackets_as_scispacy_finds_them(rules, corpora):
    """The linear bracket finder gives scispaCy's matcher output (after its 8-token filter)."""
    from scispacy.abbreviation import AbbreviationDetector

    from criteria_nlp.pipeline.abbreviations import _bracketed

    detector = AbbreviationDetector(rules, name="test_scispacy")
    texts = [p.read_text(encoding="utf-8") for p in sorted((corpora / "ctgov-raw").glob("*.txt"))[:150]]
    for doc in rules.pipe(texts):
        expected = [(s + 1, e - 1) for _, s, e in detector.matcher(doc) if e - s - 2 <= 8]
        assert [(s, e) for _, s, e in _bracketed(doc)] == expected


_PHRASE_PIECES = ["less", "than", "not", "more", "at", "least", "greater", "or", "equal", "to",
                  "≥", "<", ">", "=", "score", "of", "grade", "ECOG", ":", "(", " ", "  ", "\n", "-", "x", "1",
                  "LESS", "Than", "ſcore", "\u212aarnofsky", "İ", "ı"]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(_PHRASE_PIECES), max_size=14), st.integers(0, 40))
def test_hostile_end_anchored_matches_the_regex_it_replaces(pieces, back):
    """EndAnchored finds what `re.search(phrases + gap + "$")` finds, at one position."""
    text = " ".join(pieces)
    lex = get_lexicon()
    hi = len(text)
    lo = max(0, hi - back)
    for phrases, gap, gap_reversed in [
        (lex.comparators_before, r"\s*", r"\s*"),
        (lex.data["scale_words"], r"[\s:(\[\]]*(?:of\s+)?", r"(?:\s+fo)?[\s:(\[\]]*"),
        (lex.data["scale_bare_words"], r"\s*(?:of\s+|:\s*|=\s*)?", r"(?:\s+fo|\s*:|\s*=)?\s*"),
    ]:
        old = re.compile(phrase_alternation(phrases) + gap + "$", re.IGNORECASE).search(text, lo, hi)
        new = EndAnchored(phrases, re.IGNORECASE, gap_reversed=gap_reversed).search(text, lo, hi)
        assert (old and (old.start(), old.group())) == (new and (new.start(), new.group()))


def _plain_alternation(phrases):
    """The definition `phrase_alternation` implements: every phrase a branch of its own,
    longest first, a lookbehind for the word boundary opening each (slow: no branch can be
    skipped by its first character)."""
    parts = []
    for phrase in sorted(set(phrases), key=len, reverse=True):
        body = r"\s+".join(re.escape(w) for w in phrase.split())
        if phrase[:1].isalnum():
            body = r"(?<![\w-])" + body
        if phrase[-1:].isalnum():
            body = body + r"(?![\w])"
        parts.append(body)
    return "(?:" + "|".join(parts) + ")"


_CASED_PIECES = ["Age", "AGED", "aged", "years", "Years of age", "older", "prior", "Screening",
                 "İ", "ı", "ſ", "\u212a", "K", "k", "s", "ULN", "uln", "x", "times", "-", "(", " ",
                 "\n", "positive", "NEGATIVE", "+", "HIV+", "one", "hundred", "three (3)", "≥"]


@settings(max_examples=300)
@given(st.lists(st.sampled_from(_CASED_PIECES), max_size=14).map(" ".join)
       | st.text(st.sampled_from("aAkKsSiIİıſ\u212a -+(≥1"), max_size=30))
def test_hostile_grouped_alternation_matches_every_phrase_alone(text):
    """Grouping the phrases by first character finds what one branch per phrase finds."""
    lex = get_lexicon()
    for phrases in (lex.data["age_words_before"], lex.data["qualitative_values"], lex.number_words,
                    lex.data["anchors"], lex.references, ["k", "s", "i", "K+", "ss", "a b"]):
        grouped = re.compile(phrase_alternation(phrases), re.IGNORECASE)
        plain = re.compile(_plain_alternation(phrases), re.IGNORECASE)
        assert [m.span() for m in grouped.finditer(text)] == [m.span() for m in plain.finditer(text)]


@settings(max_examples=60)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=400)
       | st.lists(st.sampled_from(["≥", "<", "-", "1-", "12", "platelets >= 100 ", "(", ")", "\n",
                                   "$\\geq 7$", " mg/dL", "× ULN", "within 4 weeks", "no ", "\r\n"]),
                  max_size=80).map("".join))
def test_hostile_property_any_text_annotates_and_maps_back(rules, text):
    document = criteria_nlp.annotate(text, nlp=rules)
    assert document.text == text
    for span in document_spans(document):
        assert text[span.start:span.end] == span.text
    for constraint in document.constraints:
        if constraint.lower is not None and constraint.upper is not None:
            assert constraint.lower.value <= constraint.upper.value
    jsonschema.validate(json.loads(document.to_json()), SCHEMA)


@settings(max_examples=100)
@given(st.lists(st.sampled_from(["≥", "<", "a", "1", "-", " ", "\n", "x" * 300, "≥" * 300]), max_size=40).map("".join))
def test_hostile_tokenizer_keeps_the_text_of_long_runs(rules, text):
    from criteria_nlp.normalize import normalize
    from criteria_nlp.pipeline.tokenizer import LONG_RUN

    doc = rules.make_doc(text)
    assert doc.text == normalize(text).text
    assert all(len(token) <= LONG_RUN for token in doc)


@pytest.mark.parametrize("text,first,last", [
    ("positive " * 6 + "HIV", "HIV", "HIV"),
    # a longer run of words skipped before a subject ends the search: no subject after it
    ("positive " * 8 + "HIV", None, "HIV"),
])
def test_hostile_subject_search_right_skips_a_bounded_run(rules, text, first, last):
    document = criteria_nlp.annotate(text, nlp=rules)
    subjects = [e.subject.text if e.subject else None for e in document.entities if e.label == "Value"]
    assert subjects[0] == first and subjects[-1] == last
    skipped = criteria_nlp.annotate("at least one positive myositis-specific autoantibody", nlp=rules)
    assert skipped.constraints[0].subject.text == "myositis-specific autoantibody"


@pytest.mark.parametrize("text,value,subject", [
    # a value reads only the stretch after the value before it, no subject starts with `/`,
    # and a value followed by `/` is one of a list whose subjects stand on their left
    ("HBsAg negative/HBcAb positive/hepatitis B virus DNA negative", -1, "hepatitis B virus DNA"),
    ("HBsAg negative/HBcAb positive/hepatitis B virus DNA negative", 1, "HBcAb"),
    ("HBsAg negative/HBcAb positive/hepatitis B virus DNA negative", 0, "HBsAg"),
])
def test_hostile_value_subject_reads_its_own_stretch(rules, text, value, subject):
    document = criteria_nlp.annotate(text, nlp=rules)
    values = [e for e in document.entities if e.label == "Value"]
    assert values[value].subject.text == subject
