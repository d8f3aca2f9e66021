"""The OpenAPI document of /api/v1: the contract the tests hold every response to."""
from __future__ import annotations

ERROR = {"$ref": "#/components/schemas/Error"}


def _errors(*codes: int) -> dict:
    text = {400: "Bad input", 401: "Missing or unknown token", 403: "Token not valid for this site or scope",
            404: "Not found", 413: "Body too large", 429: "Too many requests"}
    return {str(c): {"description": text[c], "content": {"application/json": {"schema": ERROR}}} for c in codes}


SITE = {"name": "site", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[a-z0-9-]{1,40}$"}}
NULLABLE_NUMBER = {"type": ["number", "null"]}
NULLABLE_ESTIMATE = {"anyOf": [{"$ref": "#/components/schemas/Estimate"}, {"type": "null"}]}
LINK = {"name": "link", "in": "path", "required": True,
        "description": "The secret of the visitor's ticket page (/ticket/{link}), as given at check-in",
        "schema": {"type": "string", "maxLength": 200}}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Accueil API",
        "version": "1.0.0",
        "description": "Integrations of a reception site: the booking system pushes the appointments, "
                       "scripts read the statistics and the live state of the queues. Tokens are made with "
                       "`accueil api-token create` and scoped to one site and to rights. The status of one "
                       "ticket needs no token: its link is the secret, as for the visitor's ticket page. "
                       "Personal data never appears in a response.",
    },
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {
                "type": "object", "required": ["error", "message"], "additionalProperties": False,
                "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
            },
            "Estimate": {
                "type": "object", "required": ["low", "high", "long"], "additionalProperties": False,
                "description": "A wait range in minutes, never a promise; `long`: likely beyond `high`",
                "properties": {"low": {"type": "integer", "minimum": 0}, "high": {"type": "integer", "minimum": 0},
                               "long": {"type": "boolean"}},
            },
            "TicketStatus": {
                "type": "object", "additionalProperties": False,
                "required": ["site", "code", "letter", "queue", "place", "status", "ahead", "estimate", "desk",
                             "recalls", "day"],
                "properties": {
                    "site": {"type": "string", "description": "The site's slug"},
                    "code": {"type": "string", "pattern": "^[A-Z][0-9]{3,}$", "description": "The ticket number"},
                    "letter": {"type": "string", "pattern": "^[A-Z]$",
                               "description": "The queue it is in now (a transferred ticket keeps its code)"},
                    "queue": {"type": "string", "description": "The queue's name"},
                    "place": {"type": "string", "enum": ["desks", "zone"],
                              "description": "desks: called to a desk; zone: a space with seats (espace numérique)"},
                    "status": {"type": "string",
                               "enum": ["waiting", "called", "serving", "done", "no_show", "cancelled"]},
                    "ahead": {"type": ["integer", "null"], "minimum": 0,
                              "description": "Tickets called before this one (0: next); null unless waiting"},
                    "estimate": {**NULLABLE_ESTIMATE, "description": "null unless waiting, or when nobody receives"},
                    "desk": {"type": ["string", "null"], "description": "Where to go, once called"},
                    "recalls": {"type": "integer", "minimum": 0},
                    "day": {"type": "string", "format": "date", "description": "The service day of the ticket"},
                },
            },
            "QueueState": {
                "type": "object", "additionalProperties": False, "required": ["site", "now", "queues", "calls"],
                "properties": {
                    "site": {"type": "string"}, "now": {"type": "string", "format": "date-time"},
                    "queues": {"type": "array", "items": {
                        "type": "object", "additionalProperties": False,
                        "required": ["letter", "name", "waiting", "estimate"],
                        "properties": {
                            "letter": {"type": "string", "pattern": "^[A-Z]$"}, "name": {"type": "string"},
                            "waiting": {"type": "integer", "minimum": 0},
                            "estimate": {**NULLABLE_ESTIMATE,
                                         "description": "The wait of someone joining now; null when nobody receives"},
                        }}},
                    "calls": {"type": "array", "description": "The latest calls, newest first, as on the display",
                              "items": {
                        "type": "object", "additionalProperties": False,
                        "required": ["code", "letter", "place", "kind", "at", "time"],
                        "properties": {
                            "code": {"type": "string", "pattern": "^[A-Z][0-9]{3,}$"},
                            "letter": {"type": "string", "pattern": "^[A-Z]$"},
                            "place": {"type": "string", "description": "The desk or zone to go to"},
                            "kind": {"type": "string", "enum": ["called", "recalled"]},
                            "at": {"type": "string", "format": "date-time"},
                            "time": {"type": "string", "pattern": "^[0-9]{2}:[0-9]{2}$",
                                     "description": "Local time of the site"},
                        }}},
                },
            },
            "Appointment": {
                "type": "object", "required": ["date", "heure", "nir", "type"], "additionalProperties": False,
                "properties": {
                    "date": {"type": "string", "description": "AAAA-MM-JJ or JJ/MM/AAAA"},
                    "heure": {"type": "string", "description": "HH:MM, local time of the site"},
                    "nir": {"type": "string", "description": "numéro de sécurité sociale (15 characters)"},
                    "type": {"type": "string", "enum": ["guichet", "lsf", "telephone"]},
                    "agent": {"type": "string"}, "bureau": {"type": "string"}, "motif": {"type": "string"},
                },
            },
            "ImportReport": {
                "type": "object", "required": ["created", "updated", "unchanged", "rejected"],
                "additionalProperties": False,
                "properties": {
                    "created": {"type": "integer"}, "updated": {"type": "integer"}, "unchanged": {"type": "integer"},
                    "rejected": {"type": "array", "items": {
                        "type": "object", "required": ["index", "message"], "additionalProperties": False,
                        "properties": {"index": {"type": "integer", "minimum": 1},
                                       "field": {"type": ["string", "null"]}, "message": {"type": "string"}}}},
                },
            },
            "Statistics": {
                "type": "object", "additionalProperties": False,
                "required": ["site", "from", "to", "queue", "tickets", "visits", "within_20_minutes",
                             "share_within_20_minutes", "left_without_contact", "no_shows", "left_before_call",
                             "arrivals_by_hour",
                             "wait_distribution", "wait_minutes", "service_minutes", "satisfaction"],
                "properties": {
                    "site": {"type": "string"}, "from": {"type": "string", "format": "date"},
                    "to": {"type": "string", "format": "date"}, "queue": {"type": ["string", "null"]},
                    "tickets": {"type": "integer"}, "visits": {"type": "integer"},
                    "within_20_minutes": {"type": "integer"},
                    "share_within_20_minutes": NULLABLE_NUMBER,
                    "left_without_contact": {"type": "integer"}, "no_shows": {"type": "integer"},
                    "left_before_call": {"type": "integer"},
                    "arrivals_by_hour": {"type": "array", "minItems": 24, "maxItems": 24, "items": {"type": "integer"}},
                    "wait_distribution": {"type": "array", "items": {
                        "type": "object", "required": ["range", "visits"], "additionalProperties": False,
                        "properties": {"range": {"type": "string"}, "visits": {"type": "integer"}}}},
                    "wait_minutes": {"type": "object", "required": ["median", "mean"], "additionalProperties": False,
                                     "properties": {"median": NULLABLE_NUMBER, "mean": NULLABLE_NUMBER}},
                    "service_minutes": {"type": "object", "required": ["median", "mean"], "additionalProperties": False,
                                        "properties": {"median": NULLABLE_NUMBER, "mean": NULLABLE_NUMBER}},
                    "satisfaction": {"type": "object", "required": ["answers", "mean"], "additionalProperties": False,
                                     "properties": {"answers": {"type": "array", "minItems": 5, "maxItems": 5,
                                                                "items": {"type": "integer"}},
                                                    "mean": NULLABLE_NUMBER}},
                },
            },
        },
    },
    "paths": {
        "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {
            "description": "The OpenAPI document", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
        "/tickets/{link}": {"get": {
            "summary": "The status of one ticket: number, queue, position, wait range, where to go",
            "description": "No token: the link is the secret. Unknown and forged links get 404.",
            "parameters": [LINK],
            "responses": {"200": {"description": "The ticket's status",
                                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TicketStatus"}}}},
                          **_errors(404, 429)},
        }},
        "/sites/{site}/queues": {"get": {
            "summary": "The public state of the site's queues: people waiting, wait ranges, the latest calls",
            "description": "What the waiting-room display shows, for a token with `queues:read` on the site.",
            "security": [{"token": []}],
            "parameters": [SITE],
            "responses": {"200": {"description": "The queues and the latest calls",
                                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/QueueState"}}}},
                          **_errors(401, 403, 404, 429)},
        }},
        "/sites/{site}/appointments": {"post": {
            "summary": "Create or update the site's appointments (same rules as the CSV import)",
            "security": [{"token": []}],
            "parameters": [SITE],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["appointments"], "additionalProperties": False,
                "properties": {"appointments": {"type": "array", "maxItems": 5000,
                                                "items": {"$ref": "#/components/schemas/Appointment"}}}}}}},
            "responses": {"200": {"description": "What was stored, and every refused item with its reason",
                                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ImportReport"}}}},
                          **_errors(400, 401, 403, 404, 413, 429)},
        }},
        "/sites/{site}/statistics": {"get": {
            "summary": "Figures of the site over a period (the CNAF 20-minute indicator first)",
            "security": [{"token": []}],
            "parameters": [SITE,
                           {"name": "from", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
                           {"name": "to", "in": "query", "required": True, "schema": {"type": "string", "format": "date"}},
                           {"name": "queue", "in": "query", "required": False,
                            "schema": {"type": "string", "pattern": "^[A-Z]$"}}],
            "responses": {"200": {"description": "The figures",
                                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Statistics"}}}},
                          **_errors(400, 401, 403, 404, 429)},
        }},
    },
}
