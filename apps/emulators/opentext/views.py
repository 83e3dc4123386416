"""HTTP face of the OpenText emulator: the token endpoint and the ``workflow/v1`` resources (platforms.md 2.3, 5.2).

Views stay thin: parse the request, call ``auth``/``services``/``queries``, render with ``payloads``.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from apps.emulators.core.faults import empty, emulated, read_json

from . import auth, contract, payloads, queries, services
from .auth import ClientCredentials, OAuthError, Principal, TokenRejected
from .engine import EngineError, WorkflowEngine
from .errors import BadRequest, EngineFailure, MethodNotAllowed, NotFound, OtError, UnsupportedContent

fault_injected = emulated(contract.EMULATOR, error_body=contract.injected_error_body)


def bearer(view: Callable) -> Callable:
    """Require a valid bearer token (else the gateway's 401 fault), pass its principal, render service errors."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            principal = auth.authenticate(request.headers.get("Authorization", ""))
        except TokenRejected as exc:
            response = JsonResponse(contract.gateway_fault(*exc.fault), status=401)
            response["WWW-Authenticate"] = contract.TOKEN_TYPE
            return response
        try:
            return view(request, principal, *args, **kwargs)
        except OtError as exc:
            return exc.response()

    return wrapper


def _allow(request: HttpRequest, *methods: str) -> None:
    if request.method not in methods:
        raise MethodNotAllowed(f"Request method '{request.method}' is not supported.")


def _body(request: HttpRequest) -> dict:
    """The JSON object of a POST/PUT; a non-JSON content type is a 415, malformed JSON a 400."""
    if not request.body:
        return {}
    if request.content_type != "application/json":
        raise UnsupportedContent(f"Content type '{request.content_type}' is not supported; send application/json.")
    data = read_json(request)
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.")
    return data


def _text(body: dict, name: str) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string")
    return value.strip()


# --- auth ------------------------------------------------------------------------------------------------------------
def _credentials(request: HttpRequest, params: dict) -> ClientCredentials | None:
    """Client credentials from HTTP Basic, else from the body (form or JSON), as OpenText's clients send them."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic" and encoded:
        try:
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return ClientCredentials(client_id, secret)
    if params.get("client_id"):
        return ClientCredentials(str(params["client_id"]), str(params.get("client_secret") or ""))
    return None


@fault_injected
def token(request: HttpRequest, tenant_id: str) -> HttpResponse:
    """``POST tenants/{tenant_id}/oauth2/token``: form, JSON or Basic client credentials."""
    if request.method != "POST":
        return JsonResponse({"error": "invalid_request", "error_description": "POST only"}, status=405)
    if request.content_type == "application/json":
        params = read_json(request)
        if not isinstance(params, dict):
            return JsonResponse({"error": "invalid_request", "error_description": "malformed JSON"}, status=400)
    else:
        params = request.POST.dict()
    try:
        body = auth.grant(tenant_id, params, _credentials(request, params))
    except OAuthError as exc:
        return JsonResponse(exc.body, status=exc.status)
    response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    return response


# --- models and process instances ------------------------------------------------------------------------------------
@fault_injected
@bearer
def models(request: HttpRequest, principal: Principal) -> HttpResponse:
    """``GET runtime/models?key=&modelType=json``: the deployed (loaded) BPMN processes."""
    _allow(request, "GET")
    try:
        found = WorkflowEngine().models()
    except EngineError as exc:
        raise EngineFailure(str(exc)) from exc
    key = request.GET.get("key")
    items = [payloads.model(m) for m in found if not key or m.key == key]
    paging = queries.paging(request.GET)
    window = items[paging.offset : paging.offset + paging.count]
    return JsonResponse(payloads.page(window, key="models", total=len(items), offset=paging.offset, count=paging.count))


@fault_injected
@bearer
def process_instances(request: HttpRequest, principal: Principal) -> HttpResponse:
    """``GET`` lists running instances (HAL envelope); ``POST`` starts one and runs it to its first wait state."""
    _allow(request, "GET", "POST")
    if request.method == "GET":
        paging = queries.paging(request.GET)
        items, total = queries.page_of(queries.instance_query(principal.tenant, request.GET), paging)
        include = queries.boolean(request.GET, "includeProcessVariables")
        rendered = [payloads.process_instance(i, include_variables=include) for i in items]
        return JsonResponse(
            payloads.page(rendered, key="processInstances", total=total, offset=paging.offset, count=paging.count)
        )
    body = _body(request)
    variables = payloads.read_variables(body.get("variables"))
    variables.update(payloads.read_variables(body.get("startFormVariables"), field="startFormVariables"))
    start = services.StartRequest(
        process_definition_key=_text(body, "processDefinitionKey"),
        process_definition_id=_text(body, "processDefinitionId"),
        message=_text(body, "message"),
        business_key=_text(body, "businessKey"),
        name=_text(body, "name"),
        variables=variables,
    )
    instance = services.start_process(principal.tenant, start, start_user=principal.actor)
    if _text(body, "comment"):
        services.add_instance_comment(instance, body["comment"], author=principal.actor)
    return JsonResponse(
        payloads.process_instance(instance, include_variables=body.get("returnVariables") is True), status=201
    )


@fault_injected
@bearer
def process_instance(request: HttpRequest, principal: Principal, instance_id: str) -> HttpResponse:
    """``GET process-instances/{id}`` (``includeProcessVariables``) of a running instance; an ended one is a 404
    (Flowable moved it to history: ``historic-process-instances``) unless the tenant's switch says otherwise."""
    _allow(request, "GET")
    instance = services.get_runtime_instance(principal.tenant, instance_id)
    include = queries.boolean(request.GET, "includeProcessVariables")
    return JsonResponse(payloads.process_instance(instance, include_variables=include))


@fault_injected
@bearer
def process_instance_comments(request: HttpRequest, principal: Principal, instance_id: str) -> HttpResponse:
    """``GET process-instances/{id}/comments``: the comments that carry the instance's id (instance comments, and
    task comments saved with it), newest first, not paged; an ended instance's comments stay readable (Flowable
    keeps comments and resolves their instance through history) [A]; an instance the asynchronous history does not
    know yet is a 404, as Flowable's resource looks it up there."""
    _allow(request, "GET")
    instance = queries.historic_instance(principal.tenant, instance_id, queries.history_as_of(principal.tenant))
    comments = queries.comments().filter(process_instance=instance, on_instance=True)
    return JsonResponse([payloads.comment(c) for c in comments], safe=False)


# --- tasks -----------------------------------------------------------------------------------------------------------
def _task_options(params) -> dict[str, bool]:
    return {
        "include_variables": queries.boolean(params, "includeProcessVariables"),
        "include_assignments": queries.boolean(params, "includeTaskAssignments"),
        "include_comments": queries.boolean(params, "includeTaskComments"),
    }


@fault_injected
@bearer
def tasks(request: HttpRequest, principal: Principal) -> HttpResponse:
    """``GET tasks``: open tasks filtered, sorted and paged (``offset``/``count``) in the HAL envelope."""
    _allow(request, "GET")
    paging = queries.paging(request.GET)
    items, total = queries.page_of(queries.task_query(principal.tenant, request.GET), paging)
    rendered = payloads.tasks(items, **_task_options(request.GET))
    return JsonResponse(payloads.page(rendered, key="tasks", total=total, offset=paging.offset, count=paging.count))


@fault_injected
@bearer
def task(request: HttpRequest, principal: Principal, task_id: str) -> HttpResponse:
    """``GET`` reads an open task, ``PUT`` updates it, ``POST`` runs an action (claim, unclaim, complete)."""
    _allow(request, "GET", "PUT", "POST")
    if request.method == "GET":
        item = services.get_task(principal.tenant, task_id, open_only=True)
        return JsonResponse(payloads.task(item, **_task_options(request.GET)))
    body = _body(request)
    if request.method == "PUT":
        item = services.update_task(principal.tenant, task_id, body)
        return JsonResponse(payloads.task(item))
    services.get_task(principal.tenant, task_id, open_only=True)
    _run_action(principal, task_id, body)
    return empty(200)


def _run_action(principal: Principal, task_id: str, body: dict) -> None:
    action = body.get("action")
    if action == "claim":
        if "assignee" not in body:
            raise BadRequest("An assignee is required to claim a task (null unclaims it).")
        assignee = body["assignee"]
        if assignee is not None and not isinstance(assignee, str):
            raise BadRequest("'assignee' must be a string or null")
        services.claim_task(principal.tenant, task_id, assignee)
    elif action == "unclaim":
        services.claim_task(principal.tenant, task_id, None)
    elif action == "complete":
        outcome = body.get("outcome")
        services.complete_task(
            principal.tenant,
            task_id,
            outcome=outcome if outcome not in ("", None) else None,
            variables=payloads.read_variables(body.get("variables")),
            user=principal.user_email,
            assignee="" if principal.user_email else _text(body, "assignee"),
        )
    else:
        raise BadRequest(f"Invalid action: '{action}'. Supported: {', '.join(contract.TASK_ACTIONS)}.")


@fault_injected
@bearer
def task_comments(request: HttpRequest, principal: Principal, task_id: str) -> HttpResponse:
    """``GET`` lists a task's comments, open or finished task (Flowable reads the historic task, so a task newer than
    the tenant's history delay is a 404), newest first and not paged; ``POST {message, saveProcessInstanceId?}``
    adds one to an open task only (Flowable reads the runtime task: a finished task is a 404); author = the token's
    user or client."""
    _allow(request, "GET", "POST")
    if request.method == "GET":
        item = services.get_task(principal.tenant, task_id)
        if item.create_time > queries.history_as_of(principal.tenant):  # Flowable reads the historic task: late
            raise NotFound(f"Could not find a task with id '{task_id}'.")
        comments = queries.comments().filter(task=item)
        return JsonResponse([payloads.comment(c) for c in comments], safe=False)
    body = _body(request)
    comment = services.add_comment(
        principal.tenant,
        task_id,
        body.get("message"),
        author=principal.actor,
        save_instance_id=body.get("saveProcessInstanceId") is True,
    )
    return JsonResponse(payloads.comment(comment), status=201)


def _paged(request: HttpRequest, qs, key: str, render: Callable) -> JsonResponse:
    paging = queries.paging(request.GET)
    items, total = queries.page_of(qs, paging)
    rendered = [render(item) for item in items]
    return JsonResponse(payloads.page(rendered, key=key, total=total, offset=paging.offset, count=paging.count))


@fault_injected
@bearer
def historic_task_instances(request: HttpRequest, principal: Principal) -> HttpResponse:
    """``GET historic-task-instances``: open and ended tasks with their end time, duration and delete reason.

    History lags the runtime by the tenant's delay (async history): a task that ended since still looks open. The
    history service sits beside the runtime resources here; its real base path is not public [A].
    """
    _allow(request, "GET")
    as_of = queries.history_as_of(principal.tenant)
    options = {
        "as_of": as_of,
        "include_process_variables": queries.boolean(request.GET, "includeProcessVariables"),
        "include_local_variables": queries.boolean(request.GET, "includeTaskLocalVariables"),
    }
    qs = queries.history_query(principal.tenant, request.GET, as_of)
    return _paged(request, qs, "historicTaskInstances", lambda t: payloads.historic_task(t, **options))


@fault_injected
@bearer
def historic_process_instances(request: HttpRequest, principal: Principal) -> HttpResponse:
    """``GET historic-process-instances``: running and ended instances as history shows them (late, async).

    Where a client reads an instance's end: ``endTime``, ``endActivityId``, ``deleteReason`` and (with
    ``includeProcessVariables=true``) the final variables. Base path beside the runtime resources [A].
    """
    _allow(request, "GET")
    as_of = queries.history_as_of(principal.tenant)
    include = queries.boolean(request.GET, "includeProcessVariables")
    qs = queries.historic_instance_query(principal.tenant, request.GET, as_of)
    return _paged(
        request,
        qs,
        "historicProcessInstances",
        lambda i: payloads.historic_process_instance(i, as_of=as_of, include_variables=include),
    )


@fault_injected
@bearer
def historic_process_instance(request: HttpRequest, principal: Principal, instance_id: str) -> HttpResponse:
    """``GET historic-process-instances/{id}``: one instance as history shows it; 404 until history has it."""
    _allow(request, "GET")
    as_of = queries.history_as_of(principal.tenant)
    instance = queries.historic_instance(principal.tenant, instance_id, as_of)
    include = queries.boolean(request.GET, "includeProcessVariables")
    return JsonResponse(payloads.historic_process_instance(instance, as_of=as_of, include_variables=include))


@fault_injected
@bearer
def unknown_resource(request: HttpRequest, principal: Principal, rest: str) -> HttpResponse:
    """Any other ``workflow/v1`` path: still behind the gateway (401 first), then the service's JSON 404."""
    raise NotFound(f"No resource at 'workflow/v1/{rest}'.")
