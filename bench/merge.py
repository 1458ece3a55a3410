#!/usr/bin/env python3
"""Benchmark: merging two per-arch images, swarmdeck against `docker manifest create/push`.

For two cases (sources in the target repository; sources in another repository) on a fresh
local registry (Debian docker-registry, distribution 2.8):

* swarmdeck: the merge job as a worker runs it (process already warm), median of 7 runs;
  the job includes reading the tag back and refreshing the repository's inventory;
* the CLI pair, as whole processes: `docker manifest create --insecure --amend` and
  `docker manifest push --insecure` (Debian's docker 20.10), median of 7 runs;
* `manage.py merge_manifests` as a whole process (Python start-up included), median of 3;
* click to verified result on screen with the embedded default (`manage.py serve`, queue
  pickup included): Debian chromium clicks a suggested merge's button and waits until the
  tag page shows both platforms; median of 3.

Run: ``make bench-merge`` (appends to bench/results/merge.md).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DOCKER = "/usr/bin/docker"
# Playwright's sync API keeps an event loop in this thread; the ORM calls between its steps
# are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
RUNS = 7


def timed(argv: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def cli_pair(host: str, target: str, sources: list[str], config_dir: str) -> float:
    env = {**os.environ, "DOCKER_CONFIG": config_dir}
    amends = [part for s in sources for part in ("--amend", f"{host}/{s}")]
    create = timed([DOCKER, "manifest", "create", "--insecure", f"{host}/{target}", *amends],
                   env)
    push = timed([DOCKER, "manifest", "push", "--purge", "--insecure", f"{host}/{target}"], env)
    return create + push


def swarmdeck_merge(registry_id: int, target: str, sources: list[str]) -> float:
    from swarm.jobs import run_job
    from swarm.models import Job

    job = Job.objects.create(kind="merge", params={"registry": registry_id, "target": target,
                                                   "sources": sources})
    started = time.perf_counter()
    run_job(job.pk)
    elapsed = time.perf_counter() - started
    job.refresh_from_db()
    assert job.status == "succeeded", job.outcome
    return elapsed


def click_to_result(server_url: str, registry_host: str, rounds: int = 3) -> list[float]:
    """Debian chromium, logged in as an operator, clicks the suggested merge."""
    from playwright.sync_api import sync_playwright

    from swarm.models import Tag
    from tests.registry_images import Pusher, push_single

    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"])
        page = browser.new_page()
        page.goto(f"{server_url}/login/")
        page.fill("#id_username", "bench")
        page.fill("#id_password", "bench-password-1")
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)
        for round_number in range(rounds):
            repo = f"click/app{round_number}"
            pusher = Pusher(f"http://{registry_host}")
            push_single(pusher, repo, "1.0-amd64", "linux/amd64")
            push_single(pusher, repo, "1.0-arm64", "linux/arm64")
            _scan_now()
            page.goto(f"{server_url}/merge/")
            button = page.locator(
                f"#suggestions-table tr[data-target='{repo}:1.0'] button.merge-suggestion")
            started = time.perf_counter()
            button.click()
            page.wait_for_selector("#platforms-table tr[data-platform='linux/arm64']")
            times.append(time.perf_counter() - started)
            assert Tag.objects.get(repository__name=repo, name="1.0").platforms == [
                "linux/amd64", "linux/arm64"]
        browser.close()
    return times


def _scan_now() -> None:
    from swarm.jobs import run_job
    from swarm.models import Job, Registry

    registry = Registry.objects.get(name="bench")
    run_job(Job.objects.create(kind="registry_scan", params={"registry": registry.pk}).pk)


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="swarmdeck-bench-merge-"))
    os.environ["SWARMDECK_DATA_DIR"] = str(workdir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    from swarm.models import Registry
    from swarm.roles import OPERATORS, ensure_roles
    from tests.components import free_port
    from tests.registry_images import Pusher, push_single
    from tests.registry_server import RegistryServer

    call_command("migrate", verbosity=0)
    ensure_roles()
    user = User.objects.create_user("bench", password="bench-password-1")
    user.groups.add(Group.objects.get(name=OPERATORS))
    server = RegistryServer(shutil.which("docker-registry") or "/usr/bin/docker-registry")
    server.start()
    port = free_port()
    serve = subprocess.Popen(
        [sys.executable, "manage.py", "serve"], cwd=ROOT, start_new_session=True,
        env={**os.environ, "SWARMDECK_PORT": str(port)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results: dict[str, object] = {}
    try:
        pusher = Pusher(server.url)
        push_single(pusher, "app", "1-amd64", "linux/amd64")
        push_single(pusher, "app", "1-arm64", "linux/arm64")
        push_single(pusher, "src/amd", "1", "linux/amd64")
        push_single(pusher, "src/arm", "1", "linux/arm64")
        registry = Registry.objects.create(name="bench", base_url=server.url)
        cases = {
            "same repository": ("app:1", ["app:1-amd64", "app:1-arm64"]),
            "other repository": ("dst/app:1", ["src/amd:1", "src/arm:1"]),
        }
        config_dir = str(workdir / "docker-config")
        for name, (target, sources) in cases.items():
            swarmdeck_merge(registry.pk, target, sources)  # warm: imports, connections
            ours = [swarmdeck_merge(registry.pk, target, sources) for _ in range(RUNS)]
            cli_target = target.replace(":1", ":cli")
            theirs = [cli_pair(server.host, cli_target, sources, config_dir)
                      for _ in range(RUNS)]
            command = [timed([sys.executable, "manage.py", "merge_manifests",
                              f"{server.host}/{target}", *(f"{server.host}/{s}" for s in sources)])
                       for _ in range(3)]
            results[name] = {
                "swarmdeck_ms": statistics.median(ours) * 1000,
                "cli_pair_ms": statistics.median(theirs) * 1000,
                "merge_manifests_process_ms": statistics.median(command) * 1000,
            }
        for _ in range(100):
            try:
                import urllib.request

                urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        results["click_to_result_ms"] = statistics.median(
            click_to_result(f"http://127.0.0.1:{port}", server.host)) * 1000
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(timeout=20)
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
