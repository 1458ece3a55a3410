from django.apps import AppConfig


class SwarmConfig(AppConfig):
    name = "swarm"
    verbose_name = "Swarm"
    default_auto_field = "django.db.models.BigAutoField"
