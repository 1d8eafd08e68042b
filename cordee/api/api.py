"""The REST API under /api/v1/: token authentication, problem details, cursor pages and ETags."""

import hashlib
import json

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from cordee.api.problems import django_validation_errors, problem_response
from cordee.api.services.tokens import access_token_authenticate
from cordee.core.ratelimit import ratelimit_hit

DEFAULT_PAGE_SIZE = 30
MAX_PAGE_SIZE = 300
CURSOR_SALT = "cordee.api.cursor"


class RateLimited(Exception):
    pass


class ReadOnlyToken(Exception):
    pass


class BadCursor(Exception):
    pass


class BillingScopeMissing(Exception):
    pass


class TokenAuth(HttpBearer):
    """`Authorization: Bearer cordee_…`: the token's collective and owner become the request's."""

    def authenticate(self, request, token):
        found = access_token_authenticate(token)
        if found is None:
            return None
        access_token, membership = found
        if not ratelimit_hit("api-token", str(access_token.pk), settings.API_RATE_LIMIT_PER_MINUTE, 60):
            raise RateLimited
        request.api_token = access_token
        request.membership = membership
        request.collective = membership.collective
        request.user = access_token.user
        return access_token


class CordeeApi(NinjaAPI):
    def get_openapi_operation_id(self, operation) -> str:
        """Operation ids from the view names (`tasks_list`), so that generated clients read well."""
        return operation.view_func.__name__.removesuffix("_endpoint")


api = CordeeApi(
    title="Cordée API",
    version="1",
    description=(
        "Read and write a collective's data. Authenticate with a personal access token "
        "(`Authorization: Bearer cordee_…`), created on the collective's API page. Lists are paginated by "
        "cursor (`next_cursor`), filter with `updated_since` where offered, and carry an ETag. Errors are "
        "RFC 9457 problem details.\n\n"
        "**Billing** (the `billing` tag: invoices, quotes, payments, revenue splits) needs the `billing:read` "
        "scope, ticked when the token is created (off by default, and off for tokens created before it "
        "existed): without it these operations answer 403 `missing-scope`. With it, a token reads the billing "
        "its owner may read on the pages, no more: an admin of the collective reads all of it; another "
        "member the client invoices, quotes, payments and splits of the missions they lead or work on, and "
        "the invoices their business issued or received. Bank details (IBAN, BIC, account holder) of an "
        "invoice between two members' businesses are blank unless the token's owner administers that "
        "party's account, and its PDF and XML are then not served (404); a client's invoice shows the "
        "seller's bank details printed on it."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url=None,
)


def require_write(request) -> None:
    if not request.api_token.can_write:
        raise ReadOnlyToken


def require_billing(request) -> None:
    """The `billing:read` scope: billing's resources answer 403 without it."""
    if not request.api_token.can_read_billing:
        raise BillingScopeMissing


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, error):
    return problem_response(
        request,
        status=401,
        code="unauthenticated",
        detail=_("A valid access token is required (Authorization: Bearer …)."),
        headers={"WWW-Authenticate": 'Bearer realm="cordee"'},
    )


@api.exception_handler(RateLimited)
def _rate_limited(request, error):
    return problem_response(
        request,
        status=429,
        code="rate-limited",
        detail=_("Too many requests with this token: wait a minute."),
        headers={"Retry-After": "60"},
    )


@api.exception_handler(ReadOnlyToken)
def _read_only(request, error):
    return problem_response(
        request,
        status=403,
        code="read-only-token",
        detail=_("This token can only read: create a read-write one."),
    )


@api.exception_handler(BillingScopeMissing)
def _billing_scope_missing(request, error):
    return problem_response(
        request,
        status=403,
        code="missing-scope",
        detail=_(
            "This token may not read billing: create a token with the billing:read scope "
            "(“Also read billing”) on the collective's API page."
        ),
    )


@api.exception_handler(PermissionDenied)
def _forbidden(request, error):
    return problem_response(
        request, status=403, code="forbidden", detail=str(error) or _("You may not do that here.")
    )


@api.exception_handler(Http404)
def _not_found(request, error):
    return problem_response(request, status=404, code="not-found", detail=_("Nothing here with that id."))


@api.exception_handler(BadCursor)
def _bad_cursor(request, error):
    return problem_response(
        request,
        status=400,
        code="invalid-cursor",
        detail=_("This cursor is not one the API gave for this list."),
    )


@api.exception_handler(NinjaValidationError)
def _invalid_request(request, error):
    errors = [
        {
            "field": ".".join(str(part) for part in item.get("loc", ())[1:]) or None,
            "message": item.get("msg", ""),
        }
        for item in error.errors
    ]
    return problem_response(
        request,
        status=422,
        code="invalid-request",
        detail=_("The request does not match the schema."),
        errors=errors,
    )


@api.exception_handler(DjangoValidationError)
def _invalid_data(request, error):
    return problem_response(
        request,
        status=422,
        code="invalid-data",
        detail=_("The data breaks a rule: see errors."),
        errors=django_validation_errors(error),
    )


@api.exception_handler(RequestDataTooBig)
def _too_large(request, error):
    return problem_response(request, status=413, code="too-large", detail=_("The request body is too large."))


@api.exception_handler(HttpError)
def _http_error(request, error):
    return problem_response(request, status=error.status_code, code="error", detail=str(error))


def form_errors(form) -> DjangoValidationError:
    """A form's errors as a ValidationError by field, for the problem details."""
    return DjangoValidationError(
        {field or "non_field_errors": list(messages) for field, messages in form.errors.items()}
    )


def _cursor_after(request, cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        data = signing.loads(cursor, salt=CURSOR_SALT)
    except signing.BadSignature as error:
        raise BadCursor from error
    if (
        not isinstance(data, dict)
        or data.get("path") != request.path
        or not isinstance(data.get("after"), int)
    ):
        raise BadCursor
    return data["after"]


def page(request, queryset, schema, *, limit: int, cursor: str | None) -> HttpResponse:
    """One page of `queryset` in id order after the cursor, with an ETag; 304 when the client has it."""
    after = _cursor_after(request, cursor)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    rows = list(queryset.filter(pk__gt=after).order_by("pk")[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = (
        signing.dumps({"path": request.path, "after": rows[-1].pk}, salt=CURSOR_SALT) if has_more else None
    )
    body = {
        "items": [schema.from_orm(row).model_dump(mode="json") for row in rows],
        "next_cursor": next_cursor,
    }
    return etag_response(request, body)


def etag_response(request, body) -> HttpResponse:
    content = json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False).encode()
    etag = '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
    if etag in [value.strip() for value in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(content, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


def created(body) -> JsonResponse:
    return JsonResponse(body, status=201, encoder=DjangoJSONEncoder)
