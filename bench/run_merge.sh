#!/usr/bin/env bash
# Merge benchmark; appends a dated result table to bench/results/merge.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-venv.sh dev
result=$(.venv/bin/python bench/merge.py | tail -n 1)
.venv/bin/python - "$result" <<'PY' | tee -a bench/results/merge.md
import datetime, json, os, platform, sys
r = json.loads(sys.argv[1])
print(f"\n### {datetime.date.today()} on {platform.node()} ({os.cpu_count()} cores)\n")
print("| case | swarmdeck merge job | docker manifest create + push | speed-up | "
      "manage.py merge_manifests (whole process) |")
print("| --- | --- | --- | --- | --- |")
for case in ("same repository", "other repository"):
    c = r[case]
    print(f"| {case} | {c['swarmdeck_ms']:.0f} ms | {c['cli_pair_ms']:.0f} ms | "
          f"{c['cli_pair_ms'] / c['swarmdeck_ms']:.1f}x | {c['merge_manifests_process_ms']:.0f} ms |")
print(f"\nClick to verified result on screen (embedded mode, queue pickup included): "
      f"{r['click_to_result_ms']:.0f} ms")
PY
