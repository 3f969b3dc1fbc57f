from django.apps import AppConfig


class QuestionsConfig(AppConfig):
    name = "ponder.questions"
    label = "questions"

    def ready(self) -> None:
        from django.core import checks

        from ponder import proxies

        checks.register(proxies.check_trusted_proxies, checks.Tags.security, deploy=True)
