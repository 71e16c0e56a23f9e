"""The OpenAPI document validates against the 3.1 specification, documents
every route, and the reference page shows every operation."""

import json

from django.test import Client
from openapi_spec_validator import validate

from api.api import api as ninja_api


def test_the_schema_validates_and_covers_every_route(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.1")
    validate(json.loads(json.dumps(schema)))
    documented = {(path, method) for path, methods in schema["paths"].items() for method in methods}
    routed = {
        ("/api/v1" + path.replace("{int:pk}", "{pk}"), method.lower())
        for _prefix, router in ninja_api._routers
        for path, view in router.path_operations.items()
        for op in view.operations
        for method in op.methods
    }
    assert routed == documented
    assert len(documented) >= 35
    schemes = schema["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}


def test_the_reference_page_lists_every_operation(db):
    schema = Client().get("/api/v1/openapi.json").json()
    page = Client().get("/api/v1/reference/")
    assert page.status_code == 200
    html = page.content.decode()
    for methods in schema["paths"].values():
        for operation in methods.values():
            assert f'id="{operation["operationId"]}"' in html
    assert "#problem-edit-conflict" in html and 'id="problem-edit-conflict"' in html
    assert "<script" not in html and "https://" not in html


def test_unknown_routes_and_methods_answer_problems(agent, api):
    client = api(agent, "read")
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/problem+json"
    wrong = client.put("/api/v1/tickets")
    assert wrong.status_code == 405
    assert wrong["Content-Type"] == "application/problem+json"
