"""Health layer: small inline SVG charts (no script, no external file).

In: labelled numbers. Out: SVG markup as text. Every bar carries `data-series`,
`data-label` and `data-value` attributes and a `<title>` (a hover tooltip), so the page
needs no JavaScript and a test can read the figures back from the rendered page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

__all__ = ["PALETTE", "VERDICT_COLOURS", "hbars", "stacked_columns"]

# Colour-blind-safe (Okabe-Ito), for versions and series.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
VERDICT_COLOURS = {"accepted": "#009E73", "modified": "#E69F00", "rejected": "#CC79A7", "rolled-back": "#D55E00"}


def _num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def _nice_max(value: float) -> float:
    if value <= 4:
        return 4.0  # counts: whole-number ticks
    step = 10 ** (len(str(int(value))) - 1)
    return float(((int(value) // step) + 1) * step)


def stacked_columns(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    colours: Sequence[str] = PALETTE,
    *,
    width: int = 720,
    height: int = 220,
) -> str:
    """Columns over `labels` (e.g. days), each stacked from `series` (name, one value per label)."""
    left, right, top, bottom = 44, 12, 24, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(values[i] for _, values in series) for i in range(len(labels))]
    peak = _nice_max(max(totals, default=0))
    slot = plot_w / max(len(labels), 1)
    bar = max(slot * 0.8, 1.0)
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="{left}" y="14" class="chart-title">{escape(title)}</text>',
    ]
    for tick in range(5):
        value = peak * tick / 4
        y = top + plot_h - plot_h * tick / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" class="axis" text-anchor="end">{_num(value)}</text>')
    for i, label in enumerate(labels):
        x = left + i * slot + (slot - bar) / 2
        y = top + plot_h
        for index, (name, values) in enumerate(series):
            value = values[i]
            if value <= 0:
                continue
            h = plot_h * value / peak
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colours[index % len(colours)]}" data-series="{escape(name)}" '
                f'data-label="{escape(label)}" data-value="{_num(value)}">'
                f"<title>{escape(label)} · {escape(name)}: {_num(value)}</title></rect>"
            )
    every = max(1, len(labels) // 8)
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            x = left + i * slot + slot / 2
            anchor = "end" if i == len(labels) - 1 and len(labels) > 1 else "middle"
            if anchor == "end":
                x = min(x + slot / 2, width - right)
            short = label[5:] if len(label) == 10 and label[4] == "-" else label  # YYYY-MM-DD → MM-DD
            parts.append(f'<text x="{x:.1f}" y="{height - bottom + 14}" class="axis" text-anchor="{anchor}">{escape(short)}</text>')
    parts.append(_legend([name for name, _ in series], colours, left, height - 8))
    parts.append("</svg>")
    return "".join(parts)


def hbars(
    title: str,
    rows: Sequence[tuple[str, Mapping[str, float]]],
    keys: Sequence[str],
    colours: Mapping[str, str],
    *,
    width: int = 720,
    scale: float | None = None,
    unit: str = "",
) -> str:
    """One horizontal bar per row, stacked from `keys`; `scale` fixes the full width (1.0 for
    shares), else the largest row fills it."""
    label_w, right, top, row_h = 170, 60, 24, 22
    height = top + row_h * len(rows) + 28
    plot_w = width - label_w - right
    full = scale if scale is not None else max((sum(v.get(k, 0.0) for k in keys) for _, v in rows), default=0.0) or 1.0
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="14" class="chart-title">{escape(title)}</text>',
    ]
    for i, (label, values) in enumerate(rows):
        y = top + i * row_h
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" class="axis" text-anchor="end">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 2}" width="{plot_w}" height="{row_h - 6}" class="track"/>')
        x = float(label_w)
        total = 0.0
        for key in keys:
            value = values.get(key, 0.0)
            if value <= 0:
                continue
            w = plot_w * value / full
            shown = f"{value * 100:.1f}%" if unit == "%" else f"{_num(value)}{unit}"
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="{row_h - 6}" fill="{colours.get(key, "#888")}" '
                f'data-series="{escape(key)}" data-label="{escape(label)}" data-value="{_num(value)}">'
                f"<title>{escape(label)} · {escape(key)}: {escape(shown)}</title></rect>"
            )
            x += w
            total += value
        total_text = f"{total * 100:.0f}%" if unit == "%" else _num(total) + unit
        parts.append(f'<text x="{label_w + plot_w + 6}" y="{y + 14}" class="axis">{escape(total_text)}</text>')
    parts.append(_legend(list(keys), [colours.get(k, "#888") for k in keys], label_w, height - 8))
    parts.append("</svg>")
    return "".join(parts)


def _legend(names: Sequence[str], colours: Sequence[str], x0: int, y: int) -> str:
    parts = []
    x = x0
    for i, name in enumerate(names):
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colours[i % len(colours)]}"/>')
        parts.append(f'<text x="{x + 14}" y="{y}" class="axis">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    return f'<g class="legend">{"".join(parts)}</g>'
