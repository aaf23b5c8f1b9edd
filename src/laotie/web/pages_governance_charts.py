"""Inline SVG charts for the governance console: no script, no library, readable at 390 px."""

from __future__ import annotations

from html import escape

from markupsafe import Markup


def bar_chart(
    rows: list[tuple[str, int | float]], *, unit: str = "", width: int = 340, bar_height: int = 18
) -> Markup:
    """Horizontal bars, one row per label, each labelled above its bar with its value."""
    if not rows:
        return Markup('<p class="muted">暂无数据</p>')
    top = max(value for _, value in rows) or 1
    line = bar_height + 18
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {line * len(rows)}" width="100%" role="img" '
        f'aria-label="{escape(" / ".join(label for label, _ in rows))}">'
    ]
    for i, (label, value) in enumerate(rows):
        y = i * line
        length = max(2, round((width - 50) * value / top))
        parts.append(f'<text x="0" y="{y + 12}" font-size="12" fill="#374151">{escape(label[:26])}</text>')
        parts.append(
            f'<rect x="0" y="{y + 15}" width="{length}" height="{bar_height - 4}" rx="3" fill="#ff5000"></rect>'
        )
        parts.append(
            f'<text x="{length + 4}" y="{y + 27}" font-size="12" fill="#111">{escape(str(value))}{escape(unit)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
