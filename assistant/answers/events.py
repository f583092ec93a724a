"""What `AnswerEngine.stream` yields: `Token` pieces of the answer as they come (a generated answer's come a
sentence at a time, each only once it passed the citation check), a `Reset` when the text shown so far is replaced
(by the extractive answer, when the model fails or nothing it wrote stands), and one `Final` answer last.

Each event is also the (name, payload) pair it travels as, the event name and data of the HTTP API's
Server-Sent Events: `kind, payload = event` works on any of them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from assistant.answers.engine import Answer


class Token(tuple[Literal["token"], str]):
    """A piece of the answer's text, to append to what came before; never text that has not been checked."""

    __slots__ = ()
    __match_args__ = ("text",)

    def __new__(cls, text: str) -> Token:
        return super().__new__(cls, ("token", text))

    @property
    def kind(self) -> Literal["token"]:
        return self[0]

    @property
    def text(self) -> str:
        return self[1]

    def __repr__(self) -> str:
        return f"Token({self.text!r})"


class Reset(tuple[Literal["reset"], str]):
    """The answer's whole text so far, replacing every piece that came before."""

    __slots__ = ()
    __match_args__ = ("text",)

    def __new__(cls, text: str) -> Reset:
        return super().__new__(cls, ("reset", text))

    @property
    def kind(self) -> Literal["reset"]:
        return self[0]

    @property
    def text(self) -> str:
        return self[1]

    def __repr__(self) -> str:
        return f"Reset({self.text!r})"


class Final(tuple[Literal["final"], "Answer"]):
    """The complete answer, always the last event."""

    __slots__ = ()
    __match_args__ = ("answer",)

    def __new__(cls, answer: Answer) -> Final:
        return super().__new__(cls, ("final", answer))

    @property
    def kind(self) -> Literal["final"]:
        return self[0]

    @property
    def answer(self) -> Answer:
        return self[1]

    def __repr__(self) -> str:
        return f"Final({self.answer!r})"


AnswerEvent = Token | Reset | Final
