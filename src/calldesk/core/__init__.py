"""The calldesk domain in plain Python: phrases, calls, notes, checklist, cooldown, store."""
