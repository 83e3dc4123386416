from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "apps.workflows"
    verbose_name = "Workflows"

    def ready(self) -> None:
        from apps.accounts import delegation
        from apps.assets import pages

        from . import services, subject_pages

        # the asset page shows its runs, tasks, conversation and timeline (assets may not import workflows)
        pages.register("workflows.subject", subject_pages.asset_page)
        # a delegation in effect at once hands the member's held tasks to the delegate: task.delegated
        delegation.on_set(services.delegated_now)
