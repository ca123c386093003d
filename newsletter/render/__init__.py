"""Rendering stages: templates -> MJML -> HTML -> inlined HTML, and plain text."""
