#!/usr/bin/env python3
"""Small defects a tester found, tried again as a person meets them, against the installed app.

- `calldesk.db` a link to a text file, or a named pipe: the commands that read calls refuse
  it by name, as the app does (never "damaged", never "no calls stored yet", never waiting);
- `overflow/` a link to another folder, 18 KB pasted into a note: nothing written through it,
  the whole text kept;
- a phrase file with an id twice and an override of a bundled phrase: the file is skipped;
- `softphone.baresip = "not a host:99999"`: refused at start with what it expects.

Written in the style of `scripts/conditions` (one function per condition, taking a `Home` and
returning (passed, what was seen)), which runs these too. Run on its own:
    scripts/conditions_misc.py [--calldesk PATH] [--only WORD] [--keep]
which borrows `Home` and `Terminal` from `scripts/conditions` beside it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from conditions_common import runner as _base
from conditions_common import send_all as _send_all

Result = tuple[bool, str]
Home = Any  # scripts/conditions' Home: root, env, data_dir, database, run(), ...

READERS = (("export", "--all"), ("record",), ("promises",), ("practice", "stats"))
PASTE_START, PASTE_END = b"\x1b[200~", b"\x1b[201~"


def _readers_refuse(home: Home, said: str) -> Result:
    """Each reading command: exit 1, `said` in its error, no "damaged", no "no calls"."""
    seen: list[str] = []
    ok = True
    for command in READERS:
        try:
            result = home.run(*command, timeout=30)
        except subprocess.TimeoutExpired:
            ok = False
            seen.append(f"{' '.join(command)}: still waiting after 30 s")
            continue
        err = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "(nothing)"
        fine = (
            result.returncode == 1
            and said in result.stderr
            and "damaged" not in result.stderr
            and "no calls" not in result.stderr
            and "Traceback" not in result.stderr
        )
        ok = ok and fine
        seen.append(f"{' '.join(command)}: exit {result.returncode}: {err[:90]}")
    return ok and not home.crash_logs(), "; ".join(seen)


def database_a_link(home: Home) -> Result:
    """`calldesk.db` a symbolic link to a text file of the user's."""
    home.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    text = home.root / "notes.txt"
    text.write_text("my shopping list\n")
    home.database.symlink_to(text)
    ok, seen = _readers_refuse(home, "is a symbolic link")
    return ok and text.read_text() == "my shopping list\n", seen


def database_a_pipe(home: Home) -> Result:
    """`calldesk.db` a named pipe: refused without being opened (opening it would wait)."""
    home.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.mkfifo(home.database, 0o600)
    return _readers_refuse(home, "is a named pipe")


def overflow_a_link(home: Home) -> Result:
    """`overflow/` a link to a 0755 folder, then 18 KB pasted into a note."""
    home.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    elsewhere = home.root / "elsewhere"
    elsewhere.mkdir(mode=0o755)
    (home.data_dir / "overflow").symlink_to(elsewhere)
    line = "2026-12-02 09:14:07 spooler: tray 2 paper jam, job 4411 held\n"
    text = (line * (18_000 // len(line) + 1))[:18_000]
    terminal = _base().Terminal(home)
    try:
        terminal.wait_for("NO CALL")
        terminal.send(_base().F2)
        terminal.wait_for("ON CALL")
        _send_all(terminal, PASTE_START + text.encode() + PASTE_END)
        told = terminal.wait_for("Note too long", timeout=30)
        terminal.pump(0.5)
        told = told and "could not be saved" in terminal.seen
        terminal.pump(1.5)  # the draft is saved within a second
        terminal.quit_time()
    finally:
        terminal.close()
    db = sqlite3.connect(f"{home.database.as_uri()}?mode=ro", uri=True)
    try:
        (draft,) = db.execute("SELECT draft FROM calls ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        db.close()
    written = sorted(path.name for path in elsewhere.iterdir())
    kept = draft in (text, text.rstrip())
    return told and not written and kept, (
        f"told: {told}; files in the link's target: {written or 'none'};"
        f" draft kept whole: {kept} ({len(draft):,} characters)"
    )


DUP = """\
category: Mine
phrases:
  - {id: dup-one, title: One, say: One.}
  - {id: dup-one, title: Two, say: Two.}
  - {id: blame-thats-on-us, title: Overridden, say: Overridden.}
"""
TYPO = """\
category: Mine
phrases:
  - {id: dup-two, title: One, say: One., sya: typo}
  - {id: dup-two, title: Two, say: Two.}
"""


def phrase_file_with_a_duplicate(home: Home) -> Result:
    """dup.yaml: an id twice and an override of a bundled phrase, skipped whole; typo.yaml:
    an id twice and a typo, both reported by `phrases check` at once."""
    folder = home.root / "mine"
    folder.mkdir()
    (folder / "dup.yaml").write_text(DUP)
    (folder / "typo.yaml").write_text(TYPO)
    check = home.run("--phrase-dir", str(folder), "phrases", "check")
    listed = home.run("--phrase-dir", str(folder), "phrases", "list", "--json")
    titles = {p["id"]: p["title"] for p in json.loads(listed.stdout or "[]")}
    beside = "duplicate id 'dup-two'" in check.stdout and "unknown key 'sya'" in check.stdout
    ok = (
        check.returncode == 1
        and beside
        and "dup-one" not in titles
        and titles.get("blame-thats-on-us") not in (None, "Overridden")
    )
    return ok, (
        f"check: exit {check.returncode}, duplicate beside the typo: {beside}; listed:"
        f" dup-one {'dup-one' in titles}, blame-thats-on-us titled"
        f" {titles.get('blame-thats-on-us')!r}"
    )


def _baresip(home: Home) -> Result:
    check = _base().config_value(
        '[softphone]\nbaresip = "not a host:99999"\n',
        "softphone.baresip: expected host:port",
        "'not a host:99999'",
    )
    return check(home)


CONDITIONS: list[tuple[str, Callable[[Home], Result]]] = [
    ("database: calldesk.db is a link, read by the CLI", database_a_link),
    ("database: calldesk.db is a named pipe, read by the CLI", database_a_pipe),
    ("overflow: overflow/ is a link, 18 KB pasted", overflow_a_link),
    ("phrases: a file with a duplicate id is skipped", phrase_file_with_a_duplicate),
    ("config: softphone.baresip is not host:port", _baresip),
]


if __name__ == "__main__":
    sys.exit(_base().main(CONDITIONS))
