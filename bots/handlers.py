"""Telegram handlers: each parses the update, calls one service (in a worker thread: they are blocking), and maps
the result to one compact HTML message. Failures reach `on_error`, which logs the traceback and tells the user a
short apology in their language; nothing internal is ever shown in a chat."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import TYPE_CHECKING

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
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from assistant.answers.compose import NOTHING_EXACT
from assistant.errors import GalaxyError, NotFound
from bots import formatting
from bots.fairness import UserQuota, addressed_text, seconds
from bots.notify import NeedNotifier, unsubscribe_keyboard
from bots.seeker import SeekerFlow, targets
from bots.sending import NO_PREVIEW, send_html, send_plain, typing
from bots.share import ShareFlow
from bots.state import AnswerEntry, AnswerStore, ChatPreferences
from bots.texts import COMMANDS, DEFAULT_LANGUAGE, LANGUAGE_LABELS, LANGUAGES, examples, normalise_language, text

if TYPE_CHECKING:
    from assistant.container import Services

log = logging.getLogger(__name__)

ANSWER_ACTIONS = ("src", "prt", "more", "up", "dn", "ntf", "cnx", "cnt")


def session_id(chat_id: int) -> str:
    return f"tg-{chat_id}"


def _command_argument(message: Message | None) -> str:
    parts = (message.text or "").split(maxsplit=1) if message else []
    return parts[1].strip() if len(parts) > 1 else ""


def _chat_id(update: Update) -> int | None:
    """The chat to reply in; None for the updates that have none (e.g. a button under an inline-mode message)."""
    return update.effective_chat.id if update.effective_chat else None


class GalaxyBot(ShareFlow, SeekerFlow):
    """The bot's behaviour over the shared services; `register` adds its handlers to an Application."""

    def __init__(
        self,
        services: Services,
        preferences: ChatPreferences,
        cache: AnswerStore | None = None,
        *,
        max_question_chars: int = 2000,
        compact_chars: int = formatting.COMPACT_CHARS,
        quota: UserQuota | None = None,
        notifier: NeedNotifier | None = None,
    ):
        self.services = services
        self.preferences = preferences
        self.cache = cache if cache is not None else AnswerStore(services.kb.database)
        self.quota = quota or UserQuota(0)
        self.notifier = notifier
        self._init_seeker()
        self.max_question_chars = max_question_chars
        self.compact_chars = compact_chars
        self._closed = False

    # -- wiring ---------------------------------------------------------------------------------------------
    def register(self, application: Application) -> None:
        # Group 0: the /share conversation. Its steps stop further processing, so a step's text is not also
        # taken as a question; any other command ends it and then runs normally in group 1.
        application.add_handler(self.share_conversation(), group=0)
        # Group -1: the reply to a question of "Connect me" or of a 👎 (bots.seeker), before anything else.
        application.add_handler(
            MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT, self.on_waiting_text), group=-1
        )
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
        if self.notifier is not None:
            self.notifier.start(application.bot)

    async def post_shutdown(self, application: Application) -> None:
        if self.notifier is not None:
            await self.notifier.stop()
        await self.flush_comments()
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
        """A question; in a group only one addressed to the bot (mentioned, or a reply to it), the rest is talk."""
        message = update.effective_message
        question = addressed_text(message, context.bot.id, context.bot.username) if message else None
        if question is not None:
            await self.answer(update, context, question)

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
        if await self._refuse_if_too_long(context.bot, chat_id, need, lang) or await self._over_quota(
            update, context.bot, chat_id, lang
        ):
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

    async def _over_quota(self, update: Update, bot: Bot, chat_id: int, lang: str) -> bool:
        """Past the user's questions per minute: True, after asking them once, politely, to wait."""
        user = update.effective_user
        key = user.id if user is not None else chat_id
        wait = self.quota.wait_s(key)
        if not wait:
            return False
        if self.quota.should_warn(key, wait):
            await send_plain(bot, chat_id, text(lang, "slow_down", seconds=seconds(wait)))
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
        if await self._over_quota(update, context.bot, chat_id, ui):
            return
        chosen = self.preferences.language(chat_id)
        async with typing(context.bot, chat_id):
            answer = await asyncio.to_thread(self.services.engine.ask, question, session_id(chat_id), language=chosen)
        lang = answer.language if answer.language in LANGUAGES else ui
        html_text, rest = formatting.answer_message(answer, lang, self.compact_chars)
        if echo:
            html_text = f"<i>{formatting.esc(text(lang, 'asked', question=question))}</i>\n\n{html_text}"
        key = await asyncio.to_thread(
            self.cache.put,
            AnswerEntry(
                chat_id=chat_id,
                session_id=session_id(chat_id),
                question=question,
                query=answer.query or question,
                answer_id=answer.answer_id,
                language=lang,
                citations=list(answer.citations),
                rest=rest,
                outcome=answer.outcome,
                partners=list(answer.partners),
            ),
        )
        await send_html(
            context.bot,
            chat_id,
            html_text,
            self.answer_keyboard(
                key,
                lang,
                sources=bool(answer.citations),
                partners=answer.grounded,
                more=bool(rest),
                notify=answer.outcome == NOTHING_EXACT,
                connect=bool(answer.answer_id and (answer.citations or answer.partners)),
            ),
        )

    @staticmethod
    def answer_keyboard(
        key: str, lang: str, *, sources: bool, partners: bool, more: bool, notify: bool = False, connect: bool = False
    ) -> InlineKeyboardMarkup:
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
        third = [InlineKeyboardButton(text(lang, "btn_connect"), callback_data=f"cnx:{key}")] if connect else []
        if notify:
            third.append(InlineKeyboardButton(text(lang, "btn_notify"), callback_data=f"ntf:{key}"))
        return InlineKeyboardMarkup([row for row in (first, second, third) if row])

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
        if await self._answer_unkeyed(context.bot, query, action, key, chat_id, ui):
            return
        key, _, index = key.partition(":")  # "cnt:<key>:<target>"
        entry = await asyncio.to_thread(self.cache.get, key, chat_id) if action in ANSWER_ACTIONS else None
        if entry is None or (action == "cnt" and not await self.start_connect(context.bot, query, entry, index)):
            await query.answer(text(ui, "expired"))
            return
        if action in ("up", "dn", "ntf", "cnx", "cnt"):
            await self._act(context.bot, query, action, key, entry)
            return
        await query.answer()
        if action == "prt" and await self._over_quota(update, context.bot, entry.chat_id, entry.language):
            return
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

    async def _answer_unkeyed(
        self, bot: Bot, query: CallbackQuery, action: str, key: str, chat_id: int | None, ui: str
    ) -> bool:
        """The buttons that carry no answer key: unsubscribe, consent, skip a comment."""
        if action == "uns":
            await self._unsubscribe(query, key, chat_id, ui)
        elif action == "cns":
            await self.on_consent(bot, query, chat_id, key, ui)
        elif action == "skp":
            await self.skip_comment(bot, query, chat_id)
        else:
            return False
        return True

    async def _act(self, bot: Bot, query: CallbackQuery, action: str, key: str, entry: AnswerEntry) -> None:
        if action == "up":
            await self._rate(query, key, entry, "up")
        elif action == "dn":
            if entry.rated:
                await query.answer(text(entry.language, "feedback_already"))
            else:
                await self.ask_comment(bot, query, key, entry)
        elif action == "ntf":
            await self._save_need(bot, query, entry)
        elif action == "cnx" and targets(entry):
            await self.offer_targets(bot, query, key, entry)
        elif action == "cnx":
            await query.answer(text(entry.language, "expired"))

    async def _rate(self, query: CallbackQuery, key: str, entry: AnswerEntry, rating: str) -> None:
        # Claimed in the store first: two presses, on this replica or another, store one rating.
        if entry.rated or not await asyncio.to_thread(self.cache.rate, key, rating):
            await query.answer(text(entry.language, "feedback_already"))
            return
        try:
            await asyncio.to_thread(
                self.services.feedback.add, entry.session_id, entry.answer_id, rating, "", source="telegram"
            )
        except Exception:
            await asyncio.to_thread(self.cache.unrate, key, rating)  # not stored: the button may be pressed again
            raise
        entry.rated = rating
        await query.answer(text(entry.language, "feedback_thanks"))

    async def _save_need(self, bot: Bot, query: CallbackQuery, entry: AnswerEntry) -> None:
        """ "Tell me when a solution appears": the question saved as a need of this chat."""
        need = await asyncio.to_thread(
            lambda: self.services.needs.save(
                session_id=entry.session_id,
                question=entry.question,
                channel="telegram",
                chat_id=entry.chat_id,
                answer_id=entry.answer_id,
                language=entry.language,
            )
        )
        await query.answer()
        await send_plain(
            bot, entry.chat_id, text(entry.language, "notify_saved"), unsubscribe_keyboard(need.token, entry.language)
        )

    async def _unsubscribe(self, query: CallbackQuery, token: str, chat_id: int | None, lang: str) -> None:
        """The "stop" button under a saved need: only in the chat that saved it."""
        try:
            need, _ = await asyncio.to_thread(self.services.needs.get, token)
        except NotFound:
            need = None
        if need is None or need.chat_id != chat_id:
            await query.answer(text(lang, "expired"))
            return
        await asyncio.to_thread(self.services.needs.unsubscribe, token)
        await query.answer(text(need.language or lang, "unsubscribed"))
        with suppress(TelegramError):  # the button has done its work
            await query.edit_message_reply_markup(reply_markup=None)

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
