"""Every data file of the package loads; a broken file fails here, not for a user."""
from importlib.resources import files

import pytest

from criteria_nlp.errors import RuleFileError
from criteria_nlp.lexicon import Lexicon, read_resource
from criteria_nlp.pipeline.context import read_rule_data
from criteria_nlp.subjects import SubjectFinder

RESOURCES = sorted(p.name for p in files("criteria_nlp.resources").iterdir() if p.name.endswith(".json"))


@pytest.mark.parametrize("name", RESOURCES)
def test_resources_every_json_file_parses(name):
    assert read_resource(name)


def test_resources_lexicon_compiles():
    lexicon = Lexicon(read_resource("quantity_lexicon.json"))
    assert lexicon.comparators_before["at least"] == "ge"
    assert lexicon.comparators_after["or older"] == "ge"


def test_resources_lexicon_rejects_unknown_and_missing_keys():
    data = dict(read_resource("quantity_lexicon.json"))
    data["range_joinerz"] = data.pop("range_joiners")
    with pytest.raises(RuleFileError) as err:
        Lexicon(data, source="my_lexicon.json")
    assert str(err.value).startswith("[E002] bad rule in my_lexicon.json: unknown key(s) range_joinerz; "
                                     "missing key(s) range_joiners")


def test_resources_lexicon_word_lists_drive_the_grammar():
    """A joiner is data: taking `through` out of `range_joiners` takes the range away."""
    from criteria_nlp.quantities import QuantityParser

    data = dict(read_resource("quantity_lexicon.json"))
    text = "hemoglobin 8 through 10 g/dL"
    def found(lexicon):
        return [(text[r["start"]:r["end"]], r["lower"]["value"]) for r in QuantityParser(lexicon)(text)]

    assert found(Lexicon(data)) == [("8 through 10 g/dL", 8.0)]
    data["range_joiners"] = [j for j in data["range_joiners"] if j != "through"]
    assert found(Lexicon(data)) == [("10 g/dL", 10.0)]


def test_resources_linker_words_load():
    assert SubjectFinder(read_resource("linker.json")).label("Major surgery", "temporal") == "Procedure"


def test_resources_context_rules_are_medspacy_rules():
    from medspacy.context import ConTextRule

    rules = [ConTextRule.from_dict(r) for r in read_rule_data()["context_rules"]]
    assert {r.category for r in rules} >= {"NEGATED_EXISTENCE", "HYPOTHETICAL", "PSEUDO", "TERMINATE"}


def test_resources_bad_file_names_file_and_line(tmp_path, monkeypatch):
    import criteria_nlp.lexicon as lexicon_module

    (tmp_path / "broken.json").write_text('{\n  "a": 1,\n  oops\n}', encoding="utf-8")
    monkeypatch.setattr(lexicon_module, "files", lambda _: tmp_path)
    with pytest.raises(RuleFileError) as err:
        read_resource("broken.json")
    assert "broken.json:3" in str(err.value) and "[E002]" in str(err.value)


def test_resources_screening_words_are_all_read():
    """Every word list of screening.json is read by the screener: no dead keys."""
    import sys
    from pathlib import Path

    import criteria_nlp  # noqa: F401  (criteria_nlp.screen is the function; the module is here)

    source = Path(sys.modules["criteria_nlp.screen"].__file__).read_text(encoding="utf-8")
    keys = read_resource("screening.json")
    assert keys and all(f'"{key}"' in source or f"'{key}'" in source for key in keys)
