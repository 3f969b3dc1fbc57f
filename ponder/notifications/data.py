"""The account's subscriptions, for its "Download my data" (`accounts.data.register_section`):
which question, as whom and what it gets. Never the subscription's id (its unsubscribe link) nor
a key's hash."""

from typing import Any

from .models import Subscription


def account_subscriptions(account: Any) -> list[dict[str, Any]]:
    return [
        {
            "question": {"id": s.question.pk, "title": s.question.title},
            "role": s.role,
            "activity": s.activity,
            "deadline": s.deadline,
            "result": s.result,
            "created_at": s.created_at.isoformat(),
        }
        for s in Subscription.objects.filter(user=account)
        .select_related("question")
        .order_by("created_at", "pk")
    ]
