from django.apps import AppConfig


class SwarmConfig(AppConfig):
    name = "swarm"
    verbose_name = "Swarm"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django_q.signals import post_spawn

        post_spawn.connect(_reap_on_worker_start, dispatch_uid="swarm-reap-lost-jobs")


def _reap_on_worker_start(sender: object, proc_name: str = "", **kwargs: object) -> None:
    """A worker (re)started: jobs whose worker process died are now ``lost``."""
    from swarm.jobs import reap_lost_jobs

    reap_lost_jobs()
