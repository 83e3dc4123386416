"""Every assumption ([A] in platforms.md section 2) the OpenText emulator makes, in one place.

Public material verifies the paths of the token endpoint and of ``/workflow/v1`` (models, process instances, tasks,
task actions, historic task instances), the request vocabulary (Flowable's), the HAL list envelope with ``_embedded``
absent on empty results, ``offset``/``count`` paging, the gateway ``fault`` error shape and ``+0000`` dates. What is
*not* public lives here, so it can be corrected in one edit once partner documentation arrives.

The rule: the emulator is never more lenient than the platform. Where the public contract or Flowable (the engine
OpenText's service runs on) is stricter or silent, the emulator takes the strictest reading by default and the portal
must cope. Every relaxed reading is a per-tenant switch (``SWITCHES`` below, off by default), settable through
``provisioning.configure_tenant`` and the control routes ``_emulator/tenants`` and ``_emulator/tenants/{id}/settings``;
the test suite runs the strict form.

Assumptions:

- token lifetime, the refresh-token grant and the token error bodies (gateway codes are Apigee's, which fronts
  api.opentext.com);
- the ``page`` fields besides ``totalElements``, the default and maximum ``count``;
- the list envelope of ``runtime/models``, ``process-instances``, ``historic-task-instances`` and
  ``historic-process-instances`` (``_embedded.<resource>``, the same for all four);
- the history base path: ``historic-task-instances`` and ``historic-process-instances`` are mounted beside the
  runtime resources under ``/workflow/v1`` (Flowable's own REST API has them under ``history/``);
- comments (platforms.md 5.2 [I from Flowable's ``TaskCommentCollectionResource``]): ``GET tasks/{id}/comments``
  answers for an open or finished task (Flowable reads the historic task) and 404 for an unknown one; ``POST``
  takes a comment on an open task only (Flowable reads the runtime task: a finished task is a 404), ``{message}``
  required, and saves the instance id on it only with ``saveProcessInstanceId: true`` (``processInstanceId`` is
  null otherwise); ``GET process-instances/{id}/comments`` lists only the comments that carry the instance id.
  Lists are unpaged JSON arrays, newest first (Flowable's ``order by TIME_ desc``); paging parameters are ignored.
  Comments written in OpenText's own task application (control route ``_emulator/comments``) carry the instance id,
  as Flowable's task application saves it. Both lists look their task or instance up in the
  (asynchronous) history, as Flowable's resources do: one newer than the tenant's ``history_delay_seconds`` is a 404
  until the history knows it; the comments themselves are not delayed (Flowable writes them directly);
- the service error categories (Flowable's ``ErrorInfo``);
- ended process instances are gone from the runtime, as in stock Flowable, which moves them to history:
  ``GET process-instances/{id}`` of an ended instance is a 404 and the ``process-instances`` list holds running
  instances only (its ``ended`` parameter only works with the switch). Their end, end activity, delete reason and
  final variables are read from ``historic-process-instances`` (Flowable's ``HistoricProcessInstanceResponse``
  fields, no ``completed``/``ended``). ``GET process-instances/{id}/comments`` keeps answering for an ended
  instance: Flowable keeps comments (they live in history tables) and resolves a comment's instance through history.
  Switch ``ended_instances_readable`` (the runtime answers for ended instances too);
- asynchronous history (OpenText's models set ``isasynchistoryenable``): history lags the runtime by the tenant's
  ``history_delay_seconds`` (default ``EMULATOR_OPENTEXT_HISTORY_DELAY_SECONDS``, else 1 s). Both history resources
  show the state as of that long ago: a task or instance started more recently is absent (404 by id), one that
  ended more recently still looks open: ``endTime``, ``durationInMillis``, ``deleteReason`` (and ``endActivityId``,
  ``outcome``) are null and ``finished=true`` leaves it out. Variables are not delayed, so an instance's variables
  may already hold its outcome before its ``endTime`` is there: a client must not read an outcome before that.
  A delay of 0 is the relaxation;
- delete reasons are Flowable's ``DeleteReason`` values: a terminate end event closes the other open tasks and the
  instance with ``terminate end event``; an instance reaching a normal end event has none; an administrator's
  deletion (control route ``_emulator/process-instances/{id}/cancel``) gives the instance and its open tasks the
  given reason, default ``process instance deleted``, and leaves the variables as they were (an outcome variable
  an earlier task wrote stays there); a task the engine removes otherwise (an interrupting event) gets
  ``boundary event interrupting``, the most common such cause (no model of ours has one);
- how a BPMN user task declares its OpenText attributes (SpiffWorkflow extension properties named below). Task and
  historic-task JSON carry no ``possibleOutcomes``/``outcomeVariable`` (Flowable's ``TaskResponse`` has neither;
  switch ``task_outcomes_in_json``), and historic tasks no ``outcome`` (Flowable's
  ``HistoricTaskInstanceResponse`` has none; switch ``historic_task_outcome``): a client reads the outcome variable
  from the process variables (``includeProcessVariables=true``, on historic tasks too);
- historic task JSON has the fields of Flowable's ``HistoricTaskInstanceResponse`` (no ``createTime``,
  ``suspended``, ``delegationState``); ``includeTaskLocalVariables=true`` adds an empty ``variables`` list (the
  emulator keeps no task-local variables);
- an approval task (one with possible outcomes) cannot be completed without an outcome, or with one not among them
  (a 400 naming the allowed values);
- completion: Flowable's ``TaskService.complete`` does not check the assignee, so a service-client token completes
  any open task (its assignee stays whoever held it). ``assignee`` in a ``complete`` body names the acting user for
  a service-client token (Flowable's ``TaskActionRequest`` carries the field; OpenText's use of it on complete is
  not documented) and is recorded only on an unassigned task. A user token completes a task it is the assignee, a
  candidate user or in a candidate group of, else 403. Switch ``complete_requires_assignee``: completing a task
  someone else holds is a 409 (for a user, or a service client naming another ``assignee``). A claim of a task
  someone else holds is a 409 always (Flowable's ``TaskAlreadyClaimedException``);
- the synthetic process-definition id ``<key>:<version>:<digest>``.
"""

from __future__ import annotations

from typing import Final

from django.conf import settings

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
HISTORY_SORTS: Final = {"startTime": "create_time", "endTime": "seen_end", "name": "name", "dueDate": "due_date"}
HISTORIC_INSTANCE_SORTS: Final = {
    "startTime": "start_time",
    "endTime": "seen_end",
    "businessKey": "business_key",
    "processInstanceId": "public_id",
}
INSTANCE_SORTS: Final = {"startTime": "start_time", "businessKey": "business_key"}
DEFAULT_PRIORITY: Final = 50

# Variable types accepted on the wire [V list, A for json]; "date" values stay ISO strings inside the engine.
VARIABLE_TYPES: Final = ("string", "integer", "long", "short", "double", "boolean", "date", "json")
VARIABLE_SCOPE: Final = "global"

# Flowable's DeleteReason values [V Flowable / A for OpenText]: on tasks the engine removed without a completion and
# on the historic process instance; an instance that reached a normal end event has none.
DELETE_REASON_TERMINATE_END_EVENT: Final = "terminate end event"
DELETE_REASON_PROCESS_INSTANCE_DELETED: Final = "process instance deleted"
DELETE_REASON_BOUNDARY_EVENT_INTERRUPTING: Final = "boundary event interrupting"

# --- async history and the relaxations (per tenant, off by default) -------------------------------------------------
DEFAULT_HISTORY_DELAY_SECONDS: Final = 1.0
SWITCHES: Final = {
    "ended_instances_readable": "process-instances (by id and list) also answers for ended instances",
    "task_outcomes_in_json": "task and historic-task JSON carry possibleOutcomes and outcomeVariable",
    "historic_task_outcome": "historic task JSON carries the chosen outcome",
    "complete_requires_assignee": "completing a task someone else holds is a 409",
}


def default_history_delay_seconds() -> float:
    """A new tenant's history delay: the ``EMULATOR_OPENTEXT_HISTORY_DELAY_SECONDS`` setting, else one second."""
    return float(getattr(settings, "EMULATOR_OPENTEXT_HISTORY_DELAY_SECONDS", DEFAULT_HISTORY_DELAY_SECONDS))


# --- BPMN extension properties on bpmn:userTask (spiffworkflow:properties) -------------------------------------------
PROP_CANDIDATE_GROUPS: Final = "candidateGroups"  # comma-separated
PROP_CANDIDATE_USERS: Final = "candidateUsers"  # comma-separated e-mails
PROP_ASSIGNEE: Final = "assignee"  # an e-mail or ${variable}: the task is created assigned (flowable:assignee)
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
