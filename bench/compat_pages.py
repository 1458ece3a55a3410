#!/usr/bin/env python3
"""Benchmark: server time of the compatibility matrix and the services page.

Seeds a fresh SQLite database (in a temporary data folder, WAL as in production) with
50 nodes x 500 tags x 100 services (``tests/compat_seed.py``), then requests each page
through Django's full stack in-process (middleware, session, view, template) as a logged-in
viewer, and reports the median, p95 and max over the runs, the number of queries and the
size of the HTML. The network and the browser are left out on purpose: this is the time
the server spends. Target (issue 5): under 100 ms.

Run: `.venv/bin/python bench/compat_pages.py` (writes bench/results/compat_pages.md).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "compat_pages.md"
PAGES = (("matrix", "swarm:compat", ""), ("matrix, filtered", "swarm:compat", "?q=app0"),
         ("services", "swarm:services", ""), ("services panel", "swarm:services-panel", ""))


def setup_django(data_dir: str) -> None:
    os.environ["SWARMDECK_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True,
                   env=os.environ.copy())
    import django

    django.setup()


def viewer_client() -> object:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from swarm.roles import VIEWERS, ensure_roles

    ensure_roles()
    user = get_user_model().objects.create_user("bench", password="bench-password-1")
    user.groups.add(Group.objects.get(name=VIEWERS))
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


class FullCollections:
    """Counts the interpreter's full (generation 2) garbage collections and their time: they
    pause whatever request is running, so they explain the p95 and max."""

    def __init__(self) -> None:
        self.count = 0
        self.ms = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.count += 1
            self.ms += (time.perf_counter() - self._start) * 1000


def measure(client: object, url: str, runs: int) -> dict[str, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm: template compilation, URL resolver, caches
    times, cpu = [], []
    collections = FullCollections()
    gc.callbacks.append(collections)
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200, response.status_code
    gc.callbacks.remove(collections)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    times.sort()
    return {
        "median": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1],
        "max": times[-1], "cpu": statistics.median(cpu), "queries": len(queries),
        "kib": len(response.content) / 1024, "full_gc": collections.count,
        "gc_ms": collections.ms / collections.count if collections.count else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument("--tags", type=int, default=500)
    parser.add_argument("--services", type=int, default=100)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="swarmdeck-bench-") as data_dir:
        setup_django(data_dir)
        from django.urls import reverse

        from tests.compat_seed import seed

        seed(nodes=args.nodes, tags=args.tags, services=args.services)
        client = viewer_client()
        client.get("/nodes/")  # warm: URL resolvers, templates
        gc.freeze()  # as dashboard/asgi.py does in the real server once it has started
        rows = []
        for label, name, query in PAGES:
            result = measure(client, reverse(name) + query, args.runs)
            rows.append((label, result))
            print(f"{label:18} median {result['median']:6.1f} ms  p95 {result['p95']:6.1f} ms  "
                  f"max {result['max']:6.1f} ms  CPU {result['cpu']:6.1f} ms  "
                  f"{result['queries']:.0f} queries  {result['kib']:.0f} KiB  "
                  f"full GC {result['full_gc']:.0f}x {result['gc_ms']:.0f} ms")
    if not args.no_write:
        write_results(rows, args)


def write_results(rows: list[tuple[str, dict[str, float]]], args: argparse.Namespace) -> None:
    header = (
        "# Compatibility pages: server time\n\n"
        "`.venv/bin/python bench/compat_pages.py` (`bench/compat_pages.py`): a fresh SQLite\n"
        "database seeded with the nodes, tags and services below (`tests/compat_seed.py`),\n"
        "each page requested in-process through the whole Django stack as a logged-in viewer\n"
        f"({args.runs} runs after one warm-up). Target (issue 5): under 100 ms.\n\n"
        "The matrix shows the tags services use plus the 20 newest (110 rows x 50 nodes);\n"
        "the services page assesses all services and shows 25 per page, problems first.\n"
        "CPU is the server process's CPU time per request (median). \"full GC\" counts the\n"
        "interpreter's generation-2 collections during the runs and their average length:\n"
        "each pauses the request it lands in, which is what p95 and max show.\n"
    )
    cpus = os.cpu_count()
    load = os.getloadavg()[0]
    lines = [
        f"\n### {date.today()} on {platform.node()} ({cpus} cores, load {load:.1f}, Python "
        f"{platform.python_version()}): {args.nodes} nodes x {args.tags} tags x "
        f"{args.services} services\n",
        "| page | median | p95 | max | CPU | queries | HTML | full GC |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for label, r in rows:
        lines.append(f"| {label} | {r['median']:.1f} ms | {r['p95']:.1f} ms | {r['max']:.1f} ms "
                     f"| {r['cpu']:.1f} ms | {r['queries']:.0f} | {r['kib']:.0f} KiB "
                     f"| {r['full_gc']:.0f} x {r['gc_ms']:.0f} ms |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(header + "\n".join(lines) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
