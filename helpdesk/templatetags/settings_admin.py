"""Template helpers of the settings pages (templates/admin/)."""

from django import template

from ..admin_site import SettingsGroup, group_of

register = template.Library()


@register.filter
def settings_group(opts) -> SettingsGroup:
    """The sidebar group a model admin's pages belong to."""
    return group_of(opts)
