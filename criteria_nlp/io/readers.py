"""Read eligibility texts from files, directories, JSONL, ClinicalTrials.gov JSON and stdin.

Each input becomes one or more `Record`s (CONTRACT.md, "Command"):

    file.txt             one record, the whole file, id = file stem
    directory/           every *.txt and *.json in it (not *.gold.json), sorted by name
    -                    standard input, id "stdin"
    file.jsonl           one record per line {"id": ..., "text": ...}
    study.json           ClinicalTrials.gov API v2: one study or {"studies": [...]}, id = NCT id
    anything else        read as text

Text is kept exactly as stored (line endings included), so offsets computed on it index
the file. A record that cannot be read still comes out, with `error` set and the batch goes
on; only a missing input raises `InputError`, before anything is yielded.
"""
from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, List, Optional, Sequence, TextIO, Tuple

from ..errors import InputError

STDIN = "-"
STDIN_ID = "stdin"
JSONL_SUFFIXES = (".jsonl", ".ndjson")
JSON_SUFFIXES = (".json",)
DIRECTORY_SUFFIXES = (".txt", ".json")
#: Gold annotations (corpus/*.gold.json) beside their texts: a directory scan skips them.
GOLD_SUFFIX = ".gold.json"
STRUCTURED_FIELDS = ("minimumAge", "maximumAge", "sex", "healthyVolunteers")

_BINARY_MAGIC = (
    (b"%PDF-", "PDF"),
    (b"PK\x03\x04", "zip archive, e.g. .docx or .xlsx"),
    (b"\x1f\x8b", "gzip"),
    (b"\xd0\xcf\x11\xe0", "OLE document, e.g. .doc or .xls"),
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
)
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_SNIFF = 8192
_CONTROL = bytes(sorted(set(range(0, 32)) - {9, 10, 11, 12, 13, 27}))  # control bytes no text holds
_STUDIES_RE = re.compile(rb'"studies"\s*:')


@dataclass
class Record:
    """One eligibility text to annotate, with where it came from.

    id (str): the document id: file stem, NCT id, the JSONL `id`, or "stdin".
    text (str): the text exactly as read; "" (or what could be read) when `error` is set.
    structured (Optional[dict]): raw ClinicalTrials.gov fields (minimumAge, maximumAge, sex,
        healthyVolunteers; present keys only), or None when the input had none.
    error (Optional[str]): why the record could not be read; None when it was.
    source (str): the file path, with ":<line>" for JSONL and ":studies[i]" for study lists.
    warning (Optional[str]): something odd that did not stop reading (bytes that are not
        UTF-8 replaced by U+FFFD); None usually.
    """

    id: str
    text: str
    structured: Optional[dict] = None
    error: Optional[str] = None
    source: str = ""
    warning: Optional[str] = None


# A planned read: (kind, path), kind in "stdin", "text", "jsonl", "json".
_Plan = List[Tuple[str, Optional[Path]]]


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in JSON_SUFFIXES:
        return "json"
    return "text"


def _directory_files(path: Path) -> List[Path]:
    try:
        entries = list(path.iterdir())
    except OSError as err:
        raise InputError(str(path), f"cannot list directory ({err.strerror or err})") from err
    files = [
        entry for entry in entries
        if entry.suffix.lower() in DIRECTORY_SUFFIXES
        and not entry.name.startswith(".")
        and not entry.name.lower().endswith(GOLD_SUFFIX)  # the project's gold, not input
        and entry.is_file()
    ]
    return sorted(files, key=lambda entry: entry.name)


def _plan(inputs: Sequence[str]) -> _Plan:
    """Resolve inputs to files, raising InputError for any that cannot be used."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]  # a lone path, not a sequence of one-letter paths
    missing = [str(item) for item in inputs if str(item) != STDIN and not Path(item).exists()]
    if missing:
        where = missing[0] if len(missing) == 1 else ", ".join(missing)
        raise InputError(where, "no such file or directory. Check the path")
    if sum(1 for item in inputs if str(item) == STDIN) > 1:
        raise InputError(STDIN, "standard input given more than once")
    plan: _Plan = []
    for item in inputs:
        if str(item) == STDIN:
            plan.append(("stdin", None))
            continue
        path = Path(item)
        if path.is_dir():
            files = _directory_files(path)
            if not files:
                raise InputError(str(path), "directory holds no .txt or .json files")
            plan.extend((_kind(file), file) for file in files)
        else:
            if not os.access(path, os.R_OK):
                raise InputError(str(path), "permission denied")
            plan.append((_kind(path), path))
    return plan


def read_inputs(inputs: Sequence[str], stdin: Optional[TextIO] = None) -> Iterator[Record]:
    """Read every input, in order, as Records.

    Inputs are checked when this is called, before anything is read: a path that does not
    exist, an unreadable file, an empty directory, or "-" given twice raise InputError. After
    that nothing raises: a file or line that cannot be read becomes a Record with `error` set.

    inputs (Sequence[str]): paths, directories, or "-" for standard input.
    stdin (Optional[TextIO]): the stream "-" reads. Defaults to sys.stdin (its bytes, so
        line endings stay as sent).
    RETURNS (Iterator[Record]): the records, lazily; JSONL is streamed line by line.
    """
    plan = _plan(inputs)
    return _read_plan(plan, stdin)


def _read_plan(plan: _Plan, stdin: Optional[TextIO]) -> Iterator[Record]:
    for kind, path in plan:
        if kind == "stdin":
            yield _read_stdin(stdin if stdin is not None else sys.stdin)
        elif kind == "jsonl":
            yield from _read_jsonl(path)
        elif kind == "json":
            yield from _read_json(path)
        else:
            yield _read_text(path)


def count_inputs(inputs: Sequence[str]) -> Optional[int]:
    """A cheap estimate of how many records `read_inputs` will yield, for a progress bar.

    JSONL counts its non-blank lines; a JSON file counts 1 unless it holds a "studies"
    list, which is then parsed and counted.

    inputs (Sequence[str]): as for read_inputs.
    RETURNS (Optional[int]): the estimate, or None when the inputs cannot be resolved.
    """
    try:
        plan = _plan(inputs)
    except InputError:
        return None
    total = 0
    for kind, path in plan:
        try:
            if kind == "jsonl":
                with open(path, "rb") as handle:
                    total += sum(1 for line in handle if line.strip())
            elif kind == "json":
                total += _count_json(path)
            else:
                total += 1
        except OSError:
            total += 1
    return total


def _count_json(path: Path) -> int:
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF)
    if not _STUDIES_RE.search(head) and not head.lstrip().startswith(b"["):
        return 1
    try:
        data = json.loads(path.read_bytes())
    except (ValueError, OSError, RecursionError):  # the reader reports why, on the record
        return 1
    items = data.get("studies") if isinstance(data, dict) else data
    return len(items) if isinstance(items, list) and items else 1


# --- text -----------------------------------------------------------------------------


def _binary_reason(data: bytes) -> Optional[str]:
    """Why `data` is not text, or None when it looks like text."""
    for magic, name in _BINARY_MAGIC:
        if data.startswith(magic):
            return f"binary content ({name}); convert it to plain text first"
    sample = data[:_SNIFF]
    if sample.count(0) * 100 >= len(sample):  # 1% NUL bytes: no text file has that
        return "binary content"
    controls = len(sample) - len(sample.translate(None, _CONTROL))  # counted in C
    if controls * 10 > len(sample):
        return "binary content"
    return None


def decode_text(data: bytes) -> Tuple[str, Optional[str], Optional[str]]:
    """Decode the bytes of a text input.

    UTF-8 (a leading byte-order mark is dropped); UTF-16/32 when a byte-order mark says so.
    Bytes that are not UTF-8 are replaced by U+FFFD and reported as a warning. Binary
    content (NUL-heavy, or a PDF/zip/gzip/image signature) gives text "" and an error.

    data (bytes): the raw input.
    RETURNS (Tuple[str, Optional[str], Optional[str]]): (text, error, warning).
    """
    if not data:
        return "", None, None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            body = data[len(bom):]
            if encoding == "utf-8":
                data = body
                break
            try:
                return body.decode(encoding), None, None
            except UnicodeDecodeError as err:
                return "", f"cannot decode {encoding} text: {err.reason} at byte {err.start}", None
    reason = _binary_reason(data)
    if reason is not None:
        return "", reason, None
    try:
        return data.decode("utf-8"), None, None
    except UnicodeDecodeError as err:
        text = data.decode("utf-8", errors="replace")
        bad = text.count("\ufffd") - data.decode("utf-8", errors="ignore").count("\ufffd")
        return text, None, (
            f"not valid UTF-8 (first bad byte at offset {err.start}); "
            f"{bad} invalid sequence(s) replaced by U+FFFD. Re-save the file as UTF-8"
        )


def _read_text(path: Path) -> Record:
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        return Record(id=path.stem, text="", error=f"cannot read file: {err.strerror or err}",
                      source=source)
    text, error, warning = decode_text(data)
    return Record(id=path.stem, text=text, error=error, source=source, warning=warning)


def _read_stdin(stream: Any) -> Record:
    buffer = getattr(stream, "buffer", None)
    try:
        data = buffer.read() if buffer is not None else stream.read()
    except (OSError, ValueError) as err:
        return Record(id=STDIN_ID, text="", error=f"cannot read standard input: {err}",
                      source=STDIN)
    if isinstance(data, bytes):
        text, error, warning = decode_text(data)
        return Record(id=STDIN_ID, text=text, error=error, source=STDIN, warning=warning)
    return Record(id=STDIN_ID, text=data or "", source=STDIN)


# --- JSONL ----------------------------------------------------------------------------


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _record_id(value: Any) -> Optional[str]:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int, float)):
        text = str(value).strip()
        return text or None
    return None


def _read_jsonl(path: Path) -> Iterator[Record]:
    stem = str(path.stem)
    try:
        handle = open(path, "rb")
    except OSError as err:
        yield Record(id=stem, text="", error=f"cannot read file: {err.strerror or err}",
                     source=str(path))
        return
    with handle:
        for lineno, raw in enumerate(handle, start=1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            yield _jsonl_record(raw, lineno, stem, f"{path}:{lineno}")


def _jsonl_record(raw: bytes, lineno: int, stem: str, source: str) -> Record:
    fallback = f"{stem}:{lineno}"
    warning = None
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.decode("utf-8", errors="replace")
        warning = (f"line {lineno} is not valid UTF-8 (byte {err.start}); "
                   "bad bytes replaced by U+FFFD")
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as err:
        return Record(id=fallback, text="", source=source,
                      error=f"malformed JSON at line {lineno}: {err.msg} (column {err.colno})")
    except RecursionError:
        return Record(id=fallback, text="", source=source,
                      error=f"malformed JSON at line {lineno}: nested too deeply")
    if not isinstance(obj, dict):
        return Record(id=fallback, text="", source=source,
                      error=f"line {lineno} is a JSON {_type_name(obj)}, not an object "
                            '{"id": ..., "text": ...}')
    if "text" not in obj and isinstance(obj.get("protocolSection"), dict):
        record = _study_record(obj, fallback, source)
        record.warning = record.warning or warning
        return record
    record_id = _record_id(obj.get("id")) or fallback
    structured = obj.get("structured") if isinstance(obj.get("structured"), dict) else None
    text = obj.get("text")
    if "text" not in obj:
        error = f'no "text" field at line {lineno}'
    elif not isinstance(text, str):
        error = f'"text" at line {lineno} is a {_type_name(text)}, not a string'
    else:
        return Record(id=record_id, text=text, structured=structured, source=source,
                      warning=warning)
    return Record(id=record_id, text="", structured=structured, error=error, source=source,
                  warning=warning)


# --- ClinicalTrials.gov API v2 JSON ----------------------------------------------------


def _read_json(path: Path) -> Iterator[Record]:
    stem, source = str(path.stem), str(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        yield Record(id=stem, text="", error=f"cannot read file: {err.strerror or err}",
                     source=source)
        return
    warning = None
    try:
        try:
            obj = json.loads(data)
        except UnicodeDecodeError as err:
            warning = (f"not valid UTF-8 (first bad byte at offset {err.start}); "
                       "bad bytes replaced by U+FFFD. Re-save the file as UTF-8")
            obj = json.loads(data.decode("utf-8", errors="replace"))
    except json.JSONDecodeError as err:
        yield Record(id=stem, text="", source=source, warning=warning,
                     error=f"malformed JSON at line {err.lineno}: {err.msg} (column {err.colno})")
        return
    except RecursionError:
        yield Record(id=stem, text="", source=source, error="malformed JSON: nested too deeply")
        return
    for record in _json_records(obj, stem, source):
        record.warning = record.warning or warning
        yield record


def _json_records(obj: Any, stem: str, source: str) -> Iterator[Record]:
    if isinstance(obj, list):
        studies = obj
    elif isinstance(obj, dict) and "studies" in obj and "protocolSection" not in obj:
        studies = obj["studies"]
    else:
        yield _study_record(obj, stem, source)
        return
    if not isinstance(studies, list):
        yield Record(id=stem, text="", source=source,
                     error=f'"studies" is a JSON {_type_name(studies)}, not a list')
        return
    if not studies:
        yield Record(id=stem, text="", source=source, error="file holds an empty list of studies")
        return
    for index, study in enumerate(studies):
        yield _study_record(study, f"{stem}[{index}]", f"{source}:studies[{index}]")


def _study_record(study: Any, fallback: str, source: str) -> Record:
    """One Record from one study object (or from a plain {"id", "text"} object)."""
    if not isinstance(study, dict):
        return Record(id=fallback, text="", source=source,
                      error=f"study is a JSON {_type_name(study)}, not an object")
    protocol = study.get("protocolSection")
    if not isinstance(protocol, dict):
        if isinstance(study.get("text"), str):  # {"id": ..., "text": ...} in a .json file
            structured = study.get("structured")
            return Record(id=_record_id(study.get("id")) or fallback, text=study["text"],
                          structured=structured if isinstance(structured, dict) else None,
                          source=source)
        return Record(id=fallback, text="", source=source,
                      error="not a ClinicalTrials.gov API v2 study: no protocolSection object")
    identification = protocol.get("identificationModule")
    nct_id = identification.get("nctId") if isinstance(identification, dict) else None
    record_id = _record_id(nct_id) or fallback
    module = protocol.get("eligibilityModule")
    if not isinstance(module, dict):
        return Record(id=record_id, text="", source=source,
                      error="study has no protocolSection.eligibilityModule")
    structured = {key: module[key] for key in STRUCTURED_FIELDS if key in module}
    text = module.get("eligibilityCriteria")
    if not isinstance(text, str):
        reason = "missing" if text is None else f"a {_type_name(text)}, not a string"
        return Record(id=record_id, text="", structured=structured, source=source,
                      error=f"eligibilityModule.eligibilityCriteria is {reason}")
    return Record(id=record_id, text=text, structured=structured, source=source)
