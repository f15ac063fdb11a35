"""`python -m paragon` runs the command line."""

from paragon.cli import app

app()
