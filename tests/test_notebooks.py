"""The review notebooks (`notebooks/*.ipynb`) and their helpers (`criteria_nlp.notebook`).

The notebooks run top to bottom headless with nbclient in the `python3` kernel (the spec
ipykernel installs into the environment's share/jupyter/kernels), review.ipynb from
`notebooks/` and compare_gold.ipynb from the repository root, with the rules-only pipeline
they default to. The committed files carry no outputs and no machine's paths.
"""
import base64
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

import criteria_nlp
from criteria_nlp.evaluate import EvalResult
from criteria_nlp.notebook import (CONSTRAINT_COLUMNS, annotate_source, batch_summary,
                                   constraints_table, errors_table, evaluation_table, find_root,
                                   gold_comparison_html, plot_summary)
from criteria_nlp.schemas import Bound, Constraint, Criterion, Document, SpanRef

nbformat = pytest.importorskip("nbformat", reason="pip install '.[notebooks]'")
nbclient = pytest.importorskip("nbclient", reason="pip install '.[notebooks]'")
pd = pytest.importorskip("pandas", reason="pip install '.[notebooks]'")
pytest.importorskip("matplotlib", reason="pip install '.[notebooks]'")

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
SEEDS = REPO / "corpus" / "seeds"
CHIA = REPO.parent / "shared" / "corpora" / "chia"
TIMEOUT = 180  # seconds per cell; each notebook takes about 10 s on two cores


def execute(name: str, cwd: Path):
    """Run notebooks/<name>.ipynb from `cwd` and return it with its outputs."""
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = nbclient.NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return nb


def tagged(nb, tag: str):
    cells = [c for c in nb.cells if tag in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"one cell tagged {tag!r}"
    return cells[0]


def output(cell, mime: str) -> str:
    found = [o["data"][mime] for o in cell.outputs if mime in o.get("data", {})]
    assert found, f"no {mime} output in {cell.source!r}"
    return found[-1]


def stream(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


@pytest.fixture(scope="module")
def rules():
    return criteria_nlp.load(entities=False)


@pytest.fixture(scope="module")
def seeds(rules):
    return annotate_source(SEEDS, nlp=rules)


# --- the committed notebooks ----------------------------------------------------------


@pytest.mark.parametrize("name", ["review", "compare_gold"])
def test_committed_notebook_is_clean(name):
    path = NOTEBOOKS / f"{name}.ipynb"
    raw = path.read_text(encoding="utf-8")
    nb = nbformat.reads(raw, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)
    for prefix in ("/work", "/root", "/home"):
        assert prefix not in raw, f"{path.name} holds a machine path ({prefix})"
    assert "displacy" not in raw
    assert "parameters" in nb.cells[1].metadata.get("tags", [])


def test_old_notebook_is_gone():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == ["compare_gold.ipynb",
                                                                  "review.ipynb"]


def test_python3_kernel_is_in_this_environment():
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    assert "ipykernel_launcher" in spec.argv


# --- the notebooks, run -------------------------------------------------------------------


@pytest.fixture(scope="module")
def review_nb():
    return execute("review", NOTEBOOKS)  # from notebooks/: the root is found above


def test_review_notebook_html_view(review_nb):
    page = output(tagged(review_nb, "html-view"), "text/html")
    assert page.startswith('<div class="cnlp">')
    assert '<mark class="constraint numeric"' in page
    assert "serum IgA level" in page and "NCT07193810" in page


def test_review_notebook_constraints_table(review_nb):
    cell = tagged(review_nb, "constraints-table")
    table = output(cell, "text/html")
    for column in CONSTRAINT_COLUMNS:
        assert f"<th>{column}</th>" in table
    assert "serum IgA level" in table and "&lt; 10 mg/dL" in table


def test_review_notebook_batch_figure(review_nb):
    text = "".join(stream(c) for c in review_nb.cells if c.cell_type == "code")
    assert "NCT07193810: 47 criteria" in text
    assert "have no constraint" in text
    tables = [o["data"]["text/html"] for o in tagged(review_nb, "summary-tables").outputs
              if "<table" in o.get("data", {}).get("text/html", "")]
    assert len(tables) == 4 and "share_without" in tables[3] and "(all)" in tables[3]
    png = base64.b64decode(output(tagged(review_nb, "summary-plot"), "image/png"))
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


@pytest.fixture(scope="module")
def compare_nb():
    if not CHIA.is_dir():
        pytest.skip(f"the Chia corpus is not at {CHIA}")
    return execute("compare_gold", REPO)  # from the repository root


@pytest.mark.corpora
def test_compare_gold_notebook(compare_nb):
    text = stream(tagged(compare_nb, "evaluation-text"))
    assert "CHIA development figures: split=dev, 10 documents" in text
    assert "detection (numeric)" in text
    table = output(tagged(compare_nb, "evaluation-table"), "text/html")
    assert "<th>detection</th>" in table and "precision" in table
    errors = output(tagged(compare_nb, "errors-table"), "text/html")
    assert "missed" in errors and "false_positive" in errors
    page = output(tagged(compare_nb, "gold-comparison"), "text/html")
    assert page.startswith('<div class="cnlp-gold">')
    assert 'data-error="missed"' in page and 'data-error="false_positive"' in page
    assert 'class="hl g-value' in page and "target" in page and 'class="hl k-' in page


# --- the helpers ----------------------------------------------------------------------


def test_import_needs_no_pandas_or_matplotlib():
    code = ("import sys, criteria_nlp, criteria_nlp.notebook; "
            "print(sorted(m for m in ('pandas', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


def test_find_root(tmp_path):
    assert find_root(NOTEBOOKS) == REPO
    assert find_root(REPO) == REPO
    with pytest.raises(FileNotFoundError):
        find_root(tmp_path)


def test_annotate_source(rules, tmp_path):
    assert [d.id for d in annotate_source(SEEDS, nlp=rules)] == [
        "NCT06980805", "NCT07177911", "NCT07193810"]
    # a relative path is also looked up under root, as from notebooks/
    documents = annotate_source("corpus/seeds/NCT07177911.txt", nlp=rules, root=REPO)
    assert [d.id for d in documents] == ["NCT07177911"]
    text = annotate_source("Serum IgA level <10 mg/dL", nlp=rules, id="inline")
    assert len(text) == 1 and text[0].id == "inline"
    assert text[0].constraints[0].upper == Bound(value=10, inclusive=False)


def test_constraints_table_seed_rows(seeds):
    table = constraints_table(seeds)
    assert tuple(table.columns) == CONSTRAINT_COLUMNS
    assert len(table) == sum(len(d.constraints) for d in seeds)
    assert set(table.document) == {"NCT06980805", "NCT07177911", "NCT07193810"}
    texts = {d.id: d.text for d in seeds}
    assert all(texts[r.document][r.start:r.end] == r.text for r in table.itertuples())

    iga = table[(table.document == "NCT07193810") & (table.subject == "serum IgA level")]
    assert len(iga) == 1
    row = iga.iloc[0]
    assert row.text == "\\<10 mg/dL"
    assert (row.kind, row.section, row.interval) == ("numeric", "exclusion", "< 10 mg/dL")
    assert math.isnan(row.lower) and pd.isna(row.lower_inclusive)
    assert (row.upper, bool(row.upper_inclusive)) == (10.0, False)
    assert (row.unit, row.ucum, bool(row.negated)) == ("mg/dL", "mg/dL", False)
    document = next(d for d in seeds if d.id == "NCT07193810")
    assert "IgA deficiency" in document.criteria[int(row.criterion)].text

    age = table[(table.document == "NCT07193810") & (table.kind == "age")].iloc[0]
    assert (age.text, age.lower, age.upper, age.ucum) == ("18-65 years", 18.0, 65.0, "a")
    assert bool(age.lower_inclusive) and bool(age.upper_inclusive)
    window = table[(table.document == "NCT07193810") & (table.kind == "temporal")
                   & (table.subject == "CAR-T therapy")].iloc[0]
    assert (window.anchor, window.direction, window.upper) == ("screening", "before", 6.0)

    empty = constraints_table([])
    assert tuple(empty.columns) == CONSTRAINT_COLUMNS and empty.empty


def _doc() -> Document:
    text = "Age 18 to 65 years\nHbA1c < 7%; HbA1c >= 5%\nNo prior surgery"
    criteria = [Criterion(start=0, end=18, text=text[0:18], section="inclusion"),
                Criterion(start=19, end=42, text=text[19:42], section="inclusion"),
                Criterion(start=43, end=59, text=text[43:59], section="exclusion")]

    def constraint(kind, start, end, subject, unit, ucum, **bounds):
        return Constraint(kind=kind, start=start, end=end, text=text[start:end],
                          subject=SpanRef(start=subject[0], end=subject[1],
                                          text=text[subject[0]:subject[1]]),
                          unit=unit, ucum=ucum, criterion=None, **bounds)

    return Document(id="synthetic", text=text, criteria=criteria, constraints=[
        constraint("age", 4, 18, (0, 3), "years", "a", lower=Bound(value=18, inclusive=True),
                   upper=Bound(value=65, inclusive=True)),
        constraint("numeric", 25, 29, (19, 24), "%", "%", upper=Bound(value=7, inclusive=False)),
        constraint("numeric", 37, 42, (31, 36), "%", "%", lower=Bound(value=5, inclusive=True)),
    ])


def test_batch_summary_counts():
    summary = batch_summary([_doc(), Document(id="empty", text="")])
    kinds = dict(zip(summary["kinds"].kind, summary["kinds"].constraints))
    assert kinds == {"numeric": 2, "age": 1, "temporal": 0, "duration": 0, "count": 0, "dose": 0}
    assert summary["subjects"].iloc[0].tolist() == ["HbA1c", 2, "HbA1c"]
    assert summary["units"].iloc[0].tolist() == ["%", 2, "%"]
    assert summary["units"].iloc[1].tolist() == ["a", 1, "years"]
    criteria = summary["criteria"].set_index("document")
    assert criteria.loc["synthetic"].tolist() == [3, 1, pytest.approx(1 / 3)]
    assert criteria.loc["empty"].tolist() == [0, 0, 0.0]
    assert criteria.index[-1] == "(all)" and criteria.loc["(all)"].tolist()[:2] == [3, 1]
    # the criterion comes from the span when the constraint does not name it
    assert constraints_table([_doc()]).criterion.tolist() == [0, 1, 1]


def test_batch_summary_and_plot_on_seeds(seeds):
    summary = batch_summary(seeds, top=5)
    assert set(summary) == {"kinds", "subjects", "units", "criteria"}
    assert summary["kinds"].constraints.sum() == sum(len(d.constraints) for d in seeds)
    assert len(summary["subjects"]) == 5 and len(summary["units"]) == 5
    units = batch_summary(seeds)["units"]
    mg_dl = units.set_index("unit").loc["mg/dL"]
    assert mg_dl.constraints == sum(c.ucum == "mg/dL" for d in seeds for c in d.constraints) >= 2
    assert mg_dl.written == "mg/dL"
    counts = summary["subjects"].constraints.tolist()
    assert counts == sorted(counts, reverse=True)
    total = summary["criteria"].iloc[-1]
    assert total.criteria == sum(len(d.criteria) for d in seeds)
    assert 0 < total.share_without < 1

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = plot_summary(summary)
    assert isinstance(figure.canvas, FigureCanvasAgg) and len(figure.axes) == 4
    assert figure.axes[0].get_title() == "Constraints per kind"
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    assert buffer.getvalue().startswith(b"\x89PNG")


FIGURES = {
    "corpus": "chia", "n_docs": 2, "split": "dev",
    "detection": {"tp": 3, "fp": 1, "fn": 2, "p": 0.75, "r": 0.6, "f1": 0.6667},
    "detection_numeric": {"tp": 2, "fp": 1, "fn": 0, "p": 0.6667, "r": 1.0, "f1": 0.8},
}
LINE = "Serum <b>IgA</b> < 10 mg/dL & no IgE"
RECORDS = [
    {"corpus": "chia", "doc_id": "d<1>", "error": "missed", "start": 17, "end": 27,
     "text": "< 10 mg/dL", "line": LINE, "line_start": 0,
     "gold": {"start": 17, "end": 27, "text": "< 10 mg/dL", "fragments": [[17, 27]],
              "numeric": True, "subjects": [{"start": 6, "end": 16, "text": "<b>IgA</b>",
                                             "label": "Measurement", "fragments": [[6, 16]]}]},
     "pred": None},
    {"corpus": "chia", "doc_id": "d<1>", "error": "false_positive", "start": 100, "end": 102,
     "text": "no", "line": "x" * 100 + "no <script>alert(1)</script>", "line_start": 0,
     "gold": None, "pred": {"start": 100, "end": 102, "text": "no", "kind": "count",
                            "lower": {"value": 0, "inclusive": True}, "upper": None,
                            "unit": None, "ucum": None, "relative_to": None, "subject": None}},
    {"corpus": "chia", "doc_id": "d<1>", "error": "wrong_subject", "start": 17, "end": 27,
     "text": "< 10 mg/dL", "line": LINE, "line_start": 0, "gold": None, "pred": None},
]


def test_evaluation_and_errors_tables():
    result = EvalResult(figures=FIGURES, errors=RECORDS)
    table = evaluation_table(result)
    assert table.index.tolist() == ["detection", "detection (numeric)"]
    assert table.loc["detection"].tolist() == [3, 1, 2, 0.75, 0.6, 0.6667]
    errors = errors_table(result, kinds=("missed", "false_positive"))
    assert errors.error.tolist() == ["missed", "false_positive"]
    assert errors.iloc[0].gold_subjects == "<b>IgA</b>"
    assert errors.iloc[1].interval == "≥ 0" and errors.iloc[1].predicted == "no"
    assert len(errors_table(RECORDS)) == 3


def test_gold_comparison_html_escapes_and_frames():
    page = gold_comparison_html(EvalResult(figures=FIGURES, errors=RECORDS))
    assert page.startswith('<div class="cnlp-gold">') and page.endswith("</div>")
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "d&lt;1&gt;" in page
    assert page.count("<tr data-error=") == 2  # misses and false positives by default
    assert "1 false positive, 1 missed" in page
    # the missed gold Value highlighted and framed, its subject underlined, on the gold side
    assert ('<span class="hl g-value target" title="gold: &lt; 10 mg/dL">&lt; 10 mg/dL</span>'
            in page)
    assert ('<span class="hl subject" title="gold subject [Measurement]">'
            "&lt;b&gt;IgA&lt;/b&gt;</span>" in page)
    # the false positive framed on the predicted side, with its interval
    assert '<span class="hl k-count target" title="predicted count: ≥ 0">no</span>' in page
    assert "nothing predicted here" in page and "no gold Value here" in page
    every = gold_comparison_html(RECORDS, kinds=("missed", "false_positive", "wrong_subject"),
                                 limit=1)
    assert every.count("<tr data-error=") == 1 and "(first 1 shown)" in every


def test_gold_comparison_html_from_errors_jsonl(tmp_path):
    """Records read back from `evaluate --errors FILE` render the same."""
    from criteria_nlp.evaluate import write_errors

    path = write_errors(EvalResult(figures=FIGURES, errors=RECORDS), tmp_path / "e.jsonl")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert gold_comparison_html(records) == gold_comparison_html(RECORDS)
