"""After the call: the cooldown break, the checklist and permanent fixes."""
