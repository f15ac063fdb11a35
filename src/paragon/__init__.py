"""Paragon: a police force plan as live, honest performance monitoring."""

__version__ = "0.1.0"
