"""The build job: `docker buildx build ... --push` for every platform a recipe names, with
readable progress and a lane per platform, then the pushed image read back from the
registry.

The rawjson progress on stderr (DOMAIN.md section 6) is decoded as it streams: the log gets
readable step lines instead of JSON, and ``Job.progress["lanes"]`` (throttled) gets each
platform's current step and state, so the page shows at a glance that the emulated
platform is the slow one. On failure the output is diagnosed into a cause and a fix.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse

from swarm.build_diagnosis import diagnose
from swarm.build_progress import BuildProgress, Lane, RawJsonDecoder, parse_metadata_file
from swarm.build_recipes import spec_for
from swarm.build_spec import SpecError, build_argv
from swarm.jobs import JobContext, StepFailed
from swarm.models import BuildRecipe, Job, JobLogLine
from swarm.registry import RegistryError
from swarm.registry_scan import scan_and_store
from swarm.system_check import docker_env

LANES_EVERY = 0.5  # seconds between progress writes while a build streams


def lane_dict(lane: Lane) -> dict[str, Any]:
    data = dataclasses.asdict(lane)
    for key in ("started", "finished"):
        data[key] = data[key].isoformat() if data[key] else None
    return data


class ProgressTranslator:
    """stderr JSON -> readable log lines and lanes; other lines pass through."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.decoder = RawJsonDecoder()
        self.progress = BuildProgress()
        self.saved_at = 0.0

    def __call__(self, stream: str, line: str) -> list[tuple[str, str]]:
        if stream != JobLogLine.Stream.STDERR:
            return [(stream, line)]
        readable = []
        for status in self.decoder.feed(line + "\n"):
            readable += self.progress.update(status)
        for plain in self.decoder.take_plain_lines():
            readable += self.progress.add_plain_line(plain)
        self.save_lanes()
        return [(JobLogLine.Stream.STDERR, text) for text in readable]

    def finish(self) -> list[str]:
        readable = []
        for plain in self.decoder.finish():
            readable += self.progress.add_plain_line(plain)
        readable += self.progress.finish()
        self.save_lanes(force=True)
        return readable

    def save_lanes(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.saved_at < LANES_EVERY:
            return
        self.saved_at = now
        lanes = [lane_dict(lane) for lane in self.progress.lanes()]
        Job.objects.filter(pk=self.job.pk).update(progress={"lanes": lanes})


def run(ctx: JobContext) -> str:
    try:
        recipe = BuildRecipe.objects.select_related("registry").get(pk=ctx.params.get("recipe"))
    except BuildRecipe.DoesNotExist:
        raise StepFailed("the build recipe no longer exists") from None
    try:
        spec = spec_for(recipe)
    except SpecError as error:
        raise StepFailed(f"invalid recipe: {error}",
                         f"Edit the recipe ({error.field}) and build again.") from None
    folder = Path(settings.DATA_DIR) / "jobs" / str(ctx.job.pk)
    folder.mkdir(parents=True, exist_ok=True)
    metadata = folder / "metadata.json"
    ctx.step(f"build {recipe.name} for {', '.join(spec.platforms)}")
    translator = ProgressTranslator(ctx.job)
    result = ctx.run(build_argv(settings.DOCKER_CLI, spec, str(metadata)),
                     timeout=settings.BUILD_TIMEOUT, env=docker_env(), translate=translator)
    for line in translator.finish():
        ctx.log(line, JobLogLine.Stream.STDERR)
    if not result.ok:
        _fail(result.tail_text().splitlines() + translator.progress.lines, result.exit_code,
              result.timed_out)
    try:
        pushed = parse_metadata_file(metadata.read_text())
    except (OSError, ValueError) as error:
        raise StepFailed(f"the build ended but its metadata file is unusable: {error}") from None
    ctx.log(f"pushed {', '.join(spec.images)} -> {pushed.digest}")

    ctx.step(f"refresh the inventory of {recipe.repository}")
    try:
        scan_and_store(recipe.registry, [recipe.repository], ctx.run_async)
    except RegistryError as error:
        raise StepFailed(f"pushed {pushed.digest}, but reading it back failed: {error}",
                         "Scan the registry again to see the new tag.") from None
    first_tag = spec.images[0].rsplit(":", 1)[1]
    url = reverse("swarm:tag", args=[recipe.registry.pk, recipe.repository, first_tag])
    Job.objects.filter(pk=ctx.job.pk).update(result_url=url)
    return f"pushed {', '.join(spec.images)} for {', '.join(spec.platforms)} ({pushed.digest})"


def _fail(lines: list[str], exit_code: int, timed_out: bool) -> None:
    if timed_out:
        raise StepFailed(f"the build took longer than {settings.BUILD_TIMEOUT} s and was stopped",
                         "Raise SWARMDECK_BUILD_TIMEOUT, or add a native node for the slow "
                         "(emulated) platform.", exit_code=exit_code)
    found = diagnose(lines)
    if found is None:
        raise StepFailed(f"docker buildx build failed (exit code {exit_code})",
                         "See the log for the error.", exit_code=exit_code)
    raise StepFailed(found.summary, found.fix, exit_code=exit_code)
