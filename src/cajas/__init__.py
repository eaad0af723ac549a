"""Cajas: bookkeeping and program monitoring for community savings-and-credit groups."""

__version__ = "0.1.0"
