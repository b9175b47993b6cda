"""`evaluate` on a fixed subset of the dev split must reach the floors in
tests/data/evaluation_floors.csv (one row per corpus and metric), so a regression fails CI.
Corpus `chia-entities` is the entity scorer (`evaluate --corpus chia --entities`)."""
import csv
from functools import lru_cache
from pathlib import Path

import pytest

from criteria_nlp.evaluate import evaluate
from criteria_nlp.evaluate.entities import evaluate_entities

FLOORS = Path(__file__).parent / "data" / "evaluation_floors.csv"
ROWS = list(csv.DictReader(FLOORS.open(encoding="utf-8")))


@lru_cache(maxsize=None)
def _figures(corpus: str, split: str, limit: int) -> dict:
    if corpus == "chia-entities":
        return evaluate_entities(split=split, limit=limit).figures
    return evaluate(corpus, split=split, limit=limit).figures


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['corpus']}-{r['metric']}" for r in ROWS])
def test_evaluate_floor(row, corpora):
    figures = _figures(row["corpus"], row["split"], int(row["limit"]))
    assert figures["n_docs"] == int(row["limit"])
    value = figures
    for key in row["metric"].split("."):
        value = value[key]
    assert value >= float(row["floor"]), f"{row['corpus']} {row['metric']} = {value:.3f} < {row['floor']}"
