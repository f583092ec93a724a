"""The seeker's side of an answer on Telegram: "Connect me" (the need and, with explicit consent, a contact, for a
cited solution or a partner: services.introductions) and the optional comment that may follow a 👎.

Both wait for the user's next message. What they wait for is kept per chat and user, in memory (an introduction
half asked is asked again after a restart); the text handler in group -1 takes that message before any other
handler, and a command abandons the wait (a 👎 waiting for its comment is then stored without one)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bots.sending import send_plain
from bots.share import CONTACT_PATTERN, SKIP, message_text
from bots.state import AnswerEntry, AnswerStore
from bots.texts import text

if TYPE_CHECKING:
    from assistant.container import Services

log = logging.getLogger(__name__)

MAX_TARGETS = 5
#: A 👎 whose comment never comes is stored without one after this long.
COMMENT_WAIT_S = 300.0


@dataclass
class Waiting:
    kind: str  # "connect" | "comment"
    entry: AnswerEntry
    step: str = ""  # connect: "need" | "contact" | "consent"
    target: tuple[str, str, str] = ("", "", "")  # kind, id, name
    need: str = ""
    contact: str = ""
    timer: asyncio.Task | None = field(default=None, repr=False)


def targets(entry: AnswerEntry) -> list[tuple[str, str, str]]:
    """Whom this answer offers to connect with: its cited solutions, then its suggested partners."""
    found = [("solution", c.doc_id, c.title) for c in entry.citations]
    found += [("partner", p.get("name", ""), p.get("name", "")) for p in entry.partners if p.get("name")]
    return found[:MAX_TARGETS]


class SeekerFlow:
    """Mixed into the bot, which provides the services and the answer store."""

    services: Services
    cache: AnswerStore

    def _init_seeker(self) -> None:
        self.waiting: dict[tuple[int, int], Waiting] = {}

    # -- the text that answers a question of ours (group -1) ------------------------------------------------------
    async def on_waiting_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        key = _who(update)
        waiting = self.waiting.get(key) if key else None
        if key is None or waiting is None:
            return
        value = message_text(update).strip()
        if value.startswith("/"):  # a command: stop waiting, and let it run unless it was /cancel
            cancelled = value.split()[0].split("@")[0] == "/cancel"
            await self._abandon(context.bot, key, cancelled=cancelled)
            if cancelled:
                raise ApplicationHandlerStop
            return
        if waiting.kind == "comment":
            await self._store_rating(context.bot, key, value)
        else:
            await self._connect_step(context.bot, key, waiting, value)
        raise ApplicationHandlerStop

    async def _abandon(self, bot: Bot, key: tuple[int, int], *, cancelled: bool) -> None:
        waiting = self.waiting.get(key)
        if waiting is None:
            return
        if waiting.kind == "comment":
            await self._store_rating(bot, key, "", quiet=True)
            return
        self.waiting.pop(key, None)
        if cancelled:
            await send_plain(bot, key[0], text(waiting.entry.language, "connect_cancelled"))

    # -- 👎 and its comment -------------------------------------------------------------------------------------
    async def ask_comment(self, bot: Bot, query: CallbackQuery, cache_key: str, entry: AnswerEntry) -> None:
        # The 👎 is claimed at once (its feedback is stored with the comment, or without one later), so that a
        # second press, here or through another replica, is told it was already rated.
        if not await asyncio.to_thread(self.cache.rate, cache_key, "down"):
            await query.answer(text(entry.language, "feedback_already"))
            return
        entry.rated = "down"
        key = (entry.chat_id, query.from_user.id)
        waiting = Waiting("comment", entry)
        waiting.timer = asyncio.create_task(self._comment_deadline(bot, key, waiting))
        self.waiting[key] = waiting
        await query.answer()
        skip = InlineKeyboardMarkup([[InlineKeyboardButton(text(entry.language, "btn_skip"), callback_data="skp:")]])
        await send_plain(bot, entry.chat_id, text(entry.language, "comment_prompt"), skip)

    async def _comment_deadline(self, bot: Bot, key: tuple[int, int], waiting: Waiting) -> None:
        await asyncio.sleep(COMMENT_WAIT_S)
        if self.waiting.get(key) is waiting:
            waiting.timer = None
            await self._store_rating(bot, key, "", quiet=True)

    async def skip_comment(self, bot: Bot, query: CallbackQuery, chat_id: int | None) -> None:
        key = (chat_id, query.from_user.id) if chat_id is not None else None
        await query.answer()
        if key is not None and key in self.waiting and self.waiting[key].kind == "comment":
            await self._store_rating(bot, key, "", quiet=True)

    async def _store_rating(self, bot: Bot, key: tuple[int, int], comment: str, *, quiet: bool = False) -> None:
        waiting = self.waiting.pop(key, None)
        if waiting is None:
            return
        if waiting.timer is not None:
            waiting.timer.cancel()
        entry = waiting.entry
        await asyncio.to_thread(
            self.services.feedback.add, entry.session_id, entry.answer_id, "down", comment[:2000], source="telegram"
        )
        if not quiet:
            await send_plain(bot, entry.chat_id, text(entry.language, "comment_thanks"))

    async def flush_comments(self) -> None:
        """At shutdown: the 👎 still waiting for a comment are stored without one."""
        for key, waiting in list(self.waiting.items()):
            if waiting.kind == "comment":
                self.waiting.pop(key, None)
                if waiting.timer is not None:
                    waiting.timer.cancel()
                entry = waiting.entry
                await asyncio.to_thread(
                    self.services.feedback.add, entry.session_id, entry.answer_id, "down", "", source="telegram"
                )

    # -- Connect me --------------------------------------------------------------------------------------------
    async def offer_targets(self, bot: Bot, query: CallbackQuery, cache_key: str, entry: AnswerEntry) -> None:
        await query.answer()
        rows = [
            [InlineKeyboardButton(name[:60], callback_data=f"cnt:{cache_key}:{i}")]
            for i, (_, _, name) in enumerate(targets(entry))
        ]
        await send_plain(bot, entry.chat_id, text(entry.language, "connect_pick"), InlineKeyboardMarkup(rows))

    async def start_connect(self, bot: Bot, query: CallbackQuery, entry: AnswerEntry, index: str) -> bool:
        choices = targets(entry)
        if not (index.isdigit() and int(index) < len(choices)):
            return False
        target = choices[int(index)]
        self.waiting[(entry.chat_id, query.from_user.id)] = Waiting("connect", entry, "need", target)
        await query.answer()
        await send_plain(bot, entry.chat_id, text(entry.language, "connect_need", name=target[2]))
        return True

    async def _connect_step(self, bot: Bot, key: tuple[int, int], waiting: Waiting, value: str) -> None:
        lang, name = waiting.entry.language, waiting.target[2]
        if waiting.step == "need":
            if value:
                waiting.need, waiting.step = value[:2000], "contact"
            await send_plain(bot, key[0], text(lang, "connect_contact" if value else "connect_need", name=name))
        elif waiting.step == "contact":
            if value in SKIP:
                await self._introduce(bot, key, consent=False)
            elif len(value) > 200 or not CONTACT_PATTERN.match(value):
                await send_plain(bot, key[0], text(lang, "share_contact_bad"))
            else:
                waiting.contact, waiting.step = value, "consent"
                buttons = InlineKeyboardMarkup(
                    [
                        [InlineKeyboardButton(text(lang, "btn_consent_yes"), callback_data="cns:y")],
                        [InlineKeyboardButton(text(lang, "btn_consent_no"), callback_data="cns:n")],
                    ]
                )
                await send_plain(bot, key[0], text(lang, "connect_consent", name=name), buttons)

    async def on_consent(self, bot: Bot, query: CallbackQuery, chat_id: int | None, answer: str, lang: str) -> None:
        key = (chat_id, query.from_user.id) if chat_id is not None else None
        waiting = self.waiting.get(key) if key else None
        if key is None or waiting is None or waiting.step != "consent":
            await query.answer(text(lang, "expired"))
            return
        await query.answer()
        await self._introduce(bot, key, consent=answer == "y")

    async def _introduce(self, bot: Bot, key: tuple[int, int], *, consent: bool) -> None:
        waiting = self.waiting.pop(key)
        entry, (kind, target_id, name) = waiting.entry, waiting.target
        await asyncio.to_thread(
            lambda: self.services.introductions.create(
                session_id=entry.session_id,
                channel="telegram",
                need=waiting.need,
                contact=waiting.contact if consent else "",
                consent=consent,
                target_kind=kind,
                target_id=target_id,
                target_name=name,
                answer_id=entry.answer_id,
            )
        )
        await send_plain(bot, key[0], text(entry.language, "connect_done", name=name))


def _who(update: Update) -> tuple[int, int] | None:
    if update.effective_chat is None or update.effective_user is None:
        return None
    return update.effective_chat.id, update.effective_user.id
