"""“Test against ticket #N” in the rule builder: which rules would fire on a
ticket and what they would change, computed exactly as the engine would and
written nowhere."""

from dataclasses import dataclass, field

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from conversations.models import Message
from tickets.models import Ticket

from . import actions, conditions, engine, sweep
from .models import Rule


@dataclass
class Trial:
    rule: Rule
    is_draft: bool
    fires: bool
    reason: str = ""
    changes: list[str] = field(default_factory=list)


def try_rules(ticket: Ticket, draft: Rule, editing: str | None = None) -> list[Trial]:
    """The draft rule and the active rules of its kind, in the admin's order,
    on `ticket` as it is now (the event's message: the ticket's latest
    customer message); a rule that says "stop here" ends the list."""
    message = (
        Message.objects.filter(ticket=ticket, direction=Message.Direction.INBOUND)
        .select_related("thread")
        .order_by("-created_at", "-id")
        .first()
    )
    facts = conditions.EventFacts(ticket, message)
    rules = list(Rule.objects.filter(is_active=True, trigger=draft.trigger))
    # The draft takes the place of the rule it edits, a new one comes last.
    place = next(
        (i for i, rule in enumerate(rules) if str(rule.pk) == str(editing or "")), len(rules)
    )
    rules = [rule for rule in rules if str(rule.pk) != str(editing or "")]
    draft.pk = 0
    rules.insert(place, draft)
    answers = engine.evaluate(rules, ticket, facts)
    language = translation.get_language()
    trials = []
    stopped_by = None
    for rule in rules:
        answer = answers.get(rule.pk)
        trial = Trial(
            rule, rule is draft, answer is True, answer if isinstance(answer, str) else ""
        )
        if stopped_by is not None and trial.fires:
            trial.fires = False
            trial.reason = _("would not run: “%(name)s” before it stops here") % {
                "name": stopped_by
            }
        if trial.fires and rule.trigger == Rule.Trigger.TIME and rule.moment and rule.hours:
            moment = getattr(ticket, rule.moment)
            cutoff = sweep.cutoff_for(rule, ticket, timezone.now())
            trial.fires = moment is not None and cutoff is not None and moment <= cutoff
        if trial.fires:
            try:
                cleaned = actions.validate(rule.actions, for_macro=False)
                trial.changes = actions.describe(cleaned, ticket, language=language)
            except Exception as error:  # a broken rule says why instead
                trial.fires = False
                trial.reason = "; ".join(getattr(error, "messages", [str(error)]))
        if trial.fires and rule.stop_processing and stopped_by is None:
            stopped_by = rule.name
        trials.append(trial)
    return trials
