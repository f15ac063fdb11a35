"""`python -m paragon` runs the command line."""

from paragon.cli import app

if __name__ == "__main__":  # not when a worker process of `serve --workers` imports it
    app()
