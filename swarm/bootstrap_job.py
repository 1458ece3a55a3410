"""The Bootstrap job: make the build host ready for multi-platform builds, one step at a time.

(a) QEMU emulators through tonistiigi/binfmt, only when platforms are missing; (b) a
buildkitd.toml in the data folder marking every plain-HTTP registry insecure; (c) the
docker-container builder, recreated only when the user confirmed it; (d) ``buildx inspect
--bootstrap``; (e) what the builder can now build, natively and emulated. Every step is
checked before it acts, so a second run with everything in place changes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from swarm import builder_settings, tasks
from swarm.binfmt_output import BinfmtStatus, parse_binfmt, parse_errors, parse_install_log
from swarm.bootstrap_plan import (
    RECREATE_ADVICE,
    BootstrapParams,
    buildable,
    config_difference,
    has_node,
    outcome_text,
)
from swarm.builder_snapshots import host_facts, record_emulators
from swarm.builder_status import node_record
from swarm.buildkitd_config import render_buildkitd_toml, valid_registry_host
from swarm.buildx_argv import (
    ArgumentError,
    binfmt_install,
    binfmt_status,
    buildx_append,
    buildx_create,
    buildx_inspect,
    buildx_rm,
    buildx_version,
)
from swarm.buildx_failures import (
    BUILDX_MISSING,
    BUILDX_MISSING_ADVICE,
    PRIVILEGED_ADVICE,
    builder_not_found,
    buildx_missing,
    engine_advice,
    engine_unreachable,
    image_pull_failed,
    last_error_line,
    needs_privileges,
    node_advice,
    pull_advice,
)
from swarm.buildx_inspect import Builder, parse_inspect
from swarm.buildx_ls import parse_version
from swarm.emulation import missing_platforms, wanted_platforms
from swarm.jobs import JobContext, StepFailed, StepResult
from swarm.models import Job, JobLogLine, Registry
from swarm.system_check import docker_env

STEP_TIMEOUT = 120
PULL_TIMEOUT = 900  # the binfmt run and --bootstrap may pull an image first
BUILDKIT_IMAGE = "moby/buildkit"


def _docker(ctx: JobContext, args: list[str], timeout: float = STEP_TIMEOUT) -> StepResult:
    return ctx.run([settings.DOCKER_CLI, *args], timeout=timeout, env=docker_env(),
                   capture_stdout=True)


def _stdout(result: StepResult) -> str:
    return "\n".join(result.stdout)


def _stderr(result: StepResult) -> str:
    return "\n".join(text for stream, text in result.tail if stream == JobLogLine.Stream.STDERR)


def _fail_if_unusable(result: StepResult, *, about_engine: bool = True) -> None:
    """Failures that mean no docker/buildx command can work: say which and what to do.

    ``about_engine=False`` where a connection error is about another machine (a node).
    """
    output = result.tail_text()
    if result.exit_code == 127 and not result.stdout:
        raise StepFailed(
            f"docker CLI not found ({settings.DOCKER_CLI})",
            "Install the Docker CLI or set SWARMDECK_DOCKER_CLI to its path.", exit_code=127,
        )
    if result.timed_out:
        raise StepFailed(
            f"`docker {' '.join(result.argv[1:])}` timed out",
            "It did not finish in time: an image pull on a slow link, or a builder node that "
            "does not answer. The log shows how far it got; run Bootstrap again.",
            exit_code=result.exit_code,
        )
    if buildx_missing(output):
        raise StepFailed(BUILDX_MISSING, BUILDX_MISSING_ADVICE, exit_code=result.exit_code)
    if about_engine and engine_unreachable(output):
        raise StepFailed(
            "Docker Engine not reachable" + (f" at {settings.DOCKER_HOST}"
                                             if settings.DOCKER_HOST else ""),
            engine_advice(settings.DOCKER_HOST) + " " + last_error_line(output),
            exit_code=result.exit_code,
        )


def _failed(result: StepResult, what: str, advice: str = "", *, about_engine: bool = True
            ) -> StepFailed:
    _fail_if_unusable(result, about_engine=about_engine)
    return StepFailed(
        f"{what}: {last_error_line(result.tail_text()) or 'no output'}",
        advice or "buildx refused; its full output is in the log above. Fix what it names, "
        "then run Bootstrap again (steps already done are skipped).",
        exit_code=result.exit_code,
    )


# ---------------------------------------------------------------- steps


def check_buildx(ctx: JobContext) -> str:
    ctx.step("Check buildx")
    result = _docker(ctx, buildx_version())
    if not result.ok:
        raise _failed(result, "docker buildx version failed")
    try:
        version = parse_version(_stdout(result)).version
    except ValueError:
        raise StepFailed("unexpected `docker buildx version` output",
                         _stdout(result)[:300]) from None
    ctx.log(f"buildx {version}")
    return version


def _run_binfmt(ctx: JobContext, args: list[str], image: str) -> StepResult:
    result = _docker(ctx, args, timeout=PULL_TIMEOUT)
    if result.ok:
        return result
    _fail_if_unusable(result)
    output = result.tail_text()
    if image_pull_failed(output):
        raise StepFailed(f"could not pull {image}", _pull_advice(image, output),
                         exit_code=result.exit_code)
    raise StepFailed(
        "the binfmt installer needs a privileged container"
        if needs_privileges(output) else f"{image} failed: {last_error_line(output)}",
        f"{PRIVILEGED_ADVICE}\nDocker said: {last_error_line(output)}",
        exit_code=result.exit_code,
    )


def _pull_advice(image: str, output: str) -> str:
    return f"{pull_advice(image)}\nDocker said: {last_error_line(output)}"


def _parse_status(result: StepResult, image: str) -> BinfmtStatus:
    try:
        return parse_binfmt(_stdout(result))
    except ValueError:
        raise StepFailed(
            f"{image} printed no emulator status",
            f"Expected tonistiigi/binfmt's JSON status on stdout. Is {image} that image?",
        ) from None


def _check_install(ctx: JobContext, result: StepResult, image: str) -> BinfmtStatus:
    """binfmt exits 0 even when an install failed: its stderr lines say so."""
    stderr = _stderr(result)
    failed = [r for r in parse_install_log(stderr) if not r.ok and not r.already_registered]
    problems = parse_errors(stderr) + [f"{r.arch}: {r.error}" for r in failed]
    if problems:
        privileged = any(needs_privileges(problem) for problem in problems)
        raise StepFailed(
            ("emulator install failed (binfmt_misc refused it): " if privileged
             else "emulator install failed: ") + "; ".join(problems)[:300],
            PRIVILEGED_ADVICE if privileged else
            "binfmt could not install these emulators; check the platform list "
            "(SWARMDECK_BINFMT_PLATFORMS) and the image version.",
        )
    installed = [r.emulator or r.arch for r in parse_install_log(stderr) if r.ok]
    if installed:
        ctx.log("installed: " + ", ".join(installed))
    return _parse_status(result, image)


def check_emulation(ctx: JobContext, params: BootstrapParams, changes: list[str]) -> BinfmtStatus:
    """(a) Install QEMU handlers only for the wanted platforms the host cannot run yet."""
    ctx.step("Check emulation on the build host")
    status = _parse_status(_run_binfmt(ctx, binfmt_status(params.image), params.image),
                           params.image)
    wanted = wanted_platforms(params.platforms)
    missing = missing_platforms(status.supported, wanted)
    ctx.log("emulators registered: " + (", ".join(status.emulators) or "none"))
    if not missing:
        ctx.log(f"every wanted platform ({params.platforms}) runs already: nothing to install")
    else:
        ctx.log(f"missing: {', '.join(missing)}: installing emulators ({params.platforms})")
        result = _run_binfmt(ctx, binfmt_install(params.image, params.platforms), params.image)
        status = _check_install(ctx, result, params.image)
        still = missing_platforms(status.supported, wanted)
        if still:
            ctx.log(f"warning: still not runnable after the install: {', '.join(still)}")
        installed = [p.removeprefix("linux/") for p in missing if p not in still]
        if installed:
            changes.append("installed emulators for " + ", ".join(installed))
    record_emulators(status.emulators)
    return status


def http_registry_hosts(ctx: JobContext) -> list[str]:
    hosts: list[str] = []
    for registry in Registry.objects.all():
        if not registry.is_plain_http:
            continue
        if valid_registry_host(registry.host):
            hosts.append(registry.host)
        else:
            ctx.log(f"skipped registry {registry.name}: {registry.host!r} is not host[:port]")
    return sorted(set(hosts))


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".toml.partial")
    partial.write_text(text)
    os.replace(partial, path)  # never a half-written file for buildx to copy


def write_config(ctx: JobContext, params: BootstrapParams, hosts: list[str],
                 changes: list[str]) -> tuple[Path, bool]:
    """(b) The buildkitd.toml in swarmdeck's data folder; True when it changed."""
    ctx.step("Write buildkitd.toml")
    path = builder_settings.buildkitd_config_path(params.builder)
    text = render_buildkitd_toml(hosts)
    try:
        before = path.read_text() if path.exists() else None
        if before != text:
            _write(path, text)
    except OSError as error:
        raise StepFailed(f"could not write {path}: {error.strerror or error}",
                         "Check that swarmdeck's data folder (SWARMDECK_DATA_DIR) is writable."
                         ) from None
    if not hosts:
        ctx.log("no plain-HTTP registry is known to swarmdeck: no registry is marked insecure")
    for line in text.splitlines():
        ctx.log(f"  {line}")
    if before == text:
        ctx.log(f"{path} is up to date: unchanged")
        return path, False
    ctx.log(f"wrote {path}")
    changes.append("wrote buildkitd.toml")
    return path, True


def _inspect_existing(ctx: JobContext, name: str) -> Builder | None:
    result = _docker(ctx, buildx_inspect(name))
    if not result.ok:
        if builder_not_found(result.tail_text()):
            ctx.log(f"no builder named {name} yet")
            return None
        raise _failed(result, f"docker buildx inspect {name} failed")
    try:
        return parse_inspect(_stdout(result))
    except ValueError:
        raise StepFailed(f"unexpected `docker buildx inspect {name}` output") from None


def _create(ctx: JobContext, params: BootstrapParams, config: Path) -> None:
    result = _docker(ctx, buildx_create(params.builder, str(config), use=params.use))
    if not result.ok:
        raise _failed(result, f"docker buildx create {params.builder} failed")


def ensure_builder(ctx: JobContext, params: BootstrapParams, config: Path, hosts: list[str],
                   config_changed: bool, changes: list[str]) -> None:
    """(c) Create the builder, keep it when it matches, recreate it only when confirmed."""
    ctx.step("Create the builder")
    existing = _inspect_existing(ctx, params.builder)
    if existing is None:
        _create(ctx, params, config)
        changes.append(f"created builder {params.builder}")
    else:
        reason = config_difference(existing, hosts, config_changed)
        if not reason:
            ctx.log(f"builder {params.builder} already exists with this config: kept")
        elif not params.recreate:
            raise StepFailed(f"builder {params.builder} exists but {reason}", RECREATE_ADVICE)
        else:
            ctx.log(f"builder {params.builder} differs ({reason}): recreating it as confirmed")
            result = _docker(ctx, buildx_rm(params.builder))
            if not result.ok:
                raise _failed(result, f"docker buildx rm {params.builder} failed")
            _create(ctx, params, config)
            changes.append(f"recreated builder {params.builder}")
            existing = None
    if params.append_endpoint:
        append_node(ctx, params, existing, changes)


def append_node(ctx: JobContext, params: BootstrapParams, existing: Builder | None,
                changes: list[str]) -> None:
    """Optional: a second node (the Pi over ssh://) for native builds of its platforms."""
    node, endpoint = params.append_node, params.append_endpoint
    if has_node(existing, node, endpoint):
        ctx.log(f"node {node} ({endpoint}) is already part of {params.builder}: kept")
        return
    result = _docker(ctx, buildx_append(params.builder, node, endpoint))
    if not result.ok:
        raise _failed(result, f"could not append node {node} ({endpoint})",
                      node_advice(endpoint, result.tail_text()), about_engine=False)
    changes.append(f"appended node {node} ({endpoint})")


def bootstrap_builder(ctx: JobContext, name: str) -> Builder:
    """(d) Start every node (pulls BuildKit the first time) and read back what runs."""
    ctx.step("Bootstrap the builder")
    result = _docker(ctx, buildx_inspect(name, bootstrap=True), timeout=PULL_TIMEOUT)
    if not result.ok:
        output = result.tail_text()
        advice = (f"The engine could not pull {BUILDKIT_IMAGE}: check the build host's "
                  "internet access." if image_pull_failed(output) else "")
        raise _failed(result, f"could not start builder {name}", advice)
    try:
        return parse_inspect(_stdout(result))
    except ValueError:
        raise StepFailed(f"unexpected `docker buildx inspect --bootstrap {name}` output"
                         ) from None


def summarise(ctx: JobContext, params: BootstrapParams, builder: Builder,
              emulators: list[str], changes: list[str]) -> str:
    """(e) Per node and in total: what builds natively and what through QEMU."""
    ctx.step("Summary")
    facts = host_facts(emulators=emulators)
    nodes = [node_record(None, node, facts) for node in builder.nodes]
    for node in nodes:
        where = f"{node['name']} ({node['endpoint']}, {node['arch'] or 'unknown architecture'})"
        if node["status"] != "running":
            ctx.log(f"{where}: {node['status']}: {node['error'] or 'not running'}")
            continue
        emulated = [e["platform"] + (f" via {e['emulator']}" if e["emulator"] else "")
                    for e in node["emulated"]]
        ctx.log(f"{where}: native {', '.join(node['native']) or 'none'}; "
                f"emulated {', '.join(emulated) or 'none'}")
    native, emulated = buildable(nodes)
    outcome = outcome_text(params.builder, native, emulated, changes)
    ctx.log(outcome)
    broken = [node for node in nodes if node["status"] != "running"]
    if broken:
        node = broken[0]
        what = "unreachable" if node["error"] else node["status"]
        raise StepFailed(
            f"builder {params.builder}: node {node['name']} ({node['endpoint']}) is {what}"
            + (f": {node['error'][:200]}" if node["error"] else ""),
            node_advice(node["endpoint"], node["error"]) + f"\nBuildable now: {outcome}",
        )
    return outcome


def run(ctx: JobContext) -> str:
    try:
        params = BootstrapParams.from_params(ctx.params, builder_settings.bootstrap_defaults())
    except ArgumentError as error:
        raise StepFailed(f"invalid parameters: {error}",
                         "Start Bootstrap again from the builders page.") from None
    Job.objects.filter(pk=ctx.job.pk).update(result_url=reverse("swarm:builders"))
    changes: list[str] = []
    check_buildx(ctx)
    status = check_emulation(ctx, params, changes)
    hosts = http_registry_hosts(ctx)
    config, config_changed = write_config(ctx, params, hosts, changes)
    ensure_builder(ctx, params, config, hosts, config_changed, changes)
    builder = bootstrap_builder(ctx, params.builder)
    outcome = summarise(ctx, params, builder, status.emulators, changes)
    tasks.enqueue(tasks.REFRESH_BUILDERS)  # the page shows the new builder without waiting
    return outcome
