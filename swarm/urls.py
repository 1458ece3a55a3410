from django.urls import path
from django.views.generic import RedirectView

from swarm import builder_views, compat_views, job_views, merge_views, registry_views, views

app_name = "swarm"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="swarm:nodes", permanent=False), name="home"),
    path("nodes/", views.nodes_page, name="nodes"),
    path("nodes/table/", views.nodes_table, name="nodes-table"),
    path("nodes/refresh/", views.refresh_nodes, name="nodes-refresh"),
    path("compat/", compat_views.matrix_page, name="compat"),
    path("services/", compat_views.services_page, name="services"),
    path("services/panel/", compat_views.services_panel, name="services-panel"),
    path("services/refresh/", compat_views.refresh_services, name="services-refresh"),
    path("builders/", builder_views.builders_page, name="builders"),
    path("builders/panel/", builder_views.builders_panel, name="builders-panel"),
    path("builders/refresh/", builder_views.refresh_builders, name="builders-refresh"),
    path("builders/bootstrap/", builder_views.start_bootstrap, name="bootstrap"),
    path("jobs/", job_views.jobs_page, name="jobs"),
    path("jobs/table/", job_views.jobs_table, name="jobs-table"),
    path("jobs/system-check/", job_views.start_system_check, name="system-check"),
    path("jobs/<int:job_id>/", job_views.job_page, name="job"),
    path("jobs/<int:job_id>/header/", job_views.job_header, name="job-header"),
    path("jobs/<int:job_id>/log.txt", job_views.job_log_text, name="job-log"),
    path("jobs/<int:job_id>/cancel/", job_views.cancel, name="job-cancel"),
    path("jobs/<int:job_id>/rerun/", job_views.rerun_job, name="job-rerun"),
    path("merge/", merge_views.merge_page, name="merge"),
    path("registries/", registry_views.registries_page, name="registries"),
    path("registries/add/", registry_views.registry_form, name="registry-add"),
    path("registries/<int:registry_id>/", registry_views.registry_page, name="registry"),
    path("registries/<int:registry_id>/edit/", registry_views.registry_form,
         name="registry-edit"),
    path("registries/<int:registry_id>/delete/", registry_views.registry_delete,
         name="registry-delete"),
    path("registries/<int:registry_id>/test/", registry_views.registry_test,
         name="registry-test"),
    path("registries/<int:registry_id>/scan/", registry_views.registry_scan,
         name="registry-scan"),
    path("registries/<int:registry_id>/repos/<path:repo>/", registry_views.repository_page,
         name="repository"),
    path("registries/<int:registry_id>/tags/<path:repo>:<str:tag>/", registry_views.tag_page,
         name="tag"),
]
