"""The service's error vocabulary. Each error knows its HTTP status; the API maps them in one place.

The table (also in the README):

| kind                 | status | when                                                                  |
|----------------------|--------|-----------------------------------------------------------------------|
| invalid_request      | 400    | a parameter has a value we cannot serve (beam too large, bad code)    |
| unsupported_language | 400    | no model, fallback or pivot serves the language pair                  |
| validation           | 422    | the request does not match the schema (missing field, wrong type)     |
| payload_too_large    | 413    | a text, the text count or the request is over a configured limit      |
| overloaded           | 429    | the wait queue is full; Retry-After says when to try again            |
| busy                 | 503    | queueing is off and every slot is busy; Retry-After                   |
| model_unavailable    | 503    | the model could not be downloaded or loaded (retried next request)    |
| shutting_down        | 503    | the process is draining after SIGTERM                                 |
| timeout              | 504    | the request passed TRANSLATE_TIMEOUT_SEC                              |
| backend_error        | 500    | the model failed while translating (details only in the log)          |
| unauthorized         | 401    | API_KEYS is set and the request has no key or a wrong one             |
| query_too_long       | 414    | the query string is over MAX_QUERY_STRING_BYTES                       |
| out_of_memory        | 503    | the model ran out of memory loading or translating; it was released   |
| internal             | 500    | anything unexpected (details only in the log)                         |
"""

from __future__ import annotations


class ServiceError(Exception):
    """Base of every error the service answers deliberately."""

    status_code: int = 500
    kind: str = "internal"

    def __init__(self, detail: str, *, retry_after_s: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after_s = retry_after_s


class InvalidRequest(ServiceError):
    status_code = 400
    kind = "invalid_request"


class UnsupportedLanguage(ServiceError):
    status_code = 400
    kind = "unsupported_language"


class PayloadTooLarge(ServiceError):
    status_code = 413
    kind = "payload_too_large"


class Overloaded(ServiceError):
    status_code = 429
    kind = "overloaded"


class Busy(ServiceError):
    status_code = 503
    kind = "busy"


class ModelUnavailable(ServiceError):
    status_code = 503
    kind = "model_unavailable"


class ShuttingDown(ServiceError):
    status_code = 503
    kind = "shutting_down"


class TranslationTimeout(ServiceError):
    status_code = 504
    kind = "timeout"


class BackendFailure(ServiceError):
    status_code = 500
    kind = "backend_error"


class Unauthorized(ServiceError):
    status_code = 401
    kind = "unauthorized"


class QueryTooLong(ServiceError):
    status_code = 414
    kind = "query_too_long"


class OutOfMemory(ServiceError):
    status_code = 503
    kind = "out_of_memory"


ERROR_TABLE: tuple[type[ServiceError], ...] = (
    InvalidRequest,
    UnsupportedLanguage,
    PayloadTooLarge,
    Overloaded,
    Busy,
    ModelUnavailable,
    ShuttingDown,
    TranslationTimeout,
    BackendFailure,
    Unauthorized,
    QueryTooLong,
    OutOfMemory,
)
