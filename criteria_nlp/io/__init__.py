"""Reading inputs into Records and writing Documents: the edges of `criteria_nlp annotate`."""
from .brat import read_brat, write_brat
from .readers import Record, count_inputs, decode_text, read_inputs
from .structured import age_constraint, parse_age, structured_from_ctgov
from .writers import format_interval, write_html, write_json, write_jsonl, write_table

__all__ = [
    "Record",
    "read_inputs",
    "count_inputs",
    "decode_text",
    "structured_from_ctgov",
    "age_constraint",
    "parse_age",
    "write_jsonl",
    "write_json",
    "write_table",
    "write_html",
    "format_interval",
    "write_brat",
    "read_brat",
]
