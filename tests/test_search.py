"""Phrase search: ranking tiers, typos, filters, Unicode folding, and both rankers agreeing."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calldesk.core.library.loader import load_library
from calldesk.core.library.phrases import Phrase
from calldesk.core.library.ranking import best_first
from calldesk.core.library.search import (
    PhraseIndex,
    SearchResult,
    parse_query,
    search_phrases,
)
from calldesk.core.library.thesaurus import SynonymGroup, thesaurus_from_document
from calldesk.core.library.typos import max_typos


def phrase(
    id: str,
    title: str,
    say: str = "Hello.",
    category: str = "General",
    tags: tuple[str, ...] = (),
    when: str = "",
    sets: tuple[str, ...] = (),
) -> Phrase:
    return Phrase(id=id, title=title, say=say, category=category, tags=tags, when=when, sets=sets)


LIBRARY = [
    phrase("refund-late", "Refund is late", "It takes five days.", "Billing", ("money",)),
    phrase("refund-body", "Money back", "Your refund is on its way.", "Billing"),
    phrase("refunding", "Refunding a card", "I'm refunding it now.", "Billing"),
    phrase(
        "blame", "That one is on us", "Sorry, that one is on us.", "Taking the blame", ("blame",)
    ),
    phrase("blame-apology", "An apology", "I apologise.", "Taking the blame", ("blame", "apology")),
    phrase("printer", "Printer offline", "Let's check the cable.", "Hardware", ("printer",)),
    phrase(
        "cafe", "Café wifi", "The café network blocks our VPN.", "Network", sets=("essentials",)
    ),
    phrase("strasse", "Straße address", "Spell the street for me.", "Délivery", when="Ship it."),
    phrase("when-only", "Wrong address", "Let me fix it.", "Shipping", when="A refund was asked."),
]


@pytest.fixture(scope="module")
def index() -> PhraseIndex:
    return PhraseIndex(LIBRARY, thesaurus=())


def ids(result: SearchResult) -> list[str]:
    return [p.id for p in result.hits]


def test_typo_finds_refund_phrases(index: PhraseIndex) -> None:
    result = index.search("refnd")
    assert {"refund-late", "refund-body"} <= set(ids(result))


def test_exact_word_above_prefix_then_title_above_when_above_say(index: PhraseIndex) -> None:
    result = index.search("refund")
    order = ids(result)
    # The exact word first: in the title, in `when`, in `say`; then a longer word it starts.
    assert order == ["refund-late", "when-only", "refund-body", "refunding"]
    assert result.total == 4


def test_exact_and_prefix_rank_above_fuzzy(index: PhraseIndex) -> None:
    # "cale" is one typo from "cafe" and from "cable", but a word being typed ("calendar").
    bigger = PhraseIndex([*LIBRARY, phrase("calendar", "Calendar invite")], thesaurus=())
    assert ids(bigger.search("cale")) == ["calendar"]
    # "cabel" starts no word: a typo of "cable".
    assert ids(bigger.search("cabel")) == ["printer"]


def test_prefix_while_typing(index: PhraseIndex) -> None:
    assert set(ids(index.search("refu"))[:2]) == {"refund-late", "refunding"}
    assert "printer" in ids(index.search("pri"))


def test_tag_and_category_words_count_like_when(index: PhraseIndex) -> None:
    result = index.search("apology")
    assert ids(result) == ["blame-apology"]
    money = ids(index.search("money"))
    assert money[:2] == ["refund-body", "refund-late"]  # title on one, tag on the other


def test_all_words_matching_ranks_above_some(index: PhraseIndex) -> None:
    result = index.search("refund money")
    assert ids(result)[:2] == ["refund-late", "refund-body"]  # both words, title/tag first
    assert "refunding" in ids(result)  # one word only, still listed
    assert ids(result).index("refunding") > 1


def test_a_word_matching_nothing_does_not_hide_the_others(index: PhraseIndex) -> None:
    assert ids(index.search("printer zzzz")) == ["printer"]


def test_filters_prefix_match_case_insensitively(index: PhraseIndex) -> None:
    assert set(ids(index.search("tag:BLA"))) == {"blame", "blame-apology"}
    assert ids(index.search("cat:hard")) == ["printer"]
    # Unquoted, only "Taking" is the filter value and "the" becomes a search word.
    assert parse_query("category:Taking the") == (["the"], [("category", "taking")])
    assert set(ids(index.search('category:"taking the"'))) == {"blame", "blame-apology"}
    assert ids(index.search("set:ESS")) == ["cafe"]
    assert ids(index.search("tag:nope")) == []


def test_filters_combine_with_words_and_each_other(index: PhraseIndex) -> None:
    assert ids(index.search("tag:blame apology")) == ["blame-apology"]
    assert ids(index.search("cat:billing refnd"))[:2] == ["refund-late", "refund-body"]
    assert ids(index.search("tag:blame tag:apo")) == ["blame-apology"]
    assert index.search("tag:blame printer").total == 0


def test_an_unfinished_filter_is_ignored(index: PhraseIndex) -> None:
    assert index.search("tag:").total == len(LIBRARY)


def test_empty_query_lists_everything_by_category_then_title(index: PhraseIndex) -> None:
    result = index.search("")
    assert result.total == len(LIBRARY)
    assert [(p.category, p.title) for p in result.hits] == sorted(
        ((p.category, p.title) for p in LIBRARY), key=lambda pair: (pair[0].lower(), pair[1])
    )
    assert ids(index.search("   ", limit=2)) == ids(result)[:2]


def test_filter_only_query_keeps_the_default_order(index: PhraseIndex) -> None:
    assert ids(index.search("cat:billing")) == ["refund-body", "refund-late", "refunding"]


def test_accents_and_case_do_not_matter(index: PhraseIndex) -> None:
    assert ids(index.search("CAFE")) == ["cafe"]
    assert ids(index.search("café")) == ["cafe"]
    assert ids(index.search("strasse")) == ["strasse"]  # ß folds to ss
    assert ids(index.search("cat:deli")) == ["strasse"]


def test_limit_and_total(index: PhraseIndex) -> None:
    result = index.search("refund", limit=1)
    assert ids(result) == ["refund-late"] and result.total == 4
    assert index.search("refund", limit=0).hits == []


def test_one_letter_query_matches_by_prefix(index: PhraseIndex) -> None:
    result = index.search("s")
    # Title words starting with "s" first, then category words, then `say` words.
    assert ids(result)[:2] == ["strasse", "when-only"]
    assert "blame" in ids(result)[2:]  # "sorry"; "let's" is no "s"


def test_usage_breaks_ties(index: PhraseIndex) -> None:
    # Both have the tag "blame"; without usage the title order decides ("An apology" first).
    assert ids(PhraseIndex(LIBRARY).search("blame")) == ["blame-apology", "blame"]
    used = PhraseIndex(LIBRARY, usage={"blame": 9, "blame-apology": 2})
    assert ids(used.search("blame")) == ["blame", "blame-apology"]
    # Browsing stays in category/title order whatever the usage.
    assert ids(PhraseIndex(LIBRARY, usage={"printer": 50}).search("")) == ids(index.search(""))


def test_short_words_get_no_typo_matches(index: PhraseIndex) -> None:
    assert index.search("cfe").total == 0


def test_parse_query() -> None:
    assert parse_query('Refund tag:Blame cat:"Taking  The" set:x foo:bar') == (
        ["refund", "foo", "bar"],
        [("tag", "blame"), ("category", "taking the"), ("set", "x")],
    )


def test_search_phrases_one_off() -> None:
    assert ids(search_phrases(LIBRARY, "printer")) == ["printer"]


WORDS = ["refund", "printer", "password", "reset", "account", "sorry", "late", "email", "card"]


def random_library(seed: int, size: int = 300) -> list[Phrase]:
    rng = random.Random(seed)
    return [
        phrase(
            f"p{n}",
            " ".join(rng.choices(WORDS, k=2)),
            " ".join(rng.choices(WORDS, k=6)),
            rng.choice(["Billing", "Hardware", "Email"]),
            tuple(rng.sample(WORDS, 1)),
        )
        for n in range(size)
    ]


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("query", ["refund", "ref pri", "pasword reset car", "r e s", "sorry late"])
def test_set_ranking_matches_one_by_one_scoring(seed: int, query: str) -> None:
    """The fast tier walk must give exactly what scoring each phrase would."""
    index = PhraseIndex(random_library(seed))
    fast = index.search(query, limit=40)
    index.clear_cache()
    per_word = index._per_word(parse_query(query)[0])
    everything = set().union(*(match.matched for match in per_word))
    slow = best_first(per_word, 40, one_by_one=True)
    assert [p.id for p in fast.hits] == [index._phrases[o].id for o in slow]
    assert fast.total == len(everything)


def test_single_letters_match_whole_words_only_unless_typed_alone() -> None:
    index = PhraseIndex(
        [phrase("article", "A printer", "x"), phrase("other", "Another printer", "y")],
        thesaurus=(),
    )
    # "a" is a word in the first title only; as a prefix it would match "another" too.
    assert ids(index.search("a printer")) == ["article", "other"]
    assert index.search("a printer").total == 2  # "printer" matches both
    # One letter after other words narrows nothing yet: only the word "a" itself.
    assert ids(index.search("printer a")) == ["article", "other"]
    assert index.search("zzz a").total == 1
    assert index.search("zzz an").total == 1  # two letters: a prefix again ("another")
    assert index.search("a").total == 2  # alone, it is the start of a word
    assert index.search("a zzz").total == 1


# ---- Words as agents type them (issue 17) ----------------------------------------------------

BUNDLED = Path(__file__).resolve().parents[1] / "phrases"


@pytest.fixture(scope="module")
def bundled() -> PhraseIndex:
    library = load_library([BUNDLED], optional=[])
    assert not library.errors
    return PhraseIndex(library.phrases, synonyms=library.synonyms)


@pytest.mark.parametrize(
    ("query", "fits"),
    [
        ("kill", {"threat-ending-the-call"}),
        ("idiot", {"abuse-one-warning"}),
        ("lawyer", {"threat-legal-action"}),
        ("threatening", {"threat-ending-the-call"}),
        ("escalate", {"manager-of-course", "manager-one-thing-first"}),
        ("cancellation", {"mind-cancel-easily", "mind-cancel-heads-up"}),
        ("he says he'll kill me", {"threat-ending-the-call"}),
        ("swore twice", {"abuse-ending-the-call", "abuse-still-abusive"}),
        ("reboot", {"basics-restart-together"}),
    ],
)
def test_the_words_from_the_issue_put_a_fitting_phrase_first(
    bundled: PhraseIndex, query: str, fits: set[str]
) -> None:
    assert ids(bundled.search(query, limit=3))[0] in fits


@pytest.mark.parametrize(
    ("typo", "fit"),
    [
        ("refnd", "mind-refund-no-fuss"),
        ("angy", "furious-go-on"),
        ("abusiv", "abuse-one-warning"),
        ("thret", "threat-ending-the-call"),
        ("thrat", "threat-ending-the-call"),
        ("swaer", "abuse-one-warning"),
        ("pasword", "basics-caps-lock"),
    ],
)
def test_typos_still_find_their_phrases(bundled: PhraseIndex, typo: str, fit: str) -> None:
    assert fit in ids(bundled.search(typo, limit=10))


def test_a_real_word_is_never_read_as_a_typo_of_another() -> None:
    library = [
        phrase("will", "When the refund will show up"),
        phrase("telling", "Telling them the news"),
        phrase("use", "How to use it"),
    ]
    index = PhraseIndex(library, thesaurus=())
    for word in ("kill", "yelling", "sue"):
        assert index.search(word).total == 0, word
    # A word nobody knows is still a typo: "wlil" is "will", "tellign" is "telling".
    assert ids(index.search("wlil")) == ["will"]
    assert ids(index.search("tellign")) == ["telling"]


def test_a_typo_keeps_its_first_letter() -> None:
    index = PhraseIndex([phrase("p", "Printer jam")], thesaurus=())
    assert ids(index.search("priner")) == ["p"]
    assert ids(index.search("rpinter")) == ["p"]  # the first two swapped is still a typo
    assert index.search("brinter").total == 0


def test_edits_allowed_grow_with_word_length() -> None:
    assert [max_typos(word) for word in ("sue", "kill", "refund", "password")] == [0, 1, 1, 2]


def test_other_forms_of_a_word_find_it(index: PhraseIndex) -> None:
    library = [
        phrase("threat", "Ending the call after a threat"),
        phrase("cancel", "Cancel without friction"),
        phrase("escalation", "Escalation paths"),
        phrase("yell", "When they yell"),
    ]
    forms = PhraseIndex(library, thesaurus=())
    for query, wanted in (
        ("threatening", "threat"),
        ("threatened", "threat"),
        ("cancellation", "cancel"),
        ("cancelled", "cancel"),
        ("escalate", "escalation"),
        ("escalated", "escalation"),
        ("yelling", "yell"),
    ):
        result = forms.search(query)
        assert ids(result) == [wanted], query
        assert result.why[wanted] == (f"{query} → {wanted}",)


def test_order_exact_then_prefix_then_stem_then_synonym_then_typo() -> None:
    library = [
        phrase("typo", "Invoise", say="x"),
        phrase("synonym", "Bill", say="x", tags=("billing",)),
        phrase("stem", "Invoicing", say="x"),
        phrase("prefix", "Invoices", say="x"),
        phrase("exact", "Invoice", say="x"),
    ]
    group = SynonymGroup("billing", (("invoice",),), tags=("billing",))
    index = PhraseIndex(library, thesaurus=[group])
    assert ids(index.search("invoice")) == ["exact", "prefix", "stem", "synonym"]
    assert ids(index.search("invoise")) == ["typo"]  # a word of the library: no typo
    assert ids(PhraseIndex(library[1:], thesaurus=[group]).search("invoise"))[0] == "exact"


def test_a_phrase_a_group_names_counts_like_the_word_in_when() -> None:
    library = [
        phrase("title", "Invoice", say="x"),
        phrase("when", "A", when="An invoice is wrong."),
        phrase("named", "Bill", say="x"),
        phrase("prefix", "Invoices", say="x"),
    ]
    group = SynonymGroup("billing", (("invoice",),), phrases=("named",))
    index = PhraseIndex(library, thesaurus=[group])
    # Tied with the word in `when`: the named phrase first (the group's order), before prefixes.
    assert ids(index.search("invoice")) == ["title", "named", "when", "prefix"]


def test_title_and_keywords_then_when_then_say() -> None:
    library = [
        phrase("say", "A", say="Your router is fine."),
        phrase("when", "B", when="The router is off."),
        replace(phrase("keywords", "C"), keywords=("router",)),
        phrase("title", "Router lights"),
    ]
    index = PhraseIndex(library, thesaurus=())
    assert ids(index.search("router"))[2:] == ["when", "say"]
    assert set(ids(index.search("router"))[:2]) == {"keywords", "title"}


def test_ties_are_never_settled_by_category_name() -> None:
    library = [
        phrase("a", "Ending the call after a threat", category="Abuse"),
        phrase("z", "Threat", category="Zzz threats"),
    ]
    # Both have "threat" in the title; the shorter title, where the word weighs more, wins.
    assert ids(PhraseIndex(library, thesaurus=()).search("threat")) == ["z", "a"]


def test_placeholders_are_not_indexed() -> None:
    library = [phrase("p", "Greeting", say="Hello {customer}, your ticket is {ticket}.")]
    index = PhraseIndex(library, thesaurus=())
    assert index.search("customer").total == 0
    assert index.search("ticket").total == 1  # the word itself, outside the braces


def test_a_group_leads_one_way_and_says_why() -> None:
    library = [phrase("legal", "When they say they'll sue"), phrase("court", "Court dates")]
    group = SynonymGroup("legal threat", (("lawyer",), ("sue",)), phrases=("legal",))
    index = PhraseIndex(library, thesaurus=[group])
    result = index.search("lawyer")
    assert ids(result) == ["legal"]
    assert result.why == {"legal": ("lawyer → legal threat",)}
    assert index.search("court").total == 1  # the group does not pull "court" in


def test_a_group_without_leads_to_makes_its_words_stand_for_each_other() -> None:
    library = [phrase("router", "Router lights"), phrase("hub", "Hub reset")]
    group = SynonymGroup("router", (("router",), ("hub",)))
    index = PhraseIndex(library, synonyms=[group], thesaurus=())
    assert ids(index.search("hub")) == ["hub", "router"]
    assert ids(index.search("router")) == ["router", "hub"]


def test_the_longest_thesaurus_entry_wins() -> None:
    library = [phrase("cancel", "Cancelling"), phrase("voicemail", "Leaving a voicemail")]
    groups = [
        SynonymGroup("cancel", (("leave",),), phrases=("cancel",)),
        SynonymGroup("voicemail", (("leave", "a", "message"),), phrases=("voicemail",)),
    ]
    index = PhraseIndex(library, thesaurus=groups)
    assert ids(index.search("leave a message")) == ["voicemail"]
    assert ids(index.search("leave"))[0] == "cancel"


def test_stop_words_do_not_outrank_the_word_that_matters() -> None:
    library = [
        phrase("joke", "He says it was only a joke", when="He says he was joking."),
        phrase("end", "Ending the call"),
    ]
    group = SynonymGroup("threat", (("kill",),), phrases=("end", "joke"))
    index = PhraseIndex(library, thesaurus=[group])
    assert ids(index.search("he says he'll kill me"))[0] == "end"


WORD_SAMPLE = random.Random(17)


@pytest.fixture(scope="module")
def vocabulary(bundled: PhraseIndex) -> list[str]:
    vocab, thesaurus = bundled._words.vocab, bundled._thesaurus.single_words
    words = sorted({w for w in vocab if len(w) >= 4 and w.isalpha()} | set(thesaurus))
    return WORD_SAMPLE.sample(words, 250)


def test_typing_a_word_letter_by_letter_never_loses_a_hit(
    bundled: PhraseIndex, vocabulary: list[str]
) -> None:
    """Every phrase the whole word finds is found at every prefix from 3 letters on."""
    for word in vocabulary:
        full = set(ids(bundled.search(word, limit=10_000)))
        for length in range(3, len(word)):
            found = set(ids(bundled.search(word[:length], limit=10_000)))
            assert full <= found, (word, word[:length], sorted(full - found))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_a_fitting_hit_stays_while_the_word_grows(
    bundled: PhraseIndex, data: st.DataObject
) -> None:
    """A phrase found by a prefix and by the whole word is found by every prefix between."""
    everyone = bundled._thesaurus.single_words + bundled._words.vocab
    word = data.draw(st.sampled_from(sorted(everyone)))
    short = data.draw(st.integers(1, max(1, len(word) - 1)))
    found_short = set(ids(bundled.search(word[:short], limit=10_000)))
    found_full = set(ids(bundled.search(word, limit=10_000)))
    for length in range(max(short, 3), len(word) + 1):
        between = set(ids(bundled.search(word[:length], limit=10_000)))
        assert found_short & found_full <= between, (word, length)


# ---- Trainers' keywords and a team's synonyms.yaml -------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


PHRASES = """\
category: Threats
phrases:
  - id: legal
    title: When they say they'll sue
    say: Let's carry on.
    keywords: [solicitor letter]
  - id: other
    title: Something else
    say: Hello.
"""


def test_keywords_and_a_team_synonyms_file_in_a_subfolder_are_searched(tmp_path: Path) -> None:
    write(tmp_path / "threats.yaml", PHRASES)
    write(
        tmp_path / "team" / "synonyms.yaml",
        "groups:\n  - name: legal threat\n    leads_to: {phrases: [legal]}\n"
        "    words: [ombudsman, small claims]\n",
    )
    library = load_library([tmp_path], optional=[])
    assert not library.problems
    assert [p.keywords for p in library.phrases if p.id == "legal"] == [("solicitor letter",)]
    assert [group.name for group in library.synonyms] == ["legal threat"]
    index = PhraseIndex(library.phrases, synonyms=library.synonyms, thesaurus=())
    assert ids(index.search("solicitor")) == ["legal"]
    result = index.search("ombudsman")
    assert ids(result) == ["legal"] and result.why["legal"] == ("ombudsman → legal threat",)
    assert ids(index.search("small claims")) == ["legal"]


def test_a_broken_synonyms_file_is_reported_with_line_and_column(tmp_path: Path) -> None:
    write(tmp_path / "threats.yaml", PHRASES)
    write(
        tmp_path / "synonyms.yaml",
        "groups:\n"
        "  - name: legal\n"
        "    leads_to: {phrases: [nobody]}\n"
        "    words: [lawyer]\n"
        "  - name: broken\n"
        "    word: [x]\n"
        "  - name: blank\n"
        "    words: ['!!']\n",
    )
    library = load_library([tmp_path], optional=[])
    found = [(p.line, p.column, p.severity.value, p.message) for p in library.problems]
    assert (6, 5, "error", "unknown key 'word' in a synonym group") in found
    assert (5, 5, "error", "this group has no 'words'") in found
    assert (8, 13, "error", "'!!' has no letters or digits to search for") in found
    # A broken file is skipped as a whole; the leads-nowhere warning needs a loaded group.
    assert library.synonyms == ()


def test_a_group_leading_nowhere_is_a_warning(tmp_path: Path) -> None:
    write(tmp_path / "threats.yaml", PHRASES)
    write(
        tmp_path / "synonyms.yaml",
        "groups:\n  - name: legal\n    leads_to: {phrases: [nobody], tags: [nope]}\n"
        "    words: [lawyer]\n",
    )
    (problem,) = load_library([tmp_path], optional=[]).problems
    assert (problem.line, problem.column, problem.is_error) == (2, 5, False)
    assert problem.message == "the group 'legal' leads to no phrase 'nobody', tag 'nope'"


def test_keywords_must_be_a_list_of_text(tmp_path: Path) -> None:
    write(
        tmp_path / "a.yaml",
        "category: X\nphrases:\n  - id: a\n    title: A\n    say: B\n    keywords: lawyer\n",
    )
    (problem,) = load_library([tmp_path], optional=[]).errors
    assert (problem.line, problem.column) == (6, 15)
    assert problem.message == "'keywords' must be a list, not text"


def test_the_bundled_thesaurus_passes_the_same_checks_as_a_team_file() -> None:
    from calldesk.core.library.thesaurus import BUNDLED_NAME, bundled_text, bundled_thesaurus
    from calldesk.core.library.yamlsafe import parse_yaml

    checked, problems = thesaurus_from_document(parse_yaml(bundled_text(), Path(BUNDLED_NAME)))
    assert problems == []
    loaded = bundled_thesaurus()
    assert [(g.name, g.entries, g.phrases, g.tags) for g in checked] == [
        (g.name, g.entries, g.phrases, g.tags) for g in loaded
    ]
    library = load_library([BUNDLED], optional=[])
    phrase_ids = {phrase.id for phrase in library.phrases}
    assert all(set(group.phrases) <= phrase_ids for group in loaded)


def test_synonyms_schema_accepts_the_bundled_thesaurus_and_refuses_a_typo() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    from calldesk.core.library.schema import synonyms_schema
    from calldesk.core.library.thesaurus import bundled_text

    validator = jsonschema.Draft202012Validator(synonyms_schema())
    validator.validate(yaml.safe_load(bundled_text()))
    assert not validator.is_valid({"groups": [{"name": "x", "word": ["y"]}]})
    assert not validator.is_valid({"groups": [{"name": "x", "words": ["y"], "leads_to": {}}]})


@pytest.mark.parametrize(
    ("query", "fit"),
    [
        ("say it back", "furious-say-it-back"),
        ("refund refused", "putright-pushed-and-lost"),
        ("that was it", "basics-that-was-it"),
        ("bad call", "after-asking-for-five"),
    ],
)
def test_a_thesaurus_entry_typed_on_keeps_its_phrase_in_the_top_three(
    bundled: PhraseIndex, query: str, fit: str
) -> None:
    """Once a multi-word entry has its phrase in the top 3, typing the rest of it keeps it
    there: the entry's words already written count as exact, only the last as a prefix."""
    first = next(n for n in range(1, len(query) + 1) if fit in ids(bundled.search(query[:n], 3)))
    for length in range(first, len(query) + 1):
        assert fit in ids(bundled.search(query[:length], limit=3)), query[:length]


def keys_to_keep(index: PhraseIndex, query: str, fit: str | set[str]) -> int | None:
    """The keystroke from which a fitting phrase stays in the top 3 up to the whole query (as
    benchmarks/search_quality.py counts it)."""
    fits = {fit} if isinstance(fit, str) else fit
    kept: int | None = None
    for length in range(1, len(query) + 1):
        found = not fits.isdisjoint(ids(index.search(query[:length], limit=3)))
        kept = (kept or length) if found else None
    return kept


@pytest.mark.parametrize(
    ("query", "fit"),
    [
        ("threat called back", "threat-calls-back"),
        ("update broke", "blame-known-bug"),
        ("check it works", "close-check-it-works"),
        ("update", "basics-check-for-update"),
        ("charged twice", "billing-charged-twice"),
        ("abusive wants manager", "abuse-wants-a-manager"),
    ],
)
def test_trainers_keywords_bring_the_moment_within_six_keystrokes(
    bundled: PhraseIndex, query: str, fit: str
) -> None:
    """The bundled phrases' keywords say the moments agents type first ("update broke",
    "check it works"), so the phrase is there by the sixth keystroke and stays."""
    kept = keys_to_keep(bundled, query, fit)
    assert kept is not None and kept <= 6, kept


@pytest.mark.parametrize(
    ("query", "fit"),
    [
        ("not my job", {"notmine-another-company", "notmine-give-me-thirty-seconds"}),
        ("fixed for everyone", "fan-fixed-for-everyone"),
        ("take it personally", "after-not-about-me"),
    ],
)
def test_common_words_of_an_entry_being_typed_still_count(
    bundled: PhraseIndex, query: str, fit: str | set[str]
) -> None:
    """The words "not" and "fixed" are in many phrases, but "not my jo" and "fixed for ever" are an
    entry being typed: its written words keep their weight, so its phrase is not lost to
    whatever the last few letters start ("joking", the word "ever")."""
    kept = keys_to_keep(bundled, query, fit)
    assert kept is not None and kept <= 6, kept


@pytest.mark.parametrize("word", ["agreeing", "paying", "plugging"])
def test_a_word_on_its_way_to_another_form_keeps_its_hits(bundled: PhraseIndex, word: str) -> None:
    """The word "agreed" is "agree" + "d" (its stem meets "agreeing"), and "payin" on its way to
    "paying" leads where the thesaurus's "pay" does."""
    full = set(ids(bundled.search(word, limit=10_000)))
    for length in range(3, len(word)):
        found = set(ids(bundled.search(word[:length], limit=10_000)))
        assert full <= found, (word[:length], sorted(full - found))


@pytest.mark.parametrize("word", ["queueing"])
def test_a_word_typed_on_to_a_thesaurus_word_keeps_what_its_stem_found(
    bundled: PhraseIndex, word: str
) -> None:
    # Found by Hypothesis on the lowest versions: "queuei" lost the phrases about the queue
    # that "queue" and "queueing" both find.
    both = set(ids(bundled.search(word[:5], limit=10_000))) & set(
        ids(bundled.search(word, limit=10_000))
    )
    for length in range(5, len(word) + 1):
        assert both <= set(ids(bundled.search(word[:length], limit=10_000))), word[:length]


@pytest.mark.parametrize(("word", "start"), [("apologising", 8), ("apologizing", 8)])
def test_a_prefix_of_a_thesaurus_word_keeps_what_the_words_stem_finds(
    bundled: PhraseIndex, word: str, start: int
) -> None:
    # "apologis" and "apologising" both find "When they apologize" (the spelling group
    # apologise / apologize, by the stem); "apologisi", on its way there, lost it.
    both = set(ids(bundled.search(word[:start], limit=10_000))) & set(
        ids(bundled.search(word, limit=10_000))
    )
    assert "abuse-accept-the-apology" in both
    for length in range(start, len(word) + 1):
        assert both <= set(ids(bundled.search(word[:length], limit=10_000))), word[:length]
