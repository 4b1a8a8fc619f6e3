"""Secret links (invitations, password reset): a random token mailed, only its hash stored."""

import hashlib
import secrets


def new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
