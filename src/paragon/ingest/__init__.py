"""Ingest: one module per source format, all through the one engine (``engine.py``)."""
