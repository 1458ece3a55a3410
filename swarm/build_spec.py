"""What one multi-platform build needs, validated, and its exact argv (pure, no I/O).

Every value ends up as its own argv item (never a shell string), and anything that could be
read as an option (a leading ``-``) or escape the allowed folders (``..``, a symlink out) is
refused before a process starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from swarm.platforms import Platform
from swarm.references import validate_repository, validate_tag

COMMON_PLATFORMS = ("linux/amd64", "linux/arm64", "linux/arm/v7", "linux/arm/v6",
                    "linux/386", "linux/ppc64le", "linux/s390x", "linux/riscv64")
_BUILD_ARG_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_GIT_URL = re.compile(r"^(?:https?://|ssh://|git@)[^\s#]+$")
_GIT_REF = re.compile(r"^[A-Za-z0-9._/-]+$")
_BUILDER = re.compile(r"^[a-zA-Z][a-zA-Z0-9._-]*$")


class SpecError(ValueError):
    """A bad value; ``field`` names the form field it belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class BuildSpec:
    builder: str
    platforms: tuple[str, ...]
    images: tuple[str, ...]  # host/repository:tag, one -t each
    context: str  # an absolute folder, or URL#ref:subdir as buildx takes it
    dockerfile: str  # for --file
    build_args: tuple[tuple[str, str], ...] = ()
    provenance: bool = False
    no_cache: bool = False


def not_an_option(field: str, value: str) -> str:
    if value.startswith("-"):
        raise SpecError(field, f"'{value}' looks like a command-line option; it cannot start "
                               "with '-'")
    return value


def local_context(path: str, allowed_roots: list[Path]) -> Path:
    """The folder, resolved, if it lies inside an allowed root (symlinks followed)."""
    not_an_option("context_path", path)
    if not path:
        raise SpecError("context_path", "give the folder that holds the Dockerfile")
    if ".." in PurePosixPath(path).parts:
        raise SpecError("context_path", "'..' is not allowed in the folder")
    if not PurePosixPath(path).is_absolute():
        raise SpecError("context_path", "give an absolute folder, e.g. /srv/builds/app")
    resolved = Path(path).resolve()
    for root in allowed_roots:
        if resolved == root.resolve() or resolved.is_relative_to(root.resolve()):
            return resolved
    roots = ", ".join(str(r) for r in allowed_roots) or "(none configured)"
    raise SpecError("context_path", f"{path} is outside the allowed build folders: {roots} "
                                    "(SWARMDECK_BUILD_ROOTS)")


def git_context(url: str, ref: str = "", subdir: str = "") -> str:
    """``URL#ref:subdir``, the remote context syntax buildx accepts."""
    not_an_option("git_url", url)
    if not _GIT_URL.match(url):
        raise SpecError("git_url", "give an https://, ssh:// or git@ URL without spaces or '#'")
    if re.match(r"^[a-z]+://[^/@]*@", url) and not url.startswith("ssh://"):
        raise SpecError("git_url", "no user or token in the URL (it would be shown to every "
                                   "viewer and in the job log): use the builder's credentials")
    if ref:
        not_an_option("git_ref", ref)
        if not _GIT_REF.match(ref) or ".." in ref:
            raise SpecError("git_ref", "a branch, tag or commit: letters, digits, . _ / -")
    if subdir:
        relative_path("git_subdir", subdir)
    fragment = ref + (f":{subdir}" if subdir else "")
    return f"{url}#{fragment}" if fragment else url


def relative_path(field: str, path: str) -> str:
    not_an_option(field, path)
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not path.strip():
        raise SpecError(field, "give a path inside the context, without '..'")
    return str(pure)


def platforms(values: list[str], known: set[str]) -> tuple[str, ...]:
    if not values:
        raise SpecError("platforms", "pick at least one platform")
    result = []
    for value in values:
        not_an_option("platforms", value)
        try:
            platform = str(Platform.parse(value))
        except ValueError as error:
            raise SpecError("platforms", str(error)) from None
        if platform not in known:
            raise SpecError("platforms", f"unknown platform {value}: use one of "
                                         f"{', '.join(sorted(known))}")
        result.append(platform)
    return tuple(dict.fromkeys(result))


def tags(values: list[str]) -> tuple[str, ...]:
    if not values:
        raise SpecError("tags", "give at least one tag, e.g. latest")
    for value in values:
        not_an_option("tags", value)
        try:
            validate_tag(value)
        except ValueError as error:
            raise SpecError("tags", str(error)) from None
    return tuple(dict.fromkeys(values))


def repository(value: str) -> str:
    not_an_option("repository", value)
    try:
        validate_repository(value)
    except ValueError as error:
        raise SpecError("repository", str(error)) from None
    return value


def builder(value: str) -> str:
    not_an_option("builder", value)
    if not _BUILDER.match(value):
        raise SpecError("builder", "a builder name: letters, digits, . _ - (e.g. multiarch)")
    return value


def build_args(text: str) -> tuple[tuple[str, str], ...]:
    """``KEY=VALUE`` per line; the value is kept exactly (spaces, '=', any characters)."""
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not _BUILD_ARG_KEY.match(key):
            raise SpecError("build_args", f"line {number}: write KEY=VALUE (KEY: letters, "
                                          "digits, _)")
        pairs.append((key, value))
    return tuple(pairs)


def build_argv(docker: str, spec: BuildSpec, metadata_file: str) -> list[str]:
    argv = [docker, "buildx", "build", "--builder", spec.builder,
            "--platform", ",".join(spec.platforms)]
    for image in spec.images:
        argv += ["-t", image]
    argv += ["--push", "--progress=rawjson", "--metadata-file", metadata_file,
             "--file", spec.dockerfile]
    for key, value in spec.build_args:
        argv += ["--build-arg", f"{key}={value}"]
    argv.append(f"--provenance={'true' if spec.provenance else 'false'}")
    if spec.no_cache:
        argv.append("--no-cache")
    argv.append(spec.context)
    return argv
