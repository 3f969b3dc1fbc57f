"""Bench data: questions of two sizes, the same every time.

    .venv/bin/python bench/data.py [--size S L] [--writer bulk|services] [--check]

S is the reference page (`ponder demo`): its 36 ideas, 150 pros and cons, 300 likes, 500 votes
from 50 people and 5 comments. L is 1,000 ideas, 10,000 pros and cons, 20,000 likes, 100,000
votes from 5,000 people and 2,000 comments, with texts invented from the demo's own sentences (a
word chain) at the lengths the demo has. Likes are not in the suite's list of sizes; they are on the
reference page, so L has them in the same proportion to its arguments.

A seed makes a `Plan`: every participant (with their token, so the bench can act as any of them),
idea, argument, like, vote and comment, in the order they happen. Two writers turn a plan into
rows:

- `services`: through the service functions, one call per row, as `ponder demo` does;
- `bulk`: `bulk_create` of the very rows the services would write: the same question version,
  one `Event` per change with that version and those ids, timestamps in the same order. Ids come
  from the seed too, so the bulk question is identical from run to run.

`--check` writes S both ways and compares them row by row (`snapshot`), which is what allows the
bulk writer for L (through the services, L would take many minutes).
"""

import argparse
import bisect
import hashlib
import json
import os
import random
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from texts import (
    ADJECTIVES,
    FACILITIES,
    FIRST_NAMES,
    PLACES,
    PURPOSES,
    SURNAMES,
    Babbler,
    demo_corpus,
    demo_lengths,
)

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Bulk rows are dated from here on, one second per change, in the order of the plan.
EPOCH = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Size:
    ideas: int
    arguments: int
    likes: int
    votes: int
    people: int
    comments: int


SIZES = {
    "S": Size(ideas=36, arguments=150, likes=300, votes=500, people=50, comments=5),
    "L": Size(
        ideas=1_000, arguments=10_000, likes=20_000, votes=100_000, people=5_000, comments=2_000
    ),
}


@dataclass
class Plan:
    """Everything a question gets, in the order it happens. People are indexes into `people`;
    index 0 is the organiser."""

    size: str
    seed: int
    title: str
    description: str
    admin_key: str
    people: list[tuple[str, str]]  # (name, token)
    ideas: list[tuple[int, str, str]]  # (author, title, description)
    arguments: list[tuple[int, int, str, str]]  # (idea, author, kind, text), grouped by idea
    likes: list[tuple[int, int]]  # (argument, person)
    votes: list[tuple[int, int]]  # (idea, person)
    comments: list[tuple[int, str]]  # (author, text)
    organiser_ideas: int = 5  # the first ideas are the organiser's, as on a real question
    extra: dict[str, Any] = field(default_factory=dict)

    def changes(self) -> int:
        """How many changes the services announce: the question's version when done."""
        return (
            len(self.ideas)
            + len(self.arguments)
            + len(self.likes)
            + len(self.votes)
            + len(self.comments)
        )

    def bench_person(self) -> int:
        """The participant the bench reads as: the one with the most votes (per-person state on
        many rows), who also wrote something (their own entries show edit links)."""
        votes = Counter(person for _idea, person in self.votes)
        authors = {author for _idea, author, _kind, _text in self.arguments}
        authors |= {author for author, _title, _description in self.ideas}
        ranked = sorted(votes, key=lambda p: (-(p in authors), -votes[p], p))
        return ranked[0]


# Texts ----------------------------------------------------------------------------------------


def _secret(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(BASE62) for _ in range(length))


def _split(total: int, parts: int, rng: random.Random, *, low: int, high: int) -> list[int]:
    """`parts` random numbers between `low` and `high` that add up to `total` (as in the demo)."""
    return _adjust([rng.randint(low, high) for _ in range(parts)], total, rng, low=low, high=high)


def _adjust(sizes: list[int], total: int, rng: random.Random, *, low: int, high: int) -> list[int]:
    """Nudge random sizes by one, within `low` and `high`, until they add up to `total`."""
    diff = total - sum(sizes)
    while diff != 0:
        i = rng.randrange(len(sizes))
        step = 1 if diff > 0 else -1
        if low <= sizes[i] + step <= high:
            sizes[i] += step
            diff -= step
    return sizes


def _weighted_sample(
    rng: random.Random, cum_weights: list[float], k: int, exclude: set[int] | None = None
) -> list[int]:
    """k distinct indexes drawn by weight (rejection: fine while k is small against the total)."""
    chosen: list[int] = []
    seen = set(exclude or ())
    total = cum_weights[-1]
    while len(chosen) < k:
        i = bisect.bisect_right(cum_weights, rng.random() * total)
        if i not in seen:
            seen.add(i)
            chosen.append(i)
    return chosen


def _cumulative(weights: list[float]) -> list[float]:
    out, running = [], 0.0
    for weight in weights:
        running += weight
        out.append(running)
    return out


def make_plan(size: str, *, seed: int = 1) -> Plan:
    from ponder.questions.management.commands import demo

    spec = SIZES[size]
    # Not secrets: bench data must be the same every time, its tokens included.
    rng = random.Random(f"ponder-bench-{size}-{seed}")  # noqa: S311
    secrets_rng = random.Random(f"ponder-bench-{size}-{seed}-secrets")  # noqa: S311
    people = [(demo.ORGANISER, _secret(secrets_rng, 22))]
    if size == "S":
        names = list(demo.PEOPLE)
    else:
        names = []
        for _ in range(spec.people):
            first = rng.choice(FIRST_NAMES)
            shape = rng.random()
            if shape < 0.15:
                names.append(first)  # some people give a first name only
            elif shape < 0.3:
                names.append(f"{first} {rng.choice(SURNAMES)[0]}.")
            else:
                names.append(f"{first} {rng.choice(SURNAMES)}")
    people += [(name, _secret(secrets_rng, 22)) for name in names]
    everyone = range(1, len(people))

    ideas: list[tuple[int, str, str]] = []
    arguments: list[tuple[int, int, str, str]] = []
    if size == "S":
        for number, (title, description, texts) in enumerate(demo.IDEAS):
            author = 0 if number < 5 else rng.choice(everyone)
            ideas.append((author, title, description))
            for text in texts:
                kind = "pro" if text.startswith("+") else "con"
                arguments.append((number, rng.choice(everyone), kind, text[2:]))
        comments = [(0 if who is None else who + 1, text) for who, text in demo.COMMENTS]
    else:
        ideas, arguments, comments = _invent(rng, spec, everyone)

    # Likes go mostly to a few strong arguments, never to one's own (as in the demo).
    cum = _cumulative([rng.random() ** 2 for _ in arguments])
    likes_seen: set[tuple[int, int]] = set()
    likes: list[tuple[int, int]] = []
    while len(likes) < spec.likes:
        a = bisect.bisect_right(cum, rng.random() * cum[-1])
        p = rng.choice(everyone)
        if (a, p) not in likes_seen and arguments[a][1] != p:
            likes_seen.add((a, p))
            likes.append((a, p))

    # Approval voting: each person votes for several ideas, the popular ones more often.
    if size == "S":
        budgets = _split(spec.votes, spec.people, rng, low=2, high=spec.ideas // 2)
        popularity = [0.9**i for i in range(spec.ideas)]
    else:
        # Most people vote for a handful of ideas, a few for very many.
        budgets = [min(150, 1 + int(rng.expovariate(1 / 19))) for _ in everyone]
        budgets = _adjust(budgets, spec.votes, rng, low=1, high=150)
        # A long tail: a few ideas everyone likes, most with a handful of votes.
        order = list(range(spec.ideas))
        rng.shuffle(order)
        order.sort(key=lambda i: i * rng.random())  # early ideas tend to be popular
        popularity = [0.0] * spec.ideas
        for place, i in enumerate(order):
            popularity[i] = 1 / (place + 1) ** 0.9
    cum = _cumulative(popularity)
    votes = [
        (idea, person)
        for person, budget in zip(everyone, budgets, strict=True)
        for idea in _weighted_sample(rng, cum, budget)
    ]
    rng.shuffle(votes)  # in the order people came by, so each idea has its own first voters

    return Plan(
        size=size,
        seed=seed,
        title=demo.TITLE,
        description=demo.DESCRIPTION,
        admin_key=_secret(secrets_rng, 22),
        people=people,
        ideas=ideas,
        arguments=arguments,
        likes=likes,
        votes=votes,
        comments=comments,
    )


def _invent(
    rng: random.Random, spec: Size, everyone: range
) -> tuple[list[tuple[int, str, str]], list[tuple[int, int, str, str]], list[tuple[int, str]]]:
    babble = Babbler(demo_corpus())
    description_lengths, argument_lengths, comment_lengths = demo_lengths()

    titles: set[str] = set()
    ideas: list[tuple[int, str, str]] = []
    while len(ideas) < spec.ideas:
        shape = rng.random()
        facility = rng.choice(FACILITIES)
        if shape < 0.4:
            title = f"A {rng.choice(ADJECTIVES)} {facility} {rng.choice(PLACES)}"
        elif shape < 0.7:
            title = f"{facility.capitalize()} {rng.choice(PURPOSES)}"
        else:
            title = f"{facility.capitalize()} {rng.choice(PLACES)}, {rng.choice(PURPOSES)}"
        if title in titles:
            continue
        titles.add(title)
        author = 0 if len(ideas) < 5 else rng.choice(everyone)
        # About four ideas in ten come with a description, as on the reference page.
        description = ""
        if rng.random() < 0.4:
            description = babble.text(rng, rng.choice(description_lengths))
        ideas.append((author, title, description))

    # More pros and cons on the ideas that draw attention; some ideas get none.
    weights = [1 / (i + 1) ** 0.5 for i in range(spec.ideas)]
    per_idea = Counter(rng.choices(range(spec.ideas), weights, k=spec.arguments))
    arguments = []
    for idea in range(spec.ideas):
        for _ in range(per_idea[idea]):
            kind = "pro" if rng.random() < 0.62 else "con"
            text = babble.text(rng, rng.choice(argument_lengths))
            arguments.append((idea, rng.choice(everyone), kind, text))

    comments = []
    for _ in range(spec.comments):
        author = 0 if rng.random() < 0.05 else rng.choice(everyone)
        comments.append((author, babble.text(rng, rng.choice(comment_lengths))))
    return ideas, arguments, comments


# Writers --------------------------------------------------------------------------------------


@dataclass
class Written:
    """A plan written to the database: the ids the bench needs."""

    question_id: str
    admin_key: str
    tokens: list[str]  # participant tokens, by index in the plan
    participant_ids: list[str]
    idea_ids: list[str]
    seconds: float


def write_services(plan: Plan) -> Written:
    """Through the service functions, one call per row (as `ponder demo`)."""
    from django.db import transaction

    from ponder.lib.ids import hash_secret
    from ponder.questions import services
    from ponder.questions.models import Question

    started = time.perf_counter()
    with transaction.atomic():
        question, _admin_key = services.question_create(
            title=plan.title, description=plan.description
        )
        # The plan's admin key, so both writers give the same question (not a service: the
        # services make a random key, as they must).
        Question.objects.filter(pk=question.pk).update(admin_key_hash=hash_secret(plan.admin_key))
        people = [
            services.participant_join(question=question, name=name, token=token)[0]
            for name, token in plan.people
        ]
        ideas = []
        arguments = []
        by_idea: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
        for idea, author, kind, text in plan.arguments:
            by_idea[idea].append((author, kind, text))
        for number, (author, title, description) in enumerate(plan.ideas):
            by_organiser = number < plan.organiser_ideas
            idea = services.idea_add(
                question=question,
                author=people[author],
                title=title,
                description=description,
                by_organiser=by_organiser,
            )
            ideas.append(idea)
            for arg_author, kind, text in by_idea[number]:
                argument = services.argument_add(
                    idea=idea, author=people[arg_author], kind=kind, text=text
                )
                arguments.append(argument)
        for argument, person in plan.likes:
            services.like_add(argument=arguments[argument], participant=people[person])
        for idea, person in plan.votes:
            services.vote_cast(idea=ideas[idea], participant=people[person])
        for author, text in plan.comments:
            services.comment_add(question=question, author=people[author], text=text)
    return Written(
        question_id=question.pk,
        admin_key=plan.admin_key,
        tokens=[token for _name, token in plan.people],
        participant_ids=[p.pk for p in people],
        idea_ids=[i.pk for i in ideas],
        seconds=time.perf_counter() - started,
    )


def write_bulk(plan: Plan, *, deterministic_ids: bool = True, label: str = "") -> Written:
    """The rows `write_services` would write, in a few `bulk_create` calls: the same version,
    one event per change with the same type and ids, timestamps in the same order."""
    from django.db import transaction

    from ponder.lib.ids import (
        ID_LENGTH,
        QUESTION_ID_LENGTH,
        hash_secret,
        new_id,
        new_question_id,
    )
    from ponder.lib.text import name_looks
    from ponder.live.models import Event
    from ponder.questions.models import (
        Argument,
        Comment,
        Idea,
        Like,
        Participant,
        Question,
        Vote,
        recount,
    )

    started = time.perf_counter()
    id_rng = random.Random(f"ponder-bench-{plan.size}-{plan.seed}-ids{label}")  # noqa: S311

    def next_id() -> str:
        return _secret(id_rng, ID_LENGTH) if deterministic_ids else new_id()

    def at(version: int) -> datetime:
        return EPOCH + timedelta(minutes=1, seconds=version)

    batch = 2_000
    with transaction.atomic():
        question = Question.objects.create(
            id=_secret(id_rng, QUESTION_ID_LENGTH) if deterministic_ids else new_question_id(),
            title=plan.title,
            description=plan.description,
            admin_key_hash=hash_secret(plan.admin_key),
            created_at=EPOCH,
            version=plan.changes(),
        )
        people = [
            Participant(
                id=next_id(),
                question=question,
                name=name,
                token_hash=hash_secret(token),
                created_at=EPOCH + timedelta(milliseconds=i + 1),
                look=name_looks(name)[0],
                look_folded=name_looks(name)[1],
            )
            for i, (name, token) in enumerate(plan.people)
        ]
        Participant.objects.bulk_create(people, batch_size=batch)

        version = 0
        events: list[Event] = []

        def announce(kind: str, **ids: str) -> datetime:
            nonlocal version
            version += 1
            when = at(version)
            events.append(
                Event(question=question, version=version, type=kind, ids=ids, created_at=when)
            )
            return when

        ideas: list[Idea] = []
        arguments: list[Argument] = []
        by_idea: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
        for idea_number, author, kind, text in plan.arguments:
            by_idea[idea_number].append((author, kind, text))
        for number, (author, title, description) in enumerate(plan.ideas):
            idea = Idea(
                id=next_id(),
                question=question,
                author=people[author],
                title=title,
                description=description,
            )
            idea.created_at = announce("idea.added", idea=idea.id)
            ideas.append(idea)
            for arg_author, kind, text in by_idea[number]:
                argument = Argument(
                    id=next_id(), idea=idea, author=people[arg_author], kind=kind, text=text
                )
                argument.created_at = announce("argument.added", idea=idea.id, argument=argument.id)
                arguments.append(argument)
        likes = []
        for argument_number, person in plan.likes:
            argument = arguments[argument_number]
            when = announce("like.added", idea=argument.idea_id, argument=argument.id)
            likes.append(Like(argument=argument, participant=people[person], created_at=when))
        votes = []
        for idea_number, person in plan.votes:
            idea = ideas[idea_number]
            when = announce("vote.cast", idea=idea.id)
            votes.append(Vote(idea=idea, participant=people[person], created_at=when))
        comments = []
        for author, text in plan.comments:
            comment = Comment(id=next_id(), question=question, author=people[author], text=text)
            comment.created_at = announce("comment.added", comment=comment.id)
            comments.append(comment)
        assert version == question.version

        for model, rows in (
            (Idea, ideas),
            (Argument, arguments),
            (Like, likes),
            (Vote, votes),
            (Comment, comments),
            (Event, events),
        ):
            model.objects.bulk_create(rows, batch_size=batch)
        recount(Question.objects.filter(pk=question.pk))  # the counts on the rows
    return Written(
        question_id=question.pk,
        admin_key=plan.admin_key,
        tokens=[token for _name, token in plan.people],
        participant_ids=[p.pk for p in people],
        idea_ids=[i.pk for i in ideas],
        seconds=time.perf_counter() - started,
    )


def add_participants(question_id: str, count: int, *, seed: str) -> list[tuple[str, str]]:
    """`count` more participants who have done nothing yet (for the write scenarios): their ids
    and tokens. Joining announces nothing, so these are the rows `participant_join` writes."""
    from ponder.lib.ids import hash_secret, new_id
    from ponder.lib.text import name_looks
    from ponder.questions.models import Participant

    rng = random.Random(seed)  # noqa: S311 - bench tokens
    people = [(new_id(), _secret(rng, 22)) for _ in range(count)]
    rows = [
        Participant(
            id=pk,
            question_id=question_id,
            name=f"Voter {n + 1}",
            token_hash=hash_secret(t),
            look=name_looks(f"Voter {n + 1}")[0],
            look_folded=name_looks(f"Voter {n + 1}")[1],
        )
        for n, (pk, t) in enumerate(people)
    ]
    Participant.objects.bulk_create(rows, batch_size=2_000)
    return people


# Checking the bulk writer against the services -----------------------------------------------


QUESTION_FIELDS = (
    "title", "description", "admin_key_hash", "version", "closed_at", "allow_ideas",
    "allow_arguments", "max_votes", "deadline", "time_zone", "allow_exports",
)  # fmt: skip


def snapshot(question_id: str) -> dict[str, Any]:
    """A question as rows, with ids replaced by positions and times by order: two questions
    written from one plan must give equal snapshots, whichever writer wrote them."""
    from ponder.live.models import Event
    from ponder.questions.models import Argument, Comment, Idea, Like, Participant, Question, Vote

    question = Question.objects.get(pk=question_id)
    events = list(Event.objects.filter(question=question).order_by("version"))
    # Ideas, arguments and comments are known by the version that added them.
    added = {
        e.ids[e.type.split(".")[0]]: e.version
        for e in events
        if e.type in {"idea.added", "argument.added", "comment.added"}
    }
    people = {
        p.pk: p.token_hash
        for p in Participant.objects.filter(question=question).order_by("created_at", "pk")
    }

    def name(pk: str | None) -> object:
        return added.get(pk, pk) if pk is not None else None

    def ordered(qs: Any, *fields: str) -> list[tuple[Any, ...]]:
        rows = list(qs.order_by("created_at", "pk").values_list("created_at", *fields))
        times = [row[0] for row in rows]
        assert times == sorted(times)
        return [row[1:] for row in rows]

    return {
        "question": {k: getattr(question, k) for k in QUESTION_FIELDS},
        "participants": sorted(
            Participant.objects.filter(question=question).values_list("name", "token_hash")
        ),
        "ideas": [
            (name(pk), people[a], t, d)
            for pk, a, t, d in ordered(
                Idea.objects.filter(question=question), "pk", "author_id", "title", "description"
            )
        ],
        "arguments": [
            (name(pk), name(i), people[a], k, t)
            for pk, i, a, k, t in ordered(
                Argument.objects.filter(idea__question=question),
                "pk",
                "idea_id",
                "author_id",
                "kind",
                "text",
            )
        ],
        "likes": [
            (name(a), people[p])
            for a, p in ordered(
                Like.objects.filter(argument__idea__question=question),
                "argument_id",
                "participant_id",
            )
        ],
        "votes": [
            (name(i), people[p])
            for i, p in ordered(
                Vote.objects.filter(idea__question=question), "idea_id", "participant_id"
            )
        ],
        "comments": [
            (name(pk), people[a], t)
            for pk, a, t in ordered(
                Comment.objects.filter(question=question), "pk", "author_id", "text"
            )
        ],
        "events": [(e.version, e.type, {k: name(v) for k, v in e.ids.items()}) for e in events],
    }


def check(size: str = "S") -> dict[str, Any]:
    """Write `size` both ways and compare; both questions are deleted afterwards."""
    from ponder.questions import services
    from ponder.questions.models import Question

    plan = make_plan(size)
    by_services = write_services(plan)
    by_bulk = write_bulk(plan, deterministic_ids=False)
    try:
        a, b = snapshot(by_services.question_id), snapshot(by_bulk.question_id)
        differences = [key for key in a if a[key] != b[key]]
        return {
            "size": size,
            "identical": not differences,
            "differences": differences,
            "rows": {key: len(value) for key, value in a.items() if isinstance(value, list)},
            "services_seconds": round(by_services.seconds, 2),
            "bulk_seconds": round(by_bulk.seconds, 2),
        }
    finally:
        for written in (by_services, by_bulk):
            services.question_delete(question=Question.objects.get(pk=written.question_id))


def fingerprint() -> str:
    """Changes when this generator or the demo texts change: cached bench data is then rebuilt."""
    digest = hashlib.sha256()
    for path in (
        Path(__file__),
        Path(__file__).with_name("texts.py"),
        ROOT / "ponder/questions/management/commands/demo.py",
    ):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ponder.settings")
    import django

    django.setup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", nargs="+", choices=sorted(SIZES), default=["S", "L"])
    parser.add_argument("--writer", choices=["bulk", "services"], default="bulk")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--check", action="store_true", help="write S both ways, compare, delete both, report"
    )
    args = parser.parse_args()
    setup_django()
    if args.check:
        print(json.dumps(check("S"), indent=2))
        return
    for size in args.size:
        started = time.perf_counter()
        plan = make_plan(size, seed=args.seed)
        planned = time.perf_counter() - started
        writer = write_bulk if args.writer == "bulk" else write_services
        written = writer(plan)
        print(
            f"{size}: question {written.question_id}, {len(plan.ideas)} ideas, "
            f"{len(plan.arguments)} arguments, {len(plan.likes)} likes, {len(plan.votes)} votes "
            f"from {len(plan.people) - 1} people, {len(plan.comments)} comments; planned in "
            f"{planned:.1f} s, written ({args.writer}) in {written.seconds:.1f} s"
        )


if __name__ == "__main__":
    main()
