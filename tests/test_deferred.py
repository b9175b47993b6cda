"""The deferred nltk import: loading the pipeline leaves nltk (and SciPy's statistics,
scikit-learn) unloaded, and a program that uses nltk or QuickUMLS still gets them whole."""
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
        loaded = [m for m in ("nltk", "sklearn", "scipy.stats", "quickumls") if m in sys.modules]
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


def test_the_stand_in_lives_only_inside_the_block():
    name = "no_such_module_criteria_nlp"
    with deferring("json", "os.path", name):  # imported already, not top-level, not installed
        assert name not in sys.modules
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
