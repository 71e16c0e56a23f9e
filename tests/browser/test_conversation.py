import re
import time

import pytest
from django.core import mail
from playwright.sync_api import expect

from conversations import services
from conversations.models import Draft, Message
from tests.browser.conftest import htmx_settled, poll_until_visible, wait_for_url
from tests.factories import (
    EmailAddressFactory,
    TicketFactory,
    UserFactory,
    inbound_message,
)
from tickets.models import Ticket

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(team_a, pipeline, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    support = EmailAddressFactory(email="support0@helpdesk.example", display_name="Support")
    billing = EmailAddressFactory(email="billing@helpdesk.example", display_name="Billing")
    agent = UserFactory(username="maya", first_name="Maya", last_name="L", main_team=team_a)
    ticket = TicketFactory(pipeline=pipeline, owner=agent, team=team_a, name="Refund please")
    first = inbound_message(ticket, text="First mail about my refund")
    second = inbound_message(ticket, text="Second mail: any news?")
    return {
        "agent": agent,
        "ticket": ticket,
        "first": first,
        "second": second,
        "support": support,
        "billing": billing,
        "pipeline": pipeline,
    }


def open_ticket(page, sign_in, desk, user=None):
    sign_in(user or desk["agent"])
    page.goto(f"/views/mine/tickets/{desk['ticket'].pk}/")
    expect(page.locator("#composer-reply [data-editor]")).to_be_visible()


def type_in(page, composer, text):
    editor = page.locator(f"{composer} [data-editor]")
    editor.click()
    page.keyboard.type(text)


def outbound():
    return Message.objects.filter(direction="outbound", kind="message")


def test_reply_to_the_latest_message_by_default(page, sign_in, desk):
    open_ticket(page, sign_in, desk)
    expect(page.locator("[data-replying-to-name]")).to_have_text(desk["second"].sender_display)
    type_in(page, "#composer-reply", "Your refund is on its way.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".message-outbound > .message-body")).to_contain_text(
        "refund is on its way"
    )
    expect(page.locator(".toast")).to_have_text("Reply sent")
    # The answered message is quoted below the reply, folded as mail clients do.
    quoted = page.locator(".message-outbound .message-quoted")
    expect(quoted.locator(".message-body")).to_be_hidden()
    quoted.locator("summary").click()
    expect(quoted.locator(".message-body")).to_contain_text("wrote:")
    sent = outbound().get()
    assert sent.reply_to == desk["second"]
    assert sent.to == [desk["second"].from_email]
    assert mail.outbox[0].extra_headers["In-Reply-To"] == desk["second"].message_id
    # The editor is empty again and the list row shows the reply.
    expect(page.locator("#composer-reply [data-editor]")).to_have_text("")


def test_reply_to_a_specific_message_with_cc_bcc_and_another_from(page, sign_in, desk):
    open_ticket(page, sign_in, desk)
    page.locator(f"#message-{desk['first'].pk}").get_by_role(
        "button", name="Reply to this message"
    ).click()
    page.locator("#composer-reply select[name=from_address]").select_option(
        label=str(desk["billing"])
    )
    page.locator("#composer-reply [data-toggle-cc]").click()
    page.locator("#composer-reply input[name=cc]").fill("manager@customer.example")
    page.locator("#composer-reply input[name=bcc]").fill("audit@customer.example")
    type_in(page, "#composer-reply", "About your first mail.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".message-outbound")).to_have_count(1)
    sent = outbound().get()
    assert (sent.reply_to, sent.from_email) == (desk["first"], "billing@helpdesk.example")
    assert (sent.cc, sent.bcc) == (["manager@customer.example"], ["audit@customer.example"])
    assert mail.outbox[0].extra_headers["In-Reply-To"] == desk["first"].message_id


def test_send_and_set_a_conditional_status(page, sign_in, desk):
    open_ticket(page, sign_in, desk)
    type_in(page, "#composer-reply", "All done, closing this.")
    page.locator("#composer-reply select[name=stage]").select_option(label="Closed")
    page.get_by_role("button", name="Send", exact=True).click()
    composer = page.locator("#composer-reply")
    expect(composer).to_contain_text("needs these properties before sending")
    assert not outbound().exists()
    composer.locator("select[name=category]").select_option("billing_issue")
    composer.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".message-outbound")).to_have_count(1)
    expect(page.locator("#field-stage select")).to_have_value(
        str(desk["pipeline"].stages.get(name="Closed").pk)
    )
    ticket = desk["ticket"]
    ticket.refresh_from_db()
    assert (ticket.stage.name, ticket.category) == ("Closed", "billing_issue")


def test_a_comment_is_internal(page, sign_in, desk):
    open_ticket(page, sign_in, desk)
    page.get_by_role("tab", name="Comment").click()
    type_in(page, "#composer-comment", "Checked with billing: approved.")
    page.get_by_role("button", name="Add comment").click()
    comment = page.locator(".message-comment")
    expect(comment).to_contain_text("Checked with billing: approved.")
    expect(comment).to_contain_text("Internal comment")
    assert Message.objects.get(kind="comment").text == "Checked with billing: approved."
    assert not mail.outbox


def test_a_call_ticket_shows_the_comment_tab_once_a_reply_is_drafted(page, sign_in, desk):
    """S25, without a reload: the reply's autosave brings the Comment tab, and
    its editor works."""
    call = TicketFactory(
        pipeline=desk["pipeline"],
        owner=desk["agent"],
        team=desk["agent"].main_team,
        name="Called about the invoice",
        source="phone",
    )
    inbound_message(call, text="Caller asked about the invoice")
    sign_in(desk["agent"])
    page.goto(f"/views/mine/tickets/{call.pk}/")
    htmx_settled(page)
    expect(page.get_by_role("tab", name="Reply")).to_be_visible()
    expect(page.get_by_role("tab", name="Comment")).to_have_count(0)
    type_in(page, "#composer-reply", "Following up on your call by email.")
    expect(page.locator("#composer-reply [data-draft-state]")).to_have_text("Draft saved")
    comment_tab = page.get_by_role("tab", name="Comment")
    expect(comment_tab).to_be_visible()
    comment_tab.click()
    type_in(page, "#composer-comment", "Customer prefers email.")
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator(".message-comment")).to_contain_text("Customer prefers email.")
    assert Message.objects.get(ticket=call, kind="comment").text == "Customer prefers email."
    # The reply being written is still there, as the draft it was.
    assert Draft.objects.get(ticket=call, kind="reply").html.startswith("<p>Following up")


def test_sending_is_blocked_when_a_teammate_wrote_meanwhile(page, sign_in, desk):
    open_ticket(page, sign_in, desk)
    type_in(page, "#composer-reply", "Let me check.")
    services.comment_add(
        actor=UserFactory(first_name="Jonas", last_name="B"),
        ticket=desk["ticket"],
        html="<p>I called her already.</p>",
    )
    page.get_by_role("button", name="Send", exact=True).click()
    notice = page.locator("#composer-reply .alert-warning")
    expect(notice).to_contain_text("I called her already.")
    assert not outbound().exists()
    # What the agent typed is still there; having seen the news, they can send.
    expect(page.locator("#composer-reply [data-editor]")).to_contain_text("Let me check.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".message-outbound")).to_have_count(1)


def test_a_draft_survives_navigation_and_stays_private(page, sign_in, desk, browser, live_server):
    open_ticket(page, sign_in, desk)
    type_in(page, "#composer-reply", "Half-written answer")
    # Leave at once: the pending autosave is flushed on the way out.
    page.locator(".nav-link", has_text="All open").click()
    expect(page.locator(".pane-title")).to_have_text("All open")
    # The beacon sent on leaving saved the draft, without waiting for the autosave.
    deadline = time.monotonic() + 5
    while not Draft.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert Draft.objects.get().html == "<p>Half-written answer</p>"
    page.goto(f"/views/drafts/tickets/{desk['ticket'].pk}/")
    expect(page.locator("#composer-reply [data-editor]")).to_contain_text("Half-written answer")
    assert Draft.objects.get().user == desk["agent"]
    expect(page.locator(".nav-link", has_text="Drafts").locator(".count")).to_have_text("1")

    other = UserFactory(username="jonas", main_team=desk["agent"].main_team)
    context = browser.new_context(base_url=live_server.url)
    second = context.new_page()
    from tests.factories import PASSWORD

    second.goto("/accounts/login/")
    second.fill("input[name=username]", other.username)
    second.fill("input[name=password]", PASSWORD)
    with second.expect_navigation():
        second.click("button[type=submit]")
    second.goto(f"/views/all-open/tickets/{desk['ticket'].pk}/")
    expect(second.locator("#composer-reply [data-editor]")).to_be_visible()
    expect(second.locator("#composer-reply [data-editor]")).not_to_contain_text("Half-written")
    context.close()
    time.sleep(0.3)


def test_a_mention_notifies_the_teammate(page, sign_in, desk, browser, live_server):
    from tests.factories import PASSWORD

    teammate = UserFactory(
        username="jonas", first_name="Jonas", last_name="Becker", main_team=desk["agent"].main_team
    )
    open_ticket(page, sign_in, desk)
    page.get_by_role("tab", name="Comment").click()
    type_in(page, "#composer-comment", "Please check this, @Jon")
    page.locator("[data-mention-menu]").get_by_role(
        "button", name=re.compile("Jonas Becker")
    ).click()
    page.keyboard.type("thanks!")
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator(".message-comment [data-mention]")).to_have_text("@Jonas Becker")

    context = browser.new_context(base_url=live_server.url)
    other = context.new_page()
    other.goto("/accounts/login/")
    other.fill("input[name=username]", teammate.username)
    other.fill("input[name=password]", PASSWORD)
    with other.expect_navigation():
        other.click("button[type=submit]")
    expect(other.locator("#unread-count")).to_have_text("1")
    other.locator(".notifications-menu summary").click()
    other.locator(".notification").click()
    expect(other).to_have_url(re.compile(rf"/tickets/{desk['ticket'].pk}/"))
    expect(other.locator(".message-comment")).to_contain_text("Please check this")
    context.close()


def test_attach_a_file_to_a_reply(page, sign_in, desk, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    open_ticket(page, sign_in, desk)
    page.locator("#composer-reply [data-upload-input]").set_input_files(
        files=[
            {
                "name": "invoice-4821.pdf",
                "mimeType": "application/pdf",
                "buffer": b"%PDF-1.4 invoice",
            }
        ]
    )
    expect(page.locator("#composer-reply .upload-chip")).to_contain_text("invoice-4821.pdf")
    type_in(page, "#composer-reply", "Here is the corrected invoice.")
    page.get_by_role("button", name="Send", exact=True).click()
    link = page.locator(".message-outbound .attachment")
    expect(link).to_contain_text("invoice-4821.pdf")
    assert mail.outbox[0].attachments[0][0] == "invoice-4821.pdf"


def test_insert_a_snippet_and_a_template_with_placeholders(page, sign_in, desk):
    from conversations.models import ReplyTemplate, Snippet

    Snippet.objects.create(
        name="Thanks for waiting", shortcut="thanks", body="Thank you for your patience."
    )
    ReplyTemplate.objects.create(
        name="Refund confirmed", body="Your refund for {ticket_number} is on its way, {agent_name}"
    )
    open_ticket(page, sign_in, desk)
    composer = page.locator("#composer-reply")
    composer.locator("[data-editor]").click()  # the composer opens when used
    composer.get_by_role("button", name="Insert").click()
    composer.locator("[data-insert-search]").fill("#thanks")
    composer.get_by_role("button", name=re.compile("Thanks for waiting")).click()
    composer.get_by_role("button", name="Insert").click()
    composer.locator("[data-insert-search]").fill("refund")
    composer.get_by_role("button", name=re.compile("Refund confirmed")).click()
    editor = composer.locator("[data-editor]")
    expect(editor).to_contain_text("Thank you for your patience.")
    expect(editor).to_contain_text(f"Your refund for #{desk['ticket'].pk} is on its way, Maya L")
    composer.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".message-outbound")).to_contain_text("Your refund for")


def test_associate_an_unknown_visitor(page, sign_in, desk):
    from conversations.models import Channel, Thread
    from conversations.services import help_desk_inbox
    from tests.factories import ContactFactory

    ticket = desk["ticket"]
    thread = Thread.objects.create(ticket=ticket, inbox=help_desk_inbox(), channel=Channel.CHAT)
    visitor = Message.objects.create(
        thread=thread,
        ticket=ticket,
        direction="inbound",
        from_name="Visitor 77",
        html="<p>Still waiting</p>",
        text="Still waiting",
    )
    ContactFactory(first_name="Grace", last_name="Taylor", email="grace@mail.example")
    open_ticket(page, sign_in, desk)
    page.locator(f"#message-{visitor.pk} [data-toggle-visitor]").click()
    panel = page.locator(f"#visitor-{visitor.pk}")
    # The form loads on first use; it is ready (htmx bound) once it has the focus.
    expect(panel.get_by_role("searchbox")).to_be_focused()
    panel.get_by_role("searchbox").fill("grace")
    panel.get_by_role("button", name=re.compile("Grace Taylor")).click()
    expect(
        page.locator("[data-association=contact] .record-name", has_text="Grace Taylor")
    ).to_be_visible()
    expect(page.locator(f"#message-{visitor.pk} [data-toggle-visitor]")).to_have_count(0)
    visitor.refresh_from_db()
    assert visitor.contact.first_name == "Grace"


def test_a_long_thread_loads_earlier_messages(page, sign_in, desk):
    for n in range(35):
        inbound_message(desk["ticket"], text=f"numbered message {n}")
    open_ticket(page, sign_in, desk)
    expect(page.locator(".message-body", has_text="numbered message 34")).to_be_visible()
    expect(page.get_by_text("numbered message 0", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Show earlier messages").click()
    expect(page.get_by_text("numbered message 0", exact=True)).to_be_visible()
    expect(page.get_by_text("First mail about my refund")).to_be_visible()


XSS = [
    "<script>fetch('/__xss_canary/script')</script>",
    "<img src=/__xss_canary/img onerror=alert(1)>",
    "<svg onload=alert(2)></svg>",
    '<a href="javascript:alert(3)">click</a>',
    "<iframe src=/__xss_canary/frame></iframe>",
    "<div hx-get=/__xss_canary/htmx hx-trigger=load>htmx</div>",
    '<p style="background:url(/__xss_canary/css)">styled</p>',
    "<form action=/__xss_canary/form><button>go</button></form>",
    "<math><mtext><table><mglyph><style><img src=/__xss_canary/m onerror=alert(4)>",
]


def test_hostile_inbound_html_renders_inert(page, sign_in, desk):
    ticket = desk["ticket"]
    for payload in XSS:
        message = inbound_message(ticket, text="hostile")
        Message.objects.filter(pk=message.pk).update(html=payload, sanitizer_version=0)
    dialogs, canary = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: canary.append(r.url) if "__xss_canary" in r.url else None)
    open_ticket(page, sign_in, desk)
    page.locator(".message-body a", has_text="click").click()  # a stripped link does nothing
    # The same messages in their original formatting, in the isolated frame.
    for count in range(len(XSS)):
        page.locator(".message-original button", has_text="Show original formatting").first.click()
        expect(page.locator("iframe.message-frame")).to_have_count(count + 1)
    for frame in page.locator("iframe.message-frame").all():
        sandbox = frame.get_attribute("sandbox")
        assert "allow-scripts" not in sandbox and "allow-same-origin" not in sandbox
        expect(frame.content_frame.locator("body")).to_be_visible()
        for link in frame.content_frame.locator("a", has_text="click").all():
            link.click()
    page.wait_for_timeout(500)
    assert dialogs == [] and canary == []
    # The reply box stays usable (no overlay tricks).
    type_in(page, "#composer-reply", "still works")
    expect(page.locator("#composer-reply [data-editor]")).to_contain_text("still works")


def test_insert_a_suggested_article(page, sign_in, desk):
    from conversations.models import KnowledgeArticle

    KnowledgeArticle.objects.create(
        title="How refunds work",
        body="Refunds take 5 days.",
        url="https://help.example.com/refunds",
    )
    open_ticket(page, sign_in, desk)
    page.locator("#composer-reply [data-editor]").click()  # the composer opens when used
    page.locator(".recommendation", has_text="How refunds work").click()
    expect(page.locator("#composer-reply [data-editor] a")).to_have_attribute(
        "href", "https://help.example.com/refunds"
    )


GIF = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)


def test_remote_content_is_blocked_until_the_agent_loads_it(page, sign_in, desk, live_server):
    ticket = desk["ticket"]
    remote = "".join(f'<img src="https://tracker.example/{n}.gif" alt="">' for n in range(20))
    inbound_message(
        ticket,
        html=f"<p>Newsletter with pictures</p>{remote}"
        '<div class="gmail_quote">On Mon, Support wrote:<blockquote>Earlier answer</blockquote></div>',
        text="",
    )
    foreign = []
    page.route(
        re.compile(r"^https?://(?!localhost|127\.0\.0\.1)"),
        lambda route: (
            foreign.append(route.request.url),
            route.fulfill(body=GIF, content_type="image/gif"),
        ),
    )
    open_ticket(page, sign_in, desk)
    message = page.locator(".message", has_text="Newsletter with pictures")
    expect(message.locator(".remote-notice")).to_contain_text("20 remote images were blocked")
    # The quote is folded and opens on click.
    expect(message.get_by_text("Earlier answer")).to_be_hidden()
    message.locator(".message-quoted summary").click()
    expect(message.get_by_text("Earlier answer")).to_be_visible()
    page.wait_for_timeout(300)
    assert foreign == []

    message.get_by_role("button", name="Show original formatting").click()
    frame = message.locator("iframe.message-frame")
    expect(frame).to_be_visible()
    sandbox = frame.get_attribute("sandbox")
    assert "allow-scripts" not in sandbox and "allow-same-origin" not in sandbox
    expect(frame.content_frame.get_by_text("Newsletter with pictures")).to_be_visible()
    page.wait_for_timeout(300)
    assert foreign == []  # original formatting alone still loads nothing remote

    message.get_by_role("button", name="Load images").click()
    expect(frame.content_frame.locator("img").first).to_be_visible()
    page.wait_for_function("() => true")
    deadline = time.monotonic() + 5
    while len(foreign) < 20 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert sorted(foreign) == sorted(f"https://tracker.example/{n}.gif" for n in range(20))


def test_email_a_contact_from_their_page_starts_a_ticket(page, sign_in, desk):
    contact = desk["first"].contact
    desk["ticket"].contacts.add(contact)
    open_ticket(page, sign_in, desk)
    page.locator(f'#record-sidebar a[href="/contacts/{contact.pk}/"]').click()
    expect(page.locator("h1#record-title")).to_have_text(contact.display_name)
    expect(page.locator(".record-tickets")).to_contain_text("Refund please")
    page.get_by_role("button", name="Send email").click()
    htmx_settled(page)
    panel = page.locator("#email-panel")
    expect(panel.locator("input[name=to]")).to_have_value(contact.email)
    panel.get_by_role("button", name="Send", exact=True).click()
    expect(panel).to_contain_text("Give the email a subject.")
    htmx_settled(page)
    panel.locator("input[name=subject]").fill("About your order")
    type_in(page, "#email-panel", "We have news about your order.")
    panel.get_by_role("button", name="Send", exact=True).click()
    wait_for_url(page, r"/views/mine/tickets/\d+/$")
    expect(page.locator(".ticket-title h2")).to_have_text("About your order")
    expect(page.locator(".message-outbound")).to_contain_text("We have news about your order.")
    sent = outbound().get(subject="About your order")
    assert sent.to == [contact.email] and sent.ticket.contacts.get() == contact


def test_the_editor_pops_out_moves_and_still_sends(page, sign_in, desk):
    open_ticket(page, sign_in, desk)
    dock = page.locator("[data-composer-dock]")
    page.get_by_role("button", name="Pop out the editor").click()
    expect(dock).to_have_class(re.compile("is-popped"))
    before = dock.bounding_box()
    bar = dock.locator(".composer-tabs").bounding_box()
    page.mouse.move(bar["x"] + bar["width"] * 0.6, bar["y"] + bar["height"] / 2)
    page.mouse.down()
    page.mouse.move(before["x"] - 200, before["y"] - 100, steps=5)
    page.mouse.up()
    after = dock.bounding_box()
    assert after["x"] < before["x"] - 150 and after["y"] < before["y"] - 50
    # The thread behind stays readable and clickable.
    expect(page.get_by_text("First mail about my refund")).to_be_visible()
    type_in(page, "#composer-reply", "Written in the floating editor")
    page.locator("#composer-reply button.btn-primary[type=submit]").click()
    expect(page.locator(".message-outbound")).to_contain_text("Written in the floating editor")
    assert outbound().get().text == "Written in the floating editor"


def test_new_customer_mail_shows_up_without_a_reload(page, sign_in, desk):
    """Issue 4: the open ticket and the list tell the agent about new mail.
    The page's clock is Playwright's: the test moves it past each poll."""
    from tests.factories import TicketFactory

    page.clock.install()
    open_ticket(page, sign_in, desk)
    inbound_message(desk["ticket"], text="Third mail: hello again?")
    notice = page.get_by_role("button", name=re.compile("1 new message"))
    poll_until_visible(page, notice, 5_000)  # the presence poll
    notice.click()
    expect(page.get_by_text("Third mail: hello again?")).to_be_visible()
    # A new ticket for this agent: the list offers to show it.
    TicketFactory(pipeline=desk["pipeline"], owner=desk["agent"], name="Brand new ticket")
    refresh = page.get_by_role("button", name=re.compile("1 new ticket"))
    poll_until_visible(page, refresh, 5_000)  # the list's live check
    refresh.click()
    expect(page.locator("#list-pane")).to_contain_text("Brand new ticket")
    expect(page.locator("#detail-pane")).to_contain_text("Third mail: hello again?")


def test_a_chat_visitor_and_an_agent_talk_without_reloading(
    page, sign_in, desk, browser, live_server
):
    from channels_inbound.models import ChatWidget

    widget = ChatWidget.objects.create(
        name="Acme help", pipeline=desk["pipeline"], stage=desk["pipeline"].stages.first()
    )
    visitor = browser.new_context(viewport={"width": 400, "height": 600}, base_url=live_server.url)
    chat = visitor.new_page()
    chat.goto(f"/chat/{widget.key}/")
    expect(chat.get_by_text("Hi! How can we help you today?")).to_be_visible()
    chat.locator("textarea[name=text]").fill("Is the shop open on Sunday?")
    chat.keyboard.press("Enter")
    expect(chat.locator(".chat-mine")).to_have_text("Is the shop open on Sunday?")
    expect(chat.locator(".chat-mine.is-pending")).to_have_count(0, timeout=5000)

    ticket = Ticket.objects.get(name="Is the shop open on Sunday?")
    sign_in(desk["agent"])
    page.goto(f"/views/all-open/tickets/{ticket.pk}/")
    expect(page.get_by_text("appears in the visitor's chat window")).to_be_visible()
    type_in(page, "#composer-reply", "Yes, from 10 to 16.")
    page.locator("#composer-reply button.btn-primary[type=submit]").click()
    expect(page.locator(".message-outbound")).to_contain_text("Yes, from 10 to 16.")
    expect(chat.locator(".chat-agent").last).to_contain_text("Yes, from 10 to 16.", timeout=5000)
    visitor.close()


def test_the_chatbot_answers_then_hands_the_visitor_to_an_agent(
    page, sign_in, desk, browser, live_server
):
    from channels_inbound.models import ChatBotAnswer, ChatWidget

    widget = ChatWidget.objects.create(
        name="Acme help",
        pipeline=desk["pipeline"],
        stage=desk["pipeline"].stages.first(),
        bot_enabled=True,
    )
    ChatBotAnswer.objects.create(
        widget=widget, question="Opening hours", keywords="open", answer="We are open 9-17."
    )
    visitor = browser.new_context(viewport={"width": 400, "height": 600}, base_url=live_server.url)
    chat = visitor.new_page()
    chat.goto(f"/chat/{widget.key}/")
    chat.get_by_role("button", name="Opening hours").click()
    expect(chat.locator(".chat-agent").last).to_have_text("ChatbotWe are open 9-17.")
    assert not Ticket.objects.filter(source="chat").exists()
    # A reload keeps the bot conversation.
    chat.reload()
    expect(chat.locator(".chat-agent").last).to_have_text("ChatbotWe are open 9-17.")
    chat.get_by_role("button", name="Talk to a person").click()
    expect(chat.locator(".chat-agent").last).to_contain_text("Someone from our team")
    expect(chat.locator("[data-options]")).to_be_hidden()

    ticket = Ticket.objects.get(source="chat")
    sign_in(desk["agent"])
    page.goto(f"/views/all-open/tickets/{ticket.pk}/")
    expect(page.locator(".message-bot")).to_have_count(2)
    expect(page.locator(".replying-to")).to_contain_text("Visitor")
    type_in(page, "#composer-reply", "Hello, this is Maya.")
    page.locator("#composer-reply button.btn-primary[type=submit]").click()
    expect(chat.locator(".chat-agent").last).to_contain_text("Hello, this is Maya.", timeout=5000)
    # The window shows each line once, bot conversation included.
    expect(chat.locator(".chat-message")).to_have_count(6)
    visitor.close()


def test_move_a_misthreaded_message_to_a_new_ticket(page, sign_in, desk):
    open_ticket(page, sign_in, desk)
    second = page.locator(f"#message-{desk['second'].pk}")
    second.get_by_label("Move to another ticket").click()
    second.get_by_label("Or to ticket number").fill("424242")
    second.get_by_role("button", name="Move", exact=True).click()
    expect(page.get_by_text("There is no ticket #424242 that you can open.")).to_be_visible()
    second = page.locator(f"#message-{desk['second'].pk}")
    second.get_by_role("button", name="Move to a new ticket").click()
    expect(page.get_by_text("Message moved. The two tickets are linked.")).to_be_visible()
    expect(page.locator(f"#message-{desk['second'].pk}")).to_have_count(0)
    moved = Message.objects.get(pk=desk["second"].pk)
    expect(page.locator(".sidebar-section").filter(has_text="Linked tickets")).to_contain_text(
        f"#{moved.ticket_id}"
    )


def test_the_editor_starts_with_the_signature_and_the_reply_carries_it(page, sign_in, desk):
    from conversations.models import Signature

    Signature.objects.create(user=desk["agent"], html="<p>Best regards, Maya</p>")
    open_ticket(page, sign_in, desk)
    editor = page.locator("#composer-reply [data-editor]")
    expect(editor).to_contain_text("Best regards, Maya")
    editor.locator("p").first.click()
    page.keyboard.type("Your refund left today.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".toast")).to_have_text("Reply sent")
    sent = outbound().get()
    assert sent.text.index("Your refund left today.") < sent.text.index("Best regards, Maya")


def test_the_signature_follows_the_from_address_until_the_agent_writes(page, sign_in, desk):
    from conversations.models import Signature

    Signature.objects.create(address=desk["support"], html="<p>ACME Support</p>")
    Signature.objects.create(address=desk["billing"], html="<p>ACME Billing</p>")
    open_ticket(page, sign_in, desk)
    editor = page.locator("#composer-reply [data-editor]")
    expect(editor).to_contain_text("ACME Support")
    editor.focus()  # the composer opens when used
    page.locator("#composer-reply select[name=from_address]").select_option(
        label=str(desk["billing"])
    )
    expect(editor).to_contain_text("ACME Billing")
    expect(editor).not_to_contain_text("ACME Support")
    editor.locator("p").first.click()
    page.keyboard.type("Written first.")
    page.locator("#composer-reply select[name=from_address]").select_option(
        label=str(desk["support"])
    )
    expect(editor).to_contain_text("Written first.")
    expect(editor).to_contain_text("ACME Billing")
