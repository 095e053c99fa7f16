"""Line and bar charts as geometry for server-made SVG (templates cities/_*_chart.html).

Drawn on the server so that the numbers are in the page as text: readable without
JavaScript, printable, and found by screen readers through each mark's <title>. A
table beside each chart carries every figure.
"""

from dataclasses import dataclass, field

from django.utils import formats

PLOT_HEIGHT = 160  # px between the lowest and the highest value
TOP = 24  # room for the value written above the highest mark
BOTTOM = 28  # room for the x labels
LEFT = 12
STEP = 64  # px between two x positions of a line chart
BAR_WIDTH = 40
BAR_GAP = 24


def number(value) -> str:
    """A figure as the page's locale writes it: grouped, at most two decimals."""
    if value is None:
        return "—"
    value = float(value)
    if value.is_integer():
        return formats.number_format(int(value), force_grouping=True)
    return formats.number_format(round(value, 2), decimal_pos=2, force_grouping=True)


@dataclass
class Mark:
    x: int
    y: int
    label: str
    value: str


@dataclass
class Line:
    name: str
    index: int
    marks: list[Mark] = field(default_factory=list)

    @property
    def points(self) -> str:
        return " ".join(f"{mark.x},{mark.y}" for mark in self.marks)


@dataclass
class LineChart:
    width: int
    height: int
    baseline: int
    lines: list[Line]
    x_labels: list[tuple[int, str]]
    y_min: str
    y_max: str
    label_every_point: bool


def _scale(lowest: float, highest: float):
    # Lines start from just below their lowest value, not from zero: a population
    # changing by 3 % would otherwise be a flat line.
    if highest == lowest:
        lowest, highest = lowest - 1, highest + 1
    margin = (highest - lowest) * 0.1
    lowest = max(lowest - margin, 0) if lowest >= 0 else lowest - margin
    span = highest - lowest

    def y(value: float) -> int:
        return TOP + round(PLOT_HEIGHT * (highest - value) / span)

    return y


def line_chart(series: list[tuple[str, list[tuple[object, object]]]]) -> LineChart:
    """series: [(name, [(x label, value), …]), …]; x labels are shared and sorted."""
    xs = sorted({x for _name, points in series for x, value in points})
    values = [
        float(value)
        for _name, points in series
        for _x, value in points
        if value is not None
    ]
    y = _scale(min(values, default=0), max(values, default=1))
    position = {x: LEFT + STEP // 2 + index * STEP for index, x in enumerate(xs)}
    lines = []
    for index, (name, points) in enumerate(series):
        line = Line(name=name, index=index)
        for x, value in sorted(points, key=lambda point: point[0]):
            if value is None:
                continue
            line.marks.append(Mark(position[x], y(float(value)), str(x), number(value)))
        lines.append(line)
    baseline = TOP + PLOT_HEIGHT
    return LineChart(
        width=LEFT * 2 + STEP * max(len(xs), 1),
        height=baseline + BOTTOM,
        baseline=baseline,
        lines=lines,
        x_labels=[(position[x], str(x)) for x in xs],
        y_min=number(min(values, default=0)),
        y_max=number(max(values, default=0)),
        label_every_point=len(series) == 1,
    )


@dataclass
class Bar:
    x: int
    center: int
    y: int
    height: int
    label: str
    value: str


@dataclass
class BarChart:
    width: int
    height: int
    baseline: int
    bar_width: int
    bars: list[Bar]


def bar_chart(
    items: list[tuple[object, object]], *, bar_width: int = BAR_WIDTH
) -> BarChart:
    """Bars from zero, scaled to the largest value: [(label, value), …]."""
    largest = max((float(value or 0) for _label, value in items), default=0) or 1
    bars = []
    for index, (label, value) in enumerate(items):
        height = round(PLOT_HEIGHT * float(value or 0) / largest)
        x = BAR_GAP + index * (bar_width + BAR_GAP)
        bars.append(
            Bar(
                x=x,
                center=x + bar_width // 2,
                y=TOP + PLOT_HEIGHT - height,
                height=height,
                label=str(label),
                value=number(value or 0),
            )
        )
    baseline = TOP + PLOT_HEIGHT
    return BarChart(
        width=BAR_GAP + len(items) * (bar_width + BAR_GAP),
        height=baseline + BOTTOM,
        baseline=baseline,
        bar_width=bar_width,
        bars=bars,
    )
