from . import views

app_name = "workflows"

# The conversation of the subjects below this app (assets); an app above declares its own subjects' routes with the
# same helper (exceptions/urls.py: cases).
urlpatterns = [
    *views.comment_urls("assets", "assets.asset", route="workflows:asset"),
]
