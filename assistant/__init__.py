"""Galaxy Assistant core: knowledge base, retrieval, answers and partner matching (no web or Telegram code)."""

__version__ = "0.1.0"
