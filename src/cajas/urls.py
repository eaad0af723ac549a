from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("cajas.web.urls")),
]

handler403 = "cajas.web.errors.permission_denied"
handler404 = "cajas.web.errors.page_not_found"
