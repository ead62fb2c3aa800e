"""The SQLite database: connection, lock, migrations and errors (what is stored is elsewhere)."""
