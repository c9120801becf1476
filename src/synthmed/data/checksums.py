"""MD5 of data files, memoised per (path, size, mtime) so a large file is hashed once per process."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path


@functools.lru_cache(maxsize=256)
def _md5(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def md5sum(path: str | Path) -> str:
    """Hex MD5 of the file at ``path``."""
    st = Path(path).stat()
    return _md5(str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
