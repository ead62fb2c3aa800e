"""Calls and their notes: the model, the desk that runs a call, autosave and caller lookup."""
