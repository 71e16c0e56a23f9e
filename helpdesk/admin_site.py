"""The super admins' settings: Django's admin, listed by task instead of by app.

Django lists models under the app that defines them ("Inbound channels",
"Conversations", "axes"); an admin looks for a task ("connect an email address",
"add a teammate"). `SETTINGS_GROUPS` is the one place that says which registered
model belongs to which task. The sidebar and the index cards both render
`get_app_list()`, so a model registered later and missing here still shows up,
in "Other", rather than vanishing.
"""

from dataclasses import dataclass

from django.apps import apps
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, ngettext


@dataclass(frozen=True)
class SettingsGroup:
    key: str
    name: str
    icon: str
    description: str
    # "app_label.model_name" with the icon of each, in the order an admin works.
    models: tuple[tuple[str, str], ...]


SETTINGS_GROUPS = (
    SettingsGroup(
        "helpdesk",
        _("Help desk"),
        "route",
        _(
            "Pipelines and their statuses, ticket properties, tags, shared views and ticket "
            "defaults."
        ),
        (
            ("tickets.pipeline", "route"),
            ("tickets.propertydefinition", "sliders-horizontal"),
            ("tickets.tag", "tag"),
            ("tickets.savedview", "list-filter"),
            ("tickets.ticketsettings", "settings"),
            ("tickets.workspacelayout", "panels-top-left"),
        ),
    ),
    SettingsGroup(
        "workflows",
        _("Workflows"),
        "layers",
        _(
            "Macros that agents apply in one click, and rules that act by themselves when something happens or time passes."
        ),
        (
            ("workflows.macro", "layers"),
            ("workflows.rule", "git-merge"),
            ("workflows.workflowsettings", "settings"),
        ),
    ),
    SettingsGroup(
        "channels",
        _("Channels"),
        "inbox",
        _("Where customers reach you: email, web forms, chat and Messenger, and what came in."),
        (
            ("channels_inbound.emailchannel", "mail"),
            ("conversations.emailaddress", "at-sign"),
            ("channels_inbound.webform", "file-text"),
            ("channels_inbound.chatwidget", "message-square"),
            ("channels_inbound.messengerpage", "send"),
            ("channels_inbound.inbounditem", "inbox"),
            ("channels_inbound.blockedsender", "ban"),
            ("conversations.inbox", "folder-open"),
        ),
    ),
    SettingsGroup(
        "sla",
        _("SLA"),
        "clock",
        _("Response and resolution goals, working hours and holidays."),
        (
            ("sla.slasettings", "settings"),
            ("sla.calendar", "clock"),
            ("sla.slagoal", "flag"),
            ("sla.slachange", "history"),
        ),
    ),
    SettingsGroup(
        "team",
        _("Team"),
        "users",
        _("Who works in the help desk, and the teams they belong to."),
        (
            ("accounts.user", "user"),
            ("accounts.team", "users"),
            ("auth.group", "lock"),
        ),
    ),
    SettingsGroup(
        "replies",
        _("Replies"),
        "reply",
        _("Snippets, templates, articles and links that agents insert into replies."),
        (
            ("conversations.snippet", "text-quote"),
            ("conversations.replytemplate", "file-pen-line"),
            ("conversations.knowledgearticle", "file-text"),
            ("conversations.meetinglink", "link"),
        ),
    ),
    SettingsGroup(
        "help_center",
        _("Help center"),
        "book-open",
        _(
            "The categories and sections of the public help center; agents with the "
            "permission write its articles in the Knowledge base."
        ),
        (("knowledge.category", "book-open"),),
    ),
    SettingsGroup(
        "records",
        _("Contacts and companies"),
        "building-2",
        _("The contacts, companies and deals that tickets are linked to."),
        (
            ("crm.contact", "user-round"),
            ("crm.company", "building-2"),
            ("crm.deal", "handshake"),
        ),
    ),
    SettingsGroup(
        "integrations",
        _("Integrations"),
        "send",
        _("Webhooks that tell other systems what happens in the help desk, and what was sent."),
        (
            ("webhooks.subscription", "send"),
            ("webhooks.delivery", "history"),
        ),
    ),
    SettingsGroup(
        "customers",
        _("Customer portal and surveys"),
        "circle-user",
        _(
            "Where requests from the portal land, which companies share their tickets, and "
            "the satisfaction surveys sent when tickets close."
        ),
        (
            ("portal.portalsettings", "settings"),
            ("portal.sharedcompany", "building-2"),
            ("surveys.surveysettings", "circle-check"),
            ("surveys.survey", "message-square"),
        ),
    ),
    SettingsGroup(
        "import",
        _("Data import"),
        "table",
        _(
            "Bring contacts, companies and tickets over from a CSV file or a Zendesk export, "
            "and see how earlier imports went."
        ),
        (("imports.importjob", "table"),),
    ),
    SettingsGroup(
        "security",
        _("Security"),
        "shield-check",
        _("Sign-in attempts, failures and lockouts."),
        (
            ("axes.accessattempt", "shield-alert"),
            ("axes.accessfailurelog", "circle-alert"),
            ("axes.accesslog", "history"),
        ),
    ),
)
# django-axes names its models in German and Polish only: these put the Korean,
# Finnish and Chinese names in our catalog, which Django searches first.
AXES_MODEL_NAMES = (
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
)
OTHER_GROUP = SettingsGroup(
    "other", _("Other"), "folder-open", _("Settings that are not sorted into a group yet."), ()
)


class HelpdeskAdminSite(admin.AdminSite):
    site_header = _("Help desk settings")
    site_title = _("Help desk settings")
    index_title = _("Settings")

    def get_app_list(self, request, app_label=None):
        """The groups of SETTINGS_GROUPS, each shaped like one of Django's apps
        (name, app_label, app_url, models), so Django's own templates and ours
        read them alike. An app's own page (/admin/<app>/) keeps Django's list."""
        if app_label:
            return super().get_app_list(request, app_label)
        return group_models(super().get_app_list(request))

    def each_context(self, request):
        context = super().each_context(request)
        context["failed_inbound"] = failed_inbound_text(request)
        return context

    def login(self, request, extra_context=None):
        """One sign-in page for the product: the workspace's (with its lockout).
        Someone signed in without admin rights is refused, not sent back to a
        sign-in page that would send them here again."""
        if request.user.is_authenticated:
            raise PermissionDenied
        return redirect_to_login(
            request.GET.get("next") or reverse("admin:index", current_app=self.name),
            reverse("accounts:login"),
        )


FAILED_SHOWN = 1000  # counted up to here, so the check stays cheap at any size


def failed_inbound_text(request) -> str:
    """What every settings page says while customer messages wait in the
    inbound log as failed (a deactivated channel, an address no channel
    has): nothing is lost, but nobody answers them until someone looks."""
    if not request.user.has_perm("channels_inbound.view_inbounditem"):
        return ""
    item = apps.get_model("channels_inbound", "InboundItem")
    count = item.objects.filter(status=item.Status.FAILED).values("pk")[:FAILED_SHOWN].count()
    if count >= FAILED_SHOWN:
        shown = number_format(FAILED_SHOWN, force_grouping=True)
        return _("At least %(count)s incoming messages could not be delivered.") % {"count": shown}
    if not count:
        return ""
    return ngettext(
        "%(count)s incoming message could not be delivered.",
        "%(count)s incoming messages could not be delivered.",
        count,
    ) % {"count": count}


def group_models(app_list):
    """Django's app list regrouped by task; models no group names go to Other."""
    by_key = {}
    for app in app_list:
        for model in app["models"]:
            opts = model["model"]._meta
            by_key[f"{opts.app_label}.{opts.model_name}"] = model
    groups = []
    for group in (*SETTINGS_GROUPS, OTHER_GROUP):
        if group is OTHER_GROUP:
            listed = [(key, group.icon) for key in sorted(by_key, key=lambda k: by_key[k]["name"])]
        else:
            listed = [(key, icon) for key, icon in group.models if key in by_key]
        models = [{**by_key.pop(key), "icon": icon} for key, icon in listed]
        if models:
            groups.append(
                {
                    "name": group.name,
                    "app_label": group.key,
                    "app_url": reverse("admin:index") + f"#{group.key}",
                    "has_module_perms": True,
                    "icon": group.icon,
                    "description": group.description,
                    "models": models,
                }
            )
    return groups


def group_of(opts) -> SettingsGroup:
    """The group a model's settings are listed in (breadcrumbs lead back to it)."""
    key = f"{opts.app_label}.{opts.model_name}"
    return next((g for g in SETTINGS_GROUPS if any(k == key for k, _ in g.models)), OTHER_GROUP)
