"""Build argv construction and validation of every recipe field (pure: nothing runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from swarm import build_spec
from swarm.build_spec import BuildSpec, SpecError, build_argv

KNOWN = {"linux/amd64", "linux/arm64", "linux/arm/v7"}


def test_the_argv_has_every_option_as_its_own_item():
    spec = BuildSpec(
        builder="multiarch", platforms=("linux/amd64", "linux/arm64"),
        images=("192.168.31.98:5000/app:1.4", "192.168.31.98:5000/app:latest"),
        context="/srv/builds/app", dockerfile="/srv/builds/app/Dockerfile",
        build_args=(("GREETING", "hello world"), ("EQ", "a=b=c"), ("UNI", "grüße ✓"),
                    ("EMPTY", "")),
        provenance=False, no_cache=True,
    )
    assert build_argv("docker", spec, "/data/jobs/7/metadata.json") == [
        "docker", "buildx", "build", "--builder", "multiarch",
        "--platform", "linux/amd64,linux/arm64",
        "-t", "192.168.31.98:5000/app:1.4", "-t", "192.168.31.98:5000/app:latest",
        "--push", "--progress=rawjson", "--metadata-file", "/data/jobs/7/metadata.json",
        "--file", "/srv/builds/app/Dockerfile",
        "--build-arg", "GREETING=hello world", "--build-arg", "EQ=a=b=c",
        "--build-arg", "UNI=grüße ✓", "--build-arg", "EMPTY=",
        "--provenance=false", "--no-cache", "/srv/builds/app",
    ]


def test_provenance_on_and_cache_kept():
    spec = BuildSpec("b", ("linux/amd64",), ("r/a:1",), "ctx", "Dockerfile", provenance=True)
    argv = build_argv("docker", spec, "m.json")
    assert "--provenance=true" in argv and "--no-cache" not in argv


def test_a_git_context_uses_the_url_fragment_syntax():
    assert build_spec.git_context("https://git.lan/me/app.git", "v1.2", "docker/web") == \
        "https://git.lan/me/app.git#v1.2:docker/web"
    assert build_spec.git_context("git@git.lan:me/app.git") == "git@git.lan:me/app.git"


def test_build_args_keep_values_exactly():
    assert build_spec.build_args("A=1\n\nB= spaced  value \nC=x=y\n") == (
        ("A", "1"), ("B", " spaced  value "), ("C", "x=y"))


@pytest.mark.parametrize(
    ("call", "field", "message"),
    [
        (lambda: build_spec.platforms(["linux/mips"], KNOWN), "platforms", "unknown platform"),
        (lambda: build_spec.platforms(["amd64"], KNOWN), "platforms", "amd64"),
        (lambda: build_spec.platforms(["--platform=x"], KNOWN), "platforms", "option"),
        (lambda: build_spec.platforms([], KNOWN), "platforms", "at least one"),
        (lambda: build_spec.tags(["--push"]), "tags", "option"),
        (lambda: build_spec.tags(["bad tag"]), "tags", "tag"),
        (lambda: build_spec.tags([]), "tags", "at least one"),
        (lambda: build_spec.repository("App"), "repository", "uppercase"),
        (lambda: build_spec.repository("-x/app"), "repository", "option"),
        (lambda: build_spec.builder("--driver"), "builder", "option"),
        (lambda: build_spec.builder("my builder"), "builder", "builder name"),
        (lambda: build_spec.build_args("--secret=x"), "build_args", "KEY=VALUE"),
        (lambda: build_spec.build_args("NO_EQUALS"), "build_args", "KEY=VALUE"),
        (lambda: build_spec.relative_path("dockerfile", "../Dockerfile"), "dockerfile", ".."),
        (lambda: build_spec.relative_path("dockerfile", "/etc/passwd"), "dockerfile", ".."),
        (lambda: build_spec.relative_path("dockerfile", "-f"), "dockerfile", "option"),
        (lambda: build_spec.git_context("--upload-pack=evil"), "git_url", "option"),
        (lambda: build_spec.git_context("file:///etc"), "git_url", "https://"),
        (lambda: build_spec.git_context("https://x/y.git", "--orphan"), "git_ref", "option"),
        (lambda: build_spec.git_context("https://x/y.git", "a..b"), "git_ref", "branch"),
        (lambda: build_spec.git_context("https://x/y.git", "", "../up"), "git_subdir", ".."),
    ],
)
def test_it_rejects_bad_input_naming_the_field(call, field, message):
    with pytest.raises(SpecError) as error:
        call()
    assert error.value.field == field
    assert message in str(error.value)


def test_a_local_context_must_stay_inside_an_allowed_root(tmp_path):
    root = tmp_path / "builds"
    (root / "app").mkdir(parents=True)
    outside = tmp_path / "secret"
    outside.mkdir()
    (root / "escape").symlink_to(outside)

    assert build_spec.local_context(str(root / "app"), [root]) == (root / "app").resolve()
    for bad, message in [(str(root / "app" / ".." / ".." / "secret"), ".."),
                         (str(root / "escape"), "outside the allowed"),
                         ("relative/app", "absolute"), ("-rf", "option"),
                         (str(outside), "outside the allowed")]:
        with pytest.raises(SpecError, match=message):
            build_spec.local_context(bad, [root])
    with pytest.raises(SpecError, match=r"\(none configured\)"):
        build_spec.local_context(str(root / "app"), [])
    assert Path(root / "app").exists()


def test_a_git_url_with_credentials_is_refused():
    with pytest.raises(SpecError, match="no user or token in the URL"):
        build_spec.git_context("https://me:ghp_token@github.com/me/app.git")
    assert build_spec.git_context("ssh://git@git.lan/me/app.git").startswith("ssh://git@")


def test_an_unreadable_folder_is_a_field_error_not_a_crash(tmp_path, settings):
    from swarm.build_recipes import context_of
    from swarm.models import BuildRecipe

    settings.BUILD_ROOTS = [tmp_path]
    recipe = BuildRecipe(context_path=str(tmp_path / ("a" * 300)))
    with pytest.raises(SpecError, match="cannot use that folder"):
        context_of(recipe)
