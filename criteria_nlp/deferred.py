"""Importing a dependency without the modules it imports at its top and never uses here.

Two of the pipeline's dependencies import a lot that loading it never runs:

* medspaCy imports QuickUMLS whatever part of it is used (`medspacy.util` does, and ConText
  needs `medspacy.util`), and QuickUMLS imports nltk at its top, which imports SciPy and
  scikit-learn: 2.3 s and about 120 MB for a module that only QuickUMLS's own matcher calls;
* `import spacy` imports spaCy's command line (`spacy.cli`: every command, with jinja2,
  a YAML file read, and requests), because `spacy/__init__.py` takes `info` from it.

Inside `deferring(...)`, `import NAME` binds a stand-in that imports the real module the
first time one of its attributes is read (a package's stand-in imports its submodules
without that: `from spacy.cli.info import info` loads `info.py` alone). The stand-ins leave
`sys.modules` at the end of the block, with the submodules imported under them, so any
later `import NAME` is an ordinary one; a dotted name's parent keeps the stand-in as its
attribute (`spacy.cli.train` imports the real `spacy.cli` then).

    >>> with deferring("nltk"):
    ...     import medspacy.context   # QuickUMLS's `import nltk` gets the stand-in
    >>> "nltk" in sys.modules
    False
"""
from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import types
from contextlib import contextmanager
from importlib.machinery import ModuleSpec
from typing import Iterator, Optional

__all__ = ["deferring"]


class _Deferred(types.ModuleType):
    """A stand-in for a module not imported yet: its spec (and a package's `__path__`) is the
    real one, so the import system takes it for that module, and reading any other attribute
    imports the module."""

    def __getattr__(self, name: str):
        if sys.modules.get(self.__name__) is self:  # read inside the block: the real one now
            del sys.modules[self.__name__]
        real = importlib.import_module(self.__name__)
        self.__dict__.update(real.__dict__)  # later reads need no detour
        return getattr(real, name)


def _find_spec(name: str) -> Optional[ModuleSpec]:
    """The spec of module `name`, found without importing it or its parent packages; None
    when it is imported already or cannot be found so."""
    if name in sys.modules:
        return None
    parent, _, _ = name.rpartition(".")
    if not parent:
        return importlib.util.find_spec(name)
    parent_spec = sys.modules[parent].__spec__ if parent in sys.modules else _find_spec(parent)
    if parent_spec is None or not parent_spec.submodule_search_locations:
        return None
    return importlib.machinery.PathFinder.find_spec(name, list(parent_spec.submodule_search_locations))


@contextmanager
def deferring(*names: str) -> Iterator[None]:
    """Within the block, `import NAME` (modules not imported yet and installed; a dotted
    name is a submodule such as `spacy.cli`) binds a stand-in that imports the module on
    first use; after it, `sys.modules` holds no stand-in."""
    stand_ins = {}
    for name in names:
        spec = _find_spec(name)
        if spec is None:
            continue
        stand_in = stand_ins[name] = _Deferred(name)
        stand_in.__spec__, stand_in.__loader__ = spec, spec.loader
        stand_in.__file__ = spec.origin
        if spec.submodule_search_locations is not None:  # a package: its submodules import
            stand_in.__path__ = list(spec.submodule_search_locations)
            stand_in.__package__ = name
    sys.modules.update(stand_ins)
    try:
        yield
    finally:
        for name, stand_in in stand_ins.items():
            if sys.modules.get(name) is not stand_in:
                continue  # read inside the block: the real module took its place
            # it leaves, and so does what was imported under it (`spacy.cli.info`): a later
            # import of either is a whole one, whose package holds its submodules
            for key in [key for key in sys.modules if key == name or key.startswith(name + ".")]:
                del sys.modules[key]
            parent, _, child = name.rpartition(".")
            if parent in sys.modules and not hasattr(sys.modules[parent], child):
                setattr(sys.modules[parent], child, stand_in)  # `spacy.cli` still there
