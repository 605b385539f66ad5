"""doit learns the parameters of Nikola's `config_changed` checks once per build, not once per check.

Before doit calls a task's up-to-date check it asks `inspect.signature` for the check's
parameters, to pass it the task and its saved values (doit/dependency.py, get_status);
it keeps no answer. Nikola gives almost every task one or more `config_changed` objects
(5,400 in a no-op build of 400 posts, 27,000 at 2,000), and working out the signature of
a callable object (through its class's `__call__`, then binding) took 10% of a no-op
build. `inspect.signature` returns an object's `__signature__` when it has one: here the
class answers, for its objects only, with the signature inspect works out for them
(tests/test_overrides.py compares the two); asked about the class itself, it answers
None, so inspect works out the constructor's signature as before.
"""

from __future__ import annotations

import inspect

from nikola.plugin_categories import ConfigPlugin
from nikola.utils import config_changed

from plugins import versions


class CallSignature:
    """`__signature__` of a class's objects: that of their bound `__call__`, worked out once."""

    def __init__(self, cls: type) -> None:
        signature = inspect.signature(cls.__call__)
        self.signature = signature.replace(parameters=list(signature.parameters.values())[1:])

    def __get__(self, instance: object, owner: type) -> inspect.Signature | None:
        return None if instance is None else self.signature


def name_the_signature() -> None:
    if not isinstance(config_changed.__dict__.get("__signature__"), CallSignature):
        config_changed.__signature__ = CallSignature(config_changed)


class UptodateSignature(ConfigPlugin):
    name = "uptodate_signature"

    def set_site(self, site) -> None:
        versions.check_nikola(__file__)
        name_the_signature()
        super().set_site(site)
