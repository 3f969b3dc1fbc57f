"""Random ids and secrets. Ids are public and unguessable; secrets are stored only as hashes."""

import hashlib
import hmac
import re
import secrets
import string

BASE62 = string.digits + string.ascii_letters
# A question's id is its private link, so it carries as much as a secret (ASVS 7.2.3).
QUESTION_ID_LENGTH = 22  # 62**22 ~ 2**131 >= 128 bits.
# Questions asked before kept their 12-character ids, so that their links go on working.
LEGACY_QUESTION_ID_LENGTH = 12
# Ideas, arguments, comments and participants are only ever reached under their question's id.
ID_LENGTH = 12  # 62**12 ~ 2**71: short enough to read out loud.
SECRET_LENGTH = 22  # 62**22 ~ 2**131 >= 128 bits (ASVS 7.2.3).

# What a path may carry as a question's id: a new one or one from before.
QUESTION_ID_REGEX = "|".join(
    f"[0-9A-Za-z]{{{length}}}" for length in (QUESTION_ID_LENGTH, LEGACY_QUESTION_ID_LENGTH)
)
_QUESTION_ID = re.compile(QUESTION_ID_REGEX)


def _random(length: int) -> str:
    return "".join(secrets.choice(BASE62) for _ in range(length))


def new_id() -> str:
    return _random(ID_LENGTH)


def new_question_id() -> str:
    return _random(QUESTION_ID_LENGTH)


def new_secret() -> str:
    return _random(SECRET_LENGTH)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str | None, digest: str) -> bool:
    return bool(secret) and hmac.compare_digest(hash_secret(secret), digest)


def looks_like_id(value: str) -> bool:
    """An idea's, argument's, comment's or participant's id."""
    return len(value) == ID_LENGTH and all(c in BASE62 for c in value)


def looks_like_question_id(value: str) -> bool:
    """A question's id: 22 characters, or 12 for a question asked before ids grew."""
    return _QUESTION_ID.fullmatch(value) is not None
