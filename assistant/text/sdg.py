"""The 17 Sustainable Development Goals: names in en/fr/es/pt, parsing, and detection in free text.

`sdg_number` reads one value from data (a tag, a code, a name, even misspelt); `find_sdgs` reads a
user's question. Matching is accent- and case-insensitive and works on whole words (see
assistant.text.geo.tokenise).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from assistant.text.geo import Token, normalise, tokenise

__all__ = ["SDG_NAMES", "SDG_NAMES_I18N", "find_sdgs", "normalise_sdgs", "sdg_number"]

SDG_NAMES: dict[int, str] = {
    1: "No poverty",
    2: "Zero hunger",
    3: "Good health and well-being",
    4: "Quality education",
    5: "Gender equality",
    6: "Clean water and sanitation",
    7: "Affordable and clean energy",
    8: "Decent work and economic growth",
    9: "Industry, innovation and infrastructure",
    10: "Reduced inequalities",
    11: "Sustainable cities and communities",
    12: "Responsible consumption and production",
    13: "Climate action",
    14: "Life below water",
    15: "Life on land",
    16: "Peace, justice and strong institutions",
    17: "Partnerships for the goals",
}

# Official UN short names: un.org/fr, un.org/es, and the UN in Brazil for Portuguese.
SDG_NAMES_I18N: dict[str, dict[int, str]] = {
    "fr": {
        1: "Pas de pauvreté",
        2: "Faim « zéro »",
        3: "Bonne santé et bien-être",
        4: "Éducation de qualité",
        5: "Égalité entre les sexes",
        6: "Eau propre et assainissement",
        7: "Énergie propre et d'un coût abordable",
        8: "Travail décent et croissance économique",
        9: "Industrie, innovation et infrastructure",
        10: "Inégalités réduites",
        11: "Villes et communautés durables",
        12: "Consommation et production responsables",
        13: "Mesures relatives à la lutte contre les changements climatiques",
        14: "Vie aquatique",
        15: "Vie terrestre",
        16: "Paix, justice et institutions efficaces",
        17: "Partenariats pour la réalisation des objectifs",
    },
    "es": {
        1: "Fin de la pobreza",
        2: "Hambre cero",
        3: "Salud y bienestar",
        4: "Educación de calidad",
        5: "Igualdad de género",
        6: "Agua limpia y saneamiento",
        7: "Energía asequible y no contaminante",
        8: "Trabajo decente y crecimiento económico",
        9: "Industria, innovación e infraestructura",
        10: "Reducción de las desigualdades",
        11: "Ciudades y comunidades sostenibles",
        12: "Producción y consumo responsables",
        13: "Acción por el clima",
        14: "Vida submarina",
        15: "Vida de ecosistemas terrestres",
        16: "Paz, justicia e instituciones sólidas",
        17: "Alianzas para lograr los objetivos",
    },
    "pt": {
        1: "Erradicação da pobreza",
        2: "Fome zero e agricultura sustentável",
        3: "Saúde e bem-estar",
        4: "Educação de qualidade",
        5: "Igualdade de gênero",
        6: "Água potável e saneamento",
        7: "Energia limpa e acessível",
        8: "Trabalho decente e crescimento econômico",
        9: "Indústria, inovação e infraestrutura",
        10: "Redução das desigualdades",
        11: "Cidades e comunidades sustentáveis",
        12: "Consumo e produção responsáveis",
        13: "Ação contra a mudança global do clima",
        14: "Vida na água",
        15: "Vida terrestre",
        16: "Paz, justiça e instituições eficazes",
        17: "Parcerias e meios de implementação",
    },
}

# Names people actually write besides the official ones: older or shortened UN wordings,
# Portugal's Portuguese, common English variants.
_OTHER_NAMES: dict[int, tuple[str, ...]] = {
    1: (
        "End poverty",
        "Poverty eradication",
        "Éradication de la pauvreté",
        "Éliminer la pauvreté",
        "Erradicar a pobreza",
        "Fim da pobreza",
    ),
    2: ("End hunger", "Faim zéro", "Éliminer la faim", "Fome zero", "Erradicar a fome", "Hambre cero"),
    3: ("Good health", "Health and well-being", "Good health and wellbeing", "Saúde de qualidade", "Bonne santé"),
    4: ("Education", "Educação de qualidade"),
    5: ("Égalité des sexes", "Égalité de genre", "Igualdade de género"),
    6: ("Clean water", "Water and sanitation", "Eau et assainissement", "Agua y saneamiento", "Água e saneamento"),
    7: (
        "Clean energy",
        "Affordable energy",
        "Énergie propre et abordable",
        "Energía limpia",
        "Energias renováveis e acessíveis",
        "Energia acessível e limpa",
    ),
    8: ("Decent work", "Trabalho digno e crescimento económico", "Trabalho decente e crescimento económico"),
    9: ("Industry and innovation", "Industry innovation and infrastructure", "Indústria, inovação e infraestruturas"),
    10: (
        "Reduced inequality",
        "Reduce inequalities",
        "Réduction des inégalités",
        "Inégalités",
        "Reducir las desigualdades",
        "Reduzir as desigualdades",
    ),
    11: ("Sustainable cities", "Villes durables", "Ciudades sostenibles", "Cidades sustentáveis"),
    12: (
        "Responsible consumption",
        "Consommation responsable",
        "Producción y consumo sostenibles",
        "Produção e consumo sustentáveis",
    ),
    13: (
        "Climate",
        "Action climatique",
        "Lutte contre les changements climatiques",
        "Action pour le climat",
        "Acción climática",
        "Ação climática",
        "Combater as alterações climáticas",
        "Ação contra a mudança do clima",
    ),
    14: (
        "Life under water",
        "Vie sous-marine",
        "Vie marine",
        "Vida marina",
        "Vida marinha",
        "Proteger a vida marinha",
        "Vida debaixo d'água",
    ),
    15: ("Vida terrestre", "Proteger a vida terrestre", "Vida de ecossistemas terrestres"),
    16: (
        "Peace and justice",
        "Peace, justice and institutions",
        "Paix et justice",
        "Paz y justicia",
        "Paz, justiça e instituições fortes",
    ),
    17: (
        "Partnerships",
        "Partnership for the goals",
        "Partenariats pour les objectifs",
        "Alianzas para los objetivos",
        "Parcerias para os objetivos",
        "Parcerias para a implementação dos objetivos",
    ),
}

# Connective words are dropped from name keys so "Industry, Innovation & Infrastructure" and
# "Industry, innovation and infrastructure" are the same key. "no" stays: it carries meaning in
# "No poverty" and "no contaminante".
_CONNECTIVES = frozenset(
    {
        "and",
        "the",
        "for",
        "of",
        "on",
        "et",
        "de",
        "des",
        "du",
        "la",
        "le",
        "les",
        "l",
        "d",
        "pour",
        "y",
        "e",
        "el",
        "los",
        "las",
        "para",
        "por",
        "a",
        "o",
        "os",
        "as",
        "da",
        "das",
        "do",
        "dos",
        "en",
        "em",
        "na",
        "au",
    }
)

# Keywords per goal in en/fr/es/pt, written naturally (they are normalised on load). A trailing "*"
# matches any word starting with the stem. Kept precise on purpose: a keyword that fires on
# unrelated questions would boost the wrong documents, hence "innovation" but not "innovative"
# (every solution calls itself innovative) and no bare "genre"/"género" (also "kind"/"goods").
_KEYWORDS: dict[int, tuple[str, ...]] = {
    1: (
        "poverty",
        "extreme poverty",
        "pauvreté",
        "pobreza",
        "social protection",
        "protection sociale",
        "protección social",
        "proteção social",
        "cash transfer*",
        "transferts monétaires",
        "transferencias monetarias",
        "transferências de renda",
        "livelihood*",
        "moyens de subsistance",
        "medios de vida",
        "meios de subsistência",
        "microfinanc*",
        "microcrédit*",
        "microcredit*",
    ),
    2: (
        "hunger",
        "food security",
        "food insecurity",
        "food system*",
        "food production",
        "nutrition*",
        "malnutrition",
        "undernutrition",
        "faim",
        "sécurité alimentaire",
        "insécurité alimentaire",
        "alimentaire*",
        "hambre",
        "seguridad alimentaria",
        "inseguridad alimentaria",
        "alimentari*",
        "fome",
        "segurança alimentar",
        "insegurança alimentar",
        "nutrición",
        "nutrição",
        "desnutri*",
        "dénutrition",
        "agricult*",
        "agro*",
        "farming",
        "farm",
        "farms",
        "farmer*",
        "smallholder*",
        "livestock",
        "élevage",
        "ganader*",
        "pecuária",
        "crop*",
        "harvest*",
        "récolte*",
        "cosecha*",
        "colheita*",
        "irrigat*",
        "irrigación",
        "irrigação",
        "riego",
        "paysan*",
        "campesin*",
        "camponês",
        "camponeses",
        "cultivo*",
        "agrícola*",
    ),
    3: (
        "health",
        "healthcare",
        "santé",
        "salud",
        "saúde",
        "clinic*",
        "clinique*",
        "clínica*",
        "hospital*",
        "hôpita*",
        "malaria",
        "paludisme",
        "tuberculosis",
        "tuberculose",
        "hiv",
        "vih",
        "vaccin*",
        "vacuna*",
        "vacina*",
        "medic*",
        "médic*",
        "epidemi*",
        "épidémi*",
        "pandemi*",
        "pandémi*",
        "covid*",
        "well being",
        "wellbeing",
        "bien être",
        "bienestar",
        "bem estar",
        "maternal",
        "maternelle",
        "materna",
        "materno",
    ),
    4: (
        "educ*",
        "éduc*",
        "school*",
        "école*",
        "escuela*",
        "escola*",
        "teacher*",
        "enseignant*",
        "docente*",
        "literacy",
        "alphabétisation",
        "alfabetiza*",
        "student*",
        "étudiant*",
        "élève",
        "élèves",
        "estudiante*",
        "estudante*",
        "alumno*",
        "aluno*",
        "tvet",
        "vocational training",
        "formation professionnelle",
        "formación profesional",
        "formação profissional",
        "scholarship*",
    ),
    5: (
        "gender",
        "genders",
        "gendered",
        "women",
        "woman",
        "girl",
        "girls",
        "female",
        "femmes",
        "femme",
        "filles",
        "égalité de genre",
        "égalité des sexes",
        "mujer",
        "mujeres",
        "niña",
        "niñas",
        "igualdad de género",
        "perspectiva de género",
        "violencia de género",
        "mulher",
        "mulheres",
        "menina",
        "meninas",
        "igualdade de gênero",
        "igualdade de género",
        "feminis*",
        "féminis*",
        "gender based violence",
    ),
    6: (
        "water",
        "waters",
        "drinking water",
        "wastewater",
        "groundwater",
        "watershed*",
        "sanitation",
        "toilet*",
        "latrine*",
        "letrina*",
        "hygien*",
        "higien*",
        "eau",
        "eaux",
        "eau potable",
        "eaux usées",
        "assainissement",
        "agua",
        "aguas",
        "agua potable",
        "saneamiento",
        "água",
        "águas",
        "saneamento",
        "desalination",
        "dessalement",
        "desalinización",
        "dessalinização",
        "borehole*",
        "cistern*",
    ),
    7: (
        "energ*",
        "énerg*",
        "solar",
        "solaire*",
        "solares",
        "photovolta*",
        "fotovolta*",
        "electricity",
        "electrification",
        "électricité",
        "électrification",
        "electricidad",
        "electrificación",
        "eletricidade",
        "eletrificação",
        "renewable*",
        "renouvelable*",
        "renovable*",
        "renovável",
        "renováveis",
        "mini grid*",
        "minigrid*",
        "off grid",
        "hors réseau",
        "biogas",
        "biogaz",
        "clean cooking",
        "cookstove*",
        "cuisson propre",
        "foyers améliorés",
        "cocinas mejoradas",
        "cocina limpia",
        "fogões melhorados",
        "cozinha limpa",
        "hydropower",
        "hydroélectri*",
        "hidroeléctri*",
        "hidrelétri*",
        "wind power",
        "éolien*",
        "eólic*",
    ),
    8: (
        "job",
        "jobs",
        "employ*",
        "emploi*",
        "emple*",
        "empreg*",
        "unemployment",
        "chômage",
        "desemple*",
        "desempreg*",
        "entrepreneur*",
        "emprend*",
        "empreend*",
        "decent work",
        "travail décent",
        "trabajo decente",
        "trabalho decente",
        "sme",
        "smes",
        "msme*",
        "pme",
        "pmes",
        "pyme*",
        "touris*",
        "turism*",
        "economic growth",
        "croissance économique",
        "crecimiento económico",
        "crescimento econômico",
        "crescimento económico",
        "labour market*",
        "labor market*",
        "child labour",
        "child labor",
        "travail des enfants",
        "trabajo infantil",
        "trabalho infantil",
    ),
    9: (
        "innovation",
        "innovations",
        "innover",
        "innovación",
        "innovaciones",
        "inovação",
        "inovações",
        "infrastructure*",
        "infraestructura*",
        "infraestrutura*",
        "industr*",
        "manufactur*",
    ),
    10: (
        "inequalit*",
        "inégalit*",
        "desigualdad*",
        "desigualdade*",
        "inclusion",
        "inclusión",
        "inclusão",
        "social inclusion",
        "disabilit*",
        "disabled",
        "handicap*",
        "discapacidad*",
        "pessoas com deficiência",
        "migra*",
        "refugee*",
        "réfugié*",
        "refugiad*",
        "remittance*",
        "indigenous",
        "autochtone*",
        "indígena*",
        "marginali*",
    ),
    11: (
        "city",
        "cities",
        "urban*",
        "urbain*",
        "housing",
        "logement*",
        "vivienda*",
        "habitação",
        "moradia*",
        "slum*",
        "bidonville*",
        "favela*",
        "informal settlement*",
        "asentamientos informales",
        "assentamentos informais",
        "ville",
        "villes",
        "ciudad",
        "ciudades",
        "cidade",
        "cidades",
        "public transport",
        "transport public",
        "transports publics",
        "transporte público",
        "municipal*",
        "municipio*",
        "município*",
    ),
    12: (
        "waste",
        "wastes",
        "recycl*",
        "plasti*",
        "circular economy",
        "déchet*",
        "recyclage",
        "residuo*",
        "resíduo*",
        "recicla*",
        "économie circulaire",
        "economía circular",
        "economia circular",
        "food loss",
        "food waste",
        "sustainable consumption",
        "consommation durable",
        "consumo sostenible",
        "consumo sustentável",
        "garbage",
        "ordures",
        "basura",
        "lixo",
        "compost*",
        "upcycl*",
        "e waste",
    ),
    13: (
        "climat*",
        "clima",
        "climático",
        "climática",
        "drought*",
        "flood*",
        "sécheresse*",
        "inondation*",
        "sequía*",
        "seca",
        "secas",
        "estiagem",
        "inunda*",
        "cyclone*",
        "ciclón",
        "ciclones",
        "ciclone",
        "hurricane*",
        "ouragan*",
        "huracán",
        "huracanes",
        "furacão",
        "furacões",
        "carbon",
        "carbone",
        "carbono",
        "greenhouse",
        "global warming",
        "réchauffement",
        "calentamiento global",
        "aquecimento global",
        "early warning",
        "alerte précoce",
        "alerta temprana",
        "alerta precoce",
        "disaster risk reduction",
    ),
    14: (
        "ocean",
        "oceans",
        "océan",
        "océans",
        "océano",
        "océanos",
        "oceano",
        "oceanos",
        "sea",
        "seas",
        "marine",
        "marin",
        "marins",
        "marino",
        "marinos",
        "marinho",
        "fisher*",
        "fishing",
        "fish",
        "pêche",
        "pêcheur*",
        "pesca",
        "pescador*",
        "pesqueir*",
        "pesquer*",
        "coastal",
        "côtier*",
        "côtière*",
        "costero*",
        "costera*",
        "costeir*",
        "coral*",
        "mangrove*",
        "manglar*",
        "manguezal",
        "manguezais",
        "aquacult*",
        "acuicult*",
        "aquicult*",
        "blue economy",
        "économie bleue",
        "economía azul",
        "economia azul",
    ),
    15: (
        "forest*",
        "deforest*",
        "déforest*",
        "reforest*",
        "afforestation",
        "reboisement",
        "forêt*",
        "bosque*",
        "floresta*",
        "desmatamento",
        "desflorest*",
        "biodivers*",
        "land degradation",
        "dégradation des terres",
        "degradación de la tierra",
        "degradación de tierras",
        "degradação da terra",
        "degradação do solo",
        "desertif*",
        "wildlife",
        "faune",
        "fauna",
        "ecosystem*",
        "écosystème*",
        "ecosistema*",
        "ecossistema*",
        "wetland*",
        "protected area*",
        "aire protégée*",
        "aires protégées",
        "área protegida*",
        "poaching",
        "braconnage",
        "land restoration",
        "agroforest*",
    ),
    16: (
        "peace*",
        "paix",
        "paz",
        "justic*",
        "governance",
        "gouvernance",
        "gobernanza",
        "governança",
        "gobernabilidad",
        "corrup*",
        "conflict*",
        "conflit*",
        "conflicto*",
        "conflito*",
        "violen*",
        "rule of law",
        "état de droit",
        "estado de derecho",
        "estado de direito",
        "human rights",
        "droits humains",
        "droits de l homme",
        "derechos humanos",
        "direitos humanos",
        "birth registration",
        "état civil",
        "registro civil",
        "transparen*",
    ),
    17: (
        "partnership*",
        "partenariat*",
        "alianza*",
        "parceria*",
        "cooperation",
        "coopération",
        "cooperación",
        "cooperação",
        "co operation",
        "south south",
        "sud sud",
        "sur sur",
        "sul sul",
        "triangular",
        "financing",
        "financement*",
        "financiamiento*",
        "financiación",
        "financiamento*",
        "development finance",
        "technology transfer",
        "transfert de technologie*",
        "transferencia de tecnología",
        "transferência de tecnologia",
        "official development assistance",
        "aide publique au développement",
    ),
}

# "SDG 6", "SDG6", "SDGs 6 and 7", "ODD 13", "ODS 4", "Goal 5", "Objectif 6", "Objetivo 6",
# "Sustainable Development Goal 6", "ODD n° 6"... on normalised text (folded words, single spaces).
_PREFIX = (
    r"(?:sdgs?|odd|ods|goals?|objectifs?|objetivos?|objectives?"
    r"|sustainable development goals?|objectifs? de developpement durable"
    r"|objetivos? de desarrollo sostenible|objetivos? de desenvolvimento sustentavel)"
)
_NUMBER_MARK = r"(?:\s*(?:n|no|nr|num|numero|number))?"
_SINGLE = re.compile(rf"^(?:{_PREFIX}{_NUMBER_MARK}\s*)?0*(\d{{1,2}})(?:\s.*)?$")
_BARE_NUMBER = re.compile(r"^0*(\d{1,2})$")
_MENTION = re.compile(rf"\b{_PREFIX}{_NUMBER_MARK}\s*(\d{{1,2}}(?:\s+(?:(?:and|et|y|e|or|ou|o)\s+)?\d{{1,2}})*)\b")


def _name_key(name: str) -> str:
    return " ".join(w for w in normalise(name).split() if w not in _CONNECTIVES)


def _all_names() -> dict[int, list[str]]:
    names: dict[int, list[str]] = {n: [SDG_NAMES[n]] for n in SDG_NAMES}
    for table in SDG_NAMES_I18N.values():
        for n, name in table.items():
            names[n].append(name)
    for n, others in _OTHER_NAMES.items():
        names[n].extend(others)
    return names


def _build_name_keys() -> dict[str, int]:
    keys: dict[str, int] = {}
    for n, names in _all_names().items():
        for name in names:
            key = _name_key(name)
            if keys.setdefault(key, n) != n:
                raise ValueError(f"SDG name {name!r} is ambiguous between goals {keys[key]} and {n}")
    return keys


_NAME_KEYS: dict[str, int] = _build_name_keys()


# --------------------------------------------------------------------------------------------
# Phrase matching over tokens
# --------------------------------------------------------------------------------------------

_Kind = Literal["explicit", "name", "keyword"]


@dataclass(frozen=True)
class _Phrase:
    words: tuple[str, ...]
    stem: bool  # the last word is a prefix
    goal: int
    kind: _Kind


def _phrase(text: str, goal: int, kind: _Kind) -> _Phrase:
    stem = text.endswith("*")
    return _Phrase(tuple(normalise(text.rstrip("*")).split()), stem, goal, kind)


def _build_phrases() -> list[_Phrase]:
    phrases = [_phrase(k, n, "keyword") for n, words in _KEYWORDS.items() for k in words]
    # Multi-word names only: one-word "names" ("Education", "Climate") are just keywords in a question.
    phrases += [
        _phrase(name, n, "name")
        for n, names in _all_names().items()
        for name in names
        if len(normalise(name).split()) > 1
    ]
    return phrases


_PHRASES: list[_Phrase] = _build_phrases()
# Phrases are tried only where their first word could start: by exact first word, or, for
# one-word stems, by the stem's first three letters (every stem is longer than that).
_STEM_KEY = 3
_BY_FIRST_WORD: dict[str, list[_Phrase]] = {}
_STEMS_BY_START: dict[str, list[_Phrase]] = {}
for _p in _PHRASES:
    if _p.stem and len(_p.words) == 1:
        if len(_p.words[0]) <= _STEM_KEY:
            raise ValueError(f"keyword stem {_p.words[0]!r} is too short to be safe")
        _STEMS_BY_START.setdefault(_p.words[0][:_STEM_KEY], []).append(_p)
    else:
        _BY_FIRST_WORD.setdefault(_p.words[0], []).append(_p)
del _p


def _matches_at(tokens: list[Token], start: int, phrase: _Phrase) -> bool:
    end = start + len(phrase.words)
    if end > len(tokens):
        return False
    words = [t.text for t in tokens[start:end]]
    if phrase.stem:
        return words[:-1] == list(phrase.words[:-1]) and words[-1].startswith(phrase.words[-1])
    return words == list(phrase.words)


@dataclass(frozen=True)
class _Hit:
    start: int  # token index
    length: int
    goals: tuple[int, ...]
    kind: _Kind


def _explicit_hits(tokens: list[Token]) -> list[_Hit]:
    """Numbered mentions, found on the normalised text and mapped back to token positions."""
    joined = " ".join(t.text for t in tokens)
    token_at: dict[int, int] = {}
    offset = 0
    for i, t in enumerate(tokens):
        for c in range(offset, offset + len(t.text) + 1):
            token_at[c] = i
        offset += len(t.text) + 1
    hits = []
    for m in _MENTION.finditer(joined):
        goals = tuple(n for n in (int(x) for x in re.findall(r"\d+", m.group(1))) if 1 <= n <= 17)
        if goals:
            first, last = token_at[m.start()], token_at[m.end() - 1]
            hits.append(_Hit(first, last - first + 1, goals, "explicit"))
    return hits


def _phrase_hits(tokens: list[Token]) -> list[_Hit]:
    hits = []
    for start in range(len(tokens)):
        by_length: dict[tuple[int, _Kind], list[int]] = {}
        word = tokens[start].text
        for phrase in _BY_FIRST_WORD.get(word, []) + _STEMS_BY_START.get(word[:_STEM_KEY], []):
            if _matches_at(tokens, start, phrase):
                by_length.setdefault((len(phrase.words), phrase.kind), []).append(phrase.goal)
        for (length, kind), goals in by_length.items():
            hits.append(_Hit(start, length, tuple(dict.fromkeys(goals)), kind))
    return hits


_RANK: dict[_Kind, int] = {"explicit": 0, "name": 1, "keyword": 2}


def _select(hits: list[_Hit]) -> list[_Hit]:
    """Non-overlapping hits: explicit mentions first, then longer phrases, then names over keywords."""
    taken: set[int] = set()
    kept = []
    for hit in sorted(hits, key=lambda h: (h.kind != "explicit", -h.length, _RANK[h.kind], h.start)):
        span = set(range(hit.start, hit.start + hit.length))
        if span & taken:
            continue
        taken |= span
        kept.append(hit)
    return kept


def _keyword_goals(text: str) -> list[int]:
    """Goals whose keywords cover all of `text` (used for one-word tags such as "Water")."""
    tokens = tokenise(text)
    kept = _select(_phrase_hits(tokens))
    if sum(h.length for h in kept) != len(tokens):
        return []
    return list(dict.fromkeys(g for h in kept for g in h.goals))


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def sdg_number(value: object) -> int | None:
    """Goal number 1..17 from an int, a code ("6", "SDG 6", "ODD 6", "ODS 6", "Goal 6",
    "Objetivo 6"), a name in en/fr/es/pt (misspellings tolerated), or a one-goal keyword tag
    ("Water"); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= 17 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and 1 <= value <= 17 else None
    if not isinstance(value, str):
        return None
    text = normalise(value)
    if not text:
        return None
    number = _SINGLE.match(text)
    if number and (_BARE_NUMBER.match(text) or not text[0].isdigit()):
        n = int(number.group(1))
        return n if 1 <= n <= 17 else None
    key = _name_key(value)
    if key in _NAME_KEYS:
        return _NAME_KEYS[key]
    close = difflib.get_close_matches(key, list(_NAME_KEYS), n=1, cutoff=0.85)
    if close:
        return _NAME_KEYS[close[0]]
    goals = _keyword_goals(value)
    return goals[0] if len(goals) == 1 else None


def normalise_sdgs(values: Iterable[object]) -> list[int]:
    """Sorted unique goal numbers; unknown values dropped. A single value is accepted too, and a
    string holding a list ("SDG 6; SDG 13") gives every goal in it."""
    if isinstance(values, (str, bytes, int, float)):
        values = [values]
    found: set[int] = set()
    for value in values:
        found.update(_goals_in_value(value))
    return sorted(found)


def _goals_in_value(value: object) -> list[int]:
    whole = sdg_number(value)
    if isinstance(value, str):
        # Split only when every piece is a goal: names contain commas too ("Peace, justice and ...").
        parts = [p for p in re.split(r"[,;|/]", value) if p.strip()]
        numbers = [sdg_number(p) for p in parts]
        if len(parts) > 1 and (whole is None or all(n is not None for n in numbers)):
            return [n for n in numbers if n is not None]
    return [whole] if whole is not None else []


def find_sdgs(text: str) -> list[int]:
    """Goals a free-text question refers to: numbered mentions and goal names first, then keyword
    hits, each group in order of first appearance; no duplicates."""
    if not isinstance(text, str) or not text.strip():
        return []
    tokens = tokenise(text)
    kept = sorted(_select(_explicit_hits(tokens) + _phrase_hits(tokens)), key=lambda h: (h.kind == "keyword", h.start))
    return list(dict.fromkeys(g for h in kept for g in h.goals))
