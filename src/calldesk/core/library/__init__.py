"""The phrase library: reading, search, watching, schema, stats, problems, Espanso import."""
