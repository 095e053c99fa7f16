# The personas of the permission matrix, shared with the renewal tests.
from tests.renewal.conftest import city, organization, other_city, personas  # noqa: F401
