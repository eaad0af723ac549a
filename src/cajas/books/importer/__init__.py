"""Import a caja's book: ``book_import(document)``, ``book_parse(bytes)`` (see ``driver``)."""

from cajas.books.format import ImportErrors, book_parse
from cajas.books.importer.driver import DATABASE_REFUSED, book_import, book_import_file

__all__ = ["DATABASE_REFUSED", "ImportErrors", "book_import", "book_import_file", "book_parse"]
