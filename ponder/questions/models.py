"""The domain: a Question, its Ideas, their pro and con Arguments, Likes, Votes and Comments.

Every one-per-person rule is a database constraint, so a race cannot double-count
(docs/reliability.md #1). An idea's votes and an argument's likes are also counted on its own row
(`vote_count`, `like_count`), changed in the same transaction as the vote or like (hot/, under the
question's lock), so that a question's leading ideas are read from an index, not by counting every
idea's votes on each read. `recount()` makes them right again after rows were written around the
services (bulk loads, tests); a test holds them equal to the rows after every kind of write.
`recount()` also moves every idea's `version`, since their rows may show other counts now.
"""

import hashlib
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery, Value, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ponder.lib.ids import new_id, new_question_id
from ponder.lib.text import name_looks


def count_of(model: type[models.Model], field: str, **where: object) -> Coalesce:
    """A correlated COUNT(*) subquery: one number per row without multiplying joins (of the rows
    that match `where`, if given)."""
    counted = (
        model.objects.filter(**{field: OuterRef("pk")}, **where)
        .order_by()
        .values(field)
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=models.IntegerField()), Value(0))


class QuestionQuerySet(models.QuerySet["Question"]):
    def due(self, *, at: datetime | None = None) -> "QuestionQuerySet":
        """Open questions whose deadline has passed: they are to be closed."""
        return self.filter(closed_at__isnull=True, deadline__lte=at or timezone.now())

    def with_contents(self) -> "QuestionQuerySet":
        """With how many ideas, votes, comments and participants each has (`contents_*`): what
        deleting it would delete."""
        return self.annotate(
            contents_ideas=count_of(Idea, "question"),
            contents_votes=count_of(Vote, "idea__question"),
            contents_comments=count_of(Comment, "question"),
            contents_participants=count_of(Participant, "question"),
        )

    def voting_due(self, *, at: datetime | None = None) -> "QuestionQuerySet":
        """Open questions whose idea phase has ended and whose switch to voting has not been
        announced yet (or was announced for another time, before the organiser moved it)."""
        return self.filter(closed_at__isnull=True, ideas_until__lte=at or timezone.now()).filter(
            Q(voting_announced__isnull=True) | ~Q(voting_announced=F("ideas_until"))
        )


class TakingPart(models.TextChoices):
    LINK = "link", _("Anyone with the link")
    ACCOUNT = "account", _("Only people with an account, logged in")
    PASSWORD = "password", _("People who know a password")
    INVITATION = "invitation", _("Only people I invite")


class Question(models.Model):
    # The private link: 22 characters, or 12 for a question asked before ids grew (migration 0003).
    id = models.CharField(primary_key=True, max_length=22, default=new_question_id, editable=False)
    title = models.CharField(_("question"), max_length=settings.PONDER_TITLE_MAX)
    description = models.TextField(_("description"), blank=True)
    admin_key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Grows by one with every change to the question or anything on it: live updates and caches
    # key on it, and a reconnecting browser says the last version it saw.
    version = models.PositiveBigIntegerField(default=0)

    # Settings (docs/product-rules.md P4).
    allow_ideas = models.BooleanField(_("participants may add ideas"), default=True)
    allow_arguments = models.BooleanField(_("participants may add pros and cons"), default=True)
    max_votes = models.PositiveSmallIntegerField(
        _("votes per participant"),
        null=True,
        blank=True,
        help_text=_("Leave empty for unlimited."),
    )
    # Limits (docs/product-rules.md P4): empty means none. A lowered limit stops new entries
    # only; what is saved stays.
    max_ideas_per_person = models.PositiveIntegerField(
        _("ideas per participant"), null=True, blank=True
    )
    max_ideas = models.PositiveIntegerField(_("ideas in total"), null=True, blank=True)
    # The longest description, pro, con or comment; empty means the server's PONDER_TEXT_MAX.
    max_text_length = models.PositiveIntegerField(_("longest text"), null=True, blank=True)
    # 1: approval voting, one vote an idea. More: a participant may put that many of their votes
    # on one idea (each a Vote row of its own, numbered by `Vote.stack`).
    max_votes_per_idea = models.PositiveSmallIntegerField(_("votes per idea"), default=1)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    # Phases (optional): ideas are collected until `ideas_until`, then voted on until the
    # deadline (`phase`). `voting_announced` is the `ideas_until` whose switch the worker has
    # told the open pages of (`services.question_phase_due`); the switch itself needs no job.
    ideas_until = models.DateTimeField(_("collect ideas until"), null=True, blank=True)
    voting_announced = models.DateTimeField(null=True, blank=True, editable=False)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    # The organiser may always download the results; everyone with the link only when allowed.
    allow_exports = models.BooleanField(
        _("anyone with the link may download the results"), default=False
    )

    # Fair decisions (README "Fair decisions"); what each reader sees of them is
    # `access.Reader`'s to say. The tally (counts, voters, ranks) hidden until the question
    # closes, from everyone but the organiser if they choose to see it; voters never named;
    # the ideas in an order of each reader's own while the question is open (the default for
    # new questions; questions asked before keep their order by votes: migration 0011).
    hide_tally = models.BooleanField(_("hide the votes until the question closes"), default=False)
    organiser_sees_tally = models.BooleanField(
        _("the organiser sees the votes meanwhile"), default=True
    )
    anonymous_votes = models.BooleanField(_("anonymous votes"), default=False)
    random_order = models.BooleanField(_("ideas in random order while open"), default=True)

    # Other websites may show the question in an iframe (/embed/<id>/) only when the organiser
    # turns it on; `embed_origins` (one origin a line, e.g. https://example.org) narrows it to
    # those sites, and empty means any site (docs/product-rules.md P7).
    allow_embed = models.BooleanField(_("other websites may embed this question"), default=False)
    embed_origins = models.TextField(_("websites that may embed it"), blank=True, default="")

    # The account that asked it (created while logged in, or claimed on signing up with its admin
    # key in the browser): "My questions" lists it. The admin key still works without an account.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questions_created",
        editable=False,
    )

    # A question may be one of a survey's (several questions on one page, `Survey`): its place
    # there. Its settings, deadline and page stay its own.
    survey = models.ForeignKey(
        "Survey",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="questions",
        editable=False,
    )
    survey_position = models.PositiveSmallIntegerField(default=0, editable=False)
    # Who may take part (README, Who may take part): the rule is `access.admission`.
    taking_part = models.CharField(
        _("who may take part"),
        max_length=10,
        choices=TakingPart.choices,
        default=TakingPart.LINK,
    )
    # Django's password hash (`make_password`) of the question's password, in TakingPart.PASSWORD.
    password_hash = models.CharField(max_length=128, blank=True, default="", editable=False)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(max_votes__isnull=True) | Q(max_votes__gte=1),
                name="question_max_votes_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_ideas_per_person__isnull=True) | Q(max_ideas_per_person__gte=1),
                name="question_max_ideas_per_person_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_ideas__isnull=True) | Q(max_ideas__gte=1),
                name="question_max_ideas_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_text_length__isnull=True) | Q(max_text_length__gte=1),
                name="question_max_text_length_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_votes_per_idea__gte=1), name="question_max_votes_per_idea_positive"
            ),
            models.CheckConstraint(
                condition=Q(ideas_until__isnull=True)
                | Q(deadline__isnull=True)
                | Q(ideas_until__lt=F("deadline")),
                name="question_ideas_before_deadline",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def is_open(self, *, at: datetime | None = None) -> bool:
        """Open until closed by hand or until its deadline passes, whichever comes first.

        The deadline needs no job to take effect: a question past it is closed for every read and
        every write, and the worker only records the fact.
        """
        if self.closed_at is not None:
            return False
        return self.deadline is None or self.deadline > (at or timezone.now())

    def phase(self, *, at: datetime | None = None) -> str:
        """ "ideas" (collecting ideas: no voting yet), "votes" (voting: no new ideas), "open"
        (no phases: both at once) or "closed". Like the deadline, the switch needs no job: from
        `ideas_until` on (that very instant) it is the vote phase for every read and write."""
        at = at or timezone.now()
        if not self.is_open(at=at):
            return "closed"
        if self.ideas_until is None:
            return "open"
        return "ideas" if at < self.ideas_until else "votes"

    @property
    def text_max(self) -> int:
        """The longest description, pro, con or comment allowed here."""
        return min(self.max_text_length or settings.PONDER_TEXT_MAX, settings.PONDER_TEXT_MAX)

    @property
    def embed_origin_list(self) -> list[str]:
        return self.embed_origins.split()

    @property
    def status(self) -> str:
        return "open" if self.is_open() else "closed"


class Participant(models.Model):
    """A person taking part in one question, known by a name and a secret token.

    A browser keeps the token in a signed cookie; an API client sends it as a bearer token.
    Only the token's hash is stored. `network` tells the organiser which names joined from one
    network (`ponder.questions.crowds`): a keyed hash of the address they joined from, never
    the address itself.
    """

    id = models.CharField(primary_key=True, max_length=12, default=new_id, editable=False)
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="participants")
    name = models.CharField(_("name"), max_length=settings.PONDER_NAME_MAX)
    token_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    network = models.CharField(max_length=64, blank=True, default="", editable=False)
    # Took part holding the question's admin key: their entries carry the organiser's badge.
    organiser = models.BooleanField(default=False, editable=False)
    # What the name looks like (`ponder.lib.text.name_looks`, set with it by `take_name`): a
    # new name that looks like a taken one is found through the indexes below, not by reading
    # every name of the question.
    look = models.TextField(default="", editable=False)
    look_folded = models.TextField(default="", editable=False)
    # The account of the person, when they were logged in or have claimed this browser's
    # contributions since: "My questions" lists the question as one they took part in.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="participations",
        editable=False,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["question", "token_hash"], name="participant_one_per_token"
            )
        ]
        indexes = [
            # The names that joined from one network lately (`crowds.crowds_of`).
            models.Index(
                fields=["question", "network", "created_at"], name="participant_network_time"
            ),
            models.Index(fields=["question", "look"], name="participant_look"),
            models.Index(fields=["question", "look_folded"], name="participant_look_folded"),
        ]

    def __str__(self) -> str:
        return self.name

    def take_name(self, name: str) -> None:
        """Set the name and what it looks like (not saved)."""
        self.name = name
        self.look, self.look_folded = name_looks(name)


# The stored names of an idea's picture and thumbnail: its `image_key` and these (images.py).
IMAGE_SUFFIX, THUMB_SUFFIX = ".webp", "-t.webp"


class HiddenReason(models.TextChoices):
    """Why the organiser hid an entry: shown in its place ("Hidden by the organiser: off
    topic") to everyone but the organiser."""

    OFF_TOPIC = "off_topic", _("off topic")
    DUPLICATE = "duplicate", _("duplicate")
    OFFENSIVE = "offensive", _("offensive")
    SPAM = "spam", _("spam")
    OTHER = "other", _("other")


HIDDEN_NOTE_MAX = 200


class Hideable(models.Model):
    """An entry the organiser can hide (`services.entry_hide`): kept, with its votes and likes,
    but shown to nobody but the organiser; `hidden_reason` empty while it is shown."""

    hidden_reason = models.CharField(
        max_length=16, choices=HiddenReason.choices, blank=True, default="", editable=False
    )
    hidden_note = models.CharField(
        max_length=HIDDEN_NOTE_MAX, blank=True, default="", editable=False
    )

    class Meta:
        abstract = True

    @property
    def is_hidden(self) -> bool:
        return bool(self.hidden_reason)

    def get_hidden_reason_display(self) -> str:
        return str(HiddenReason(self.hidden_reason).label) if self.hidden_reason else ""


class IdeaQuerySet(models.QuerySet["Idea"]):
    def with_counts(self) -> "IdeaQuerySet":
        """Ordered by votes (most first), then by age (then by id, so that pages of ideas read one
        after the other neither repeat nor skip an idea): the index `idea_ranking`."""
        return self.order_by("-vote_count", "created_at", "pk")


class Idea(Hideable):
    id = models.CharField(primary_key=True, max_length=12, default=new_id, editable=False)
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="ideas")
    author = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="ideas")
    title = models.CharField(_("idea"), max_length=settings.PONDER_TITLE_MAX)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    vote_count = models.PositiveIntegerField(default=0, editable=False)  # its Vote rows
    # The organiser changed it, and it is not theirs: shown beside it.
    edited_by_organiser = models.BooleanField(default=False, editable=False)
    # Grows by one with every change to what the idea's row on the question page shows: its
    # texts, its author's name, its count and first voters, its leading pros and cons with their
    # authors and likes. The kept HTML of the row is keyed on it (`bump_rows` and the services).
    version = models.PositiveIntegerField(default=0, editable=False)
    # Its picture, if any (images.py): the key of its stored files (empty: none), the full
    # picture's and the thumbnail's size in pixels, and the text that says what it shows.
    image_key = models.CharField(max_length=64, blank=True, default="", editable=False)
    image_width = models.PositiveSmallIntegerField(default=0, editable=False)
    image_height = models.PositiveSmallIntegerField(default=0, editable=False)
    thumb_width = models.PositiveSmallIntegerField(default=0, editable=False)
    thumb_height = models.PositiveSmallIntegerField(default=0, editable=False)
    image_alt = models.CharField(_("picture description"), max_length=250, blank=True, default="")

    objects = IdeaQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["question", "created_at"]),
            # A question's ideas in their order: its leading ideas are the first rows.
            models.Index(
                fields=["question", "-vote_count", "created_at", "id"], name="idea_ranking"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def has_image(self) -> bool:
        return bool(self.image_key)

    @property
    def image_file(self) -> str:
        return f"{self.image_key}{IMAGE_SUFFIX}"

    @property
    def thumb_file(self) -> str:
        return f"{self.image_key}{THUMB_SUFFIX}"

    @property
    def thumb_shown(self) -> tuple[int, int]:
        """The thumbnail's size on the page, in CSS pixels: half its pixels."""
        return max(1, self.thumb_width // 2), max(1, self.thumb_height // 2)


class ArgumentQuerySet(models.QuerySet["Argument"]):
    def with_counts(self) -> "ArgumentQuerySet":
        """The most liked first within an idea (then the oldest, then by id: the same order in
        every read)."""
        return self.order_by("-like_count", "created_at", "pk")

    def leading(self, *, per_idea: int, per_kind: bool = False) -> "ArgumentQuerySet":
        """The `per_idea` most liked arguments of each idea (of `with_counts()`), in one query;
        with `per_kind`, that many pros and that many cons."""
        ranked = self.annotate(
            position=Window(
                RowNumber(),
                partition_by=[F("idea_id"), F("kind")] if per_kind else F("idea_id"),
                order_by=[F("like_count").desc(), F("created_at").asc(), F("pk").asc()],
            )
        )
        return ranked.filter(position__lte=per_idea)


class Argument(Hideable):
    class Kind(models.TextChoices):
        PRO = "pro", _("Pro")
        CON = "con", _("Con")

    id = models.CharField(primary_key=True, max_length=12, default=new_id, editable=False)
    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="arguments")
    author = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="arguments")
    kind = models.CharField(_("kind"), max_length=3, choices=Kind.choices)
    text = models.TextField(_("argument"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    like_count = models.PositiveIntegerField(default=0, editable=False)  # its Like rows
    edited_by_organiser = models.BooleanField(default=False, editable=False)

    objects = ArgumentQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["idea", "-like_count", "created_at", "id"], name="argument_ranking"
            )
        ]

    def __str__(self) -> str:
        return self.text[:50]


class Like(models.Model):
    argument = models.ForeignKey(Argument, on_delete=models.CASCADE, related_name="likes")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["argument", "participant"], name="like_one_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} likes {self.argument_id}"


class Vote(models.Model):
    """One vote of a participant for an idea. In approval voting a person has at most one per
    idea (`stack` 1); where the organiser lets them put several of their votes on one idea, their
    second is `stack` 2, and so on. Each is a row, so an idea's votes and a person's used votes
    are counted as rows, and the database keeps one row per stack: two requests adding "the
    second vote" at once cannot both add it."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="votes")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="votes")
    stack = models.PositiveSmallIntegerField(db_default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["idea", "participant", "stack"], name="vote_one_per_stack"
            ),
            models.CheckConstraint(condition=Q(stack__gte=1), name="vote_stack_positive"),
        ]
        indexes = [
            models.Index(fields=["participant", "idea"]),
            # An idea's first voters (hot.first_voters): a seek, not a sort of all its votes.
            models.Index(fields=["idea", "created_at"], name="vote_idea_time"),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} votes for {self.idea_id}"


class Comment(Hideable):
    id = models.CharField(primary_key=True, max_length=12, default=new_id, editable=False)
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="comments")
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    edited_by_organiser = models.BooleanField(default=False, editable=False)

    class Meta:
        indexes = [models.Index(fields=["question", "created_at"])]

    def __str__(self) -> str:
        return self.text[:50]


class IdeaMerge(models.Model):
    """An idea merged into another (`services.idea_merge`): its old link leads to the one that
    stays, whose page says "merged from …"."""

    id = models.CharField(primary_key=True, max_length=12, editable=False)  # the merged idea's
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="merges")
    into = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="merged_from")
    title = models.CharField(max_length=settings.PONDER_TITLE_MAX)  # the merged idea's
    merged_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"{self.pk} merged into {self.into_id}"


ReportReason = HiddenReason  # a report names one of the reasons the organiser may hide for


REPORT_NOTE_MAX = 500


class ReportQuerySet(models.QuerySet["Report"]):
    def open(self) -> "ReportQuerySet":
        """Neither dismissed nor settled by hiding the entry."""
        return self.filter(settled_at__isnull=True)


class Report(models.Model):
    """A participant's report of one entry (an idea, a pro or con, or a comment: exactly one of
    the three), for the organiser. One per person and entry (the database holds it). Hiding the
    entry or dismissing its reports settles them."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="reports")
    idea = models.ForeignKey(Idea, null=True, on_delete=models.CASCADE, related_name="reports")
    argument = models.ForeignKey(
        Argument, null=True, on_delete=models.CASCADE, related_name="reports"
    )
    comment = models.ForeignKey(
        Comment, null=True, on_delete=models.CASCADE, related_name="reports"
    )
    reason = models.CharField(_("reason"), max_length=16, choices=ReportReason.choices)
    note = models.CharField(_("note"), max_length=REPORT_NOTE_MAX, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    settled_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ReportQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(idea__isnull=False, argument__isnull=True, comment__isnull=True)
                    | Q(idea__isnull=True, argument__isnull=False, comment__isnull=True)
                    | Q(idea__isnull=True, argument__isnull=True, comment__isnull=False)
                ),
                name="report_one_entry",
            ),
            models.UniqueConstraint(fields=["reporter", "idea"], name="report_one_per_idea"),
            models.UniqueConstraint(
                fields=["reporter", "argument"], name="report_one_per_argument"
            ),
            models.UniqueConstraint(fields=["reporter", "comment"], name="report_one_per_comment"),
        ]
        indexes = [models.Index(fields=["question", "settled_at"], name="report_open")]

    def __str__(self) -> str:
        return f"{self.reporter_id} reports {self.entry_kind} {self.entry_id}"

    @property
    def entry_kind(self) -> str:
        return "idea" if self.idea_id else "argument" if self.argument_id else "comment"

    @property
    def entry_id(self) -> str:
        return self.idea_id or self.argument_id or self.comment_id or ""


class Invitation(models.Model):
    """A personal link to a question that only its invitees may take part in. The first browser
    to open it is bound to it (the hash of a secret only that browser holds), and so is the
    participant who joins from there; once revoked it lets nobody in."""

    id = models.CharField(primary_key=True, max_length=12, default=new_id, editable=False)
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="invitations")
    label = models.CharField(_("label"), max_length=settings.PONDER_TITLE_MAX)
    email = models.EmailField(_("e-mail address"), blank=True, default="")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    browser_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    participant = models.ForeignKey(
        Participant,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations",
        editable=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        indexes = [models.Index(fields=["question", "created_at"])]

    def __str__(self) -> str:
        return self.label

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "used" if self.used_at is not None else "unused"


class CoOrganiser(models.Model):
    """An account that organises a question besides the one who asked it."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="co_organisers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="co_organised"
    )
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "user"], name="co_organiser_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} organises {self.question_id}"


def deleted_question_key(question_id: str) -> str:
    """What is kept of a deleted question: a hash of its id (a sha256 of 128 random bits cannot be
    turned back into the link)."""
    return hashlib.sha256(f"deleted question {question_id}".encode()).hexdigest()


class DeletedQuestion(models.Model):
    """A question its organiser deleted, known only by a hash of its id: its links answer 410 Gone
    (`middleware.GoneMiddleware`), so search engines drop them at once rather than after retrying
    a 404 for weeks. Nothing else of the question is kept, and the id itself is not: the table
    cannot lead anyone to the question's old links."""

    id_hash = models.CharField(primary_key=True, max_length=64, editable=False)
    deleted_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return self.id_hash


def recount(questions: models.QuerySet[Question] | None = None) -> None:
    """Set every idea's `vote_count` and every argument's `like_count` from the rows (of the given
    questions, or of all): after rows were written around the services."""
    ideas = Idea.objects.all() if questions is None else Idea.objects.filter(question__in=questions)
    ideas.update(vote_count=count_of(Vote, "idea"), version=F("version") + 1)
    arguments = Argument.objects.all()
    if questions is not None:
        arguments = arguments.filter(idea__question__in=questions)
    arguments.update(like_count=count_of(Like, "argument"))


def bump_rows(ideas: models.QuerySet[Idea]) -> int:
    """Mark these ideas' rows changed (their `version` up by one); how many there were."""
    return ideas.update(version=F("version") + 1)


class Survey(models.Model):
    """Several questions on one page (at most `settings.PONDER_SURVEY_QUESTIONS_MAX`), with one
    share link (`/s/<id>/`) and one admin link: the survey's admin key makes its holder the
    organiser of each of its questions (`access.survey_key_organises`). Each question keeps its
    own settings, deadline and page."""

    id = models.CharField(primary_key=True, max_length=22, default=new_question_id, editable=False)
    title = models.CharField(_("survey"), max_length=settings.PONDER_TITLE_MAX)
    description = models.TextField(_("description"), blank=True)
    admin_key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return self.title

    def question_list(self) -> models.QuerySet[Question]:
        """Its questions in their order on the page."""
        return self.questions.order_by("survey_position", "created_at", "pk")
