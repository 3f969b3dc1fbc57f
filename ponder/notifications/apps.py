from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "ponder.notifications"
    label = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ponder.accounts.data import register_section
        from ponder.questions.signals import question_asked, worker_pass

        from . import receivers
        from .data import account_subscriptions

        register_section("subscriptions", account_subscriptions)

        question_asked.connect(receivers.on_question_asked, dispatch_uid="notifications.asked")
        worker_pass.connect(receivers.on_worker_pass, dispatch_uid="notifications.worker")
