"""The header's workbench link: shown to anyone holding a city role."""

from django import template

from renewal.rules import city_roles

register = template.Library()


@register.filter
def has_city_role(user) -> bool:
    # city_roles is read once per request and shared with the rules.
    return bool(city_roles(user))
