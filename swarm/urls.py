from django.urls import path
from django.views.generic import RedirectView

from swarm import views

app_name = "swarm"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="swarm:nodes", permanent=False), name="home"),
    path("nodes/", views.nodes_page, name="nodes"),
    path("nodes/table/", views.nodes_table, name="nodes-table"),
    path("nodes/refresh/", views.refresh_nodes, name="nodes-refresh"),
]
