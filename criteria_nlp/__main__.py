"""`python -m criteria_nlp ...`: see `criteria_nlp.cli`."""
from .cli import main

if __name__ == "__main__":
    main()
