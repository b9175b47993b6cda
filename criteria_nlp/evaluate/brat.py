"""A tolerant reader for BRAT standoff annotation (`NAME.txt` + `NAME.ann`).

Lines understood (fields separated by a tab, as BRAT writes them):

* ``T5\tCondition 10 20;25 30\tmajor illness`` -- a text-bound annotation with one or
  more fragments (discontinuous spans are ``start end;start end``);
* ``E2\tEq-Comparison:T10 Operator:T1 Value:T8 Value2:T9`` -- an event: trigger type and
  T id, then ``role:id`` arguments (roles may repeat with a digit suffix);
* ``A1\tEq-Operator-Value T1 GT`` -- an attribute (a binary flag has no value);
* ``R1\tHas_value Arg1:T3 Arg2:T2`` -- a relation;
* ``*\tOR T1 T2 T3`` -- an equivalence group;
* ``#1\tAnnotatorNotes T1\t...`` -- a note on an annotation (other `#` lines are ignored).

Every parsed line's annotation id keeps its line number (``BratDoc.line_of``), for readers
that report where a line is wrong.

A line that does not parse is skipped and counted in ``BratDoc.malformed``; the reader
never raises on bad annotation content. The `.txt` is read with ``newline=""`` so that
``\\r\\n`` line ends count as two characters, as the `.ann` offsets do.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

__all__ = [
    "BratAttribute",
    "BratDoc",
    "BratEntity",
    "BratEvent",
    "BratNote",
    "BratRelation",
    "parse_ann",
    "read_brat",
]

_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
_FRAGMENT = re.compile(r"^\s*(\d+)\s+(\d+)\s*$")


@dataclass(frozen=True)
class BratEntity:
    """A text-bound annotation. `fragments` are (start, end) pairs, end exclusive."""

    id: str
    label: str
    fragments: Tuple[Tuple[int, int], ...]
    text: str

    @property
    def start(self) -> int:
        return min(s for s, _ in self.fragments)

    @property
    def end(self) -> int:
        return max(e for _, e in self.fragments)


@dataclass(frozen=True)
class BratEvent:
    """An event: trigger (type, T id) and its arguments as (role, id) pairs in order."""

    id: str
    type: str
    trigger: str
    args: Tuple[Tuple[str, str], ...]

    def args_with_role(self, role: str) -> List[str]:
        """Ids of the arguments whose role is `role` or `role` + digits (`Value2`)."""
        return [ref for r, ref in self.args if base_role(r) == role]


@dataclass(frozen=True)
class BratAttribute:
    id: str
    name: str
    target: str
    value: Optional[str]


@dataclass(frozen=True)
class BratNote:
    """An ``AnnotatorNotes`` line: the note's id, the annotation it is on, its text."""

    id: str
    target: str
    text: str


@dataclass(frozen=True)
class BratRelation:
    id: str
    type: str
    arg1: str
    arg2: str


@dataclass
class BratDoc:
    """One BRAT document. Dicts are keyed by annotation id."""

    id: str
    text: str
    entities: Dict[str, BratEntity] = field(default_factory=dict)
    events: Dict[str, BratEvent] = field(default_factory=dict)
    attributes: List[BratAttribute] = field(default_factory=list)
    relations: List[BratRelation] = field(default_factory=list)
    equivs: List[Tuple[str, Tuple[str, ...]]] = field(default_factory=list)
    notes: List[BratNote] = field(default_factory=list)
    malformed: int = 0
    malformed_lines: List[Tuple[int, str]] = field(default_factory=list)
    line_of: Dict[str, int] = field(default_factory=dict)  # annotation id -> its line number
    repeated: List[Tuple[int, str]] = field(default_factory=list)  # (line, id) of an id seen before

    def attributes_of(self, target: str) -> List[BratAttribute]:
        return [a for a in self.attributes if a.target == target]


def base_role(role: str) -> str:
    """`Value2` -> `Value`; `Arg1` stays `Arg1` only if it is not a repeated role."""
    stripped = role.rstrip("0123456789")
    return stripped or role


def _parse_fragments(spec: str) -> Optional[Tuple[Tuple[int, int], ...]]:
    frags = []
    for part in spec.split(";"):
        m = _FRAGMENT.match(part)
        if not m:
            return None
        start, end = int(m.group(1)), int(m.group(2))
        if end < start:
            return None
        frags.append((start, end))
    return tuple(frags) if frags else None


def _parse_line(line: str, doc: BratDoc) -> bool:
    """Parse one line into `doc`; return False when it is malformed."""
    if not line.strip():
        return True
    head, sep, rest = line.partition("\t")
    if not sep:
        return False
    head = head.strip()
    kind = head[:1]
    if kind == "#":
        note_type, _, note = rest.partition("\t")
        parts = note_type.split()
        if len(parts) == 2 and parts[0] == "AnnotatorNotes":
            doc.notes.append(BratNote(head, parts[1], note))
        return True
    if kind == "T":
        body, _, text = rest.partition("\t")
        label, _, spec = body.strip().partition(" ")
        frags = _parse_fragments(spec) if spec else None
        if not label or frags is None or not _ID.match(head):
            return False
        doc.entities[head] = BratEntity(head, label, frags, text)
        return True
    if kind == "E":
        parts = rest.split("\t", 1)[0].split()
        if not parts or ":" not in parts[0] or not _ID.match(head):
            return False
        etype, _, trigger = parts[0].partition(":")
        if not etype or not trigger:
            return False
        args = []
        for p in parts[1:]:
            role, colon, ref = p.partition(":")
            if not colon or not role or not ref:
                return False
            args.append((role, ref))
        doc.events[head] = BratEvent(head, etype, trigger, tuple(args))
        return True
    if kind in ("A", "M"):  # M: the older name of attributes
        parts = rest.split("\t", 1)[0].split()
        if len(parts) not in (2, 3):
            return False
        doc.attributes.append(
            BratAttribute(head, parts[0], parts[1], parts[2] if len(parts) == 3 else None)
        )
        return True
    if kind == "R":
        parts = rest.split("\t", 1)[0].split()
        if len(parts) != 3:
            return False
        args = {}
        for p in parts[1:]:
            role, colon, ref = p.partition(":")
            if not colon or not ref:
                return False
            args[role] = ref
        if set(args) != {"Arg1", "Arg2"}:
            # Tolerate other role names: take them in order.
            refs = [p.partition(":")[2] for p in parts[1:]]
            args = {"Arg1": refs[0], "Arg2": refs[1]}
        doc.relations.append(BratRelation(head, parts[0], args["Arg1"], args["Arg2"]))
        return True
    if kind == "*":
        parts = rest.split("\t", 1)[0].split()
        if len(parts) < 2:
            return False
        doc.equivs.append((parts[0], tuple(parts[1:])))
        return True
    return False


def parse_ann(ann: str, text: str = "", doc_id: str = "") -> BratDoc:
    """Parse the content of an `.ann` file; malformed lines are counted, not raised."""
    doc = BratDoc(id=doc_id, text=text)
    for lineno, raw in enumerate(ann.split("\n"), start=1):
        line = raw.rstrip("\r")
        try:
            ok = _parse_line(line, doc)
        except Exception:  # noqa: BLE001 - tolerant by design
            ok = False
        if not ok:
            doc.malformed += 1
            doc.malformed_lines.append((lineno, line))
        elif line.strip():
            head = line.partition("\t")[0].strip()
            if head in doc.line_of:
                doc.repeated.append((lineno, head))
            doc.line_of.setdefault(head, lineno)
    return doc


def read_brat(txt_path: Union[str, Path]) -> BratDoc:
    """Read `NAME.txt` (newline="") and the `NAME.ann` beside it (absent -> no annotation)."""
    txt_path = Path(txt_path)
    with open(txt_path, encoding="utf-8", newline="") as fh:
        text = fh.read()
    ann_path = txt_path.with_suffix(".ann")
    ann = ""
    if ann_path.exists():
        with open(ann_path, encoding="utf-8", newline="", errors="replace") as fh:
            ann = fh.read()
    return parse_ann(ann, text=text, doc_id=txt_path.stem)
