"""How the model's rules are compiled: one decorator, and a message while numba compiles.

Every rule of the model (:mod:`c2c_sim.rules`), the month (:func:`c2c_sim.engine.month`) and the
measurement (:func:`c2c_sim.metrics.measure`) is a plain Python function over arrays, compiled by
numba with :data:`rule` and cached on disk. The same code runs uncompiled with
``NUMBA_DISABLE_JIT=1`` in the environment: that is the path to step through a rule in a debugger
(with bounds-checked indexing, so an index error shows where it happens).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numba
from numba import config as _numba_config
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

PACKAGE = Path(__file__).resolve().parent


_IMPORT = re.compile(r"^\s*from \.(\w*) import ([\w, ()]+)", re.MULTILINE)


def model_sources() -> list[Path]:
    """The source files compiled code can depend on: the modules that use this one and every package
    module they import from (their functions and constants are compiled in), this one included. The
    command line, storage, plotting and the experiments are not among them: editing those recompiles
    nothing."""
    text = {p.stem: p.read_text() for p in PACKAGE.glob("*.py")}

    def imported(name: str) -> set[str]:
        out = set()
        for module, names in _IMPORT.findall(text[name]):
            out |= {module} if module else {n.strip(" ()") for n in names.split(",")}
        return out & set(text)

    todo = [m for m, src in text.items() if "compiled" in imported(m)] + ["compiled"]
    seen: set[str] = set()
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(imported(m) - seen)
    return sorted(PACKAGE / f"{m}.py" for m in seen)


def _sources_hash() -> str:
    """A hash of the sources compiled code can depend on (:func:`model_sources`), numba's version and
    Python's."""
    h = hashlib.sha256(f"{numba.__version__} {sys.version}".encode())
    for path in model_sources():
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


SOURCES = _sources_hash()


def cache_dir() -> Path:
    """Where the compiled rules are cached: ``numba-<hash of the model's sources>`` under the package's
    ``__pycache__`` (or ``$NUMBA_CACHE_DIR/c2c_sim``, or the user's cache folder if the package's
    folder is read-only)."""
    if _numba_config.CACHE_DIR:
        root = Path(_numba_config.CACHE_DIR) / "c2c_sim"
    elif os.access(PACKAGE, os.W_OK):
        root = PACKAGE / "__pycache__"
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "c2c_sim"
    return root / f"numba-{SOURCES}"


class _SourcesLocator(numba.core.caching._CacheLocator):
    """Numba's cache of a c2c_sim function, in :func:`cache_dir`.

    Numba checks a cached function against its own file only, yet a compiled function contains the
    code of the functions it calls: after an edit of a rule in ``rules.py``, the month in ``engine.py``
    would load its old compiled code, with the old rule inside. Keying the folder on every source
    file makes any edit recompile everything (and a stale cache is never read: it would fail on
    structures that were renamed since). Older folders are removed."""

    def __init__(self, py_func, py_file):
        self._lineno = py_func.__code__.co_firstlineno
        self._path = cache_dir()

    def ensure_cache_path(self):
        if not self._path.is_dir():
            for old in self._path.parent.glob("numba-*"):  # caches of earlier sources
                shutil.rmtree(old, ignore_errors=True)
        super().ensure_cache_path()

    def get_cache_path(self):
        return str(self._path)

    def get_source_stamp(self):
        return SOURCES

    def get_disambiguator(self):
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func, py_file):
        self = cls(py_func, py_file)
        try:
            self.ensure_cache_path()
        except OSError:
            return None
        return self


class _CacheImpl(numba.core.caching.CompileResultCacheImpl):
    _locator_classes = [_SourcesLocator]


class _FunctionCache(numba.core.caching.FunctionCache):
    _impl_class = _CacheImpl


def _compiled(inline: bool):
    def decorate(py_func):
        dispatcher = njit(error_model="numpy", inline="always" if inline else "never")(py_func)
        if not JIT_DISABLED:
            dispatcher._cache = _FunctionCache(py_func)  # what njit(cache=True) does, with our locator
        return dispatcher

    return decorate


JIT_DISABLED = bool(_numba_config.DISABLE_JIT)
"""True when ``NUMBA_DISABLE_JIT=1``: the rules run as plain Python (slow; for debugging)."""

rule = _compiled(inline=False)
"""The decorator of every compiled function of the model: numba, cached on disk (:func:`cache_dir`),
and numpy's semantics for division by zero (inf or NaN, no exception), so a rule reads like the numpy
expression it is."""

inline_rule = _compiled(inline=True)
"""The same, for the small helpers called inside a rule's innermost loop: numba inlines them into the
rule, so passing the parameters' structure costs nothing."""

def indices(lo, hi):
    """``range(lo, hi)`` over array indices that are never negative, counted unsigned: numba then
    leaves out the wraparound of negative indices, and simple loops vectorise. Use it only where the
    loop variable does nothing but index (arithmetic mixing it with signed integers gives floats)."""
    return range(numba.uint64(lo), numba.uint64(hi))


if not JIT_DISABLED:
    indices = inline_rule(indices)  # noqa: F811 - inlined into the loops that use it


class Direct:
    """Calls of one compiled function with arguments of the same types each time (an engine's month),
    without the dispatcher's type resolution: most of a call's cost for a nested structure of arrays
    (20 us of 24 here). The first call goes through the dispatcher (which compiles or loads the
    function); later calls go straight to the compiled code, if the dispatcher then has exactly one
    compiled version (else the types could be another's, and the dispatcher keeps choosing)."""

    def __init__(self, dispatcher) -> None:
        self.dispatcher = dispatcher
        self.entry = None

    def __call__(self, *args):
        if self.entry is not None:
            return self.entry(*args)
        out = self.dispatcher(*args)
        overloads = getattr(self.dispatcher, "overloads", {})
        if len(overloads) == 1:
            self.entry = next(iter(overloads.values())).entry_point
        return out


NOTICE_AFTER = 2.0
"""Seconds a first call may take before the compile message is printed."""

_noticed: set[str] = set()


@contextmanager
def compile_notice(what: str):
    """Print one line to stderr if the first compiled call of this process takes long (numba compiling).

    Numba compiles the rules the first time they run after an install or after a rule changes (tens of
    seconds), then loads them from its cache (about a second). Without a word, a newcomer thinks the
    program hangs; with a cache hit nothing is printed. ``what`` names the compiled call (each is
    watched the first time only).
    """
    if what in _noticed or JIT_DISABLED:
        yield
        return
    _noticed.add(what)
    t0 = time.perf_counter()
    shown = threading.Event()

    def say() -> None:
        shown.set()
        print("c2c_sim: numba is compiling the model's rules; this happens once after an install or a change to "
              "the rules (about a minute), later runs load them from the cache...", file=sys.stderr, flush=True)

    timer = threading.Timer(NOTICE_AFTER, say)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        if shown.is_set():
            print(f"c2c_sim: compiled in {time.perf_counter() - t0:.0f} s.", file=sys.stderr, flush=True)


def _without_meminfo(context, builder, typ, value):
    """``value`` (of numba type ``typ``) with every array in it (nested tuples included) borrowed."""
    if isinstance(typ, types.Array):
        ary = context.make_array(typ)(context, builder, value=value)
        ary.meminfo = cgutils.get_null_value(ary.meminfo.type)
        return ary._getvalue()
    if isinstance(typ, types.BaseTuple):
        out = value
        for i, member in enumerate(typ.types):
            out = builder.insert_value(out, _without_meminfo(context, builder, member,
                                                              builder.extract_value(value, i)), i)
        return out
    return value


@intrinsic
def _borrow(typingctx, value):
    def codegen(context, builder, signature, args):
        return _without_meminfo(context, builder, signature.args[0], args[0])

    return value(value), codegen


def borrow(state):
    """The same structure with its arrays *borrowed*: the same data, without numba's reference count.

    Numba counts references to every array handed to a compiled function, there and back (two atomic
    operations an array, about 40 ns here); a month hands a replication's rules some 250 arrays, which
    cost a third of the run time. The month borrows the state once, for the duration of the call that
    holds it (the caller's reference keeps every array alive), so the rules' counts do nothing. Used
    only inside compiled code; uncompiled (``NUMBA_DISABLE_JIT=1``) it is the identity."""
    return state


if not JIT_DISABLED:
    borrow = _borrow  # noqa: F811 - the compiled version of the function above
