"""Softphone events: what a ring, answer or hangup carries, hook arguments, and safe display.

Caller data comes from the network and is hostile. It is kept as sent (for storage and search)
but capped in length (`MAX_NAME`, `MAX_NUMBER`, `MAX_CALL_ID`, `MAX_SOURCE` code points), it is
never passed to a shell, and `display_safe` turns it into one printable line for a screen.

The phone modules are imported by `calldesk ring|answer|hangup`, which softphones run
synchronously, so they import only the standard library and nothing slow at module level.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from calldesk.core.calls.model import ANONYMOUS_HOST, is_withheld
from calldesk.core.textsafe import escape_char, is_hidden

# -- events ---------------------------------------------------------------------------------

EventKind = Literal["ring", "answer", "hangup"]
KINDS: tuple[EventKind, ...] = ("ring", "answer", "hangup")

MAX_NAME = 200
"""Longest caller name kept, in code points; longer names are cut (no ellipsis: this is data)."""
MAX_NUMBER = 100
"""Longest caller number or address kept, in code points."""
MAX_CALL_ID = 200
"""Longest call id kept (SIP Call-IDs are usually under 100 characters)."""
MAX_SOURCE = 40
"""Longest source label kept ("hook", "baresip", "microsip", ...)."""
MAX_EVENT_ID = 64
"""Longest event id kept; calldesk's own are 24 hex digits."""

_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(value: str, limit: int) -> str:
    # Lone surrogates (from JSON "\ud800" escapes or undecodable argv bytes) cannot be encoded
    # as UTF-8, so SQLite, JSON files and terminals would all fail on them later.
    return _SURROGATE.sub("\ufffd", value[:limit])


@dataclass(frozen=True, slots=True)
class PhoneEvent:
    """One thing the phone did: it rang, the call was answered, or it ended.

    `number` and `name` are the other party's, as sent (see the module notes on caps);
    `call_id` ties the events of one call together when the softphone gives one ("" if not);
    `at` is an aware datetime; `source` says where the event came from ("hook", "baresip");
    `id` names this one event, so that a copy (kept by a hook that gave up waiting, and also
    taken by calldesk) is handled once. Events from older hooks carry no id: theirs is made
    from their content, which two copies of one event share down to the time stamped.
    """

    kind: EventKind
    number: str
    name: str
    call_id: str
    at: datetime
    source: str
    id: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"event kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        for field_name, limit in (
            ("number", MAX_NUMBER),
            ("name", MAX_NAME),
            ("call_id", MAX_CALL_ID),
            ("source", MAX_SOURCE),
        ):
            value = getattr(self, field_name)
            if not isinstance(value, str):
                raise ValueError(f"event {field_name} must be text, not {type(value).__name__}")
            object.__setattr__(self, field_name, _clean(value, limit))
        if not isinstance(self.at, datetime) or self.at.tzinfo is None:
            raise ValueError("event time must be an aware datetime")
        if not isinstance(self.id, str):
            raise ValueError(f"event id must be text, not {type(self.id).__name__}")
        object.__setattr__(self, "id", _clean(self.id, MAX_EVENT_ID) or self._content_id())

    def _content_id(self) -> str:
        import hashlib

        parts = (self.kind, self.number, self.name, self.call_id, self._at_text(), self.source)
        digest = hashlib.sha256("\x00".join(parts).encode("utf-8", "replace")).hexdigest()
        return "c" + digest[:23]

    def _at_text(self) -> str:
        return self.at.astimezone(UTC).isoformat()

    @classmethod
    def create(
        cls,
        kind: EventKind,
        *,
        number: str = "",
        name: str = "",
        call_id: str = "",
        at: datetime | None = None,
        source: str = "hook",
    ) -> PhoneEvent:
        """An event stamped now (UTC) unless `at` is given, with an id of its own."""
        import os

        at = at or datetime.now(UTC)
        return cls(kind, number, name, call_id, at, source, os.urandom(12).hex())

    def to_dict(self) -> dict[str, str]:
        """The JSON form used on the socket, in the pending-events file and in the store."""
        return {
            "kind": self.kind,
            "number": self.number,
            "name": self.name,
            "call_id": self.call_id,
            "at": self._at_text(),
            "source": self.source,
            "id": self.id,
        }

    @classmethod
    def from_dict(cls, data: object, default_at: datetime | None = None) -> PhoneEvent:
        """Read what `to_dict` wrote, from an untrusted source; ValueError says what is wrong.

        Missing text fields are empty; a missing time is `default_at`, else now; a naive time
        is taken as UTC.
        """
        if not isinstance(data, Mapping):
            raise ValueError("event must be a JSON object")
        kind = data.get("kind")
        if kind not in KINDS:
            raise ValueError(f"event kind must be one of {', '.join(KINDS)}")
        texts: dict[str, str] = {}
        for key in ("number", "name", "call_id", "source", "id"):
            value = data.get(key, "")
            if value is None:
                value = ""
            if not isinstance(value, str):
                raise ValueError(f"event {key} must be a string")
            texts[key] = value
        at_text = data.get("at")
        if at_text is None or at_text == "":
            at = default_at or datetime.now(UTC)
        elif isinstance(at_text, str) and len(at_text) <= 64:
            try:
                at = datetime.fromisoformat(at_text)
            except ValueError:
                raise ValueError("event time is not an ISO 8601 date and time") from None
            if at.tzinfo is None:
                at = at.replace(tzinfo=UTC)
        else:
            raise ValueError("event time must be an ISO 8601 string")
        return cls(
            kind,  # type: ignore[arg-type]  # checked against KINDS above
            texts["number"],
            texts["name"],
            texts["call_id"],
            at,
            texts["source"] or "unknown",
            texts["id"],
        )

    def caller(self) -> str:
        """Who it is, for messages: the name, else the number, else "an unknown caller"."""
        return self.name or self.number or "an unknown caller"


MAX_LINE = 64 * 1024
"""Longest request line the socket accepts and longest line read from the spool."""


# -- showing hostile text -------------------------------------------------------------------

_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")
ELLIPSIS = "…"


def _cells(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_safe(text: str, width: int) -> str:
    """One line of at most `width` terminal cells that shows `text` without obeying it.

    Control characters (ESC, BEL, DEL, C1), lone surrogates, bidirectional overrides and other
    invisible format characters are shown as escapes (`\\x1b`, `\\u202e`); tabs and line breaks
    become single spaces; text that does not fit is cut and ends with an ellipsis. A literal
    backslash is left alone, so `\\x1b` typed by a caller looks like an escaped ESC; that is
    ambiguous to read but harmless.
    """
    if width <= 0:
        return ""
    # Split, then strip: a single regex with spaces around the breaks backtracks badly.
    lines = (part.replace("\t", " ").strip(" ") for part in _LINE_BREAKS.split(text))
    folded = " ".join(line for line in lines if line)
    tokens: list[tuple[str, int]] = []
    for char in folded:
        if is_hidden(char):
            escaped = escape_char(char)
            tokens.append((escaped, len(escaped)))
        else:
            tokens.append((char, _cells(char)))
    if sum(cells for _, cells in tokens) <= width:
        return "".join(token for token, _ in tokens)
    kept: list[str] = []
    used = 0
    for token, cells in tokens:
        # An escape is never split: half of `\x1b` would read as something else.
        if used + cells > width - 1:
            break
        kept.append(token)
        used += cells
    return "".join(kept).rstrip() + ELLIPSIS


# -- hook arguments -------------------------------------------------------------------------

# Written so that no two parts can match the same characters: hostile input must not make
# the regex backtrack for seconds.
_NAME_ADDR = re.compile(r'^(?:"((?:[^"\\]|\\.)*)"\s*|([^"<]*))<([^>]*)>')
_QUOTED_PAIR = re.compile(r"\\(.)")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_SCHEME = re.compile(r"^(sips?|tel):", re.IGNORECASE)
_PHONE_CHARS = re.compile(r"^[0-9+*#()./\s-]+$")
MAX_ARGUMENT = 4096
"""Longest hook argument parsed; the parts kept are capped far below this anyway."""


def _percent_decode(text: str) -> str:
    if "%" not in text:
        return text
    raw = _PERCENT.sub(lambda match: chr(int(match.group(1), 16)), text)
    # Percent escapes encode UTF-8 bytes; decode them as such, keeping anything that is not.
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw


def _unquote_name(text: str) -> str:
    """A display name written as an RFC 3261 quoted-string loses its quotes and backslash
    escapes (`\\"` is `"`). One left unterminated (its last quote escaped) is read to the end;
    text that does not start with a quote is kept as it is."""
    text = text.strip()
    if len(text) < 2 or text[0] != '"':
        return text
    body = text[1:]
    if body.endswith('"'):
        before = body[:-1]
        if (len(before) - len(before.rstrip("\\"))) % 2 == 0:  # the closing quote, unescaped
            body = before
    return _QUOTED_PAIR.sub(r"\1", body).strip()


def _address_number(address: str) -> str:
    """The caller's number (or user@host) from a SIP/tel URI or a bare number."""
    text = address.strip()
    scheme_match = _SCHEME.match(text)
    scheme = scheme_match.group(1).lower() if scheme_match else ""
    if scheme_match:
        text = text[scheme_match.end() :]
    if scheme == "tel":
        number = _percent_decode(text.split(";", 1)[0]).strip()
        return "" if is_withheld(number) else number
    if not scheme and "@" not in text:
        # A bare number as the phone passed it ("+44 20 7946 0958", "1001"), or a word for
        # a withheld one ("anonymous", "Restricted"): MicroSIP passes only the user part.
        return "" if is_withheld(text) else text
    text = text.split("?", 1)[0]  # URI headers
    user, at_sign, host = text.partition("@")
    if not at_sign:
        user, host = "", user
    user = _percent_decode(user.split(":", 1)[0].split(";", 1)[0]).strip()
    host = host.split(";", 1)[0].strip()
    if is_withheld(user) or host.split(":", 1)[0].casefold() == ANONYMOUS_HOST:
        return ""
    if not user:
        return host
    if _PHONE_CHARS.match(user):
        return user
    # A named SIP user is only unique together with its domain.
    return f"{user}@{host}" if host else user


def parse_caller(number: str, name: str = "") -> tuple[str, str]:
    """(number, name) from what a softphone passes as the caller.

    `number` may be a bare number, a `sip:`/`sips:`/`tel:` URI, or a SIP name-addr such as
    `"Pat Smith" <sip:1001@host>`, whose display name is used when `name` is empty. The
    number keeps the caller's own formatting ("+44 20 7946 0958"); compare numbers with
    `calls.normalise_number`. Withheld callers (`anonymous`, `sip:anonymous@anonymous.invalid`,
    `Restricted`, ...) come back with an empty number.
    """
    display = ""
    number = number[:MAX_ARGUMENT].strip()
    name = name[:MAX_ARGUMENT]
    address = number
    match = _NAME_ADDR.match(number)
    if match:
        quoted, bare, address = match.groups()
        display = _QUOTED_PAIR.sub(r"\1", quoted) if quoted is not None else bare
    elif "<" in number and ">" in number[number.index("<") :]:
        # Malformed (an unbalanced quote, say): still take the address from the brackets.
        start = number.index("<")
        address = number[start + 1 : number.index(">", start)]
        before = number[:start].strip()
        display = _unquote_name(before) if before.startswith('"') else before.strip('"')
    parsed_number = _address_number(address) if address.strip() else ""
    return parsed_number, _unquote_name(name) or display.strip()
