"""`[keymap]` checked before the app starts: known ids, keys Textual can read, no clashes."""

from __future__ import annotations

import difflib
import importlib
import inspect
import pkgutil
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

from textual.binding import Binding
from textual.keys import Keys, _character_to_key, key_to_character

from calldesk.config import ConfigError

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
# Key names Textual reads besides its `Keys` values and single characters.
_NAMED = frozenset({"slash", "backslash", "at", "minus", "plus", "underscore", "space"})


def binding_owners() -> dict[str, list[tuple[str, Binding]]]:
    """Class name -> its bindings that have an id, for every screen and widget of calldesk."""
    import calldesk.tui

    owners: dict[str, list[tuple[str, Binding]]] = {}
    for info in pkgutil.walk_packages(calldesk.tui.__path__, "calldesk.tui."):
        module = importlib.import_module(info.name)
        for cls in vars(module).values():
            if inspect.isclass(cls) and cls.__module__ == module.__name__:
                bindings = [
                    (binding.id, binding)
                    for binding in vars(cls).get("BINDINGS", [])
                    if isinstance(binding, Binding) and binding.id
                ]
                if bindings:
                    owners[cls.__qualname__] = bindings
    return owners


def _normal(key: str) -> str | None:
    """The key as Textual names it, or None when Textual would never match it."""
    *modifiers, name = key.split("+")
    modifiers = [modifier.lower() for modifier in modifiers]
    if not name or any(modifier not in MODIFIERS for modifier in modifiers):
        return None
    if len(name) > 1:
        name = name.lower()  # "F12", "Escape": Textual's names are lower case
    if len(name) == 1:
        name = _character_to_key(name)
    elif name not in _NAMED and key_to_character(name) is None:
        known = {value.value for value in Keys}
        if name not in known and f"{'+'.join(modifiers)}+{name}".lstrip("+") not in known:
            try:
                unicodedata.lookup(name.replace("_", " ").upper())
            except KeyError:
                return None
    return "+".join([*modifiers, name])


def _editing_keys() -> frozenset[str]:
    """Keys a note or a one-line field needs for editing: Input's and TextArea's own, and the
    keys terminals send for Enter, Tab and Backspace. Function keys are left out: TextArea's
    F6/F7 (select line, select all) yield to calldesk's F6/F7 anyway."""
    from textual.widgets import Input, TextArea

    keys = {"enter", "tab", "backspace", "delete", "ctrl+j", "ctrl+m", "ctrl+i", "ctrl+h"}
    for widget in (Input, TextArea):
        for binding in widget.BINDINGS:
            if isinstance(binding, Binding):
                keys.update(key.strip() for key in binding.key.split(","))
    return frozenset(key for key in keys if not re.fullmatch(r"f\d+", key.split("+")[-1]))


def _printable(key: str) -> bool:
    """Typing this key puts a character in a note: a letter, digit, sign or space."""
    *modifiers, name = key.split("+")
    if set(modifiers) - {"shift"}:
        return False
    character = name if len(name) == 1 else key_to_character(name)
    return character is not None and character.isprintable()


def checked_keymap(
    keymap: Mapping[str, str], config_file: Path, app_bindings: Iterable[object]
) -> dict[str, str]:
    """The keymap with keys in Textual's names; raises ConfigError naming the file and binding.

    Refused: an id no binding has (with "did you mean"), a key Textual cannot read, one key
    for two bindings that are active together, and a printable or editing key for a global
    action (`quit = "e"` would quit while the agent types a note, `end-call = "backspace"`
    would end the call at the first correction). `app_bindings` are the app's
    own, active on every screen (passed in, so this module never imports the app back).
    """
    if not keymap:
        return {}
    owners = binding_owners()
    ids = {binding_id for bindings in owners.values() for binding_id, _ in bindings}
    global_defaults = {
        binding.id: {key.strip() for key in binding.key.split(",")}
        for binding in app_bindings
        if isinstance(binding, Binding) and binding.id
    }
    global_ids = set(global_defaults)
    editing = _editing_keys()
    where = f"{config_file}: keymap"
    result: dict[str, str] = {}
    for binding_id, keys in keymap.items():
        if binding_id not in ids:
            close = difflib.get_close_matches(binding_id, sorted(ids), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ConfigError(
                f"{where}: unknown binding id {binding_id!r}{hint}"
                " (the ids are listed under [keymap] in the configuration guide)"
            )
        normal: list[str] = []
        for key in str(keys).split(","):
            name = _normal(key.strip())
            if name is None:
                raise ConfigError(
                    f"{where}.{binding_id}: cannot read the key {key.strip()!r}; write keys as"
                    ' "f12", "ctrl+e", "escape" or one character, several separated by commas'
                )
            if binding_id in global_ids and _printable(name):
                raise ConfigError(
                    f"{where}.{binding_id}: {key.strip()!r} types a character, and"
                    f" {binding_id!r} works everywhere, even in a note; use a function key"
                    ' or ctrl+ (e.g. "f12", "ctrl+b")'
                )
            if (
                binding_id in global_ids
                and name in editing
                and name not in global_defaults[binding_id]
            ):
                raise ConfigError(
                    f"{where}.{binding_id}: {key.strip()!r} edits text in a note or a field,"
                    f" and {binding_id!r} works everywhere, so that key would stop editing;"
                    ' use a function key or a ctrl+ key no field uses (e.g. "f12", "ctrl+b")'
                )
            normal.append(name)
        result[binding_id] = ",".join(normal)
    _refuse_clashes(owners, result, global_ids, where)
    return result


def _refuse_clashes(
    owners: Mapping[str, list[tuple[str, Binding]]],
    keymap: Mapping[str, str],
    global_ids: set[str],
    where: str,
) -> None:
    """One key for two bindings of the same screen (or for a global one and any other)."""

    def keys_of(binding_id: str, binding: Binding) -> list[str]:
        text = keymap.get(binding_id, binding.key)
        return [key.strip() for key in text.split(",")]

    global_keys: dict[str, str] = {}
    for bindings in owners.values():
        for binding_id, binding in bindings:
            if binding_id in global_ids:
                for key in keys_of(binding_id, binding):
                    global_keys.setdefault(key, binding_id)
    for bindings in owners.values():
        seen: dict[str, str] = {}
        for binding_id, binding in bindings:
            for key in keys_of(binding_id, binding):
                others = [seen.get(key)]
                if binding_id not in global_ids:
                    others.append(global_keys.get(key))
                for other in others:
                    if other is None or other == binding_id:
                        continue
                    if other not in keymap and binding_id not in keymap:
                        continue  # calldesk's own defaults (F1 opens and closes help)
                    raise ConfigError(
                        f"{where}: {key!r} is bound to both {other!r} and {binding_id!r};"
                        " give one of them another key"
                    )
                seen[key] = binding_id
