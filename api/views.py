"""The API's readable reference (rendered here from the OpenAPI document, so
no script or stylesheet from elsewhere) and the account menu's token page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tickets.rendering import nav_context, render_pane

from . import tokens
from .api import api
from .models import AccessToken
from .problems import PROBLEMS, type_uri

METHOD_ORDER = ["get", "post", "put", "patch", "delete"]


def _schema_name(ref: dict) -> str:
    if "$ref" in ref:
        return ref["$ref"].rsplit("/", 1)[-1]
    if ref.get("type") == "array":
        return f"[{_schema_name(ref.get('items', {}))}]"
    return ref.get("type", "") or ", ".join(_schema_name(r) for r in ref.get("anyOf", []))


def _operations(schema: dict) -> list[dict]:
    """The document's operations grouped by tag, in path order."""
    groups: dict[str, list] = {}
    for path, methods in schema["paths"].items():
        for method in sorted(methods, key=METHOD_ORDER.index):
            op = methods[method]
            body = op.get("requestBody", {}).get("content", {})
            body_schema = next(iter(body.values()), {}).get("schema", {}) if body else {}
            groups.setdefault(op.get("tags", ["API"])[0], []).append(
                {
                    "method": method.upper(),
                    "path": path,
                    "id": op["operationId"],
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": _schema_name(p.get("schema", {})),
                            "description": p.get("description", "")
                            or p.get("schema", {}).get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body": _schema_name(body_schema) if body_schema else "",
                    "responses": [
                        {
                            "status": status,
                            "schema": _schema_name(
                                next(iter(r.get("content", {}).values()), {}).get("schema", {})
                            ),
                        }
                        for status, r in op.get("responses", {}).items()
                    ],
                }
            )
    return [{"tag": tag, "operations": ops} for tag, ops in groups.items()]


def _components(schema: dict) -> list[dict]:
    found = []
    for name, body in sorted(schema.get("components", {}).get("schemas", {}).items()):
        required = set(body.get("required", []))
        found.append(
            {
                "name": name,
                "description": body.get("description", ""),
                "fields": [
                    {
                        "name": field,
                        "type": _schema_name(spec),
                        "required": field in required,
                        "description": spec.get("description", ""),
                    }
                    for field, spec in body.get("properties", {}).items()
                ],
            }
        )
    return found


@require_GET
def reference(request):
    """The API reference: every operation, schema and problem type."""
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    problems = [
        {"slug": slug, "uri": type_uri(slug), "title": title, "status": status}
        for slug, (title, status) in PROBLEMS.items()
    ]
    return render(
        request,
        "api/reference.html",
        {
            "schema": schema,
            "groups": _operations(schema),
            "components": _components(schema),
            "problems": problems,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    """The user's API tokens: make one (its secret shown on this answer only)
    and see when each was last used, and from where."""
    user = request.user
    created = None
    errors: dict = {}
    if request.method == "POST":
        expires = request.POST.get("expires", "")
        try:
            token, secret = tokens.token_create(
                user=user,
                name=request.POST.get("name", ""),
                scope=request.POST.get("scope", ""),
                expires_in_days=int(expires) if expires.isdigit() else None,
            )
        except ValidationError as error:
            errors = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
        else:
            created = {"token": token, "secret": secret}
    context = {
        "tokens": AccessToken.objects.filter(user=user, revoked_at__isnull=True),
        "created": created,
        "errors": errors,
        "general_errors": errors.get("__all__", []) + errors.get("", []),
        "posted": request.POST if errors else {},
        "scope_choices": [
            (value, label)
            for value, label in AccessToken._meta.get_field("scope").choices
            if value in tokens.scopes_for(user)
        ],
        "expiry_days": tokens.EXPIRY_DAYS,
    }
    context.update(nav_context(user, None))
    response = render_pane(request, "api/tokens.html", context, status=422 if errors else 200)
    # The secret is on this page only: never kept by the browser's cache.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(AccessToken, pk=pk, user=request.user, revoked_at__isnull=True)
    tokens.token_revoke(user=request.user, token=token)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("api:tokens")
