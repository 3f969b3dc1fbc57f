# ruff: noqa: S311 - random load patterns, not secrets
"""Load on one question, as people use it (docs/reliability.md #29): locust, run by bench/soak.py.

    PONDER_QUESTION=<id> locust -f bench/locustfile.py --headless -u 200 -r 20 -t 2m \\
        -H http://127.0.0.1:8000

Each simulated person takes part by name through the API (one token each), then, with a pause
of 2 to 8 seconds between actions, picks:

- browse (70%): the question page, as a browser loads it (HTML), or now and then the API's read;
- vote (15%): vote for an idea, or take the vote back (PUT or DELETE, both idempotent);
- idea or argument (10%): add an idea, or a pro or con to an idea;
- live updates (5%): open the question's event stream, read its first event, close it.

With LOCUST_STATUS_FILE set, the count of every status code is written there as JSON at the end
(soak.py counts the 5xx from it; locust itself counts all failures alike).
"""

import json
import os
import random
from collections import Counter
from typing import Any

from locust import HttpUser, between, events, task

QUESTION = os.environ.get("PONDER_QUESTION", "")
STATUSES: Counter[str] = Counter()


@events.request.add_listener
def _count_status(response: Any = None, exception: Any = None, **_: Any) -> None:
    status = getattr(response, "status_code", None)
    STATUSES[str(status) if status else f"no answer: {type(exception).__name__}"] += 1


@events.test_stop.add_listener
def _write_statuses(**_: Any) -> None:
    if path := os.environ.get("LOCUST_STATUS_FILE"):
        with open(path, "w") as out:
            json.dump(dict(STATUSES), out)


class Participant(HttpUser):
    wait_time = between(2, 8)

    def on_start(self) -> None:
        if not QUESTION:
            raise RuntimeError("set PONDER_QUESTION to the id of the question to load")
        self.api = f"/api/v1/questions/{QUESTION}"
        reply = self.client.post(
            f"{self.api}/participants",
            json={"name": f"Load {random.randrange(10**6)}"},
            name="join (API)",
        )
        self.token = reply.json()["token"] if reply.status_code == 201 else ""
        self.headers = {"Authorization": f"Bearer {self.token}"}
        self.ideas: list[str] = []
        self._read()

    def _read(self) -> None:
        reply = self.client.get(self.api, headers=self.headers, name="question (API)")
        if reply.status_code == 200:
            self.ideas = [idea["id"] for idea in reply.json()["ideas"]] or self.ideas

    @task(63)
    def browse_page(self) -> None:
        self.client.get(f"/q/{QUESTION}/", name="question page")

    @task(7)
    def browse_api(self) -> None:
        self._read()

    @task(15)
    def vote(self) -> None:
        if not self.ideas:
            return
        idea = random.choice(self.ideas)
        if random.random() < 0.7:
            self.client.put(f"/api/v1/ideas/{idea}/vote", headers=self.headers, name="vote")
        else:
            self.client.delete(f"/api/v1/ideas/{idea}/vote", headers=self.headers, name="unvote")

    @task(10)
    def add_idea_or_argument(self) -> None:
        words = random.sample(["bench", "garden", "library", "café", "bike", "stage", "roof"], 3)
        if random.random() < 0.3 or not self.ideas:
            reply = self.client.post(
                f"{self.api}/ideas",
                json={"title": " ".join(words).capitalize()},
                headers=self.headers,
                name="add idea",
            )
            if reply.status_code == 201:
                self.ideas.append(reply.json()["id"])
        else:
            self.client.post(
                f"/api/v1/ideas/{random.choice(self.ideas)}/arguments",
                json={"kind": random.choice(["pro", "con"]), "text": " and ".join(words)},
                headers=self.headers,
                name="add argument",
            )

    @task(5)
    def live_updates(self) -> None:
        with self.client.get(
            f"{self.api}/events",
            headers=self.headers,
            stream=True,
            timeout=10,
            name="live updates (first event)",
            catch_response=True,
        ) as reply:
            if reply.status_code != 200:
                reply.failure(f"status {reply.status_code}")
                return
            for line in reply.iter_lines():
                if line.startswith(b"data:"):
                    reply.success()
                    break
            reply.close()
