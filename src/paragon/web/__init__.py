"""The web: a public accountability site, an analyst dashboard and admin pages (FastAPI, Jinja2,
htmx, vendored Vega-Lite and MapLibre GL). Build the app with ``paragon.web.app.create_app``."""
