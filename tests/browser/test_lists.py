"""The ticket table, search, filters, custom views and bulk actions in Chromium
(issue 5's list of what must be seen working)."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.browser.conftest import htmx_settled
from tests.factories import CompanyFactory, ContactFactory, TicketFactory, UserFactory
from tickets.models import Priority, SavedView, Ticket


@pytest.fixture
def desk(pipeline, agent, team_a, team_b):
    company = CompanyFactory(name="Nordlicht Logistik")
    emma = ContactFactory(
        first_name="Emma",
        last_name="Wilson",
        email="emma.wilson@example.com",
        phone="+358 40 123 4567",
        mobile="050 765 4321",
        company=company,
    )
    minjun = ContactFactory(first_name="민준", last_name="김", email="minjun@example.kr")
    other = UserFactory(username="bee", first_name="Bea", last_name="Other", main_team=team_b)
    return {
        "emma": TicketFactory(pipeline=pipeline, name="Cannot log in", contacts=[emma]),
        "refund": TicketFactory(
            pipeline=pipeline,
            name="Question about an order",
            description="Please refund the second invoice.",
            priority=Priority.HIGH,
            owner=agent,
        ),
        "korean": TicketFactory(
            pipeline=pipeline,
            name="결제 오류",
            description="환불을 요청합니다",
            contacts=[minjun],
            priority=Priority.URGENT,
        ),
        "team_b": TicketFactory(
            pipeline=pipeline, name="Team B's export", team=team_b, owner=other
        ),
        "other": other,
    }


def open_table(page, slug="all", query=""):
    page.goto(f"/views/{slug}/list/{query}")
    return page.locator(".ticket-table tbody tr")


def search(page, text):
    box = page.get_by_role("searchbox", name="Search tickets")
    box.fill(text)
    with page.expect_navigation():
        box.press("Enter")


def shown(page) -> list[str]:
    return page.locator(".ticket-table .ticket-link").all_inner_texts()


@pytest.mark.parametrize(
    ("text", "ticket"),
    [
        ("Cannot", "emma"),  # name
        ("second invoice", "refund"),  # description words
        ("Emma", "emma"),  # contact first name
        ("wilson", "emma"),  # last name
        ("emma.wil", "emma"),  # partial email
        ("040 123 4567", "emma"),  # phone, other grouping
        ("0507654321", "emma"),  # mobile, no spaces
        ("Nordlicht", "emma"),  # company
        ("환불", "korean"),  # Korean, inside a word
        ("민준", "korean"),  # Korean contact name
    ],
)
def test_search_by_each_field(page, sign_in, agent, desk, text, ticket):
    sign_in(agent)
    open_table(page)
    search(page, text)
    assert shown(page) == [desk[ticket].name]
    if text in ("Cannot", "second invoice", "Emma", "wilson", "환불", "민준"):
        # The words matched in the name, contact or description are marked.
        expect(page.locator(".ticket-table mark").first).to_be_visible()


def test_search_by_ticket_number_puts_it_first(page, sign_in, agent, desk):
    sign_in(agent)
    open_table(page)
    search(page, f"#{desk['refund'].pk}")
    assert shown(page)[0] == "Question about an order"


def test_sort_by_clicking_a_header(page, sign_in, agent, desk):
    sign_in(agent)
    open_table(page)
    page.get_by_role("link", name="Ticket name").click()
    page.wait_for_url("**sort=name**")
    ascending = shown(page)
    assert ascending == sorted(ascending)
    page.get_by_role("link", name="Ticket name").click()
    page.wait_for_url("**sort=-name**")
    assert shown(page) == list(reversed(ascending))
    expect(page.locator("th.col-name")).to_have_attribute("aria-sort", "descending")


def test_quick_filters_narrow_the_list(page, sign_in, agent, desk):
    sign_in(agent)
    open_table(page)
    with page.expect_navigation():
        page.locator("select[data-quick=priority]").select_option("high")
    assert shown(page) == ["Question about an order"]
    with page.expect_navigation():
        page.locator("select[data-quick=owner]").select_option(str(agent.pk))
    assert shown(page) == ["Question about an order"]
    assert f"owner={agent.pk}" in page.url and "priority=high" in page.url


def after_swap(page, action):
    """Run `action` and wait until the htmx swap it causes has settled: not
    the sidebar's counts, which it may ask for at any moment."""
    page.evaluate(
        "() => { window.settled = false; const done = (e) => {"
        " if (e.detail.elt && e.detail.elt.closest('#nav-pane')) return;"
        " window.settled = true; document.removeEventListener('htmx:afterSettle', done); };"
        " document.addEventListener('htmx:afterSettle', done); }"
    )
    action()
    page.wait_for_function("() => window.settled")


def add_condition(page, prop, operator, value=None, checks=()):
    page.get_by_text("Advanced filters").click()
    after_swap(page, lambda: page.locator("select[name=add_key]").select_option(prop))
    if page.locator("select[name=add_op]").input_value() != operator:
        after_swap(page, lambda: page.locator("select[name=add_op]").select_option(operator))
    if value is not None:
        page.locator("#condition-editor input[name=add_value]").fill(value)
    for label in checks:
        page.locator("#condition-editor").get_by_label(label).check()
    with page.expect_navigation():
        page.get_by_role("button", name="Apply filter").click()


def test_an_advanced_filter_with_two_conditions_saved_as_a_view(page, sign_in, agent, desk):
    sign_in(agent)
    open_table(page)
    add_condition(page, "priority", "any_of", checks=["High", "Urgent"])
    assert sorted(shown(page)) == sorted(["Question about an order", "결제 오류"])
    add_condition(page, "name", "contains", "order")
    assert shown(page) == ["Question about an order"]
    expect(page.locator(".filter-chip")).to_have_count(2)
    page.get_by_role("button", name="Save as new view").click()
    htmx_settled(page)
    page.locator("#view-panel").get_by_label("Name").fill("Urgent orders")
    page.get_by_label("Private").check()
    page.locator("#view-panel").get_by_role("button", name="Create view").click()
    page.wait_for_url("**/views/v*/list/**")
    saved = SavedView.objects.get(name="Urgent orders")
    assert saved.filters == [["priority", "any_of", "high,urgent"], ["name", "contains", "order"]]
    assert shown(page) == ["Question about an order"]
    expect(page.locator(".nav-link", has_text="Urgent orders")).to_contain_text("1")


@pytest.mark.parametrize("sharing", ["Private", "Chosen teams", "Everyone"])
def test_create_each_kind_of_view(page, sign_in, agent, desk, team_b, sharing):
    sign_in(agent)
    page.goto("/views/all-open/")
    page.get_by_role("button", name="Create view").click()
    htmx_settled(page)
    page.locator("#view-panel").get_by_label("Name").fill(f"{sharing} view")
    page.get_by_label(sharing).check()
    if sharing == "Chosen teams":
        page.locator("#view-panel").get_by_role("button", name="Create view").click()
        expect(page.get_by_text("Choose at least one team")).to_be_visible()
        htmx_settled(page)
        page.get_by_label(team_b.name).check()
    page.locator("#view-panel").get_by_role("button", name="Create view").click()
    page.wait_for_url("**/views/v*/list/**")
    saved = SavedView.objects.get()
    assert (
        saved.sharing
        == {"Private": "private", "Chosen teams": "teams", "Everyone": "everyone"}[sharing]
    )
    heading = "Private views" if sharing == "Private" else "Shared views"
    expect(page.locator(".nav-heading", has_text=heading)).to_be_visible()
    # Who else sees it in their sidebar: team B's member only when shared.
    sign_in(desk["other"])
    page.goto("/views/all-open/")
    link = page.locator(".nav-link", has_text=f"{sharing} view")
    expect(link).to_have_count(0 if sharing == "Private" else 1)


def test_a_collaborator_cannot_create_a_view(page, sign_in, collaborator, desk):
    sign_in(collaborator)
    page.goto("/views/mine/")
    expect(page.locator(".nav-pane")).to_be_visible()
    expect(page.get_by_role("button", name="Create view")).to_have_count(0)
    assert page.request.get("/views/new/").status == 403


def test_the_view_limit_message(page, sign_in, agent, desk, settings):
    settings.HELPDESK_MAX_CUSTOM_VIEWS = 1
    SavedView.objects.create(name="Only one", owner=agent)
    sign_in(agent)
    page.goto("/views/all-open/")
    page.get_by_role("button", name="Create view").click()
    expect(page.get_by_role("alert")).to_contain_text("maximum of 1 custom view")
    expect(page.locator("#view-panel").get_by_label("Name")).to_have_count(0)


def test_bulk_status_change_asks_then_moves_every_selected_ticket(
    page, sign_in, agent, desk, pipeline
):
    sign_in(agent)
    open_table(page, query="?sort=name")
    rows = [desk["emma"], desk["refund"]]
    for ticket in rows:
        page.get_by_label(f"Select ticket #{ticket.pk}").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("2 selected")
    closed = pipeline.stages.get(name="Closed")  # requires a category
    with page.expect_navigation():
        page.locator("select[data-bulk-action=stage]").select_option(str(closed.pk))
    expect(page.get_by_role("heading", name="Move to “Closed”")).to_be_visible()
    page.get_by_label("Category").select_option("billing_issue")
    with page.expect_navigation():
        page.get_by_role("button", name="Move tickets").click()
    expect(page.locator(".table-messages")).to_contain_text("Moved 2 tickets to “Closed”")
    assert set(Ticket.objects.filter(stage=closed).values_list("pk", flat=True)) == {
        t.pk for t in rows
    }
    assert "sort=name" in page.url


def test_a_shared_view_hides_tickets_outside_the_viewers_scope(
    page, sign_in, agent, team_agent, desk
):
    saved = SavedView.objects.create(
        name="Everything", owner=agent, sharing=SavedView.Sharing.EVERYONE
    )
    sign_in(agent)
    open_table(page, saved.slug)
    assert "Team B's export" in shown(page)
    sign_in(team_agent)
    rows = open_table(page, saved.slug)
    expect(rows.first).to_be_visible()
    assert "Team B's export" not in shown(page)
    assert team_agent.visibility == User.Visibility.TEAMS


def test_a_ticket_opened_from_the_table_comes_back_to_the_same_list_and_scroll(
    page, sign_in, agent, pipeline
):
    for i in range(45):
        TicketFactory(pipeline=pipeline, name=f"Printer {i:02d}", priority=Priority.LOW)
    sign_in(agent)
    page.set_viewport_size({"width": 1280, "height": 600})
    open_table(page, query="?priority=low&sort=name")
    page.locator(".table-scroll").evaluate("el => el.scrollTop = 600")
    page.get_by_role("link", name="Printer 30").click()
    page.wait_for_url("**/tickets/*/")
    expect(page.locator(".ticket-title h2")).to_have_text("Printer 30")
    page.go_back()
    page.wait_for_url("**priority=low&sort=name")
    top = page.locator(".table-scroll").evaluate("el => el.scrollTop")
    assert top > 300
    page.goto("/views/all/")
    page.get_by_role("link", name="Back to list").click()
    page.wait_for_url("**/views/all/list/?priority=low&sort=name")


def test_agents_drag_sidebar_cards_into_their_own_order(page, sign_in, agent, desk):
    sign_in(agent)
    page.goto(f"/views/all/tickets/{desk['emma'].pk}/")
    cards = page.locator(".sidebar-cards > .sidebar-card")
    expect(cards.first).to_have_attribute("data-key", "contacts")
    source = page.locator(".sidebar-card[data-key=companies] .section-title")
    target = page.locator(".sidebar-card[data-key=contacts] .section-title")
    source.drag_to(target)
    page.wait_for_timeout(500)
    page.reload()
    expect(cards.first).to_have_attribute("data-key", "companies")
