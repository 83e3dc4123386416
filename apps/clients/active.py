"""The client a person is working in: the functions live in :mod:`apps.common.active_client` (model-free, so the
audit trail's pages read them too); imported here for the callers that name them ``apps.clients.active``."""

from apps.common.active_client import SESSION_KEY as SESSION_KEY
from apps.common.active_client import get_active_client as get_active_client
from apps.common.active_client import params_with_active_client as params_with_active_client
from apps.common.active_client import set_active_client as set_active_client
