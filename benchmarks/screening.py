"""Time to screen one patient against one annotated trial, for the corpus's synthetic patients.

    python benchmarks/screening.py [--repeat 200] [--json OUT]

Each seed trial of `corpus/patients` is annotated once (rules only: the screener reads
constraints, and annotating is not what is timed), then each of its patients is screened
`--repeat` times; the best of five such runs, per screening, is reported. Reading the
patient file is left out (`read_patient` once); the first screening of a trial, which plans
its criteria, is timed apart.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import List, Optional

REPO = Path(__file__).resolve().parents[1]
PATIENTS = REPO / "corpus" / "patients"


def measure(repeat: int) -> List[dict]:
    import criteria_nlp
    from criteria_nlp.io import read_inputs
    from criteria_nlp.patient import read_patient
    from criteria_nlp.screen import screen

    wanted = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(PATIENTS.glob("*.verdicts.json"))]
    inputs = sorted({w["trial_input"] for w in wanted})
    nlp = criteria_nlp.load(entities=False)
    documents = {d.id: d for d in criteria_nlp.annotate_records(read_inputs([str(REPO / i) for i in inputs]), nlp=nlp)}
    rows = []
    for w in wanted:
        document = documents[w["trial"]]
        patient = read_patient(PATIENTS / w["patient_file"])
        as_of = dt.date.fromisoformat(w["as_of"])
        start = time.perf_counter()
        screening = screen(document, patient, as_of=as_of)
        first = time.perf_counter() - start
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(repeat):
                screen(document, patient, as_of=as_of)
            best = min(best, (time.perf_counter() - start) / repeat)
        rows.append({"trial": document.id, "patient": patient.id, "criteria": len(document.criteria),
                     "constraints": len(document.constraints), "first_us": round(first * 1e6),
                     "us": round(best * 1e6), "overall": screening.overall})
    return rows


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    rows = measure(args.repeat)
    print(f"{'trial':<12} {'patient':<9} {'criteria':>8} {'constr.':>7} {'first µs':>9} {'µs':>7}  overall")
    for r in rows:
        print(f"{r['trial']:<12} {r['patient']:<9} {r['criteria']:>8} {r['constraints']:>7} "
              f"{r['first_us']:>9} {r['us']:>7}  {r['overall']}")
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
