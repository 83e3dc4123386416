from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "apps.reviews"
    verbose_name = "Reviews"

    def ready(self) -> None:
        from apps.assets import events, pages
        from apps.workflows import flows

        from . import services

        flows.register(services.FLOW)
        events.on_synced(services.start_pending_approvals)
        events.on_ready_for_review(services.start_pending_approvals)
        events.on_changed(services.resubmit_changed)
        pages.register("reviews.licence_check", services.asset_page_check)
