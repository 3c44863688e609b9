"""LLD over age as server-rendered SVG (no JavaScript, no CDN): measured points and the predicted value at maturity."""

from __future__ import annotations

import math
from html import escape

from markupsafe import Markup

from conference.cases.prediction import Prediction

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 20, 20, 44


def _step(raw: float) -> float:
    """The smallest of 1, 2, 2.5 or 5 times a power of ten (at least 1) that is at least `raw`: any span."""
    if raw <= 1:
        return 1
    power = 10 ** math.floor(math.log10(raw))
    return next(power * f for f in (1, 2, 2.5, 5, 10) if power * f >= raw)


def _ticks(low: float, high: float, count: int = 6) -> list[float]:
    span = max(high - low, 1e-9)
    step = _step(span / count)
    first = (low // step) * step
    ticks, value = [], first
    while value <= high + 1e-9:
        if value >= low - 1e-9:
            ticks.append(value)
        value += step
    return ticks


def _finite(point) -> bool:
    return all(value is not None and math.isfinite(value) for value in point)


def lld_chart(
    points: list[tuple[float, float]],
    prediction: Prediction | None,
    *,
    title: str,
    x_label: str,
    y_label: str,
    predicted_label: str,
    history_label: str = "",
    chart_id: str = "lld-chart",
) -> Markup:
    """points: (age in years, LLD mm), on the age scale the prediction used. The prediction each visit gave is
    drawn at that visit's age (are the predictions stable?), the latest at maturity. Inline SVG with a title."""
    # Whatever was stored (an implausible value from before the plausibility rules, a prediction of metres from
    # inconsistent leg lengths), the chart draws it: only points that are not numbers are left out.
    series = [p for p in points if _finite(p)]
    predicted = None
    history: list[tuple[float, float]] = []
    if prediction is not None and prediction.available and prediction.maturity_age is not None:
        predicted = (max(prediction.maturity_age, max((p[0] for p in series), default=0)), prediction.value_mm)
        predicted = predicted if _finite(predicted) else None
        history = [p for p in ((h.age_years, h.value_mm) for h in prediction.history) if _finite(p)]
    everything = series + history + ([predicted] if predicted else [])
    if not everything:
        return Markup("")
    x_low = max(0.0, min(p[0] for p in everything) - 0.5)
    x_high = max(p[0] for p in everything) + 0.5
    y_low = min(0.0, min(p[1] for p in everything))
    y_high = max(max(p[1] for p in everything) * 1.15 + 1, y_low + 1)

    def x(value: float) -> float:
        return LEFT + (value - x_low) / (x_high - x_low) * (WIDTH - LEFT - RIGHT)

    def y(value: float) -> float:
        return HEIGHT - BOTTOM - (value - y_low) / (y_high - y_low) * (HEIGHT - TOP - BOTTOM)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title" class="lld-chart">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" height="{HEIGHT - TOP - BOTTOM}" fill="#fff" '
        f'stroke="#d6dbe3"/>',
    ]
    for tick in _ticks(y_low, y_high):
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#eef1f5"/>')
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="11" fill="#5b6473">'
            f"{tick:g}</text>"
        )
    for tick in _ticks(x_low, x_high):
        parts.append(
            f'<text x="{x(tick):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="11" '
            f'fill="#5b6473">{tick:g}</text>'
        )
    parts.append(
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 6}" text-anchor="middle" font-size="12" '
        f'fill="#1d2330">{escape(x_label)}</text>'
    )
    parts.append(
        f'<text x="14" y="{(TOP + HEIGHT - BOTTOM) / 2}" text-anchor="middle" font-size="12" fill="#1d2330" '
        f'transform="rotate(-90 14 {(TOP + HEIGHT - BOTTOM) / 2})">{escape(y_label)}</text>'
    )
    if len(series) > 1:
        path = " ".join(f"{'M' if i == 0 else 'L'}{x(a):.1f},{y(v):.1f}" for i, (a, v) in enumerate(series))
        parts.append(f'<path d="{path}" fill="none" stroke="#0b5cad" stroke-width="2"/>')
    for age, value in series:
        parts.append(
            f'<circle cx="{x(age):.1f}" cy="{y(value):.1f}" r="4" fill="#0b5cad" class="measured">'
            f"<title>{age:.1f}: {value:g} mm</title></circle>"
        )
    for age, value in history:
        parts.append(
            f'<rect x="{x(age) - 4:.1f}" y="{y(value) - 4:.1f}" width="8" height="8" fill="#fff" stroke="#b3261e" '
            f'transform="rotate(45 {x(age):.1f} {y(value):.1f})" class="predicted-at-visit">'
            f"<title>{escape(history_label)} {age:.1f}: {value:.1f} mm</title></rect>"
        )
    if predicted and series:
        last = series[-1]
        parts.append(
            f'<line x1="{x(last[0]):.1f}" y1="{y(last[1]):.1f}" x2="{x(predicted[0]):.1f}" '
            f'y2="{y(predicted[1]):.1f}" stroke="#b3261e" stroke-width="2" stroke-dasharray="6 4"/>'
        )
    if predicted:
        parts.append(
            f'<circle cx="{x(predicted[0]):.1f}" cy="{y(predicted[1]):.1f}" r="5" fill="#fff" '
            f'stroke="#b3261e" stroke-width="2" class="predicted"><title>{escape(predicted_label)}: '
            f"{predicted[1]:.1f} mm</title></circle>"
        )
        parts.append(
            f'<text x="{x(predicted[0]) - 8:.1f}" y="{y(predicted[1]) - 10:.1f}" text-anchor="end" '
            f'font-size="12" fill="#b3261e">{escape(predicted_label)} {predicted[1]:.0f} mm</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def case_chart(points: list[tuple[float, float]], prediction: Prediction | None, chart_id: str = "lld-chart") -> Markup:
    """The case summary's chart with its labels in the reader's language (`chart_id`: unique on pages with several)."""
    from flask_babel import gettext as _

    return lld_chart(
        points,
        prediction,
        title=_("Leg-length discrepancy over age"),
        x_label=_("Age (years; bone age where recorded)"),
        y_label=_("LLD (mm)"),
        predicted_label=_("Predicted at maturity"),
        history_label=_("Prediction from the visit at age"),
        chart_id=chart_id,
    )
