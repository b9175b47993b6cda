"""Tests of criteria_nlp.io: readers, ClinicalTrials.gov structured fields, writers."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from criteria_nlp.errors import InputError
from criteria_nlp.io import (
    Record,
    count_inputs,
    format_interval,
    read_inputs,
    structured_from_ctgov,
    write_json,
    write_jsonl,
    write_table,
)
from criteria_nlp.schemas import Bound, Constraint, Criterion, Document, SpanRef, Structured

SHARED = Path(__file__).resolve().parents[2] / "shared"
SEEDS = SHARED / "seeds" / "ctgov-v2"
CTGOV_RAW = SHARED / "corpora" / "ctgov-raw"

needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed studies not found at {SEEDS}")


def study(nct_id: str | None, criteria: str | None = "Inclusion Criteria:\n* Age >= 18", **fields):
    """A minimal ClinicalTrials.gov API v2 study."""
    eligibility = dict(fields)
    if criteria is not None:
        eligibility["eligibilityCriteria"] = criteria
    protocol = {"eligibilityModule": eligibility}
    if nct_id is not None:
        protocol["identificationModule"] = {"nctId": nct_id}
    return {"protocolSection": protocol}


def write(path: Path, content) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_bytes(content.encode("utf-8"))
    else:
        path.write_text(json.dumps(content), encoding="utf-8")
    return path


# --- readers --------------------------------------------------------------------------


@needs_seeds
@pytest.mark.parametrize(
    "name,nct_id,structured",
    [
        ("NCT06980805.json", "NCT06980805",
         {"minimumAge": "18 Years", "sex": "ALL", "healthyVolunteers": False}),
        ("NCT07193810.json", "NCT07193810",
         {"minimumAge": "18 Years", "maximumAge": "65 Years", "sex": "ALL",
          "healthyVolunteers": False}),
    ],
)
def test_io_reads_seed_study(name, nct_id, structured):
    (record,) = list(read_inputs([str(SEEDS / name)]))
    assert record.id == nct_id
    assert record.error is None
    assert record.text.startswith("Inclusion Criteria")
    assert record.structured == structured
    raw = json.loads((SEEDS / name).read_text(encoding="utf-8"))
    assert record.text == raw["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]


@needs_seeds
@pytest.mark.parametrize("ids", [["NCT06980805", "NCT07193810"]])
def test_io_reads_seed_directory(ids):
    records = list(read_inputs([str(SEEDS)]))
    assert [record.id for record in records] == ids
    assert count_inputs([str(SEEDS)]) == len(ids)


@pytest.mark.parametrize(
    "payload,ids,errors",
    [
        ({"studies": [study("NCT00000001"), study("NCT00000002")]},
         ["NCT00000001", "NCT00000002"], [None, None]),
        ([study("NCT00000003"), study("NCT00000004")],
         ["NCT00000003", "NCT00000004"], [None, None]),
        ({"studies": [study("NCT00000005", criteria=None), study(None)]},
         ["NCT00000005", "batch[1]"], ["eligibilityModule.eligibilityCriteria is missing", None]),
        ({"studies": []}, ["batch"], ["file holds an empty list of studies"]),
        ({"studies": {"a": 1}}, ["batch"], ['"studies" is a JSON dict, not a list']),
        ({"foo": 1}, ["batch"],
         ["not a ClinicalTrials.gov API v2 study: no protocolSection object"]),
    ],
)
def test_io_reads_studies_list(tmp_path, payload, ids, errors):
    path = write(tmp_path / "batch.json", payload)
    records = list(read_inputs([str(path)]))
    assert [record.id for record in records] == ids
    assert [record.error for record in records] == errors
    assert all(record.text == "" for record in records if record.error)
    assert count_inputs([str(path)]) == len(ids)


@pytest.mark.parametrize(
    "fields,structured",
    [
        ({"minimumAge": "6 Months", "sex": "FEMALE"}, {"minimumAge": "6 Months", "sex": "FEMALE"}),
        ({}, {}),
    ],
)
def test_io_study_structured_present_keys_only(tmp_path, fields, structured):
    path = write(tmp_path / "one.json", study("NCT00000009", **fields))
    (record,) = list(read_inputs([str(path)]))
    assert record.structured == structured


@pytest.mark.parametrize(
    "files,ids",
    [
        ({"b.txt": "second", "a.json": study("NCT00000010"), "c.txt": "third",
          "0.json": {"studies": [study("NCT00000011"), study("NCT00000012")]},
          "skip.md": "not read", "skip.jsonl": '{"id": "x", "text": "y"}\n'},
         ["NCT00000011", "NCT00000012", "NCT00000010", "b", "c"]),
        ({"B.TXT": "upper", "a.txt": "lower", ".hidden.txt": "skipped"}, ["B", "a"]),
    ],
)
def test_io_directory_sorted_by_name(tmp_path, files, ids):
    for name, content in files.items():
        write(tmp_path / name, content)
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub" / "nested.txt", "not read: directories are not recursed")
    records = list(read_inputs([str(tmp_path)]))
    assert [record.id for record in records] == ids
    assert all(record.error is None for record in records)


@pytest.mark.parametrize(
    "lines,expected",
    [
        (['{"id": "a", "text": "first"}', '{"id": "b", "text": ', '{"id": "c", "text": "third"}'],
         [("a", "first", None), ("data:2", "", "malformed JSON at line 2"), ("c", "third", None)]),
        (['{"text": "no id"}', "", "   ", '{"id": 7, "text": "int id"}', "[1, 2]",
          '{"id": "n", "text": 5}', '{"id": "m"}', "[" * 100_000],
         [("data:1", "no id", None), ("7", "int id", None),
          ("data:5", "", "line 5 is a JSON list"), ("n", "", '"text" at line 6 is a int'),
          ("m", "", 'no "text" field at line 7'),
          ("data:8", "", "malformed JSON at line 8: nested too deeply")]),
    ],
)
def test_io_jsonl_bad_lines_keep_order(tmp_path, lines, expected):
    path = write(tmp_path / "data.jsonl", "\n".join(lines) + "\n")
    records = list(read_inputs([str(path)]))
    assert [(r.id, r.text) for r in records] == [(i, t) for i, t, _ in expected]
    for record, (_, _, error) in zip(records, expected):
        if error is None:
            assert record.error is None
        else:
            assert record.error is not None and record.error.startswith(error)
    assert records[0].source == f"{path}:1"
    assert count_inputs([str(path)]) == len(expected)


@pytest.mark.parametrize("text", ["Inclusion Criteria:\r\n* Age ≥ 18 years\r\n"])
def test_io_jsonl_is_streamed(tmp_path, text):
    path = write(tmp_path / "s.jsonl", json.dumps({"id": "x", "text": text}) + "\n")
    records = read_inputs([str(path)])
    assert iter(records) is records  # a generator, not a list
    assert next(records).text == text


@pytest.mark.parametrize(
    "stream,text",
    [
        (io.StringIO("Exclusion Criteria:\n* Pregnancy\n"), "Exclusion Criteria:\n* Pregnancy\n"),
        (io.TextIOWrapper(io.BytesIO(b"a\r\nb\r\n"), encoding="utf-8"), "a\r\nb\r\n"),
        (io.StringIO(""), ""),
    ],
)
def test_io_reads_stdin(stream, text):
    (record,) = list(read_inputs(["-"], stdin=stream))
    assert record == Record(id="stdin", text=text, source="-")


@pytest.mark.parametrize(
    "content,text,error,warning",
    [
        (b"\x00\x01\x02\x00" * 64, "", "binary content", None),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "", "binary content (PDF)", None),
        (b"", "", None, None),
        (b"\xef\xbb\xbfAge \xe2\x89\xa5 18\r\n", "Age ≥ 18\r\n", None, None),
        ("Age ≥ 18".encode("utf-16"), "Age ≥ 18", None, None),
        (b"caf\xe9 > 5 \xb5g", "caf\ufffd > 5 \ufffdg", None, "not valid UTF-8"),
    ],
)
def test_io_text_file_encodings(tmp_path, content, text, error, warning):
    path = write(tmp_path / "doc.txt", content)
    (record,) = list(read_inputs([str(path)]))
    assert record.id == "doc"
    assert record.text == text
    assert (record.error is None) if error is None else record.error.startswith(error)
    assert (record.warning is None) if warning is None else record.warning.startswith(warning)


@pytest.mark.parametrize("name", ["criteria.md", "criteria", "notes.TXT"])
def test_io_unknown_extension_read_as_text(tmp_path, name):
    path = write(tmp_path / name, "* BMI < 30 kg/m2\n")
    (record,) = list(read_inputs([str(path)]))
    assert record.text == "* BMI < 30 kg/m2\n" and record.error is None


@pytest.mark.parametrize(
    "content,error",
    [('{"protocolSection": ', "malformed JSON at line 1"),
     ('{\n  "studies": [1,]\n}', "malformed JSON at line 2"),
     (b"\x00\x01\x02", "malformed JSON at line 1"),
     ("[" * 100_000, "malformed JSON: nested too deeply")],
)
def test_io_malformed_json_file_is_one_error_record(tmp_path, content, error):
    path = write(tmp_path / "broken.json", content)
    (record,) = list(read_inputs([str(path)]))
    assert record.id == "broken" and record.text == ""
    assert record.error.startswith(error)


@pytest.mark.parametrize("bad_byte", [b"\xb1", b"\xff"])
def test_io_json_with_invalid_utf8_is_read_with_warning(tmp_path, bad_byte):
    raw = json.dumps(study("NCT00000020", criteria="Age @@ 18"), ensure_ascii=False).encode()
    path = write(tmp_path / "latin.json", raw.replace(b"@@", bad_byte))
    (record,) = list(read_inputs([str(path)]))
    assert record.id == "NCT00000020" and record.error is None
    assert record.text == "Age \ufffd 18"
    assert record.warning.startswith("not valid UTF-8")


@pytest.mark.parametrize(
    "inputs",
    [["missing.txt"], ["present.txt", "missing.txt"], ["missing-dir/"], ["empty-dir"], ["-", "-"]],
)
def test_io_bad_input_raises_before_reading(tmp_path, monkeypatch, inputs):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "present.txt", "text")
    (tmp_path / "empty-dir").mkdir()
    with pytest.raises(InputError) as info:
        read_inputs(inputs)  # raises at the call, not at the first next()
    assert str(info.value).startswith("[E001]")
    assert count_inputs(inputs) is None


@pytest.mark.corpora
@pytest.mark.skipif(not CTGOV_RAW.is_dir(), reason=f"corpus not found at {CTGOV_RAW}")
@pytest.mark.parametrize("expected", [1198])
def test_io_reads_ctgov_raw_corpus(expected):
    records = list(read_inputs([str(CTGOV_RAW)]))
    assert len(records) == expected == count_inputs([str(CTGOV_RAW)])
    assert all(r.error is None and r.warning is None and r.text for r in records)
    assert [r.id for r in records] == sorted(r.id for r in records)


# --- structured fields ----------------------------------------------------------------


@pytest.mark.parametrize(
    "fields,lower,upper,unit,ucum,sex,healthy",
    [
        ({"minimumAge": "18 Years", "maximumAge": "65 Years", "sex": "ALL",
          "healthyVolunteers": False}, 18, 65, "years", "a", "ALL", False),
        ({"minimumAge": "18 Years"}, 18, None, "years", "a", None, None),
        ({"maximumAge": "6 Months", "sex": "female", "healthyVolunteers": True},
         None, 6, "months", "mo", "FEMALE", True),
        ({"minimumAge": "6 Months", "maximumAge": "17 Years"}, 6, 204, "months", "mo", None, None),
        ({"minimumAge": "28 Days", "maximumAge": "1 Week"}, 28, 7, "days", "d", None, None),
        ({"minimumAge": "1 Year", "maximumAge": "12 Hours"}, 8766, 12, "hours", "h", None, None),
        ({"minimumAge": "garbage", "maximumAge": "65 Years", "sex": "Both",
          "healthyVolunteers": "No"}, None, 65, "years", "a", "ALL", False),
        ({"minimumAge": "N/A", "maximumAge": "-3 Years", "sex": "other",
          "healthyVolunteers": "maybe"}, "no age", None, None, None, None, None),
        ({"minimumAge": 18, "maximumAge": "65 fortnights"}, 18, None, "years", "a", None, None),
        ({}, "no age", None, None, None, None, None),
    ],
)
def test_io_structured_from_ctgov(fields, lower, upper, unit, ucum, sex, healthy):
    structured = structured_from_ctgov(fields)
    assert isinstance(structured, Structured)
    assert structured.sex == sex
    assert structured.healthy_volunteers is healthy
    if lower == "no age":
        assert structured.age is None
        return
    age = structured.age
    assert (age.kind, age.start, age.end, age.text) == ("age", None, None, None)
    assert (age.unit, age.ucum) == (unit, ucum)
    assert age.lower == (None if lower is None else Bound(value=lower, inclusive=True))
    assert age.upper == (None if upper is None else Bound(value=upper, inclusive=True))


@pytest.mark.parametrize("fields", [None, "18 Years", 5])
def test_io_structured_from_ctgov_none(fields):
    assert structured_from_ctgov(fields) is None


# --- writers --------------------------------------------------------------------------


def constraint(kind="numeric", lower=None, upper=None, **kwargs) -> Constraint:
    return Constraint(
        kind=kind, start=kwargs.pop("start", 0), end=kwargs.pop("end", 0),
        text=kwargs.pop("text", ""),
        lower=None if lower is None else Bound(value=lower[0], inclusive=lower[1]),
        upper=None if upper is None else Bound(value=upper[0], inclusive=upper[1]),
        **kwargs,
    )


def sample_documents() -> list[Document]:
    text = ("Inclusion Criteria:\n* CLASI-A score of ≥10\n* Aged 18-65 years\n"
            "Exclusion Criteria:\n* serum IgA level <10 mg/dL\n* AST >2× ULN\n"
            "* surgery within 4 weeks prior to screening\n")
    criteria, offset = [], 0
    for line, section in zip(text.splitlines(keepends=True),
                             [None, "inclusion", "inclusion", None, "exclusion", "exclusion",
                              "exclusion"]):
        if line.startswith("*"):
            criteria.append(Criterion(start=offset + 2, end=offset + len(line) - 1,
                                      text=line[2:-1], section=section,
                                      cohort="SLE" if "IgA" in line else None))
        offset += len(line)

    def span(piece: str, label=None) -> dict:
        start = text.index(piece)
        return {"start": start, "end": start + len(piece), "text": piece,
                **({"label": label} if label else {})}

    constraints = [
        constraint(lower=(10, True), section="inclusion", criterion=0,
                   subject=SpanRef(**span("CLASI-A score", "Measurement")), **span("≥10")),
        constraint("age", lower=(18, True), upper=(65, True), unit="years", ucum="a",
                   section="inclusion", criterion=1, **span("18-65 years")),
        constraint(upper=(10, False), unit="mg/dL", ucum="mg/dL", section="exclusion",
                   criterion=2, subject=SpanRef(**span("serum IgA level", "Measurement")),
                   **span("<10 mg/dL")),
        constraint(lower=(2, False), relative_to="ULN", section="exclusion", criterion=3,
                   negated=True, **span(">2× ULN")),
        constraint("temporal", upper=(4, True), unit="weeks", ucum="wk", anchor="screening",
                   direction="before", section="exclusion", criterion=4,
                   **span("within 4 weeks prior to screening")),
    ]
    return [
        Document(id="NCT06980805", text=text, criteria=criteria, constraints=constraints,
                 structured=structured_from_ctgov({"minimumAge": "18 Years", "sex": "ALL"})),
        Document(id="empty", text="", errors=["[E004] document empty: no criteria found"]),
        Document(id="ünïcode 試験", text="Âge ≥ 18 ans", constraints=[
            constraint("age", lower=(18, True), unit="ans", ucum="a", **{"start": 5, "end": 12,
                                                                          "text": "≥ 18 ans"})]),
    ]


@pytest.mark.parametrize("docs", [sample_documents(), []])
def test_io_write_jsonl_round_trip(docs):
    out = io.StringIO()
    assert write_jsonl(iter(docs), out) == len(docs)
    lines = out.getvalue().splitlines()
    assert len(lines) == len(docs)
    assert [Document.model_validate_json(line) for line in lines] == docs
    if docs:
        assert "試験" in lines[2]  # ensure_ascii=False


@pytest.mark.parametrize("docs", [sample_documents(), []])
def test_io_write_json_is_a_list(docs):
    out = io.StringIO()
    assert write_json(iter(docs), out) == len(docs)
    parsed = json.loads(out.getvalue())
    assert isinstance(parsed, list)
    assert [Document.model_validate(item) for item in parsed] == docs


@pytest.mark.parametrize(
    "kwargs,expected",
    [
        (dict(lower=(10, True)), "≥ 10"),
        (dict(lower=(10, False)), "> 10"),
        (dict(upper=(10, False), unit="mg/dL", ucum="mg/dL"), "< 10 mg/dL"),
        (dict(upper=(10, True), unit="mg/dl"), "≤ 10 mg/dl"),
        (dict(kind="age", lower=(18, True), upper=(65, True), unit="years", ucum="a"), "18–65 a"),
        (dict(lower=(8, True), upper=(10, False)), "8 ≤ x < 10"),
        (dict(lower=(2, True), upper=(2, True)), "= 2"),
        (dict(lower=(2, False), relative_to="ULN"), "> 2 × ULN"),
        (dict(kind="temporal", upper=(4, True), unit="weeks", ucum="wk", anchor="screening", direction="before"),
         "≤ 4 wk before screening"),
        (dict(kind="temporal", upper=(6, True), unit="months", ucum="mo", anchor="last dose", direction="after"),
         "≤ 6 mo after last dose"),
        (dict(kind="temporal", upper=(4, True), unit="weeks", ucum="wk", anchor="screening"), "≤ 4 wk of screening"),
        (dict(kind="temporal", upper=(6, True), unit="months", ucum="mo", direction="before"), "≤ 6 mo before"),
        (dict(lower=(80, True), ucum="{titer}"), "≥ 1:80"),
        (dict(upper=(2.5, False), unit="×10⁹/L", ucum="10*9/L"), "< 2.5 10*9/L"),
        (dict(lower=(20, True), unit="%", ucum="%"), "≥ 20%"),
        (dict(upper=(141, True), scale_max=150), "≤ 141/150"),
        (dict(), "any"),
    ],
)
def test_io_format_interval(kwargs, expected):
    assert format_interval(constraint(**kwargs)) == expected


@pytest.mark.parametrize(
    "expected",
    [["NCT06980805 | 5 criteria | 5 constraints | 0 errors", "≥ 10", "18–65 a", "< 10 mg/dL",
      "> 2 × ULN", "≤ 4 wk before screening", "CLASI-A score", "serum IgA level", "SLE",
      "negated", "structured: age ≥ 18 a; sex ALL",
      "empty | 0 criteria | 0 constraints | 1 error",
      "error: [E004] document empty", "(no constraints)", "≥ 18 a"]],
)
def test_io_write_table(expected):
    out = io.StringIO()
    assert write_table(iter(sample_documents()), out) == 3
    table = out.getvalue()
    for piece in expected:
        assert piece in table
    assert "\x1b" not in table  # no colours
    rows = [line for line in table.splitlines() if "within 4 weeks" in line]
    assert len(rows) == 1  # one line per constraint, newlines of the text folded
