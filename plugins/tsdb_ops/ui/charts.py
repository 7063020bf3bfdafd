"""Inline SVG charts, generated server-side: no JavaScript, no network, one string per chart."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

COLORS = {"database": "#1f6feb", "models": "#8250df", "configs": "#1a7f37", "total": "#57606a"}
WIDTH, HEIGHT = 520, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 28, 34


def _nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    if high <= low:
        high = low + 1
    step = 10 ** math.floor(math.log10((high - low) / count))
    for factor in (1, 2, 2.5, 5, 10):
        if (high - low) / (step * factor) <= count:
            step *= factor
            break
    start = math.floor(low / step) * step
    return [start + i * step for i in range(int((high - start) / step) + 2) if start + i * step <= high + step * 0.999]


def _fmt(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}" if value == int(value) or value < 1 else f"{value:.1f}"


def line_chart(title: str, unit: str, labels: Sequence[str], series: dict[str, Sequence[float | None]],
               *, log: bool = False) -> str:
    """One panel: a polyline per series over the same x positions (labels, oldest first), y from 0 (or log10)."""
    count = len(labels)
    values = [v for s in series.values() for v in s if v is not None and (v > 0 or not log)]
    if count < 2 or not values:
        return f'<p class="muted">{escape(title)}: too few sets to draw a trend.</p>'
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    if log:
        low, high = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
        high = max(high, low + 1)
        ticks = [float(e) for e in range(low, high + 1)]
        scale = (low, high)
        tick_label = [_fmt(10 ** e) for e in ticks]
    else:
        ticks = _nice_ticks(0, max(values))
        scale = (0.0, ticks[-1])
        tick_label = [_fmt(t) for t in ticks]

    def y_of(value: float) -> float:
        v = math.log10(value) if log else value
        return TOP + plot_h - (v - scale[0]) / (scale[1] - scale[0]) * plot_h

    def x_of(index: int) -> float:
        return LEFT + index * plot_w / (count - 1)

    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg">',
             f'<text x="{LEFT}" y="16" class="chart-title">{escape(title)} ({escape(unit)}{", log" if log else ""})</text>']
    for tick, text in zip(ticks, tick_label, strict=True):
        y = y_of(10 ** tick if log else tick)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{text}</text>')
    for index in sorted({0, count // 2, count - 1}):
        anchor = "start" if index == 0 else "end" if index == count - 1 else "middle"
        parts.append(f'<text x="{x_of(index):.1f}" y="{HEIGHT - 12}" class="tick" text-anchor="{anchor}">'
                     f'{escape(labels[index])}</text>')
    legend_x = WIDTH - RIGHT
    for name, points in reversed(list(series.items())):
        color = COLORS.get(name, "#57606a")
        coords = [f"{x_of(i):.1f},{y_of(v):.1f}" for i, v in enumerate(points) if v is not None and (v > 0 or not log)]
        if not coords:
            continue
        dots = "" if count > 60 else "".join(
            f'<circle cx="{c.split(",")[0]}" cy="{c.split(",")[1]}" r="2.5" fill="{color}"/>' for c in coords)
        parts.append(f'<polyline points="{" ".join(coords)}" fill="none" stroke="{color}" stroke-width="1.6"/>{dots}')
        legend_x -= 8 + 7 * len(name) + 14
        parts.append(f'<rect x="{legend_x}" y="8" width="10" height="10" fill="{color}" rx="2"/>'
                     f'<text x="{legend_x + 14}" y="17" class="tick">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def timeline_chart(months: Sequence[tuple[str, int, int, str, str]]) -> str:
    """Horizontal bars per month of chunk start: compressed and uncompressed chunks, sizes before and now."""
    if not months:
        return '<p class="muted">No compression timeline yet.</p>'
    row, label_w, bar_w = 22, 64, 300
    most = max(m[1] for m in months) or 1
    height = 30 + row * len(months)
    parts = [f'<svg class="chart timeline" viewBox="0 0 {label_w + bar_w + 220} {height}" role="img" '
             f'aria-label="chunk compression timeline" xmlns="http://www.w3.org/2000/svg">',
             '<rect x="64" y="4" width="10" height="10" fill="#1a7f37" rx="2"/>'
             '<text x="78" y="13" class="tick">compressed chunks</text>'
             '<rect x="200" y="4" width="10" height="10" fill="#d29922" rx="2"/>'
             '<text x="214" y="13" class="tick">uncompressed</text>']
    for index, (month, chunks, compressed, before, now) in enumerate(months):
        y = 24 + index * row
        done = bar_w * compressed / most
        rest = bar_w * (chunks - compressed) / most
        parts.append(f'<text x="0" y="{y + 13}" class="tick">{escape(month)}</text>'
                     f'<rect x="{label_w}" y="{y}" width="{done:.1f}" height="16" fill="#1a7f37" rx="2"/>'
                     f'<rect x="{label_w + done:.1f}" y="{y}" width="{rest:.1f}" height="16" fill="#d29922" rx="2"/>'
                     f'<text x="{label_w + done + rest + 6:.1f}" y="{y + 13}" class="tick">{compressed}/{chunks} · '
                     f'{escape(before)} → {escape(now)}</text>')
    parts.append("</svg>")
    return "".join(parts)
