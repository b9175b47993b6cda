"""A fixed train/dev split of the gold corpora by document id.

A document is *dev* when ``int(sha1(key).hexdigest(), 16) % 5 == 1``, else *train*. The
key is the document id, except that a Chia id loses its ``_inc`` / ``_exc`` suffix first,
so that the inclusion and exclusion documents of one trial (``NCT00050349_inc``,
``NCT00050349_exc``) always fall on the same side.

Why residue 1 and not 0: the fifth of each collection that is held back for independent
evaluation (and is absent from ``../shared/corpora``) is exactly the documents whose
hash is 0 modulo 5 -- none of the 790 LCT documents nor of the 811 Chia trials here has
residue 0, so ``== 0`` would give an empty dev set. Residue 1 takes another fifth of the
full collections: 189 of the 790 LCT documents here, 203 of the 811 Chia trials (406
documents).

The split depends on nothing but the id: no seed, no file order, no corpus size. Rules
and models are tuned on *train*; figures are reported on *dev*.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import List, Literal, Optional, Union

from ..errors import InputError

__all__ = ["DEV_MODULUS", "DEV_RESIDUE", "Split", "list_docs", "split_key", "split_of"]

Split = Literal["train", "dev"]
DEV_MODULUS = 5
#: The residue of the dev split; 0 is the held-back test fifth (absent here).
DEV_RESIDUE = 1

_PART_SUFFIX = re.compile(r"_(inc|exc)$", re.IGNORECASE)


def split_key(doc_id: str) -> str:
    """The string hashed for `doc_id`: the trial id for Chia `_inc`/`_exc` documents."""
    return _PART_SUFFIX.sub("", doc_id)


def split_of(doc_id: str) -> Split:
    """`"dev"` or `"train"` for a document id; deterministic across runs and machines."""
    digest = hashlib.sha1(split_key(doc_id).encode("utf-8")).hexdigest()
    return "dev" if int(digest, 16) % DEV_MODULUS == DEV_RESIDUE else "train"


def list_docs(
    corpus_dir: Union[str, Path], split: Optional[str] = None
) -> List[Path]:
    """The `.txt` files of a BRAT corpus directory in the split, sorted by name.

    `split` is None or "all" (every document), "train" or "dev".
    """
    if split not in (None, "all", "train", "dev"):
        raise InputError(f"split {split!r}", "the split is 'train', 'dev' or 'all'")
    paths = sorted(Path(corpus_dir).glob("*.txt"), key=lambda p: p.name)
    if split in (None, "all"):
        return paths
    return [p for p in paths if split_of(p.stem) == split]
