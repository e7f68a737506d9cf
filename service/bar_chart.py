"""The geometry of a small bar chart of shares (0 to 1), drawn by a template as inline SVG.

Server-side, so the moderators' pages need no charting script, no CDN and no inline style (the
CSP allows neither): the template only places the rectangles and texts computed here.
"""

from __future__ import annotations

from dataclasses import dataclass

TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True)
class Bar:
    label: str
    caption: str  # written above the bar, e.g. "12% of 40"
    x: float
    y: float
    width: float
    height: float
    label_y: float  # the label's baseline, below the axis


@dataclass(frozen=True)
class BarChart:
    width: float
    height: float
    left: float  # x of the value axis
    baseline: float  # y of the 0 line
    ticks: list[tuple[float, str]]  # (y, "25%") for the grid lines
    bars: list[Bar]


def bar_chart(values: list[tuple[str, float, str]], *, plot_height: float = 140,
              bar_width: float = 44, gap: float = 28, left: float = 44, top: float = 18,
              label_room: float = 70) -> BarChart:
    """`values`: (label, share in [0, 1], caption) per bar, left to right. Shares outside [0, 1]
    are clipped, so a bad figure cannot draw outside the plot."""
    baseline = top + plot_height
    bars = []
    for i, (label, share, caption) in enumerate(values):
        share = min(max(share, 0.0), 1.0)
        x = left + gap / 2 + i * (bar_width + gap)
        height = share * plot_height
        bars.append(Bar(label, caption, x, baseline - height, bar_width, height, baseline + 14))
    width = left + max(len(values), 1) * (bar_width + gap) + gap
    ticks = [(baseline - tick * plot_height, f"{tick:.0%}") for tick in TICKS]
    return BarChart(width, baseline + label_room, left, baseline, ticks, bars)
