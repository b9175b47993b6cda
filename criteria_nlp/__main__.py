"""`python -m criteria_nlp ...`: see `criteria_nlp.cli`."""
from .cli import app

if __name__ == "__main__":
    app(prog_name="criteria_nlp")
