"""Reading input files and writing outputs safely (no heavy imports).

- :func:`read_text`: a file's text, or a one-line :class:`ConfigError` naming the file (missing,
  unreadable, a folder, binary / not UTF-8, name too long).
- :func:`load_yaml`: YAML through a ``SafeLoader`` subclass that refuses a
  key repeated in one mapping, naming the key and both lines), errors as one line with the
  file and line.
- :func:`atomic_write`: write to a temporary file beside the target and rename it over the
  target, so a failure (full disk, a signal) never leaves a half-written output.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = [
    "atomic_write",
    "atomic_write_many",
    "load_yaml",
    "read_text",
    "safe_load",
    "safe_load_file",
    "yaml_loads",
]


def read_text(path: str | Path, what: str = "file") -> str:
    """The UTF-8 text of ``path`` (``what`` names it in errors, e.g. ``"campaign spec"``)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{what} {_short(p)} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"{what} {_short(p)} is a folder, not a file") from None
    except OSError as exc:
        raise ConfigError(f"{what} {_short(p)} cannot be read: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{what} {_short(p)}: not a UTF-8 text file (byte {exc.start}, line {line})"
        ) from None


def _short(p: Path) -> str:
    text = str(p)
    return repr(text if len(text) <= 120 else text[:60] + "..." + text[-40:])


def _unique_mapping(loader: Any, node: Any, deep: bool = False) -> Any:
    import yaml

    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, f"a mapping key must be a plain value, not {key!r}", key_node.start_mark
            ) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first on line {seen[key]})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line + 1
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


def _make_loader() -> type:
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        """``yaml.SafeLoader`` that refuses duplicate keys in a mapping."""

    UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_mapping)
    return UniqueKeyLoader


_LOADER: type | None = None


def _loader() -> type:
    global _LOADER
    if _LOADER is None:
        _LOADER = _make_loader()
    return _LOADER


def yaml_loads(text: str, source: str = "YAML") -> Any:
    """Parse YAML ``text`` (duplicate keys refused); ConfigError ``"<source>: ... (line n)"``."""
    import yaml

    try:
        return yaml.load(text, Loader=_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{source}: not valid YAML{where}: {problem}") from None
    except (RecursionError, ValueError, OverflowError) as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None


def load_yaml(path: str | Path, what: str = "file") -> Any:
    """Read and parse the YAML file ``path`` (see :func:`read_text`, :func:`yaml_loads`)."""
    return yaml_loads(read_text(path, what), source=str(path))


def atomic_write(path: str | Path, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file renamed over it.

    The temporary file is in the same folder (the rename is atomic on POSIX) and is removed
    when anything fails; the ``OSError`` is then raised again, for the caller's message.
    """
    return atomic_write_many([(path, data)])[0]


def atomic_write_many(items: list[tuple[str | Path, str | bytes]]) -> list[Path]:
    """Write several files all or none (as far as the file system allows).

    Every payload is first written to a temporary file beside its target; only when all of
    them are written are they renamed over their targets. A failure while writing (a missing
    or unwritable folder, a full disk) removes the temporary files and leaves every target as
    it was; the ``OSError`` is raised again for the caller's message, with the target it was
    writing as its ``target`` attribute.
    """
    staged: list[tuple[str, Path]] = []
    p = Path(".")
    try:
        for path, data in items:
            p = Path(path)
            if p.is_dir():  # the rename would fail after other targets were replaced
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(p))
            mode = "wb" if isinstance(data, bytes) else "w"
            fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent or ".")
            staged.append((tmp, p))
            with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            try:  # the mode a plain open() would give (mkstemp makes it 0600)
                mode_bits = p.stat().st_mode & 0o777
            except OSError:
                umask = os.umask(0)
                os.umask(umask)
                mode_bits = 0o666 & ~umask
            os.chmod(tmp, mode_bits)
        while staged:
            tmp, p = staged[0]
            os.replace(tmp, p)
            staged.pop(0)
    except OSError as exc:
        exc.target = p  # type: ignore[attr-defined]
        raise
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return [Path(path) for path, _ in items]


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` refusing duplicate keys (a ``yaml.YAMLError`` naming key and lines)."""
    import yaml

    return yaml.load(text, Loader=_loader())


def safe_load_file(path: str | Path) -> Any:
    """``yaml.safe_load(Path(path).read_text())`` that refuses duplicate keys and reports a
    binary (not UTF-8) file as a ``yaml.YAMLError`` (OSError for an unreadable file), so the
    callers' existing one-line error branches cover both."""
    import yaml

    data = Path(path).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise yaml.YAMLError(f"not a UTF-8 text file (byte {exc.start}, line {line})") from None
    try:
        return safe_load(text)
    except (RecursionError, OverflowError, ValueError) as exc:
        raise yaml.YAMLError(f"cannot be parsed: {exc}") from None
