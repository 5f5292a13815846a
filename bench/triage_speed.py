"""Triage speed: the time of one `suggest` per report, on one thread, over the evaluation set.

    python bench/triage_speed.py              # every report of the evaluation set, 3 passes
    python bench/triage_speed.py --repeat 5

Runs on a fresh SQLite database in a temporary folder (migrated, so the default rules are there).
Loading jieba, compiling the rules and building the built-in model happen once per process and are
timed apart ("load"); the per-report figures are the warm path a web or worker process serves:
concept groups, the rules, jieba and the learned model, exactly `services.suggest`.

Two clocks: wall time (`perf_counter`) and this thread's CPU time (`thread_time`). On a machine
whose cores other processes share, wall time includes the moments the scheduler runs someone else
(a time slice is a few milliseconds), so its p99 measures the machine's load as much as the code;
CPU time is what one report costs. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _percentile(sorted_values: list[float], share: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(share * (len(sorted_values) - 1))))
    return sorted_values[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="passes over the evaluation set")
    args = parser.parse_args()

    os.environ.setdefault("GRIDGOV_DATA_DIR", tempfile.mkdtemp(prefix="gridgov-triage-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from gridgov.triage import engine, learning

    texts = [row["text"] for row in learning.eval_rows()]
    started = time.perf_counter()
    engine.warm_up()
    load = time.perf_counter() - started

    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(args.repeat):
        for text in texts:
            begin, begin_cpu = time.perf_counter(), time.thread_time()
            engine.suggest(text)
            cpu.append(time.thread_time() - begin_cpu)
            wall.append(time.perf_counter() - begin)
    result: dict[str, object] = {
        "reports": len(texts),
        "passes": args.repeat,
        "load_seconds": round(load, 2),
        "cpus": os.cpu_count(),
        "load_average": [round(value, 2) for value in os.getloadavg()],
    }
    for name, timings in (("wall", sorted(wall)), ("cpu", sorted(cpu))):
        result[name] = {
            "p50_ms": round(_percentile(timings, 0.50) * 1000, 3),
            "p90_ms": round(_percentile(timings, 0.90) * 1000, 3),
            "p99_ms": round(_percentile(timings, 0.99) * 1000, 3),
            "max_ms": round(timings[-1] * 1000, 3),
            "mean_ms": round(statistics.fmean(timings) * 1000, 3),
        }
        figures = result[name]
        assert isinstance(figures, dict)
        label = "墙钟时间" if name == "wall" else "本线程 CPU 时间"
        print(
            f"{label}：{len(texts)} 条 × {args.repeat} 遍（单线程）p50 {figures['p50_ms']} ms，"
            f"p99 {figures['p99_ms']} ms，最大 {figures['max_ms']} ms"
        )
    print(f"首次加载（jieba、规则、内置模型）{result['load_seconds']} 秒；机器负载 {result['load_average']}")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
