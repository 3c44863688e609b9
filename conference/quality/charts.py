"""The quality page's figures, drawn with matplotlib (a maintained plotting library) as SVG on our own server:
no JavaScript, no CDN, text that screen readers and printouts keep. One small figure per table.

Figures are made with matplotlib's object interface (`Figure`), never `pyplot`: pyplot keeps a global registry of
open figures that is not thread-safe, and `make run` serves with threaded workers."""

from __future__ import annotations

import base64
import io

import matplotlib
from markupsafe import Markup
from matplotlib.figure import Figure

# Set once when the module loads, read by every figure after: never changed while figures are drawn.
matplotlib.rcParams.update(
    {"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False}
)
BLUE, RED, GREY = "#0b5cad", "#b3261e", "#5b6473"


def _svg(figure, title: str) -> Markup:
    """The figure as an SVG image in the page. As an <img> with a data: URL, because matplotlib styles its SVG
    with style attributes, which the page's Content-Security-Policy (no inline styles) would refuse inline."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return Markup(f'<img class="quality-chart" alt="{Markup.escape(title)}" src="data:image/svg+xml;base64,{encoded}">')


def _figure(width: float, height: float):
    """A new figure and its axes, owned by the caller alone (nothing global is registered)."""
    figure = Figure(figsize=(width, height))
    return figure, figure.subplots()


def bars(labels: list[str], values: list[float], *, title: str, y_label: str, color: str = BLUE) -> Markup:
    if not labels:
        return Markup("")
    figure, axes = _figure(6.4, 2.6)
    axes.bar(range(len(values)), [v or 0 for v in values], color=color)
    axes.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    axes.set_ylabel(y_label)
    axes.set_title(title)
    return _svg(figure, title)


def paired_bars(labels, first, second, *, title, first_label, second_label, y_label) -> Markup:
    if not labels:
        return Markup("")
    figure, axes = _figure(6.4, 2.6)
    x = range(len(labels))
    axes.bar([i - 0.2 for i in x], first, width=0.4, color=GREY, label=first_label)
    axes.bar([i + 0.2 for i in x], second, width=0.4, color=BLUE, label=second_label)
    step = max(1, len(labels) // 12)
    axes.set_xticks(list(x)[::step], labels[::step], rotation=30, ha="right")
    axes.set_ylabel(y_label)
    axes.set_title(title)
    axes.legend(frameon=False)
    return _svg(figure, title)


def scatter_identity(points: list[tuple[float, float]], *, title: str, x_label: str, y_label: str) -> Markup:
    """Points against the identity line (perfect agreement)."""
    if not points:
        return Markup("")
    figure, axes = _figure(3.6, 3.4)
    top = max(max(p) for p in points) * 1.1 + 1
    axes.plot([0, top], [0, top], color=GREY, linestyle="--", linewidth=1)
    axes.scatter([p[0] for p in points], [p[1] for p in points], color=RED, s=18)
    axes.set_xlim(0, top)
    axes.set_ylim(0, top)
    axes.set_xlabel(x_label)
    axes.set_ylabel(y_label)
    axes.set_title(title)
    return _svg(figure, title)
