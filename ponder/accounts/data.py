"""Download my data: everything of the account's, as one JSON document (a fixed number of queries,
however much there is)."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.utils import timezone

from ponder.questions.models import Argument, Comment, Idea, Like, Participant, Question, Vote

from .models import ApiToken, Profile

FORMAT = "ponder-account-data/1"

# Further sections of the document, by name, each read from the account: added by the apps that
# hold that data (`register_section`, from their AppConfig.ready), since accounts may not import
# them (they import accounts, through the reader rule: a cycle).
SECTIONS: dict[str, Callable[[Any], Any]] = {}


def register_section(name: str, read: Callable[[Any], Any]) -> None:
    SECTIONS[name] = read


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _question(question: Question) -> dict[str, str]:
    return {"id": question.pk, "title": question.title}


def account_data(account: Any) -> dict[str, Any]:
    """The account, the questions it asked, the names it took part under, and what it wrote,
    voted for and liked, each with its question's title and its time."""
    profile = Profile.objects.filter(user=account).first()
    mine = {"author__user": account}
    return {
        "format": FORMAT,
        "exported_at": _time(timezone.now()),
        "account": {
            "username": account.get_username(),
            "email": getattr(account, "email", ""),
            "display_name": profile.display_name if profile else "",
            "joined_at": _time(getattr(account, "date_joined", None)),
            "api_tokens": [
                {"label": t.label, "starts_with": t.hint, "created_at": _time(t.created_at)}
                for t in ApiToken.objects.filter(user=account)
            ],
        },
        "questions_asked": [
            {
                "id": q.pk,
                "title": q.title,
                "description": q.description,
                "created_at": _time(q.created_at),
                "deadline": _time(q.deadline),
                "time_zone": q.time_zone,
                "closed_at": _time(q.closed_at),
            }
            for q in Question.objects.filter(created_by=account).order_by("created_at", "pk")
        ],
        "took_part_as": [
            {"question": _question(p.question), "name": p.name, "joined_at": _time(p.created_at)}
            for p in Participant.objects.filter(user=account)
            .select_related("question")
            .order_by("created_at", "pk")
        ],
        "ideas": [
            {
                "question": _question(i.question),
                "title": i.title,
                "description": i.description,
                "created_at": _time(i.created_at),
            }
            for i in Idea.objects.filter(**mine)
            .select_related("question")
            .order_by("created_at", "pk")
        ],
        "arguments": [
            {
                "question": _question(a.idea.question),
                "idea": a.idea.title,
                "kind": a.kind,
                "text": a.text,
                "created_at": _time(a.created_at),
            }
            for a in Argument.objects.filter(**mine)
            .select_related("idea__question")
            .order_by("created_at", "pk")
        ],
        "comments": [
            {"question": _question(c.question), "text": c.text, "created_at": _time(c.created_at)}
            for c in Comment.objects.filter(**mine)
            .select_related("question")
            .order_by("created_at", "pk")
        ],
        "votes": [
            {
                "question": _question(v.idea.question),
                "idea": v.idea.title,
                "created_at": _time(v.created_at),
            }
            for v in Vote.objects.filter(participant__user=account)
            .select_related("idea__question")
            .order_by("created_at", "pk")
        ],
        "likes": [
            {
                "question": _question(like.argument.idea.question),
                "idea": like.argument.idea.title,
                "argument": like.argument.text,
                "created_at": _time(like.created_at),
            }
            for like in Like.objects.filter(participant__user=account)
            .select_related("argument__idea__question")
            .order_by("created_at", "pk")
        ],
        **{name: read(account) for name, read in SECTIONS.items()},
    }
