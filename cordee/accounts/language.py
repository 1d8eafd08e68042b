"""The interface language of an account: French by default, English available."""

from django.conf import settings


def supported_language(language: str | None) -> str:
    """One of settings.LANGUAGES for any language code ('en-gb' gives 'en'); the default otherwise."""
    codes = dict(settings.LANGUAGES)
    if language:
        for candidate in (language, language.split("-")[0]):
            if candidate in codes:
                return candidate
    return settings.LANGUAGE_CODE


def language_cookie_set(response, language: str):
    """Remember the language in the cookie Django's LocaleMiddleware reads on the next requests."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
