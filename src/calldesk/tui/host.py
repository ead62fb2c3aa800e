"""What the app's controllers may use of the app: its shared state and a few of its services.

The controllers (`after_call`, `library`, `phone`, `notes`, `promises`, …) are typed against
this protocol, not against `CalldeskApp`, so no module imports the app back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from rich.text import Text
    from textual.notifications import SeverityLevel
    from textual.screen import Screen
    from textual.widget import Widget
    from textual.worker import Worker
    from textual.worker_manager import WorkerManager

    from calldesk.config import Settings
    from calldesk.core.aftercall.cooldown import CooldownState
    from calldesk.core.calls.desk import Desk
    from calldesk.core.calls.model import Call
    from calldesk.core.clock import Clock
    from calldesk.core.library.loader import PhraseLibrary
    from calldesk.core.storage import Database
    from calldesk.tui.reads import DeskData

T = TypeVar("T")
W = TypeVar("W", bound="Widget")


class Host(Protocol):
    """The app as its controllers see it."""

    settings: Settings
    clock: Clock
    desk: Desk
    data: DeskData
    store: Database | None
    read_only_reason: str
    save_state: str
    cooldown: CooldownState | None
    breaks_today: str
    phone_link: str
    promise_status: Text
    """The next promise due, as the status line shows it (see `tui/promises.py`)."""

    @property
    def library(self) -> PhraseLibrary | None: ...

    @property
    def screen(self) -> Screen[Any]: ...

    @property
    def is_running(self) -> bool: ...

    @property
    def screen_stack(self) -> list[Screen[Any]]: ...

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None: ...

    def key(self, binding_id: str) -> str:
        """The key bound to `binding_id` now, as messages name it (`F2`)."""
        ...

    def name_keys(self, text: str) -> str:
        """`{key:<binding id>}` placeholders in a message (core names actions) become keys."""
        ...

    def push_screen(self, screen: Screen[Any], callback: Any = None) -> Any: ...

    async def push_screen_wait(self, screen: Screen[T]) -> T: ...

    def run_worker(self, work: Any, **options: Any) -> Worker[Any]: ...

    @property
    def workers(self) -> WorkerManager: ...

    def call_from_thread(self, callback: Callable[..., Any], *args: Any) -> Any: ...

    def refresh_bindings(self) -> None: ...

    def typed_within(self, seconds: float) -> bool:
        """Whether the agent pressed a key in the last `seconds`."""
        ...

    def exit(self) -> None: ...

    def bell(self) -> None: ...

    def copy_to_clipboard(self, text: str) -> None: ...

    def desk_widget(self, kind: type[W]) -> W | None:
        """A widget of the desk screen; None while the screens are built or taken down."""
        ...

    def to_desk(self) -> Awaitable[Screen[Any]]:
        """Close whatever is over the desk screen, and answer it."""
        ...

    def show_call(self) -> None:
        """Bring the open call (or none) to the desk: notes, status line, focus."""
        ...

    def refresh_status(self) -> None:
        """Redraw the status line now (the call's state or caller changed)."""
        ...

    def start_after_call(self, call: Call) -> None: ...

    def lookup_caller(self, number: str) -> None: ...

    def refresh_due(self) -> None: ...


async def desk_in_front(host: Host) -> None:
    """The open call changed (a key or the phone): the desk in front, showing it, keys to suit."""
    await host.to_desk()
    host.show_call()
    host.refresh_bindings()
