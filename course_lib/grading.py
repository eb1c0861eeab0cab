"""Helpers for the tests of the nbgrader exercises.

Every check raises ``AssertionError`` with a message that tells the learner what is
wrong: which value, which shape, expected against got, the first differing index.
nbgrader scores a test cell 0 when it raises, so the message is the feedback.

- :func:`check_tensor`, :func:`check_int`, :func:`check_float`, :func:`check_shape`:
  strict comparisons. They check the *type* first (exactly ``torch.Tensor``, exactly
  ``int`` ...), so an object that overrides ``__eq__`` or ``__array__`` cannot pass.
- :func:`assert_no_forbidden_calls`: a static check that a function (and the helpers
  it calls) does not refer to forbidden names such as ``F.conv2d``.
- :func:`forbid`: a context manager that, while it is active, replaces forbidden
  functions with ones that raise, so a call hidden from the static check still fails.
- :func:`call_without`: both checks around one call, the usual way to use them.

Names are written as dotted paths (``"torch.nn.functional.conv2d"``); ``F.`` and
``nn.`` are short for ``torch.nn.functional.`` and ``torch.nn.``. A module name (or
``"module.*"``) forbids everything defined in that module. Objects can be passed too,
e.g. the learner's own function from an earlier task.
"""

from __future__ import annotations

import contextlib
import dis
import functools
import importlib
import inspect
import math
import sys
import types
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Sequence

import torch

__all__ = [
    "check_tensor",
    "check_int",
    "check_float",
    "check_shape",
    "call_repr",
    "assert_no_forbidden_calls",
    "forbid",
    "call_without",
    "CONV_NAMES",
    "UNFOLD_NAMES",
]

# Everything that computes a convolution for you. Exercises that ask for a convolution
# forbid these (and ``course_lib.conv``, the course's own solutions).
CONV_NAMES: tuple[str, ...] = (
    "torch.nn.functional.conv1d",
    "torch.nn.functional.conv2d",
    "torch.nn.functional.conv3d",
    "torch.nn.functional.conv_transpose1d",
    "torch.nn.functional.conv_transpose2d",
    "torch.conv1d",
    "torch.conv2d",
    "torch.conv3d",
    "torch.convolution",
    "torch.nn.Conv1d",
    "torch.nn.Conv2d",
    "torch.nn.Conv3d",
    "torch.nn.ConvTranspose1d",
    "torch.nn.ConvTranspose2d",
    "course_lib.conv",
)
# Everything that extracts sliding patches for you (im2col).
UNFOLD_NAMES: tuple[str, ...] = (
    "torch.nn.functional.unfold",
    "torch.nn.functional.fold",
    "torch.nn.Unfold",
    "torch.nn.Fold",
    "torch.Tensor.unfold",
)

_ALIASES = {"F": "torch.nn.functional", "nn": "torch.nn"}


# --------------------------------------------------------------------------------------
# Value checks
# --------------------------------------------------------------------------------------


def _type_name(x: object) -> str:
    """``module.QualName`` of ``type(x)``, without the module for builtins."""
    t = type(x)
    module = getattr(t, "__module__", "")
    return t.__qualname__ if module == "builtins" else f"{module}.{t.__qualname__}"


def _shape_str(shape: Sequence[int]) -> str:
    """``(2, 3, 7)`` for any shape; ``(5,)`` for one dimension."""
    return str(tuple(int(s) for s in shape))


def _fmt(value: float | complex | bool) -> str:
    """A short, readable number."""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def check_tensor(got: object, expected: torch.Tensor, name: str, *,
                 rtol: float = 1e-5, atol: float = 1e-6) -> None:
    """Assert that ``got`` is a ``torch.Tensor`` equal to ``expected`` up to tolerance.

    Checks, in order: the type is exactly ``torch.Tensor`` (no subclass, no numpy array,
    no list), the shape, the dtype, the device, then ``|got - expected| <= atol + rtol *
    |expected|`` element-wise (NaN equals NaN). ``name`` says what is checked, e.g.
    ``"conv2d(x (1, 2, 5, 5), weight (3, 2, 3, 3), stride=2)"``.

    Raises ``AssertionError`` naming ``name`` and the first mismatch: the type, the two
    shapes, the two dtypes, or the number of differing entries, the largest absolute
    error and the first differing index with both values.
    """
    if not isinstance(expected, torch.Tensor):
        raise TypeError(f"check_tensor: expected must be a torch.Tensor, got {_type_name(expected)}")
    if type(got) is not torch.Tensor:
        hint = ""
        if isinstance(got, torch.Tensor):
            hint = " (a subclass of torch.Tensor is not accepted; return a plain tensor)"
        elif type(got).__module__ == "numpy" or isinstance(got, (list, tuple)):
            hint = " (convert with torch.as_tensor, or keep working with torch operations)"
        raise AssertionError(f"{name}: expected a torch.Tensor, got {_type_name(got)}{hint}")
    if got.shape != expected.shape:
        raise AssertionError(f"{name}: expected shape {_shape_str(expected.shape)}, got {_shape_str(got.shape)}")
    if got.dtype != expected.dtype:
        raise AssertionError(f"{name}: expected dtype {expected.dtype}, got {got.dtype}")
    if got.device != expected.device:
        raise AssertionError(f"{name}: expected a tensor on {expected.device}, got one on {got.device}")
    if got.layout != torch.strided:
        raise AssertionError(f"{name}: expected a dense tensor, got layout {got.layout}")
    g = got.detach()
    e = expected.detach()
    if g.numel() == 0:
        return
    if g.is_floating_point() or g.is_complex():
        close = torch.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
    else:  # integers and booleans must match exactly
        close = g == e
    if bool(close.all()):
        return
    bad = (~close).nonzero()  # (k, ndim)
    first = tuple(int(i) for i in bad[0]) if bad.dim() == 2 and bad.shape[1] > 0 else ()
    if g.dtype == torch.bool:
        err_text = "values differ"
    else:
        diff = (g.to(torch.complex128 if g.is_complex() else torch.float64)
                - e.to(torch.complex128 if e.is_complex() else torch.float64)).abs()
        diff = diff[~close]
        max_err = float("nan") if bool(diff.isnan().any()) else float(diff.max())
        err_text = f"max abs error {_fmt(max_err)}"
    tol = f" (rtol={rtol:g}, atol={atol:g})" if g.is_floating_point() or g.is_complex() else ""
    raise AssertionError(
        f"{name}: {bad.shape[0]} of {g.numel()} values differ{tol}; {err_text}; "
        f"first at index {first}: expected {_fmt(e[first].item())}, got {_fmt(g[first].item())}"
    )


def check_int(got: object, expected: int, name: str) -> None:
    """Assert that ``got`` is a built-in ``int`` equal to ``expected``.

    Only an exact ``int`` is accepted: not ``bool``, not ``float`` (even ``30.0``), not a
    numpy or torch integer, not an ``int`` subclass. A learner who computed with numpy
    or torch converts with ``int(...)``; the message says so.
    """
    if type(expected) is not int:
        raise TypeError(f"check_int: expected must be an int, got {_type_name(expected)}")
    if type(got) is not int:
        if isinstance(got, bool):
            hint = ""
        elif isinstance(got, torch.Tensor) or type(got).__module__ == "numpy":
            hint = " (convert it with int(...))"
        elif isinstance(got, float):
            hint = " (use integer division // instead of /, or int(...))"
        else:
            hint = ""
        raise AssertionError(f"{name}: expected an int, got {_type_name(got)} {got!r}{hint}")
    if got != expected:
        raise AssertionError(f"{name}: expected {expected}, got {got}")


_NUMPY_FLOATS = ("float16", "float32", "float64", "longdouble")


def check_float(got: object, expected: float, name: str, *,
                rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """Assert that ``got`` is a real number close to ``expected``.

    Accepted types: exactly ``float`` or ``int`` (not ``bool``), or a numpy floating
    scalar. A 0-d tensor is rejected with a hint to call ``.item()``.
    """
    ok = type(got) in (float, int) or (
        type(got).__module__ == "numpy" and type(got).__name__ in _NUMPY_FLOATS)
    if not ok:
        hint = " (call .item() to get a Python number)" if isinstance(got, torch.Tensor) else ""
        raise AssertionError(f"{name}: expected a float, got {_type_name(got)} {got!r}{hint}")
    value = float(got)  # type: ignore[arg-type]
    if not math.isclose(value, expected, rel_tol=rtol, abs_tol=atol) and not (
            math.isnan(value) and math.isnan(expected)):
        raise AssertionError(f"{name}: expected {_fmt(float(expected))}, got {_fmt(value)} "
                             f"(error {_fmt(abs(value - expected))})")


def check_shape(got: object, expected_shape: Sequence[int], name: str) -> None:
    """Assert that a shape equals ``expected_shape``.

    ``got`` is either a shape (a ``tuple`` of ``int`` or a ``torch.Size``), e.g. the
    return value of a function that predicts an output shape, or a ``torch.Tensor``
    whose shape is checked. Message: ``"name: expected shape (2, 3, 7), got (2, 3, 8)"``.
    """
    expected = tuple(int(s) for s in expected_shape)
    if type(got) is torch.Tensor:
        shape = tuple(got.shape)
    elif type(got) in (tuple, torch.Size):
        if not all(type(s) is int for s in got):  # type: ignore[union-attr]
            types_ = ", ".join(_type_name(s) for s in got)  # type: ignore[union-attr]
            raise AssertionError(f"{name}: expected a shape made of ints, got ({types_})")
        shape = tuple(got)  # type: ignore[arg-type]
    else:
        raise AssertionError(f"{name}: expected a shape (a tuple of ints or torch.Size) "
                             f"or a torch.Tensor, got {_type_name(got)}")
    if shape != expected:
        raise AssertionError(f"{name}: expected shape {_shape_str(expected)}, got {_shape_str(shape)}")


def call_repr(func_name: str, *args: Any, **kwargs: Any) -> str:
    """Describe a call for a message: tensors appear as their shape and dtype.

    ``call_repr("conv2d", x, w, stride=2)`` gives
    ``"conv2d(x: (1, 2, 5, 5) float32, w: (3, 2, 3, 3) float32, stride=2)"`` when called
    with keyword names; positional arguments are shown without names.
    """
    def show(v: Any) -> str:
        if isinstance(v, torch.Tensor):
            return f"{_shape_str(v.shape)} {str(v.dtype).replace('torch.', '')}"
        return repr(v)

    parts = [show(a) for a in args]
    parts += [f"{k}: {show(v)}" if isinstance(v, torch.Tensor) else f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{func_name}({', '.join(parts)})"


# --------------------------------------------------------------------------------------
# Forbidden names: resolution
# --------------------------------------------------------------------------------------


@dataclass
class _Target:
    """One forbidden thing: its label for messages, the object, and where it lives."""

    label: str
    obj: Any
    parent: Any = None  # the module or class that holds it, when known
    attr: str | None = None

    @property
    def is_module(self) -> bool:
        """A whole module, e.g. ``course_lib.conv``."""
        return isinstance(self.obj, types.ModuleType)

    @property
    def is_class(self) -> bool:
        """A class, e.g. ``torch.nn.Conv2d``."""
        return isinstance(self.obj, type)

    @property
    def is_method(self) -> bool:
        """A function looked up on instances of a class, e.g. ``torch.Tensor.unfold``."""
        return isinstance(self.parent, type) and not self.is_class


def _resolve(name: str) -> _Target | None:
    """Resolve a dotted name to a target; None if its module cannot be imported.

    The name is walked from the left: attributes first, importing a submodule only when
    a package lacks the attribute. A name whose module does not exist is skipped (code
    cannot call what does not exist); a misspelt attribute raises ``LookupError``.
    """
    path = name[:-2] if name.endswith(".*") else name
    head, _, rest = path.partition(".")
    if head in _ALIASES:
        path = _ALIASES[head] + ("." + rest if rest else "")
    parts = path.split(".")
    try:
        obj: Any = importlib.import_module(parts[0])
    except ModuleNotFoundError:
        return None
    parent: Any = None
    for k, attr in enumerate(parts[1:], start=1):
        if not _safe_hasattr(obj, attr) and isinstance(obj, types.ModuleType) and hasattr(obj, "__path__"):
            try:  # a submodule not imported yet
                importlib.import_module(".".join(parts[:k + 1]))
            except ModuleNotFoundError:
                return None  # "package.missing_module": nothing to forbid
        if not _safe_hasattr(obj, attr):
            raise LookupError(f"forbidden name {name!r}: {obj!r} has no attribute {attr!r}")
        parent, obj = obj, getattr(obj, attr)
    attr_name = parts[-1] if parent is not None else None
    return _Target(label=name, obj=obj, parent=parent, attr=attr_name)


def _targets(forbidden: Iterable[Any]) -> list[_Target]:
    """Resolve names (dotted strings) and objects into targets."""
    if isinstance(forbidden, (str, bytes)) or callable(forbidden) and not isinstance(forbidden, Iterable):
        forbidden = [forbidden]
    out = []
    for item in forbidden:
        if isinstance(item, str):
            target = _resolve(item)
            if target is not None:
                out.append(target)
        else:
            label = getattr(item, "__qualname__", None) or getattr(item, "__name__", None) or repr(item)
            out.append(_Target(label=label, obj=item))
    unique: list[_Target] = []
    for target in out:  # F.conv2d and torch.conv2d are one object: keep the first label
        if not any(t.obj is target.obj for t in unique):
            unique.append(target)
    return unique


def _matches(obj: Any, target: _Target) -> bool:
    """Whether ``obj`` is, or is made from, the forbidden ``target``."""
    t = target.obj
    try:
        if obj is t:
            return True
        if isinstance(obj, functools.partial):
            return _matches(obj.func, target)
        if isinstance(obj, types.MethodType):
            return _matches(obj.__func__, target)
        if target.is_module:
            if isinstance(obj, types.ModuleType):
                return obj.__name__ == t.__name__ or obj.__name__.startswith(t.__name__ + ".")
            module = getattr(obj, "__module__", None)
            return isinstance(module, str) and (module == t.__name__ or module.startswith(t.__name__ + "."))
        if target.is_class:
            if isinstance(obj, type):
                return issubclass(obj, t)
            return isinstance(obj, t) and not isinstance(obj, (types.FunctionType, types.ModuleType))
    except Exception:  # exotic objects: not a match
        return False
    return False


# --------------------------------------------------------------------------------------
# Static check
# --------------------------------------------------------------------------------------

_ROOT_LOADS = {"LOAD_GLOBAL", "LOAD_NAME", "LOAD_DEREF", "LOAD_CLASSDEREF", "LOAD_FAST",
               "LOAD_FAST_CHECK", "LOAD_FAST_AND_CLEAR"}
_ATTR_LOADS = {"LOAD_ATTR", "LOAD_METHOD", "LOAD_SUPER_ATTR"}
_STORE_LOCAL = {"STORE_FAST", "STORE_DEREF", "STORE_NAME", "STORE_GLOBAL"}
_MISSING = object()


@dataclass
class _Reference:
    """Something a function refers to: how it is written, what it is, and where."""

    text: str
    obj: Any
    where: str


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    """``code`` and every code object nested in it (inner functions, lambdas, comprehensions)."""
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _lookup(name: str, func: types.FunctionType, code: types.CodeType) -> Any:
    """The value of a global or closure name as ``func`` sees it, or ``_MISSING``."""
    if code is func.__code__ and func.__closure__ and name in code.co_freevars:
        cell = func.__closure__[code.co_freevars.index(name)]
        try:
            return cell.cell_contents
        except ValueError:
            return _MISSING
    if name in func.__globals__:
        return func.__globals__[name]
    builtins_ = func.__globals__.get("__builtins__", {})
    if isinstance(builtins_, types.ModuleType):
        builtins_ = vars(builtins_)
    return builtins_.get(name, _MISSING)


def _import(name: str) -> list[Any]:
    """The module named by an import statement and its top-level package, if importable."""
    out = []
    for n in (name, name.partition(".")[0]):
        try:
            out.append(importlib.import_module(n))
        except Exception:
            pass
    return out


def _references(func: types.FunctionType) -> tuple[list[_Reference], set[str]]:
    """Everything ``func``'s code refers to through names, attributes and imports.

    Returns the resolved references (globals, closure cells, imported modules and the
    attribute chains read from them, like ``F.conv2d`` or ``torch.nn.functional.conv2d``)
    and the set of attribute names read from unknown objects and of string constants
    (for methods such as ``x.unfold`` whose receiver is a local variable).

    The bytecode is read as a simple stack machine: a name load starts a chain of
    candidate values, each attribute load extends it, a store into a local records an
    alias (``G = F``, ``import torch.nn.functional as G``). Anything else ends the chain.
    Over-approximating is fine: a reference is reported only if it *is* forbidden.
    """
    refs: list[_Reference] = []
    names: set[str] = set()
    aliases: dict[str, list[tuple[str, Any]]] = {}  # local name -> values stored in it
    for code in _code_objects(func.__code__):
        where = _code_name(code, func)
        chain: list[tuple[str, Any]] = []  # candidate values on top of the stack, with their text
        importing: list[tuple[str, Any]] = []  # the module(s) of the current import statement
        for ins in dis.get_instructions(code):
            op, arg = ins.opname, ins.argval
            if (op in _ATTR_LOADS and not chain) or (
                    op == "LOAD_CONST" and isinstance(arg, str) and arg.isidentifier()):
                names.add(arg)  # an attribute of an unknown object (x.unfold), or a name as a string
            if op in _ROOT_LOADS:
                importing = []
                if op in ("LOAD_GLOBAL", "LOAD_NAME") or (
                        code is func.__code__ and op.startswith("LOAD_") and arg in code.co_freevars):
                    value = _lookup(arg, func, code)
                    chain = [] if value is _MISSING else [(arg, value)]
                else:  # a local variable: known only if an alias was stored in it
                    chain = [(arg, v) for _, v in aliases.get(arg, [])]
                refs.extend(_Reference(t, v, where) for t, v in chain)
            elif op in _ATTR_LOADS:
                chain = [(f"{t}.{arg}", getattr(v, arg)) for t, v in chain if _safe_hasattr(v, arg)]
                refs.extend(_Reference(t, v, where) for t, v in chain)
            elif op == "LOAD_CONST":
                if chain and isinstance(arg, str) and arg.isidentifier():
                    # getattr(F, "conv2d"): a constant right after a chain is read as an attribute
                    found = [(f"{t}.{arg}", getattr(v, arg)) for t, v in chain if _safe_hasattr(v, arg)]
                    refs.extend(_Reference(t, v, where) for t, v in found)
                chain = []
            elif op == "IMPORT_NAME":
                importing = [(arg, m) for m in _import(arg)]
                refs.extend(_Reference(f"import {t}", v, where) for t, v in importing)
                chain = list(importing)
            elif op == "IMPORT_FROM":
                base = importing + chain
                chain = [(f"{t}.{arg}", getattr(v, arg)) for t, v in base if _safe_hasattr(v, arg)]
                refs.extend(_Reference(t, v, where) for t, v in chain)
            elif op in _STORE_LOCAL:
                if chain:
                    aliases[arg] = aliases.get(arg, []) + chain
                chain = []
            elif op in ("SWAP", "ROT_TWO", "POP_TOP") and importing:
                pass  # part of an import statement: keep the chain
            elif op in ("CACHE", "EXTENDED_ARG", "NOP", "PUSH_NULL", "PRECALL", "KW_NAMES", "RESUME",
                        "COPY_FREE_VARS", "MAKE_CELL"):
                pass
            else:
                chain = []
                importing = []
    # default values and closure cells are references too
    where = func.__qualname__
    for value in list(func.__defaults__ or ()) + list((func.__kwdefaults__ or {}).values()):
        refs.append(_Reference(f"a default argument ({_short_repr(value)})", value, where))
    for name, cell in zip(func.__code__.co_freevars, func.__closure__ or ()):
        try:
            refs.append(_Reference(name, cell.cell_contents, where))
        except ValueError:
            pass
    return refs, names


def _code_name(code: types.CodeType, func: types.FunctionType) -> str:
    """A readable name for a code object: ``outer.<locals>.inner``, comprehensions folded in."""
    if code is func.__code__:
        return func.__qualname__
    name = getattr(code, "co_qualname", code.co_name)
    for suffix in (".<locals>.<listcomp>", ".<locals>.<dictcomp>", ".<locals>.<setcomp>",
                   ".<locals>.<genexpr>"):
        name = name.removesuffix(suffix)
    return name


def _safe_hasattr(obj: Any, name: str) -> bool:
    """``hasattr`` restricted to modules and classes (never runs a property of an instance)."""
    if not isinstance(obj, (types.ModuleType, type)):
        return False
    try:
        return hasattr(obj, name)
    except Exception:
        return False


def _short_repr(value: Any) -> str:
    """A name or a repr of at most 60 characters, for messages."""
    text = getattr(value, "__qualname__", None) or repr(value)
    return text if len(text) < 60 else text[:57] + "..."


def _is_own_code(obj: Any, root: types.FunctionType) -> bool:
    """Whether ``obj`` was written next to ``root`` (same globals or same module), not a library."""
    if isinstance(obj, types.FunctionType):
        return obj.__globals__ is root.__globals__ or obj.__module__ == root.__module__
    if isinstance(obj, type):
        return obj.__module__ == root.__module__
    return False


def _functions_of(cls: type) -> list[types.FunctionType]:
    """The functions defined in a class body (methods, static/class methods, properties)."""
    out = []
    for value in vars(cls).values():
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property):
            out.extend(f for f in (value.fget, value.fset, value.fdel) if isinstance(f, types.FunctionType))
        elif isinstance(value, types.FunctionType):
            out.append(value)
    return out


def _unwrap(func: Any) -> types.FunctionType:
    """The plain function behind a bound method, a decorated function or a callable object."""
    if isinstance(func, types.MethodType):
        func = func.__func__
    func = inspect.unwrap(func)
    if not isinstance(func, types.FunctionType):
        raise TypeError(f"assert_no_forbidden_calls: expected a Python function, got {_type_name(func)}")
    return func


def _find_forbidden(func: Any, targets: list[_Target]) -> dict[str, list[str]]:
    """Every use of a target by ``func`` or the helpers it calls: ``{label: [evidence]}``."""
    root = _unwrap(func)
    findings: dict[str, list[str]] = {}

    def found(target: _Target, evidence: str) -> None:
        items = findings.setdefault(target.label, [])
        if evidence not in items:
            items.append(evidence)

    seen: set[int] = set()
    todo: list[tuple[types.FunctionType, str]] = [(root, root.__qualname__)]
    while todo:
        f, path = todo.pop(0)
        if id(f) in seen:
            continue
        seen.add(id(f))
        refs, names = _references(f)
        caller = path[len(f.__qualname__):]  # ", called from ..." for helpers, else ""
        for target in targets:
            if target.is_method and target.attr in names:
                found(target, f"`.{target.attr}` in {path}")
        for ref in refs:
            for target in targets:
                if _matches(ref.obj, target):
                    found(target, f"`{ref.text}` in {ref.where}{caller}")
                    break
            obj = ref.obj
            if isinstance(obj, types.MethodType):
                obj = obj.__func__
            if isinstance(obj, functools.partial):
                obj = obj.func
            if _is_own_code(obj, root):
                if isinstance(obj, types.FunctionType):
                    todo.append((obj, f"{obj.__qualname__}, called from {path}"))
                else:
                    todo.extend((m, f"{m.__qualname__}, used by {path}") for m in _functions_of(obj))
            elif _is_own_code(type(obj), root):  # an instance of a class written in the notebook
                todo.extend((m, f"{m.__qualname__}, used by {path}") for m in _functions_of(type(obj)))
    return findings


def assert_no_forbidden_calls(func: Callable[..., Any], forbidden: Iterable[Any]) -> None:
    """Statically check that ``func`` does not use any of the ``forbidden`` names.

    ``func`` is a Python function (typically the learner's). Its bytecode and that of
    every nested function, lambda and comprehension is read; each global, closure
    variable, default argument and import it refers to is resolved, as are attribute
    chains like ``F.conv2d``, ``torch.nn.functional.conv2d`` and
    ``getattr(F, "conv2d")``. Helper functions and classes written next to ``func``
    (same notebook or module) are followed. Methods such as ``torch.Tensor.unfold`` are
    caught by name (``x.unfold(...)``).

    ``forbidden``: dotted names (``"F.conv2d"``, ``"torch.nn.Conv2d"``,
    ``"course_lib.conv"``) or objects. Raises ``AssertionError`` listing each use found.
    Dynamic tricks (names built from strings at run time) are caught by :func:`forbid`.
    """
    targets = _targets(forbidden)
    findings = _find_forbidden(func, targets)
    if findings:
        name = getattr(func, "__name__", "your function")
        what = "; ".join(f"{label} (found {', '.join(ev[:3])})" for label, ev in findings.items())
        raise AssertionError(f"{name} must not call {what}. "
                             "Implement it yourself with basic tensor operations.")


# --------------------------------------------------------------------------------------
# Runtime guard
# --------------------------------------------------------------------------------------


def _blocker(label: str) -> Callable[..., Any]:
    """A stand-in that raises ``AssertionError`` naming ``label`` whenever it is called."""
    def blocked(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(
            f"this task must not call {label}; implement it yourself with basic tensor operations")
    blocked.__name__ = blocked.__qualname__ = f"forbidden_{label.replace('.', '_')}"
    blocked.__doc__ = f"{label} is forbidden in this task."
    return blocked


class _Patcher:
    """Set attributes and dictionary entries, remembering how to undo each change."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []
        self._done: set[tuple[int, str]] = set()

    def setattr(self, owner: Any, name: str, value: Any) -> None:
        """``setattr(owner, name, value)``; on undo, restore the old value or delete the
        attribute if ``owner`` is a class that only inherited it."""
        key = (id(owner), name)
        if key in self._done:
            return
        own = vars(owner) if isinstance(owner, type) else None
        had_own = own is None or name in own
        old = (own[name] if own is not None and had_own else getattr(owner, name, _MISSING))
        try:
            setattr(owner, name, value)
        except (AttributeError, TypeError):
            return
        self._done.add(key)
        if had_own and old is not _MISSING:
            self._undo.append(lambda: setattr(owner, name, old))
        else:
            self._undo.append(lambda: delattr(owner, name))

    def setitem(self, mapping: dict[str, Any], key: str, value: Any) -> None:
        """``mapping[key] = value``; on undo, put the old value back."""
        marker = (id(mapping), key)
        if marker in self._done:
            return
        old = mapping[key]
        mapping[key] = value
        self._done.add(marker)
        self._undo.append(lambda: mapping.__setitem__(key, old))

    def undo(self) -> None:
        """Undo every change, last first."""
        while self._undo:
            self._undo.pop()()


# (id of a function, its name) -> (number of loaded modules when scanned, the function,
# the modules that bind it under that name). Rescanned whenever a module is imported.
_HOMES: dict[tuple[int, str], tuple[int, Any, list[types.ModuleType]]] = {}


def _modules_binding(obj: Any, name: str) -> list[types.ModuleType]:
    """The loaded modules whose attribute ``name`` is ``obj`` (e.g. torch and F for conv2d)."""
    key = (id(obj), name)
    cached = _HOMES.get(key)
    if cached is not None and cached[0] == len(sys.modules) and cached[1] is obj:
        return cached[2]
    homes = []
    for module in list(sys.modules.values()):
        d = getattr(module, "__dict__", None)
        if isinstance(d, dict) and d.get(name, None) is obj:
            homes.append(module)
    _HOMES[key] = (len(sys.modules), obj, homes)
    return homes


def _patch_function(p: _Patcher, target_obj: Any, attr: str | None, parent: Any, label: str,
                    namespaces: Sequence[dict[str, Any]]) -> None:
    """Replace a function wherever it is reachable by name: its home, aliases in loaded
    modules under the same name, and any name bound to it in ``namespaces``."""
    blocker = _blocker(label)
    if parent is not None and attr is not None:
        p.setattr(parent, attr, blocker)
    name = attr or getattr(target_obj, "__name__", None)
    if isinstance(name, str) and not isinstance(parent, type):
        for module in _modules_binding(target_obj, name):
            if vars(module).get(name, None) is target_obj:
                p.setattr(module, name, blocker)
    for ns in namespaces:
        for key, value in list(ns.items()):
            if value is target_obj:
                p.setitem(ns, key, blocker)


def _patch_class(p: _Patcher, cls: type, label: str) -> None:
    """Make a class unusable: constructing it, or calling ``forward`` on an instance, raises."""
    blocker = _blocker(label)
    p.setattr(cls, "__init__", blocker)
    for name in ("forward", "__call__"):
        if name in vars(cls):
            p.setattr(cls, name, blocker)


@contextlib.contextmanager
def forbid(*names: Any, namespace: dict[str, Any] | None = None) -> Iterator[None]:
    """While active, make every forbidden function raise ``AssertionError`` when called.

    ``names``: dotted names or objects as for :func:`assert_no_forbidden_calls`.

    - a function (``"F.conv2d"``, ``"torch.Tensor.unfold"``) is replaced in its module or
      class, in every loaded module that binds it under the same name (so
      ``torch.conv2d`` and ``F.conv2d``, which are one object, are both blocked), and
      under any name in ``namespace`` (pass the learner's ``globals()`` to catch
      ``from torch.nn.functional import conv2d as c``);
    - a class (``"torch.nn.Conv2d"``) can be neither constructed nor called;
    - a module (``"course_lib.conv"``) has each function and class it defines blocked.

    Everything is restored on exit, even if the body raises. Use it only around the
    learner's call: compute reference values outside.
    """
    namespaces = [namespace] if namespace is not None else []
    patcher = _Patcher()
    try:
        for target in _targets(names):
            if target.is_module:
                modname = target.obj.__name__
                for attr, value in list(vars(target.obj).items()):
                    if getattr(value, "__module__", None) != modname:
                        continue
                    label = f"{target.label.removesuffix('.*')}.{attr}"
                    if isinstance(value, type):
                        _patch_class(patcher, value, label)
                    elif callable(value):
                        _patch_function(patcher, value, attr, target.obj, label, namespaces)
            elif target.is_class:
                _patch_class(patcher, target.obj, target.label)
            else:
                _patch_function(patcher, target.obj, target.attr, target.parent, target.label, namespaces)
        yield
    finally:
        patcher.undo()


def call_without(forbidden: Iterable[Any], func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``func(*args, **kwargs)`` after the static check and under the runtime guard.

    ``forbidden``: dotted names or objects. The learner's globals (``func.__globals__``)
    are guarded too, so aliases bound there raise. Returns what ``func`` returns.
    """
    forbidden = list(forbidden)
    assert_no_forbidden_calls(func, forbidden)
    namespace = getattr(_unwrap(func), "__globals__", None)
    with forbid(*forbidden, namespace=namespace):
        return func(*args, **kwargs)
