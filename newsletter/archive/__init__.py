"""The web archive: one page per issue, an index, an Atom feed and the images, as a static site."""

from newsletter.archive.site import ArchiveReport, build_archive

__all__ = ["ArchiveReport", "build_archive"]
