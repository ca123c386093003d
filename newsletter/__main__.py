"""The `newsletter` command (also `python -m newsletter`)."""

import gc
import os
import sys

GC_THRESHOLD = 100_000


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
    """Run the CLI; a build asked to inline in a worker starts it first, before the CLI's own imports.

    The collector runs after every 100,000 new objects instead of 700: loading the modules creates about
    60,000 that are never garbage, and a single build then needs no collection at all (a build --all or a
    preview still collects, so memory stays bounded).
    """
    gc.set_threshold(GC_THRESHOLD, 10, 10)
    from newsletter import cache, compile_cache

    compile_cache.install(cache.folder(None, "compiled") / f"{sys.implementation.cache_tag}.bin")
    if (_command(sys.argv[1:]) == "build" and "--all" not in sys.argv  # --all builds in worker processes
            and os.environ.get("NEWSLETTER_INLINE_WORKER") == "1"):
        from newsletter.render.inline import start_background_inliner

        start_background_inliner()
    from newsletter.cli import cli

    try:
        cli()
    except SystemExit as exc:
        _exit(exc.code)
    _exit(0)


def _exit(code: object) -> None:
    """End the process now: run the exit handlers, flush the streams, skip the interpreter's teardown.

    The teardown frees every object one by one (tens of milliseconds after a build) for a process that
    is about to be gone; what it does that matters (atexit handlers, flushing) is done here.
    """
    threading = sys.modules.get("threading")  # never imported: no other thread can exist
    if threading is not None and threading.active_count() > 1:
        sys.exit(code)  # a thread still running gets the normal shutdown, which joins it
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            status = status or 120  # what the interpreter's own shutdown returns when a flush fails
    os._exit(status)


if __name__ == "__main__":
    main()
