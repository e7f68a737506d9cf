"""The geometry of a small bar chart of shares (0 to 1), drawn by a template as inline SVG.

Server-side, so the moderators' pages need no charting script, no CDN and no inline style (the
CSP allows neither): the template only places the rectangles and texts computed here.

The labels under the bars are written level, one line per ``\\n`` of a label, and each bar's
slot is made wide enough for its longest line: a label never runs past the chart's edge or into
its neighbour (a rotated label was cut off at the left edge).
"""

from __future__ import annotations

from dataclasses import dataclass

TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)
FONT_SIZE = 11
# Wider than any character of an 11 px sans-serif label (digits are ~7 px in DejaVu Sans), so the
# computed room is an upper bound of what the browser draws.
CHAR_WIDTH = 7.5
LINE_HEIGHT = 14


@dataclass(frozen=True)
class Bar:
    label: str
    caption: str  # written above the bar, e.g. "12% of 40"
    x: float
    y: float
    width: float
    height: float
    label_y: float  # the first label line's baseline, below the axis
    lines: tuple[str, ...] = ()  # the label's lines, each LINE_HEIGHT below the one before

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class BarChart:
    width: float
    height: float
    left: float  # x of the value axis
    baseline: float  # y of the 0 line
    ticks: list[tuple[float, str]]  # (y, "25%") for the grid lines
    bars: list[Bar]
    line_height: float = LINE_HEIGHT


def text_width(text: str) -> float:
    """An upper bound of the drawn width of ``text`` at FONT_SIZE."""
    return len(text) * CHAR_WIDTH


def bar_chart(values: list[tuple[str, float, str]], *, plot_height: float = 140,
              bar_width: float = 44, gap: float = 28, left: float = 44,
              top: float = 18) -> BarChart:
    """`values`: (label, share in [0, 1], caption) per bar, left to right; a label may hold
    ``\\n`` for a second line. Shares outside [0, 1] are clipped, so a bad figure cannot draw
    outside the plot."""
    baseline = top + plot_height
    split = [(label, tuple(label.split("\n"))) for label, _, _ in values]
    texts = [text for _, lines in split for text in lines] + [caption for _, _, caption in values]
    widest = max(map(text_width, texts), default=0.0)  # captions sit above the bars, as wide
    slot = max(bar_width + gap, widest + gap / 2)
    rows = max((len(lines) for _, lines in split), default=1)
    bars = []
    for i, ((label, lines), (_, share, caption)) in enumerate(zip(split, values)):
        share = min(max(share, 0.0), 1.0)
        x = left + (slot - bar_width) / 2 + i * slot
        height = share * plot_height
        bars.append(Bar(label, caption, x, baseline - height, bar_width, height,
                        baseline + LINE_HEIGHT, lines))
    width = left + max(len(values), 1) * slot + gap / 2
    ticks = [(baseline - tick * plot_height, f"{tick:.0%}") for tick in TICKS]
    return BarChart(width, baseline + rows * LINE_HEIGHT + 8, left, baseline, ticks, bars)
