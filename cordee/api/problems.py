"""Errors of the API as RFC 9457 problem details (`application/problem+json`)."""

from django.http import JsonResponse

PROBLEM_TYPE_BASE = "https://cordee.app/problems/"

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    413: "Content too large",
    422: "Unprocessable content",
    429: "Too many requests",
}


def problem_response(
    request, *, status: int, code: str, detail: str = "", errors=None, headers=None
) -> JsonResponse:
    body = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors is not None:
        body["errors"] = errors
    response = JsonResponse(body, status=status, content_type="application/problem+json")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def django_validation_errors(error) -> list[dict]:
    """A Django ValidationError from a service as a list of {field, message}."""
    if hasattr(error, "error_dict"):
        return [
            {"field": field, "message": str(message)}
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    return [{"field": None, "message": str(message)} for message in error.messages]
