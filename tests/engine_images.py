"""Images built and pushed by the real isolated engine (no pulls: FROM scratch plus the
static busybox from Debian's busybox-static)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from tests.components import need_executable
from tests.engine import IsolatedEngine

BUSYBOX_CANDIDATES = ("/bin/busybox", "/usr/bin/busybox")


def build_and_push(engine: IsolatedEngine, reference: str, platform: str,
                   busybox: str | None = None, label: str = "") -> None:
    """``docker build --platform P -t REF`` of FROM scratch + busybox, then ``docker push``.

    ``busybox`` is the static binary to copy in (the host's by default: its architecture
    only matters to tests that run the image)."""
    binary = busybox or need_executable("busybox-static", *BUSYBOX_CANDIDATES,
                                        package="busybox-static")
    context = Path(tempfile.mkdtemp(prefix="sd-build-"))
    try:
        shutil.copy(binary, context / "busybox")
        (context / "Dockerfile").write_text(
            "FROM scratch\nCOPY busybox /bin/busybox\n"
            f'LABEL swarmdeck.test="{label or reference}"\n'
            'ENTRYPOINT ["/bin/busybox"]\nCMD ["uname", "-m"]\n'
        )
        engine.docker("build", "--platform", platform, "-t", reference, str(context),
                      env={"DOCKER_BUILDKIT": "1"}, timeout=300)
        engine.docker("push", reference, timeout=300)
    finally:
        shutil.rmtree(context, ignore_errors=True)


def manifest_merge_with_cli(engine: IsolatedEngine, target: str, *sources: str) -> None:
    """What users do by hand today: docker manifest create/push --insecure."""
    amends = [part for source in sources for part in ("--amend", source)]
    engine.docker("manifest", "create", "--insecure", target, *amends)
    engine.docker("manifest", "push", "--insecure", target)
