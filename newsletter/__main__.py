"""Allow `python -m newsletter`."""

from newsletter.cli import cli

cli()
