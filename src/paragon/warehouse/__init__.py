"""The DuckDB warehouse: one wrapper class, one schema."""

from paragon.warehouse.db import Warehouse

__all__ = ["Warehouse"]
