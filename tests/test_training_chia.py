"""The Chia converter's span rules: every gold span is kept or counted under a named rule."""
import pytest

from criteria_nlp.evaluate.brat import parse_ann
from criteria_nlp.training import _blank_with_tokenizer, raw_texts
from criteria_nlp.evaluate.brat import read_brat
from criteria_nlp.training.chia import (LCT_LABELS, RULES, ConversionReport, chia_doc,
                                        convert_corpus, flat_spans)


@pytest.fixture(scope="module")
def blank():
    return _blank_with_tokenizer()


def _convert(blank, text, ann):
    report = ConversionReport()
    doc = chia_doc(blank, parse_ann(ann, text=text, doc_id="NCT00000000_inc"), report)
    return doc, report


@pytest.mark.parametrize(
    "text,ann,ents,rule,count",
    [
        # a label that is no entity type is skipped and counted
        ("Severe asthma.\n", "T1\tCondition 7 13\tasthma\nT2\tParsing_Error 0 14\tSevere asthma.",
         [("asthma", "Condition")], "not_entity_type", 1),
        # a discontinuous span becomes its covering span; the conjunct inside it goes
        ("hepatic or renal failure\n",
         "T1\tCondition 0 7;17 24\thepatic failure\nT2\tCondition 11 24\trenal failure",
         [("hepatic or renal failure", "Condition")], "discontinuous_covered", 1),
        # of two overlapping spans the longer one stays
        ("within 30 days prior to study entry\n",
         "T1\tTemporal 0 35\twithin 30 days prior to study entry\nT2\tReference_point 24 35\tstudy entry",
         [("within 30 days prior to study entry", "Temporal")], "overlap_dropped", 1),
        # a boundary inside a token moves out to the token's edge
        ("chronic hepatitis\n", "T1\tCondition 8 13\thepat",
         [("hepatitis", "Condition")], "expanded_to_tokens", 1),
        # a span across a line end is cut to its first line
        ("Diabetes\nAsthma\n", "T1\tCondition 0 15\tDiabetes Asthm",
         [("Diabetes", "Condition")], "across_lines", 1),
    ],
)
def test_training_chia_span_rules(blank, text, ann, ents, rule, count):
    doc, report = _convert(blank, text, ann)
    assert [(e.text, e.label_) for e in doc.ents] == ents
    assert report.rules[rule] == count
    assert report.rules["kept"] == len(ents)
    assert set(report.to_dict()["rules"]) == set(RULES)


@pytest.mark.parametrize(
    "text,ann,want",
    [
        # the Doc's text is normalized as at run time; the gold offsets follow the map
        ("IgA \\<10 mg/dL\r\nAge ≥ 18\r\n", "T1\tValue 4 14\t\\<10 mg/dL\nT2\tValue 20 24\t≥ 18",
         [("<10 mg/dL", "Value"), ("≥ 18", "Value")]),
    ],
)
def test_training_chia_offsets_follow_normalization(blank, text, ann, want):
    doc, _ = _convert(blank, text, ann)
    assert [(e.text, e.label_) for e in doc.ents] == want
    assert "\\" not in doc.text


@pytest.mark.parametrize("split,documents", [("dev", 406)])
def test_training_chia_convert_corpus_counts_every_span(corpora, split, documents):
    docbin, report = convert_corpus(_blank_with_tokenizer(), corpora / "chia", split)
    assert len(docbin) == report.documents == documents
    counted = sum(report.rules[rule] for rule in ("not_entity_type", "overlap_dropped", "kept"))
    assert counted == report.spans  # every gold span is kept or dropped by a named rule


@pytest.mark.parametrize("spans,kept", [
    ([(0, 10, "Condition"), (0, 10, "Condition")], [(0, 10, "Condition")]),
    ([(0, 5, "Drug"), (3, 9, "Condition"), (10, 12, "Value")], [(3, 9, "Condition"), (10, 12, "Value")]),
])
def test_training_chia_flat_spans_resolve_overlaps(spans, kept):
    text = "x" * 20
    ann = "\n".join(f"T{i}\t{label} {s} {e}\t{text[s:e]}" for i, (s, e, label) in enumerate(spans, 1))
    report = ConversionReport()
    assert flat_spans(parse_ann(ann, text=text), report) == kept
    assert report.rules["overlap_dropped"] == len(spans) - len(kept)


def test_training_lct_doc_is_partial(blank, corpora):
    """LCT gives Condition, Drug and Procedure spans; every other token is unknown, not O."""
    report = ConversionReport()
    doc = chia_doc(blank, read_brat(corpora / "lct" / "NCT03860012.txt"), report,
                   labels=LCT_LABELS, partial=True)
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("inflammatory bowel disease", "Condition"), ("methotrexate", "Drug"),
        ("treatment", "Procedure"), ("folic acid", "Drug")]
    folate = next(t for t in doc if t.text == "folate")  # LCT Observation: left unlabelled
    assert folate.ent_iob_ == "" and doc[doc.ents[0].end].ent_iob_ == ""
    assert report.rules["kept"] == 4 and report.skipped_labels["Observation"] == 2


def test_training_raw_texts_leave_out_dev(corpora):
    from criteria_nlp.evaluate.splits import split_of

    rows = list(raw_texts(corpora))
    dev_line = next(line for path in sorted((corpora / "chia").glob("*.txt")) if split_of(path.stem) == "dev"
                    for line in path.read_text(encoding="utf-8").splitlines() if len(line) > 60)
    assert len(rows) > 10_000 and all(row["text"].strip() for row in rows)
    assert dev_line.strip() not in {row["text"] for row in rows}


@pytest.mark.slow
@pytest.mark.parametrize("pretrain", [False, True])
def test_training_train_writes_a_loadable_recognizer(corpora, tmp_path, pretrain):
    import shutil

    import spacy

    from criteria_nlp.evaluate.splits import split_of
    from criteria_nlp.training import train

    chia = tmp_path / "corpora" / "chia"
    chia.mkdir(parents=True)
    names = ["NCT00050349_inc", "NCT00050349_exc"]
    names += [p.stem for p in sorted((corpora / "chia").glob("*.txt")) if split_of(p.stem) == "dev"][:2]
    for name in names:
        for suffix in (".txt", ".ann"):
            shutil.copy(corpora / "chia" / f"{name}{suffix}", chia)
    result = train(tmp_path / "corpora", tmp_path / "out", workdir=tmp_path / "work", pretrain=pretrain,
                   overrides={"training.max_steps": 2, "training.eval_frequency": 1,
                              "pretraining.max_epochs": 1})
    nlp = spacy.load(tmp_path / "out")
    assert nlp.pipe_names == ["tok2vec", "ner"]
    assert nlp.meta["criteria_nlp"]["pretrained"] is pretrain
    assert result["conversion"]["train"]["documents"] == sum(split_of(n) == "train" for n in names)
    assert "Condition" in nlp.get_pipe("ner").labels


def test_training_chia_reads_a_corrected_brat_export_as_training_data(blank, tmp_path):
    """An `export --format brat` folder, as reviewers correct it, converts like Chia: its
    entities become the training Docs' entities (what `train --gold FOLDER` adds)."""
    from pathlib import Path

    import criteria_nlp
    from criteria_nlp.io.brat import write_brat

    seed = Path(__file__).resolve().parents[1] / "corpus" / "seeds" / "NCT07193810.txt"
    document = criteria_nlp.annotate(seed.read_text(encoding="utf-8"), id="NCT07193810")
    write_brat([document], tmp_path)
    ann = tmp_path / "NCT07193810.ann"  # a reviewer relabels the first Condition as a Drug
    first = next(line for line in ann.read_text(encoding="utf-8").splitlines() if "\tCondition " in line)
    ann.write_text(ann.read_text(encoding="utf-8").replace(first, first.replace("\tCondition ", "\tDrug ", 1)),
                   encoding="utf-8")
    docbin, report = convert_corpus(blank, tmp_path, None)
    doc = next(iter(docbin.get_docs(blank.vocab)))
    relabelled = first.split("\t")[2]
    assert report.documents == 1 and len(doc.ents) >= 10
    assert (relabelled, "Drug") in [(e.text, e.label_) for e in doc.ents]
