from django.apps import AppConfig


class TimetrackingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "timetracking"
    verbose_name = "Time tracking"

    def ready(self):
        # Not at the top: an AppConfig module is imported before the app registry is ready.
        from accounts.signals import user_deactivated
        from timetracking import services

        user_deactivated.connect(services.timer_end_for_leaver, dispatch_uid="timetracking.timer_end_for_leaver")
