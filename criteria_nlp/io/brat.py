"""Documents to BRAT standoff in Chia's scheme and back, for reviewers' corrections.

One ``T`` line per (label, span): an entity with its Chia label, a constraint as ``Value``
(``Temporal`` for the temporal and duration kinds, as Chia annotates time windows), a
subject with its label; a span that crosses a line end is one fragment per line. The
subject points at its constraint's T with ``Has_value`` (``Has_temporal`` at a Temporal T),
as a qualitative Value entity's subject does; the members of a list of subjects
(`MI or stroke`) point at it with ``Subject_of``. Flags are binary attributes
(``Negated``, ``Hypothetical``, ``Historical``, ``Family``); ``Not_entity`` marks a
constraint or subject span that is in no entity. A constraint's other fields are its T's
``AnnotatorNotes``, compact JSON (``{"kind":"numeric","upper":{"value":10.0,
"inclusive":false},"unit":"mg/dL",...}``; a list where constraints share a span, as the
halves of `BP ≥140/90 mmHg` do; ``negated`` / ``hypothetical`` only where they differ from
the attributes).

Reading back, a T with a JSON note is a constraint whose span is the T's (a corrected span
moves it), every T without ``Not_entity`` is an entity, and a note that is no JSON object
or list is a reviewer's comment. Not written: criteria, structured fields, errors,
``long_form``, ``concept``, constraints without a span. `criteria_nlp.evaluate`'s Chia
reader reads an exported folder as gold.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Dict, Iterable, Iterator, List, Optional, Set, Tuple, Union

from pydantic import ValidationError

from ..concepts import concept_code
from ..errors import InputError
from ..schemas import ENTITY_LABELS, Constraint, Document, Entity, SpanRef

if TYPE_CHECKING:
    from ..evaluate.brat import BratEntity

__all__ = ["from_brat", "read_brat", "to_brat", "write_brat"]

#: Entity flag -> BRAT attribute; constraints carry the first two.
FLAG_ATTRIBUTES = {"negated": "Negated", "hypothetical": "Hypothetical",
                   "historical": "Historical", "family": "Family"}
NOT_ENTITY = "Not_entity"
#: The relation from each member of a list of subjects to its constraint's T.
SUBJECT_OF = "Subject_of"
#: The T label of a subject span that has no label.
NO_LABEL = "Subject"
_CONSTRAINT_FLAGS = ("negated", "hypothetical")
_TEMPORAL_KINDS = ("temporal", "duration")
_HAS = ("Has_value", "Has_temporal")
# What a BRAT line may not hold: the line ends of Python's str.splitlines.
_LINE_PART = re.compile(r"[^\n\r\v\f\x1c-\x1e\x85\u2028\u2029]+")
_JSON_LINE_ENDS = {0x85: "\\u0085", 0x2028: "\\u2028", 0x2029: "\\u2029"}
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

Key = Tuple[str, int, int]  # (label, start, end) of one T line


def to_brat(document: Document) -> Tuple[str, str]:
    """The `.txt` and `.ann` contents of a document (see the module docstring).

    document (Document): an annotated document.
    RETURNS (Tuple[str, str]): the text exactly as given, and the annotations.
    """
    entities = {_key(e.label, e): e for e in document.entities}
    constraints: Dict[Key, List[Constraint]] = {}
    relations: Dict[Tuple[Key, bool, Key], None] = {}  # (target, member?, source), in order

    def relate(target: Key, spans: Iterable[Optional[SpanRef]], member: bool = False) -> None:
        relations.update({(target, member, _key(s.label, s)): None for s in spans if s is not None})

    for c in document.constraints:
        if c.start is None or c.end is None:
            continue
        key = _key("Temporal" if c.kind in _TEMPORAL_KINDS else "Value", c)
        constraints.setdefault(key, []).append(c)
        relate(key, [c.subject])
        if c.subjects != [c.subject]:
            relate(key, c.subjects, member=True)
    for key, entity in entities.items():
        if key not in constraints:
            relate(key, [entity.subject])
    keys = set(entities) | set(constraints) | {k for r in relations for k in (r[0], r[2])}
    order = {k: i for i, k in enumerate(sorted(keys, key=lambda k: (k[1], k[2], k[0])), 1)}
    text = document.text
    lines = [_t_line(f"T{i}", key, text) for key, i in order.items()]
    ranked = sorted(relations, key=lambda r: (order[r[0]], r[1], order[r[2]]))
    lines += [f"R{i}\t{SUBJECT_OF if member else _has(target)} Arg1:T{order[source]} "
              f"Arg2:T{order[target]}" for i, (target, member, source) in enumerate(ranked, 1)]
    attributes, notes = [], []
    for key, i in order.items():
        tid, entity, held = f"T{i}", entities.get(key), constraints.get(key, [])
        owner = entity if entity is not None else (held[0] if held else None)
        flags = {f: bool(getattr(owner, f, False)) for f in FLAG_ATTRIBUTES}
        attributes += [f"{FLAG_ATTRIBUTES[f]} {tid}" for f, on in flags.items() if on]
        if entity is None:
            attributes.append(f"{NOT_ENTITY} {tid}")
        if held:
            fields = [_note_fields(c, flags) for c in held]
            note = fields[0] if len(fields) == 1 else fields
            notes.append(f"AnnotatorNotes {tid}\t{_json(note)}")
    lines += [f"A{i}\t{a}" for i, a in enumerate(attributes, 1)]
    lines += [f"#{i}\t{n}" for i, n in enumerate(notes, 1)]
    return text, "".join(line + "\n" for line in lines)


def write_brat(documents: Iterable[Document], folder: Union[str, Path]) -> int:
    """Write `<id>.txt` + `<id>.ann` per document and an `annotation.conf` into `folder`.

    Ids become file names: characters other than letters, digits, `.`, `_` and `-` turn
    into `_`, and a name already taken gets `_2`, `_3`, ...

    documents (Iterable[Document]): the documents, consumed lazily.
    folder (Union[str, Path]): the folder, created if needed.
    RETURNS (int): how many documents were written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    taken: Set[str] = set()
    labels: Set[str] = set()
    count = 0
    for document in documents:
        name = _file_name(document.id, taken)
        text, ann = to_brat(document)
        for suffix, content in ((".txt", text), (".ann", ann)):
            with open(folder / f"{name}{suffix}", "w", encoding="utf-8", newline="") as handle:
                handle.write(content)
        labels.update(re.findall(r"^T\d+\t(\S+)", ann, re.M))
        count += 1
    with open(folder / "annotation.conf", "w", encoding="utf-8") as handle:
        handle.write(_annotation_conf(labels))
    return count


def read_brat(folder: Union[str, Path]) -> Iterator[Document]:
    """Read a folder of BRAT pairs (as `write_brat` writes them, corrected or not).

    folder (Union[str, Path]): the folder; each `NAME.txt` is one document with id NAME,
        its `NAME.ann` beside it (absent: no annotation).
    YIELDS (Document): the documents, sorted by file name.
    RAISES (InputError): for a missing folder or an annotation line that cannot be read,
        naming the file and line.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(str(folder), "no such folder")
    for txt in sorted(folder.glob("*.txt")):
        ann_path = txt.with_suffix(".ann")
        ann = _read(ann_path) if ann_path.exists() else ""
        yield from_brat(_read(txt), ann, id=txt.stem, source=str(ann_path))


def from_brat(text: str, ann: str, *, id: str = "doc", source: str = "<ann>") -> Document:
    """One Document from the text and `.ann` content of a BRAT pair.

    text (str): the `.txt` content.
    ann (str): the `.ann` content.
    id (str): the document id. Defaults to "doc".
    source (str): the name errors give for the `.ann`.
    RETURNS (Document): the entities and constraints the annotations hold.
    RAISES (InputError): for a line that cannot be read, as `source:line`.
    """
    from ..evaluate.brat import parse_ann  # the project's BRAT line reader, tolerant; strict here

    doc = parse_ann(ann, text=text, doc_id=id)

    def where(annotation_id: str) -> str:
        return f"{source}:{doc.line_of[annotation_id]}"

    bad = [(n, line) for n, line in doc.malformed_lines if line[:1] != "N"]  # N: no place here
    if bad:
        number, line = bad[0]
        what = ("text-bound line (T<n> TAB label start end TAB text)" if line[:1] == "T"
                else "annotation line")
        raise InputError(f"{source}:{number}", f"not a BRAT {what}: {line[:80]!r}")
    if doc.repeated:
        number, annotation_id = doc.repeated[0]
        raise InputError(f"{source}:{number}", f"{annotation_id} is defined twice")
    spans = {tid: _span(entity, text, where(tid)) for tid, entity in doc.entities.items()}

    def known(annotation_id: str, target: str) -> None:
        if target not in spans:
            raise InputError(where(annotation_id), f"{target} is no T annotation of this file")

    links: Dict[Tuple[str, bool], List[str]] = {}  # (T id, member?) -> T ids pointing at it
    for relation in doc.relations:
        if relation.type in (*_HAS, SUBJECT_OF):
            known(relation.id, relation.arg1)
            known(relation.id, relation.arg2)
            links.setdefault((relation.arg2, relation.type == SUBJECT_OF), []).append(relation.arg1)
    names: Dict[str, Set[str]] = {}
    for attribute in doc.attributes:
        known(attribute.id, attribute.target)
        names.setdefault(attribute.target, set()).add(attribute.name)
    notes: Dict[str, Tuple[List[dict], str]] = {}  # T id -> (constraints' fields, where)
    for note in doc.notes:
        if note.text.lstrip().startswith(("{", "[")):  # else a reviewer's comment
            known(note.id, note.target)
            notes[note.target] = (_parse_note(note.text, where(note.id)), where(note.id))
    entities: List[Entity] = []
    constraints: List[Constraint] = []
    for span in sorted(spans.values(), key=lambda s: (s.start, s.end, s.label)):
        on = names.get(span.id, set())
        pointing = [[spans[i] for i in dict.fromkeys(links.get((span.id, member), []))]
                    for member in (False, True)]
        subject, subjects = _subjects(*pointing, text)
        flags = {f: FLAG_ATTRIBUTES[f] in on for f in FLAG_ATTRIBUTES}
        held, note_where = notes.get(span.id, ([], ""))
        for fields in held:
            values = {**{f: flags[f] for f in _CONSTRAINT_FLAGS}, **fields, "start": span.start,
                      "end": span.end, "text": span.text(text), "subject": subject,
                      "subjects": subjects}
            try:
                constraints.append(Constraint(**values))
            except ValidationError as err:
                raise InputError(note_where, f"the note of {span.id}: {_first_error(err)}") from err
        if NOT_ENTITY not in on:
            entities.append(Entity(start=span.start, end=span.end, text=span.text(text),
                                   label=span.label, subject=None if span.id in notes else subject,
                                   concept=concept_code(span.text(text)) if span.label == "Measurement" else None,
                                   **flags))
    return Document(id=id, text=text, entities=entities, constraints=constraints)


@dataclass
class _Span:
    """One T line read back: label and covering extent."""

    id: str
    label: str
    start: int
    end: int

    def text(self, text: str) -> str:
        return text[self.start:self.end]

    def ref(self, text: str) -> SpanRef:
        return SpanRef(start=self.start, end=self.end, text=self.text(text),
                       label=None if self.label == NO_LABEL else self.label,
                       concept=concept_code(self.text(text)))


def _key(label: Optional[str], span: Union[Entity, Constraint, SpanRef]) -> Key:
    return (label or NO_LABEL, span.start, span.end)


def _has(target: Key) -> str:
    return "Has_temporal" if target[0] == "Temporal" else "Has_value"


def _t_line(tid: str, key: Key, text: str) -> str:
    label, start, end = key
    fragments = [m.span() for m in _LINE_PART.finditer(text, start, end)] or [(start, end)]
    spec = ";".join(f"{s} {e}" for s, e in fragments)
    return f"{tid}\t{label} {spec}\t{' '.join(text[s:e] for s, e in fragments)}"


def _note_fields(constraint: Constraint, flags: Dict[str, bool]) -> dict:
    """The fields BRAT cannot hold: all but span, subjects and flags its T already has."""
    fields = constraint.model_dump(
        mode="json", exclude_none=True,
        exclude={"start", "end", "text", "subject", "subjects", *_CONSTRAINT_FLAGS})
    fields.update({f: getattr(constraint, f) for f in _CONSTRAINT_FLAGS
                   if getattr(constraint, f) != flags[f]})
    return fields


def _json(data: Union[dict, list]) -> str:
    """Compact JSON on one line, even for BRAT, which also ends lines at U+0085/2028/2029."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_JSON_LINE_ENDS)


def _file_name(doc_id: str, taken: Set[str]) -> str:
    base = _UNSAFE_NAME.sub("_", doc_id).lstrip(".")[:120] or "doc"
    name, n = base, 1
    while name.casefold() in taken:  # case-insensitive file systems
        n += 1
        name = f"{base}_{n}"
    taken.add(name.casefold())
    return name


def _annotation_conf(labels: Set[str]) -> str:
    entities = [*ENTITY_LABELS, *sorted(labels - set(ENTITY_LABELS))]
    attributes = [*FLAG_ATTRIBUTES.values(), NOT_ENTITY]
    return "\n".join([
        "# BRAT configuration of a criteria_nlp export: Chia's entity types (criteria_nlp.io.brat)",
        "[entities]", *entities,
        "[relations]",
        "Has_value\tArg1:<ENTITY>, Arg2:<ENTITY>",
        "Has_temporal\tArg1:<ENTITY>, Arg2:Temporal",
        f"{SUBJECT_OF}\tArg1:<ENTITY>, Arg2:<ENTITY>",
        "<OVERLAP>\tArg1:<ENTITY>, Arg2:<ENTITY>, <OVL-TYPE>:<ANY>",
        "[events]",
        "[attributes]", *(f"{a}\tArg:<ENTITY>" for a in attributes),
    ]) + "\n"


def _read(path: Path) -> str:
    """A file's text as stored: UTF-8, line ends untouched (BRAT offsets count them)."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(str(path), str(err)) from err


def _span(entity: BratEntity, text: str, where: str) -> _Span:
    """A T annotation read back, its offsets and words checked against the text."""
    spec = ";".join(f"{s} {e}" for s, e in entity.fragments)
    if any(not 0 <= s <= e <= len(text) for s, e in entity.fragments):
        raise InputError(where, f"offsets {spec} are outside the text of {len(text)} characters")
    found = " ".join(text[s:e] for s, e in entity.fragments)
    if found != entity.text:
        raise InputError(where, f"{entity.id} says {entity.text!r} but the text at {spec} is {found!r}; "
                                "give the offsets of the .txt as stored (line ends count)")
    return _Span(entity.id, entity.label, entity.start, entity.end)


def _parse_note(note: str, where: str) -> List[dict]:
    try:
        data = json.loads(note)
    except json.JSONDecodeError as err:
        raise InputError(where, f"the note is not valid JSON: {err}") from err
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(item, dict) for item in items):
        raise InputError(where, "the note is neither a JSON object nor a list of objects")
    return items


def _subjects(subjects: List[_Span], members: List[_Span], text: str
              ) -> Tuple[Optional[SpanRef], List[SpanRef]]:
    """The subject (the first `Has_*` source in text order) and the subjects (the
    `Subject_of` sources, else the `Has_*` ones) of a T."""
    refs, member_refs = ([s.ref(text) for s in sorted(group, key=lambda s: (s.start, s.end))]
                         for group in (subjects, members))
    return (refs[0] if refs else None), member_refs or refs


def _first_error(err: ValidationError) -> str:
    first = err.errors()[0]
    return f"{'.'.join(map(str, first['loc'])) or 'value'}: {first['msg']}"
