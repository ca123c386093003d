"""The `newsletter` command (also `python -m newsletter`)."""

import sys


def _command(args: list[str]) -> str:
    """Return the command word of a command line, skipping the global options before it."""
    rest = iter(args)
    for arg in rest:
        if arg == "--root":
            next(rest, None)
        elif not arg.startswith("-"):
            return arg
    return ""


def main() -> None:
    """Run the CLI; a build starts its CSS-inlining worker first, before the CLI's own imports."""
    if _command(sys.argv[1:]) == "build":
        from newsletter.render.inline import start_background_inliner

        start_background_inliner()
    from newsletter.cli import cli

    cli()


if __name__ == "__main__":
    main()
