"""The /share conversation: four questions (name, country, problem, contact), then a submission for the
moderators. Its steps raise ApplicationHandlerStop, so a step's text is never also taken as a question."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any, NoReturn

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    ApplicationHandlerStop,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from assistant.community.submissions import LIMITS
from assistant.errors import InvalidInput
from assistant.text.geo import country_code
from bots.texts import text

if TYPE_CHECKING:
    from assistant.container import Services

SHARE_TITLE, SHARE_COUNTRY, SHARE_PROBLEM, SHARE_CONTACT = range(4)
SKIP = {"-", "–", "—"}
# Mirrors assistant.community.submissions' contact rule so a bad contact is re-asked at once; submit() stays the authority.
CONTACT_PATTERN = re.compile(r"^(https?://\S+|[^@\s]+@[^@\s]+\.[^@\s]+|\+?[0-9 ()-]{6,30})$")
_MIN_TITLE, _MIN_PROBLEM = 5, 20


def message_text(update: Update) -> str:
    message = update.effective_message
    return (message.text or "") if message else ""


# -- the /share draft: the answers so far, in the chat's data (an update without a chat has no chat data) --------
def _start_draft(context: ContextTypes.DEFAULT_TYPE) -> None:
    if context.chat_data is not None:
        context.chat_data["share"] = {}


def _remember(context: ContextTypes.DEFAULT_TYPE, field: str, value: object) -> None:
    if context.chat_data is not None:
        context.chat_data.setdefault("share", {})[field] = value


def _draft(context: ContextTypes.DEFAULT_TYPE) -> dict[str, Any]:
    return dict((context.chat_data or {}).get("share") or {})


def _forget_draft(context: ContextTypes.DEFAULT_TYPE) -> None:
    if context.chat_data is not None:
        context.chat_data.pop("share", None)


class ShareFlow:
    """The /share steps, mixed into the bot (which provides the services, the language and the replies)."""

    services: Services

    def ui_language(self, update: object) -> str:
        raise NotImplementedError

    async def _reply(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        message: str,
        reply_markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        raise NotImplementedError

    def share_conversation(self) -> ConversationHandler:
        step_text = filters.TEXT & ~filters.COMMAND
        return ConversationHandler(
            entry_points=[CommandHandler("share", self.share_start)],
            states={
                SHARE_TITLE: [MessageHandler(step_text, self.share_title)],
                SHARE_COUNTRY: [MessageHandler(step_text, self.share_country)],
                SHARE_PROBLEM: [MessageHandler(step_text, self.share_problem)],
                SHARE_CONTACT: [MessageHandler(step_text, self.share_contact)],
            },
            fallbacks=[
                CommandHandler("cancel", self.share_cancel),
                MessageHandler(filters.COMMAND, self.share_interrupted),
            ],
            allow_reentry=True,
            name="share",
        )

    async def _ask_step(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, key: str, state: int, **values: object
    ) -> NoReturn:
        """Send the step's question and move the conversation to `state`. Always raises ApplicationHandlerStop,
        which also keeps the text from reaching the question handler in group 1."""
        await self._reply(update, context, text(self.ui_language(update), key, **values))
        raise ApplicationHandlerStop(state)

    async def share_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        _start_draft(context)
        await self._ask_step(update, context, "share_start", SHARE_TITLE)

    async def share_title(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        value = message_text(update).strip()
        if not _MIN_TITLE <= len(value) <= LIMITS["title"]:
            await self._ask_step(update, context, "share_title_bad", SHARE_TITLE, max=LIMITS["title"])
        _remember(context, "title", value)
        await self._ask_step(update, context, "share_country", SHARE_COUNTRY)

    async def share_country(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        value = message_text(update).strip()
        codes: list[str] = []
        if value not in SKIP:
            for name in (part.strip() for part in re.split(r"[,;/]", value)):
                if not name:
                    continue
                code = country_code(name)
                if code is None:
                    await self._ask_step(update, context, "share_country_bad", SHARE_COUNTRY, value=name[:60])
                codes.append(code)
        _remember(context, "countries", codes[:20])
        await self._ask_step(update, context, "share_problem", SHARE_PROBLEM, max=LIMITS["summary"])

    async def share_problem(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        value = message_text(update).strip()
        if not _MIN_PROBLEM <= len(value) <= LIMITS["summary"]:
            await self._ask_step(update, context, "share_problem_bad", SHARE_PROBLEM, max=LIMITS["summary"])
        _remember(context, "summary", value)
        await self._ask_step(update, context, "share_contact", SHARE_CONTACT)

    async def share_contact(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        lang = self.ui_language(update)
        value = message_text(update).strip()
        contact = "" if value in SKIP else value
        if contact and (len(contact) > LIMITS["contact"] or not CONTACT_PATTERN.match(contact)):
            await self._ask_step(update, context, "share_contact_bad", SHARE_CONTACT)
        draft = _draft(context)
        draft["contact"] = contact
        try:
            submission = await asyncio.to_thread(
                self.services.submissions.submit,
                draft,
                source="telegram",
                chat_id=chat.id if (chat := update.effective_chat) else None,  # where the outcome will be told
                chat_language=lang,
            )
        except InvalidInput as exc:
            await self._ask_step(update, context, "share_invalid", SHARE_CONTACT, reason=exc.user_message)
        _forget_draft(context)
        await self._reply(update, context, text(lang, "share_done", title=submission.title, id=submission.id))
        raise ApplicationHandlerStop(ConversationHandler.END)

    async def share_cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        _forget_draft(context)
        await self._reply(update, context, text(self.ui_language(update), "share_cancelled"))
        raise ApplicationHandlerStop(ConversationHandler.END)

    async def share_interrupted(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Another command during /share: leave the conversation and let the command run (group 1)."""
        _forget_draft(context)
        return ConversationHandler.END
