"""Routers by feature: public pages, area pages, sign-in, analyst pages and admin pages."""
