"""The operational store (users, sessions, audit, login attempts, local priorities, jobs)."""

from paragon.ops.store import OpsStore, copy_store, default_url, open_for_warehouse

__all__ = ["OpsStore", "copy_store", "default_url", "open_for_warehouse"]
