"""Laotie: an open-source platform for live-stream and short-video commerce."""

__version__ = "0.1.0"
