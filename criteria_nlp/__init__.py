"""criteria_nlp: clinical-trial eligibility criteria to typed, checkable constraints."""
__version__ = "0.1.0"
