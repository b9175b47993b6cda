"""Training the entity recognizer shipped in `models/criteria_ner`, reproducibly.

    python -m criteria_nlp train                       # ../shared/corpora -> models/criteria_ner

The steps, each deterministic (fixed split by trial id, `[system] seed = 0`):

1. convert Chia's train and dev documents (`evaluate/splits.py`) to spaCy's binary format
   with the written span rules of :mod:`.chia`, reporting what each rule touched;
2. with `pretrain`, pretrain the token-to-vector layer on raw eligibility text (`spacy
   pretrain`, the characters objective) from ctgov-raw, Chia and LCT, dev documents left
   out (measured on dev: no gain over training from scratch, so off by default);
3. train `ner.cfg` (a small CNN: tok2vec + NER) on the converted train part, scored on dev;
4. copy the best model to the output folder, with the conversion report in `meta.json`.

Nothing here prints; `progress` receives one line per step.
"""
from __future__ import annotations

import shutil
from importlib.resources import as_file, files
from pathlib import Path
from typing import Callable, Dict, Iterator, Optional, Sequence, Union

from ..errors import InputError
from ..evaluate.splits import split_of

__all__ = ["train", "raw_texts", "TRAINING_CONFIG"]

TRAINING_CONFIG = "ner.cfg"
_RAW_CORPORA = ("ctgov-raw", "chia", "lct")


def raw_texts(corpora: Union[str, Path]) -> Iterator[Dict[str, str]]:
    """Non-empty lines of the raw eligibility texts under `corpora`, dev documents left out.

    RETURNS (Iterator[Dict[str, str]]): `{"text": line}` rows for `spacy pretrain`.
    """
    seen = set()
    for name in _RAW_CORPORA:
        for path in sorted((Path(corpora) / name).glob("*.txt")):
            if split_of(path.stem) == "dev":
                continue
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                line = line.strip()
                if line and line not in seen:
                    seen.add(line)
                    yield {"text": line}


def _blank_with_tokenizer():
    import spacy

    from ..pipeline.tokenizer import create_normalizing_tokenizer

    nlp = spacy.blank("en")
    nlp.tokenizer = create_normalizing_tokenizer()(nlp)
    return nlp


def train(corpora: Union[str, Path], output: Union[str, Path], *, workdir: Union[str, Path],
          pretrain: bool = False, lct: bool = False, gold: Sequence[Union[str, Path]] = (),
          overrides: Optional[Dict[str, object]] = None,
          progress: Optional[Callable[[str], None]] = None) -> Dict[str, object]:
    """Convert Chia, (pre)train the recognizer, and write it to `output`.

    corpora (Path): the folder holding `chia/` (and `ctgov-raw/`, `lct/` for pretraining).
    output (Path): where the trained pipeline goes (replaced), e.g. `models/criteria_ner`.
    workdir (Path): intermediate files (converted corpora, pretrained weights, checkpoints).
    pretrain (bool): pretrain the tok2vec layer on raw text first. Defaults to False.
    lct (bool): add LCT's train documents, their Condition, Drug and Procedure spans only
        (`LCT_LABELS`, other tokens unknown). Defaults to False.
    gold (Sequence[Path]): more training documents: folders of BRAT in Chia's scheme, such as
        an `export --format brat` folder that reviewers corrected (all of each folder goes to
        training; keep its trials out of Chia's dev split).
    overrides (Dict[str, object] or None): config overrides, e.g. `{"training.max_steps": 100}`.
    progress (Callable[[str], None] or None): receives a line per step.
    RETURNS (Dict[str, object]): the conversion report and the dev scores of the best model.
    """
    import srsly
    from spacy.cli.train import train as spacy_train
    from spacy.training.pretrain import pretrain as spacy_pretrain
    from spacy.util import load_config

    from .chia import LCT_LABELS, convert_corpus

    say = progress or (lambda message: None)
    corpora, output, workdir = Path(corpora), Path(output), Path(workdir)
    chia = corpora / "chia"
    if not chia.is_dir():
        raise InputError(str(chia), "the Chia corpus folder is missing; pass the folder that holds chia/")
    workdir.mkdir(parents=True, exist_ok=True)
    nlp = _blank_with_tokenizer()
    report = {}
    for split in ("train", "dev"):
        shutil.rmtree(workdir / split, ignore_errors=True)
    # (name, folder, split read from it, split it goes to, label map)
    sources = [("chia", chia, "train", "train", None), ("chia", chia, "dev", "dev", None)]
    if lct:
        if not (corpora / "lct").is_dir():
            raise InputError(str(corpora / "lct"), "the LCT corpus folder is missing")
        sources.append(("lct", corpora / "lct", "train", "train", LCT_LABELS))
    for i, folder in enumerate(map(Path, gold)):
        if not folder.is_dir():
            raise InputError(str(folder), "the gold folder is missing")
        sources.append((f"gold{i}", folder, None, "train", None))
    for corpus, path, read, split, labels in sources:
        docbin, conversion = convert_corpus(nlp, path, read, labels=labels)
        folder = workdir / split  # spaCy reads every .spacy file of the folder
        folder.mkdir(parents=True, exist_ok=True)
        docbin.to_disk(folder / f"{corpus}.spacy")
        report[split if corpus == "chia" else f"{corpus}_{split}"] = conversion.to_dict()
        say(f"converted {corpus} {split}: {conversion.lines} lines, rules {dict(conversion.rules)}")
    settings: Dict[str, object] = {"paths.train": str(workdir / "train"),
                                   "paths.dev": str(workdir / "dev")}
    settings.update(overrides or {})
    with as_file(files(__package__) / TRAINING_CONFIG) as config_path:
        if pretrain:
            raw = workdir / "raw_text.jsonl"
            srsly.write_jsonl(raw, raw_texts(corpora))
            pretrain_dir = workdir / "pretrain"
            shutil.rmtree(pretrain_dir, ignore_errors=True)
            config = load_config(config_path, overrides={**settings, "paths.raw_text": str(raw)},
                                 interpolate=True)
            say(f"pretraining the tok2vec layer on {raw}")
            pretrain_dir.mkdir(parents=True)
            spacy_pretrain(config, pretrain_dir, use_gpu=-1, silent=True)
            epochs = int(config["pretraining"]["max_epochs"])
            settings["paths.init_tok2vec"] = str(pretrain_dir / f"model{epochs - 1}.bin")
        say("training the recognizer")
        model_dir = workdir / "model"
        spacy_train(config_path, model_dir, use_gpu=-1, overrides=settings)
    best = model_dir / "model-best"
    meta = srsly.read_json(best / "meta.json")
    meta.update({"name": "criteria_ner", "version": "0.1.0",
                 "description": "Chia entity recognizer of criteria_nlp (CNN tok2vec + NER, CPU).",
                 "sources": [{"name": "Chia", "url": "https://doi.org/10.6084/m9.figshare.11855817",
                              "license": "CC BY 4.0"}],
                 "criteria_nlp": {"conversion": report, "pretrained": pretrain, "lct": lct,
                                  "gold": [str(g) for g in gold]}})
    srsly.write_json(best / "meta.json", meta)
    if output.exists():
        shutil.rmtree(output)
    shutil.copytree(best, output)
    return {"conversion": report, "performance": meta.get("performance", {}),
            "output": str(output)}
