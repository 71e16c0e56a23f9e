"""From a number to the ticket table showing exactly the tickets counted: the
table's own filters (tickets.filters), so its count is the report's."""

import datetime

from django.urls import reverse
from django.utils.http import urlencode

from .measures import NONE, Filters

MOMENTS = {
    "created": "created_at",
    "solved": "closed_at",
    # reports.filters: reopened in the period.
    "reopened": "reopened_at",
    # The ticket's survey (surveys.filters): rated, or sent, in the period.
    "rated": "rated_at",
    "sent": "survey_sent_at",
}


def drill(
    filters: Filters,
    measure: str,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    *,
    answered: bool = False,
    **dims: object,
) -> str:
    """The table of the tickets `measure` counts ("created", "solved",
    "reopened", "rated" or "sent" from `start` to `end`, "open" now, or
    "open_at" the end of the day `end`) under `filters`
    and the extra `dims` (rating="good" too); `answered`: of the surveys,
    those answered."""
    params = [("f", "merged_into:unknown")]
    if measure in MOMENTS:
        params.append(("f", f"{MOMENTS[measure]}:between:{start:%Y-%m-%d},{end:%Y-%m-%d}"))
    elif measure == "open_at":
        params.append(("f", f"open_at:on:{end:%Y-%m-%d}"))
    if answered:
        params.append(("f", "rating:known"))
    chosen = {key: values[0] for key, values in filters.dims.items()}
    chosen.update(dict(dims.items()))
    for key, value in chosen.items():
        if value in (None, "", NONE):
            params.append(("f", f"{key}:unknown"))
        else:
            params.append(("f", f"{key}:any_of:{value}"))
    params += [("f", f"tags:has_any:{tag}") for tag in filters.tags]
    params += [("f", f"{key}:any_of:{values[0]}") for key, values in filters.custom.items()]
    view = "all-open" if measure == "open" else "all"
    return reverse("tickets:view_list", args=[view]) + "?" + urlencode(params)
