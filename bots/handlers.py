"""Telegram handlers: each parses the update, calls one service (in a worker thread: they are blocking), and maps
the result to one compact HTML message. Failures reach `on_error`, which logs the traceback and tells the user a
short apology in their language; nothing internal is ever shown in a chat."""

from __future__ import annotations

import asyncio
import logging
import re
from contextlib import suppress
from typing import TYPE_CHECKING, Any, NoReturn

from telegram import (
    Bot,
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    filters,
)

from assistant.community.submissions import LIMITS
from assistant.errors import GalaxyError, InvalidInput
from assistant.text.geo import country_code
from bots import formatting
from bots.sending import NO_PREVIEW, send_html, send_plain, typing
from bots.state import AnswerCache, AnswerEntry, ChatPreferences
from bots.texts import COMMANDS, DEFAULT_LANGUAGE, LANGUAGE_LABELS, LANGUAGES, examples, normalise_language, text

if TYPE_CHECKING:
    from assistant.container import Services

log = logging.getLogger(__name__)

ANSWER_ACTIONS = ("src", "prt", "more", "up", "dn")
SHARE_TITLE, SHARE_COUNTRY, SHARE_PROBLEM, SHARE_CONTACT = range(4)
SKIP = {"-", "–", "—"}
# Mirrors assistant.community.submissions' contact rule so a bad contact is re-asked at once; submit() stays the authority.
_CONTACT = re.compile(r"^(https?://\S+|[^@\s]+@[^@\s]+\.[^@\s]+|\+?[0-9 ()-]{6,30})$")
_MIN_TITLE, _MIN_PROBLEM = 5, 20


def session_id(chat_id: int) -> str:
    return f"tg-{chat_id}"


def _command_argument(message: Message | None) -> str:
    parts = (message.text or "").split(maxsplit=1) if message else []
    return parts[1].strip() if len(parts) > 1 else ""


def _chat_id(update: Update) -> int | None:
    """The chat to reply in; None for the updates that have none (e.g. a button under an inline-mode message)."""
    return update.effective_chat.id if update.effective_chat else None


def _message_text(update: Update) -> str:
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


class GalaxyBot:
    """The bot's behaviour over the shared services; `register` adds its handlers to an Application."""

    def __init__(
        self,
        services: Services,
        preferences: ChatPreferences,
        cache: AnswerCache | None = None,
        *,
        max_question_chars: int = 2000,
        compact_chars: int = formatting.COMPACT_CHARS,
    ):
        self.services = services
        self.preferences = preferences
        self.cache = cache or AnswerCache()
        self.max_question_chars = max_question_chars
        self.compact_chars = compact_chars
        self._closed = False

    # -- wiring ---------------------------------------------------------------------------------------------
    def register(self, application: Application) -> None:
        # Group 0: the /share conversation. Its steps stop further processing, so a step's text is not also
        # taken as a question; any other command ends it and then runs normally in group 1.
        application.add_handler(self.share_conversation(), group=0)
        question_text = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
        non_text = (
            filters.UpdateType.MESSAGE
            & filters.ChatType.PRIVATE
            & ~filters.TEXT
            & (
                filters.PHOTO
                | filters.VOICE
                | filters.AUDIO
                | filters.VIDEO
                | filters.VIDEO_NOTE
                | filters.Document.ALL
                | filters.Sticker.ALL
                | filters.LOCATION
                | filters.CONTACT
                | filters.ANIMATION
            )
        )
        for handler in (
            CommandHandler("start", self.start),
            CommandHandler("help", self.help),
            CommandHandler("lang", self.lang),
            CommandHandler("reset", self.reset),
            CommandHandler("ask", self.ask_command),
            CommandHandler("partners", self.partners_command),
            CommandHandler("cancel", self.cancel_outside_share),
            CallbackQueryHandler(self.on_callback),
            MessageHandler(question_text, self.on_text),
            MessageHandler(non_text, self.on_non_text),
        ):
            application.add_handler(handler, group=1)
        application.add_error_handler(self.on_error)

    async def post_init(self, application: Application) -> None:
        await self.publish_commands(application.bot)

    async def post_shutdown(self, application: Application) -> None:
        self.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.preferences.close()

    async def publish_commands(self, bot: Bot) -> None:
        """The command menu, in every interface language (a failure here must not stop the bot)."""
        for lang in (None, *LANGUAGES):
            commands = [BotCommand(c, text(lang or "en", f"cmd_{c}")) for c in COMMANDS]
            try:
                await bot.set_my_commands(commands, language_code=lang)
            except TelegramError as exc:
                log.warning("could not publish the command menu (%s): %s", lang or "default", exc)
                return

    # -- language ---------------------------------------------------------------------------------------------
    def ui_language(self, update: object) -> str:
        if not isinstance(update, Update):
            return DEFAULT_LANGUAGE
        chat = update.effective_chat
        if chat is not None:
            chosen = self.preferences.language(chat.id)
            if chosen:
                return chosen
        user = update.effective_user
        return normalise_language(user.language_code if user else None) or DEFAULT_LANGUAGE

    async def _reply(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        message: str,
        reply_markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        """Send plain text to the update's chat, if it has one."""
        chat_id = _chat_id(update)
        if chat_id is not None:
            await send_plain(context.bot, chat_id, message, reply_markup)

    # -- commands ---------------------------------------------------------------------------------------------
    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        lang = self.ui_language(update)
        buttons = [[InlineKeyboardButton(q, callback_data=f"ex:{lang}:{i}")] for i, q in enumerate(examples(lang))]
        await self._reply(update, context, text(lang, "welcome"), InlineKeyboardMarkup(buttons))

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._reply(update, context, text(self.ui_language(update), "help"))

    async def lang(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        lang = self.ui_language(update)
        labels = [InlineKeyboardButton(LANGUAGE_LABELS[code], callback_data=f"lang:{code}") for code in LANGUAGES]
        rows = [labels[i : i + 3] for i in range(0, len(labels), 3)]
        await self._reply(update, context, text(lang, "lang_prompt"), InlineKeyboardMarkup(rows))

    async def reset(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id = _chat_id(update)
        if chat_id is None:
            return
        await asyncio.to_thread(self.services.conversations.reset, session_id(chat_id))
        await send_plain(context.bot, chat_id, text(self.ui_language(update), "reset_done"))

    async def ask_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        question = _command_argument(update.effective_message)
        if not question:
            lang = self.ui_language(update)
            await self._reply(update, context, text(lang, "ask_usage", example=examples(lang)[0]))
            return
        await self.answer(update, context, question)

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.answer(update, context, _message_text(update))

    async def on_non_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._reply(update, context, text(self.ui_language(update), "text_only"))

    async def cancel_outside_share(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._reply(update, context, text(self.ui_language(update), "nothing_to_cancel"))

    async def partners_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id = _chat_id(update)
        if chat_id is None:
            return
        lang = self.ui_language(update)
        need = _command_argument(update.effective_message)
        if not need:
            await send_plain(context.bot, chat_id, text(lang, "partners_usage"))
            return
        if await self._refuse_if_too_long(context.bot, chat_id, need, lang):
            return
        async with typing(context.bot, chat_id):
            result = await asyncio.to_thread(self.services.partners.suggest, need)
        await send_html(context.bot, chat_id, formatting.partners_message(result, lang))

    # -- questions -------------------------------------------------------------------------------------------
    async def _refuse_if_too_long(self, bot: Bot, chat_id: int, value: str, lang: str) -> bool:
        if len(value) <= self.max_question_chars:
            return False
        await send_plain(bot, chat_id, text(lang, "too_long", n=len(value), max=self.max_question_chars))
        return True

    async def answer(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, question: str, *, echo: bool = False
    ) -> None:
        chat_id = _chat_id(update)
        if chat_id is None:
            return
        ui = self.ui_language(update)
        question = question.strip()
        if not question or await self._refuse_if_too_long(context.bot, chat_id, question, ui):
            return
        chosen = self.preferences.language(chat_id)
        async with typing(context.bot, chat_id):
            answer = await asyncio.to_thread(self.services.engine.ask, question, session_id(chat_id), language=chosen)
        lang = answer.language if answer.language in LANGUAGES else ui
        html_text, rest = formatting.answer_message(answer, lang, self.compact_chars)
        if echo:
            html_text = f"<i>{formatting.esc(text(lang, 'asked', question=question))}</i>\n\n{html_text}"
        key = self.cache.put(
            AnswerEntry(
                chat_id=chat_id,
                session_id=session_id(chat_id),
                question=question,
                query=answer.query or question,
                answer_id=answer.answer_id,
                language=lang,
                citations=list(answer.citations),
                rest=rest,
            )
        )
        await send_html(
            context.bot,
            chat_id,
            html_text,
            self.answer_keyboard(key, lang, sources=bool(answer.citations), partners=answer.grounded, more=bool(rest)),
        )

    @staticmethod
    def answer_keyboard(key: str, lang: str, *, sources: bool, partners: bool, more: bool) -> InlineKeyboardMarkup:
        first = []
        if sources:
            first.append(InlineKeyboardButton(text(lang, "btn_sources"), callback_data=f"src:{key}"))
        if partners:
            first.append(InlineKeyboardButton(text(lang, "btn_partners"), callback_data=f"prt:{key}"))
        second = []
        if more:
            second.append(InlineKeyboardButton(text(lang, "btn_more"), callback_data=f"more:{key}"))
        second += [
            InlineKeyboardButton("👍", callback_data=f"up:{key}"),
            InlineKeyboardButton("👎", callback_data=f"dn:{key}"),
        ]
        return InlineKeyboardMarkup([row for row in (first, second) if row])

    # -- buttons ----------------------------------------------------------------------------------------------
    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        action, _, key = (query.data or "").partition(":")
        chat_id = _chat_id(update)
        ui = self.ui_language(update)
        if action == "lang" and key in LANGUAGES and chat_id is not None:
            await asyncio.to_thread(self.preferences.set_language, chat_id, key)
            await query.answer()
            await query.edit_message_text(text(key, "lang_set"), reply_markup=None)
            return
        if action == "ex" and chat_id is not None and await self._ask_example(update, context, query, key):
            return
        entry = self.cache.get(key, chat_id) if action in ANSWER_ACTIONS else None
        if entry is None:
            await query.answer(text(ui, "expired"))
            return
        if action in ("up", "dn"):
            await self._rate(query, entry, "up" if action == "up" else "down")
            return
        await query.answer()
        await self._show(context.bot, action, entry)

    async def _ask_example(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, query: CallbackQuery, key: str
    ) -> bool:
        """Ask the example question the button stands for ("<lang>:<index>"); False when there is none."""
        lang, _, index = key.partition(":")
        choices = examples(lang)
        if not (index.isdigit() and int(index) < len(choices)):
            return False
        await query.answer()
        await self.answer(update, context, choices[int(index)], echo=True)
        return True

    async def _rate(self, query: CallbackQuery, entry: AnswerEntry, rating: str) -> None:
        if entry.rated:
            await query.answer(text(entry.language, "feedback_already"))
            return
        await asyncio.to_thread(
            self.services.feedback.add, entry.session_id, entry.answer_id, rating, "", source="telegram"
        )
        entry.rated = rating
        await query.answer(text(entry.language, "feedback_thanks"))

    async def _show(self, bot: Bot, action: str, entry: AnswerEntry) -> None:
        """The sources, the rest or the partners of a cached answer, in the answer's own chat: the update's when
        it has one (the cache checked that), and known even when it has none."""
        chat_id = entry.chat_id
        if action == "src":
            await send_html(bot, chat_id, formatting.sources_message(entry.citations, entry.language))
        elif action == "more":
            await send_html(bot, chat_id, formatting.rest_message(entry.rest) if entry.rest else "…")
        elif action == "prt":
            async with typing(bot, chat_id):
                result = await asyncio.to_thread(self.services.partners.suggest, entry.query)
            await send_html(bot, chat_id, formatting.partners_message(result, entry.language))

    # -- /share -----------------------------------------------------------------------------------------------
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
        value = _message_text(update).strip()
        if not _MIN_TITLE <= len(value) <= LIMITS["title"]:
            await self._ask_step(update, context, "share_title_bad", SHARE_TITLE, max=LIMITS["title"])
        _remember(context, "title", value)
        await self._ask_step(update, context, "share_country", SHARE_COUNTRY)

    async def share_country(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        value = _message_text(update).strip()
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
        value = _message_text(update).strip()
        if not _MIN_PROBLEM <= len(value) <= LIMITS["summary"]:
            await self._ask_step(update, context, "share_problem_bad", SHARE_PROBLEM, max=LIMITS["summary"])
        _remember(context, "summary", value)
        await self._ask_step(update, context, "share_contact", SHARE_CONTACT)

    async def share_contact(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        lang = self.ui_language(update)
        value = _message_text(update).strip()
        contact = "" if value in SKIP else value
        if contact and (len(contact) > LIMITS["contact"] or not _CONTACT.match(contact)):
            await self._ask_step(update, context, "share_contact_bad", SHARE_CONTACT)
        draft = _draft(context)
        draft["contact"] = contact
        try:
            submission = await asyncio.to_thread(self.services.submissions.submit, draft, source="telegram")
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

    # -- errors -----------------------------------------------------------------------------------------------
    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        if isinstance(error, GalaxyError):
            log.warning("update %s: %s: %s", update_id, type(error).__name__, error)
        else:
            log.error("update %s failed", update_id, exc_info=error)
        if not isinstance(update, Update):
            return
        apology = text(self.ui_language(update), "apology")
        if update.callback_query is not None:
            with suppress(TelegramError):  # it may have been answered already
                await update.callback_query.answer()
        if update.effective_chat is not None:
            try:
                await context.bot.send_message(update.effective_chat.id, apology, link_preview_options=NO_PREVIEW)
            except TelegramError as exc:
                log.warning("could not send the apology to chat %s: %s", update.effective_chat.id, exc)
