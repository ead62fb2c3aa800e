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
    """The screen's (and the focused widget's) shown keys, then the globals named in `globals_`."""

    def __init__(self, *globals_: str) -> None:
        super().__init__(compact=True, show_command_palette=False)
        self.global_ids = frozenset(("help", *globals_))

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        own: dict[str, tuple[Binding, bool, str]] = {}
        shared: dict[str, tuple[Binding, bool, str]] = {}
        for node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if not binding.show:
                continue
            if node is self.app:
                if binding.id in self.global_ids:
                    shared.setdefault(binding.action, (binding, enabled, tooltip))
            else:
                own.setdefault(binding.action, (binding, enabled, tooltip))
        shown = [*own.values(), *shared.values()]
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
