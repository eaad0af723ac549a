"""Static files with hashed, compressed names (``app.3f2a….css``, ``.gz``, ``.br``), so whitenoise
can serve them with ``Cache-Control: max-age=…, immutable``: a phone on a slow connection
downloads the stylesheet once per release.

``cajas collectstatic`` writes them (the demo command runs it). Where it has not run (a fresh
clone started some other way, the tests) a static URL falls back to the plain name, which
whitenoise serves from the app folders with a short max-age, instead of failing every page the
way Django's strict manifest does."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False

    def stored_name(self, name: str) -> str:
        try:
            return str(super().stored_name(name))
        except ValueError:  # not collected: no manifest entry and no file in STATIC_ROOT
            return name
