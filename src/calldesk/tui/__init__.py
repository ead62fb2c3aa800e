"""The Textual front end: a thin layer that turns core objects into widgets and keys into core calls."""
