"""Polling a team mailbox over IMAP (imapclient), on a beat schedule.

Each message is stored in the inbound log under a key made of the channel,
the folder's UIDVALIDITY and the message UID, and only then marked as read or
moved away. A crash between the two leaves the message unread: the next poll
finds it again and the key makes that a no-op, so restarts never duplicate.
"""

import logging
import os

from imapclient import IMAPClient

from .models import EmailChannel, InboundItem
from .store import inbound_store

log = logging.getLogger(__name__)
BATCH = 50


class ImapNotConfigured(Exception):
    pass


def imap_poll(channel: EmailChannel, client_class=IMAPClient) -> int:
    """Fetch up to BATCH unread messages of the channel's folder. Returns how
    many new ones were stored."""
    password = os.environ.get(channel.imap_password_env or "", "")
    if not (channel.imap_host and channel.imap_username and password):
        raise ImapNotConfigured(f"Channel {channel.pk} has no complete IMAP settings.")
    stored = 0
    with client_class(channel.imap_host, port=channel.imap_port, ssl=True, timeout=30) as client:
        client.login(channel.imap_username, password)
        folder = client.select_folder(channel.imap_folder)
        validity = folder.get(b"UIDVALIDITY", 0)
        uids = client.search(["UNSEEN"])[:BATCH]
        for uid, data in client.fetch(uids, ["BODY.PEEK[]"]).items():
            raw = data.get(b"BODY[]") or b""
            _item, created = inbound_store(
                source=InboundItem.Source.IMAP,
                payload=raw,
                event_id=f"{channel.pk}:{validity}:{uid}",
                channel=channel,
            )
            stored += created
            # Only once the row is stored (inbound_store committed it).
            if channel.imap_done_folder:
                client.move([uid], channel.imap_done_folder)
            else:
                client.add_flags([uid], [b"\\Seen"])
    return stored
