"""Phrase search: ranking tiers, typos, filters, Unicode folding, and both rankers agreeing."""

from __future__ import annotations

import random

import pytest

from calldesk.core.library.phrases import Phrase
from calldesk.core.library.search import PhraseIndex, SearchResult, parse_query, search_phrases


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
    slow = index._order(per_word, everything, 40, one_by_one=True)
    assert [p.id for p in fast.hits] == [index._phrases[o].id for o in slow]
    assert fast.total == len(everything)


def test_single_letters_before_the_last_word_match_whole_words_only() -> None:
    index = PhraseIndex(
        [phrase("article", "A printer", "x"), phrase("other", "Another printer", "y")]
    )
    # "a" is a word in the first title only; as a prefix it would match "another" too.
    assert ids(index.search("a printer")) == ["article", "other"]
    assert index.search("a printer").total == 2  # "printer" matches both
    assert ids(index.search("printer a")) == ["article", "other"]  # last word: prefix
    assert index.search("zzz a").total == 2
    assert index.search("a zzz").total == 1
