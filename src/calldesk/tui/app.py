"""The calldesk Textual app: wires the desk, the store and the phrase library to the screens."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen
from textual.worker import Worker, WorkerState

from calldesk.config import Settings
from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.aftercall.cooldown import CooldownState
from calldesk.core.calls.desk import Desk, DeskError
from calldesk.core.calls.model import Call
from calldesk.core.clock import Clock, SystemClock
from calldesk.core.storage import StoreError
from calldesk.tui.after_call import AfterCallMixin
from calldesk.tui.commands import CallCommands, PhraseCommands
from calldesk.tui.library import PhraseLibraryMixin
from calldesk.tui.phone import PhoneMixin
from calldesk.tui.screens.desk import DeskScreen
from calldesk.tui.text import LiteralInput, LiteralTextArea, literal, visible
from calldesk.tui.widgets.note_input import NoteInput
from calldesk.tui.widgets.notes_pane import NoteList, NotesPane
from calldesk.tui.widgets.phrase_pane import PhrasePane
from calldesk.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from calldesk.core.library.phrases import PhraseLibrary
    from calldesk.core.library.search import PhraseIndex
    from calldesk.core.library.watch import PhraseWatcher
    from calldesk.core.phone.baresip import BaresipFollower
    from calldesk.core.phone.events import PhoneEvent
    from calldesk.core.phone.server import EventServer
    from calldesk.core.practice.cards import PracticeSummary
    from calldesk.core.storage import Database


class CalldeskApp(PhoneMixin, PhraseLibraryMixin, AfterCallMixin, App[None]):
    """calldesk. Global keys are function keys or priority bindings so they work while typing."""

    TITLE = "calldesk"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    HORIZONTAL_BREAKPOINTS: ClassVar = [(0, "-narrow"), (110, "-wide")]
    COMMANDS: ClassVar = App.COMMANDS | {CallCommands, PhraseCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help", id="help", tooltip="Show every key", priority=True),
        Binding(
            "f2",
            "start_call",
            "Call",
            id="start-call",
            tooltip="Start a call record",
            priority=True,
        ),
        Binding(
            "f8",
            "end_call",
            "End",
            id="end-call",
            tooltip="End the call and go to the after-call steps",
            priority=True,
        ),
        Binding(
            "f3",
            "focus_phrases",
            "Find",
            id="find-phrase",
            tooltip="Search the phrase library",
            priority=True,
        ),
        Binding(
            "f4",
            "focus_caller",
            "Caller",
            id="edit-caller",
            tooltip="Edit caller name, number and ticket",
            priority=True,
            show=False,  # the fields are always on screen; F1 and the palette list it
        ),
        Binding(
            "f5",
            "history",
            "History",
            id="history",
            tooltip="Past calls, searchable",
            priority=True,
        ),
        Binding(
            "f6",
            "checklist",
            "Checks",
            id="checklist",
            tooltip="The post-call checklist of the last call",
            priority=True,
        ),
        Binding(
            "f7",
            "fixes",
            "Fixes",
            id="fixes",
            tooltip="Open permanent fixes: fix everything twice",
            priority=True,
        ),
        Binding(
            "f9",
            "practice",
            "Practice",
            id="practice",
            tooltip="Drill the awkward phrases between calls",
            priority=True,
        ),
        Binding(
            "f10",
            "export",
            "Export",
            id="export",
            tooltip="Export the call to Markdown (the highlighted one in history)",
            priority=True,
        ),
        Binding(
            "ctrl+q",
            "quit",
            "Quit",
            id="quit",
            tooltip="Quit (an open call is kept for next time)",
            priority=True,
            show=False,
        ),
    ]

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.store: Database | None = None
        self.read_only_reason = ""
        self.desk = Desk(
            None,
            self.clock,
            agent_name=settings.agent_name,
            on_save_error=lambda error: self.call_from_thread(self._save_failed, error),
            on_save_recovered=lambda: self.call_from_thread(self._save_recovered),
        )
        self.library: PhraseLibrary | None = None
        self.index: PhraseIndex | None = None
        self._save_problem = ""
        self.save_state = "saved"
        self.breaks_today = ""
        self.due_text = ""
        self.cooldown: CooldownState | None = None
        self.phone_server: EventServer | None = None
        self.watcher: PhraseWatcher | None = None
        self.baresip: BaresipFollower | None = None
        self.phone_link = ""
        self._handled_events: set[PhoneEvent] = set()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every toast goes through here: caller names, phrase titles, paths and errors that
        quote them are shown literally (no markup, no escape sequence reaches the terminal)."""
        super().notify(
            visible(message),
            title=visible(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    async def on_event(self, event: events.Event) -> None:
        """A paste into one of Textual's own fields (the command palette) arrives escaped.

        calldesk's fields show a paste escaped and keep it exactly (see `calldesk.tui.text`);
        Textual's would draw an escape sequence in it raw.
        """
        if (
            isinstance(event, events.Paste)
            and not event.is_forwarded
            and not isinstance(self.focused, LiteralInput | LiteralTextArea)
        ):
            event = events.Paste(visible(event.text))
        await super().on_event(event)

    # -- start-up --------------------------------------------------------------------------

    async def on_mount(self) -> None:
        if self.settings.keymap:
            self.set_keymap(dict(self.settings.keymap))
        await self.push_screen(DeskScreen())
        self.call_after_refresh(_after_first_paint)
        self._open_store()
        self.desk.restore()
        phrase_pane = self.screen.query_one(PhrasePane)
        phrase_pane.say_for = self.desk.phrase_text
        self._show_call()
        if self.desk.call is not None:
            self.notify(
                "The call that was open when calldesk stopped is back, as it was.",
                title="Call restored",
            )
        self.load_phrases()
        self.call_after_refresh(self._start_phone)  # the socket can wait for the first frame
        self.call_after_refresh(self._watch_phrases)
        if self.store is not None:
            self.cooldown = aftercall_records.active_cooldown(self.store)
            self._show_breaks()
            self._check_cooldown()
        self.set_interval(1.0, self._tick)

    def _open_store(self) -> None:
        from calldesk.core.storage import Database, StoreError, StoreInUse, StoreLocked

        path = self.settings.database_path
        try:
            self.store = Database.open(path, self.clock)
        except (StoreInUse, StoreLocked) as error:
            self.read_only_reason = str(error)
            try:
                self.store = Database.open_readonly(path, self.clock)
            except StoreError:
                self.store = None
            self.notify(
                f"{error}\nThis window is read-only: history and phrases work, calls do not.",
                title="calldesk is already open",
                severity="warning",
                timeout=30,
            )
            self._set_save_state("read-only")
            return
        except StoreError as error:
            self._save_problem = str(error)
            self.notify(
                f"{error}\nNotes stay in memory only: export the call (F10) before you quit.",
                title="Notes are NOT being saved",
                severity="error",
                timeout=60,
            )
            self._set_save_state("NOT SAVED")
            return
        self.desk.store = self.store
        if self.store.recovered_from is not None:
            self.notify(
                f"The database was damaged. It was moved to {self.store.recovered_from}"
                " and a new one started.",
                title="Database recovered",
                severity="warning",
                timeout=30,
            )
        self._set_save_state("saved")

    def desk_screen(self) -> DeskScreen:
        """The desk, wherever it is in the screen stack (it is always the bottom one)."""
        return next(screen for screen in self.screen_stack if isinstance(screen, DeskScreen))

    # -- status ----------------------------------------------------------------------------

    def _tick(self) -> None:
        if not self.is_running:
            return  # the timer's own task can fire while Textual takes the screens down
        self.desk_screen().query_one(StatusBar).show(self.desk.call, self.clock.now())
        self._check_cooldown()

    def _show_call(self) -> None:
        self._set_save_state(self.save_state)  # the practice count hides during a call
        desk_screen = self.desk_screen()
        desk_screen.query_one(NotesPane).show_call(self.desk.call)
        desk_screen.query_one(StatusBar).show(self.desk.call, self.clock.now())
        if self.desk.call is not None:
            desk_screen.query_one(NoteInput).focus()
        else:
            desk_screen.query_one(PhrasePane).focus_search()

    def _set_save_state(self, state: str) -> None:
        self.save_state = state
        style = {"saved": "dim", "read-only": "bold yellow", "NOT SAVED": "bold white on red"}.get(
            state, ""
        )
        on_break = self.cooldown is not None and self.cooldown.state.is_active
        offer_practice = self.due_text and self.desk.call is None and not on_break
        text = Text(f" {self.due_text} ", style="dim") if offer_practice else Text()
        if self.breaks_today:
            text.append(f" {self.breaks_today} ", style="dim")
        if self.phone_link:
            text.append(
                f" {self.phone_link} ", style="bold red" if "down" in self.phone_link else "dim"
            )
        text.append(f" {state} ", style=style)
        self.desk_screen().query_one(StatusBar).show_extra(text)

    def _save_failed(self, error: BaseException) -> None:
        self._save_problem = str(error)
        self._set_save_state("NOT SAVED")
        self.notify(
            f"{error}\nYour notes are kept in memory and saved as soon as the disk allows.",
            title="Notes could not be saved",
            severity="error",
            timeout=30,
        )

    def _save_recovered(self) -> None:
        self._save_problem = ""
        self._set_save_state("saved")
        self.notify("Everything typed is saved again.", title="Saving again")

    # -- actions -----------------------------------------------------------------------------

    # Screens that hold the agent's attention: only a new call, help and quit get past them.
    def _holding_screen(self) -> bool:
        """Screens that hold the agent's attention: only a new call, help and quit get past."""
        return isinstance(self.screen, ModalScreen) or getattr(
            self.screen, "HOLDS_ATTENTION", False
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        on_call = self.desk.call is not None
        if action in ("help", "quit", "command_palette"):
            return True
        if action not in DESK_ACTIONS:
            return True  # Textual's own (focus_next on Tab, …)
        if self._holding_screen() and action != "start_call":
            return False
        if action == "start_call":
            return not on_call
        if action in ("end_call", "focus_caller"):
            return on_call
        if action == "practice":
            return not on_call
        if action in ("checklist", "export"):
            from calldesk.tui.screens.history import HistoryScreen

            if isinstance(self.screen, HistoryScreen):
                return True
            return self.desk.last_call is not None or (action == "export" and on_call)
        return True

    async def _to_desk(self) -> DeskScreen:
        """Close whatever is over the desk; a break in progress ends (counted as taken)."""
        from calldesk.tui.screens.cooldown import CooldownScreen

        while not isinstance(self.screen, DeskScreen):
            screen = self.screen
            if isinstance(screen, CooldownScreen):
                screen.interrupt()
            await screen.dismiss(None)
        return self.screen

    async def action_start_call(self) -> None:
        if self.read_only_reason:
            self.notify(self.read_only_reason, title="Read-only window", severity="warning")
            return
        try:
            self.desk.start_call()
        except DeskError as error:
            self.notify(str(error), severity="warning")
            return
        await self._to_desk()
        self._show_call()
        self.refresh_bindings()

    async def action_end_call(self) -> None:
        try:
            call = self.desk.end_call()
        except DeskError as error:
            self.notify(str(error), severity="warning")
            return
        await self._to_desk()
        self._show_call()
        self.refresh_bindings()
        if call.missed:  # it only rang, and nothing was written in it: no after-call steps
            self.notify(
                "Ended as a missed call: it was never answered.", title="Missed call", timeout=8
            )
            return
        self.after_call(call)

    def action_practice(self) -> None:
        """Practice between calls only: never during a call or a break, never read-only."""
        from calldesk.tui.screens.practice import PracticeScreen

        reason = ""
        if self.desk.call is not None:
            reason = "Practice is for between calls: end this one first (F8)."
        elif self.cooldown is not None and self.cooldown.state.is_active:
            reason = "Take your break first: practice can wait."
        elif self.store is None or self.store.readonly:
            reason = "Practice needs the database, and this window cannot write to it."
        elif self.library is None:
            reason = "The phrase library is still loading."
        if reason:
            self.notify(reason, severity="warning")
            return

        def finished(summary: PracticeSummary | None) -> None:
            if summary is not None and summary.reviewed:
                self.notify(summary.describe(), title="Practice")
            self.refresh_due()

        self.push_screen(
            PracticeScreen(
                self.library.phrases,
                self.store,
                self.clock,
                new_per_day=self.settings.practice.new_per_day,
                agent_name=self.settings.agent_name,
            ),
            finished,
        )

    @work(thread=True, exclusive=True, group="due", exit_on_error=False)
    def refresh_due(self) -> None:
        """How many phrases are due for practice, for the status line."""
        from calldesk.core.practice.cards import due_count

        if self.store is None or self.library is None:
            return
        count = due_count(
            self.store, self.library.phrases, self.clock.now(), self.settings.practice.new_per_day
        )
        self.call_from_thread(self._show_due, count)

    def _show_due(self, count: int) -> None:
        self.due_text = f"{count} to practise (F9)" if count else ""
        self._set_save_state(self.save_state)

    def action_export(self) -> None:
        """Export the highlighted call (history), else the open call, else the last one."""
        from calldesk.tui.screens.history import HistoryScreen

        if isinstance(self.screen, HistoryScreen):
            call = self.screen.selected_call
        else:
            call = self.desk.call or self.desk.last_call
        if call is None:
            self.notify(
                "No call to export yet. Past calls: F5, highlight one, F10.", severity="warning"
            )
            return
        self.export_call(self.desk.snapshot(call))

    @work(thread=True, exclusive=True, group="export", exit_on_error=False)
    def export_call(self, call: Call) -> None:
        """Write one call's Markdown to the export folder (from memory if the store is down)."""
        from calldesk.core.export.markdown import (
            ExportError,
            build_record,
            export_call_to_dir,
            load_record,
        )

        stored = (
            self.store is not None and self.desk.is_stored(call) and not self.desk.writer.failing
        )
        try:
            if stored:
                self.desk.writer.flush(timeout=2.0)
                record = load_record(self.store, call.id, self._checklist())
            else:
                record = build_record(call, checklist=self._checklist())
            path = export_call_to_dir(record, self.settings.export_dir, force=True)
        except (ExportError, StoreError, OSError) as error:
            self.call_from_thread(self.notify, str(error), title="Export failed", severity="error")
            return
        self.call_from_thread(self.notify, str(path), title="Call exported", timeout=8)

    async def action_focus_phrases(self) -> None:
        (await self._to_desk()).query_one(PhrasePane).focus_search()

    async def action_focus_notes(self) -> None:
        (await self._to_desk()).query_one(NoteInput).focus()

    async def action_focus_caller(self) -> None:
        (await self._to_desk()).query_one("#caller_name").focus()

    def action_help(self) -> None:
        from calldesk.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_history(self) -> None:
        from calldesk.tui.screens.history import HistoryScreen

        if self.store is None:
            self.notify(
                "There is no saved history: the database could not be opened.", severity="warning"
            )
            return
        if not isinstance(self.screen, HistoryScreen):
            self.push_screen(HistoryScreen(self.store))

    async def action_quit(self) -> None:
        self.desk.writer.flush(timeout=2.0)
        unsaved = self.desk.writer.failing or (self.store is None and not self.read_only_reason)
        if self.desk.call is None or not unsaved:
            self.exit()
            return
        from calldesk.tui.dialogs.confirm import ConfirmDialog

        def answered(quit_anyway: bool | None) -> None:
            if quit_anyway:
                self.exit()

        self.push_screen(
            ConfirmDialog(
                "Notes of the open call are not saved. Quit anyway?",
                f"{self._save_problem}\nPress n, then export the call (F10) to keep them.",
            ),
            answered,
        )

    # -- messages from the panes -----------------------------------------------------------------

    def on_note_input_submitted(self, message: NoteInput.Submitted) -> None:
        if not message.text.strip():
            return
        try:
            entry = self.desk.add_note(message.text)
        except DeskError as error:
            self.notify(str(error), severity="warning")
            return
        with message.note_input.prevent(NoteInput.Changed):
            message.note_input.clear()
        pane = self.desk_screen().query_one(NotesPane)
        pane.append_entry(entry, len(self.desk.call.notes) if self.desk.call else 0)

    def on_text_area_changed(self, message: NoteInput.Changed) -> None:
        if isinstance(message.text_area, NoteInput) and self.desk.call is not None:
            self.desk.set_draft(message.text_area.true_text)

    def on_notes_pane_caller_changed(self, message: NotesPane.CallerChanged) -> None:
        if self.desk.call is not None:
            self.desk.update_caller(**{message.field: message.value})
            self._tick()
            if message.field == "caller_number":
                self.lookup_caller(message.value)

    def on_note_list_edit_requested(self, message: NoteList.EditRequested) -> None:
        from calldesk.tui.dialogs.edit_note import EditNoteDialog

        entry = message.entry

        def edited(text: str | None) -> None:
            if text is None:
                return
            try:
                self.desk.edit_note(entry, text)
            except DeskError as error:
                self.notify(str(error), severity="warning")
                return
            self.desk_screen().query_one(NotesPane).refresh_entry(entry)

        self.push_screen(EditNoteDialog(entry.text), edited)

    def on_note_list_delete_requested(self, message: NoteList.DeleteRequested) -> None:
        from calldesk.tui.dialogs.confirm import ConfirmDialog

        entry = message.entry

        def answered(delete: bool | None) -> None:
            if not delete:
                return
            try:
                self.desk.delete_note(entry)
            except DeskError as error:
                self.notify(str(error), severity="warning")
                return
            self.desk_screen().query_one(NotesPane).remove_entry(entry)

        self.push_screen(ConfirmDialog("Delete this note?", entry.text[:200]), answered)

    def on_phrase_pane_chosen(self, message: PhrasePane.Chosen) -> None:
        text = self.desk.use_phrase(message.phrase, message.action)
        if message.action == "copy":
            self.copy_to_clipboard(text)
            self.notify(f"Copied “{message.phrase.title}”.", timeout=3)
            return
        if self.desk.call is None:
            self.notify(
                "Start a call (F2) to put phrases into its notes; ctrl+y copies instead.",
                severity="warning",
            )
            return
        self.desk_screen().query_one(NotesPane).insert_text(text)

    def on_unmount(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        if self.phone_server is not None:
            self.phone_server.stop()
        if self.baresip is not None:
            self.baresip.stop()
        self.desk.close()
        if self.store is not None:
            self.store.close()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A background job that failed says so in a line; the details go to the crash log."""
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        import traceback

        from calldesk.paths import open_crash_log

        where = "the crash log"
        try:
            with open_crash_log(self.settings.data_dir) as (handle, path):
                handle.write(
                    "".join(traceback.format_exception(error)) if error else "unknown error\n"
                )
                where = str(path)
        except OSError:
            pass
        self.notify(
            f"{event.worker.name or 'A background job'} failed: {error}. Details: {where}",
            title="Something went wrong",
            severity="error",
            timeout=20,
        )

    def _print_error_renderables(self) -> None:
        """An internal error goes to the private crash log; the terminal gets one plain line."""
        if not self._exit_renderables:
            return
        from rich.console import Console

        from calldesk.paths import open_crash_log

        try:
            with open_crash_log(self.settings.data_dir) as (handle, path):
                console = Console(file=handle, width=120, force_terminal=False)
                for renderable in self._exit_renderables:
                    console.print(renderable)
            where = str(path)
        except OSError:
            where = "nowhere: the data dir is not writable"
        self._exit_renderables.clear()
        self.error_console.print(
            literal(
                "calldesk stopped on an internal error. Everything typed up to the last second "
                f"is saved and comes back when you start calldesk again. Details: {where}"
            )
        )


# calldesk's global actions; the cooldown, checklist, practice and dialogs keep all but F2.
DESK_ACTIONS = frozenset(
    {
        "start_call",
        "end_call",
        "focus_phrases",
        "focus_caller",
        "focus_notes",
        "history",
        "checklist",
        "fixes",
        "practice",
        "export",
    }
)


def _after_first_paint() -> None:
    """Start-up made its objects: collect again, but never re-scan those (see `run_app`)."""
    gc.freeze()
    gc.enable()


def make_app(settings: Settings, clock: Clock | None = None) -> CalldeskApp:
    """Build the app for the CLI and for every test, from settings alone."""
    return CalldeskApp(settings, clock=clock)
