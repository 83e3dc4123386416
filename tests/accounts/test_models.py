import pytest
from django.db import IntegrityError

from apps.accounts.models import Membership, User
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_email_is_stored_lower_case_and_logs_in_whatever_its_case():
    user = User.objects.create_user("Lena.Legal@Example.COM", "a long enough password")
    assert user.email == "lena.legal@example.com"
    assert User.objects.get_by_natural_key("LENA.legal@example.com") == user


def test_two_users_cannot_share_an_email_differing_only_in_case():
    UserFactory(email="same@example.com")
    with pytest.raises(IntegrityError):
        User.objects.create(email="SAME@example.com")


def test_a_user_has_one_membership_per_client(client_a):
    membership = MembershipFactory(client=client_a)
    with pytest.raises(IntegrityError):
        Membership.objects.create(user=membership.user, client=client_a)


def test_unknown_time_zone_is_refused():
    from django.core.exceptions import ValidationError

    user = UserFactory()
    user.time_zone = "Mars/Olympus_Mons"
    with pytest.raises(ValidationError):
        user.full_clean()
