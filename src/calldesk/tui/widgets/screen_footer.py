"""A footer for the screens over the desk: their own keys, F1 and a few global keys, one line.

Textual's footer lists every global key as well; at 80 columns the line ran off the edge, cut a
key in half and left a stray letter at the right edge. Here only the keys the screen names are
shown; every other key still works, and F1 lists them all.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # Textual exports only the Footer itself


class ScreenFooter(Footer):
    """The screen's (and the focused widget's) shown keys, then the globals named in `globals_`
    (or all of them, for the desk) in the app's order."""

    def __init__(self, *globals_: str, every_global: bool = False) -> None:
        super().__init__(compact=True, show_command_palette=False)
        self.global_ids = frozenset(("help", *globals_))
        self.every_global = every_global

    def _global_order(self, binding: Binding) -> int:
        """The app's own order (F1, F2, F8, F3, …), whichever widget bound the key first.

        A focused text area binds f6 and f7 itself (select line, select all): the app's
        priority bindings win, but in Textual's map they keep the text area's place, first.
        """
        ids = [b.id for b in type(self.app).BINDINGS if isinstance(b, Binding)]
        return ids.index(binding.id) if binding.id in ids else len(ids)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        own: dict[str, tuple[Binding, bool, str]] = {}
        shared: dict[str, tuple[Binding, bool, str]] = {}
        for node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if not binding.show:
                continue
            if node is self.app:
                if self.every_global or binding.id in self.global_ids:
                    shared.setdefault(binding.action, (binding, enabled, tooltip))
            else:
                own.setdefault(binding.action, (binding, enabled, tooltip))
        in_order = sorted(shared.values(), key=lambda entry: self._global_order(entry[0]))
        shown = [*own.values(), *in_order]
        self.styles.grid_size_columns = len(shown)
        for binding, enabled, tooltip in shown:
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
            ).data_bind(compact=Footer.compact)
