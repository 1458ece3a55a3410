"""Settings come from the environment and fail loudly on a bad value."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from dashboard.env import database_from_url, env_bool, env_int, read_or_create_secret


def test_it_rejects_a_port_that_is_not_a_number(monkeypatch):
    monkeypatch.setenv("SWARMDECK_PORT", "80a")
    with pytest.raises(ImproperlyConfigured, match="SWARMDECK_PORT='80a' is not a whole number"):
        env_int("SWARMDECK_PORT", 8000)


def test_it_rejects_a_port_out_of_range(monkeypatch):
    monkeypatch.setenv("SWARMDECK_PORT", "70000")
    with pytest.raises(ImproperlyConfigured, match="above the maximum"):
        env_int("SWARMDECK_PORT", 8000, maximum=65535)


def test_it_rejects_a_boolean_typo(monkeypatch):
    monkeypatch.setenv("SWARMDECK_DEBUG", "ture")
    with pytest.raises(ImproperlyConfigured, match="not a boolean"):
        env_bool("SWARMDECK_DEBUG")


def test_it_reads_postgres_from_database_url():
    entry = database_from_url("postgres://deck:p%40ss@db.lan:5433/swarmdeck")
    assert entry["ENGINE"] == "django.db.backends.postgresql"
    assert (entry["NAME"], entry["USER"], entry["PASSWORD"]) == ("swarmdeck", "deck", "p@ss")
    assert (entry["HOST"], entry["PORT"]) == ("db.lan", "5433")


@pytest.mark.parametrize("url", ["mysql://x/y", "postgres://host/", "postgres://h:notaport/db"])
def test_it_rejects_an_unusable_database_url(url):
    with pytest.raises(ImproperlyConfigured):
        database_from_url(url)


def test_it_generates_the_secret_key_once_and_keeps_it_private(tmp_path):
    path = tmp_path / "data" / "secret_key"
    first = read_or_create_secret(path)
    assert read_or_create_secret(path) == first
    assert len(first) >= 50
    assert path.stat().st_mode & 0o777 == 0o600


def test_sqlite_is_configured_for_a_web_server_and_worker_sharing_it(settings):
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]
    assert "busy_timeout" in options["init_command"]


def test_the_task_queue_never_redelivers_a_running_job(settings):
    q = settings.Q_CLUSTER
    assert q["retry"] > q["timeout"]
    assert q["max_attempts"] == 1


def test_redis_url_switches_broker_and_channel_layer(settings):
    """Runs in both modes: `make test` runs this file again with REDIS_URL set."""
    from channels.layers import get_channel_layer

    layer = type(get_channel_layer()).__name__
    if settings.REDIS_URL:
        assert settings.Q_CLUSTER["redis"] == settings.REDIS_URL
        assert "orm" not in settings.Q_CLUSTER
        assert layer == "RedisChannelLayer"
    else:
        assert settings.Q_CLUSTER["orm"] == "default"
        assert "redis" not in settings.Q_CLUSTER
        assert layer == "InMemoryChannelLayer"
