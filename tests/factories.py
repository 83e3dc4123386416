"""Factories shared by every test package (one module: the domain is still small)."""

import factory
from factory.django import DjangoModelFactory

from apps.accounts.models import Membership, Region, Role, User
from apps.audit.models import AuditEvent
from apps.clients.models import Client

PASSWORD = "correct horse battery staple"


class ClientFactory(DjangoModelFactory):
    class Meta:
        model = Client
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Client {n}")
    slug = factory.Sequence(lambda n: f"client-{n}")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ["code"]

    code = "emea"
    name = "EMEA"
    countries = ["DE", "FR", "GB"]


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    client = factory.SubFactory(ClientFactory)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.roles.set(Role.objects.for_codes(extracted))

    @factory.post_generation
    def regions(self, create, extracted, **kwargs):
        if create and extracted:
            self.regions.set(extracted)


class AuditEventFactory(DjangoModelFactory):
    class Meta:
        model = AuditEvent

    actor_label = "someone@example.com"
    client = factory.SubFactory(ClientFactory)
    action = "tests.thing.happen"
    object_type = "tests.thing"
    object_id = factory.Sequence(str)
    object_repr = factory.Sequence(lambda n: f"Thing {n}")


def member(client, *roles, email=None, regions=None) -> User:
    """A user who is a member of ``client`` with ``roles``."""
    user = UserFactory(**({"email": email} if email else {}))
    MembershipFactory(user=user, client=client, roles=list(roles), regions=regions or [])
    return user
