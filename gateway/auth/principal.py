"""Who is calling: a pure value, so the access rules can take it without aiohttp."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.auth.organisations import Organisation
from gateway.errors import RoleRequired

__all__ = ["Principal"]


@dataclass(frozen=True)
class Principal:
    """Who is calling: an organisation's system on behalf of one professional."""

    organisation: Organisation
    subject: str  # the professional (an identifier of the organisation's, not a name)
    role: str
    jti: str

    def require_role(self, *roles: str) -> None:
        if self.role not in roles:
            raise RoleRequired(f"This needs role {' or '.join(roles)}")
