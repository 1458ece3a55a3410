"""Settings for a second live server in the same test session: the real settings with a
django-q2 queue of its own, so the session's `served` worker (whose docker is
tests/bin/slow-docker) never takes this server's jobs from the shared test database."""

from dashboard.settings import *  # noqa: F403
from dashboard.settings import Q_CLUSTER

Q_CLUSTER = {**Q_CLUSTER, "name": "swarmdeck-own-queue"}
