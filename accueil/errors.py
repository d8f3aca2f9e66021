"""Domain errors: a stable code, a French message id and its parameters.

Messages never contain a NIR or a phone number: parameters are counts, codes and
ticket numbers only.
"""
from __future__ import annotations

from accueil.i18n import N_


class DomainError(Exception):
    """Base of every error the domain raises on bad input or a wrong state."""

    code = "error"
    message_id = N_("La demande n'a pas pu être traitée.")

    def __init__(self, message_id: str | None = None, **params: object) -> None:
        if message_id is not None:
            self.message_id = message_id
        self.params = params
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The French message, parameters filled in."""
        return self.message_id % self.params if self.params else self.message_id


class InvalidInput(DomainError):
    """An argument is malformed; ``field`` names the form field it belongs to."""

    code = "invalid_input"

    def __init__(self, message_id: str | None = None, field: str | None = None, **params: object) -> None:
        self.field = field
        super().__init__(message_id, **params)


class InvalidNir(InvalidInput):
    code = "invalid_nir"
    message_id = N_("Le numéro de sécurité sociale n'est pas valide.")

    def __init__(self, message_id: str | None = None, **params: object) -> None:
        super().__init__(message_id, field="nir", **params)


class InvalidPhone(InvalidInput):
    code = "invalid_phone"
    message_id = N_("Le numéro de téléphone n'est pas valide.")

    def __init__(self, message_id: str | None = None, **params: object) -> None:
        super().__init__(message_id, field="phone", **params)


class NotFound(DomainError):
    code = "not_found"
    message_id = N_("Introuvable.")


class InvalidTransition(DomainError):
    """The ticket's state does not allow the action."""

    code = "invalid_transition"
    message_id = N_("Le ticket %(ticket)s est « %(status)s » : cette action n'est pas possible.")


class NothingToCall(DomainError):
    code = "nothing_to_call"
    message_id = N_("Personne n'attend pour ce bureau.")


class AlreadyTaken(InvalidTransition):
    """Another agent claimed the ticket first."""

    code = "already_taken"
    message_id = N_("Le ticket %(ticket)s vient d'être appelé par un autre bureau.")


class DeskBusy(DomainError):
    code = "desk_busy"
    message_id = N_("Le bureau %(desk)s reçoit déjà le ticket %(ticket)s. Terminez-le d'abord.")


class ZoneFull(DomainError):
    code = "zone_full"
    message_id = N_("L'espace %(queue)s est complet : %(seats)s places occupées.")
