from functools import cached_property

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from helpdesk.labels import LocalNames
from helpdesk.memo import remembered


def is_cjk(text: str) -> bool:
    """True when `text` starts with a Hangul or CJK ideograph (family-name-first scripts)."""
    return bool(text) and ("\u1100" <= text[0] <= "\u11ff" or "\u2e80" <= text[0] <= "\ud7af")


def person_name(first: str, last: str) -> str:
    """A full name in the order its script uses: 김민준, 陳慧玲, but Emma Wilson."""
    if is_cjk(last):
        return f"{last}{first}"
    return " ".join(p for p in (first, last) if p)


class Team(LocalNames, models.Model):
    class Routing(models.TextChoices):
        MANUAL = "manual", _("Manual")
        ROUND_ROBIN = "round_robin", _("Round-robin")
        LEAST_OPEN = "least_open", _("Least open tickets")

    name = models.CharField(_("name"), max_length=100, unique=True)
    labels = models.JSONField(_("names in other languages"), default=dict, blank=True)
    routing = models.CharField(
        _("routing"),
        max_length=20,
        choices=Routing,
        default=Routing.MANUAL,
        help_text=_(
            "How a new unassigned ticket of this team gets its owner: by hand, in turn, "
            "or to the available agent with the fewest open tickets."
        ),
    )
    routing_cap = models.PositiveIntegerField(
        _("open tickets per agent"),
        default=0,
        help_text=_("Routing gives no more tickets to an agent who has this many open; 0: no cap."),
    )
    routing_skill_property = models.CharField(
        _("skill from property"),
        max_length=100,
        blank=True,
        help_text=_(
            "Optional: the key of a ticket property whose value names the skill an "
            "agent needs (one of the agent's skills)."
        ),
    )
    # Who got this team's last ticket by round-robin: the next turn goes to the
    # agent after them. Written under the team row's lock (routing/services.py).
    routing_last_agent = models.ForeignKey(
        "User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    leads = models.ManyToManyField(
        "User",
        verbose_name=_("team leads"),
        blank=True,
        related_name="led_teams",
        help_text=_("They see who in this team is available and their open tickets."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        # The name in the reader's language: the admin's pickers, filters and
        # lists show a row by its str() (issue 14).
        return self.local_name

    @classmethod
    def listed(cls) -> list["Team"]:
        """Every team in order, kept between checked requests (helpdesk.memo;
        a new name changes the version, round robin's turns do not): read
        them, never change them."""
        return remembered("accounts.teams", lambda: list(cls.objects.all()))


class HelpdeskUserManager(UserManager):
    """`createsuperuser` makes a super admin: the role is the only source of admin rights."""

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", User.Role.SUPER_ADMIN)
        extra_fields.pop("is_staff", None)
        extra_fields.pop("is_superuser", None)
        return self._create_user(username, email, password, **extra_fields)


class User(AbstractUser):
    class Role(models.TextChoices):
        SUPER_ADMIN = "super_admin", _("Super admin")
        AGENT = "agent", _("Agent with a seat")
        COLLABORATOR = "collaborator", _("Collaborator")

    class Visibility(models.TextChoices):
        ALL = "all", _("All tickets")
        TEAMS = "teams", _("Team tickets only")
        OWNED = "owned", _("Owned tickets only")

    role = models.CharField(_("role"), max_length=20, choices=Role, default=Role.AGENT)
    visibility = models.CharField(
        _("ticket visibility"),
        max_length=10,
        choices=Visibility,
        default=Visibility.ALL,
        help_text=_("Which tickets this user can see, count, search and be notified about."),
    )
    main_team = models.ForeignKey(
        Team,
        verbose_name=_("main team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="main_members",
    )
    teams = models.ManyToManyField(
        Team, verbose_name=_("additional teams"), blank=True, related_name="members"
    )
    can_manage_views = models.BooleanField(
        _("can manage custom views"),
        default=True,
        help_text=_("Create, edit and delete custom views (agents with a seat only)."),
    )
    can_write_articles = models.BooleanField(
        _("can write help center articles"),
        default=False,
        help_text=_("Write, publish, archive and restore knowledge base articles."),
    )
    has_account_access = models.BooleanField(
        _("account access"),
        default=False,
        help_text=_("Move tickets between inboxes and set team default From addresses."),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        help_text=_("Empty: follow the browser's language."),
    )
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)

    class Availability(models.TextChoices):
        AVAILABLE = "available", _("Available")
        AWAY = "away", _("Away")

    availability = models.CharField(
        _("availability"),
        max_length=10,
        choices=Availability,
        default=Availability.AVAILABLE,
        help_text=_("Routing gives new tickets only to available agents."),
    )
    languages = models.JSONField(
        _("languages spoken"),
        default=list,
        blank=True,
        help_text=_("Language codes such as ko, fi, de, zh-hant, pl, en."),
    )
    skills = models.JSONField(
        _("skills"),
        default=list,
        blank=True,
        help_text=_("Short words routing matches to tickets, such as billing or api."),
    )

    # Admin rights follow the role; there is no separate flag to drift out of sync.
    is_staff = property(lambda self: self.role == User.Role.SUPER_ADMIN)
    is_superuser = property(lambda self: self.role == User.Role.SUPER_ADMIN)

    objects = HelpdeskUserManager()

    class Meta:
        ordering = ["first_name", "last_name", "username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name

    def get_full_name(self) -> str:
        return person_name(self.first_name, self.last_name)

    @classmethod
    def listed(cls) -> list["User"]:
        """Every active user in name order, with their names and role only
        (the owner pickers and filters), kept between checked requests
        (helpdesk.memo; a change of who is active, of a name or of a role
        changes the version, a sign-in or an availability does not): read
        them, never change them."""
        return remembered(
            "accounts.people",
            lambda: list(
                cls.objects.filter(is_active=True).only(
                    "username", "first_name", "last_name", "role"
                )
            ),
        )

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def initials(self) -> str:
        if is_cjk(self.last_name):
            return self.last_name[:1]
        parts = [p for p in (self.first_name, self.last_name) if p] or [self.username]
        return "".join(p[0] for p in parts[:2]).upper()

    @cached_property
    def team_ids(self) -> frozenset[int]:
        """The main team and additional teams. Read once per request (the user object
        lives for one request), so visibility filters carry literal ids the planner
        can match against the partial indexes."""
        ids = set(self.teams.values_list("id", flat=True))
        if self.main_team_id:
            ids.add(self.main_team_id)
        return frozenset(ids)

    @property
    def is_super_admin(self) -> bool:
        return self.role == self.Role.SUPER_ADMIN

    @property
    def has_seat(self) -> bool:
        """Super admins and agents with a seat get default views and customisation (S2)."""
        return self.role in (self.Role.SUPER_ADMIN, self.Role.AGENT)


def member_of(team_id) -> Q:
    """Users of a team: their main team, or one of their other teams."""
    return Q(main_team_id=team_id) | Q(
        pk__in=User.teams.through.objects.filter(team_id=team_id).values("user_id")
    )
