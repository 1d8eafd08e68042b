import secrets
from datetime import timedelta

import factory
from django.utils import timezone

from cordee.core.tests.factories import CollectiveFactory, UserFactory
from cordee.core.tokens import token_hash
from cordee.invitations.models import Invitation


class InvitationFactory(factory.django.DjangoModelFactory):
    """An invitation whose raw token is kept on the instance (`invitation.raw_token`) for the tests."""

    class Meta:
        model = Invitation

    collective = factory.SubFactory(CollectiveFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.fr")
    raw_token = factory.LazyFunction(lambda: secrets.token_urlsafe(32))
    token_hash = factory.LazyAttribute(lambda invitation: token_hash(invitation.raw_token))
    invited_by = factory.SubFactory(UserFactory)
    sent_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda invitation: invitation.sent_at + timedelta(days=14))

    @classmethod
    def _create(cls, model_class, *args, raw_token, **kwargs):
        invitation = super()._create(model_class, *args, **kwargs)
        invitation.raw_token = raw_token
        return invitation
