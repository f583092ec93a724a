"""The data files of assistant/data/ (countries, regions, SDGs, intents, snippet and fact words, injection
patterns), each read and parsed once; callers must not change what they get."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any


@functools.cache
def read_data(file: str) -> dict[str, Any]:
    text = (resources.files("assistant") / "data" / file).read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{file}: expected a JSON object at the top level")
    return data
