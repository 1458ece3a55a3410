#!/usr/bin/env bash
# Registry scan benchmark; appends a dated result table to bench/results/registry_scan.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-venv.sh dev
result=$(.venv/bin/python bench/registry_scan.py | tail -n 1)
.venv/bin/python - "$result" <<'PY' | tee -a bench/results/registry_scan.md
import datetime, json, os, platform, sys
r = json.loads(sys.argv[1])
cold, rescan, tags = r["cold"], r["rescan"], r["tags"]
seq, par = r["skopeo_sequential_s"], r["skopeo_xargs_p8_s"]
print(f"\n### {datetime.date.today()} on {platform.node()} ({os.cpu_count()} cores)\n")
print("| run | seconds | requests/tag | vs cold | notes |")
print("| --- | --- | --- | --- | --- |")
print(f"| swarmdeck cold scan | {cold['seconds']:.2f} | {cold['requests'] / tags:.2f} | 1x | "
      f"fetch {cold['fetch_seconds']:.2f} s, client CPU {cold['cpu_seconds']:.2f} s "
      f"({cold['cpu_seconds'] / cold['seconds']:.0%} of wall) |")
print(f"| swarmdeck rescan, nothing changed | {rescan['seconds']:.2f} | "
      f"{rescan['requests'] / tags:.2f} | {cold['seconds'] / rescan['seconds']:.1f}x faster | "
      f"client CPU {rescan['cpu_seconds']:.2f} s |")
print(f"| skopeo sequential ({r['skopeo_processes']} processes) | {seq:.2f} | | "
      f"swarmdeck cold is {seq / cold['seconds']:.1f}x faster | |")
print(f"| skopeo under xargs -P 8 | {par:.2f} | | "
      f"swarmdeck cold is {par / cold['seconds']:.1f}x faster | |")
PY
