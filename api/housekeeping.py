"""Background upkeep while the server runs: old conversation turns are deleted (`conversation_retention_days`)."""

from __future__ import annotations

import asyncio
import logging

import anyio.to_thread

from assistant.answers.conversation import ConversationStore

log = logging.getLogger("api")

#: How often the retention is applied; turns outlive it by at most this much.
PRUNE_EVERY_S = 3600.0
DAY_S = 86_400.0


async def prune_forever(
    conversations: ConversationStore, retention_days: float, every_s: float = PRUNE_EVERY_S
) -> None:
    """Delete turns older than `retention_days` now and every `every_s` seconds; never raises (a failed
    pass is logged and retried next time)."""
    if retention_days <= 0:
        return
    while True:
        try:
            deleted = await anyio.to_thread.run_sync(conversations.prune, retention_days * DAY_S)
            if deleted:
                log.info("retention: %d conversation turns older than %g days deleted", deleted, retention_days)
        except Exception:
            log.exception("retention: pruning conversations failed")
        await asyncio.sleep(every_s)


def start_pruning(conversations: ConversationStore, retention_days: float, every_s: float = PRUNE_EVERY_S):
    return asyncio.get_running_loop().create_task(prune_forever(conversations, retention_days, every_s))
