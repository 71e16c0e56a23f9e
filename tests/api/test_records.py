"""Contacts and companies: search, find by email, create, update, delete."""

from crm.models import Company, Contact
from tests.factories import CompanyFactory, ContactFactory

JSON = "application/json"


def test_find_a_contact_by_email_any_case(agent, api):
    wanted = ContactFactory(email="Ada@Example.com")
    ContactFactory(email="other@example.com")
    client = api(agent, "read")
    found = client.get("/api/v1/contacts", {"email": "ada@example.COM"}).json()["items"]
    assert [c["id"] for c in found] == [wanted.pk]
    searched = client.get("/api/v1/contacts", {"q": "ada@"}).json()["items"]
    assert [c["id"] for c in searched] == [wanted.pk]


def test_contact_pages(agent, api):
    made = [ContactFactory() for _ in range(5)]
    client = api(agent, "read")
    url, seen = "/api/v1/contacts?limit=2", []
    while url:
        body = client.get(url).json()
        seen += [c["id"] for c in body["items"]]
        url = body["next"]
    assert seen == [c.pk for c in made]


def test_create_update_and_read_a_contact(agent, api):
    company = CompanyFactory()
    client = api(agent)
    made = client.post(
        "/api/v1/contacts",
        {"first_name": "Ada", "email": "ADA@example.com", "company": company.pk},
        content_type=JSON,
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert made.json()["email"] == "ada@example.com"
    assert made.json()["company"]["id"] == company.pk
    changed = client.patch(f"/api/v1/contacts/{pk}", {"last_name": "Lovelace"}, content_type=JSON)
    assert changed.json()["name"] == "Ada Lovelace"
    assert client.get(f"/api/v1/contacts/{pk}").json()["first_name"] == "Ada"


def test_bad_contacts_are_refused_with_field_errors(agent, api):
    client = api(agent)
    bad_email = client.post("/api/v1/contacts", {"email": "not-an-email"}, content_type=JSON)
    assert bad_email.status_code == 422
    assert bad_email.json()["errors"][0]["pointer"] == "/email"
    empty = client.post("/api/v1/contacts", {}, content_type=JSON)
    assert empty.status_code == 422
    assert not Contact.objects.exists()


def test_deleting_needs_the_admin_scope(agent, super_admin, api):
    contact = ContactFactory()
    company = CompanyFactory()
    assert api(agent).delete(f"/api/v1/contacts/{contact.pk}").status_code == 403
    admin = api(super_admin, "admin")
    assert admin.delete(f"/api/v1/contacts/{contact.pk}").status_code == 204
    assert admin.delete(f"/api/v1/companies/{company.pk}").status_code == 204
    assert not Contact.objects.exists() and not Company.objects.exists()
    assert admin.get(f"/api/v1/contacts/{contact.pk}").status_code == 404


def test_companies(agent, api):
    client = api(agent)
    made = client.post(
        "/api/v1/companies", {"name": "Acme", "domain": "ACME.example"}, content_type=JSON
    )
    assert made.status_code == 201
    pk = made.json()["id"]
    assert (
        client.get("/api/v1/companies", {"domain": "acme.example"}).json()["items"][0]["id"] == pk
    )
    assert client.get("/api/v1/companies", {"q": "acm"}).json()["items"][0]["id"] == pk
    renamed = client.patch(f"/api/v1/companies/{pk}", {"name": "Acme Oy"}, content_type=JSON)
    assert renamed.json()["name"] == "Acme Oy"
    blank = client.patch(f"/api/v1/companies/{pk}", {"name": ""}, content_type=JSON)
    assert blank.status_code == 422
