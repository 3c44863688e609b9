"""Planned against achieved lengthening as server-rendered SVG (no JavaScript, no CDN): the plan as a line, each
recorded visit as a point, so a deviation is visible at a glance."""

from __future__ import annotations

from datetime import date
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 20, 20, 40


def length_chart(
    planned: list[tuple[date, float]],
    achieved: list[tuple[date, float]],
    *,
    title: str,
    planned_label: str,
    achieved_label: str,
    y_label: str,
) -> Markup:
    days = [d for d, _ in planned + achieved]
    if not days:
        return Markup("")
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    top = max([v for _, v in planned + achieved] + [1.0]) * 1.1

    def x(day: date) -> float:
        return LEFT + (day - first).days / span * (WIDTH - LEFT - RIGHT)

    def y(value: float) -> float:
        return HEIGHT - BOTTOM - value / top * (HEIGHT - TOP - BOTTOM)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="length-chart-title" class="length-chart">',
        f'<title id="length-chart-title">{escape(title)}</title>',
        f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" height="{HEIGHT - TOP - BOTTOM}" fill="#fff" '
        f'stroke="#d6dbe3"/>',
        f'<text x="14" y="{(TOP + HEIGHT - BOTTOM) / 2}" font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 14 {(TOP + HEIGHT - BOTTOM) / 2})">{escape(y_label)}</text>',
    ]
    step = max(5, round(top / 5 / 5) * 5)
    value = 0
    while value <= top:
        parts.append(f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" font-size="11" text-anchor="end">{value:g}</text>')
        value += step
    for label_day in (first, last):
        parts.append(
            f'<text x="{x(label_day):.1f}" y="{HEIGHT - BOTTOM + 16}" font-size="11" text-anchor="middle">'
            f"{label_day.isoformat()}</text>"
        )
    if planned:
        path = " ".join(f"{'M' if i == 0 else 'L'}{x(d):.1f},{y(v):.1f}" for i, (d, v) in enumerate(planned))
        parts.append(f'<path d="{path}" fill="none" stroke="#0b5cad" stroke-width="2" class="planned"/>')
    for day, value in achieved:
        parts.append(
            f'<circle cx="{x(day):.1f}" cy="{y(value):.1f}" r="5" fill="#b3261e" class="achieved">'
            f"<title>{escape(achieved_label)} {day.isoformat()}: {value:g} mm</title></circle>"
        )
    parts.append(
        f'<text x="{WIDTH - RIGHT}" y="{TOP + 14}" font-size="12" text-anchor="end" fill="#0b5cad">'
        f"— {escape(planned_label)}</text>"
        f'<text x="{WIDTH - RIGHT}" y="{TOP + 30}" font-size="12" text-anchor="end" fill="#b3261e">'
        f"● {escape(achieved_label)}</text>"
    )
    parts.append("</svg>")
    return Markup("".join(parts))
