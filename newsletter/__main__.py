"""Allow `python -m newsletter`."""

from newsletter.cli import cli

if __name__ == "__main__":
    cli()
