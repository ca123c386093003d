"""Build email newsletters from folders of plain story files."""

__version__ = "0.1.0"
