"""Keys typed ahead of a focus change land in the field the agent moved to.

Tab (its bindings `focus-next` and `focus-previous` are in `calldesk.tui.bindings`) and every
other key that moves the focus (`KeysInOrder`, below).

A terminal hands Textual a burst of keys in one read: Tab and the first letters of the next field
often arrive together when an agent types fast (within about 10 ms). Textual forwards each key to
the widget focused *when the app reads it*. Tab is a screen binding, so it only acts once the
focused field has looked at it and let it bubble up; by then the letters behind it have already
been forwarded to the old field, and land there.

As app-level priority bindings, Tab and shift+Tab move the focus as the app reads them, before
the keys behind them are forwarded. Nothing in calldesk uses Tab inside a field (every text area
is `tab_behavior="focus"`), so no field loses a key it wanted.
"""

from __future__ import annotations

import time
from typing import Any

from textual import events

RELEASE_AFTER = 0.1
"""Seconds after which held keys go on if nothing they wait for is still on its way."""

SCREEN_WAIT = 1.0
"""Seconds keys wait for a screen a key asked for (`KeysInOrder.hold_keys_for_screen`), and
the longest any hold lasts."""

HOLDING: set[int] = set()
"""Apps holding keys right now (by id): the test suite's idle wait waits for these too."""


class KeysInOrder:
    """App mixin: a key that moves the focus is settled before the keys typed behind it go on.

    F4 then "Ann", typed fast, must put Ann in the caller's name. But the keys behind F4 are
    already queued when it runs, and `Widget.focus()` is deferred (`call_later`), so they went
    to the field that still had the focus. Escape on a field is worse: the screen's binding
    only acts once the key has bubbled back up from the field, long after the letters behind it
    were forwarded. So after a key that is not plain text, or that some binding in the focus
    chain claims, the keys behind it are held: until it has bubbled back up to the app (for a
    binding) and the app has repainted (for the focus it moved), then let go in order. Plain
    typing is never held. After `RELEASE_AFTER` the keys go on, unless what they wait for is
    still on its way (on a busy machine a key can take longer than that to bubble back up);
    `SCREEN_WAIT` bounds every hold.
    """

    _held_keys: list[events.Key]
    _holding: bool = False
    _hold_number: int = 0
    _bubbling: events.Key | None = None
    _screen_coming: bool = False
    _repaint_release: int = 0  # the hold a release after the next repaints is queued for

    async def on_event(self, event: events.Event) -> None:
        if not isinstance(event, events.Key) or event.is_forwarded:
            await super().on_event(event)  # type: ignore[misc]
            return
        if self._holding:
            self._held_keys.append(event)
            return
        await self._handle_key(event)

    async def _on_key(self, event: events.Key) -> None:
        # The key came back up from the focused widget: its binding runs now (App._on_key).
        if event is self._bubbling:
            self._bubbling = None
            self._release_after_refresh(self._hold_number)

    async def run_action(self, *args: Any, **kwargs: Any) -> bool:
        # A priority key (F2, Tab...) or a click ran an action: let its focus change settle.
        if not self._holding:
            self._hold_keys()
            self._release_after_refresh(self._hold_number)
        return await super().run_action(*args, **kwargs)  # type: ignore[misc,no-any-return]

    async def _handle_key(self, key: events.Key) -> None:
        if self._typing_not_yet_in(key.key):
            self._hold_keys()
            self._held_keys.insert(0, key)
            self._release_once_typed(self._hold_number)
            return
        claimed = self._claimed_by_a_binding(key.key)
        if key.is_printable and not claimed:
            self._back_to_typing()
        if claimed:
            self._hold_keys()
            self._bubbling = key  # released when it is back (`_on_key`), or by the backstop
        await super().on_event(key)  # type: ignore[misc]
        if not claimed and not key.is_printable and not self._holding:
            self._hold_keys()
            self._release_after_refresh(self._hold_number)

    def _back_to_typing(self) -> None:
        """A letter the focused list has no use for: focus the field it belongs to (the note,
        from the note list), now, so it and every key behind it, bound or not, land there."""
        typing_field = getattr(self.focused, "typing_field", None)  # type: ignore[attr-defined]
        field = typing_field() if callable(typing_field) else None
        if field is not None:
            self.screen.set_focus(field)  # type: ignore[attr-defined]

    def _bindings_of(self, key: str) -> list[Any]:
        chain = self.screen._modal_binding_chain  # type: ignore[attr-defined]
        return [
            binding
            for _node, bindings in chain
            for binding in bindings.key_to_bindings.get(key, ())
        ]

    def _claimed_by_a_binding(self, key: str) -> bool:
        """Does a (non-priority) binding of the focused widget, its parents or the screen
        take `key`? Those act only once the key has bubbled back up to the app. A priority
        binding acts as the app reads the key, which then never travels (`run_action` holds)."""
        bindings = self._bindings_of(key)
        return bool(bindings) and not any(binding.priority for binding in bindings)

    def _typing_not_yet_in(self, key: str) -> bool:
        """Is `key` a priority binding's while letters typed before it still wait in the queue
        of the focused field? "Sam" and ctrl+s in one read: ctrl+s acts as the app reads it,
        so without a wait it saved the form before the field had the name."""
        focused = self.focused  # type: ignore[attr-defined]
        return (
            focused is not None
            and focused.message_queue_size > 0
            and any(binding.priority for binding in self._bindings_of(key))
        )

    def _release_once_typed(self, hold: int) -> None:
        if not self._holding or hold != self._hold_number:
            return
        focused = self.focused  # type: ignore[attr-defined]
        if focused is None or focused.message_queue_size == 0:
            self.call_later(self._let_keys_go, hold)  # type: ignore[attr-defined]
        else:
            self.set_timer(0.005, lambda: self._release_once_typed(hold))  # type: ignore[attr-defined]

    def hold_keys_for_screen(self) -> None:
        """A key asked for a screen that is still a message or two away (Enter on a note posts
        `EditRequested`; a controller pushes the dialog): the keys typed behind it are for that
        screen. Hold them until it is the current screen and has focused its field, not just
        for the repaints that settle a focus change, which come before the screen is up. At
        most `SCREEN_WAIT`: if no screen comes, the keys go on where they would have gone."""
        if self._holding:  # the key's own hold ends at a repaint: this one lasts longer
            self._holding = False
        self._hold_keys(SCREEN_WAIT)
        self._screen_coming = True

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        result = super().push_screen(screen, *args, **kwargs)  # type: ignore[misc]
        if self._screen_coming and self._holding:
            self._screen_coming = False
            self._release_when_focused(screen, self._hold_number)
        return result

    def _release_when_focused(self, screen: Any, hold: int) -> None:
        if not self._holding or hold != self._hold_number:
            return
        # A screen with nothing to focus (the break) takes its keys as soon as it is up.
        if self.screen is screen and (screen.focused is not None or not screen.focus_chain):  # type: ignore[attr-defined]
            self._release_after_refresh(hold)
        else:
            self.call_after_refresh(self._release_when_focused, screen, hold)  # type: ignore[attr-defined]

    def _hold_keys(self, limit: float = RELEASE_AFTER) -> None:
        if self._holding:
            return
        self._holding = True
        self._hold_number = hold = self._hold_number + 1
        HOLDING.add(id(self))
        if not hasattr(self, "_held_keys"):
            self._held_keys = []
        deadline = time.monotonic() + max(limit, SCREEN_WAIT)
        self.set_timer(limit, lambda: self._backstop(hold, deadline))  # type: ignore[attr-defined]

    async def _backstop(self, hold: int, deadline: float) -> None:
        """The hold has lasted its limit: let the keys go, unless the key they wait for is still
        bubbling up (not stopped on the way) or the repaints they wait for are queued."""
        if not self._holding or hold != self._hold_number:
            return
        key = self._bubbling
        # Textual has no public flag for a stopped message: if it goes, keys go at the limit.
        travelling = key is not None and not getattr(key, "_stop_propagation", True)
        if (travelling or self._repaint_release == hold) and time.monotonic() < deadline:
            self.set_timer(RELEASE_AFTER, lambda: self._backstop(hold, deadline))  # type: ignore[attr-defined]
            return
        await self._let_keys_go(hold, backstop=True)

    def _release_after_refresh(self, hold: int) -> None:
        if self._screen_coming:
            return  # a screen is on its way: `push_screen` lets the keys go once it is up
        # Two rounds: the action's deferred focus(), then what the newly focused widget does.
        self._repaint_release = hold
        after_refresh = self.call_after_refresh  # type: ignore[attr-defined]
        after_refresh(after_refresh, self._let_keys_go, hold)

    async def _let_keys_go(self, hold: int, backstop: bool = False) -> None:
        if not self._holding or hold != self._hold_number:
            return  # that hold is over; a later one is running
        if backstop:
            self._screen_coming = False
        self._holding = False
        self._bubbling = None
        HOLDING.discard(id(self))
        while self._held_keys and not self._holding:
            await self._handle_key(self._held_keys.pop(0))

    def stop_holding_keys(self) -> None:
        """The app is closing: keys still held go nowhere, and nothing waits for them."""
        self._holding = False
        self._bubbling = None
        self._screen_coming = False
        HOLDING.discard(id(self))


def keys_for_the_next_screen(app: object) -> None:
    """The key being handled closes a screen or starts work that opens one (F8, F6, F7, the
    outcome's answer): keys typed behind it are for the screen that comes next, not for the
    one under it (`KeysInOrder.hold_keys_for_screen`)."""
    if isinstance(app, KeysInOrder):
        app.hold_keys_for_screen()
