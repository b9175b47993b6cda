"""Building the criteria_nlp Language: the default pipeline from `default.cfg` with the
shipped entity recognizer, the rules only, or a saved pipeline."""
from __future__ import annotations

from contextlib import ExitStack
from functools import lru_cache
from importlib.resources import as_file, files
from pathlib import Path
from typing import Optional

import spacy
from spacy.language import Language
from thinc.api import NumpyOps

from . import factories  # noqa: F401  (registers the factories and the tokenizer)

MAX_LENGTH = 1_000_000  # characters; no eligibility text is that long (see README, "Limits")
#: The trained entity recognizer shipped in models/ (installed as `criteria_nlp.models`).
RECOGNIZER = "criteria_ner"
#: The components that come from the recognizer; `entities=False` leaves them out.
RECOGNIZER_PIPES = ("tok2vec", "ner")


def load_pipeline(path: Optional[str] = None, *, entities: bool = True, **overrides) -> Language:
    """The default pipeline from `default.cfg` (with the shipped recognizer unless
    `entities` is False), or a saved one from `path`."""
    if path is not None:
        nlp = spacy.load(path, config=overrides)
        nlp.max_length = MAX_LENGTH
        _products_through_numpy(nlp)
        return nlp
    with ExitStack() as stack:
        cfg_path = stack.enter_context(as_file(files("criteria_nlp") / "default.cfg"))
        config = spacy.util.load_config(cfg_path, interpolate=False)
        recognizer: Optional[Path] = None
        if entities:
            shipped = stack.enter_context(as_file(files("criteria_nlp.models") / RECOGNIZER))
            recognizer = Path(overrides.pop("paths.recognizer", shipped))
            if not (recognizer / "config.cfg").is_file():
                raise FileNotFoundError(
                    f"[E006] the entity recognizer is missing at {recognizer}; reinstall "
                    "criteria_nlp, train it with `python -m criteria_nlp train`, or load the "
                    "rules only with `criteria_nlp.load(entities=False)`")
            # its components as its own config makes them, the weights read below: sourcing
            # (`source = ...` in default.cfg) would load the saved pipeline whole, tokenizer
            # and all, to copy two components out of it
            own = spacy.util.load_config(recognizer / "config.cfg", interpolate=False)
            for name in RECOGNIZER_PIPES:
                config["components"][name] = own["components"][name]
        else:
            pipeline = [name for name in config["nlp"]["pipeline"] if name not in RECOGNIZER_PIPES]
            overrides = {"nlp.pipeline": pipeline, **overrides}
            for name in RECOGNIZER_PIPES:
                del config["components"][name]
        config = spacy.util.load_config_from_str(config.to_str(), overrides=overrides,
                                                 interpolate=True)
        nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
        with nlp.select_pipes(disable=[n for n in RECOGNIZER_PIPES if n in nlp.pipe_names]):
            nlp.initialize()  # the rules; the recognizer gets its trained weights next
        if recognizer is not None:
            for name in RECOGNIZER_PIPES:
                nlp.get_pipe(name).from_disk(recognizer / name, exclude=["vocab"])
            _products_through_numpy(nlp)
    nlp.max_length = MAX_LENGTH
    return nlp


def _products_through_numpy(nlp: Language) -> None:
    """The recognizer's matrix products through NumPy's BLAS, not thinc's default blis.
    Measured on 600 ctgov-raw texts (2-core AMD EPYC with AVX-512, for which blis 0.7 has no
    kernel of its own): the default pipeline took 4.6 s with blis and 2.7 s with NumPy
    (OpenBLAS, one thread), CPU time alike, with the same entities."""
    ops = NumpyOps(use_blis=False)
    for name in RECOGNIZER_PIPES:
        if name in nlp.pipe_names:
            for node in nlp.get_pipe(name).model.walk():
                node.ops = ops


@lru_cache(maxsize=1)
def default_pipeline() -> Language:
    """The shared default pipeline, built on first use."""
    return load_pipeline()
