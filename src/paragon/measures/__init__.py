"""Measures: each plan measure computed from the warehouse, per year, month and LPU."""
