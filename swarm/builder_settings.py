"""The builder and emulation settings, with their defaults, read in one place.

``dashboard/settings.py`` may define them from the environment (SWARMDECK_BUILDER_NAME,
SWARMDECK_BINFMT_IMAGE, SWARMDECK_BINFMT_PLATFORMS, SWARMDECK_BUILDX_TIMEOUT,
SWARMDECK_BINFMT_MISC_DIR); until it does, the defaults below apply.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

DEFAULT_BUILDER = "multiarch"
DEFAULT_BINFMT_IMAGE = "tonistiigi/binfmt"
DEFAULT_BINFMT_PLATFORMS = "all"
DEFAULT_BINFMT_MISC_DIR = Path("/proc/sys/fs/binfmt_misc")
DEFAULT_BUILDX_TIMEOUT = 60.0  # one ls/inspect; an ssh node that is off takes 30 s to fail


def builder_name() -> str:
    return str(getattr(settings, "BUILDER_NAME", DEFAULT_BUILDER))


def binfmt_image() -> str:
    return str(getattr(settings, "BINFMT_IMAGE", DEFAULT_BINFMT_IMAGE))


def binfmt_platforms() -> str:
    return str(getattr(settings, "BINFMT_PLATFORMS", DEFAULT_BINFMT_PLATFORMS))


def binfmt_misc_dir() -> Path:
    """The build host's binfmt_misc as seen from here (a bind mount in a container)."""
    return Path(getattr(settings, "BINFMT_MISC_DIR", DEFAULT_BINFMT_MISC_DIR))


def buildx_timeout() -> float:
    return float(getattr(settings, "BUILDX_TIMEOUT", DEFAULT_BUILDX_TIMEOUT))


def buildkitd_config_path(builder: str) -> Path:
    """Where Bootstrap writes a builder's buildkitd.toml: swarmdeck's data folder."""
    return Path(settings.DATA_DIR) / "buildkitd" / f"{builder}.toml"


def bootstrap_defaults() -> dict[str, str]:
    """What a one-click Bootstrap uses for the values the form leaves empty."""
    return {"builder": builder_name(), "image": binfmt_image(), "platforms": binfmt_platforms()}
