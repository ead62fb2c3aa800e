"""The calldesk Textual app: owns the desk, the store and the controllers, and shows their state.

The app holds the state the screens show in reactive attributes (the open call, the break,
the status line's words); their watchers redraw. The work is done by controllers, one job
each: `Navigator`, `Calls`, `AfterCall`, `RecurringProblems`, `PhraseLibraryKeeper`,
`PhoneLine`, `NoteTaking`, `PracticeCoach`, `Exporter`, `Promises` (made through
`PromiseTaking`). Data comes through `DeskData`: behind the queued writes, back as messages.
"""

from __future__ import annotations

import asyncio
import gc
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, TypeVar

from rich.text import Text
from textual import events
from textual.app import App
from textual.binding import BindingType
from textual.driver import Driver
from textual.reactive import var
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from calldesk.config import Settings
from calldesk.core.aftercall.cooldown import CooldownState
from calldesk.core.calls.desk import Desk
from calldesk.core.calls.model import Call
from calldesk.core.clock import Clock, SystemClock
from calldesk.tui.after_call import AfterCall
from calldesk.tui.bindings import APP_BINDINGS, action_allowed, active_keymap, key_name, name_keys
from calldesk.tui.calls import Calls
from calldesk.tui.commands import CallCommands, PhraseCommands
from calldesk.tui.export import Exporter
from calldesk.tui.failures import (
    CRASHED,
    SaveFailed,
    SaveRecovered,
    Saving,
    StoreRecreated,
    log_renderables,
)
from calldesk.tui.library import PhraseLibraryKeeper, PhrasesChanged, PhrasesLoaded, WatchTrouble
from calldesk.tui.navigation import Navigator
from calldesk.tui.notes import NoteTaking
from calldesk.tui.phone import PhoneLine
from calldesk.tui.practice import PracticeCoach
from calldesk.tui.promise_taking import PromiseTaking
from calldesk.tui.promises import Promises
from calldesk.tui.reads import DeskData, ReadDone, deliver
from calldesk.tui.recurring import RecurringProblems
from calldesk.tui.screens.desk import DeskScreen
from calldesk.tui.terminal_input import TERMINAL, TerminalGone, alt_keys_of, driver_class_for
from calldesk.tui.text import LiteralApp, literal
from calldesk.tui.threads import DaemonExecutor
from calldesk.tui.typeahead import KeysInOrder
from calldesk.tui.widgets.notes_pane import NoteList
from calldesk.tui.widgets.phrase_pane import PhrasePane
from calldesk.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from calldesk.core.library.loader import PhraseLibrary
    from calldesk.core.library.search import PhraseIndex
    from calldesk.core.library.watch import PhraseWatcher
    from calldesk.core.phone.events import PhoneEvent
    from calldesk.core.phone.server import EventServer
    from calldesk.core.storage import Database

W = TypeVar("W", bound=Widget)

# Keys named in messages: the global ones, and those of the panes the app's messages mention.
_NAMED_BINDINGS: list[BindingType] = [
    *APP_BINDINGS,
    *DeskScreen.BINDINGS,
    *PhrasePane.BINDINGS,
    *NoteList.BINDINGS,
]


class CalldeskApp(KeysInOrder, LiteralApp):
    """calldesk. Global keys are function keys or priority bindings so they work while typing."""

    TITLE = "calldesk"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    HORIZONTAL_BREAKPOINTS: ClassVar = [(0, "-narrow"), (110, "-wide")]
    COMMANDS: ClassVar = App.COMMANDS | {CallCommands, PhraseCommands}
    BINDINGS: ClassVar[list[BindingType]] = APP_BINDINGS

    # What the screens show; the watchers redraw. `call` is set again after every change of
    # the open call (always_update), since the desk keeps changing the same object.
    call: var[Call | None] = var(None, always_update=True, init=False)
    now: var[datetime | None] = var(None, always_update=True, init=False)
    cooldown: var[CooldownState | None] = var(None, init=False)
    save_state: var[str] = var("saved", init=False)
    due_text: var[str] = var("", init=False)
    breaks_today: var[str] = var("", init=False)
    phone_link: var[str] = var("", init=False)
    promise_status: var[Text] = var(Text, init=False)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self._last_key = self.clock.monotonic()  # the phone asks nothing over typing
        await super().on_event(event)

    def typed_within(self, seconds: float) -> bool:
        """Whether the agent pressed a key in the last `seconds` (monotonic clock)."""
        last = self._last_key
        return last is not None and 0 <= self.clock.monotonic() - last < seconds

    def get_driver_class(self) -> type[Driver]:
        # alt+enter, modifyOtherKeys and invalid UTF-8 read right (see tui/terminal_input.py).
        return driver_class_for(super().get_driver_class())

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self._last_key: float | None = None
        self.store: Database | None = None
        self.read_only_reason = ""
        self.desk = Desk(
            None,
            self.clock,
            agent_name=settings.agent_name,
            on_save_error=lambda error: self.post_message(SaveFailed(error)),
            on_save_recovered=lambda: self.post_message(SaveRecovered()),
            on_store_recreated=lambda done: self.post_message(StoreRecreated(done)),
        )
        self.data = DeskData(self.desk, self)
        self.saving = Saving(self)
        self.navigator = Navigator(self)
        self.fixes = RecurringProblems(self)
        self.after_calls = AfterCall(self, self.fixes)
        self.phrases = PhraseLibraryKeeper(self, self)
        self.phone = PhoneLine(self)
        self.promises = Promises(self)
        self.notes = NoteTaking(self, PromiseTaking(self, self.promises))
        self.calls = Calls(self, self.notes, self.phone)
        self.practice_coach = PracticeCoach(self)
        self.exporter = Exporter(self, self.after_calls.checklist)

    # -- what the controllers share -------------------------------------------------------------

    @property
    def library(self) -> PhraseLibrary | None:
        return self.phrases.library

    @property
    def index(self) -> PhraseIndex | None:
        return self.phrases.index

    @property
    def watcher(self) -> PhraseWatcher | None:
        return self.phrases.watcher

    @property
    def phone_server(self) -> EventServer | None:
        return self.phone.server

    def key(self, binding_id: str) -> str:
        """The key bound to `binding_id` now, as messages name it (`F2`, or the user's)."""
        return key_name(binding_id, active_keymap(self), _NAMED_BINDINGS)

    def name_keys(self, text: str) -> str:
        return name_keys(text, active_keymap(self), _NAMED_BINDINGS)

    # -- start-up --------------------------------------------------------------------------

    async def on_mount(self) -> None:
        # Before any worker starts: a stuck worker must never keep ctrl+q from quitting.
        asyncio.get_running_loop().set_default_executor(DaemonExecutor())
        if self.settings.keymap:
            self.set_keymap(dict(self.settings.keymap))
            TERMINAL.alt_keys = alt_keys_of(self.settings.keymap)
        await self.push_screen(DeskScreen(self.notes))
        self.call_after_refresh(_after_first_paint)
        self.saving.open_store()
        self.desk.restore()
        phrase_pane = self.desk_widget(PhrasePane)
        if phrase_pane is not None:
            phrase_pane.say_for = self.desk.phrases.text
        self.show_call()
        if self.desk.call is not None:
            self.notify(
                "The call that was open when calldesk stopped is back, as it was.",
                title="Call restored",
            )
            self.notes.restore_edit()
        self.phrases.load()
        self.call_after_refresh(self.phone.start)  # the socket can wait for the first frame
        self.call_after_refresh(self.phrases.watch)
        self.after_calls.resume_break()
        self.set_interval(1.0, self._tick)
        self.promises.start()

    def desk_screen(self) -> DeskScreen | None:
        """The desk, wherever it is in the screen stack (the bottom one); None while the app
        starts or shuts down."""
        return next((s for s in self.screen_stack if isinstance(s, DeskScreen)), None)

    def desk_widget(self, kind: type[W]) -> W | None:
        """A widget of the desk; None while Textual builds or takes the screens down (timers,
        watchers and messages from other threads can arrive then)."""
        desk_screen = self.desk_screen()
        if desk_screen is None or not self.is_running:
            return None
        return next(iter(desk_screen.query(kind)), None)

    # -- state and the status line ------------------------------------------------------------

    def _tick(self) -> None:
        """Once a second: the call timer moves, a snoozed break may be due, and a vanished
        database file is noticed."""
        if not self.is_running:
            return  # the timer's own task can fire while Textual takes the screens down
        self.now = self.clock.now()
        self.after_calls.check_cooldown()
        self.after_calls.resume()  # after-call steps set aside while a call came in
        self.desk.writes.check_store()  # a deleted or renamed database is noticed within a second
        self.notes.tick()  # the closing phrases, once a call has run a while
        self.promises.check()  # the bell 5 minutes before a promise is due

    def show_call(self) -> None:
        """The open call (or none) to the desk: notes, status line and focus follow `call`."""
        self.call = self.desk.call

    def refresh_status(self) -> None:
        self.now = self.clock.now()

    def watch_call(self, call: Call | None) -> None:
        self._show_status_extra()  # the practice count hides during a call
        self.calls.shown(call)

    def watch_now(self, now: datetime | None) -> None:
        status = self.desk_widget(StatusBar)
        if status is not None and now is not None:
            status.show(self.desk.call, now, self.key("start-call"))

    def _show_status_extra(self) -> None:
        status = self.desk_widget(StatusBar)
        if status is None:
            return
        on_break = self.cooldown is not None and self.cooldown.state.is_active
        status.show_extra(
            self.save_state,
            due=self.due_text if self.desk.call is None and not on_break else "",
            promise=self.promise_status,
            breaks=self.breaks_today,
            phone_link=self.phone_link,
        )

    # Every part of the status line's right side redraws it when it changes.
    def watch_save_state(self) -> None:
        self._show_status_extra()

    watch_due_text = watch_breaks_today = watch_phone_link = watch_cooldown = watch_save_state
    watch_promise_status = watch_save_state

    def on_save_failed(self, message: SaveFailed) -> None:
        self.saving.failed(message.error)

    def on_save_recovered(self, message: SaveRecovered) -> None:
        self.saving.recovered()

    def on_store_recreated(self, message: StoreRecreated) -> None:
        self.saving.recreated(message.recreated)

    async def on_read_done(self, message: ReadDone) -> None:
        """A read behind the writes came back: hand it to whoever asked."""
        error = await deliver(message)
        if error is not None:
            self.notify(f"Could not read the database: {error}", title="Database", severity="error")

    # -- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        from calldesk.tui.screens.history import HistoryScreen

        return action_allowed(
            action,
            on_call=self.desk.call is not None,
            has_last_call=self.desk.last_call is not None,
            holding=isinstance(self.screen, ModalScreen)
            or getattr(self.screen, "HOLDS_ATTENTION", False),
            in_history=isinstance(self.screen, HistoryScreen),
        )

    async def to_desk(self) -> DeskScreen:
        """Close whatever is over the desk; a break in progress ends (counted as taken)."""
        return await self.navigator.to_desk()

    _to_desk = to_desk  # the name the tests know

    async def action_start_call(self) -> None:
        await self.calls.start()

    async def action_end_call(self) -> None:
        await self.calls.end()

    def start_after_call(self, call: Call) -> None:
        self.after_calls.start(call)

    def lookup_caller(self, number: str) -> None:
        self.phone.lookup_caller(number)

    def refresh_due(self) -> None:
        self.practice_coach.refresh_due()

    def load_phrases(self) -> None:
        self.phrases.load()

    async def phone_event(self, event: PhoneEvent) -> None:
        await self.phone.event(event)

    def action_practice(self) -> None:
        self.practice_coach.open()

    def action_export(self) -> None:
        self.exporter.export()

    def action_checklist(self) -> None:
        self.after_calls.open_checklist()

    def action_fixes(self) -> None:
        self.fixes.open_fixes()

    def action_phrase_problems(self) -> None:
        self.phrases.show_problems()

    async def action_focus_phrases(self) -> None:
        await self.navigator.focus_phrases()

    async def action_focus_notes(self) -> None:
        await self.navigator.focus_notes()

    async def action_focus_caller(self) -> None:
        await self.navigator.focus_caller()

    def action_help(self) -> None:
        self.navigator.help()

    def action_history(self) -> None:
        self.navigator.history()

    def action_fan_moment(self) -> None:
        self.after_calls.toggle_fan()

    def action_my_record(self) -> None:
        self.promises.open_record()

    def action_quit(self) -> None:
        if not self.promises.list_before_quit(self.saving.quit):  # open promises first
            self.saving.quit()

    # -- messages from the panes and the threads -------------------------------------------------

    def on_phrases_changed(self, message: PhrasesChanged) -> None:
        self.phrases.load()

    def on_phrases_loaded(self, message: PhrasesLoaded) -> None:
        self.phrases.loaded(message.library, message.index, message.starters)

    def on_watch_trouble(self, message: WatchTrouble) -> None:
        self.phrases.trouble(message.text)

    def on_terminal_gone(self, message: TerminalGone) -> None:
        self.exit()  # nobody is there to answer a question: the queued writes go out on unmount

    def on_unmount(self) -> None:
        self.stop_holding_keys()  # its release timer never fires once the app has stopped
        self.phrases.stop()
        self.phone.stop()
        self.desk.close()
        if self.store is not None:
            self.store.close()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.saving.job_failed(event.worker.name, event.worker.error)

    def _print_error_renderables(self) -> None:
        """An internal error goes to the private crash log; the terminal gets one plain line."""
        if self._exit_renderables:
            where = log_renderables(self._exit_renderables, self.settings.data_dir)
            self._exit_renderables.clear()
            self.error_console.print(literal(CRASHED.format(where=where)))


def _after_first_paint() -> None:
    """Start-up made its objects: collect again, but never re-scan those (see `run_app`)."""
    gc.freeze()
    gc.enable()


def make_app(settings: Settings, clock: Clock | None = None) -> CalldeskApp:
    """Build the app for the CLI and for every test, from settings alone."""
    if settings.keymap:
        from dataclasses import replace

        from calldesk.tui.keymap_check import checked_keymap

        keymap = checked_keymap(  # ConfigError: exit 2
            settings.keymap, settings.config_file, CalldeskApp.BINDINGS
        )
        settings = replace(settings, keymap=keymap)
    return CalldeskApp(settings, clock=clock)
