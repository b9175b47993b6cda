"""The spaCy side of criteria_nlp: the tokenizer, the components and the Language.

spaCy is imported here first, without its command line (`spacy.cli`, which `import spacy`
loads whole for `spacy.info`: every command, jinja2, requests), see `criteria_nlp.deferred`;
the package's modules that use spaCy import this package before spaCy.
"""
from ..deferred import deferring

with deferring("spacy.cli", "requests"):
    import spacy  # noqa: F401
