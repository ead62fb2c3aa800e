"""Promises made to callers: parsed from notes, kept in the store, reminded before they fall due."""
