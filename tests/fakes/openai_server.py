"""A scriptable OpenAI-compatible chat server on loopback, for testing the LLM backends and their fallbacks."""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler

from tests.fakes.loopback import LoopbackServer


class FakeOpenAI(LoopbackServer):
    def __init__(self):
        self.mode = "ok"  # ok | error | hang
        self.reply = "Hello [1]."
        self.hang_seconds = 30.0
        self.requests: list[dict] = []
        super().__init__()

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                fake.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                if fake.mode == "error":
                    self.send_response(500)
                    self.end_headers()
                    self.wfile.write(b'{"error": "boom"}')
                    return
                if fake.mode == "hang":
                    time.sleep(fake.hang_seconds)
                if self.path.endswith("/api/chat"):  # native Ollama: one JSON object per line
                    self.send_response(200)
                    self.send_header("Content-Type", "application/x-ndjson")
                    self.end_headers()
                    for word in fake.reply.split(" "):
                        self.wfile.write(
                            (json.dumps({"message": {"content": word + " "}, "done": False}) + "\n").encode()
                        )
                    self.wfile.write(b'{"message": {"content": ""}, "done": true}\n')
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for word in fake.reply.split(" "):
                    chunk = {"choices": [{"delta": {"content": word + " "}}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")

        return Handler
