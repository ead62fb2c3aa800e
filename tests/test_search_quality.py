"""The search quality benchmark: how it counts keystrokes, its baselines, and its data files."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from benchmarks import search_quality as bench

ROOT = Path(__file__).resolve().parents[1]
ISSUE_WORDS = (
    *("kill", "idiot", "insult", "rude", "threatening", "insulting", "escalate"),
    *("cancellation", "lawyer", "yelling", "swore twice", "update broke", "reboot"),
    *("not fixed", "blame", "pasword", "refnd", "angy", "abusiv", "thret", "thrat", "swaer"),
)
"""The words issue 17 saw fail, each typed in some situation."""


@pytest.fixture(scope="module")
def library() -> Any:
    loaded = bench.load_phrases([bench.BUNDLED_PHRASES])
    assert not loaded.errors
    return loaded


@pytest.fixture(scope="module")
def situations(library: Any) -> list[bench.Situation]:
    return bench.load_situations(bench.SITUATIONS_FILE, (p.id for p in library.phrases))


def scripted(results: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    """A search that answers each prefix from `results` (nothing for the others)."""

    def search(query: str, limit: int) -> list[str]:
        return results.get(query, [])[:limit]

    return search


FITS = frozenset({"good"})


def test_keystrokes_count_from_the_prefix_a_fit_stays_in_the_top_three() -> None:
    search = scripted(
        {
            "k": ["a", "b", "c"],
            "ki": ["a", "b", "c", "good"],  # 4th: not in the top 3
            "kil": ["a", "b", "good"],
            "kill": ["good"],
        }
    )
    score = bench.score_query(search, "kill", FITS)
    assert (score.found, score.keystrokes, score.lost, score.first_fits) == (True, 3, False, True)


def test_a_fit_lost_while_typing_is_flagged_and_counted_from_where_it_came_back() -> None:
    search = scripted({"y": ["good"], "ye": ["good"], "yel": ["x"], "yell": ["x", "good"]})
    score = bench.score_query(search, "yell", FITS)
    assert (score.found, score.keystrokes, score.lost, score.first_fits) == (True, 4, True, False)


def test_spaces_are_keystrokes_too() -> None:
    search = scripted({"no ": ["good"], "no f": ["good"], "no fi": ["good"]})
    assert bench.score_query(search, "no fi", FITS).keystrokes == 3


def test_a_query_whose_full_text_finds_nothing_fitting_counts_never() -> None:
    search = scripted({"l": ["good"], "la": ["good"], "law": ["x"]})
    score = bench.score_query(search, "law", FITS)
    assert (score.found, score.keystrokes, score.lost) == (False, None, True)


def situation(situation_id: str, kind: str, *queries: str) -> bench.Situation:
    return bench.Situation(situation_id, kind, "a moment", queries, FITS)


def test_a_situation_is_found_when_every_query_is_and_its_keys_are_the_first_querys() -> None:
    search = scripted(
        {
            "a": ["good"],
            "ab": ["good"],
            "x": ["no"],
            "xy": ["good"],
            "b": ["x", "good"],
            "c": ["nothing"],
        }
    )
    scores = [
        bench.SituationScore(s, tuple(bench.score_query(search, q, s.fits) for q in s.queries))
        for s in (
            situation("both-found", "abuse", "ab", "xy"),
            situation("one-missing", "threat", "b", "c"),
            situation("no-top-hit-check", "billing", "b"),
        )
    ]
    assert [s.found for s in scores] == [True, False, True]
    assert [s.keystrokes for s in scores] == [1, 1, 1]
    summary = bench.summarize(scores)
    assert (summary.situations_found, summary.queries_found) == (2, 4)
    # Top hit: counted for threat and abuse only; "b" puts the fit second.
    assert (summary.top_hit_situations, summary.top_hit_situations_fit) == (2, 1)
    assert (summary.top_hit_queries, summary.top_hit_queries_fit) == (4, 2)
    assert summary.query_worst_keys == math.inf  # "c" never finds it
    assert summary.found_by_kind == {"threat": (0, 1), "abuse": (1, 1), "billing": (1, 1)}


def test_targets_are_met_only_when_every_situation_is() -> None:
    search = scripted({"a": ["good"], "b": ["x"]})
    scores = [
        bench.SituationScore(s, tuple(bench.score_query(search, q, s.fits) for q in s.queries))
        for s in (situation("found", "abuse", "a"), situation("lost", "fan", "b"))
    ]
    speed = [bench.SpeedResult(10_000, 10_127, 0.4, 100, 0.2, 9.9, 12.0, 1.0)]
    verdicts = {t.name: t.met for t in bench.targets(bench.summarize(scores), speed)}
    assert verdicts == {
        "every situation found": False,
        "median <= 3 keystrokes": False,  # median of 1 and never
        "worst <= 6 keystrokes": False,
        "every threat/abuse top hit fits": True,
        "p95 <= 10 ms at 10,000 phrases": True,
        "p95 <= 100 ms at 100,000 phrases": None,
    }


@dataclass(frozen=True)
class Phrase:
    """The fields the baselines read (the benchmark takes any object that has them)."""

    id: str
    title: str
    category: str = "Misc"
    say: str = "Hello."
    when: str = ""
    tags: tuple[str, ...] = ()


def phrase(phrase_id: str, title: str, category: str = "Misc", **fields: Any) -> Phrase:
    return Phrase(phrase_id, title, category, **fields)


def test_substring_needs_every_word_anywhere_ignoring_case_in_library_order() -> None:
    phrases = [
        phrase("a", "Refund late", when="The BANK is slow."),
        phrase("b", "Nothing here"),
        phrase("c", "Bank refunds", tags=("money",)),
        phrase("d", "Money back", category="Refund"),
    ]
    search = bench.SubstringSearch(phrases)
    assert search.search("REFUND bank", 3) == ["a", "c"]
    assert search.search("refund", 2) == ["a", "c"]
    assert search.search("money refund", 3) == ["c", "d"]


@pytest.mark.skipif(shutil.which("fzf") is None, reason="fzf is not installed")
def test_fzf_gives_phrase_ids_in_its_own_order(tmp_path: Path) -> None:
    phrases = [
        phrase("printer-jam", "Paper jam", say="Open the tray."),
        phrase("threat-end", "Ending the call after a threat"),
        phrase("other", "Something else"),
    ]
    search = bench.FzfSearch(phrases, shutil.which("fzf") or "fzf", tmp_path)
    assert search.search("threat", 3) == ["threat-end"]
    assert search.search("zzzz", 3) == []


def test_the_situations_cover_the_library_and_the_words_from_the_issue(
    library: Any, situations: list[bench.Situation]
) -> None:
    assert len(situations) >= 60
    fitting = {phrase_id for s in situations for phrase_id in s.fits}
    categories = {p.category for p in library.phrases if p.id in fitting}
    assert categories == {p.category for p in library.phrases}
    typed = {q for s in situations for q in s.queries}
    assert [word for word in ISSUE_WORDS if word not in typed] == []
    assert {s.kind for s in situations} == set(bench.KINDS)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "situations.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_bad_situations_file_names_the_line_and_what_is_wrong(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "situations:\n"
        "  - id: one\n"
        "    kind: threat\n"
        "    moment: He says he'll kill me.\n"
        "    queries: [kill]\n"
        "    fits: [threat-ending-the-call, no-such-phrase]\n"
        "  - id: one\n"
        "    kind: scary\n"
        "    moment: Again.\n"
        "    queries: []\n"
        "    fits: [threat-ending-the-call]\n"
        "    note: typo\n",
    )
    with pytest.raises(bench.SituationsError) as caught:
        bench.load_situations(path, ["threat-ending-the-call"])
    problems = caught.value.problems
    assert problems == [
        f"{path}:2 (one): no phrase with id no-such-phrase in the library "
        "(`calldesk phrases list` shows the ids)",
        f"{path}:7: unknown key(s) note",
        f"{path}:7 (one): id already used on line 2",
        f"{path}:7 (one): `kind` must be one of {', '.join(bench.KINDS)}; got 'scary'",
        f"{path}:7 (one): `queries` must be a list of what agents type (strings)",
    ]


def test_a_query_must_be_a_printable_line_of_sensible_length(tmp_path: Path) -> None:
    too_long, longest = "a" * 81, "b" * 80
    path = write(
        tmp_path,
        "situations:\n"
        "  - id: x\n"
        "    kind: threat\n"
        "    moment: m\n"
        f'    queries: ["red \\e[31m", {too_long}, {longest}]\n'
        "    fits: [threat-ending-the-call]\n",
    )
    with pytest.raises(bench.SituationsError) as caught:
        bench.load_situations(path, ["threat-ending-the-call"])
    rule = "must be one printable line of at most 80 characters, as typed in the search box"
    assert caught.value.problems == [
        f"{path}:2 (x): query 'red \\x1b[31m' {rule}",
        f"{path}:2 (x): query '{too_long[:40]}' {rule}",
    ]


@pytest.mark.parametrize(
    "text",
    ["situations: [\n", "just text\n", "situations: {}\n", "\x00\n"],
    ids=["broken-yaml", "not-a-mapping", "not-a-list", "control-character"],
)
def test_an_unreadable_situations_file_is_one_clear_problem(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(bench.SituationsError) as caught:
        bench.load_situations(path, [])
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(f"{path}: ")


def test_compare_lists_what_changed_query_by_query() -> None:
    def run(found: bool, keys: int | None, first: bool) -> dict[str, object]:
        query = {"situation": "s", "query": "kill", "found": found, "keystrokes": keys}
        query |= {"lost": False, "first_fits": first, "top": []}
        return {"engines": {"calldesk": {"queries": [query]}}}

    assert bench.compare(run(False, None, False), run(True, 3, True), "calldesk") == [
        "  s 'kill': now found, keys never -> 3, top hit now fits"
    ]
    assert bench.compare(run(True, 3, True), run(True, 3, True), "calldesk") == []
    assert bench.compare({"engines": {}}, run(True, 3, True), "calldesk") == [
        "calldesk: not in the older run"
    ]


# ---- The bundled thesaurus, as data --------------------------------------------------------


@pytest.fixture(scope="module")
def draft() -> dict[str, Any]:
    return yaml.safe_load(bench.THESAURUS_FILE.read_text(encoding="utf-8"))


def test_every_thesaurus_group_leads_to_phrases_that_exist(
    library: Any, draft: dict[str, Any]
) -> None:
    categories = {p.category for p in library.phrases}
    tags = {t for p in library.phrases for t in p.tags}
    ids = {p.id for p in library.phrases}
    for group in draft["groups"]:
        leads = group["leads_to"]
        assert set(leads) <= {"categories", "tags", "phrases"}, group["name"]
        assert set(leads.get("categories", ())) <= categories, group["name"]
        assert set(leads.get("tags", ())) <= tags, group["name"]
        assert set(leads.get("phrases", ())) <= ids, group["name"]
        assert group["words"] and all(isinstance(w, str) and w.strip() for w in group["words"])
    names = [group["name"] for group in draft["groups"]]
    assert len(names) == len(set(names))


def test_no_word_is_in_two_thesaurus_groups(draft: dict[str, Any]) -> None:
    seen: dict[tuple[str, ...], str] = {}
    for group in draft["groups"]:
        for word in group["words"]:
            key = bench.words_of(word)
            assert key not in seen, f"{word!r} in {seen.get(key)!r} and {group['name']!r}"
            seen[key] = group["name"]


def test_spellings_pair_different_words(draft: dict[str, Any]) -> None:
    for spellings in draft["spellings"]:
        assert len(spellings) == len(set(spellings)) >= 2


def test_threat_and_abuse_words_never_lead_to_money_or_selling(library: Any) -> None:
    groups = bench.load_thesaurus(bench.THESAURUS_FILE, library.phrases)
    money = {
        p.id
        for p in library.phrases
        if {"refund", "billing", "cancel", "concession"} & set(p.tags)
        or p.category in ("Billing and invoices", "Changing their mind", "Putting it right")
    }
    for word in ("kill", "hurt", "threatening", "lawyer", "sue", "idiot", "swore", "rude"):
        found = bench.thesaurus_targets(groups, word)
        assert found, word
        assert all(not (targets & money) for targets in found.values()), word
    assert set(bench.thesaurus_targets(groups, "kill")["threat of harm"]) == {
        "threat-ending-the-call",
        "threat-only-joking",
        "threat-reporting-it",
        "threat-calls-back",
    }


def test_the_longest_thesaurus_entry_wins(library: Any) -> None:
    groups = bench.load_thesaurus(bench.THESAURUS_FILE, library.phrases)
    assert list(bench.thesaurus_targets(groups, "he says leave a message")) == ["voicemail"]
    assert list(bench.thesaurus_targets(groups, "wants to leave")) == ["cancel"]
    assert list(bench.thesaurus_targets(groups, "Turn it OFF and on")) == ["restart"]


def test_the_thesaurus_leads_the_situations_it_covers_to_a_fitting_phrase(
    library: Any, situations: list[bench.Situation]
) -> None:
    groups = bench.load_thesaurus(bench.THESAURUS_FILE, library.phrases)
    coverage = bench.thesaurus_coverage(groups, situations)
    assert coverage.wrong == []
    assert coverage.fitting == coverage.covered > 0


# ---- The script, as a process -----------------------------------------------------------


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "search_quality.py"), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def test_json_output_has_every_query_for_every_engine() -> None:
    result = run_script("--no-speed", "--json", "--engines", "calldesk,substring")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["engines"]) == {"calldesk", "substring"}
    for engine in report["engines"].values():
        assert len(engine["queries"]) == report["queries"]
        assert engine["summary"]["situations"] == report["situations"] >= 60
    assert [t["name"] for t in report["targets"]][:4] == [
        "every situation found",
        "median <= 3 keystrokes",
        "worst <= 6 keystrokes",
        "every threat/abuse top hit fits",
    ]


def test_a_bad_situations_file_exits_2_with_the_problem_and_no_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "situations:\n  - id: x\n    kind: threat\n")
    result = run_script("--situations", str(path), "--no-speed")
    assert result.returncode == 2
    assert f"{path}:2 (x): `moment` must say the moment in one line" in result.stderr
    assert "Traceback" not in result.stderr


# ---- calldesk against the targets (issue 17) -------------------------------------------------


@pytest.fixture(scope="module")
def calldesk_scores(library: Any, situations: list[bench.Situation]) -> bench.Summary:
    return bench.summarize(bench.run_engine(bench.calldesk_engine(library), situations))


def test_calldesk_finds_every_situation_and_puts_a_fit_first_for_threats_and_abuse(
    calldesk_scores: bench.Summary,
) -> None:
    """The quality targets of issue 17 stay met (the keystroke and speed ones are measured)."""
    summary = calldesk_scores
    assert summary.situations_found == summary.situations
    assert summary.queries_found == summary.queries
    assert summary.top_hit_queries_fit == summary.top_hit_queries
    assert summary.median_keys <= 3


def test_calldesk_reads_the_words_from_the_issue_as_the_situations_want(
    library: Any, situations: list[bench.Situation]
) -> None:
    engine = bench.calldesk_engine(library)
    by_query = {q: s for s in situations for q in s.queries}
    for word in ISSUE_WORDS:
        situation = by_query[word]
        top = engine.search(word, bench.TOP)
        assert set(top) & situation.fits, (word, top)
        if situation.top_hit_counts:
            assert top[0] in situation.fits, (word, top)
