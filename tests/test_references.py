"""Image reference grammar (distribution/reference regexp.go), table-driven."""

from __future__ import annotations

import pytest

from swarm.references import ImageReference, parse_reference

SHA = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "192.168.31.98:5000/nginx:1.29.0",
            ImageReference("192.168.31.98:5000", "nginx", "1.29.0"),
        ),
        ("localhost:5000/a/b-c_d.e:tag", ImageReference("localhost:5000", "a/b-c_d.e", "tag")),
        ("localhost/app", ImageReference("localhost", "app")),
        (
            f"192.168.31.98:5000/nginx@{SHA}",
            ImageReference("192.168.31.98:5000", "nginx", None, SHA),
        ),
        (f"reg.lan/app:v1@{SHA}", ImageReference("reg.lan", "app", "v1", SHA)),
        ("[::1]:5000/app:1", ImageReference("[::1]:5000", "app", "1")),
        ("[fe80::1]/app", ImageReference("[fe80::1]", "app")),
        ("Registry.LAN:443/app", ImageReference("Registry.LAN:443", "app")),
        # No registry part: left empty, no docker.io/library defaulting.
        ("nginx", ImageReference("", "nginx")),
        ("nginx:1.29.0-arm64", ImageReference("", "nginx", "1.29.0-arm64")),
        ("user/app", ImageReference("", "user/app")),
        # Grammar: a lone host:port is a repository plus a tag.
        ("myhost:5000", ImageReference("", "myhost", "5000")),
        # Separators: '.', '_', '__', any number of '-'.
        ("r.lan/a__b/c---d/e.f_g", ImageReference("r.lan", "a__b/c---d/e.f_g")),
        ("r.lan/app:_Tag.1-x", ImageReference("r.lan", "app", "_Tag.1-x")),
        ("r.lan/app:" + "t" * 128, ImageReference("r.lan", "app", "t" * 128)),
        (
            "r.lan/app@sha512:" + "a" * 128,
            ImageReference("r.lan", "app", None, "sha512:" + "a" * 128),
        ),
    ],
)
def test_valid(text: str, expected: ImageReference) -> None:
    parsed = parse_reference(text)
    assert parsed == expected
    assert str(parsed) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("--flag", "must not start with '-'"),
        ("-reg.lan/app", "must not start with '-'"),
        ("reg.lan/app :1", "whitespace"),
        ("Nginx", "uppercase letters are not allowed in a repository name"),
        ("192.168.31.98:5000/Nginx:1.29.0", "uppercase letters are not allowed"),
        ("reg.lan/team/MyApp", "uppercase letters are not allowed"),
        ("a//b", "empty path component"),
        ("reg.lan/a//b:1", "empty path component"),
        ("a/", "empty path component"),
        ("/a", "empty path component"),
        ("reg.lan:5000/", "repository name is empty"),
        ("reg.lan/app:", "tag is empty"),
        ("reg.lan/app@", "digest is empty"),
        ("reg.lan/app:tag!", "invalid tag"),
        ("reg.lan/app:-tag", "invalid tag"),
        ("reg.lan/app:.tag", "invalid tag"),
        ("reg.lan/app:tägg", "invalid tag"),
        ("reg.lan/app:" + "t" * 129, "tag must be at most 128 characters"),
        ("reg.lan/a..b", "invalid repository path component 'a..b'"),
        ("reg.lan/a___b", "invalid repository path component"),
        ("reg.lan/-app", "invalid repository path component"),
        ("reg.lan/app-", "invalid repository path component"),
        ("reg.lan/app_", "invalid repository path component"),
        ("reg.lan:port/app", "registry port must be a number"),
        ("reg.lan:/app", "registry port must be a number"),
        ("-bad.lan/app", "must not start with '-'"),
        ("bad-.lan/app", "invalid registry host"),
        ("reg_lan.x/app", "invalid registry host"),
        ("reg.lan/app@sha256:abc", "64 hex characters"),
        ("reg.lan/app@sha256:" + "A" * 64, "lowercase hexadecimal"),
        ("reg.lan/app@md5:" + "a" * 32, "unsupported digest algorithm 'md5'"),
        ("reg.lan/app@" + "a" * 64, "must look like 'sha256:"),
        ("reg.lan/app@sha256:" + "a" * 64 + "@x", "lowercase hexadecimal"),
        ("a" * 64, "image ID"),
        ("reg.lan/" + "a" * 250, "at most 255 characters"),
    ],
)
def test_invalid(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_reference(text)


def test_name_length_limit_counts_registry() -> None:
    ok = "r.lan/" + "a" * 249  # 255 characters in all
    assert parse_reference(ok).repository == "a" * 249
    with pytest.raises(ValueError, match="255"):
        parse_reference(ok + "a")


def test_name_property() -> None:
    assert parse_reference("reg.lan:5000/a/b:1").name == "reg.lan:5000/a/b"
    assert parse_reference("a/b").name == "a/b"
