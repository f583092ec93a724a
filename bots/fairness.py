"""Fair use on Telegram: a per-user question quota, and, in groups, answering only what is addressed to the bot."""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from telegram import Message, MessageEntity

#: Users kept in memory; the quietest are forgotten first when more write at once.
MAX_TRACKED_USERS = 50_000


class UserQuota:
    """At most `per_minute` questions per user in any 60 seconds (a sliding window, in memory: a quota that
    restarts with the bot is still a quota). `per_minute` 0 means no limit."""

    def __init__(self, per_minute: int, window_s: float = 60.0):
        self.per_minute = per_minute
        self.window_s = window_s
        self._asked: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}  # user -> until when the "please wait" was already said
        self._lock = threading.Lock()

    def wait_s(self, user_id: int, now: float | None = None) -> float:
        """0 when the user may ask now (and the question is counted), else the seconds until they may."""
        if self.per_minute <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            asked = self._asked.pop(user_id, None) or deque()
            self._asked[user_id] = asked  # most recently active last
            while asked and asked[0] <= now - self.window_s:
                asked.popleft()
            if len(asked) < self.per_minute:
                asked.append(now)
                self._forget_oldest()
                return 0.0
            return asked[0] + self.window_s - now

    def should_warn(self, user_id: int, wait_s: float, now: float | None = None) -> bool:
        """True once per refusal period: a flood gets one polite message, not one per message."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if self._warned.get(user_id, 0.0) > now:
                return False
            self._warned[user_id] = now + wait_s
            return True

    def _forget_oldest(self) -> None:
        while len(self._asked) > MAX_TRACKED_USERS:
            user = next(iter(self._asked))
            del self._asked[user]
            self._warned.pop(user, None)


def seconds(wait_s: float) -> int:
    return max(1, math.ceil(wait_s))


def addressed_text(message: Message, bot_id: int, bot_username: str | None) -> str | None:
    """In a group, the text of a message addressed to the bot (an @mention, removed, or a reply to one of its
    messages); None for the rest of the group's talk. Private messages are always addressed to the bot."""
    text = message.text or ""
    if message.chat.type == "private":
        return text
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return text
    mention = f"@{bot_username}".casefold() if bot_username else None
    for entity, value in message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items():
        to_bot = (entity.type == MessageEntity.MENTION and value.casefold() == mention) or (
            entity.user is not None and entity.user.id == bot_id
        )
        if to_bot:
            return " ".join(text.replace(value, " ").split())
    return None
