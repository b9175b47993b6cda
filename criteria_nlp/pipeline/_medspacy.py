"""The parts of medspaCy's ConText that the context component uses, imported without nltk.

medspaCy loads QuickUMLS, and QuickUMLS loads nltk (with SciPy and scikit-learn) at its top,
whatever part of medspaCy is imported; nothing here calls them. nltk is deferred
(`criteria_nlp.deferred`) until QuickUMLS uses it: loading the pipeline takes about 2.3 s
and 120 MB less.
"""
from ..deferred import deferring

with deferring("nltk"):
    from medspacy.context import ConTextRule
    from medspacy.context.context import DEFAULT_ATTRIBUTES
    from medspacy.context.context_graph import ConTextGraph
    from medspacy.context.context_modifier import ConTextModifier

__all__ = ["DEFAULT_ATTRIBUTES", "ConTextGraph", "ConTextModifier", "ConTextRule"]
