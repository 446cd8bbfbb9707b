"""Serving concerns kept out of app.py and the callbacks: the background job manager and its store."""
