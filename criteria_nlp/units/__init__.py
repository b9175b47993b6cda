"""Clinical units: find unit expressions in criteria text, give UCUM codes, convert values."""
from criteria_nlp.units.registry import (
    DIMENSIONS,
    UnitForm,
    UnitMatch,
    UnitTable,
    convert,
    get_registry,
    load_unit_forms,
    match_unit,
    parse_unit,
    to_ucum,
)

__all__ = [
    "DIMENSIONS",
    "UnitForm",
    "UnitMatch",
    "UnitTable",
    "convert",
    "get_registry",
    "load_unit_forms",
    "match_unit",
    "parse_unit",
    "to_ucum",
]
