"""Errors of criteria_nlp: one base class, coded messages that say what happened and the fix."""
from __future__ import annotations

from typing import Optional


class CriteriaNLPError(Exception):
    """Base of every error raised by criteria_nlp."""


class InputError(CriteriaNLPError, ValueError):
    """An input (file, JSON record, argument) that cannot be read as eligibility text."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(source, reason)

    def __str__(self) -> str:
        return f"[E001] cannot read {self.source}: {self.reason}"

    def __reduce__(self):
        return (type(self), (self.source, self.reason))


class RuleFileError(CriteriaNLPError, ValueError):
    """A rule or resource file of the package that does not parse; names file and line."""

    def __init__(self, path: str, line: Optional[int], reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        super().__init__(path, line, reason)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"[E002] bad rule in {where}: {self.reason}. Fix the file or restore it from the package."

    def __reduce__(self):
        return (type(self), (self.path, self.line, self.reason))


class UnitParseError(CriteriaNLPError, ValueError):
    """Unit text that the clinical unit registry cannot read."""

    def __init__(self, unit: str, reason: str = "not a known unit") -> None:
        self.unit = unit
        self.reason = reason
        super().__init__(unit, reason)

    def __str__(self) -> str:
        return f"[E003] cannot read unit {self.unit!r}: {self.reason}"

    def __reduce__(self):
        return (type(self), (self.unit, self.reason))


class DocumentError(CriteriaNLPError, RuntimeError):
    """A document the pipeline failed on; the batch goes on and records the message."""

    def __init__(self, doc_id: str, reason: str) -> None:
        self.doc_id = doc_id
        self.reason = reason
        super().__init__(doc_id, reason)

    def __str__(self) -> str:
        return f"[E004] document {self.doc_id}: {self.reason}"

    def __reduce__(self):
        return (type(self), (self.doc_id, self.reason))


class PatientError(CriteriaNLPError, ValueError):
    """Patient data that cannot be read: names the source and the resource or field."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(source, reason)

    def __str__(self) -> str:
        return f"[E009] cannot read patient {self.source}: {self.reason}"

    def __reduce__(self):
        return (type(self), (self.source, self.reason))
