"""The Textual front end: turns core objects into widgets and key presses into core calls."""
