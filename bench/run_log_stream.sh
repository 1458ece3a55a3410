#!/usr/bin/env bash
# Log streaming benchmark in both modes; appends a dated result table to
# bench/results/log_stream.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-venv.sh dev
embedded=$(.venv/bin/python bench/log_stream.py --mode embedded 2>/dev/null | tail -n 1)
redis=$(scripts/with_redis.py .venv/bin/python bench/log_stream.py --mode redis 2>/dev/null | tail -n 1)
.venv/bin/python - "$embedded" "$redis" <<'PY' | tee -a bench/results/log_stream.md
import json, os, platform, sys, datetime
rows = [json.loads(arg) for arg in sys.argv[1:] if arg.startswith("{")]
print(f"\n### {datetime.date.today()} on {platform.node()} ({os.cpu_count()} cores, "
      f"Python {platform.python_version()})\n")
print("| mode | latency p50 | p95 | max | stored lines/s | delivered lines/s | lines, none lost |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for r in rows:
    print(f"| {r['mode']} | {r['p50_ms']:.0f} ms | {r['p95_ms']:.0f} ms | {r['max_ms']:.0f} ms "
          f"| {r['stored_lines_per_s']:,.0f} | {r['delivered_lines_per_s']:,.0f} | {r['lines']:,} |")
PY
