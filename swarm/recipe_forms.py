"""The build recipe form: every field checked by swarm/build_spec.py, errors by the field."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from swarm import build_spec
from swarm.build_recipes import context_of, dockerfile_of, known_platforms, needed_platforms
from swarm.build_spec import SpecError
from swarm.models import BuilderRecord, BuildRecipe, Registry


def _words(text: str) -> list[str]:
    return [part for part in re.split(r"[\s,]+", text or "") if part]


class BuildRecipeForm(forms.ModelForm):
    tags = forms.CharField(help_text="One or more, e.g. latest 1.4.2")
    platforms = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, required=False,
        help_text="Prefilled with what the swarm's nodes need.",
    )
    extra_platforms = forms.CharField(required=False, label="Other platforms",
                                      help_text="e.g. linux/arm/v6")
    build_args = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                 help_text="KEY=VALUE per line; values are passed exactly.")
    builder = forms.CharField(required=False, help_text="buildx builder (empty: multiarch)")

    class Meta:
        model = BuildRecipe
        fields = ["name", "context_kind", "context_path", "git_url", "git_ref", "git_subdir",
                  "dockerfile", "registry", "repository", "tags", "platforms", "builder",
                  "build_args", "provenance", "no_cache"]
        labels = {"context_path": "Local folder", "git_url": "Git URL", "git_ref": "Git ref",
                  "git_subdir": "Subfolder in the repository", "provenance":
                  "Provenance attestations", "no_cache": "Build without cache"}
        widgets = {"context_kind": forms.RadioSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["registry"].queryset = Registry.objects.all()
        self.fields["registry"].required = True
        self.fields["platforms"].choices = [(p, p) for p in sorted(known_platforms())]
        self.builders = list(BuilderRecord.objects.values_list("name", flat=True))
        recipe: BuildRecipe | None = kwargs.get("instance")
        if recipe is not None and recipe.pk:
            self.initial["tags"] = " ".join(recipe.tags)
            self.initial["build_args"] = "\n".join(f"{k}={v}" for k, v in
                                                   recipe.build_args.items())
            self.initial["platforms"] = list(recipe.platforms)
        else:
            self.initial.setdefault("platforms", sorted(needed_platforms()))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        checks = {
            "repository": lambda: build_spec.repository(data.get("repository") or ""),
            "tags": lambda: list(build_spec.tags(_words(data.get("tags", "")))),
            "platforms": lambda: list(build_spec.platforms(
                list(data.get("platforms") or []) + _words(data.get("extra_platforms", "")),
                known_platforms())),
            "builder": lambda: data.get("builder") and build_spec.builder(data["builder"]),
            "build_args": lambda: dict(build_spec.build_args(data.get("build_args", ""))),
            "dockerfile": lambda: build_spec.relative_path(
                "dockerfile", data.get("dockerfile") or "Dockerfile"),
        }
        for name, check in checks.items():
            try:
                value = check()
            except SpecError as error:
                self.add_error(error.field, str(error))
            else:
                if name not in ("builder",):
                    data[name] = value
        self._check_context(data)
        return data

    def _check_context(self, data: dict[str, Any]) -> None:
        draft = BuildRecipe(
            context_kind=data.get("context_kind") or BuildRecipe.ContextKind.LOCAL,
            context_path=data.get("context_path") or "", git_url=data.get("git_url") or "",
            git_ref=data.get("git_ref") or "", git_subdir=data.get("git_subdir") or "",
            dockerfile=data.get("dockerfile") or "Dockerfile",
        )
        for field in ("name", "context_path", "git_url", "git_ref", "git_subdir"):
            value = data.get(field) or ""
            if value.startswith("-"):
                self.add_error(field, f"'{value}' looks like a command-line option")
                return
        try:
            context = context_of(draft)
            dockerfile_of(draft, context)
        except SpecError as error:
            self.add_error(error.field if error.field in self.fields else None, str(error))
