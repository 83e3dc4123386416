from django.db import models


class SubjectType(models.TextChoices):
    """What can be shared with an external member: the things that have a page of their own. A run (a review cycle,
    a case's workflow) is seen on its subject's page, so sharing the subject shares its runs, their tasks, decisions
    and comments. The values are ``app_label.model``, as ``WorkflowRun.subject_type`` names a run's subject."""

    ASSET = "assets.asset", "Asset"
    CASE = "exceptions.case", "Case"


# The API's short names for them.
SUBJECT_CODES = {SubjectType.ASSET: "asset", SubjectType.CASE: "case"}
SUBJECT_BY_CODE = {code: subject_type for subject_type, code in SUBJECT_CODES.items()}
