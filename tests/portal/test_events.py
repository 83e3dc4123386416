"""The domain event bus (apps.common.events): names are checked, every listener of a name hears it once."""

import pytest

from apps.common import events


@pytest.fixture
def heard(monkeypatch):
    monkeypatch.setattr(events, "_LISTENERS", {})
    got = []
    events.listen("asset.approved")(got.append)
    return got


def test_a_listener_hears_the_events_it_listens_to_and_no_others(heard):
    events.publish("asset.approved", key="asset.approved:run-1", client=None, data={"asset": 1})
    events.publish("asset.rejected", key="asset.rejected:run-2", client=None, data={"asset": 2})

    assert [(e.name, e.key, e.data) for e in heard] == [("asset.approved", "asset.approved:run-1", {"asset": 1})]


def test_a_catch_all_listener_hears_everything_and_registering_twice_hears_once(heard):
    everything = []
    events.listen("*")(everything.append)
    events.listen("*")(everything.append)

    events.publish("case.opened", key="case.opened:7", client=None, data={})

    assert [e.name for e in everything] == ["case.opened"]


def test_an_unknown_name_is_refused_when_published_or_listened_to(heard):
    with pytest.raises(ValueError, match=r"asset\.aproved"):
        events.publish("asset.aproved", key="k", client=None, data={})
    with pytest.raises(ValueError, match=r"asset\.aproved"):
        events.listen("asset.aproved")
