"""Delivering saved-need matches on Telegram: a background task sends the pending notification rows (written by
whichever process published the solution) and marks each one delivered once Telegram took it.

Sending goes through the Application's bot, so its rate limiter (AIORateLimiter: Telegram's 30 messages a second
overall, 20 a minute per group, RetryAfter waited out) paces it; a round sends at most `batch` messages, so a
large match never crowds out the answers.

The same rounds tell a /share submitter the moderators' decision (approved, or rejected with its reason): the
decided submission row is the outbox, marked told once Telegram took the message."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import TYPE_CHECKING

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, TelegramError

from bots import formatting
from bots.sending import send_html
from bots.texts import text

if TYPE_CHECKING:
    from assistant.community.needs import NeedMatch, SavedNeed, SavedNeedStore
    from assistant.community.submissions import Submission, SubmissionQueue

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 5.0
BATCH = 20


def unsubscribe_keyboard(token: str, lang: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(text(lang, "btn_unsubscribe"), callback_data=f"uns:{token}")]])


def match_message(need: SavedNeed, match: NeedMatch) -> str:
    lang = need.language
    return (
        f"🔔 {formatting.esc(text(lang, 'need_match', need=need.question))}\n\n"
        f"<b>{formatting.link(match.title, match.url or None)}</b>"
    )


def outcome_message(submission: Submission, lang: str) -> str:
    if submission.status == "approved":
        return text(lang, "share_approved", title=submission.title)
    if submission.reason:
        return text(lang, "share_rejected", title=submission.title, reason=submission.reason)
    return text(lang, "share_rejected_plain", title=submission.title)


class NeedNotifier:
    def __init__(
        self,
        needs: SavedNeedStore,
        *,
        submissions: SubmissionQueue | None = None,
        interval_s: float = POLL_INTERVAL_S,
        batch: int = BATCH,
    ):
        self.needs = needs
        self.submissions = submissions
        self.interval_s = interval_s
        self.batch = batch
        self._task: asyncio.Task | None = None

    def start(self, bot: Bot) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(bot), name="galaxy-need-notifier")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self, bot: Bot) -> None:
        while True:
            for deliver in (self.deliver, self.deliver_outcomes):
                try:
                    await deliver(bot)
                except Exception:  # a bad round (database locked, Telegram away) is retried on the next one
                    log.exception("delivering Telegram notifications failed (%s)", deliver.__name__)
            await asyncio.sleep(self.interval_s)

    async def deliver(self, bot: Bot) -> int:
        """Send one batch of pending notifications; returns how many were delivered."""
        pending = await asyncio.to_thread(self.needs.pending, "telegram", self.batch)
        delivered = 0
        for need, match in pending:
            if need.chat_id is None:
                continue
            try:
                await send_html(
                    bot, need.chat_id, match_message(need, match), unsubscribe_keyboard(need.token, need.language)
                )
            except (Forbidden, BadRequest) as exc:  # blocked by the user, chat gone: never deliverable
                log.warning("saved need %s: chat %s cannot be reached (%s); closing it", need.id, need.chat_id, exc)
                await asyncio.to_thread(self.needs.unsubscribe, need.token)
            except TelegramError as exc:  # transient: retried next round
                log.warning("saved need %s: notification not sent yet (%s)", need.id, exc)
                continue
            else:
                delivered += 1
            await asyncio.to_thread(self.needs.mark_sent, [match.id])
        return delivered

    async def deliver_outcomes(self, bot: Bot) -> int:
        """Tell one batch of /share submitters their submission's outcome; returns how many were told."""
        if self.submissions is None:
            return 0
        untold = await asyncio.to_thread(self.submissions.untold, self.batch)
        told = 0
        for submission, chat_id, lang in untold:
            try:
                await send_html(bot, chat_id, formatting.esc(outcome_message(submission, lang)))
            except (Forbidden, BadRequest) as exc:  # blocked by the user, chat gone: never deliverable
                log.warning("submission %s: its submitter cannot be reached (%s)", submission.id, exc)
            except TelegramError as exc:  # transient: retried next round
                log.warning("submission %s: outcome not told yet (%s)", submission.id, exc)
                continue
            else:
                told += 1
            await asyncio.to_thread(self.submissions.mark_told, submission.id)
        return told
