"""The `newsletter` command (also `python -m newsletter`)."""

import sys


def main() -> None:
    """Run the CLI; a build starts its CSS-inlining worker first, before the CLI's own imports."""
    if "build" in sys.argv[1:]:
        from newsletter.render.inline import start_background_inliner

        start_background_inliner()
    from newsletter.cli import cli

    cli()


if __name__ == "__main__":
    main()
