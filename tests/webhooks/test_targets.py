"""The SSRF guard: internal addresses are refused on save and at delivery unless the operator allows them."""

from __future__ import annotations

import pytest

from apps.webhooks import services
from apps.webhooks.targets import TargetRefused, check

INTERNAL = [
    "http://127.0.0.1:9000/hook",
    "http://localhost:9000/hook",  # a name resolving to loopback
    "http://10.1.2.3/hook",
    "http://192.168.0.10/hook",
    "http://172.16.5.4/hook",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",  # loopback mapped into IPv6
    "http://[fd00::1]/hook",
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://100.64.0.1/hook",  # carrier-grade NAT: not globally routable
]


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_addresses_are_refused(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(TargetRefused, match="internal address"):
        check(url)


def test_a_public_address_passes():
    target = check("https://93.184.215.14:8443/hook")
    assert target.address == "93.184.215.14" and target.port == 8443 and target.host == "93.184.215.14"


def test_the_operator_may_allow_private_targets_or_some_networks(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    assert check("http://127.0.0.1:9000/hook").address == "127.0.0.1"
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    settings.WEBHOOK_ALLOWED_CIDRS = ["10.20.0.0/16"]
    assert check("http://10.20.3.4/hook").address == "10.20.3.4"
    with pytest.raises(TargetRefused):
        check("http://10.21.3.4/hook")


def test_https_only_when_required_and_no_credentials_in_the_url(settings):
    settings.WEBHOOK_REQUIRE_HTTPS = True
    with pytest.raises(TargetRefused, match="https"):
        check("http://93.184.215.14/hook")
    with pytest.raises(TargetRefused, match="user name or password"):
        check("https://user:pw@93.184.215.14/hook")
    with pytest.raises(TargetRefused, match="https"):
        check("ftp://93.184.215.14/hook")


def test_an_unresolvable_host_is_refused():
    with pytest.raises(TargetRefused, match="could not be resolved"):
        check("https://no-such-host.invalid/hook")


def test_a_private_target_is_refused_when_saved(client_a, agency_admin, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(TargetRefused):
        services.create_endpoint(
            client=client_a, url="http://localhost:8000/hook", event_types=["asset.approved"], actor=agency_admin
        )


def test_only_subscribable_events_and_at_least_one(client_a, agency_admin):
    with pytest.raises(services.WebhookError, match="cannot be subscribed"):
        services.create_endpoint(
            client=client_a, url="https://93.184.215.14/", event_types=["task.assigned"], actor=agency_admin
        )
    with pytest.raises(services.WebhookError, match="at least one"):
        services.create_endpoint(client=client_a, url="https://93.184.215.14/", event_types=[], actor=agency_admin)
