"""Shared fixtures: one pipeline per session, the shared corpora when present."""
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("criteria_nlp", deadline=None, max_examples=150)
settings.load_profile("criteria_nlp")

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
SHARED_CORPORA = REPO.parent / "shared" / "corpora"
SHARED_SEEDS = REPO.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def nlp():
    """The default pipeline, built once. Only use in tests that do not change it."""
    import criteria_nlp

    return criteria_nlp.load()


@pytest.fixture(scope="session")
def corpora():
    """../shared/corpora, or a skip with the reason."""
    if not SHARED_CORPORA.is_dir():
        pytest.skip(f"shared corpora not found at {SHARED_CORPORA}")
    return SHARED_CORPORA


@pytest.fixture(scope="session")
def seeds_v2():
    path = SHARED_SEEDS / "ctgov-v2"
    if not path.is_dir():
        pytest.skip(f"seed study JSONs not found at {path}")
    return path


def document_spans(document):
    """Every span of a Document that carries offsets: criteria, entities, constraints and
    their subjects (tests check `text[span.start:span.end] == span.text` on each)."""
    for key in ("criteria", "entities", "constraints"):
        for span in getattr(document, key):
            yield span
            if key == "constraints" and span.subject is not None:
                yield span.subject
