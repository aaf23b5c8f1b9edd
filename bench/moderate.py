"""Moderation classifier benchmark: throughput (in process, and through ``laotie moderate`` in a
subprocess) and the quality of both detectors on the labelled set (whole, and its held-out 30%).

    python bench/moderate.py --json                 # writes bench/results/moderate.json
    python bench/moderate.py --texts 50000 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from laotie.moderation.labelled import Example, load  # noqa: E402
from laotie.moderation.service import classify  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "moderation_labelled.tsv"
DEFAULT_OUT = ROOT / "bench" / "results" / "moderate.json"
console = Console()


def scores(examples: list[Example]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    verdicts = [classify(e.text) for e in examples]
    for name, got, want in (
        ("diversion", [v.diversion for v in verdicts], [e.diversion for e in examples]),
        ("purchase_intent", [v.purchase_intent for v in verdicts], [e.intent for e in examples]),
    ):
        tp = sum(g and w for g, w in zip(got, want, strict=True))
        fp = sum(g and not w for g, w in zip(got, want, strict=True))
        fn = sum(w and not g for g, w in zip(got, want, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[name] = {
            "n": len(examples),
            "positives": sum(want),
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
        }
    return out


def in_process(texts: list[str], n: int) -> dict[str, float]:
    for t in texts:  # warm the caches (normalisation of each character)
        classify(t)
    stream = [texts[i % len(texts)] for i in range(n)]
    samples = []
    cpu = time.process_time()
    start = time.perf_counter()
    for t in stream:
        t0 = time.perf_counter()
        classify(t)
        samples.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    ordered = sorted(samples)
    return {
        "texts": n,
        "seconds": round(elapsed, 3),
        "texts_per_second": round(n / elapsed),
        "texts_per_cpu_second": round(n / cpu),
        "p50_us": round(statistics.median(ordered) * 1e6, 1),
        "p99_us": round(ordered[int(len(ordered) * 0.99)] * 1e6, 1),
        "max_us": round(ordered[-1] * 1e6, 1),
    }


def through_cli(texts: list[str], n: int) -> dict[str, float]:
    laotie = Path(sys.executable).with_name("laotie")
    command = [str(laotie)] if laotie.exists() else [sys.executable, "-m", "laotie.cli"]
    data = "\n".join(texts[i % len(texts)] for i in range(n)).encode("utf-8") + b"\n"
    env = {**os.environ, "PYTHONUNBUFFERED": "0"}
    t0 = time.perf_counter()
    subprocess.run([*command, "moderate"], input=b"", capture_output=True, check=True, env=env)
    startup = time.perf_counter() - t0
    t0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([*command, "moderate"], input=data, capture_output=True, check=True, env=env)
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    lines = done.stdout.count(b"\n")
    if lines != n:
        raise SystemExit(f"laotie moderate wrote {lines} lines for {n} inputs")
    return {
        "texts": n,
        "seconds": round(elapsed, 3),
        "texts_per_second": round(n / elapsed),
        "texts_per_second_after_startup": round(n / max(elapsed - startup, 1e-9)),
        "startup_seconds": round(startup, 3),
        "texts_per_cpu_second": round(n / cpu),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=50_000, help="texts classified in process")
    parser.add_argument("--cli-texts", type=int, default=20_000, help="texts piped through laotie moderate")
    parser.add_argument("--json", nargs="?", const=str(DEFAULT_OUT), default=None, help="write results here")
    args = parser.parse_args()

    examples = load(LABELLED)
    held = [e for e in examples if e.held_out]
    texts = [e.text for e in examples]
    result: dict[str, Any] = {
        "load_average_before": os.getloadavg(),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "labelled_set": {"lines": len(examples), "held_out": len(held)},
        "quality_all": scores(examples),
        "quality_held_out": scores(held),
        "quality_tuning_part": scores([e for e in examples if not e.held_out]),
        "in_process": in_process(texts, args.texts),
        "cli": through_cli(texts, args.cli_texts),
    }

    table = Table("measure", "value", title="laotie moderate")
    ip, cli = result["in_process"], result["cli"]
    table.add_row("in-process texts/s", f"{ip['texts_per_second']:,} ({ip['texts']:,} texts)")
    table.add_row("in-process texts per CPU-second", f"{ip['texts_per_cpu_second']:,}")
    table.add_row("in-process p50 / p99 per text", f"{ip['p50_us']} µs / {ip['p99_us']} µs")
    table.add_row(
        "laotie moderate texts/s", f"{cli['texts_per_second']:,} ({cli['texts']:,} lines, with start-up)"
    )
    table.add_row("laotie moderate texts per CPU-second", f"{cli['texts_per_cpu_second']:,}")
    table.add_row("laotie moderate start-up", f"{cli['startup_seconds']} s")
    table.add_row("load average before", " ".join(f"{x:.2f}" for x in result["load_average_before"]))
    for part in ("quality_all", "quality_held_out"):
        for name, q in result[part].items():
            table.add_row(
                f"{name} ({'all' if part == 'quality_all' else 'held-out'}, n={q['n']})",
                f"P {q['precision']:.3f}  R {q['recall']:.3f}  F1 {q['f1']:.3f}  (fp {q['fp']}, fn {q['fn']})",
            )
    console.print(table)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        console.print(f"written {args.json}")


if __name__ == "__main__":
    main()
