from django.apps import AppConfig


class SprocketsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sprockets"
    verbose_name = "Production"
