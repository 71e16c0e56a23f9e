"""Contact and company pages: details and the tickets the viewer may see (S3, S13)."""

import pytest

from tests.factories import CompanyFactory, ContactFactory, TicketFactory


@pytest.fixture
def acme(pipeline, team_a, team_b):
    company = CompanyFactory(name="Acme Oy", domain="acme.example")
    ana = ContactFactory(first_name="Ana", last_name="Virtanen", company=company)
    TicketFactory(
        pipeline=pipeline, team=team_a, name="Team A problem", contacts=[ana], companies=[company]
    )
    TicketFactory(
        pipeline=pipeline, team=team_b, name="Team B problem", contacts=[ana], companies=[company]
    )
    return {"company": company, "ana": ana}


def test_a_contact_page_lists_only_the_tickets_the_viewer_may_see(client, outsider, agent, acme):
    url = f"/contacts/{acme['ana'].pk}/"
    client.force_login(outsider)
    html = client.get(url).content.decode()
    assert "Ana Virtanen" in html and acme["ana"].email in html
    assert "Team B problem" in html and "Team A problem" not in html
    client.force_login(agent)
    html = client.get(url).content.decode()
    assert "Team A problem" in html and "Team B problem" in html
    assert f'href="/companies/{acme["company"].pk}/"' in html


def test_a_company_page_lists_its_contacts_and_tickets(client, agent, acme):
    client.force_login(agent)
    html = client.get(f"/companies/{acme['company'].pk}/").content.decode()
    assert "Acme Oy" in html and "acme.example" in html
    assert f'href="/contacts/{acme["ana"].pk}/"' in html
    assert "Team A problem" in html


def test_record_pages_need_a_sign_in_and_404_when_missing(client, agent):
    assert client.get("/contacts/1/").status_code == 302
    client.force_login(agent)
    assert client.get("/contacts/999999/").status_code == 404
    assert client.get("/companies/999999/").status_code == 404
    assert client.post("/companies/999999/").status_code == 405


def test_a_record_page_costs_the_same_with_more_tickets(
    client, agent, acme, pipeline, team_a, django_assert_max_num_queries
):
    client.force_login(agent)
    for n in range(30):
        TicketFactory(pipeline=pipeline, team=team_a, name=f"More {n}", contacts=[acme["ana"]])
    with django_assert_max_num_queries(14):  # the views sidebar: custom views, All tickets
        response = client.get(f"/contacts/{acme['ana'].pk}/")
    assert response.content.decode().count('class="ticket-row"') == 32


def test_association_cards_link_to_the_record_pages(client, agent, acme):
    client.force_login(agent)
    ticket = acme["ana"].tickets.filter(name="Team A problem").get()
    html = client.get(f"/views/all-open/tickets/{ticket.pk}/").content.decode()
    assert f'href="/contacts/{acme["ana"].pk}/"' in html
    assert f'href="/companies/{acme["company"].pk}/"' in html
