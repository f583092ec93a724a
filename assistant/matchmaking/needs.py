"""What a need asks for: money (grants, loans, funders), partners or help, and whether the knowledge base holds
anything on it at all (`on_topic`, the floor of the scoring in assistant.matchmaking.scoring)."""

from __future__ import annotations

import re

from assistant.knowledge.profiles import PartnerCalibration
from assistant.retrieval.retriever import SearchResult
from assistant.text.sdg import find_sdgs
from assistant.text.textproc import fold

#: Languages assistant.text.sdg detects SDG keywords in; needs in other languages (ar, sw) can pass the topic gate on
#: their words instead: the best document at `gate_sdg` with at least GATE_COVERAGE of the need's words.
SDG_KEYWORD_LANGUAGES = ("en", "fr", "es", "pt")
GATE_COVERAGE = 0.5

#: Matched on folded text (no accents), so every alternative is written without accents.
_FUNDING_WORDS = re.compile(
    r"\b(fund|funds|funding|funder|funders|grant|grants|financ\w*|donor|donors|money|loan|loans|subsid\w*|"
    r"sponsor\w*|investor\w*|subvention\w*|bailleur\w*|fonds|investisseur\w*|subvencion\w*|beca|becas|"
    r"donante\w*|inversor\w*|doador\w*|doacao|doacoes|investidor\w*|تمويل|منحة|منح)\b"
)


#: Topics that contain a money word without asking for money ("mobile money", "financial inclusion").
_MONEY_TOPICS = re.compile(
    r"\b(mobile money|argent mobile|dinero movil|dinheiro movel|financial (inclusion|services|literacy|education)|"
    r"inclusion financiere|services financiers|education financiere|inclusion financiera|servicios financieros|"
    r"inclusao financeira|servicos financeiros)\b"
)


def money_topic(need: str) -> str:
    """The need without its money words ("grants for solar irrigation" -> "for solar irrigation"): every funding
    opportunity is about money, so only the topic tells them apart."""
    kept = "".join(part for part in re.findall(r"\w+|\W+", need) if not _FUNDING_WORDS.fullmatch(fold(part)))
    kept = " ".join(kept.split())
    return kept if re.search(r"\w", kept) else need


def asks_for_money(need: str) -> bool:
    """True when the need asks who funds, for grants, loans... ("qui finance", "subvenciones")."""
    return bool(_FUNDING_WORDS.search(_MONEY_TOPICS.sub(" ", fold(need))))


_PARTNER_WORDS = re.compile(
    r"\b(who|partner\w*|help|support|provider\w*|organi[sz]ation\w*|qui|partenaire\w*|aider|aide|appui|"
    r"quien\w*|quién\w*|socio\w*|ayuda\w*|apoyo|quem|parceir\w*|ajuda\w*|apoio|شريك|شركاء|مساعدة)\b"
)


def asks_for_partners(question: str) -> bool:
    return bool(_PARTNER_WORDS.search(fold(question)))


def on_topic(need: str, result: SearchResult, calibration: PartnerCalibration) -> bool:
    """Whether the knowledge base holds anything on the need (assistant.matchmaking.scoring, "Floors")."""
    if not result.hits:
        return False
    if find_sdgs(need):
        return result.top_dense >= calibration.gate_sdg
    if (
        result.analysis.language not in SDG_KEYWORD_LANGUAGES
        and result.top_dense >= calibration.gate_sdg
        and result.top_coverage >= GATE_COVERAGE
    ):
        return True
    return result.top_dense >= calibration.gate
