"""Bar charts for the console, as numbers an SVG template draws: no JavaScript, no chart library."""

from __future__ import annotations

WIDTH, HEIGHT = 320, 140
TOP, BOTTOM = 16, 18  # room for the value above a bar and the label below the axis
MAX_TICKS = 6
MAX_BAR = 40  # a week or two of data: bars, not slabs


def bar_chart(series: list[tuple[str, int]], *, short: bool = False) -> dict:
    """One bar per (label, value), oldest first; labels are dates (YYYY-MM-DD), shown as MM-DD when `short`
    or when there are many, and only every few bars so they do not overlap on a phone."""
    if not series:
        return {"width": WIDTH, "height": HEIGHT, "base": HEIGHT - BOTTOM, "bars": []}
    base = HEIGHT - BOTTOM
    top = max(value for _, value in series) or 1
    slot = WIDTH / len(series)
    width = min(MAX_BAR, max(1.0, slot * 0.7))
    every = max(1, -(-len(series) // MAX_TICKS))
    bars = []
    for i, (label, value) in enumerate(series):
        height = round((base - TOP) * value / top, 1)
        tick = label[5:] if (short or len(series) > 3) and len(label) == 10 else label
        bars.append(
            {
                "x": round(i * slot + (slot - width) / 2, 1),
                "y": round(base - height, 1),
                "w": round(width, 1),
                "h": height,
                "value": value,
                "label": label,
                "tick": tick if i % every == 0 else "",
            }
        )
    return {"width": WIDTH, "height": HEIGHT, "base": base, "bars": bars}
