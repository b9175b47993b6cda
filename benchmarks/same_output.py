"""Check that a change leaves the output of `annotate` on the corpora the same, byte for byte.

A speed change must not change what comes out. Save the output of the code before the
change, make the change, and compare:

    python benchmarks/same_output.py save /tmp/before            # on the code before
    python benchmarks/same_output.py check /tmp/before           # on the code after: exit 1 if any differ
    python benchmarks/same_output.py check /tmp/before --rules-only --corpora ctgov-raw

Each corpus of ../shared/corpora (chia, lct, ctgov-raw by default) is annotated by the
`annotate` command in a process of its own, into `DIR/<corpus>.jsonl` (`save`) or a
temporary file (`check`), which is then compared with the saved one line by line. For each
document that differs, the report names the record and the constraints or fields that
changed (the first few documents only). `--rules-only` leaves out the trained recognizer,
which is where grammar and speed changes show first; the default is the whole pipeline.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence

REPO = Path(__file__).resolve().parents[1]
CORPORA = ("chia", "lct", "ctgov-raw")
SHOWN = 5  # documents whose differences are printed, per corpus


def corpora_root() -> Path:
    """../shared/corpora, from the current directory or from the repository."""
    for base in (Path.cwd(), REPO):
        root = (base / ".." / "shared" / "corpora").resolve()
        if root.is_dir():
            return root
    raise SystemExit("../shared/corpora not found (from the current directory or the repository)")


def annotate(corpus: Path, output: Path, rules_only: bool) -> None:
    """Run the `annotate` command on one corpus folder into `output`."""
    command = [sys.executable, "-m", "criteria_nlp", "annotate", str(corpus), "--output", str(output)]
    command += ["--rules-only"] if rules_only else []
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"annotate failed on {corpus} (exit {done.returncode}):\n{done.stderr[-2000:]}")


def differences(before: Path, after: Path, shown: int = SHOWN) -> List[str]:
    """What differs between two outputs of `annotate`: one line per differing document (the
    first `shown` with their changed constraints or fields), or nothing when they are equal."""
    if before.read_bytes() == after.read_bytes():
        return []
    old_lines = before.read_text(encoding="utf-8").splitlines()
    new_lines = after.read_text(encoding="utf-8").splitlines()
    if len(old_lines) != len(new_lines):
        return [f"{len(old_lines)} documents before, {len(new_lines)} after"]
    report: List[str] = []
    for old_line, new_line in zip(old_lines, new_lines):
        if old_line == new_line:
            continue
        old, new = json.loads(old_line), json.loads(new_line)
        if len(report) >= shown:
            report.append(f"{new.get('id')}: differs")
            continue
        report.append(f"{new.get('id')}: " + "; ".join(_changed(old, new)))
    return report


def _changed(old: dict, new: dict) -> List[str]:
    """The fields of a document that changed; constraints by their offsets."""
    changes = [f"field {key!r}" for key in sorted(set(old) | set(new))
               if key != "constraints" and old.get(key) != new.get(key)]
    by_offsets: Dict[str, Dict[tuple, dict]] = {
        side: {(c["start"], c["end"]): c for c in doc.get("constraints") or []}
        for side, doc in (("old", old), ("new", new))}
    for span in sorted(set(by_offsets["old"]) | set(by_offsets["new"])):
        a, b = by_offsets["old"].get(span), by_offsets["new"].get(span)
        if a != b:
            text = (b or a or {}).get("text")
            what = "added" if a is None else "dropped" if b is None else "changed"
            changes.append(f"constraint {span} {text!r} {what}")
    return changes


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["save", "check"], help="save the output, or check against it")
    parser.add_argument("folder", type=Path, help="where the saved output is (or goes)")
    parser.add_argument("--corpora", default=",".join(CORPORA),
                        help=f"comma-separated folders of ../shared/corpora (default {','.join(CORPORA)})")
    parser.add_argument("--rules-only", action="store_true", help="the pipeline without the recognizer")
    args = parser.parse_args(argv)
    root = corpora_root()
    names = [name.strip() for name in args.corpora.split(",") if name.strip()]
    args.folder.mkdir(parents=True, exist_ok=True)
    differing = 0
    with tempfile.TemporaryDirectory() as scratch:
        for name in names:
            saved = args.folder / f"{name}.jsonl"
            if args.action == "save":
                annotate(root / name, saved, args.rules_only)
                print(f"{name}: saved {sum(1 for _ in saved.open(encoding='utf-8'))} documents to {saved}")
                continue
            if not saved.exists():
                raise SystemExit(f"{saved} not found: run `save` on the code before the change first")
            fresh = Path(scratch) / f"{name}.jsonl"
            annotate(root / name, fresh, args.rules_only)
            report = differences(saved, fresh)
            differing += bool(report)
            print(f"{name}: " + ("the same, byte for byte" if not report else f"{len(report)} differences"))
            for line in report:
                print("  " + line)
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
