"""A run's metrics shown three ways: a Rich table (the console), JSON (``--json``), and an HTML page
with inline SVG charts (``--out DIR``): GMV by day, the Lorenz curve of feed exposure across
merchants, orders by channel, and exposure against GMV by merchant kind. No chart library: the
SVG is a few shapes written here, so the page opens anywhere without a network."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.table import Table

CHANNEL_LABELS = {
    "shelf": "推荐/货架 feed",
    "search": "搜索 search",
    "live": "直播 live",
    "video": "短视频 video",
}
KIND_LABELS = {
    "honest": "诚信 honest",
    "overpricer": "溢价 over-priced",
    "faker": "售假 fakes",
    "diverter": "导流 diverts",
}


def yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def table(m: dict[str, Any]) -> Table:
    t = Table(title=f"模拟结果 simulation · policy {m['policy']} · seed {m['seed']} · {m['days']} days")
    t.add_column("指标 metric")
    t.add_column("值 value", justify="right")
    rows = [
        ("GMV 成交额", yuan(m["gmv_fen"])),
        ("净GMV net of refunds", yuan(m["net_gmv_fen"])),
        ("订单 paid orders", f"{m['orders']:,}"),
        ("复购率 repurchase rate", pct(m["repurchase_rate"])),
        ("品退率 quality-return rate", pct(m["quality_return_rate"])),
        (
            "新商存活 new merchants still selling",
            f"{m['new_merchants_surviving']}/{m['new_merchants']} ({pct(m['new_merchant_survival'])})",
        ),
        ("退出商家 merchants who quit", str(m["merchants_quit"])),
        ("曝光基尼 exposure Gini (feed)", f"{m['exposure_gini']:.3f}"),
        ("曝光基尼 exposure Gini (all surfaces)", f"{m['exposure_gini_all_surfaces']:.3f}"),
        ("头部10%商家曝光占比 top-decile exposure share", pct(m["exposure_top_decile_share"])),
        ("DSR", _dsr_text(m)),
    ]
    for name, c in m["by_channel"].items():
        label = CHANNEL_LABELS.get(name, name)
        rows.append((f"{label}: 订单 / GMV", f"{c['orders']:,} / {yuan(c['gmv_fen'])}"))
        rows.append((f"{label}: 转化 conversion (orders ÷ visits)", pct(c["conversion"])))
    for kind, k in m["by_merchant_kind"].items():
        rows.append(
            (
                f"{KIND_LABELS.get(kind, kind)}: 曝光 / GMV 占比",
                f"{pct(k['feed_exposure_share'])} / {pct(k['gmv_share'])}",
            )
        )
    speed = m["speed"]
    rows.append(
        (
            "速度 simulated orders per second (wall / CPU)",
            f"{speed['orders_per_second']} / {speed.get('orders_per_cpu_second')} ({speed['seconds']} s wall)",
        )
    )
    for name, value in rows:
        t.add_row(name, value)
    return t


def _dsr_text(m: dict[str, Any]) -> str:
    dsr = m.get("dsr")
    if not dsr:
        return f"— ({m.get('dsr_note', 'missing')})"
    return f"mean {dsr['mean']:.2f}, p10 {dsr['p10']:.2f}, p90 {dsr['p90']:.2f} ({dsr['shops']} shops)"


def to_json(m: dict[str, Any]) -> str:
    return json.dumps(m, ensure_ascii=False, indent=2, sort_keys=True)


# --- SVG charts -----------------------------------------------------------------------------------
W, H, PAD = 360, 220, 36


def _frame(title: str, body: str) -> str:
    return (
        f'<figure><svg viewBox="0 0 {W} {H}" role="img" aria-label="{html.escape(title)}">'
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - 8}" y2="{H - PAD}" class="axis"/>'
        f'<line x1="{PAD}" y1="8" x2="{PAD}" y2="{H - PAD}" class="axis"/>{body}</svg>'
        f"<figcaption>{html.escape(title)}</figcaption></figure>"
    )


def line_chart(title: str, values: list[float]) -> str:
    top = max(values, default=0) or 1
    n = max(len(values) - 1, 1)
    pts = " ".join(
        f"{PAD + (W - PAD - 8) * i / n:.1f},{H - PAD - (H - PAD - 8) * v / top:.1f}"
        for i, v in enumerate(values)
    )
    label = f'<text x="{PAD - 4}" y="14" class="tick" text-anchor="end">{top / 100:,.0f}</text>'
    days = f'<text x="{W - 8}" y="{H - PAD + 14}" class="tick" text-anchor="end">day {len(values)}</text>'
    return _frame(title, f'<polyline points="{pts}" class="series"/>{label}{days}')


def lorenz_chart(title: str, curve: list[tuple[float, float]]) -> str:
    def xy(a: float, b: float) -> str:
        return f"{PAD + (W - PAD - 8) * a:.1f},{H - PAD - (H - PAD - 8) * b:.1f}"

    pts = " ".join(xy(a, b) for a, b in curve)
    equal = f'<polyline points="{xy(0, 0)} {xy(1, 1)}" class="equal"/>'
    note = f'<text x="{W - 8}" y="{H - PAD + 14}" class="tick" text-anchor="end">merchants, least exposed first →</text>'
    return _frame(title, f'{equal}<polyline points="{pts}" class="series"/>{note}')


def bar_chart(title: str, bars: Sequence[tuple[str, float, float | None]]) -> str:
    """Bars (label, value, optional second value drawn beside it in the second colour)."""
    top = max([v for _, v, _ in bars] + [w or 0 for _, _, w in bars], default=0) or 1
    slot = (W - PAD - 8) / max(len(bars), 1)
    body = []
    for i, (label, v, w) in enumerate(bars):
        x = PAD + slot * i + slot * 0.15
        width = slot * (0.35 if w is not None else 0.7)
        for j, value in enumerate([v] if w is None else [v, w]):
            h = (H - PAD - 8) * value / top
            body.append(
                f'<rect x="{x + j * width:.1f}" y="{H - PAD - h:.1f}" width="{width:.1f}" height="{h:.1f}" class="bar{j}"/>'
            )
        body.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{H - PAD + 14}" class="tick" text-anchor="middle">{html.escape(label)}</text>'
        )
    return _frame(title, "".join(body))


CSS = """
body{font-family:system-ui,"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;margin:16px;max-width:960px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px}
figure{margin:0}svg{width:100%;height:auto;background:#fafafa;border-radius:8px}
.axis{stroke:#999}.equal{stroke:#bbb;stroke-dasharray:4;fill:none}.series{stroke:#e4393c;stroke-width:2;fill:none}
.bar0{fill:#e4393c}.bar1{fill:#3a7bd5}.tick{font-size:10px;fill:#555}
table{border-collapse:collapse;width:100%;font-size:14px}td,th{border-bottom:1px solid #eee;padding:4px}
td+td,th+th{text-align:right}
"""


COMPARED = (
    ("曝光基尼 exposure Gini (feed)", lambda m: f"{m['exposure_gini']:.3f}"),
    ("新商存活 new merchants surviving", lambda m: f"{m['new_merchants_surviving']}/{m['new_merchants']}"),
    ("GMV", lambda m: yuan(m["gmv_fen"])),
    ("品退率 quality returns", lambda m: pct(m["quality_return_rate"])),
    ("复购率 repurchase", lambda m: pct(m["repurchase_rate"])),
    ("订单 orders", lambda m: f"{m['orders']:,}"),
    ("DSR", _dsr_text),
)


def _side_by_side(runs: list[dict[str, Any]]) -> str:
    head = "".join(f"<th>{html.escape(m['policy'])}</th>" for m in runs)
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td>" + "".join(f"<td>{html.escape(f(m))}</td>" for m in runs) + "</tr>"
        for name, f in COMPARED
    )
    return f"<section><h2>并排对比 side by side (seed {runs[0]['seed']})</h2><table><tr><th></th>{head}</tr>{rows}</table></section>"


def html_page(runs: list[dict[str, Any]]) -> str:
    """One section per run (one run, or the same seed under several policies side by side)."""
    sections = [_side_by_side(runs)] if len(runs) > 1 else []
    for m in runs:
        cells = [
            ("GMV", yuan(m["gmv_fen"])),
            ("订单 orders", f"{m['orders']:,}"),
            ("复购率 repurchase", pct(m["repurchase_rate"])),
            ("品退率 quality returns", pct(m["quality_return_rate"])),
            ("新商存活 new merchants surviving", f"{m['new_merchants_surviving']}/{m['new_merchants']}"),
            ("曝光基尼 exposure Gini", f"{m['exposure_gini']:.3f}"),
            ("DSR", _dsr_text(m)),
        ]
        rows = "".join(f"<tr><td>{html.escape(a)}</td><td>{html.escape(b)}</td></tr>" for a, b in cells)
        channels = [
            (CHANNEL_LABELS.get(k, k).split()[0], float(c["orders"]), None)
            for k, c in m["by_channel"].items()
        ]
        kinds = [
            (KIND_LABELS.get(k, k).split()[0], v["feed_exposure_share"], v["gmv_share"])
            for k, v in m["by_merchant_kind"].items()
        ]
        charts = "".join(
            [
                line_chart("每日GMV daily GMV (¥)", [float(v) for v in m["daily_gmv_fen"]]),
                lorenz_chart(
                    f"曝光洛伦兹曲线 exposure Lorenz curve (Gini {m['exposure_gini']:.3f})",
                    m["exposure_lorenz"],
                ),
                bar_chart("各渠道订单 orders by channel", channels),
                bar_chart(
                    "曝光占比(红)与GMV占比(蓝) exposure (red) vs GMV (blue) share by merchant kind", kinds
                ),
            ]
        )
        title = f"策略 policy {m['policy']} · seed {m['seed']} · {m['days']} days · {m['buyers']} buyers · {m['merchants']} merchants"
        sections.append(
            f"<section><h2>{html.escape(title)}</h2><table>{rows}</table><div class='charts'>{charts}</div></section>"
        )
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>老铁 marketplace simulation</title><style>{CSS}</style></head>"
        f"<body><h1>市场模拟 marketplace simulation</h1>{''.join(sections)}</body></html>"
    )


def write(out: Path, runs: list[dict[str, Any]]) -> list[Path]:
    """``report.html`` and one ``metrics-<policy>.json`` per run, in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "report.html"]
    written[0].write_text(html_page(runs), encoding="utf-8")
    for m in runs:
        path = out / f"metrics-{m['policy']}.json"
        path.write_text(to_json(m), encoding="utf-8")
        written.append(path)
    return written
