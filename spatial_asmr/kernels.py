"""The numba kernels, and compiling them ahead of the render that needs them.

Every kernel is compiled once per machine and kept in numba's disk cache
(``cache=True``).  The first render after an install or an upgrade (which
changes the sources the cache is keyed by) compiles all of them: about 10 s
of one core, while the HRTF set's preprocessing (:mod:`spatial_asmr.cache`)
takes another 3 to 4.  The two do not depend on each other, so a render that
finds the kernels uncompiled (:func:`cold`) has a second process compile
them from the last one back (:func:`start_helper`: the mastering's first)
while it prepares the render itself (the HRTF set, and the first kernels,
which the plan calls); then it compiles, from the first one on, those the
helper has not started, and waits for the helper (:meth:`Helper.finish`).
Compiled code is the same whichever process compiled it, so the output is
too.

The kernels, by module (:data:`UNITS`); with each module the one
float32-render signature of each of its lazily typed kernels.  Kernels with
an explicit signature (the mastering kernels, the sections' filter, the
basis engine's) compile when their module is imported.

``python -m spatial_asmr.kernels [MODULE ...]`` compiles them (all by
default), printing each unit's position as it starts it: what the helper
runs (with ``--helper``: it stops before the first unit the render claims
on its standard input), and what an image build can run to ship compiled
kernels.
"""

__all__ = ["UNITS", "BASIS_UNIT", "Helper", "cold", "compile_unit", "compile_kernels",
           "start_helper"]

import importlib
import os
import subprocess
import sys
import threading

_TRIANGULATION = {
    "_nearest_vertex": "float64[:, ::1], float64, float64, float64",
    "_walk": "float64[:, ::1], float64[:, :, ::1], int64[:, ::1], int64[:, ::1], int64, "
             "float64[:, ::1], int64[::1], int64[:, ::1], float64[:, ::1]",
}
_SPATIALIZER = {
    "_blend_delays": "float64[:, ::1], int64[::1], int64[:, ::1], float64[:, ::1], int64[::1], "
                     "float64[:, ::1]",
    "_place": "int64[:, :, ::1], float64[:, :, ::1], int64[::1], int64, int64, int64[::1], "
              "int64[::1], float64[::1], int64[::1], int64[:, ::1], float64[:, ::1]",
}
_CONVOLUTION = {
    "_accumulate": "complex64[:, :, ::1], complex64[:, :, ::1], float32[:, :, ::1], "
                   "float32[:, :, ::1], int64[:, :, :, ::1], float32[:, :, :, ::1], "
                   "float32[:, :, :, ::1], boolean[:, ::1], int64",
}
_DELAY = {
    "_read_group": "float32[::1], int64[::1], int64, float64[:, ::1], int64, float32[:, ::1], "
                   "float32[:, ::1]",
}

UNITS = (
    ("spatial_asmr.hrtf.triangulation", _TRIANGULATION),
    ("spatial_asmr.hrtf.spatializer", _SPATIALIZER),
    ("spatial_asmr.dsp.iir", {}),
    ("spatial_asmr.dsp.convolution", _CONVOLUTION),
    ("spatial_asmr.dsp.delay", _DELAY),
    ("spatial_asmr.output.loudness", {}),
    ("spatial_asmr.output.truepeak", {}),
    ("spatial_asmr.output.limiter", {}),
)
"""tuple of (str, dict) : Each module with kernels, and the argument types
(numba's notation) of each of its lazily typed kernels in a float32 render;
in the order a render first calls them (the plan's lookups, the sources'
filters, the engine, the mastering)."""

BASIS_UNIT = ("spatial_asmr.dsp.basis_convolution", {})
"""tuple : The basis engine's kernels (explicit signatures)."""


def _argument_types(text):
    from numba.core.sigutils import normalize_signature

    args, _ = normalize_signature(f"({text},)")
    return tuple(args)


def compile_unit(unit):
    """Compile (or load from numba's cache) one module's kernels.

    Parameters
    ----------
    unit : tuple of (str, dict)
        An entry of :data:`UNITS` (or :data:`BASIS_UNIT`).
    """
    name, lazy = unit
    module = importlib.import_module(name)  # explicit signatures compile here
    for kernel, types in lazy.items():
        # the argument types as a call passes them, so that the cache entry
        # written here is the one a call looks for
        getattr(module, kernel).compile(_argument_types(types))


def compile_kernels(units=UNITS, report=None, stop=None):
    """Compile every kernel of ``units``, in order.

    Parameters
    ----------
    units : sequence of tuple
        Entries of :data:`UNITS` (default all).
    report : callable, optional
        Called with each unit's position before it is compiled.
    stop : callable, optional
        Asked before each unit: no unit from the position it returns on
        is compiled.
    """
    for i, unit in enumerate(units):
        if stop is not None and i >= stop():
            break
        if report is not None:
            report(i)
        compile_unit(unit)


def _index_path(dispatcher):
    return dispatcher._cache._cache_file._index_path


def cold(units=UNITS):
    """Whether numba's cache lacks a lazily typed kernel of ``units``.

    Looks for the cache index of each (no kernel is loaded).  Where numba
    keeps it elsewhere than this version does, the answer is False: a
    render then compiles as it goes, as it would without this module.
    """
    try:
        for name, lazy in units:
            if not lazy:  # importing it would compile it
                continue
            module = importlib.import_module(name)
            for kernel in lazy:
                if not os.path.exists(_index_path(getattr(module, kernel))):
                    return True
    except (AttributeError, TypeError):
        return False
    return False


class Helper:
    """A second process compiling kernels from the last unit back; see
    :func:`start_helper`."""

    def __init__(self, process, units):
        self.units = tuple(units)
        self._process = process
        self._reached = len(self.units)  # the first unit it has started
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self._process.stdout:
            try:  # its position in the reversed list
                self._reached = min(self._reached, len(self.units) - 1 - int(line))
            except ValueError:
                pass
        # it has ended: its pipe closed and the process reaped, whoever waits
        self._process.stdout.close()
        self._process.wait()

    def finish(self, timeout=600.0):
        """Compile, from the first unit on, the units the helper has not
        started, claiming each first (the helper stops before a claimed
        one); then wait for it (at most ``timeout`` seconds; then it is
        stopped).  Whatever it did not get to compiles as the render calls it.
        """
        last = len(self.units) - 1
        for i, unit in enumerate(self.units):
            try:  # in the helper's order: its position last - i
                self._process.stdin.write(f"{last - i}\n")
                self._process.stdin.flush()
            except OSError:  # it has finished (or failed)
                pass
            if i >= self._reached or self._process.poll() is not None:
                break
            compile_unit(unit)
        self.leave()
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._reader.join()

    def leave(self):
        """Claim nothing more (a render that failed before :meth:`finish`):
        the helper compiles the rest on its own, its work kept in the cache."""
        try:
            self._process.stdin.close()
        except OSError:
            pass


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def start_helper(units=UNITS):
    """Start compiling ``units``, the last first, in a second process, if
    that will help.

    Returns
    -------
    Helper or None
        None where the kernels are compiled already (:func:`cold` is
        False), this process has one core, or no process could be started.
        A render that fails leaves the helper to finish (its work is kept
        in the cache); an interrupt from the terminal reaches both.
    """
    if _cores() < 2 or not cold(units):
        return None
    names = [name for name, _ in reversed(units)]
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "spatial_asmr.kernels", "--helper", *names],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    except OSError:
        return None
    return Helper(process, units)


def _main(argv):
    # --helper: started by a render (start_helper), which claims units on
    # this process's standard input as it compiles them itself; this stops
    # before the first claimed one
    helper = argv[:1] == ["--helper"]
    known = dict(UNITS + (BASIS_UNIT,))
    names = argv[1:] if helper else argv
    names = names or list(known)
    unknown = [name for name in names if name not in known]
    if unknown:
        print(f"error: no kernels in {', '.join(unknown)}; modules: {', '.join(known)}",
              file=sys.stderr)
        return 2
    claimed = [len(names)]
    if helper:
        def listen():
            for line in sys.stdin:
                try:
                    claimed[0] = min(claimed[0], int(line))
                except ValueError:
                    pass

        threading.Thread(target=listen, daemon=True).start()

    def report(position):
        try:
            print(position, flush=True)
        except OSError:  # the render that started this one has gone: go on
            pass

    compile_kernels([(name, known[name]) for name in names], report, lambda: claimed[0])
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
