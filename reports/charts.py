"""Chart geometry for the templates' SVG: drawn on the server, each mark with
its own label (a <title>, and a link to the tickets behind it), and every
chart followed by the table of its numbers."""

import math

WIDTH, HEIGHT = 720, 180
HEAT_CELL = 24


def coordinate(value: float) -> str:
    """An SVG coordinate: always with a decimal point, whatever the reader's
    locale (a template would write 12,5 in German)."""
    return f"{value:.1f}".removesuffix(".0")


def nice_max(value: float) -> int:
    """A round top for the scale: 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return int(step * power) if step * power >= 1 else 1
    return int(10 * power)


def bars(buckets: list[dict], series: list[str]) -> dict:
    """Grouped bars: one group per bucket, one bar per series key. A bucket
    carries its values under the series keys and their links under
    "<key>_url"."""
    top = nice_max(max((b[s] for b in buckets for s in series), default=0))
    step = WIDTH / max(len(buckets), 1)
    width = step * 0.8 / len(series)
    groups = []
    for index, bucket in enumerate(buckets):
        marks = []
        for position, key in enumerate(series):
            value = bucket[key]
            height = HEIGHT * value / top
            marks.append(
                {
                    "key": key,
                    "value": value,
                    "url": bucket.get(f"{key}_url"),
                    "x": coordinate(index * step + step * 0.1 + position * width),
                    "y": coordinate(HEIGHT - height),
                    "width": coordinate(max(width - 1, 1)),
                    "height": coordinate(height),
                }
            )
        groups.append({"bucket": bucket, "marks": marks})
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "top": top,
        "half": top / 2 if top % 2 else top // 2,
        "groups": groups,
    }


def line(points: list[tuple[object, int | None, str]]) -> dict:
    """A line through the known values (None leaves a gap); each point is
    (key, value, the address of its tickets)."""
    top = nice_max(max((v for _k, v, _u in points if v is not None), default=0))
    step = WIDTH / max(len(points) - 1, 1)
    segments, current, dots = [], [], []
    for index, (key, value, url) in enumerate(points):
        if value is None:
            if current:
                segments.append(" ".join(current))
            current = []
            continue
        x, y = coordinate(index * step), coordinate(HEIGHT - HEIGHT * value / top)
        current.append(f"{x},{y}")
        dots.append({"x": x, "y": y, "key": key, "value": value, "url": url})
    if current:
        segments.append(" ".join(current))
    return {"width": WIDTH, "height": HEIGHT, "top": top, "segments": segments, "dots": dots}


def heat(cells: dict[tuple[int, int], int]) -> dict:
    """Seven rows (Monday first) of 24 hours, shaded by their share of the busiest."""
    top = max(cells.values(), default=0)
    rows = []
    for weekday in range(7):
        row = []
        for hour in range(24):
            value = cells.get((weekday, hour), 0)
            row.append(
                {
                    "hour": hour,
                    "value": value,
                    "x": 40 + hour * HEAT_CELL,
                    "y": weekday * HEAT_CELL,
                    "level": 0 if not value else 1 + min(4, int(5 * value / (top + 1))),
                }
            )
        rows.append({"weekday": weekday, "cells": row, "y": weekday * HEAT_CELL})
    return {
        "width": 40 + 24 * HEAT_CELL,
        "height": 7 * HEAT_CELL + 18,
        "rows": rows,
        "top": top,
        "hours": [
            {"hour": h, "x": coordinate(40 + h * HEAT_CELL + HEAT_CELL / 2)}
            for h in range(0, 24, 3)
        ],
        "cell": HEAT_CELL - 2,
    }
