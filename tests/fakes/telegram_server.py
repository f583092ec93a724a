"""A fake Telegram Bot API on loopback, for driving the real python-telegram-bot Application in tests.

It implements POST /bot<token>/<method> for what the bot calls (getMe, getUpdates with a short long-poll,
sendMessage, editMessageText, answerCallbackQuery, sendChatAction, deleteWebhook, setMyCommands, ...), records
every call with its decoded parameters, and answers with realistic JSON. Like Telegram it refuses malformed
HTML (400 "can't parse entities"), messages over 4096 characters, empty texts and callback_data over 64 bytes.
Switches: `fail_html_once` (the next HTML sendMessage is refused as unparsable) and `retry_after_once`
(the next sendMessage gets 429 with that retry_after).

    with FakeTelegram() as telegram:
        application = build_bot(services, token=telegram.token, base_url=telegram.base_url)
        telegram.queue_message(42, "/start", language_code="fr")
        call = telegram.wait_for("sendMessage", chat_id=42)
"""

from __future__ import annotations

import contextlib
import html
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl

from tests.fakes.loopback import LoopbackServer

BOT_USER = {
    "id": 777000111,
    "is_bot": True,
    "first_name": "Galaxy",
    "username": "galaxy_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
JSON_FIELDS = {
    "reply_markup",
    "allowed_updates",
    "commands",
    "link_preview_options",
    "entities",
    "scope",
    "reply_parameters",
    "caption_entities",
}
INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "cache_time", "max_connections"}
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "blockquote",
    "tg-emoji",
}
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)((?:\s+[^<>]*)?)>")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")


def utf16_len(value: str) -> int:
    return len(value.encode("utf-16-le")) // 2


def parse_html(source: str) -> tuple[str | None, str | None]:
    """Telegram-style strict parse: (visible text, None) or (None, error description)."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "<":
            match = _TAG.match(source, i)
            if match is None:
                return None, f"Bad Request: can't parse entities: Unexpected start tag at byte offset {i}"
            closing, name = match.group(1), match.group(2).lower()
            if name not in ALLOWED_TAGS:
                return None, f'Bad Request: can\'t parse entities: Unsupported start tag "{name}" at byte offset {i}'
            if closing:
                if not stack or stack[-1] != name:
                    return None, (
                        f"Bad Request: can't parse entities: Can't find end tag corresponding to start "
                        f'tag "{stack[-1] if stack else name}"'
                    )
                stack.pop()
            else:
                if name == "a" and not re.match(r'\s+href="[^"]*"\s*$', match.group(3) or ""):
                    return None, "Bad Request: can't parse entities: Bad link tag"
                stack.append(name)
            i = match.end()
        elif char == "&":
            match = _ENTITY.match(source, i)
            if match is None:
                return None, f"Bad Request: can't parse entities: Unsupported HTML entity at byte offset {i}"
            out.append(html.unescape(match.group(0)))
            i = match.end()
        elif char == ">":
            return None, f"Bad Request: can't parse entities: Unexpected end tag at byte offset {i}"
        else:
            out.append(char)
            i += 1
    if stack:
        return None, f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1]}\""
    return "".join(out), None


@dataclass
class Call:
    index: int
    method: str
    params: dict
    status: int = 200
    response: object = None
    at: float = field(default_factory=time.monotonic)

    @property
    def chat_id(self):
        return self.params.get("chat_id")

    @property
    def text(self) -> str:
        return self.params.get("text", "")

    @property
    def ok(self) -> bool:
        return self.status == 200

    def buttons(self) -> list[dict]:
        markup = self.params.get("reply_markup") or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]

    def callback_data(self) -> list[str]:
        return [b["callback_data"] for b in self.buttons() if "callback_data" in b]


class FakeTelegram(LoopbackServer):
    def __init__(self, token: str = "123456:TEST-fake-token"):
        self.token = token
        self.calls: list[Call] = []
        self.messages: dict[int, dict] = {}  # messages the bot sent, by message_id
        self.fail_html_once = False
        self.retry_after_once: int | None = None
        self.poll_wait_s = 0.5
        self._updates: list[dict] = []
        self._cond = threading.Condition()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(5000)
        self._callback_ids = itertools.count(9000)
        super().__init__()

    # -- lifecycle --------------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"{self.root_url}/bot"

    # -- driving the bot ----------------------------------------------------------------------------------------
    def _user(self, user_id: int, language_code: str | None, first_name: str) -> dict:
        user = {"id": user_id, "is_bot": False, "first_name": first_name}
        if language_code:
            user["language_code"] = language_code
        return user

    def _chat(self, chat_id: int, first_name: str) -> dict:
        return {"id": chat_id, "type": "private", "first_name": first_name}

    def message_update(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        language_code: str | None = "en",
        first_name: str = "Amina",
        user_id: int | None = None,
        **extra,
    ) -> dict:
        """A private-chat message update from a user (commands get their bot_command entity), not queued."""
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id, first_name),
            "from": self._user(user_id or chat_id, language_code, first_name),
            **extra,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split(maxsplit=1)[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        return {"update_id": next(self._update_ids), "message": message}

    def callback_update(
        self,
        chat_id: int,
        data: str,
        *,
        message_id: int | None = None,
        language_code: str | None = "en",
        first_name: str = "Amina",
    ) -> dict:
        """A button press on a message the bot sent (the last one to that chat by default), not queued."""
        if message_id is None:
            sent = [m for m in self.messages.values() if m["chat"]["id"] == chat_id]
            message = (
                sent[-1]
                if sent
                else {"message_id": 1, "date": int(time.time()), "chat": self._chat(chat_id, first_name), "text": "…"}
            )
        else:
            message = self.messages[message_id]
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": str(next(self._callback_ids)),
                "from": self._user(chat_id, language_code, first_name),
                "chat_instance": f"ci-{chat_id}",
                "data": data,
                "message": {**message, "from": BOT_USER},
            },
        }

    def _push(self, update: dict) -> dict:
        with self._cond:
            self._updates.append(update)
            self._cond.notify_all()
        return update

    def queue_message(self, chat_id: int, text: str | None = None, **kwargs) -> dict:
        """Queue a message for the bot's next getUpdates; see message_update for the arguments."""
        return self._push(self.message_update(chat_id, text, **kwargs))

    def queue_callback(self, chat_id: int, data: str, **kwargs) -> str:
        """Queue a button press; returns the callback query id. See callback_update for the arguments."""
        return self._push(self.callback_update(chat_id, data, **kwargs))["callback_query"]["id"]

    def mark(self) -> int:
        """Index to pass as `after` so that only later calls count."""
        with self._cond:
            return len(self.calls)

    def calls_to(self, method: str, chat_id: int | None = None, after: int = 0) -> list[Call]:
        with self._cond:
            return [c for c in self.calls[after:] if c.method == method and (chat_id is None or c.chat_id == chat_id)]

    def wait_for(
        self,
        method: str,
        chat_id: int | None = None,
        *,
        after: int = 0,
        count: int = 1,
        timeout: float = 60.0,
        ok_only: bool = True,
    ) -> list[Call]:
        """Wait until `count` calls of `method` (to `chat_id`, after index `after`) have been answered."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [
                    c
                    for c in self.calls[after:]
                    if c.method == method and (chat_id is None or c.chat_id == chat_id) and (c.ok or not ok_only)
                ]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(c.method, c.chat_id, c.status) for c in self.calls[after:]]
                    raise AssertionError(f"timed out waiting for {count} {method} to {chat_id}; saw {seen}")
                self._cond.wait(min(left, 0.5))

    # -- the server -----------------------------------------------------------------------------------------------
    def _record(self, method: str, params: dict, status: int, response: object) -> None:
        with self._cond:
            self.calls.append(Call(len(self.calls), method, params, status, response))
            self._cond.notify_all()

    def _message(self, chat_id: int, text: str, reply_markup: dict | None, message_id: int | None = None) -> dict:
        message = {
            "message_id": message_id or next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Amina"},
            "from": BOT_USER,
            "text": text,
        }
        if reply_markup:
            message["reply_markup"] = reply_markup
        return message

    def _check_text(self, params: dict) -> tuple[str | None, str | None]:
        text = params.get("text", "")
        if params.get("parse_mode") == "HTML":
            visible, error = parse_html(text)
            if error:
                return None, error
        elif params.get("parse_mode"):
            visible = text  # not needed by these tests
        else:
            visible = text
        if not visible.strip():
            return None, "Bad Request: message text is empty"
        if utf16_len(visible) > 4096:
            return None, "Bad Request: message is too long"
        for row in (params.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if len(button.get("callback_data", "").encode()) > 64:
                    return None, "Bad Request: BUTTON_DATA_INVALID"
        return visible, None

    def _dispatch(self, method: str, params: dict) -> tuple[int, dict]:
        def ok(result):
            return 200, {"ok": True, "result": result}

        def bad(description, code=400, **more):
            return code, {"ok": False, "error_code": code, "description": description, **more}

        if method == "getMe":
            return ok(BOT_USER)
        if method in (
            "deleteWebhook",
            "setWebhook",
            "setMyCommands",
            "deleteMyCommands",
            "sendChatAction",
            "close",
            "logOut",
        ):
            return ok(True)
        if method == "getWebhookInfo":
            return ok({"url": "", "has_custom_certificate": False, "pending_update_count": len(self._updates)})
        if method == "getMyCommands":
            return ok([])
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            wait = min(float(params.get("timeout") or 0), self.poll_wait_s)
            deadline = time.monotonic() + wait
            with self._cond:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                while not self._updates and time.monotonic() < deadline:
                    self._cond.wait(deadline - time.monotonic())
                return ok(list(self._updates[: int(params.get("limit") or 100)]))
        if method == "answerCallbackQuery":
            if len(params.get("text") or "") > 200:
                return bad("Bad Request: MESSAGE_TOO_LONG")
            return ok(True)
        if method in ("sendMessage", "editMessageText"):
            with self._cond:
                retry, fail_html = None, False
                if method == "sendMessage" and self.retry_after_once is not None:
                    retry, self.retry_after_once = self.retry_after_once, None
                elif method == "sendMessage" and self.fail_html_once and params.get("parse_mode") == "HTML":
                    fail_html, self.fail_html_once = True, False
            if retry is not None:
                return bad(f"Too Many Requests: retry after {retry}", 429, parameters={"retry_after": retry})
            if fail_html:
                return bad('Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 0')
            visible, error = self._check_text(params)
            if error:
                return bad(error)
            message = self._message(
                int(params["chat_id"]),
                visible,
                params.get("reply_markup"),
                params.get("message_id") if method == "editMessageText" else None,
            )
            self.messages[message["message_id"]] = message
            return ok(message)
        if method == "editMessageReplyMarkup":
            message = self.messages.get(params.get("message_id"))
            return ok(message or True)
        return bad("Not Found: method not found", 404)

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                prefix = f"/bot{fake.token}/"
                if not self.path.startswith(prefix):
                    self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
                    return
                method = self.path[len(prefix) :].split("?", 1)[0]
                params = self._params(raw)
                status, body = fake._dispatch(method, params)
                fake._record(method, params, status, body.get("result", body))
                self._reply(status, body)

            def _params(self, raw: bytes) -> dict:
                kind = self.headers.get("Content-Type", "")
                if "json" in kind:
                    return json.loads(raw or b"{}")
                params: dict = {}
                for key, value in parse_qsl(raw.decode(), keep_blank_values=True):
                    if key in JSON_FIELDS:
                        value = json.loads(value)
                    elif key in INT_FIELDS:
                        with contextlib.suppress(ValueError):
                            value = int(value)
                    params[key] = value
                return params

            def _reply(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                # The client may give up on a long poll while shutting down.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

        return Handler
