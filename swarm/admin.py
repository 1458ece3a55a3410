from django.contrib import admin

from swarm.models import Snapshot, SwarmNode


@admin.register(SwarmNode)
class SwarmNodeAdmin(admin.ModelAdmin):
    list_display = ("hostname", "role", "state", "architecture", "platform", "engine_version")
    search_fields = ("hostname", "node_id")


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = ("kind", "refreshed_at", "attempted_at", "error")
