"""Print what must survive a backup and restore: rows per table, and a hash of every question's
exports (the four CSV tables and the JSON of the API), as JSON.

    PONDER_DATA_DIR=... [DATABASE_URL=...] python -m tests.backup.fingerprint
"""

import hashlib
import json
import os


def fingerprint() -> dict[str, object]:
    from django.core.serializers.json import DjangoJSONEncoder
    from django.test import RequestFactory

    from ponder.questions.access import Access
    from ponder.questions.exports import TABLES, results_for, to_csv
    from ponder.questions.management.commands.backup import row_counts
    from ponder.questions.models import Question
    from ponder.questions.shapes import question_data, results_data

    exports = {}
    request = RequestFactory().get("/", SERVER_NAME="localhost")
    for question in Question.objects.order_by("pk"):
        # As the organiser sees it: every export is open to them.
        access = Access(
            question=question, participant=None, is_organiser=True, token=None, admin_key=None
        )
        digest = hashlib.sha256()
        results = results_for(request, access)
        for make in TABLES.values():
            digest.update(to_csv(make(results)))
        data = {**question_data(access, share_url="-"), "results": results_data(access)}
        digest.update(json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True).encode())
        exports[question.pk] = digest.hexdigest()
    return {"counts": row_counts("default"), "exports": exports}


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ponder.settings")
    import django

    django.setup()
    print(json.dumps(fingerprint()))
