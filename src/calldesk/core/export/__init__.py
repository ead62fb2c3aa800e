"""Markdown export of calls and its redaction."""
