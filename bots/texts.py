"""Every string the Telegram bot shows, per language: the "bot", "bot_examples" and "label" entries of
assistant/locales/ (one file per language, read and validated by assistant.text.locales; prompts live in
assistant/answers/prompts.py).

Keys are stable and every language has every key (a test checks it). Values are plain text with `{name}`
placeholders; the bot HTML-escapes them (and whatever is substituted into them) before sending.
"""

from __future__ import annotations

from assistant.text.language import SUPPORTED
from assistant.text.locales import phrase, section, template, texts

#: Languages the bot's interface speaks; /lang offers them in this order.
LANGUAGES: tuple[str, ...] = SUPPORTED
DEFAULT_LANGUAGE = "en"  # only when neither /lang nor Telegram's language_code names a language we speak
#: Each language's name in itself, for the /lang buttons.
LANGUAGE_LABELS: dict[str, str] = {lang: template(lang, "label") for lang in LANGUAGES}
TEXTS: dict[str, dict[str, str]] = {lang: dict(section(lang, "bot")) for lang in LANGUAGES}
#: Example questions offered by /start (each answered from the shipped corpus).
EXAMPLES: dict[str, tuple[str, ...]] = {lang: texts(lang, "bot_examples") for lang in LANGUAGES}

COMMANDS: tuple[str, ...] = ("start", "help", "ask", "partners", "share", "lang", "reset", "cancel")


def normalise_language(code: str | None) -> str | None:
    """'fr-CA' -> 'fr'; None when the code is missing or not one of LANGUAGES."""
    if not code:
        return None
    short = code.strip().lower().replace("_", "-").split("-")[0]
    return short if short in LANGUAGES else None


def text(lang: str | None, key: str, **values: object) -> str:
    """A bot text in `lang` (English for a language the bot does not speak), its placeholders filled from `values`."""
    return phrase(lang, f"bot.{key}", **values)


def examples(lang: str | None) -> tuple[str, ...]:
    return texts(lang, "bot_examples")
