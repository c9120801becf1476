"""A content-addressed cache for expensive results (trained models, samples, embeddings, metric tables).

A result is stored under a key derived from everything that determines it: a name, the parameters, the code that
computes it, the MD5 of the data files and the seed. The code part is derived automatically (:func:`step_version`):
the source of the step's ``compute`` function and of every ``synthmed`` module it references, directly or through
their imports, transitively; nobody writes module lists by hand, so an edit to any code a step runs changes its key,
and an edit to code it does not reach (a table, a plot, an evaluation done in a separate step) does not. A rebuild
with nothing changed loads every
result instead of recomputing it; changing any of those parts changes the key. Writes are atomic (temp file, then
``os.replace``), so an interrupted run never leaves a half-written entry. Long computations may checkpoint to
:func:`checkpoint_path` and resume from it.

Environment:

- ``SYNTHMED_CACHE_DIR``: where entries live (default ``~/.cache/synthmed``).
- ``SYNTHMED_RECOMPUTE``: ``1``/``all`` recomputes everything; a comma-separated list of names recomputes those.
- ``SYNTHMED_CACHE_LOG``: a file to which every hit and miss is appended as a JSON line (the runner sets it in the
  kernel's environment and reads it back).

Each entry keeps the seconds its computation took beside it (``<key>.json``, :func:`recorded_seconds`), so a hit
reports what the step cost when it was computed (``compute_s``) as well as what loading it took (``seconds``): the
Compute page adds these up into what the book costs from scratch. An event logged while another step computes
(a step its computation calls, in this process or in the executor's workers) is marked ``nested``, since the
outer step's seconds include it.

The executor passes a run's cache folder explicitly and collects its events with :func:`recording` (a scope, not an
environment variable): inside it, :func:`cache_dir` is the scope's folder and events go to the scope's list.
"""

from __future__ import annotations

import ast
import contextlib
import contextvars
import dataclasses
import functools
import hashlib
import inspect
import json
import os
import sys
import tempfile
import time
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import torch

from synthmed.context import environment

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class _Scope:
    root: Path | None
    events: list[dict]


# The innermost :func:`recording` block of this thread of control (None outside every block).
_SCOPE: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("synthmed_cache_scope", default=None)


def cache_dir() -> Path:
    """The cache root: the folder of the enclosing :func:`recording` block when it names one, else
    ``$SYNTHMED_CACHE_DIR``, else ``~/.cache/synthmed``."""
    scope = _SCOPE.get()
    if scope is not None and scope.root is not None:
        return scope.root
    return Path(environment("SYNTHMED_CACHE_DIR") or Path.home() / ".cache" / "synthmed")


def event_log() -> Path | None:
    """The file every cache event is appended to outside a :func:`recording` block: ``$SYNTHMED_CACHE_LOG``, or
    None when it is unset (set by the runner in the environment of the kernel it starts)."""
    text = environment("SYNTHMED_CACHE_LOG")
    return Path(text) if text else None


@contextlib.contextmanager
def recording(root: str | os.PathLike | None = None) -> Iterator[list[dict]]:
    """Within the block, cached steps use ``root`` as the cache folder (None: :func:`cache_dir` as it is outside
    the block) and append their events ({"event": "hit" | "miss", "name", "key", "seconds"}) to the list this
    yields instead of :func:`event_log`. The executor wraps each run in one, wherever the run executes."""
    outer = _SCOPE.get()
    scope = _Scope(Path(root) if root is not None else outer.root if outer is not None else None, [])
    token = _SCOPE.set(scope)
    try:
        yield scope.events
    finally:
        _SCOPE.reset(token)


def code_version(*objects: Any) -> str:
    """SHA-256 (16 hex digits) of the source files of the modules defining ``objects`` (functions, classes or
    modules). Any edit to those modules changes the version, so cached results of old code are never reused."""
    h = hashlib.sha256()
    files = set()
    for obj in objects:
        module = obj if inspect.ismodule(obj) else sys.modules[obj.__module__]
        files.add(inspect.getsourcefile(module))
    for f in sorted(files):
        h.update(Path(f).read_bytes())
    return h.hexdigest()[:16]


PACKAGE = "synthmed"
# Orchestration modules: they decide where and when a result is stored or run, never what it is, so an edit to them
# must not invalidate every entry.
NOT_HASHED = frozenset({"synthmed.cache", "synthmed.context", "synthmed.executor", "synthmed.executor_base",
                        "synthmed.executor_ray"})


def _in_package(name: str | None) -> bool:
    return bool(name) and (name == PACKAGE or name.startswith(PACKAGE + "."))


@functools.lru_cache(maxsize=None)
def _imports(module_name: str, path: str) -> tuple[str, ...]:
    """The ``synthmed`` modules that ``module_name`` (source file ``path``) imports anywhere in its body, resolved
    to module names (``from synthmed.x import y`` gives ``synthmed.x`` and, when y is a submodule, ``synthmed.x.y``)."""
    tree = ast.parse(Path(path).read_text(), filename=path)
    is_pkg = Path(path).name == "__init__.py"
    base = module_name if is_pkg else module_name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if _in_package(a.name))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = base.split(".")
                parent = ".".join(parts[:len(parts) - node.level + 1])
                mod = f"{parent}.{node.module}" if node.module else parent
            else:
                mod = node.module or ""
            if not _in_package(mod):
                continue
            found.add(mod)
            for a in node.names:
                found.add(f"{mod}.{a.name}")  # kept only if it is a module (checked by the caller)
    return tuple(sorted(found))


@functools.lru_cache(maxsize=None)
def _module_file(name: str) -> str | None:
    """The source file of module ``name`` (None when it is not a module). Found from the module's spec, without
    executing a module that is not loaded yet (importing ``synthmed.metrics.fid`` to hash it would pull in
    torch-fidelity, seconds on every rebuild); memoised, as a module's file does not move within a process."""
    module = sys.modules.get(name)
    if module is not None:
        try:
            return inspect.getsourcefile(module)
        except TypeError:
            return None
    import importlib.util

    parent = name.rpartition(".")[0]
    if parent and not str(_module_file(parent) or "").endswith("__init__.py"):
        return None  # "synthmed.x.function": find_spec would import synthmed.x to look for a submodule
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):  # "synthmed.x.function": its parent is a module, not a package
        return None
    if spec is None or not spec.has_location or not str(spec.origin).endswith(".py"):
        return None
    return spec.origin


def _module_closure(names: set[str]) -> dict[str, str]:
    """{module name: source file} for ``names`` and every synthmed module they import, transitively."""
    files: dict[str, str] = {}
    todo = sorted(names)
    while todo:
        name = todo.pop()
        if name in files or not _in_package(name) or name in NOT_HASHED:
            continue
        path = _module_file(name)
        if path is None:  # "from synthmed.x import function": not a module
            continue
        files[name] = path
        todo.extend(n for n in _imports(name, path) if n not in files)
    return files


@functools.lru_cache(maxsize=None)
def _source(code: types.CodeType) -> str:
    """The source text of a function's code object (its bytecode in hex when the source is not available).
    Memoised by code object: every call of a step builds a new closure around the same code, and
    :func:`inspect.getsource` tokenises the file each time (a warm rebuild derives hundreds of step keys). The code
    that runs is the code object's, so its source cannot change while the object lives."""
    try:
        return inspect.getsource(code)
    except (OSError, TypeError):
        return code.co_code.hex()


def _referenced(fn: Callable) -> tuple[set[str], dict[str, str]]:
    """What a step reaches: (synthmed module names to hash whole, {qualified name: source} of synthmed functions).

    Functions are followed at function level: the step's own source, and recursively every synthmed function it
    names (as a global, a closure value, a default or through functools.partial). A synthmed *module* it names
    (``training.train_classifier``) or a synthmed *class* it names or holds an instance of is hashed as a whole
    file, with the modules that file imports. Dataclass instances are parameters (their fields belong in
    ``params``), so their class's module is not pulled in.
    """
    modules: set[str] = set()
    functions: dict[str, str] = {}
    seen: set[int] = set()

    def visit_function(f: Callable) -> None:
        f = inspect.unwrap(f)
        if inspect.ismethod(f):
            f = f.__func__
        if id(f) in seen or f.__module__ in NOT_HASHED:
            return
        seen.add(id(f))
        code = getattr(f, "__code__", None)
        if code is None:
            return
        functions[f"{f.__module__}.{f.__qualname__}"] = _source(code)
        visit_code(code, f.__globals__)
        for cell in f.__closure__ or ():
            try:
                visit_value(cell.cell_contents)
            except ValueError:  # an empty cell
                pass
        for default in (*(f.__defaults__ or ()), *((f.__kwdefaults__ or {}).values())):
            visit_value(default)

    def visit_value(value: Any) -> None:
        if inspect.ismodule(value):
            if _in_package(value.__name__):
                modules.add(value.__name__)
        elif isinstance(value, functools.partial):
            visit_value(value.func)
            for v in (*value.args, *value.keywords.values()):
                visit_value(v)
        elif inspect.isfunction(value) or inspect.ismethod(value):
            if _in_package(getattr(value, "__module__", None)):
                visit_function(value)
        elif inspect.isclass(value):
            if _in_package(value.__module__):
                modules.add(value.__module__)
        elif isinstance(value, (list, tuple)):
            for v in value:
                visit_value(v)
        elif _in_package(type(value).__module__) and not dataclasses.is_dataclass(value):
            modules.add(type(value).__module__)

    def visit_code(code: types.CodeType, globals_: dict) -> None:
        if id(code) in seen:
            return
        seen.add(id(code))
        for name in code.co_names:
            if name in globals_:
                visit_value(globals_[name])
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                visit_code(const, globals_)

    visit_value(fn)
    return modules, functions


def _reach(fn: Callable, extra: tuple[Any, ...]) -> tuple[dict[str, str], dict[str, str]]:
    modules, functions = _referenced(fn)
    for obj in extra:
        modules.add(obj.__name__ if inspect.ismodule(obj) else obj.__module__)
    return _module_closure(modules), functions


def step_version(fn: Callable, *extra: Any) -> str:
    """SHA-256 (16 hex digits) of everything a cached step runs: the source of ``fn`` and of every synthmed
    function it calls (recursively), and the source files of every synthmed module or class it uses, with the
    synthmed modules those files import, transitively (see :func:`_referenced`); ``extra`` adds further objects'
    modules. Editing any of that changes the version; editing code the step never reaches does not."""
    files, functions = _reach(fn, extra)
    h = hashlib.sha256()
    for name in sorted(functions):
        h.update(name.encode())
        h.update(functions[name].encode())
    for name in sorted(files):
        h.update(name.encode())
        h.update(Path(files[name]).read_bytes())
    return h.hexdigest()[:16]


def step_modules(fn: Callable, *extra: Any) -> list[str]:
    """What :func:`step_version` hashes for ``fn``: the whole modules, then the single functions (for tests and
    for a reader asking why a step was recomputed)."""
    files, functions = _reach(fn, extra)
    return sorted(files) + sorted(f"function {f}" for f in functions)


def _canonical(value: Any) -> Any:
    """A JSON-serialisable stand-in for a parameter value that is stable across runs."""
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, torch.Tensor):
        return {"tensor_sha256": hashlib.sha256(value.detach().cpu().contiguous().numpy().tobytes()).hexdigest(),
                "shape": list(value.shape), "dtype": str(value.dtype)}
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return _canonical(value.tolist())
    raise TypeError(f"cache parameter of type {type(value).__name__} cannot be hashed; pass plain data")


def cache_key(name: str, *, params: Mapping[str, Any], code: Sequence[Any] = (), data_md5: Sequence[str] = (),
              seed: int | None = None, version: str = "") -> str:
    """The hex key (24 digits) of one result: hashes name, params, code version(s), data MD5s and seed.
    version: a :func:`step_version` (what :func:`cached` passes); code: further objects for :func:`code_version`."""
    payload = {"name": name, "params": _canonical(params), "code": code_version(*code) if code else "",
               "step": version, "data": list(data_md5), "seed": seed}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:24]


def atomic_save(obj: Any, path: Path) -> None:
    """``torch.save`` to a temporary file in the same folder, then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: Path) -> Any:
    """Load an entry written by :func:`atomic_save` (onto the CPU)."""
    return torch.load(path, map_location="cpu", weights_only=False)


def _forced(name: str) -> bool:
    flag = (environment("SYNTHMED_RECOMPUTE") or "").strip()
    if flag.lower() in {"1", "all", "true", "yes"}:
        return True
    return name in {n.strip() for n in flag.split(",") if n.strip()}


# How many cached steps are computing around this point of the thread of control (0: none).
_DEPTH: contextvars.ContextVar[int] = contextvars.ContextVar("synthmed_cache_depth", default=0)


def inside_step() -> bool:
    """Whether a cached step is being computed around the caller (its events are then ``nested``)."""
    return _DEPTH.get() > 0


def _log(event: str, name: str, key: str, seconds: float, compute_s: float | None = None) -> None:
    record = {"event": event, "name": name, "key": key, "seconds": round(seconds, 3),
              "compute_s": None if compute_s is None else round(compute_s, 3)}
    if inside_step():
        record["nested"] = True
    scope = _SCOPE.get()
    if scope is not None:
        scope.events.append(record)
        return
    log = event_log()
    if log:
        with open(log, "a") as f:
            f.write(json.dumps(record) + "\n")


def entry_path(name: str, key: str) -> Path:
    """Where the entry ``name``/``key`` lives."""
    return cache_dir() / name / f"{key}.pt"


def seconds_path(name: str, key: str) -> Path:
    """Where the seconds the computation of ``name``/``key`` took are kept (beside its entry)."""
    return cache_dir() / name / f"{key}.json"


def recorded_seconds(name: str, key: str) -> float | None:
    """The seconds the stored entry ``name``/``key`` took to compute (None for an entry stored without them)."""
    path = seconds_path(name, key)
    try:
        return float(json.loads(path.read_text())["seconds"])
    except (FileNotFoundError, ValueError, KeyError):
        return None


def _record_seconds(name: str, key: str, seconds: float) -> None:
    path = seconds_path(name, key)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump({"name": name, "seconds": round(seconds, 3)}, f)
    os.replace(tmp, path)


def checkpoint_path(name: str, key: str) -> Path:
    """Where a long computation of ``name``/``key`` keeps its resumable checkpoint (removed once it finishes)."""
    return cache_dir() / name / f"{key}.ckpt"


def step_key(name: str, compute: Callable[..., Any], *, params: Mapping[str, Any], code: Sequence[Any] = (),
             data_md5: Sequence[str] = (), seed: int | None = None) -> str:
    """The key :func:`cached` stores ``compute``'s result under (see :func:`cache_key`, :func:`step_version`)."""
    return cache_key(name, params=params, data_md5=data_md5, seed=seed, version=step_version(compute, *code))


class CacheMiss(BaseException):
    """Raised by :func:`cached` inside :func:`hits_only` when the step is not stored (``name``, ``key``: the entry
    asked for). A BaseException, so that code catching Exception (the executor's
    :func:`~synthmed.executor_base.call`) lets it through."""

    def __init__(self, name: str, key: str | None = None):
        super().__init__(name)
        self.name, self.key = name, key


_HITS_ONLY: contextvars.ContextVar[bool] = contextvars.ContextVar("synthmed_cache_hits_only", default=False)


@contextlib.contextmanager
def hits_only() -> Iterator[None]:
    """Within the block, :func:`cached` returns stored results and raises :class:`CacheMiss` instead of computing:
    the executor loads an item's result here when it is stored, and sends only the misses to worker processes."""
    token = _HITS_ONLY.set(True)
    try:
        yield
    finally:
        _HITS_ONLY.reset(token)


def cached(name: str, compute: Callable[..., T], *, params: Mapping[str, Any], code: Sequence[Any] = (),
           data_md5: Sequence[str] = (), seed: int | None = None, resumable: bool = False) -> T:
    """Return the cached result of ``compute()``, computing and storing it on a miss.

    name: a short label (also the cache sub-folder); params/data_md5/seed: see :func:`cache_key`. The code version is
    :func:`step_version` of ``compute`` (its source and every synthmed module it reaches); ``code`` adds objects whose
    modules it cannot see (rarely needed). Keep training and scoring in separate steps, so that an edit to a
    scoring, table or plot function does not retrain.
    resumable: call ``compute(checkpoint)`` with a :class:`~pathlib.Path` the computation may save its progress to
    (with :func:`atomic_save`) and resume from; it is deleted once the result is stored.
    """
    key = step_key(name, compute, params=params, code=code, data_md5=data_md5, seed=seed)
    path = entry_path(name, key)
    start = time.perf_counter()
    if path.exists() and not _forced(name):
        value = load(path)
        _log("hit", name, key, time.perf_counter() - start, recorded_seconds(name, key))
        return value
    if _HITS_ONLY.get():
        raise CacheMiss(name, key)
    ckpt = checkpoint_path(name, key)
    token = _DEPTH.set(_DEPTH.get() + 1)
    try:
        value = compute(ckpt) if resumable else compute()
    finally:
        _DEPTH.reset(token)
    atomic_save(value, path)
    seconds = time.perf_counter() - start
    _record_seconds(name, key, seconds)
    ckpt.unlink(missing_ok=True)
    _log("miss", name, key, seconds, seconds)
    return value
