"""Videos (S18): an upload or an https address, inserted as our own play
thumbnail linking to our player page; shared like documents."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from conversations.inserts import inserts_for
from conversations.sanitize import clean_editor_html
from library import services
from library.composer import video_link
from library.models import Video
from library.tokens import link_token
from tests.factories import VideoFactory

MP4 = b"\x00\x00\x00\x18ftypmp42" + b"v" * 20


def _path(url: str) -> str:
    return url.removeprefix("https://help.example.com")


def test_a_video_goes_in_as_our_thumbnail_linking_to_our_player(ticket, agent):
    video = VideoFactory(name="Product tour", owner=agent)
    [result] = [r for r in inserts_for(ticket, agent, "tour") if r["kind"] == "video"]
    player = video_link(video, ticket.pk)
    assert player.startswith("https://help.example.com/v/")
    assert (
        '<img src="https://help.example.com/v/thumbnail.png" alt="▶ Product tour"' in result["html"]
    )
    assert result["html"].count(f'href="{player}"') == 2
    # What the editor sends back is cleaned again and keeps the thumbnail.
    assert clean_editor_html(result["html"]) == result["html"]


@pytest.mark.parametrize(
    "html",
    [
        '<img src="https://tracker.example/pixel.png">',
        '<img src="https://help.example.com/media/other.png">',
        '<img src="data:image/png;base64,AAAA">',
        '<img src="https://help.example.com/v/thumbnail.png" onerror="alert(1)">',
    ],
)
def test_replies_show_no_image_but_our_thumbnail(html):
    cleaned = clean_editor_html(f"<p>Hi{html}</p>")
    assert "onerror" not in cleaned and "tracker" not in cleaned and "data:" not in cleaned
    assert "media/other" not in cleaned


def test_the_player_plays_an_upload_with_the_browsers_player(client, ticket, agent):
    video = VideoFactory(name="Product tour", owner=agent)
    url = _path(video_link(video, ticket.pk))
    page = client.get(url).content.decode()
    assert "<video" in page and f'src="{url}file/"' in page and 'type="video/mp4"' in page
    response = client.get(f"{url}file/")
    assert response.status_code == 200 and response["Content-Type"] == "video/mp4"
    assert b"".join(response.streaming_content) == MP4
    assert response["Accept-Ranges"] == "bytes"


def test_the_video_file_answers_byte_ranges(client, ticket, agent):
    video = VideoFactory(owner=agent)
    url = _path(video_link(video, ticket.pk)) + "file/"
    response = client.get(url, headers={"Range": "bytes=4-11"})
    assert response.status_code == 206
    assert response["Content-Range"] == "bytes 4-11/32"
    assert b"".join(response.streaming_content) == b"ftypmp42"
    response = client.get(url, headers={"Range": "bytes=-4"})
    assert b"".join(response.streaming_content) == b"vvvv"
    assert client.get(url, headers={"Range": "bytes=40-"}).status_code == 416


def test_a_linked_video_is_a_link_out_never_an_embed(client, ticket, agent):
    video = VideoFactory(
        name="Setup", owner=agent, file="", url="https://www.youtube.com/watch?v=abc"
    )
    assert video.source_name == "YouTube"
    page = client.get(_path(video_link(video, ticket.pk))).content.decode()
    assert 'href="https://www.youtube.com/watch?v=abc"' in page and "Watch on YouTube" in page
    assert "<iframe" not in page and "<video" not in page
    assert client.get(_path(video_link(video, ticket.pk)) + "file/").status_code == 404


def test_the_thumbnail_is_a_png_we_serve(client, db):
    response = client.get("/v/thumbnail.png")
    assert response.status_code == 200 and response.content.startswith(b"\x89PNG")


@pytest.mark.parametrize("token", ["nonsense", "WzEsMV0:forged"])
def test_a_bad_token_is_a_404(client, token, agent):
    VideoFactory(owner=agent)
    assert client.get(f"/v/{token}/").status_code == 404
    assert client.get(f"/v/{token}/file/").status_code == 404


def test_a_document_token_does_not_open_a_video(client, agent):
    video = VideoFactory(owner=agent)
    assert client.get(f"/v/{link_token('document', video.pk, None)}/").status_code == 404


def test_uploads_must_be_mp4_or_webm_and_addresses_https(agent):
    with pytest.raises(ValidationError) as error:
        services.video_save(
            actor=agent,
            name="V",
            sharing="private",
            upload=SimpleUploadedFile("v.mp4", b"<html>not a video</html>"),
        )
    assert "file" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.video_save(actor=agent, name="V", sharing="private", url="http://example.com/v")
    assert "url" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.video_save(actor=agent, name="V", sharing="private")
    webm = services.video_save(
        actor=agent,
        name="W",
        sharing="private",
        upload=SimpleUploadedFile("../w.webm", b"\x1a\x45\xdf\xa3" + b"w" * 12, "text/html"),
    )
    assert (webm.content_type, webm.filename) == ("video/webm", "w.webm")
    assert not webm.file.name.endswith(".webm")


def test_giving_an_address_replaces_the_upload(agent):
    video = services.video_save(
        actor=agent, name="V", sharing="private", upload=SimpleUploadedFile("v.mp4", MP4)
    )
    stored = video.file.name
    video = services.video_save(
        actor=agent, video=video, name="V", sharing="private", url="https://vimeo.com/1"
    )
    video.refresh_from_db()
    assert (video.file.name, video.url, video.source_name) == ("", "https://vimeo.com/1", "Vimeo")
    assert stored


def test_videos_are_shared_like_documents(client, ticket, agent, team_agent, outsider, team_b):
    VideoFactory(name="Private tour", owner=agent, sharing="private")
    VideoFactory(name="Team B tour", owner=outsider, sharing="teams", teams=[team_b])
    assert not [r for r in inserts_for(ticket, team_agent, "tour") if r["kind"] == "video"]
    assert [r["label"] for r in inserts_for(ticket, agent, "tour") if r["kind"] == "video"] == [
        "Private tour"
    ]
    client.force_login(team_agent)
    private = Video.objects.get(name="Private tour")
    assert client.get(f"/library/videos/{private.pk}/").status_code == 404
    client.force_login(agent)
    assert client.get(f"/library/videos/{private.pk}/").status_code == 200
    assert "Private tour" in client.get("/library/videos/").content.decode()


def test_agents_add_a_video_by_address_in_the_workspace(client, agent):
    client.force_login(agent)
    response = client.post(
        "/library/videos/new/",
        {"name": "Tour", "url": "https://vimeo.com/42", "sharing": "everyone"},
    )
    assert response.status_code == 302
    video = Video.objects.get()
    assert (video.owner, video.url, video.sharing) == (agent, "https://vimeo.com/42", "everyone")
    assert client.post(f"/library/videos/{video.pk}/delete/").status_code == 302
    assert not Video.objects.exists()
