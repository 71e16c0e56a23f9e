"""The settings of the portal and the surveys, in the settings site."""

from django.urls import reverse

from portal.models import PortalSettings, SharedCompany
from surveys.models import SurveySettings
from tests.factories import CompanyFactory


def test_survey_settings_are_set_per_pipeline_with_channels(client, super_admin, pipeline):
    client.force_login(super_admin)
    url = reverse("admin:surveys_surveysettings_add")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "pipeline": pipeline.pk,
            "enabled": "on",
            "delay_minutes": 30,
            "channels": ["email", "portal"],
            "scale": "five",
            "answer_days": 7,
            "once_per_days": 30,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = SurveySettings.objects.get(pipeline=pipeline)
    assert saved.channels == ["email", "portal"] and saved.scale == "five"
    assert saved.takes("portal") and not saved.takes("chat")


def test_an_unknown_channel_is_refused(client, super_admin, pipeline):
    client.force_login(super_admin)
    response = client.post(
        reverse("admin:surveys_surveysettings_add"),
        {
            "pipeline": pipeline.pk,
            "delay_minutes": 0,
            "channels": ["pigeon"],
            "scale": "five",
            "answer_days": 7,
            "once_per_days": 30,
        },
    )
    assert response.status_code == 200 and not SurveySettings.objects.exists()


def test_portal_settings_and_sharing_companies_are_in_the_settings(client, super_admin, pipeline):
    client.force_login(super_admin)
    index = client.get(reverse("admin:index")).content.decode()
    assert "Customer portal and surveys" in index
    company = CompanyFactory()
    response = client.post(reverse("admin:portal_sharedcompany_add"), {"company": company.pk})
    assert response.status_code == 302 and SharedCompany.objects.get().company == company
    stage = pipeline.first_open_stage()
    response = client.post(
        reverse("admin:portal_portalsettings_add"), {"pipeline": pipeline.pk, "stage": stage.pk}
    )
    assert response.status_code == 302
    assert PortalSettings.current().landing() == (pipeline, stage)
    assert client.get(reverse("admin:portal_portalsettings_add")).status_code == 403


def test_a_portal_status_of_another_pipeline_or_closed_is_refused(client, super_admin, pipeline):
    client.force_login(super_admin)
    closed = pipeline.stages.get(is_closed=True)
    response = client.post(
        reverse("admin:portal_portalsettings_add"), {"pipeline": pipeline.pk, "stage": closed.pk}
    )
    assert response.status_code == 200
    assert "Choose an open status of the pipeline" in response.content.decode()
    assert not PortalSettings.objects.exists()
