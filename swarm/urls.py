from django.urls import path
from django.views.generic import RedirectView

from swarm import job_views, views

app_name = "swarm"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="swarm:nodes", permanent=False), name="home"),
    path("nodes/", views.nodes_page, name="nodes"),
    path("nodes/table/", views.nodes_table, name="nodes-table"),
    path("nodes/refresh/", views.refresh_nodes, name="nodes-refresh"),
    path("jobs/", job_views.jobs_page, name="jobs"),
    path("jobs/table/", job_views.jobs_table, name="jobs-table"),
    path("jobs/system-check/", job_views.start_system_check, name="system-check"),
    path("jobs/<int:job_id>/", job_views.job_page, name="job"),
    path("jobs/<int:job_id>/header/", job_views.job_header, name="job-header"),
    path("jobs/<int:job_id>/log.txt", job_views.job_log_text, name="job-log"),
    path("jobs/<int:job_id>/cancel/", job_views.cancel, name="job-cancel"),
    path("jobs/<int:job_id>/rerun/", job_views.rerun_job, name="job-rerun"),
]
