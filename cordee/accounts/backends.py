"""Authentication backends that load the signed-in user of each request with the columns pages use.

The legal identity (SIRET, address, IBAN…) is read only on the pages that need it, lazily: it is not
fetched on every request. The password hash stays: Django checks the session against it.
"""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from cordee.accounts.models import User

REQUEST_USER_FIELDS = (
    "id",
    "password",
    "email",
    "full_name",
    "language",
    "photo",
    "is_active",
    "is_staff",
    "is_superuser",
)


def request_user(user_id) -> User | None:
    # A slice rather than .first(): no ORDER BY to build and compile for a lookup by primary key.
    return next(iter(User._default_manager.only(*REQUEST_USER_FIELDS).filter(pk=user_id)[:1]), None)


class RequestUserMixin:
    def get_user(self, user_id):
        user = request_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(RequestUserMixin, DjangoModelBackend):
    pass


class AuthenticationBackend(RequestUserMixin, AllauthBackend):
    pass
