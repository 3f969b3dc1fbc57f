from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "ponder.notifications"
    label = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ponder.questions.signals import question_asked, worker_pass

        from . import receivers

        question_asked.connect(receivers.on_question_asked, dispatch_uid="notifications.asked")
        worker_pass.connect(receivers.on_worker_pass, dispatch_uid="notifications.worker")
