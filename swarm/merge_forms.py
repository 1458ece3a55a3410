"""The merge form and its preview from the inventory (no registry I/O in the request)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django import forms

from swarm.merge_job import DELETE_TRAP, merge_request
from swarm.models import Registry, Tag
from swarm.references import parse_reference


class MergeForm(forms.Form):
    registry = forms.ModelChoiceField(queryset=Registry.objects.all(), empty_label=None)
    target = forms.CharField(
        max_length=300, help_text="repository:tag to create or update, e.g. nginx:1.29.0",
        widget=forms.TextInput(attrs={"placeholder": "nginx:1.29.0", "autocomplete": "off"}),
    )
    sources = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "nginx:1.29.0-amd64\n"
                                     "nginx:1.29.0-arm64"}),
        help_text="Two or more images, one per line (repository:tag or repository@digest).",
    )
    keep_attestations = forms.BooleanField(
        required=False, initial=True, label="Keep attestations (provenance/SBOM) with their images"
    )

    def clean_target(self) -> str:
        text = self.cleaned_data["target"].strip()
        try:
            ref = parse_reference(text)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        if ref.digest or not ref.tag:
            raise forms.ValidationError("the target needs a tag (repository:tag), not a digest")
        return text

    def clean_sources(self) -> list[str]:
        # References hold no spaces or commas: accept lines, spaces or commas between them.
        sources = [part for part in re.split(r"[\s,]+", self.cleaned_data["sources"]) if part]
        problems = []
        for source in sources:
            try:
                ref = parse_reference(source)
                if not (ref.tag or ref.digest):
                    problems.append(f"{source}: needs a tag or a digest")
            except ValueError as error:
                problems.append(f"{source}: {error}")
        if problems:
            raise forms.ValidationError(problems)
        if len(sources) < 2:
            raise forms.ValidationError("give at least two sources, one per line")
        if len(set(sources)) != len(sources):
            raise forms.ValidationError("a source is listed twice")
        return sources

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            merge_request(self.job_params())
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        return data

    def job_params(self) -> dict[str, object]:
        data = self.cleaned_data
        return {"registry": data["registry"].pk, "target": data["target"],
                "sources": data["sources"], "keep_attestations": data["keep_attestations"]}


@dataclass
class PreviewRow:
    platform: str
    digest: str
    source: str
    conflict: bool = False


@dataclass
class Preview:
    rows: list[PreviewRow] = field(default_factory=list)
    unknown_sources: list[str] = field(default_factory=list)
    attestations: int = 0
    result_type: str = ""
    target_exists: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def conflicts(self) -> list[str]:
        return sorted({row.platform for row in self.rows if row.conflict})

    @property
    def platforms(self) -> list[str]:
        return sorted({row.platform for row in self.rows})


def preview_from_inventory(params: dict[str, object]) -> Preview:
    """What the merge would produce, as far as the last scan knows (two queries)."""
    request = merge_request(params)
    preview = Preview(notes=[DELETE_TRAP])
    wanted = {(repo, ref): written for written, repo, ref in request.sources}
    tags = {(t.repository.name, t.name): t for t in Tag.objects.filter(
        repository__registry=request.registry,
        repository__name__in={repo for repo, _ in wanted},
    ).select_related("repository").prefetch_related("images")}
    docker_only = True
    seen: dict[str, PreviewRow] = {}
    for (repo, ref), written in wanted.items():
        tag = tags.get((repo, ref))
        if tag is None:
            preview.unknown_sources.append(written)
            continue
        for image in tag.images.all():
            docker_only &= "docker" in image.media_type
            if image.is_attestation:
                preview.attestations += int(bool(params.get("keep_attestations", True)))
                continue
            row = PreviewRow(image.platform or "unknown", image.digest, written)
            if image.platform in seen and seen[image.platform].digest != image.digest:
                row.conflict = seen[image.platform].conflict = True
            seen.setdefault(image.platform, row)
            preview.rows.append(row)
    preview.rows.sort(key=lambda row: (row.platform, row.source))
    preview.result_type = "Docker manifest list" if docker_only else "OCI index"
    preview.target_exists = (request.target_repository, request.target_tag) in tags or \
        Tag.objects.filter(repository__registry=request.registry,
                           repository__name=request.target_repository,
                           name=request.target_tag).exists()
    return preview
