"""The registry form: the URL says whether it is plain HTTP; secrets are write-only."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms

from swarm.models import Registry


def normalise_registry_url(text: str) -> str:
    """``http://host:port`` with no path; a bare ``host:port`` means plain HTTP (the usual
    homelab registry). Raises ValueError with a message for the field."""
    text = text.strip()
    if not text:
        raise ValueError("enter the registry's address, e.g. http://192.168.31.98:5000")
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"use http:// or https://, not {parts.scheme}://")
    if parts.username or parts.password:
        raise ValueError("put the username and password in their own fields, not in the URL")
    if not parts.hostname:
        raise ValueError("the address has no host name")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("the port must be a number from 1 to 65535") from None
    if parts.path not in ("", "/", "/v2", "/v2/") or parts.query or parts.fragment:
        raise ValueError("give only scheme, host and port (the API lives at /v2/ on it)")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}"


class RegistryForm(forms.ModelForm):
    password = forms.CharField(
        required=False, strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to keep the stored one (changing the URL or username forgets "
        "it). Never shown again.",
    )
    token = forms.CharField(
        required=False, widget=forms.PasswordInput(render_value=False),
        help_text="A bearer token instead of a password (optional). Never shown again.",
    )
    clear_secrets = forms.BooleanField(
        required=False, label="Forget the stored password and token",
    )

    class Meta:
        model = Registry
        fields = ["name", "base_url", "username", "password", "token", "verify_tls"]
        labels = {"base_url": "URL", "verify_tls": "Verify TLS certificate"}

    def clean_base_url(self) -> str:
        try:
            return normalise_registry_url(self.cleaned_data["base_url"])
        except ValueError as error:
            # Never echo what was typed: it may hold a password (http://user:pass@host).
            self.data = self.data.copy()
            self.data["base_url"] = ""
            raise forms.ValidationError(str(error)) from None

    def save(self, commit: bool = True) -> Registry:
        registry: Registry = super().save(commit=False)
        stored = Registry.objects.filter(pk=registry.pk).first() if registry.pk else None
        data: dict[str, Any] = self.cleaned_data
        # Stored secrets stay only with the registry and user they were typed for: a new
        # address must not receive the old password (it would be sent there on first scan).
        moved = stored is not None and (stored.base_url != registry.base_url
                                        or stored.username != registry.username)
        for secret in ("password", "token"):
            new_value = data.get(secret) or ""
            if new_value:
                setattr(registry, secret, new_value)
            elif data.get("clear_secrets") or moved:
                setattr(registry, secret, "")
            elif stored is not None:
                setattr(registry, secret, getattr(stored, secret))  # empty means keep
        if commit:
            registry.save()
        return registry
