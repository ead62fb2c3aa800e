"""The calldesk Textual app: wires the desk, the store and the phrase library to the screens."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import App
from textual.binding import Binding, BindingType

from calldesk.config import Settings
from calldesk.core.clock import Clock, SystemClock
from calldesk.core.desk import Desk, DeskError
from calldesk.tui.commands import CallCommands, PhraseCommands
from calldesk.tui.screens.desk import DeskScreen
from calldesk.tui.widgets.note_input import NoteInput
from calldesk.tui.widgets.notes_pane import NoteList, NotesPane
from calldesk.tui.widgets.phrase_pane import PhrasePane
from calldesk.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from calldesk.core.phrases import PhraseLibrary
    from calldesk.core.search import PhraseIndex
    from calldesk.core.store import Store


class CalldeskApp(App[None]):
    """calldesk. Global keys are function keys or priority bindings so they work while typing."""

    TITLE = "calldesk"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS: ClassVar = App.COMMANDS | {CallCommands, PhraseCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help", id="help", tooltip="Show every key", priority=True),
        Binding("f2", "start_call", "Start call", id="start-call", tooltip="Start a call record", priority=True),
        Binding("f8", "end_call", "End call", id="end-call", tooltip="End the call and go to the after-call steps", priority=True),
        Binding("f3", "focus_phrases", "Phrases", id="find-phrase", tooltip="Search the phrase library", priority=True),
        Binding("f4", "focus_caller", "Caller", id="edit-caller", tooltip="Edit caller name, number and ticket", priority=True),
        Binding("f5", "history", "History", id="history", tooltip="Past calls, searchable", priority=True),
        Binding("f6", "focus_notes", "Notes", id="focus-notes", tooltip="Back to typing notes", priority=True, show=False),
        Binding("ctrl+q", "quit", "Quit", id="quit", tooltip="Quit (an open call is kept for next time)", priority=True),
    ]

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.store: Store | None = None
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

    # -- start-up --------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.push_screen(DeskScreen())
        self._open_store()
        self.desk.restore()
        phrase_pane = self.screen.query_one(PhrasePane)
        phrase_pane.say_for = self.desk.phrase_text
        self._show_call()
        if self.desk.call is not None and self.desk.call.notes + [self.desk.call.draft]:
            self.notify("The call that was open when calldesk stopped is back, as it was.", title="Call restored")
        self.load_phrases()
        self.set_interval(1.0, self._tick)

    def _open_store(self) -> None:
        from calldesk.core.store import Store, StoreError, StoreInUse, StoreLocked

        path = self.settings.database_path
        try:
            self.store = Store.open(path, self.clock)
        except (StoreInUse, StoreLocked) as error:
            self.read_only_reason = str(error)
            try:
                self.store = Store.open_readonly(path, self.clock)
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
                f"The database was damaged. It was moved to {self.store.recovered_from} and a new one started.",
                title="Database recovered",
                severity="warning",
                timeout=30,
            )
        self._set_save_state("saved")

    @work(thread=True, exclusive=True, group="phrases", exit_on_error=False)
    def load_phrases(self) -> None:
        """Load (or reload) the phrase library off the UI thread."""
        from calldesk.core.phrases import load_library
        from calldesk.core.search import PhraseIndex

        library = load_library(self.settings.phrase_folders(), previous=self.library)
        usage = self.store.phrase_use_counts() if self.store is not None else {}
        index = PhraseIndex(library.phrases, usage=usage)
        self.call_from_thread(self._phrases_loaded, library, index)

    def _phrases_loaded(self, library: PhraseLibrary, index: PhraseIndex) -> None:
        self.library, self.index = library, index
        self.get_screen_stack_desk().query_one(PhrasePane).set_index(index, library.problems)

    def get_screen_stack_desk(self) -> DeskScreen:
        return next(screen for screen in self.screen_stack if isinstance(screen, DeskScreen))

    # -- status ----------------------------------------------------------------------------

    def _tick(self) -> None:
        self.get_screen_stack_desk().query_one(StatusBar).show(self.desk.call, self.clock.now())

    def _show_call(self) -> None:
        desk_screen = self.get_screen_stack_desk()
        desk_screen.query_one(NotesPane).show_call(self.desk.call)
        desk_screen.query_one(StatusBar).show(self.desk.call, self.clock.now())
        if self.desk.call is not None:
            desk_screen.query_one(NoteInput).focus()
        else:
            desk_screen.query_one(PhrasePane).focus_search()

    def _set_save_state(self, state: str) -> None:
        style = {"saved": "dim", "read-only": "bold yellow", "NOT SAVED": "bold white on red"}.get(state, "")
        self.get_screen_stack_desk().query_one(StatusBar).show_extra(Text(f" {state} ", style=style))

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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        on_call = self.desk.call is not None
        if action == "start_call":
            return not on_call
        if action in ("end_call", "focus_caller"):
            return on_call
        return True

    def _to_desk(self) -> DeskScreen:
        while not isinstance(self.screen, DeskScreen):
            self.pop_screen()
        return self.screen

    def action_start_call(self) -> None:
        if self.read_only_reason:
            self.notify(self.read_only_reason, title="Read-only window", severity="warning")
            return
        try:
            self.desk.start_call()
        except DeskError as error:
            self.notify(str(error), severity="warning")
            return
        self._to_desk()
        self._show_call()
        self.refresh_bindings()

    def action_end_call(self) -> None:
        try:
            call = self.desk.end_call()
        except DeskError as error:
            self.notify(str(error), severity="warning")
            return
        self._to_desk()
        self._show_call()
        self.refresh_bindings()
        self.after_call(call)

    def after_call(self, call: object) -> None:
        """The after-call steps (outcome, checklist, cooldown) start here."""
        from calldesk.core.calls import format_duration

        self.notify(f"Call with {call.display_caller()} ended after {format_duration(call.duration(self.clock.now()))}.")  # type: ignore[attr-defined]

    def action_focus_phrases(self) -> None:
        self._to_desk().query_one(PhrasePane).focus_search()

    def action_focus_notes(self) -> None:
        self._to_desk().query_one(NoteInput).focus()

    def action_focus_caller(self) -> None:
        self._to_desk().query_one("#caller_name").focus()

    def action_help(self) -> None:
        from calldesk.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_phrase_problems(self) -> None:
        from calldesk.tui.screens.problems import ProblemsScreen

        if self.library is not None:
            self.push_screen(ProblemsScreen(self.library.problems))

    def action_history(self) -> None:
        from calldesk.tui.screens.history import HistoryScreen

        if self.store is None:
            self.notify("There is no saved history: the database could not be opened.", severity="warning")
            return
        if not isinstance(self.screen, HistoryScreen):
            self.push_screen(HistoryScreen(self.store))

    async def action_quit(self) -> None:
        self.desk.writer.flush(timeout=2.0)
        if self.desk.writer.failing and self.desk.call is not None:
            from calldesk.tui.dialogs.confirm import ConfirmDialog

            answer = await self.push_screen_wait(
                ConfirmDialog(
                    "Notes of the open call are not saved. Quit anyway?",
                    f"{self._save_problem}\nPress n, then export the call (F10) to keep them.",
                )
            )
            if not answer:
                return
        self.exit()

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
        pane = self.get_screen_stack_desk().query_one(NotesPane)
        pane.append_entry(entry, len(self.desk.call.notes) if self.desk.call else 0)

    def on_text_area_changed(self, message: NoteInput.Changed) -> None:
        if isinstance(message.text_area, NoteInput) and self.desk.call is not None:
            self.desk.set_draft(message.text_area.text)

    def on_notes_pane_caller_changed(self, message: NotesPane.CallerChanged) -> None:
        if self.desk.call is not None:
            self.desk.update_caller(**{message.field: message.value})
            self._tick()

    async def on_note_list_edit_requested(self, message: NoteList.EditRequested) -> None:
        from calldesk.tui.dialogs.edit_note import EditNoteDialog

        text = await self.push_screen_wait(EditNoteDialog(message.entry.text))
        if text is None:
            return
        try:
            self.desk.edit_note(message.entry, text)
        except DeskError as error:
            self.notify(str(error), severity="warning")
            return
        self.get_screen_stack_desk().query_one(NotesPane).refresh_entry(message.entry)

    async def on_note_list_delete_requested(self, message: NoteList.DeleteRequested) -> None:
        from calldesk.tui.dialogs.confirm import ConfirmDialog

        if await self.push_screen_wait(ConfirmDialog("Delete this note?", message.entry.text[:200])):
            try:
                self.desk.delete_note(message.entry)
            except DeskError as error:
                self.notify(str(error), severity="warning")
                return
            self.get_screen_stack_desk().query_one(NotesPane).remove_entry(message.entry)

    def on_phrase_pane_chosen(self, message: PhrasePane.Chosen) -> None:
        text = self.desk.use_phrase(message.phrase, message.action)
        if message.action == "copy":
            self.copy_to_clipboard(text)
            self.notify(f"Copied “{message.phrase.title}”.", timeout=3)
            return
        if self.desk.call is None:
            self.notify("Start a call (F2) to put phrases into its notes; ctrl+y copies instead.", severity="warning")
            return
        self.get_screen_stack_desk().query_one(NotesPane).insert_text(text)

    def on_unmount(self) -> None:
        self.desk.close()
        if self.store is not None:
            self.store.close()


def make_app(settings: Settings, clock: Clock | None = None) -> CalldeskApp:
    """Build the app for the CLI and for every test, from settings alone."""
    return CalldeskApp(settings, clock=clock)

