"""WebSocket routes (the job log stream arrives with the job runner)."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
