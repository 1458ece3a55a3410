"""Driving tests/bin/replay-docker, the stand-in `docker` that replays buildx and binfmt
fixtures: set up its world and state, point swarmdeck at it, read back the argv it got."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

REPLAY_DOCKER = Path(__file__).resolve().parent / "bin" / "replay-docker"
UNEXPECTED = 99  # its exit code for an argv it has no fixture for


@dataclass
class ReplayDocker:
    folder: Path
    world: str = "v0.36.1"
    builders: list[str] = field(default_factory=lambda: ["default"])
    emulators: bool = False  # the QEMU emulators are installed on the build host
    faults: list[str] = field(default_factory=list)
    old_builders: list[str] = field(default_factory=list)  # made by hand, no stored config
    appended: list[str] = field(default_factory=list)
    config_dir: Path | None = None  # where Bootstrap writes buildkitd.toml (DATA_DIR/buildkitd)

    @property
    def state_path(self) -> Path:
        return self.folder / "state.json"

    @property
    def env(self) -> dict[str, str]:
        return {"SWARMDECK_DOCKER_CLI": str(REPLAY_DOCKER), "REPLAY_DOCKER_STATE": str(self.folder)}

    def write(self) -> ReplayDocker:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.state_path.write_text(json.dumps({
            "world": self.world, "builders": self.builders, "emulators": self.emulators,
            "faults": self.faults, "old_builders": self.old_builders, "appended": self.appended,
            "config_dir": str(self.config_dir or ""), "calls": [],
        }))
        return self

    def state(self) -> dict:
        return json.loads(self.state_path.read_text())

    def calls(self) -> list[list[str]]:
        return self.state()["calls"]

    def clear_calls(self) -> None:
        state = self.state()
        state["calls"] = []
        self.state_path.write_text(json.dumps(state))
