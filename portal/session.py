"""Who is signed in to the portal: a contact id in the session, beside (and
independent of) an agent's sign-in."""

from crm.models import Contact

CONTACT = "portal_contact"
EMAIL = "portal_email"


def portal_sign_in(request, contact: Contact) -> None:
    # A new session key: whatever key the visitor had before (fixed by
    # someone else, say) is worth nothing after signing in.
    request.session.cycle_key()
    request.session[CONTACT] = contact.pk
    request.session[EMAIL] = contact.email.lower()


def portal_sign_out(request) -> None:
    request.session.pop(CONTACT, None)
    request.session.pop(EMAIL, None)
    request.session.cycle_key()


def portal_contact(request) -> Contact | None:
    """The signed-in contact, or None. A contact whose address changed since
    signing in (or who was deleted) is signed out: the address was the key."""
    if hasattr(request, "_portal_contact"):
        return request._portal_contact
    contact = None
    pk = request.session.get(CONTACT)
    if pk is not None:
        contact = Contact.objects.select_related("company").filter(pk=pk).first()
        if contact is not None and contact.email.lower() != request.session.get(EMAIL):
            contact = None
    request._portal_contact = contact
    return contact
