"""Everything the OpenText client assumes that public material does not verify ([A]/[I] in platforms.md).

Verified: the token endpoint ``/tenants/{tenant}/oauth2/token`` with client credentials, ``/workflow/v1`` paths for
process instances and tasks, task actions ``claim``/``complete`` with ``assignee``/``outcome``/``variables``, the HAL
list ``_embedded`` (absent when empty) with ``offset``/``count`` paging, variables as a list of
``{name, value, type}``, ``+0000`` dates, errors carrying ``exception``. Assumed: the process-instance query by
business key, ``unclaim``, the comment endpoints (5.2), the history path, ``page`` fields other than
``totalElements``, and the task attributes below (candidate groups in ``assignments``).

Read as Flowable behaves (DESIGN invariant 8), never as the emulator could be made to: an ended process instance is a
404 at runtime and lives on in the history; the history is written asynchronously, so an entry without ``endTime``
has not ended; tasks carry no list of outcomes (those come from our BPMN files, ``apps.workflows.bpmn``); a
process ended by its own terminate end event has the delete reason ``terminate end event``, any other delete reason
is a cancellation.
"""

TOKEN_PATH = "/tenants/{tenant}/oauth2/token"  # [V]
WORKFLOW = "/workflow/v1"  # [V]
PROCESS_INSTANCES_PATH = WORKFLOW + "/process-instances"  # [V] POST, [A] GET query
PROCESS_INSTANCE_PATH = WORKFLOW + "/process-instances/{id}"  # [V]
TASKS_PATH = WORKFLOW + "/tasks"  # [V]
TASK_PATH = WORKFLOW + "/tasks/{id}"  # [V]
TASK_COMMENTS_PATH = WORKFLOW + "/tasks/{id}/comments"  # [I] from Flowable
PROCESS_COMMENTS_PATH = WORKFLOW + "/process-instances/{id}/comments"  # [I] platforms.md 5.2

# Comments [I from Flowable's REST resources, strictest reading]: a task's list (``GET tasks/{id}/comments``) reads
# the historic task, so it answers for a finished task too, and a 404 for a task the history does not know (yet); a
# new comment (``POST``) needs the task open (a finished task is a 404). A task comment carries its instance's id
# only when posted with ``saveProcessInstanceId``, and an instance's list holds only comments that carry it: so the
# portal reads both, each task's list and the instance's, and keeps every comment once by its ``id``. Neither list
# is paged nor promised in any order (Flowable's sorts newest first): the portal orders by ``time`` itself.
HISTORIC_TASKS_PATH = WORKFLOW + "/historic-task-instances"  # [A] base path
HISTORIC_PROCESSES_PATH = WORKFLOW + "/historic-process-instances"  # [A] base path, Flowable's resource

# Flowable's DeleteReason.TERMINATE_END_EVENT [V flowable-engine]: the model ended itself, which is no cancellation.
TERMINATED_BY_MODEL = "terminate end event"

# [A] Listing running instances of one process (``GET process-instances?processDefinitionKey=``) with their
# variables (``includeProcessVariables=true``, Flowable's parameter), and the instance's ``startUserId``: how the
# sync discovers a process a business user started in OpenText. An item that leaves ``variables`` out is read
# again by id; one without ``id`` is skipped.
DISCOVERY_PARAMS = {"includeProcessVariables": "true"}

PAGE_SIZE = 100  # [A] ``count`` maximum is undocumented; 100 is the emulator's
REFRESH_AHEAD_SECONDS = 60
