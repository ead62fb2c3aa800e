"""The SQLite store: connection, lock, migrations and errors."""
