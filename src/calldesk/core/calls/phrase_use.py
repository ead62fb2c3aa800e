"""Phrases as used on the open call: filled in with what the call knows, and counted."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from calldesk.core.library import records as phrase_records

if TYPE_CHECKING:
    from calldesk.core.calls.model import Call
    from calldesk.core.calls.writes import Writes
    from calldesk.core.library.phrases import Phrase


class CallPhrases:
    """A phrase's words for the call in `open_call`, and the record that it was used."""

    def __init__(
        self, writes: Writes, agent_name: str, open_call: Callable[[], Call | None]
    ) -> None:
        self._writes = writes
        self.agent_name = agent_name
        self._open_call = open_call

    def values(self, call: Call | None = None) -> dict[str, str]:
        """The placeholders `call` (default: the open one) fills: agent, customer, number..."""
        call = call or self._open_call()
        values = {"agent": self.agent_name}
        if call is not None:
            values |= {
                "customer": call.caller_name,
                "number": call.caller_number,
                "ticket": call.ticket,
            }
        return values

    def text(self, phrase: Phrase) -> str:
        """The phrase's words with what the open call knows filled in."""
        from calldesk.core.library.phrases import render

        return render(phrase.say, self.values()).strip()

    def use(self, phrase: Phrase, action: str) -> str:
        """Record that `phrase` was inserted or copied, and return its filled-in text."""
        from calldesk.core.library.phrases import placeholders

        values = self.values()
        filled: Mapping[str, bool] = {
            name: bool(values.get(name)) for name in placeholders(phrase.say)
        }
        call_id_source = self._open_call()
        store = self._writes.store
        self._writes.submit(
            lambda: phrase_records.record_phrase_use(
                store, phrase.id, call_id_source.id if call_id_source else None, action, filled
            )
        )
        return self.text(phrase)
