"""Open a finding's file at its line in the editor's own editor: `[preview] editor`, else $EDITOR."""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from newsletter.config import Settings

# Editors that run inside a terminal: the preview has none to give them (it would take over its own).
TERMINAL_ONLY = {"vi", "vim", "nvim", "nano", "pico", "micro", "hx", "helix", "kak", "ed", "joe", "ne", "mg",
                 "jed", "mcedit", "emacs-nox"}
# How editors that do not take a `{path}`/`{line}` template are told to go to a line.
_GOTO_FAMILIES = (
    (("code", "code-insiders", "codium", "vscodium", "cursor", "windsurf"), ("--goto", "{path}:{line}")),
    (("subl", "sublime_text", "zed", "atom", "lapce", "pulsar"), ("{path}:{line}",)),
    (("gvim", "mvim", "emacs", "emacsclient", "gedit", "gnome-text-editor", "mousepad", "pluma", "xed"),
     ("+{line}", "{path}")),
    (("kate", "kwrite", "idea", "pycharm", "charm", "webstorm", "phpstorm", "clion", "goland", "rubymine"),
     ("--line", "{line}", "{path}")),
)
_GOTO = {name: arguments for names, arguments in _GOTO_FAMILIES for name in names}


@dataclass(frozen=True)
class Editor:
    """The command that opens a file at a line, or why there is none."""

    command: tuple[str, ...] = ()
    note: str = ""

    @property
    def available(self) -> bool:
        """Return True when files can be opened."""
        return bool(self.command)

    @property
    def name(self) -> str:
        """Return the editor's program name."""
        return Path(self.command[0]).name if self.command else ""

    def arguments(self, path: Path, line: int) -> list[str]:
        """Return the command line that opens path at line."""
        words = list(self.command)
        template = [w for w in words if "{path}" in w or "{line}" in w]
        if not template:
            words += _GOTO.get(Path(words[0]).name, ("{path}",))
        return [w.replace("{path}", str(path)).replace("{line}", str(line)) for w in words]


def find_editor(settings: Settings) -> Editor:
    """Return the editor from `[preview] editor` or $EDITOR."""
    configured = settings.preview.editor
    text = configured or os.environ.get("EDITOR", "")
    where = "[preview] editor" if configured else "$EDITOR"
    if not text.strip():
        return Editor(note="set `editor` in [preview] (or $EDITOR) to open files from the preview")
    try:
        words = tuple(shlex.split(text))
    except ValueError as exc:
        return Editor(note=f"{where} cannot be read as a command: {exc}")
    if not words:
        return Editor(note=f"{where} is empty")
    if Path(words[0]).name in TERMINAL_ONLY and "-g" not in words:
        return Editor(note=f"{where} is {Path(words[0]).name}, which needs a terminal; set [preview] editor to "
                           "an editor with a window, such as \"code\" or \"gvim\"")
    return Editor(words)


def open_in_editor(editor: Editor, root: Path, name: str, line: int) -> str:
    """Open a file of the publication at a line; return '' or what went wrong. Only files inside root open."""
    if not editor.available:
        return editor.note
    try:
        path = (root / name).resolve()
    except (OSError, ValueError):
        return "not a file of the publication"
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        return "not a file of the publication"
    try:
        subprocess.Popen(editor.arguments(path, max(1, line)), cwd=root, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        return f"cannot start {editor.name}: {exc.strerror or exc}"
    return ""
