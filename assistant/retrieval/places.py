"""Topic first, place as a preference: how near each record is to the place a question names.

"Solar irrigation in Senegal?" asks what worked in a country like Senegal. The records from Senegal that are on
the topic come first; when it has none, the on-topic records of its neighbours, then of its sub-region and wider
region, then from anywhere, each labelled with where it comes from. The named place's off-topic records never
fill the answer (they were what a plain country boost returned: an AI platform, a solar car, a park).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from assistant.text.data import read_data
from assistant.text.geo import COUNTRIES, REGIONS, find_places, tokenise
from assistant.text.sdg import covered_words, find_sdgs
from assistant.text.textproc import content_words, fold

EXACT = "exact"
NEIGHBOUR = "neighbour"
REGION = "region"
ELSEWHERE = "elsewhere"

#: Distance of each tier: the sub-region and the wider region are both labelled "region" for people.
_LABELS = {0: EXACT, 1: NEIGHBOUR, 2: REGION, 3: REGION, 4: ELSEWHERE}


@functools.cache
def _nearby_groups() -> tuple[tuple[frozenset[str], ...], tuple[frozenset[str], ...]]:
    """(the sub-region groupings beyond primary regions, the wider regions), as member sets, from regions.json."""
    nearby = read_data("regions.json")["nearby"]
    return (
        tuple(REGIONS[name].members for name in nearby["subregions"]),
        tuple(REGIONS[name].members for name in nearby["regions"]),
    )


@functools.cache
def _generic_words() -> frozenset[str]:
    return frozenset(fold(word) for word in read_data("intents.json")["generic"])


def _around(codes: Iterable[str], groups: Iterable[frozenset[str]]) -> frozenset[str]:
    codes = set(codes)
    return frozenset().union(*(g for g in groups if g & codes))


@dataclass(frozen=True)
class PlacePreference:
    """The countries a question names and those around them, nearest first."""

    asked: frozenset[str]
    neighbours: frozenset[str]
    subregion: frozenset[str]
    region: frozenset[str]
    #: The question describes one solution ("a machine that ... in Niger"): a lookup, not a search of what
    #: worked; the named place's records need less evidence of being on the topic.
    specific: bool = False

    @classmethod
    def around(cls, codes: Iterable[str], specific: bool = False) -> PlacePreference:
        asked = frozenset(codes)
        neighbours = frozenset(n for c in asked if c in COUNTRIES for n in COUNTRIES[c].neighbours) - asked
        primary = {COUNTRIES[c].region for c in asked if c in COUNTRIES}
        subregion_groups = _nearby_groups()[0]
        subregion = frozenset(c for c, country in COUNTRIES.items() if country.region in primary)
        subregion = (subregion | _around(asked, subregion_groups)) - asked - neighbours
        region = _around(asked, _nearby_groups()[1]) - asked - neighbours - subregion
        return cls(asked, neighbours, subregion, region, specific)

    def distance(self, countries: Iterable[str]) -> int:
        """0 for a record from a named country, 1 a neighbour, 2 the sub-region, 3 the wider region, 4 elsewhere."""
        best = 4
        for code in countries:
            for distance, members in enumerate((self.asked, self.neighbours, self.subregion, self.region)):
                if code in members:
                    best = min(best, distance)
                    break
        return best

    def nearby(self) -> frozenset[str]:
        """The named countries and their neighbours: the records whose passages join the search's candidates."""
        return self.asked | self.neighbours


def label(distance: int) -> str:
    return _LABELS[distance]


def topic_text(query: str) -> str:
    """The question without the places it names: what it asks about."""
    text = query
    for start, end in sorted(find_places(query).spans, reverse=True):
        text = text[:start] + " " + text[end:]
    return " ".join(text.split())


#: Share of a topic's words that must name its one SDG for it to be a theme (`asks_a_theme`).
THEME_SHARE = 0.5
#: Past this many topic words a question describes one solution rather than a topic.
SPECIFIC_TOPIC_WORDS = 8


def _topic_words(topic: str) -> list[str]:
    generic = _generic_words()
    return [w for w in content_words(topic) if w not in generic]


def describes_one(topic: str) -> bool:
    return len(_topic_words(topic)) > SPECIFIC_TOPIC_WORDS


def asks_a_theme(topic: str, sdgs: list[int]) -> bool:
    """Whether the topic is one SDG theme ("clean energy solutions", "recycling and waste management"), most of
    its words naming it; a topic that combines two goals ("solar irrigation") or describes more is not."""
    generic = _generic_words()
    specific = " ".join(t.text for t in tokenise(topic) if t.text not in generic)  # "innovations" names SDG 9
    if len(set(find_sdgs(specific)) & set(sdgs)) != 1:
        return False
    tokens = tokenise(specific)
    covered = covered_words(specific)
    words = [i for i, t in enumerate(tokens) if content_words(t.text)]
    return bool(words) and sum(i in covered for i in words) / len(words) >= THEME_SHARE


def names_a_topic(topic: str) -> bool:
    """Whether anything is asked about beyond a place ("solutions in Kenya?" names none)."""
    return bool(_topic_words(topic))


@dataclass(frozen=True)
class OnTopicBars:
    """The share of the best record's topic score (`topicality`) a record needs to be on the topic."""

    elsewhere: float
    here: float

    def bar(self, here: bool) -> float:
        return self.here if here else self.elsewhere


@dataclass
class Placement:
    """How a ranking was reordered for a place: each document's distance and whether it is on the topic."""

    preference: PlacePreference
    distance: dict[str, int]
    on_topic: set[str]
    #: Whether any record from a named country is on the topic.
    place_has_topic: bool


def topicality(dense: Iterable[tuple[str, float, float]], doc_of: dict[str, str]) -> dict[str, float]:
    """Each document's best language-centred dense score as a share of the best one overall (1.0 for the top)."""
    best: dict[str, float] = {}
    for chunk_id, score, _cosine in dense:
        doc_id = doc_of.get(chunk_id)
        if doc_id is not None and score > best.get(doc_id, float("-inf")):
            best[doc_id] = score
    top = max(best.values(), default=0.0)
    if top <= 0:
        return {}
    return {doc_id: score / top for doc_id, score in best.items()}


#: How much the question as asked (with its place) counts in a record's topic share, against the question without
#: it. The place's name anchors records written in the place's language ("fog catchers in Peru" meets the Spanish
#: record through "Peru"), but also lifts the place's off-topic records. Chosen on the development sets (elsewhere
#: hit@5 / find R@10, answers set: 0.0: 0.906 / 0.923; 0.3: 0.906 / 0.949; 0.5: 0.781 / 0.974).
QUESTION_WEIGHT = 0.3


#: How much the second encoder's (USE's) topic share counts against the store encoder's (e5's). e5's cosines sit
#: in a narrow band (0.82-0.86 on the AccLabs records), so a named place's off-topic records reach e5's bar; USE
#: spreads them wider. Chosen on the development sets (52 elsewhere questions; elsewhere hit@5, off-topic records
#: of the named place in the top 5 a question): 0.0: 0.904, 0.98; 0.3: 0.904, 0.69; 0.5 and 0.6: 0.942, 0.56;
#: 0.7: 0.923; 1.0: 0.923, 0.71. Held out, not tuned on (17): 0.824, 0.88 -> 0.941, 0.41.
SECOND_ENCODER_WEIGHT = 0.5


def _mixed(first: dict[str, float], second: dict[str, float], weight: float) -> dict[str, float]:
    """Each document's share: `weight` of the second's, the rest of the first's (0 where one lacks it)."""
    return {d: (1 - weight) * first.get(d, 0.0) + weight * second.get(d, 0.0) for d in set(first) | set(second)}


def with_second_encoder(first: dict[str, float], second: dict[str, float]) -> dict[str, float]:
    """Each document's topic share from both encoders (`topicality` of each one's dense candidates)."""
    return _mixed(first, second, SECOND_ENCODER_WEIGHT)


def blend(topic_share: dict[str, float], question_share: dict[str, float]) -> dict[str, float]:
    return _mixed(topic_share, question_share, QUESTION_WEIGHT)


def prefer_places(
    ranked: list[tuple[float, str, int]],
    countries_of: dict[str, list[str]],
    share: dict[str, float],
    preference: PlacePreference,
    bars: OnTopicBars,
    vouched: set[str],
) -> tuple[list[tuple[float, str, int]], Placement]:
    """The on-topic documents nearest first (by topic score within a tier), then the off-topic ones from
    elsewhere, then the named place's off-topic ones: those never stand in for an answer.

    `vouched`: documents on the topic whatever their share, when they are the named place's own: where the question
    asks for one SDG theme of a place ("clean energy solutions in Uganda"), those carrying that SDG (their share
    of the best match is low when the best is about one precise kind of energy; a topic combining goals or
    describing more, "solar irrigation", gets no such pass: Senegal's solar car carries the energy goal too), and
    the best match for the question as asked.
    """
    distance = {doc_id: preference.distance(countries_of[doc_id]) for _, doc_id, _ in ranked}
    on_topic = {doc_id for _, doc_id, _ in ranked if share.get(doc_id, 0.0) >= bars.bar(distance[doc_id] == 0)}
    on_topic |= {d for d in vouched if distance.get(d) == 0}

    def order(entry: tuple[float, str, int]) -> tuple[int, int, float]:
        score, doc_id, _ = entry
        if doc_id in on_topic:
            return (0, distance[doc_id], -score)
        return (1 if distance[doc_id] else 2, 0, -score)

    placement = Placement(preference, distance, on_topic, any(distance[d] == 0 for d in on_topic))
    return sorted(ranked, key=order), placement
