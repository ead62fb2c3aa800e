"""The database as the TUI and CLI see it: open it, pass it to `records` functions, close it.

The edges import this module rather than `core.db` (an import-linter contract says so): what
is stored is read and written through each concept's `records` module.
"""

from calldesk.core.db.connection import database_exists
from calldesk.core.db.database import Database
from calldesk.core.db.errors import (
    NotFound,
    StoreCorrupt,
    StoreError,
    StoreInUse,
    StoreLocked,
    StoreReadOnly,
    StoreTooNew,
    StoreUnavailable,
)
from calldesk.core.db.vanish import Recreated

__all__ = [
    "Database",
    "NotFound",
    "Recreated",
    "StoreCorrupt",
    "StoreError",
    "StoreInUse",
    "StoreLocked",
    "StoreReadOnly",
    "StoreTooNew",
    "StoreUnavailable",
    "database_exists",
]
