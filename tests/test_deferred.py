"""The deferred imports: loading the pipeline leaves nltk (and SciPy's statistics,
scikit-learn) and spaCy's command line unloaded, and a program that uses nltk, QuickUMLS or
`spacy.cli` still gets them whole."""
import subprocess
import sys
import textwrap

from criteria_nlp.deferred import deferring


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_loading_the_pipeline_imports_no_nltk():
    out = _run("""
        import sys
        import criteria_nlp
        doc = criteria_nlp.annotate("No history of MI or stroke; ANC >= 1500/uL",
                                    nlp=criteria_nlp.load(entities=False))
        loaded = [m for m in ("nltk", "sklearn", "scipy.stats", "quickumls", "spacy.cli",
                              "spacy.cli.train", "spacy.cli.init_config") if m in sys.modules]
        print(len(doc.constraints), doc.constraints[0].subject.text, loaded)
    """)
    assert out == "1 ANC ['quickumls']"


def test_nltk_and_quickumls_still_work_after_the_pipeline():
    out = _run("""
        import importlib.metadata
        import criteria_nlp.pipeline.context
        import nltk.tokenize
        import nltk
        from nltk.corpus import stopwords
        import quickumls
        print(type(nltk).__name__, nltk.__version__ == importlib.metadata.version("nltk"),
              nltk.tokenize.TreebankWordTokenizer().tokenize("ANC >= 1500"),
              quickumls.QuickUMLS.__module__, quickumls.core.nltk.corpus is nltk.corpus)
    """)
    assert out == "module True ['ANC', '>', '=', '1500'] quickumls.core True"


def test_spacy_cli_still_works_after_the_pipeline():
    out = _run("""
        import sys
        import criteria_nlp
        criteria_nlp.load(entities=False)
        import spacy
        deferred = type(spacy.cli).__name__, "spacy.cli" in sys.modules
        from spacy.cli.train import train
        from spacy.cli import init_config
        import spacy.cli._util
        print(deferred, train.__module__, init_config.__module__, spacy.cli.info.__module__,
              type(sys.modules["spacy.cli"]).__name__, spacy.cli._util.app.info.name,
              spacy.info()["spacy_version"] == spacy.__version__)
    """)
    assert out == ("('_Deferred', False) spacy.cli.train spacy.cli.init_config spacy.cli.info "
                   "module spacy True")


def test_the_stand_in_lives_only_inside_the_block():
    name = "no_such_module_criteria_nlp"
    with deferring("json", "os.path", name, name + ".sub"):  # imported already, not installed
        assert name not in sys.modules and name + ".sub" not in sys.modules
        assert type(sys.modules["json"]).__name__ == "module"
    out = _run("""
        import importlib.util, sys
        from criteria_nlp.deferred import deferring
        with deferring("nltk"):
            import nltk
            print(type(nltk).__name__, nltk.__spec__.origin == importlib.util.find_spec("nltk").origin,
                  "nltk.corpus" in sys.modules)
        print("nltk" in sys.modules, nltk.corpus.__name__, type(sys.modules["nltk"]).__name__)
    """)
    assert out == "_Deferred True False\nFalse nltk.corpus module"


def test_a_package_stand_in_imports_its_submodules_alone():
    out = _run("""
        import sys
        from criteria_nlp.deferred import deferring
        with deferring("xml", "xml.dom"):  # a package, and a package inside one
            from xml.dom.minidom import parseString  # minidom reads xml.dom: the real one then
            kinds = type(sys.modules["xml"]).__name__, type(sys.modules["xml.dom"]).__name__
            print(kinds, parseString("<a>b</a>").documentElement.tagName)
        print("xml" in sys.modules, "xml.dom" in sys.modules)  # gone with the stand-in
        import xml.dom.minidom
        print(type(xml).__name__, xml.dom.minidom.parseString("<c/>").documentElement.tagName)
    """)
    assert out == "('_Deferred', 'module') a\nFalse False\nmodule c"
