"""What happened to a ticket, for apps that keep state about it (the SLA
clocks) without the ticket and conversation code depending on them.

`ticket_activity` is sent inside the transaction of the change, with the
locked ticket, `kind` and `at`:

- "customer_message": a person (not an auto-reply) wrote on the ticket;
- "agent_reply": an agent answered the customer (not a comment; `message`);
- "stage": the status changed (`old_stage`, `new_stage` given too);
- "properties": fields or custom properties changed (`previous`: their
  values before, by name; record ids for owner, team and pipeline);
- "tags": tags were added or removed (`added`, `removed`: the tag names);
- "created": the ticket was created (its first message, if any, is stored
  later in the same transaction);
- "comment": an agent added an internal comment (`message`);
- "deleted": the ticket was moved to Recently deleted;
- "sla": the SLA sweep found a deadline due soon or passed (`clock`,
  `state`: "due_soon" or "overdue").

"created", "stage", "properties", "tags", "comment", "agent_reply" and
"deleted" also give the `actor`
(None for automation), and "customer_message" the `message`. Receivers
ignore the kinds they do not handle: more may be added.

`tickets_purging` is sent with `ticket_ids` inside the purge's transaction,
before the rows go: apps remove what they keep outside the database (stored
files) or outside the ticket's cascade (raw inbound payloads).
"""

from django.dispatch import Signal

ticket_activity = Signal()
tickets_purging = Signal()
