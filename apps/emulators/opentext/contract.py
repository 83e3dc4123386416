"""Every assumption ([A] in platforms.md section 2) the OpenText emulator makes, in one place.

Public material verifies the paths of the token endpoint and of ``/workflow/v1`` (models, process instances, tasks,
task actions, historic task instances), the request vocabulary (Flowable's), the HAL list envelope with ``_embedded``
absent on empty results, ``offset``/``count`` paging, the gateway ``fault`` error shape and ``+0000`` dates. What is
*not* public lives here, so it can be corrected in one edit once partner documentation arrives:

- token lifetime, the refresh-token grant and the token error bodies (gateway codes are Apigee's, which fronts
  api.opentext.com);
- the ``page`` fields besides ``totalElements``, the default and maximum ``count``;
- the list envelope of ``runtime/models``, ``process-instances`` and ``historic-task-instances``;
- the history base path (mounted beside the runtime resources under ``/workflow/v1``);
- comments (platforms.md 5.2), the service error categories (Flowable's ``ErrorInfo``);
- ended process instances stay readable by id (stock Flowable moves them to history);
- how a BPMN user task declares its OpenText attributes (SpiffWorkflow extension properties named below), and that
  tasks carry ``possibleOutcomes``/``outcomeVariable`` in their JSON;
- ``assignee`` in a ``complete`` body names the acting user for a service-client token (Flowable's
  ``TaskActionRequest`` carries the field; OpenText's use of it on complete is not documented);
- an approval task (one with possible outcomes) cannot be completed without an outcome;
- the synthetic process-definition id ``<key>:<version>:<digest>``.
"""

from __future__ import annotations

from typing import Final

EMULATOR: Final = "opentext"

# --- auth ----------------------------------------------------------------------------------------------------------
DEFAULT_TOKEN_LIFETIME_SECONDS: Final = 3600
REFRESH_TOKEN_LIFETIME_SECONDS: Final = 8 * 3600
TOKEN_TYPE: Final = "Bearer"
GRANT_CLIENT_CREDENTIALS: Final = "client_credentials"
GRANT_PASSWORD: Final = "password"
GRANT_REFRESH_TOKEN: Final = "refresh_token"
GRANTS: Final = (GRANT_CLIENT_CREDENTIALS, GRANT_PASSWORD, GRANT_REFRESH_TOKEN)

# Gateway (Apigee) fault codes: the bad-client one is verified [V O7], the token ones follow Apigee's catalogue [A].
FAULT_INVALID_CLIENT: Final = ("Invalid ApiKey", "oauth.v2.InvalidApiKey")
FAULT_MISSING_TOKEN: Final = ("Invalid access token", "oauth.v2.InvalidAccessToken")
FAULT_INVALID_TOKEN: Final = ("Invalid Access Token", "keymanagement.service.invalid_access_token")
FAULT_EXPIRED_TOKEN: Final = ("Access Token expired", "keymanagement.service.access_token_expired")
FAULT_RATE_LIMITED: Final = ("Spike arrest violation", "policies.ratelimit.SpikeArrestViolation")
FAULT_UNAVAILABLE: Final = ("The Service is temporarily unavailable", "messaging.adaptors.http.flow.ServiceUnavailable")

# --- workflow service ----------------------------------------------------------------------------------------------
DEFAULT_COUNT: Final = 10
MAX_COUNT: Final = 1000

# Flowable's ErrorInfo categories, keyed by status [V F6 / I for OpenText].
ERROR_MESSAGES: Final = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    415: "Content is not supported",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
}
ALREADY_CLAIMED: Final = "Task was already claimed"

TASK_ACTIONS: Final = ("claim", "unclaim", "complete")
TASK_SORTS: Final = {"createTime": "create_time", "name": "name", "dueDate": "due_date", "priority": "priority"}
HISTORY_SORTS: Final = {"startTime": "create_time", "endTime": "end_time", "name": "name", "dueDate": "due_date"}
INSTANCE_SORTS: Final = {"startTime": "start_time", "businessKey": "business_key"}
DEFAULT_PRIORITY: Final = 50

# Variable types accepted on the wire [V list, A for json]; "date" values stay ISO strings inside the engine.
VARIABLE_TYPES: Final = ("string", "integer", "long", "short", "double", "boolean", "date", "json")
VARIABLE_SCOPE: Final = "global"

# Delete reasons written on task rows the engine removed without a completion [A].
DELETE_REASON_TERMINATED: Final = "terminated"
DELETE_REASON_CANCELLED: Final = "cancelled"

# --- BPMN extension properties on bpmn:userTask (spiffworkflow:properties) -------------------------------------------
PROP_CANDIDATE_GROUPS: Final = "candidateGroups"  # comma-separated
PROP_CANDIDATE_USERS: Final = "candidateUsers"  # comma-separated e-mails
PROP_POSSIBLE_OUTCOMES: Final = "possibleOutcomes"  # "Label:value,Label:value" as in OpenText's approval task
PROP_OUTCOME_VARIABLE: Final = "outcomeVariable"
PROP_DUE_DATE_VARIABLE: Final = "dueDateVariable"  # a process variable holding an ISO date-time
PROP_CATEGORY: Final = "category"
PROP_PRIORITY: Final = "priority"
PROP_FORM_KEY: Final = "formKey"
MODEL_VERSION: Final = 1


def gateway_fault(faultstring: str, errorcode: str) -> dict:
    """The API gateway's error body (verified shape), used for authentication and rate-limit failures."""
    return {"fault": {"faultstring": faultstring, "detail": {"errorcode": errorcode}}}


def service_error(status: int, exception: str | None = None, message: str | None = None) -> dict:
    """The workflow service's error body: Flowable's ``{message, exception}``, ``exception`` omitted when unknown."""
    body: dict = {"message": message or ERROR_MESSAGES.get(status, "Error")}
    if exception:
        body["exception"] = exception
    return body


def injected_error_body(status: int) -> dict:
    """The body of an injected fault: the gateway answers 401/429/503 itself, the service everything else."""
    if status == 401:
        return gateway_fault(*FAULT_INVALID_TOKEN)
    if status == 429:
        return gateway_fault(*FAULT_RATE_LIMITED)
    if status == 503:
        return gateway_fault(*FAULT_UNAVAILABLE)
    return service_error(status, "Injected by the emulator")
