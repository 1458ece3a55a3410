"""The Bootstrap form: one click with the defaults, options folded away."""

from __future__ import annotations

from typing import Any

from django import forms

from swarm.bootstrap_plan import BootstrapParams
from swarm.builder_settings import bootstrap_defaults
from swarm.buildx_argv import ArgumentError


class BootstrapForm(forms.Form):
    builder = forms.CharField(max_length=100, required=False, label="Builder name")
    platforms = forms.CharField(
        max_length=200, required=False, label="Emulated platforms",
        help_text="all, or binfmt names such as arm64,arm",
    )
    image = forms.CharField(max_length=255, required=False, label="binfmt installer image")
    use = forms.BooleanField(required=False, initial=True,
                             label="Make it the current builder (--use)")
    recreate = forms.BooleanField(
        required=False, label="Recreate the builder if its config differs",
        help_text="Removes the builder and its build cache, then creates it again.",
    )
    append_endpoint = forms.CharField(
        max_length=255, required=False, label="Append a node (optional)",
        help_text="e.g. ssh://pi@192.168.1.20, for native arm builds on the Pi",
    )
    append_node = forms.CharField(max_length=100, required=False, label="Its node name")

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The installer runs as a privileged container on the build host: only admins may
        # choose another image than the configured one (SWARMDECK_BINFMT_IMAGE).
        if not getattr(user, "is_staff", False):
            del self.fields["image"]
        for name, value in bootstrap_defaults().items():
            if name in self.fields:
                self.fields[name].widget.attrs["placeholder"] = value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        try:
            self.params = BootstrapParams.from_params(data, bootstrap_defaults())
        except ArgumentError as error:
            raise forms.ValidationError(str(error)) from None
        return data
