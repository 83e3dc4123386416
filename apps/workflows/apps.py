from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "apps.workflows"
    verbose_name = "Workflows"

    def ready(self) -> None:
        from apps.assets import pages

        from . import subject_pages

        # the asset page shows its runs, tasks, conversation and timeline (assets may not import workflows)
        pages.register("workflows.subject", subject_pages.asset_page)
