"""Annotating on a local Dask cluster of two worker processes gives what one process gives."""
import json
from pathlib import Path

import pytest

import criteria_nlp
from criteria_nlp.io import read_inputs

dask_api = pytest.importorskip("criteria_nlp.dask")
distributed = pytest.importorskip("dask.distributed")

SEEDS = Path(__file__).resolve().parents[1] / "corpus" / "seeds"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The seed texts as a folder, and JSONL lines with and without ids (one malformed)."""
    folder = tmp_path_factory.mktemp("texts")
    for seed in sorted(SEEDS.glob("*.txt")):
        (folder / seed.name).write_text(seed.read_text(encoding="utf-8"), encoding="utf-8")
    lines = [json.dumps({"id": f"c{i}", "text": text}) for i, text in enumerate(
        ["Age ≥ 18 years", "ANC < 1.5 × 10^9/L within 4 weeks prior to screening",
         "No history of MI or stroke within the past 6 months"])]
    lines += ['{"text": "BMI 18.5-30 kg/m2"}', '{"id": "broken", "text": ']
    jsonl = tmp_path_factory.mktemp("jsonl") / "criteria.jsonl"
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [str(folder), str(jsonl)]


def test_dask_two_workers_match_one_process(inputs, tmp_path):
    expected = [d.to_json() for d in criteria_nlp.annotate_records(
        read_inputs(inputs), nlp=criteria_nlp.load(entities=False))]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        files = dask_api.annotate_to_jsonl(inputs, tmp_path, rules_only=True, scheduler=cluster.scheduler_address)
    written = "".join(Path(f).read_text(encoding="utf-8") for f in sorted(files, key=lambda f: int(Path(f).stem)))
    got = written.splitlines()
    assert len(files) == 4  # three seed files and one JSONL file, a partition each
    assert written == "".join(line + "\n" for line in expected)  # the files join into one JSONL
    assert json.loads(got[-1])["errors"] and json.loads(got[-2])["id"] == "criteria:4"


def test_dask_engine_needs_an_output_folder(inputs):
    from typer.testing import CliRunner

    from criteria_nlp.cli import app

    result = CliRunner().invoke(app, ["annotate", *inputs, "--engine", "dask"])
    assert result.exit_code == 2 and "--output must be a folder" in result.output
