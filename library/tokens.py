"""The keys of the public links (S18): which document or quote, inserted into
which ticket, signed with the SECRET_KEY. The ids are not secret, the
signature is: a changed or made-up link is a 404. No expiry in the signature:
a document lives until it is deleted, a quote says itself until when it holds."""

from django.core import signing

SALTS = {
    "document": "library.document-link",
    "quote": "library.quote-link",
    "video": "library.video-link",
}


def link_token(kind: str, item_id: int, ticket_id: int | None) -> str:
    """The same link for the same item and ticket, however often inserted."""
    return signing.Signer(salt=SALTS[kind]).sign_object([item_id, ticket_id])


def read_token(kind: str, token: str) -> tuple[int, int | None] | None:
    """(item id, ticket id) from a link, or None when it was not ours."""
    try:
        value = signing.Signer(salt=SALTS[kind]).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not (isinstance(value, list) and len(value) == 2):
        return None
    item_id, ticket_id = value
    if not isinstance(item_id, int) or not (ticket_id is None or isinstance(ticket_id, int)):
        return None
    return item_id, ticket_id
