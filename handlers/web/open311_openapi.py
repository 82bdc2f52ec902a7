"""The Open311 API described in OpenAPI 3 (``GET /open311/v2/openapi.json``): what a city's
developers read, and what the tests check the server against (schemathesis)."""

from __future__ import annotations

from typing import Any

from models.open311_requests import MAX_RESULTS

_TEXT = {"type": "string"}
_NULLABLE_TEXT = {"type": ["string", "null"]}
_NULLABLE_NUMBER = {"type": ["number", "null"]}

_ERRORS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": _TEXT},
    },
}
_SERVICE = {
    "type": "object",
    "required": ["service_code", "service_name", "metadata", "type"],
    "properties": {
        "service_code": _TEXT,
        "service_name": _TEXT,
        "description": _TEXT,
        "metadata": {"type": "boolean"},
        "type": {"enum": ["realtime", "batch", "blackbox"]},
        "keywords": _TEXT,
        "group": _TEXT,
    },
}
_DEFINITION = {
    "type": "object",
    "required": ["service_code", "attributes"],
    "properties": {
        "service_code": _TEXT,
        "attributes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "datatype", "required", "values"],
                "properties": {
                    "variable": {"type": "boolean"},
                    "code": _TEXT,
                    "datatype": _TEXT,
                    "required": {"type": "boolean"},
                    "datatype_description": _TEXT,
                    "order": {"type": "integer"},
                    "description": _TEXT,
                    "values": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {"key": _TEXT, "name": _TEXT},
                        },
                    },
                },
            },
        },
    },
}
_REQUEST = {
    "type": "object",
    "required": ["service_request_id", "status", "service_code", "requested_datetime"],
    # Nothing else: no field may name the reporter, staff, or anyone's contact.
    "additionalProperties": False,
    "properties": {
        "service_request_id": _TEXT,
        "status": {"enum": ["open", "closed"]},
        "status_notes": _NULLABLE_TEXT,
        "service_name": _TEXT,
        "service_code": _TEXT,
        "description": _NULLABLE_TEXT,
        "agency_responsible": _NULLABLE_TEXT,
        "service_notice": _NULLABLE_TEXT,
        "requested_datetime": {"type": "string", "format": "date-time"},
        "updated_datetime": {"type": ["string", "null"], "format": "date-time"},
        "expected_datetime": {"type": ["string", "null"], "format": "date-time"},
        "address": _NULLABLE_TEXT,
        "address_id": _NULLABLE_TEXT,
        "zipcode": _NULLABLE_TEXT,
        "lat": _NULLABLE_NUMBER,
        "long": _NULLABLE_NUMBER,
        "media_url": _NULLABLE_TEXT,
    },
}
_DISCOVERY = {
    "type": "object",
    "required": ["changeset", "endpoints"],
    "properties": {
        "changeset": {"type": "string", "format": "date-time"},
        "contact": _TEXT,
        "key_service": _TEXT,
        "endpoints": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["specification", "url", "type", "formats"],
                "properties": {
                    "specification": _TEXT,
                    "url": _TEXT,
                    "changeset": {"type": "string", "format": "date-time"},
                    "type": {"enum": ["production", "test"]},
                    "formats": {"type": "array", "items": _TEXT},
                },
            },
        },
    },
}
_CREATED = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["service_request_id"],
        "properties": {
            "service_request_id": _TEXT,
            "service_notice": _NULLABLE_TEXT,
            "account_id": _NULLABLE_TEXT,
        },
    },
}


def _content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}, "text/xml": {"schema": {"type": "string"}}}


def _answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": _content(schema)}


def _errors(*codes: int) -> dict[str, Any]:
    reasons = {
        400: "bad input (unknown service, bad dates, more than 1,000 results, ...)",
        403: "api_key missing, wrong or revoked",
        404: "no such service, public request or path (an unknown format too)",
        429: "too many requests for this api_key; see Retry-After",
    }
    answers = {str(code): _answer(reasons[code], _ERRORS) for code in codes}
    if 429 in codes:
        answers["429"]["headers"] = {
            "Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}
        }
    return answers


_FORMAT = {
    "name": "format",
    "in": "path",
    "required": True,
    "schema": {"enum": ["json", "xml"]},
}


def _path(name: str, description: str) -> dict[str, Any]:
    schema = {"type": "string", "minLength": 1, "pattern": "^[A-Za-z0-9_-]+$"}
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema,
        "description": description,
    }


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema or _TEXT, "description": description}


_API_KEY = _query("api_key", "a client's key (optional when reading; counts against its rate)")
_JURISDICTION = _query("jurisdiction_id", "accepted and ignored: this server has one")

_LIST_PARAMETERS = [
    _FORMAT,
    _query("service_request_id", "tracking numbers, comma-separated; overrides the other filters"),
    _query("service_code", "service codes, comma-separated"),
    _query(
        "status",
        "open or closed (or both, comma-separated)",
        {"type": "string", "pattern": "^(open|closed)(,(open|closed))?$"},
    ),
    _query(
        "start_date",
        "W3C datetime: requested at or after",
        {"type": "string", "format": "date-time"},
    ),
    _query(
        "end_date",
        "W3C datetime: requested at or before",
        {"type": "string", "format": "date-time"},
    ),
    _query("page", "page number, from 1", {"type": "integer", "minimum": 1, "maximum": 100000}),
    _query(
        "page_size",
        f"requests per page, at most {MAX_RESULTS} (the default)",
        {"type": "integer", "minimum": 1, "maximum": MAX_RESULTS},
    ),
    _API_KEY,
    _JURISDICTION,
]

_FILING = {
    "type": "object",
    "required": ["api_key", "service_code", "description"],
    "properties": {
        "api_key": _TEXT,
        "service_code": _TEXT,
        "description": {"type": "string", "description": "30 to 2,500 characters, 5 words or more"},
        "lat": {"type": "number"},
        "long": {"type": "number"},
        "address_string": _TEXT,
        "first_name": _TEXT,
        "last_name": _TEXT,
        "phone": _TEXT,
        "email": {"type": "string", "description": "accepted and not kept"},
        "attribute[kind]": {"enum": ["pengaduan", "aspirasi", "informasi"]},
        "attribute[privacy]": {"enum": ["biasa", "anonim", "rahasia"]},
    },
}


FILING_EXAMPLE = {
    "api_key": "YOUR_API_KEY",
    "service_code": "jalan",
    "description": "Jalan di depan pasar Belawan berlubang besar dan tergenang setiap hujan.",
    "lat": 3.7781,
    "long": 98.6832,
    "attribute[kind]": "pengaduan",
    "attribute[privacy]": "anonim",
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Sigap Open311 GeoReport v2",
            "version": "2",
            "description": "Public complaints of the units served by Sigap. Rahasia complaints "
            "are never listed; nobody's name, username, Telegram id, phone or email is returned.",
        },
        "paths": {
            "/open311/discovery.{format}": {
                "get": {
                    "summary": "Open311 Service Discovery: the endpoint and where to get a key",
                    "parameters": [_FORMAT],
                    "responses": {"200": _answer("discovery", _DISCOVERY), **_errors(404)},
                }
            },
            "/open311/v2/services.{format}": {
                "get": {
                    "summary": "The services (complaint categories)",
                    "parameters": [_FORMAT, _JURISDICTION],
                    "responses": {
                        "200": _answer("services", {"type": "array", "items": _SERVICE}),
                        **_errors(404),
                    },
                }
            },
            "/open311/v2/services/{service_code}.{format}": {
                "get": {
                    "summary": "A service's attributes (kind, privacy)",
                    "parameters": [_path("service_code", "a service code"), _FORMAT, _JURISDICTION],
                    "responses": {"200": _answer("the definition", _DEFINITION), **_errors(404)},
                }
            },
            "/open311/v2/requests.{format}": {
                "get": {
                    "summary": "Public service requests, newest first",
                    "parameters": _LIST_PARAMETERS,
                    "responses": {
                        "200": _answer("requests", {"type": "array", "items": _REQUEST}),
                        **_errors(400, 403, 404, 429),
                    },
                },
                "post": {
                    "summary": "File a complaint (it reaches the unit's desk as from the chat)",
                    "parameters": [_FORMAT],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/x-www-form-urlencoded": {
                                "schema": _FILING,
                                "example": FILING_EXAMPLE,
                            }
                        },
                    },
                    "responses": {
                        "201": _answer("filed", _CREATED),
                        **_errors(400, 403, 404, 429),
                    },
                },
            },
            "/open311/v2/requests/{service_request_id}.{format}": {
                "get": {
                    "summary": "One public request by its tracking number",
                    "parameters": [
                        _path("service_request_id", "the tracking number, e.g. BLW-2611-0042"),
                        _FORMAT,
                        _API_KEY,
                        _JURISDICTION,
                    ],
                    "responses": {
                        "200": _answer("the request", {"type": "array", "items": _REQUEST}),
                        **_errors(403, 404, 429),
                    },
                }
            },
        },
    }
