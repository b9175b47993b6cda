"""Saving a component's rule data with the pipeline, as spaCy's SpanRuler saves its patterns.

A component keeps its rules as one JSON-ready dict; `to_disk` writes it into the component's
folder and `from_disk` reads it back, so a saved pipeline carries its own rules.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Union

import srsly


class RuleDataMixin:
    """`to_disk`/`from_disk`/`to_bytes`/`from_bytes` for a component whose rules are
    `self.rule_data` (a dict) and whose `self.set_rule_data(data)` rebuilds it."""

    rules_file: str = "rules.json"
    rule_data: dict
    set_rule_data: Callable[[dict], None]

    def to_bytes(self, *, exclude: Iterable[str] = tuple()) -> bytes:
        return srsly.msgpack_dumps({"rules": self.rule_data})

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = tuple()):
        self.set_rule_data(srsly.msgpack_loads(data)["rules"])
        return self

    def to_disk(self, path: Union[str, Path], *, exclude: Iterable[str] = tuple()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / self.rules_file, self.rule_data)

    def from_disk(self, path: Union[str, Path], *, exclude: Iterable[str] = tuple()):
        file = Path(path) / self.rules_file
        if file.exists():
            self.set_rule_data(srsly.read_json(file))
        return self
