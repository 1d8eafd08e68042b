import factory
from allauth.account.models import EmailAddress

from cordee.accounts.models import User
from cordee.collectives.models import Collective, Membership, Reference
from cordee.opportunities.models import Opportunity


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"member{n}@example.fr")
    full_name = factory.Faker("name", locale="fr_FR")
    password = factory.django.Password("correct horse battery")

    @factory.post_generation
    def verified(user, create, extracted, **kwargs):
        """Users are created with a verified primary email, as after a real sign-up."""
        if create and extracted is not False:
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)


class CollectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collective

    name = factory.Sequence(lambda n: f"Collectif {n}")
    slug = factory.Sequence(lambda n: f"collectif-{n}")
    tagline = "Design et développement web"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    collective = factory.SubFactory(CollectiveFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.MEMBER


class AdminMembershipFactory(MembershipFactory):
    role = Membership.Role.ADMIN


class ReferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reference

    collective = factory.SubFactory(CollectiveFactory)
    title = "Refonte du site e-commerce"
    client_name = "Maison Lenoir"
    year = 2025


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    collective = factory.SubFactory(CollectiveFactory)
    contact_name = "Paul Durand"
    contact_email = factory.Sequence(lambda n: f"client{n}@entreprise.fr")
    company = "Durand SA"
    need = "Refonte de notre application mobile"
