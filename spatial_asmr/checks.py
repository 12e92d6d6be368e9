"""Argument checks of the public functions, and the phrasing of every bad value.

Each check names the argument, the bad value and what is allowed, as
"<name> is <value> but must be <allowed>" (:func:`must_be`, the one place
that sentence is written), and raises the error class its caller names
(:class:`~spatial_asmr.errors.ArgumentError` for a plain bad argument,
:class:`~spatial_asmr.errors.HrtfError` for HRTF data...).

Where a caller needs to know *which* field is bad (the scene loader puts the
field of a path or generator parameter under its own scene path), the
problem stays data, a :class:`Problem` of field path, value and allowed
values, until it is printed; no message is ever parsed back.
"""

__all__ = ["show", "must_be", "format_path", "Problem", "check_number", "check_integer",
           "check_array", "check_values", "check_broadcast", "check_path",
           "check_render_arguments"]

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from numbers import Integral, Real
from pathlib import Path

import numpy as np


def show(value):
    """Format a value for an error message.

    Parameters
    ----------
    value : object

    Returns
    -------
    text : str
        Numbers plainly (numpy scalars too: ``1e+30``, not
        ``np.float64(1e+30)``), arrays by their shape, anything else by
        ``repr``, shortened to 60 characters.
    """
    if isinstance(value, np.ndarray) and value.ndim:
        return f"an array of shape {value.shape}"
    if isinstance(value, Integral) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, Real) and not isinstance(value, bool):
        try:
            return repr(float(value))
        except OverflowError:
            pass
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def must_be(name, value, allowed, show=show):
    """The sentence of a bad value: ``"<name> is <value> but must be <allowed>"``.

    Parameters
    ----------
    name : str
        What is bad: an argument name or a formatted field path.
    value : object
        The bad value.
    allowed : str
        What is allowed, completing "... but must be <allowed>".
    show : callable, optional
        ``show(value) -> str``; default :func:`show`.  Scene messages show
        values as YAML writes them (``null``, ``true``), path parameters by
        ``repr``.

    Returns
    -------
    str
    """
    return f"{name} is {show(value)} but must be {allowed}"


def format_path(path):
    """A field path as messages write it: ``sources[1].trajectory[0].time``.

    Parameters
    ----------
    path : tuple of str, int and tuple of int
        Keys (``.key``), list indices (``[i]``) and array indices
        (``[i, j]``), outermost first.

    Returns
    -------
    str
        Empty for the empty path.
    """
    text = ""
    for part in path:
        if isinstance(part, tuple):
            text += f"[{', '.join(map(str, part))}]"
        elif isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass(frozen=True)
class Problem:
    """One bad value, kept as data until it is printed.

    Attributes
    ----------
    path : tuple
        Field path of the bad value (see :func:`format_path`), e.g.
        ``("points", 1, "time")``; empty when the problem is not about one
        field.
    value : object
        The bad value.
    allowed : str
        What is allowed, completing "... but must be <allowed>".
    predicate : str or None
        What is said of the field instead of "is <value> but must be
        <allowed>", for problems phrased otherwise ("is missing
        (required)", "has shape (3, 3) but must have (2, 3)"); with an empty
        path, the whole message.
    show : callable
        How the value is written (see :func:`must_be`).
    """

    path: tuple = ()
    value: object = None
    allowed: str = ""
    predicate: str | None = None
    show: Callable = field(default=show, repr=False, compare=False)

    @property
    def message(self):
        """str : The problem as a sentence, starting with its field path."""
        where = format_path(self.path)
        if self.predicate is None:
            return must_be(where, self.value, self.allowed, self.show)
        return f"{where} {self.predicate}" if where else self.predicate

    def within(self, *prefix):
        """The same problem with its field path below ``prefix``.

        Returns
        -------
        Problem
        """
        return replace(self, path=tuple(prefix) + self.path)

    def __str__(self):
        return self.message


def check_number(name, value, error, allowed, ok=None):
    """A finite real number (not a bool) for which ``ok`` holds, as a float.

    Parameters
    ----------
    name : str
        Argument name, for the message.
    value : object
    error : type
        Exception class raised.
    allowed : str
        What is allowed, completing "... but must be <allowed>".
    ok : callable, optional
        ``ok(float) -> bool``, the range.

    Returns
    -------
    float

    Raises
    ------
    error
        ``"<name> is <value> but must be <allowed>"``.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value[()]  # a 0-d array is a number
    if isinstance(value, Real) and not isinstance(value, (bool, np.bool_)):
        try:
            number = float(value)
        except OverflowError:  # an int beyond the float range
            number = math.inf
        if math.isfinite(number) and (ok is None or ok(number)):
            return number
    raise error(must_be(name, value, allowed))


def check_integer(name, value, error, allowed, ok=None):
    """An integer (not a bool) for which ``ok`` holds, as an int.

    Parameters are those of :func:`check_number`.

    Returns
    -------
    int
    """
    if isinstance(value, Integral) and not isinstance(value, (bool, np.bool_)) and (
            ok is None or ok(int(value))):
        return int(value)
    raise error(must_be(name, value, allowed))


def _shape_text(shape):
    inner = ", ".join(map(str, shape))
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def check_array(name, value, error, shape=None):
    """An array of real numbers as float64.

    Parameters
    ----------
    name : str
        Argument name, for the message.
    value : array_like
    error : type
        Exception class raised.
    shape : tuple of int and str, optional
        Required shape: an int is a size, a str (``"M"``) any size.  None
        (default) allows any shape.

    Returns
    -------
    ndarray of float64

    Raises
    ------
    error
        If ``value`` is not an array of real numbers (integer or float;
        bool, complex, strings and objects are refused), has another
        shape, or holds NaN or infinite values.
    """
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):  # ragged nested sequences
        raise error(must_be(name, value, "an array of numbers")) from None
    if array.dtype.kind not in "iuf":
        raise error(must_be(name, value, f"an array of real numbers (it has dtype "
                                         f"{array.dtype})"))
    if shape is not None and (array.ndim != len(shape) or any(
            isinstance(size, int) and size != actual
            for size, actual in zip(shape, array.shape, strict=True))):
        raise error(f"{name} has shape {array.shape} but must be {_shape_text(shape)}")
    array = array.astype(np.float64, copy=False)
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        bad = int(np.count_nonzero(~np.isfinite(array)))
        raise error(f"{name} has {bad} NaN or infinite values but must be finite")
    return array


def check_values(where, values, error, allowed, ok):
    """Every element of an array satisfies ``ok``; else name the first that does not.

    Parameters
    ----------
    where : str or callable
        The array's name (the message shows ``name[i, j]``, or ``name`` for
        a single value), or a function of the element's index tuple that
        names it (``keyframes[2].distance``).
    values : ndarray
    error : type
        Exception class raised.
    allowed : str
        What is allowed, completing "... but must be <allowed>".
    ok : callable
        ``ok(values) -> ndarray of bool``, vectorised.

    Returns
    -------
    values : ndarray
    """
    bad = np.argwhere(~np.asarray(ok(values)))
    if len(bad):
        index = tuple(int(i) for i in bad[0])
        if callable(where):
            where = where(index)
        elif values.size > 1:
            where = f"{where}[{', '.join(map(str, index))}]"
        raise error(must_be(where, values[index], allowed))
    return values


def check_broadcast(names, arrays, error):
    """Arrays broadcast to one shape.

    Parameters
    ----------
    names : sequence of str
        Argument names, for the message.
    arrays : sequence of ndarray
    error : type
        Exception class raised.

    Returns
    -------
    list of ndarray
        Read-only broadcast views.
    """
    try:
        return np.broadcast_arrays(*arrays)
    except ValueError:
        shapes = ", ".join(str(a.shape) for a in arrays)
        raise error(f"{', '.join(names)} have shapes {shapes} but must broadcast to "
                    "one shape") from None


def check_path(name, value, error, allowed):
    """A file path: a non-empty str, bytes or os.PathLike without NUL bytes.

    Parameters are those of :func:`check_number`, without ``ok``.

    Returns
    -------
    pathlib.Path
    """
    if isinstance(value, (str, bytes, os.PathLike)):
        try:
            text = os.fsdecode(value)
        except (TypeError, UnicodeDecodeError):
            text = ""
        if text and "\0" not in text:
            return Path(text)
    raise error(must_be(name, value, allowed))


# -- conversions --------------------------------------------------------------------


def check_render_arguments(scene=None, dtype=np.float32, threads=None, progress=None,
                           **flags):
    """The arguments shared by :func:`~spatial_asmr.render` and
    :func:`~spatial_asmr.render_to_file`, checked before any work.

    Parameters
    ----------
    scene : Scene
    dtype : float32 or float64
    threads : None or int >= 1
    progress : None or callable
    **flags : bool
        Named flags (``master=True``...), each True or False.

    Returns
    -------
    dtype : numpy.dtype
    threads : int or None

    Raises
    ------
    ArgumentError
    """
    from .errors import ArgumentError
    from .scene import Scene

    if not isinstance(scene, Scene):
        raise ArgumentError(must_be("scene", scene, "a Scene (from spatial_asmr.load_scene)"))
    try:
        kind = np.dtype(dtype)
    except TypeError:
        kind = None
    if kind not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ArgumentError(must_be("dtype", dtype, "float32 or float64"))
    if threads is not None:
        threads = check_integer("threads", threads, ArgumentError,
                                "None or an integer >= 1", lambda n: n >= 1)
    if progress is not None and not callable(progress):
        raise ArgumentError(must_be("progress", progress,
                                    "None or a callable progress(done, total)"))
    for name, value in flags.items():
        if not isinstance(value, (bool, np.bool_)):
            raise ArgumentError(must_be(name, value, "True or False"))
    return kind, threads
