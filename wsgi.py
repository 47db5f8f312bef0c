"""WSGI entry point: ``gunicorn wsgi:app`` (see gunicorn.conf.py)."""

from tracker import create_app

app = create_app()
