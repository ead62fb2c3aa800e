"""Calls and their notes: the model, the desk that runs a call, autosave, caller lookup, records."""
