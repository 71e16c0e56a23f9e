import pytest
from django.urls import reverse

from tests.factories import PropertyDefinitionFactory
from workflows.models import Macro

ADD = "admin:workflows_macro_add"
ROW = "admin:workflows_macro_action_row"


@pytest.fixture
def admin_client(client, super_admin):
    client.force_login(super_admin)
    return client


def post_data(**rows):
    data = {"name": "Escalate to billing", "sharing": "everyone", "position": "0"}
    data["action_index"] = list(rows)
    for index, row in rows.items():
        for key, value in row.items():
            data[f"a{index}-{key}"] = value
    return data


def test_the_builder_saves_rows_as_validated_actions(admin_client, super_admin, team_a, agent):
    data = post_data(
        **{
            "0": {"type": "set_team", "team": str(team_a.pk)},
            "3": {"type": "set_priority", "value": "high"},
            "5": {"type": "add_followers", "users": [str(agent.pk)]},
            "7": {
                "type": "reply_text",
                "html": "Hi {contact_first_name}\nWe are on it.",
                "html_ko": "안녕하세요",
            },
        }
    )
    response = admin_client.post(reverse(ADD), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    macro = Macro.objects.get()
    assert macro.owner == super_admin and macro.schema_version == 1
    assert macro.actions == [
        {"type": "set_team", "team": team_a.pk},
        {"type": "set_priority", "value": "high"},
        {"type": "add_followers", "users": [agent.pk]},
        {
            "type": "reply_text",
            "html": "<p>Hi {contact_first_name}</p><p>We are on it.</p>",
            "translations": {"ko": "<p>안녕하세요</p>"},
        },
    ]


def test_a_faulty_row_shows_its_error_next_to_it_and_nothing_is_saved(admin_client):
    data = post_data(
        **{
            "0": {"type": "set_priority", "value": "high"},
            "1": {"type": "set_owner", "user": "999999"},
        }
    )
    page = admin_client.post(reverse(ADD), data).content.decode()
    assert not Macro.objects.exists()
    assert 'id="action-row-1"' in page
    first = page[page.index('id="action-row-0"') : page.index('id="action-row-1"')]
    second = page[page.index('id="action-row-1"') : page.index('id="add-action"')]
    assert "This user does not exist." in second and "errornote" not in first
    assert "Some actions need attention" in page


def test_a_macro_needs_an_action(admin_client):
    page = admin_client.post(reverse(ADD), post_data()).content.decode()
    assert "Add at least one action." in page
    assert not Macro.objects.exists()


def test_the_add_form_shows_the_builder(admin_client):
    page = admin_client.get(reverse(ADD)).content.decode()
    assert 'id="action-rows"' in page and 'id="add-action"' in page
    assert "vendor/htmx/htmx.min.js" in page


def test_a_new_row_and_the_next_add_button(admin_client):
    page = admin_client.get(reverse(ROW), {"index": "4", "add": "1"}).content.decode()
    assert 'name="a4-type"' in page
    assert 'hx-swap-oob="true"' in page and "index=5" in page


def test_a_row_shows_the_inputs_of_its_type(admin_client, pipeline):
    page = admin_client.get(
        reverse(ROW), {"index": "2", "a2-type": "set_priority"}
    ).content.decode()
    assert 'name="a2-value"' in page and "Urgent" in page
    closed = pipeline.stages.get(name="Closed")  # requires a category
    page = admin_client.get(
        reverse(ROW), {"index": "2", "a2-type": "set_status", "a2-stage": closed.pk}
    ).content.decode()
    assert 'name="a2-prop_category"' in page and 'type="radio"' in page


def test_a_custom_property_row_takes_its_value_input_from_the_property_type(admin_client):
    PropertyDefinitionFactory(key="due", label="Due", type="date")
    page = admin_client.get(
        reverse(ROW), {"index": "0", "a0-type": "set_property", "a0-key": "due"}
    ).content.decode()
    assert 'type="date" name="a0-value_due"' in page


def test_agents_cannot_open_the_builder(client, agent):
    client.force_login(agent)
    assert client.get(reverse(ROW), {"index": "0"}).status_code in (302, 403)
    assert client.get(reverse(ADD)).status_code in (302, 403)


def test_a_row_switched_to_reply_text_starts_empty(admin_client):
    page = admin_client.get(reverse(ROW), {"index": "1", "a1-type": "reply_text"}).content.decode()
    assert 'name="a1-html"' in page and ">None<" not in page
    assert '<details class="action-translations">' in page  # closed: nothing translated yet


def test_the_list_orders_macros_by_drag_and_shows_them(admin_client, super_admin):
    Macro.objects.create(owner=super_admin, name="Second", position=2, actions=[])
    Macro.objects.create(owner=super_admin, name="First", position=1, actions=[])
    page = admin_client.get(reverse("admin:workflows_macro_changelist")).content.decode()
    assert page.index("First") < page.index("Second")
    assert "admin_sortable_keys.js" in page


def test_plain_paragraphs_are_edited_as_lines_and_saved_back_the_same(admin_client, super_admin):
    html = "<p>Hi {contact_first_name},</p><p>Thanks &amp; see you</p>"
    macro = Macro.objects.create(
        owner=super_admin,
        name="Hello",
        sharing="everyone",
        actions=[{"type": "comment", "html": html}],
    )
    page = admin_client.get(
        reverse("admin:workflows_macro_change", args=[macro.pk])
    ).content.decode()
    assert "Hi {contact_first_name},\nThanks &amp; see you</textarea>" in page
    data = post_data(
        **{"0": {"type": "comment", "html": "Hi {contact_first_name},\nThanks & see you"}}
    )
    data["name"] = "Hello"
    admin_client.post(reverse("admin:workflows_macro_change", args=[macro.pk]), data)
    macro.refresh_from_db()
    assert macro.actions == [{"type": "comment", "html": html}]
