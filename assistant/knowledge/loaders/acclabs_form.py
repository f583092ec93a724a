"""The UNDP AccLabs solutions-mapping form: a record's `content` is often the filled form, prompts included.

`parse_form` splits it into a clean body (the answers worth reading: purpose, results, benchmarks, as
paragraphs, without the prompts) and `SolutionFacts` (open source, stage, TRL, training, cost, market...).
The holder's name and contact answers are dropped, never indexed; an institutional affiliation becomes
the provider. `apply_form` does both on a loaded document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.knowledge.cleaning import unescape
from assistant.knowledge.documents import KnowledgeDocument, SolutionFacts

#: What an answer is for: a fact, a name/contact to drop ("holder", "contact"), "affiliation", or "drop"
#: (uploads, locations, tag lists). Prompts not listed keep their answer as a paragraph.
_PROMPTS: dict[str, str] = {
    "what is the name of the solution holder? (main contact person, if multiple)": "holder",
    "what is the address and preferred way to contact the solution holder?": "contact",
    "does the solution holder have any institutional affiliation in country?": "affiliation",
    "is this solution diy / open source or ip protected?": "open_source",
    "is this solution a prototype or product?": "stage",
    "will the solution holder be able to train others (including end-users) in using or replicating the solution?": (
        "trains_others"
    ),
    "what is the technological readiness level (trl) of this solution?": "trl",
    "if this solution is a product, is it available in the market (off the shelf) or advance order has to be given?": (
        "market"
    ),
    "how much has this solution already been diffused? is there potential feedback from end-users available?": (
        "diffusion"
    ),
    "what is the unit cost of this solution along with any additional cost for maintenance and training?": (
        "unit_cost"
    ),
    "are there any other potential bottlenecks affecting cross-border or in country diffusion of this solution?": (
        "bottlenecks"
    ),
    "what is the purpose of the solution? (brief problem & solution description)": "keep",
    "please upload a link of end-user feedback": "drop",
    "please add the location where this solution was found.": "drop",
    "please add which sdgs this solution supports.": "drop",
    "please add classification tags for this solution.": "drop",
    "please attach a consent form or add an official link to this solution.": "drop",
    "click to see options": "drop",
    "description: what did you observe, or what did people write or say?": "keep",
    "need: what need does this answer?": "keep",
    "insights: what lessons can be learned from this observation?": "keep",
    "photo/ illustration:": "drop",
    "location:": "drop",
    "sdg:": "drop",
    "thematic area:": "drop",
    "title:": "drop",
    "a qui s'adresse la solution ?": "keep",
    "en quoi est-ce que cette solution est innovante ?": "keep",
    "en quoi est-ce que cette solution / initiative locale est-elle innovante ?": "keep",
    "a quel défi/problème répond cette solution ?": "keep",
    "problème adressé:": "keep",
    "probleme adresse :": "keep",
    "promoteur de la solution :": "holder",
    "promoteur :": "holder",
    "equipe innovateurs :": "holder",
    "name of solution owner:": "holder",
    "solution owner:": "holder",
    "name:": "holder",
    "adresse de l’innovateur :": "contact",
    "address:": "contact",
    "contact:": "contact",
    # the "solutions mapping" short form: its headings carry nothing but the field name
    "title of the solution": "drop",
    "images": "drop",
    "type of the solution": "keep",
    "description of the solution": "keep",
    "description de la solution": "keep",
    "promoteur de la solution": "holder",
    "where was this solution spotted?": "drop",
    'how did you find this solution? can you describe how the information about this solution "traveled" to you?': (
        "keep"
    ),
    "any useful links?": "keep",
    "localité d'identification de la solution:": "drop",
    "who lead the solution": "keep",
    "other notes": "keep",
    "location": "drop",
    "tags for the solution": "drop",
    "sdg(s)": "drop",
    "links to the solution": "drop",
}
_KEYS = {re.sub(r"[\s?:]+$", "", k.replace("’", "'")): v for k, v in _PROMPTS.items()}


def _question_pattern(prompt: str) -> str:
    words = [re.escape(w) for w in prompt.rstrip(" ?").replace("’", "'").split()]
    return r"\s+".join(words).replace("'", "['’]") + r"\s*\?"


#: The form's questions wherever they stand, to put them on their own line (some exports run them inline).
_QUESTIONS = re.compile(
    "|".join(_question_pattern(k) for k in sorted(_PROMPTS, key=len, reverse=True) if k.endswith("?") and len(k) > 20),
    re.IGNORECASE,
)
#: Lines that are a prompt with no answer of their own ("Please upload a picture of the solution.").
_NO_ANSWER = re.compile(r"^(?:please (?:upload|add|attach)\b.*|click to see options|null)$", re.IGNORECASE)
#: Tag dumps and consent links: the columns already carry SDGs and themes.
_TAG_LINE = re.compile(r"^(?:(?:sdgs|thematic_areas|consent|auto_thematic)\s*:.*|[a-z]+(?:_[a-z]+)+)$", re.IGNORECASE)
_FACT_CHARS = 200
_INLINE = re.compile(r"^(.{4,200}?[?:])\s*(\S.*)$")
_LAB = "UNDP Accelerator Lab"
_NO_VALUE = re.compile(
    r"^(?:n/?a|none|nil|null|undefined|not (?:yet )?(?:defined|known|available)|unknown|-+)\.?$", re.I
)
_NEGATIVE = re.compile(r"^(?:no|non|none|nope)\b", re.IGNORECASE)
_BARE_YES_NO = re.compile(r"^(?:no|non|yes|oui|none|aucun)\W*$", re.IGNORECASE)
_POSITIVE = re.compile(r"^(?:(?:probably\s+)?yes|oui|yeah)\b", re.IGNORECASE)


def _key(line: str) -> str:
    """A prompt as compared: lower-cased, spaces collapsed, no trailing "?" or ":" ("solution ?" = "solution")."""
    line = unescape(line).replace("\u00a0", " ").replace("’", "'")
    return re.sub(r"[\s?:]+$", "", re.sub(r"\s+", " ", line).strip().lower())


def prompt_kind(line: str) -> str | None:
    """What the line is a prompt for, or None when it is not a known prompt."""
    key = _key(line)
    if key in _KEYS:
        return _KEYS[key]
    if key.startswith("are there any efficiency benchmarks for this solution"):
        return "keep"
    if _NO_ANSWER.match(key):
        return "keep"  # nothing of its own to say: what follows it is read as usual
    return None


@dataclass
class ParsedForm:
    body: str
    facts: SolutionFacts
    affiliation: str | None = None
    #: Answers dropped as personal (holder names, contacts): scrubbed wherever else they appear.
    personal: list[str] = field(default_factory=list)
    #: Whether the content held any known prompt at all.
    is_form: bool = False


def _sections(content: str) -> list[tuple[str | None, list[str]]]:
    """(prompt kind, answer lines) in order; text before any prompt has kind None."""
    sections: list[tuple[str | None, list[str]]] = [(None, [])]
    content = _QUESTIONS.sub(lambda m: "\n" + m.group(0) + "\n", unescape(content).replace("\u00a0", " "))
    for raw in content.splitlines():
        line = raw.replace("\u00a0", " ").strip()
        kind = prompt_kind(line) if line else None
        inline = None if kind is not None else _INLINE.match(line)
        if inline and prompt_kind(inline.group(1)) is not None:
            # "A qui s'adresse la solution? -Vendeuses..." : the prompt and its answer on one line
            kind, line = prompt_kind(inline.group(1)), inline.group(2)
            sections.append((kind, [line]))
        elif kind is not None:
            sections.append((kind, []))
        elif line and _TAG_LINE.match(line):
            continue
        else:
            sections[-1][1].append(line)
    return sections


def _short(lines: list[str]) -> str | None:
    text = " ".join(" ".join(lines).split())
    if not text or _NO_VALUE.match(text):
        return None
    if len(text) <= _FACT_CHARS:
        return text
    cut = text[:_FACT_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


def parse_trl(text: str) -> int | None:
    """The TRL an answer states ("TRL 7", "TRL7", "RTL9", "(TRL.6)", "9. Système réel prouvé..."); None else.

    A range ("TRL 5 - TRL 6", "Between TRL 5 to TRL 7") counts as its lower end: never overstate readiness.
    """
    found = [int(n) for n in re.findall(r"\b(?:TRL|RTL)\s*[.:-]?\s*([1-9])\b", text, re.IGNORECASE)]
    if found:
        return min(found)
    match = re.match(r"^\s*([1-9])\s*[.)-]\s*\D", text)
    return int(match.group(1)) if match else None


def _fact(facts: SolutionFacts, kind: str, lines: list[str]) -> None:
    text = " ".join(" ".join(lines).split())
    if not text:
        return
    lower = text.lower()
    if kind == "open_source":
        if "open source" in lower or lower.startswith("diy"):
            facts.open_source = True
        elif "ip protected" in lower or "patent" in lower or "brevet" in lower:
            facts.open_source = False
    elif kind == "stage":
        if lower.startswith(("prototype", "prototyp")):
            facts.stage = "prototype"
        elif lower.startswith(("product", "produit")):
            facts.stage = "product"
    elif kind == "trl":
        facts.trl = parse_trl(text)
    elif kind == "trains_others":
        facts.trains_others = True if _POSITIVE.match(text) else False if _NEGATIVE.match(text) else None
    elif kind == "market":
        if "off the shelf" in lower or "available in" in lower:
            facts.market = "off the shelf"
        elif "order" in lower or "commande" in lower:
            facts.market = "on order"
    elif kind in ("unit_cost", "diffusion", "bottlenecks"):
        setattr(facts, kind, _short(lines))


def _affiliation(lines: list[str]) -> str | None:
    """The institution an affiliation answer names ("Yes, University of Dschang"); None for yes/no answers."""
    text = " ".join(" ".join(lines).split())
    if not text or _NEGATIVE.match(text):
        return None
    name = re.sub(r"^(?:yes|oui)\b[\s,.:;-]*", "", text, flags=re.IGNORECASE).strip()
    if len(name) < 3 or len(name) > 120 or re.match(r"^(?:please|as stated|see above|it is|the solution)", name, re.I):
        return None
    return name.rstrip(".")


def parse_form(content: str, title: str = "") -> ParsedForm:
    """The clean body and the facts of an AccLabs record's content (a non-form content passes through)."""
    facts = SolutionFacts()
    parsed = ParsedForm(body="", facts=facts)
    paragraphs: list[str] = []
    for kind, lines in _sections(content):
        if kind is not None:
            parsed.is_form = True
        answer = "\n".join(lines).strip()
        if kind in ("holder", "contact"):
            if kind == "holder" and answer:
                parsed.personal.append(" ".join(answer.split()))
            continue
        if kind == "affiliation":
            parsed.affiliation = parsed.affiliation or _affiliation(lines)
            continue
        if kind == "drop" or not answer:
            continue
        if kind not in (None, "keep", "diffusion", "bottlenecks"):
            _fact(facts, kind, lines)
            continue
        if kind in ("diffusion", "bottlenecks"):
            _fact(facts, kind, lines)
        if not (_NO_VALUE.match(answer) or _BARE_YES_NO.match(answer)):  # "NO" alone says nothing in a body
            paragraphs.append(answer)
    if paragraphs and title and paragraphs[0].splitlines()[0].strip() == title.strip():
        first = paragraphs[0].split("\n", 1)
        paragraphs[0] = first[1].strip() if len(first) > 1 else ""
    body = "\n\n".join(p for p in paragraphs if p)
    for name in parsed.personal:
        if len(name) >= 4:
            body = body.replace(name, "the solution holder")
    parsed.body = body
    return parsed


def apply_form(doc: KnowledgeDocument) -> KnowledgeDocument:
    """Replace a form record's body by its clean body, set its facts, its provider from the affiliation.

    The summary (the export's "snippet", often the holder's name: the form's first answer) is replaced by
    the start of the clean body when it repeats a dropped answer.
    """
    parsed = parse_form(doc.body, doc.title)
    doc.body = parsed.body  # even without a form: the tag dumps and the repeated title go
    if not parsed.is_form:
        return doc
    doc.facts = parsed.facts
    if parsed.affiliation and (not doc.provider or doc.provider.startswith(_LAB)):
        # the lab mapped the solution; the institution the form names is the one that provides it
        if doc.provider and doc.provider not in doc.partners:
            doc.partners.append(doc.provider)
        doc.provider = parsed.affiliation
    summary = " ".join(unescape(doc.summary).split())
    if parse_form(doc.summary).is_form:  # some snippets are the whole form
        summary = ""
    if not summary or any(summary.rstrip(". ") in name or name in summary for name in parsed.personal):
        doc.summary = _summary_from(parsed.body)
    return doc


def _summary_from(body: str, limit: int = 300) -> str:
    text = " ".join(body.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"
