"""Helpers shared by the questions' tests."""

from ponder.questions.models import Question


def settings_of(question: Question) -> dict[str, object]:
    """The question's settings as `services.question_update` takes them, unchanged: a test
    changes the one it is about on top."""
    return {
        "title": question.title,
        "description": question.description,
        "allow_ideas": question.allow_ideas,
        "allow_arguments": question.allow_arguments,
        "max_votes": question.max_votes,
        "deadline": question.deadline,
        "time_zone": question.time_zone,
    }
