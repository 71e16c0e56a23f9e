from django.urls import reverse
from django.utils import translation


def test_the_team_form_saves_a_name_per_language(client, super_admin, team_a):
    client.force_login(super_admin)
    url = reverse("admin:accounts_team_change", args=[team_a.pk])
    response = client.post(
        url,
        {
            "name": "Support A",
            "label_ko": "지원 A팀",
            "label_fi": "",
            "routing": "manual",
            "routing_cap": 0,
        },
    )
    assert response.status_code == 302
    team_a.refresh_from_db()
    assert team_a.labels == {"ko": "지원 A팀"}
    with translation.override("ko"):
        assert team_a.local_name == "지원 A팀"
    with translation.override("fi"):
        assert team_a.local_name == "Support A"
