"""The phrase watcher with real files and editors' ways of saving, and a reload cycle without UI."""

from __future__ import annotations

import os
import queue
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from calldesk.core.library.loader import load_library
from calldesk.core.library.reload import summarize_reload
from calldesk.core.library.watch import PhraseWatcher, WatchPlan, plan_watch

WAIT = 30.0
"""Only ever waited out when a change never comes: a loaded machine must not make these flaky."""

PHRASE = """\
category: Test
phrases:
  - id: {id}
    title: {title}
    say: {say}
"""


def phrase_file(phrase_id: str, title: str = "A title", say: str = "Some words.") -> str:
    return PHRASE.format(id=phrase_id, title=title, say=say)


class Recorder:
    """Collects `on_change` calls; the test thread waits on them."""

    def __init__(self) -> None:
        self.calls: queue.Queue[set[Path]] = queue.Queue()

    def __call__(self, paths: set[Path]) -> None:
        self.calls.put(paths)

    def next(self, timeout: float = WAIT) -> set[Path]:
        try:
            return self.calls.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no change reported within {timeout} s") from None

    def until(self, wanted: Path, timeout: float = WAIT) -> set[Path]:
        """Every path reported until one batch contains `wanted`."""
        seen: set[Path] = set()
        deadline = time.monotonic() + timeout
        while wanted not in seen:
            seen |= self.next(max(deadline - time.monotonic(), 0.01))
        return seen

    def drain(self) -> None:
        time.sleep(0.3)
        while not self.calls.empty():
            self.calls.get_nowait()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "team"
    path.mkdir()
    (path / "greetings.yaml").write_text(phrase_file("hello"), encoding="utf-8")
    return path


@pytest.fixture(params=["notify", "polling"])
def watching(
    folder: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[PhraseWatcher, Recorder]]:
    """Told by the system (inotify), and polling (network folders, WSL, watch limits hit)."""
    recorder = Recorder()
    watcher = PhraseWatcher([folder], recorder, force_polling=request.param == "polling")
    watcher.start()
    assert watcher.wait_ready(WAIT)
    yield watcher, recorder
    watcher.stop()


# -- what counts as a change -----------------------------------------------------------------


def test_write_in_place_is_reported(folder: Path, watching: tuple[PhraseWatcher, Recorder]) -> None:
    _, recorder = watching
    target = folder / "greetings.yaml"
    with target.open("a", encoding="utf-8") as handle:
        handle.write("# edited\n")
    assert recorder.next() == {target}
    # Same size, same second: a poller comparing modification times in seconds misses this.
    text = target.read_text(encoding="utf-8")
    target.write_text(text.replace("A title", "B title"), encoding="utf-8")
    assert recorder.next() == {target}


def test_atomic_rename_like_vscode_and_gedit_reports_only_the_phrase_file(
    folder: Path, watching: tuple[PhraseWatcher, Recorder]
) -> None:
    _, recorder = watching
    target = folder / "greetings.yaml"
    temp = folder / ".greetings.yaml.goutputstream-X1"
    temp.write_text(phrase_file("hello", "Renamed in"), encoding="utf-8")
    os.replace(temp, target)
    assert recorder.next() == {target}


def test_vim_backup_rename_and_write_reports_only_the_phrase_file(
    folder: Path, watching: tuple[PhraseWatcher, Recorder]
) -> None:
    _, recorder = watching
    target = folder / "greetings.yaml"
    # What vim does with 'backupcopy=no': probe the folder, move the file aside, write anew.
    probe = folder / "4913"
    probe.write_text("", encoding="utf-8")
    probe.unlink()
    swap = folder / ".greetings.yaml.swp"
    swap.write_bytes(b"swap")
    backup = folder / "greetings.yaml~"
    os.rename(target, backup)
    target.write_text(phrase_file("hello", "Written by vim"), encoding="utf-8")
    backup.unlink()
    swap.unlink()
    assert recorder.next() == {target}


def test_new_and_deleted_files_are_reported(
    folder: Path, watching: tuple[PhraseWatcher, Recorder]
) -> None:
    _, recorder = watching
    new = folder / "billing.yml"
    new.write_text(phrase_file("refund"), encoding="utf-8")
    assert recorder.next() == {new}
    (folder / "greetings.yaml").unlink()
    assert recorder.next() == {folder / "greetings.yaml"}


def test_other_files_and_hidden_folders_are_ignored(
    folder: Path, watching: tuple[PhraseWatcher, Recorder]
) -> None:
    _, recorder = watching
    (folder / "README.md").write_text("notes", encoding="utf-8")
    (folder / "phrases.schema.json").write_text("{}", encoding="utf-8")
    (folder / ".git").mkdir()
    (folder / ".git" / "stash.yaml").write_text("x: 1", encoding="utf-8")
    (folder / "#greetings.yaml#").write_text("emacs autosave", encoding="utf-8")
    time.sleep(0.3)  # let those arrive first, so they would be in the first batch
    marker = folder / "marker.yaml"
    marker.write_text(phrase_file("marker"), encoding="utf-8")
    assert recorder.next() == {marker}


def test_subfolders_created_filled_and_moved_away_are_reported(
    folder: Path, tmp_path: Path, watching: tuple[PhraseWatcher, Recorder]
) -> None:
    _, recorder = watching
    sub = folder / "billing"
    sub.mkdir()
    inside = sub / "refunds.yaml"
    inside.write_text(phrase_file("refund"), encoding="utf-8")
    # A file written the instant its folder appears may come before the folder is watched,
    # so the folder itself is what is reported; reloading then finds the file.
    assert recorder.next() & {sub, inside}
    assert load_library([folder], optional=()).get("refund") is not None
    recorder.drain()
    inside.write_text(phrase_file("refund", "Edited in a new subfolder"), encoding="utf-8")
    assert recorder.next() == {inside}
    # Moving a folder out reports only the folder: its phrases leave with it.
    os.rename(sub, tmp_path / "elsewhere")
    assert sub in recorder.next()


def test_a_missing_folder_is_picked_up_when_created(tmp_path: Path) -> None:
    missing = tmp_path / "config" / "calldesk" / "phrases"
    recorder = Recorder()
    with PhraseWatcher([missing], recorder) as watcher:
        assert watcher.wait_ready(WAIT)
        assert watcher.plan == WatchPlan(parents=(tmp_path,), missing=(missing,))
        unrelated = tmp_path / "other.yaml"
        unrelated.write_text(phrase_file("other"), encoding="utf-8")
        missing.mkdir(parents=True)
        first = missing / "mine.yaml"
        first.write_text(phrase_file("mine"), encoding="utf-8")
        reported = recorder.until(missing)
        assert unrelated not in reported
        deadline = time.monotonic() + WAIT
        while watcher.plan is None or watcher.plan.trees != (missing,):
            assert time.monotonic() < deadline, watcher.plan
            time.sleep(0.02)
        recorder.drain()
        first.write_text(phrase_file("mine", "Now watched like any folder"), encoding="utf-8")
        assert recorder.next() == {first}


def test_a_deleted_folder_is_reported_and_watched_again_when_it_comes_back(
    folder: Path, watching: tuple[PhraseWatcher, Recorder]
) -> None:
    watcher, recorder = watching
    shutil.rmtree(folder)
    assert folder in recorder.until(folder)
    folder.mkdir()
    again = folder / "again.yaml"
    again.write_text(phrase_file("again"), encoding="utf-8")
    recorder.until(folder)
    deadline = time.monotonic() + WAIT
    while watcher.plan is None or watcher.plan.trees != (folder,):
        assert time.monotonic() < deadline, watcher.plan
        time.sleep(0.02)
    recorder.drain()
    again.write_text(phrase_file("again", "Edited after the folder came back"), encoding="utf-8")
    assert recorder.next() == {again}


def test_a_folder_replaced_at_once_is_watched_anew(
    folder: Path, tmp_path: Path, watching: tuple[PhraseWatcher, Recorder]
) -> None:
    _, recorder = watching
    fresh = tmp_path / "fresh-clone"
    fresh.mkdir()
    cloned = fresh / "cloned.yaml"
    cloned.write_text(phrase_file("cloned"), encoding="utf-8")
    # What `rm -rf team && git clone ... team` (or a sync tool) does, with no pause between.
    shutil.rmtree(folder)
    os.rename(fresh, folder)
    recorder.until(folder)
    assert load_library([folder], optional=()).get("cloned") is not None
    recorder.drain()
    (folder / "cloned.yaml").write_text(phrase_file("cloned", "Edited"), encoding="utf-8")
    assert recorder.next() == {folder / "cloned.yaml"}


def test_a_single_file_entry_survives_atomic_replacement(tmp_path: Path) -> None:
    single = tmp_path / "one.yaml"
    single.write_text(phrase_file("one"), encoding="utf-8")
    recorder = Recorder()
    with PhraseWatcher([single], recorder) as watcher:
        assert watcher.wait_ready(WAIT)
        (tmp_path / "neighbour.yaml").write_text(phrase_file("n"), encoding="utf-8")
        for title in ("First save", "Second save"):
            temp = tmp_path / "one.yaml.tmp"
            temp.write_text(phrase_file("one", title), encoding="utf-8")
            os.replace(temp, single)
            assert recorder.next() == {single}


def test_a_failing_callback_does_not_stop_the_watching(folder: Path) -> None:
    seen: queue.Queue[set[Path]] = queue.Queue()

    def on_change(paths: set[Path]) -> None:
        seen.put(paths)
        raise RuntimeError("bug in the app")

    with PhraseWatcher([folder], on_change) as watcher:
        assert watcher.wait_ready(WAIT)
        for name in ("a.yaml", "b.yaml"):
            (folder / name).write_text(phrase_file(name[0]), encoding="utf-8")
            assert seen.get(timeout=WAIT) == {folder / name}


def test_when_the_system_refuses_to_watch_it_says_so_and_polls(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import watchfiles

    def refuse(*_args: object, **_kwargs: object) -> Iterator[set[tuple[int, str]]]:
        raise OSError(28, "OS file watch limit reached")
        yield set()  # a generator, like the real one

    monkeypatch.setattr(watchfiles, "watch", refuse)
    errors: queue.Queue[str] = queue.Queue()
    recorder = Recorder()
    with PhraseWatcher([folder], recorder, on_error=errors.put, force_polling=False) as watcher:
        message = errors.get(timeout=WAIT)
        assert message == (
            "cannot watch the phrase folders ([Errno 28] OS file watch limit reached); "
            "checking them for changes every quarter second instead"
        )
        assert watcher.wait_ready(WAIT)
        target = folder / "greetings.yaml"
        target.write_text(phrase_file("hello", "Seen by polling"), encoding="utf-8")
        # Switching to polling reports the folder too (a change meanwhile would be missed).
        assert target in recorder.until(target)


def test_stop_ends_the_threads_and_the_calls(folder: Path) -> None:
    recorder = Recorder()
    watcher = PhraseWatcher([folder], recorder)
    watcher.start()
    assert watcher.wait_ready(WAIT)
    watcher.stop()  # how fast: benchmarks/watch_bench.py
    assert not watcher.running
    (folder / "late.yaml").write_text(phrase_file("late"), encoding="utf-8")
    with pytest.raises(queue.Empty):
        recorder.calls.get(timeout=0.5)
    # It can be started again, and sees changes again.
    watcher.start()
    assert watcher.wait_ready(WAIT)
    (folder / "late.yaml").write_text(phrase_file("late", "Again"), encoding="utf-8")
    assert recorder.next() == {folder / "late.yaml"}
    watcher.stop()


def test_plan_watches_nested_folders_once_and_waits_for_missing_ones(tmp_path: Path) -> None:
    team = tmp_path / "team"
    (team / "sub").mkdir(parents=True)
    single = tmp_path / "loose.yaml"
    single.write_text(phrase_file("loose"), encoding="utf-8")
    missing = tmp_path / "not" / "yet"
    plan = plan_watch([team / "sub", team, single, missing])
    assert plan == WatchPlan(
        trees=(team,),
        parents=(tmp_path,),
        files=frozenset({single}),
        missing=(missing,),
    )


# -- the whole cycle: save, reload, break, keep the last good version, fix -----------------------


def test_save_break_and_fix_a_file_while_watching(
    folder: Path, watching: tuple[PhraseWatcher, Recorder]
) -> None:
    _, recorder = watching
    library = load_library([folder], optional=())
    assert [p.id for p in library] == ["hello"]

    def reload_after(path: Path) -> None:
        nonlocal library
        recorder.until(path)
        library = load_library([folder], library, optional=())

    new = folder / "refunds.yaml"
    new.write_text(phrase_file("refund-promise", "We will refund you"), encoding="utf-8")
    reload_after(new)
    assert library.get("refund-promise") is not None
    assert library.get("refund-promise").title == "We will refund you"  # type: ignore[union-attr]
    assert library.problems == ()

    broken = phrase_file("refund-promise", "We will refund you").replace(
        "    say:", "    sya:"
    )  # a typo mid-edit
    new.write_text(broken, encoding="utf-8")
    reload_after(new)
    kept = library.get("refund-promise")
    assert kept is not None and kept.title == "We will refund you"
    errors = [(p.path, p.line, p.column, p.message, p.hint) for p in library.errors]
    assert (new, 5, 5, "unknown key 'sya' in a phrase", "did you mean 'say'?") in errors
    assert library.files[new].kept

    new.write_text(phrase_file("refund-promise", "Refund, fixed"), encoding="utf-8")
    reload_after(new)
    assert library.problems == ()
    assert library.get("refund-promise").title == "Refund, fixed"  # type: ignore[union-attr]


def test_summarize_reload_names_what_changed(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "category: T\nphrases:\n"
        "  - {id: stay, title: Stay, say: Same.}\n"
        "  - {id: edit, title: Edit, say: Before.}\n"
        "  - {id: gone, title: Gone, say: Bye.}\n",
        encoding="utf-8",
    )
    (tmp_path / "b.yaml").write_text(phrase_file("b-one"), encoding="utf-8")
    before = load_library([tmp_path], optional=())
    (tmp_path / "a.yaml").write_text(
        "category: T\nphrases:\n"
        "  - {id: new, title: New, say: Hello.}\n"
        "  - {id: stay, title: Stay, say: Same.}\n"
        "  - {id: edit, title: Edit, say: After.}\n",
        encoding="utf-8",
    )
    (tmp_path / "b.yaml").write_text(phrase_file("b-one") + "  - oops\n", encoding="utf-8")
    after = load_library([tmp_path], before, optional=())
    summary = summarize_reload(before, after)
    assert summary.added == ("new",)
    assert summary.removed == ("gone",)
    assert summary.changed == ("edit",)  # "stay" moved down a line: not a change
    assert summary.broken == (tmp_path / "b.yaml",)
    assert summary.message() == (
        "Phrases reloaded: 1 added, 1 changed, 1 removed. 1 file has errors (b.yaml); "
        "the last good version stays in use until they are fixed."
    )
    (tmp_path / "b.yaml").write_text(phrase_file("b-one", "Fixed"), encoding="utf-8")
    good = load_library([tmp_path], after, optional=())
    fixed = summarize_reload(after, good)
    assert fixed.fixed == (tmp_path / "b.yaml",)
    assert fixed.changed == ("b-one",)
    assert fixed.message() == "Phrases reloaded: 1 changed. Fixed: 1 file."
    (tmp_path / "c.yaml").write_text(phrase_file("c-one") + "  - oops\n", encoding="utf-8")
    brand_new = summarize_reload(good, load_library([tmp_path], good, optional=()))
    assert brand_new.broken == ()
    assert brand_new.new_broken == (tmp_path / "c.yaml",)
    assert brand_new.message().endswith(
        "1 new file has errors (c.yaml); it is skipped until they are fixed."
    )


# -- every save arrives ----------------------------------------------------------------------------


@pytest.mark.parametrize("polling", [False, True], ids=["notify", "polling"])
def test_every_save_in_place_or_renamed_into_place_reaches_on_change(
    folder: Path, polling: bool
) -> None:
    # How fast: benchmarks/watch_bench.py. Here only that each save arrives, one by one.
    recorder = Recorder()
    target = folder / "greetings.yaml"
    with PhraseWatcher([folder], recorder, force_polling=polling) as watcher:
        assert watcher.wait_ready(WAIT)
        recorder.drain()
        for number in range(4):
            if number % 2:
                target.write_text(phrase_file("hello", f"Edit {number}"), encoding="utf-8")
            else:
                temp = folder / f".greetings.yaml.{number}.tmp"
                temp.write_text(phrase_file("hello", f"Edit {number}"), encoding="utf-8")
                os.replace(temp, target)
            assert target in recorder.until(target)
