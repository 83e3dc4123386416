"""Every model that belongs to a client is reachable only through a ``visible_to`` queryset."""

from django.apps import apps


def test_every_client_owned_model_has_a_visible_to_manager():
    unscoped = []
    for model in apps.get_models():
        if not model.__module__.startswith("apps."):
            continue
        fields = {f.name: f for f in model._meta.get_fields()}
        client_field = fields.get("client")
        if client_field is None or not client_field.is_relation or model._meta.label == "clients.Client":
            continue
        if not hasattr(model._default_manager, "visible_to"):
            unscoped.append(model._meta.label)
    # ApiToken is reached only through its owner (``user=request.user``), never listed by client.
    assert unscoped == ["accounts.ApiToken"]
