"""Who may choose what in the Bootstrap form."""

from __future__ import annotations

import pytest

from swarm.builder_forms import BootstrapForm
from swarm.buildx_argv import ArgumentError, node_endpoint

pytestmark = pytest.mark.django_db


def test_only_admins_may_choose_the_privileged_installer_image(accounts):
    operator_form = BootstrapForm({"image": "evil/rootkit"}, user=accounts.operator)
    assert operator_form.is_valid(), operator_form.errors
    assert operator_form.params.image == "tonistiigi/binfmt"  # the configured one
    accounts.operator.is_staff = True
    staff_form = BootstrapForm({"image": "registry.lan/binfmt:9"}, user=accounts.operator)
    assert staff_form.is_valid() and staff_form.params.image == "registry.lan/binfmt:9"


@pytest.mark.parametrize("endpoint", ["ssh://pi@host/$(reboot)", "ssh://pi@host/path",
                                      "tcp://host", "ssh://a b", "--help"])
def test_node_endpoints_with_paths_or_commands_are_refused(endpoint):
    with pytest.raises(ArgumentError):
        node_endpoint(endpoint)
