"""Spanish unless the user chose English: the browser's Accept-Language is ignored, because
most phones in the program are set to English or Portuguese by default while their owners
read Spanish.

The API (``/api/``) is called by scripts, not phones: there a request may ask for its
language with ``Accept-Language`` (its first ``es`` or ``en``); the cookie, when sent, wins."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

API_PREFIX = "/api/"


class ChosenLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if not chosen and request.path_info.startswith(API_PREFIX):
            chosen = self.asked(request.headers.get("Accept-Language", ""))
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response

    def asked(self, header: str) -> str:
        """The first available language ``Accept-Language`` names (weights aside), or ""."""
        for part in header[:200].split(","):
            code = part.split(";")[0].strip().lower()[:2]
            if code in self.available:
                return code
        return ""
