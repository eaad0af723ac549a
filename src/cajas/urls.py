from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links: send them to ours (its hashed
    name changes with each release, hence a temporary redirect cached for a day)."""
    response = HttpResponseRedirect(static("cajas/favicon.svg"))
    response["Cache-Control"] = "max-age=86400"
    return response


urlpatterns = [
    path("favicon.ico", favicon),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("cajas.api.urls")),
    path("", include("cajas.web.urls")),
]

handler400 = "cajas.web.errors.bad_request"
handler403 = "cajas.web.errors.permission_denied"
handler404 = "cajas.web.errors.page_not_found"
handler500 = "cajas.web.errors.server_error"
