"""Q3: a task-queue configuration that would duplicate or loop tasks is refused at start-up."""

import pytest

from apps.integrations.checks import check_q_cluster


def test_the_shipped_configuration_passes():
    assert check_q_cluster(None) == []


@pytest.mark.parametrize(
    ("change", "error_id"),
    [
        ({"timeout": None}, "q2.E001"),
        ({"timeout": 400, "retry": 360}, "q2.E002"),
        ({"timeout": 360, "retry": 360}, "q2.E002"),
        ({"max_attempts": 0}, "q2.E003"),
    ],
)
def test_risky_configurations_are_errors(settings, change, error_id):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, **change}
    assert [error.id for error in check_q_cluster(None)] == [error_id]
