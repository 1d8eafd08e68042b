"""Reads for the account pages."""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator

from cordee.accounts.models import User


@dataclass(frozen=True)
class SecurityOverview:
    email_addresses: list[EmailAddress]
    has_password: bool
    totp: Authenticator | None
    recovery_codes_left: int | None

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp is not None


def security_overview(user: User) -> SecurityOverview:
    """What the security page shows: email addresses, password, two-factor authentication (2 queries)."""
    addresses = list(EmailAddress.objects.filter(user=user).order_by("-primary", "email"))
    authenticators = {auth.type: auth for auth in Authenticator.objects.filter(user=user)}
    recovery = authenticators.get(Authenticator.Type.RECOVERY_CODES)
    return SecurityOverview(
        email_addresses=addresses,
        has_password=user.has_usable_password(),
        totp=authenticators.get(Authenticator.Type.TOTP),
        recovery_codes_left=len(recovery.wrap().get_unused_codes()) if recovery else None,
    )


# What pages show of a person other than the reader (name, photo, email, language): never the password
# hash nor the legal identity, when a user is joined into another query.
PERSON_FIELDS = ("id", "email", "full_name", "language", "photo", "headline", "is_active")


def person_fields(relation: str) -> list[str]:
    """`PERSON_FIELDS` through a relation, for `.only()` next to the fields of the main model."""
    return [f"{relation}__{name}" for name in PERSON_FIELDS]
