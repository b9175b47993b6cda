"""Importing a dependency without a module it imports at its top and never uses here.

medspaCy imports QuickUMLS whatever part of it is used (`medspacy.util` does, and ConText
needs `medspacy.util`), and QuickUMLS imports nltk at its top, which imports SciPy and
scikit-learn: 2.3 s and about 120 MB for a module that only QuickUMLS's own matcher calls.
Inside `deferring("nltk")`, `import nltk` binds a stand-in that imports the real nltk the
first time one of its attributes is read. The stand-in leaves `sys.modules` at the end of
the block, so any later `import nltk` is an ordinary import.

    >>> with deferring("nltk"):
    ...     import medspacy.context   # QuickUMLS's `import nltk` gets the stand-in
    >>> "nltk" in sys.modules
    False
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from contextlib import contextmanager
from typing import Iterator

__all__ = ["deferring"]


class _Deferred(types.ModuleType):
    """A stand-in for a module not imported yet: its spec is the real one (so the import
    system takes it for that module), and reading any other attribute imports the module."""

    def __getattr__(self, name: str):
        real = importlib.import_module(self.__name__)
        self.__dict__.update(real.__dict__)  # later reads need no detour
        return getattr(real, name)


@contextmanager
def deferring(*names: str) -> Iterator[None]:
    """Within the block, `import NAME` (top-level modules not imported yet and installed)
    binds a stand-in that imports the module on first use; after it, nothing is changed."""
    stand_ins = {}
    for name in names:
        spec = importlib.util.find_spec(name) if name not in sys.modules and "." not in name else None
        if spec is not None:
            stand_in = stand_ins[name] = _Deferred(name)
            stand_in.__spec__, stand_in.__loader__ = spec, spec.loader
    sys.modules.update(stand_ins)
    try:
        yield
    finally:
        for name, stand_in in stand_ins.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
