"""The public page's charts as inline SVG: a few dozen elements each, drawn in microseconds on
the event loop, scaled by the browser to any width (a phone's 360 px too), and readable with
images off (each has a title and the table beside it holds the same figures).

Every label is escaped here; a bar whose count may not be published (1..4) is not drawn at
its height: it gets the "< 5" label only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 320, 180
TOP, BOTTOM, LEFT, RIGHT = 22, 34, 8, 8
BAR = "#2b6cb0"
MUTED = "#a0aec0"


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar
    value: float | None  # None: nothing drawn (not published or none)
    caption: str  # above the bar: the value as published ("84,03 B", "< 5", "12")


def _text(x: float, y: float, text: str, size: int = 10, anchor: str = "middle") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}">'
        f"{escape(text)}</text>"
    )


def bar_chart(
    title: str, bars: Sequence[Bar], top: float, guides: Sequence[tuple[str, float]] = ()
) -> str:
    """Bars from 0 to ``top``, with dashed ``guides`` (label, value) such as grade limits."""
    right = RIGHT + (10 if guides else 0)  # the guides' letters sit in a margin of their own
    inner_w = WIDTH - LEFT - right
    inner_h = HEIGHT - TOP - BOTTOM
    base = TOP + inner_h
    slot = inner_w / max(len(bars), 1)
    small = len(bars) > 6  # twelve months: smaller print
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="{MUTED}"/>',
    ]
    for label, value in guides:
        y = base - inner_h * value / top
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" '
            f'stroke="{MUTED}" stroke-dasharray="3 3"/>'
        )
        parts.append(_text(WIDTH - RIGHT, y + 3, label, 8, "end"))
    for position, bar in enumerate(bars):
        x = LEFT + slot * position
        middle = x + slot / 2
        height = 0.0 if bar.value is None else inner_h * min(bar.value, top) / top
        if height > 0:
            parts.append(
                f'<rect x="{x + slot * 0.15:.1f}" y="{base - height:.1f}" '
                f'width="{slot * 0.7:.1f}" height="{height:.1f}" fill="{BAR}"/>'
            )
        parts.append(_text(middle, base - height - 3, bar.caption, 8 if small else 11))
        parts.append(_text(middle, base + 14, bar.label, 8 if small else 11))
    parts.append("</svg>")
    return "".join(parts)
