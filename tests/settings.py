"""Test settings: the real settings, with django-q2 run inline and a file-based test DB.

Q_CLUSTER is read when django_q is imported, so "sync" is set here rather than with
override_settings (which would do nothing). The file-based SQLite test database lets a
live server in another process (``tests/live_server.py``) see what a test wrote.
"""

import os
import tempfile

_data = os.environ.setdefault("SWARMDECK_DATA_DIR", tempfile.mkdtemp(prefix="swarmdeck-test-"))
os.environ.setdefault("SWARMDECK_TEST_SQLITE_PATH", os.path.join(_data, "test.sqlite3"))

from dashboard.settings import *  # noqa: E402,F403
from dashboard.settings import Q_CLUSTER  # noqa: E402

Q_CLUSTER = {**Q_CLUSTER, "sync": True}
