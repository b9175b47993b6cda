"""Reference-limit bounds: for a measurement concept, the lowest and highest limit of normal
that adult reference intervals in use report, with where each figure comes from.

The table is `resources/reference_limits.tsv`; its header gives the columns and the rules.
The screener reads it for a multiple of a limit (`ALT > 2x ULN`) when the record gives no
reference range with the result:

    >>> get_reference_limits().get("LOINC:1742-6").uln  # ALT, U/L
    (19.0, 79.0)
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, Iterator, List, NoReturn, Optional, Tuple

from .concepts import ConceptTable, get_concepts, read_package_table, read_versioned_tsv
from .errors import RuleFileError

__all__ = ["ReferenceLimits", "ReferenceLimitTable", "get_reference_limits"]

LIMITS_FILE = "reference_limits.tsv"
_PACKAGE_PATH = f"criteria_nlp/resources/{LIMITS_FILE}"
_COLUMNS = "code, name, unit, lowest_uln, highest_uln, lowest_lln, highest_lln, source"

Bounds = Tuple[float, float]  # (lowest, highest) limit in use


@dataclass(frozen=True, slots=True)
class ReferenceLimits:
    """One row of reference_limits.tsv."""

    code: str  # LOINC:1742-6
    name: str  # a name of the concept (`alt`)
    unit: str  # the concept's preferred unit (U/L)
    uln: Optional[Bounds]  # the lowest and highest upper limit of normal in use; None if none
    lln: Optional[Bounds]  # the same for the lower limit
    source: str  # where each figure comes from

    def bounds(self, relative_to: Optional[str]) -> Optional[Bounds]:
        """(lowest, highest) limit for `ULN` or `LLN`; None when the row has none."""
        return {"ULN": self.uln, "LLN": self.lln}.get(relative_to or "")


class ReferenceLimitTable:
    """The rows of a reference_limits.tsv, by concept code.

    text (str or None): a reference_limits.tsv content; None for the package's.
    concepts (ConceptTable or None): the concepts its codes, names and units are checked
        against; None for the package's.
    Raises RuleFileError (a ValueError) naming the line of a bad row.
    """

    def __init__(self, text: Optional[str] = None, concepts: Optional[ConceptTable] = None) -> None:
        self.path = _PACKAGE_PATH if text is None else LIMITS_FILE
        self.text = read_package_table(LIMITS_FILE) if text is None else text
        self._concepts = concepts if concepts is not None else get_concepts()
        self.version, self.rows = self._parse()
        self._by_code: Dict[str, ReferenceLimits] = {row.code: row for row in self.rows}

    def get(self, code: Optional[str]) -> Optional[ReferenceLimits]:
        """The row of the concept with this code (`LOINC:1742-6`), or None."""
        return self._by_code.get(code or "")

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[ReferenceLimits]:
        return iter(self.rows)

    def _parse(self) -> Tuple[str, Tuple[ReferenceLimits, ...]]:
        rows: List[ReferenceLimits] = []
        lines: Dict[str, int] = {}
        version, table = read_versioned_tsv(self.text)
        for lineno, cols in table:
            if len(cols) != 8:
                self._fail(lineno, f"expected 8 TAB-separated columns ({_COLUMNS}), got {len(cols)}")
            code, name, unit, *figures, source = cols
            concept = self._concepts.by_code(code)
            if concept is None:
                self._fail(lineno, f"code {code!r} is no concept of concepts.tsv")
            if code in lines:
                self._fail(lineno, f"code {code} already on line {lines[code]}")
            lines[code] = lineno
            if self._concepts.find(name) is not concept:
                self._fail(lineno, f"name {name!r} does not find {code} in concepts.tsv")
            if unit != concept.unit:
                self._fail(lineno, f"unit {unit!r} is not {code}'s unit in concepts.tsv, {concept.unit!r}")
            uln = self._pair(lineno, "uln", figures[0], figures[1])
            lln = self._pair(lineno, "lln", figures[2], figures[3])
            if uln is None and lln is None:
                self._fail(lineno, "no limits: give lowest_uln and highest_uln, or the lln pair")
            if not source:
                self._fail(lineno, "no source")
            rows.append(ReferenceLimits(code, name, unit, uln, lln, source))
        if version is None:
            raise RuleFileError(self.path, None, "no `# version:` line")
        if not rows:
            raise RuleFileError(self.path, None, "no rows")
        return version, tuple(rows)

    def _pair(self, lineno: int, limit: str, lowest: str, highest: str) -> Optional[Bounds]:
        """(lowest, highest) from two columns, None for `-` `-`."""
        if lowest == "-" and highest == "-":
            return None
        try:
            low, high = float(lowest), float(highest)
        except ValueError:
            self._fail(lineno, f"lowest_{limit} and highest_{limit} must be numbers or both `-`, "
                               f"got {lowest!r} and {highest!r}")
        if not 0 < low <= high < float("inf"):
            self._fail(lineno, f"lowest_{limit} {lowest} and highest_{limit} {highest} must be "
                               "positive, lowest <= highest")
        return low, high

    def _fail(self, lineno: int, reason: str) -> NoReturn:
        raise RuleFileError(self.path, lineno, reason)


@lru_cache(maxsize=1)
def get_reference_limits() -> ReferenceLimitTable:
    """The package's reference-limit table, built once."""
    return ReferenceLimitTable()
