from django.core.management import call_command

from accounts.models import User
from tickets.models import Pipeline, Stage, Ticket


def counts():
    return (
        User.objects.count(),
        Pipeline.objects.count(),
        Stage.objects.count(),
        Ticket.objects.count(),
    )


def test_demo_data_is_realistic_and_loading_it_twice_changes_nothing(db):
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    assert first[3] == 300
    assert {u.role for u in User.objects.all()} == set(User.Role.values)
    assert {u.visibility for u in User.objects.all()} == set(User.Visibility.values)
    assert Stage.objects.filter(is_closed=True).exists()
    assert Stage.objects.exclude(required_properties=[]).exists()
    assert (
        Ticket.objects.filter(is_open=True).exists()
        and Ticket.objects.filter(is_open=False).exists()
    )
    names = " ".join(Ticket.objects.values_list("name", flat=True))
    for sample in ("결제", "發票", "Rechnung", "Laskussa", "fakturze", "Invoice"):
        assert sample in names
