"""Errors of the closed loop that carry a translation key, so pages and the CLI show a clear message."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cxdash.auth import AuthError
from cxdash.i18n import t


class InputError(ValueError):
    """Input refused by validation; ``key`` and ``params`` translate it with :func:`cxdash.i18n.t`.

    ``also`` holds further problems found in the same input, so a form says everything that is wrong at once.
    """

    def __init__(self, key: str, *, also: Sequence[InputError] = (), **params: Any) -> None:
        self.key = key
        self.params = params
        self.also = tuple(also)
        super().__init__(self.message("en"))

    def messages(self, lang: str) -> list[str]:
        """One message in ``lang`` per problem, the first one first."""
        return [t(self.key, lang, **self.params), *(t(e.key, lang, **e.params) for e in self.also)]

    def message(self, lang: str) -> str:
        """The message in ``lang`` (every problem, when there are several)."""
        return " ".join(self.messages(lang))

    @property
    def keys(self) -> tuple[str, ...]:
        """The translation keys of every problem, the first one first."""
        return (self.key, *(e.key for e in self.also))


def raise_all(problems: Sequence[InputError]) -> None:
    """Raise the first problem carrying the others in ``also``; do nothing when there is none."""
    if problems:
        raise InputError(problems[0].key, also=problems[1:], **problems[0].params)


class AccessError(AuthError):
    """A write the acting user may not do: their role lacks the right, or the row lies outside their scope.

    A :class:`PermissionError` (through :class:`cxdash.auth.AuthError`) that, like :class:`InputError`, carries a
    translation key, so pages show the refusal in the user's language.
    """

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str) -> str:
        """The refusal in ``lang``."""
        return t(self.key, lang, **self.params)

    def messages(self, lang: str) -> list[str]:
        """The refusal in ``lang`` as a one-item list (the shape of :meth:`InputError.messages`)."""
        return [self.message(lang)]
