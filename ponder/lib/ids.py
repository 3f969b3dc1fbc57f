"""Random ids and secrets. Ids are public and unguessable; secrets are stored only as hashes."""

import hashlib
import hmac
import secrets
import string

BASE62 = string.digits + string.ascii_letters
ID_LENGTH = 12  # 62**12 ~ 2**71: unguessable, short enough to read out loud.
SECRET_LENGTH = 22  # 62**22 ~ 2**131 >= 128 bits (ASVS 7.2.3).


def new_id() -> str:
    return "".join(secrets.choice(BASE62) for _ in range(ID_LENGTH))


def new_secret() -> str:
    return "".join(secrets.choice(BASE62) for _ in range(SECRET_LENGTH))


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str | None, digest: str) -> bool:
    return bool(secret) and hmac.compare_digest(hash_secret(secret), digest)


def looks_like_id(value: str) -> bool:
    return len(value) == ID_LENGTH and all(c in BASE62 for c in value)
