"""Frozen, slotted record classes, declared like dataclasses, without their import-time cost.

`dataclasses` writes the source of `__init__`, `__eq__`, `__hash__` and `__repr__` for every
class and compiles it with `exec` when the module is imported: about 0.6 ms a class, 40 ms for
the syntax tree alone — most of a warm `jixiao eval`. `record` gives the same behaviour from
methods written once, here: positional and keyword construction with defaults, immutability,
equality and hashing over the fields that take part in comparison (spans do not), a repr, class
patterns in `match`, and pickling (the plan cache stores syntax trees).

The shared `__init__` costs about twice a generated one; the few records made in bulk (a span
per syntax node, a provenance per fact of every portfolio row) write their `__init__` out, which
`record` keeps.

Type checkers see a dataclass: `record` carries `dataclass_transform`. Modules a warm `eval`
never imports (the batch runner, pack tests, self-evaluation, the analyses) keep plain
dataclasses, including the mutable accumulators `record` does not try to be.
"""

from __future__ import annotations

import collections
from collections.abc import Callable

# `typing` costs a warm `jixiao eval` 3–4 ms to import (with contextlib and warnings), and
# nothing on that path needs it at run time: type checkers read the first branch (mypy takes
# any `if TYPE_CHECKING:` as true), Python the second.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar, NamedTuple, TypeVar, dataclass_transform, overload

    T = TypeVar("T")
else:

    def dataclass_transform(**_: object) -> Callable[[T], T]:
        return lambda f: f

    def overload(f: T) -> T:
        return f

    class _NamedTupleMeta(type):
        """`typing.NamedTuple`'s class syntax, made by `collections.namedtuple` directly."""

        def __new__(mcs, name, bases, namespace):
            if namespace.get("_root"):
                return super().__new__(mcs, name, bases, namespace)
            fields = list(namespace.get("__annotations__", {}))
            defaults = [namespace[f] for f in fields if f in namespace]
            cls = collections.namedtuple(
                name, fields, defaults=defaults or None, module=namespace["__module__"]
            )
            for key, value in namespace.items():
                if key not in fields and key not in ("__module__", "__annotations__"):
                    setattr(cls, key, value)
            return cls

    class NamedTuple(metaclass=_NamedTupleMeta):
        """Subclass it as `typing.NamedTuple`: fields annotated, defaults last."""

        _root = True


_MISSING: Any = object()


class Spec:
    """Options of one field: its default, whether it takes part in equality, in the repr."""

    __slots__ = ("compare", "default", "repr")

    def __init__(self, default: Any, compare: bool, repr: bool) -> None:
        self.default, self.compare, self.repr = default, compare, repr


def spec(*, default: Any = _MISSING, compare: bool = True, repr: bool = True) -> Any:
    """A field with options, as `dataclasses.field` (defaults must be immutable)."""
    return Spec(default, compare, repr)


class FrozenRecordError(AttributeError):
    """Raised on assignment to a record: records are immutable, like the frozen dataclasses
    they replace."""


class Record:
    """The methods every record shares; `record` fills in the per-class field tables."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}
    # given this many positional arguments and no keywords, the defaults of the fields left
    _tails: ClassVar[dict[int, tuple[Any, ...]]] = {}
    _compared: ClassVar[tuple[str, ...]] = ()
    _shown: ClassVar[tuple[str, ...]] = ()
    _post_init: ClassVar[bool] = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields = self._fields
        if kwargs or len(args) != len(fields):
            tail = None if kwargs else self._tails.get(len(args))
            args = args + tail if tail is not None else self._complete(args, kwargs)
        put = object.__setattr__
        for name, value in zip(fields, args, strict=True):
            put(self, name, value)
        if self._post_init:
            self.__post_init__()

    @classmethod
    def _complete(cls, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
        """Every field's value in order, from positional and keyword arguments and defaults."""
        fields = cls._fields
        if len(args) > len(fields):
            raise TypeError(f"{cls.__name__}() takes {len(fields)} arguments, {len(args)} given")
        values = list(args)
        for name in fields[len(args) :]:
            if name in kwargs:
                values.append(kwargs.pop(name))
            elif name in cls._defaults:
                values.append(cls._defaults[name])
            else:
                raise TypeError(f"{cls.__name__}() is missing the argument {name!r}")
        if kwargs:
            raise TypeError(f"{cls.__name__}() got unexpected arguments {sorted(kwargs)}")
        return tuple(values)

    def __post_init__(self) -> None:
        """Derive what the fields imply (it may set fields with `object.__setattr__`)."""

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenRecordError(f"cannot assign to field {name!r} of a {type(self).__name__}")

    def __delattr__(self, name: str) -> None:
        raise FrozenRecordError(f"cannot delete field {name!r} of a {type(self).__name__}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self._compared)

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, n) for n in self._compared))

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._shown)
        return f"{type(self).__qualname__}({shown})"

    def __reduce__(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return type(self), tuple(getattr(self, n) for n in self._fields)


@overload
def record(cls: type[T], /) -> type[T]: ...


@overload
def record(*, eq: bool = True) -> Callable[[type[T]], type[T]]: ...  # noqa: F811


@dataclass_transform(frozen_default=True, field_specifiers=(spec,))
def record(cls: type[T] | None = None, /, *, eq: bool = True) -> Any:  # noqa: F811
    """Make a class with annotated fields a frozen, slotted record (see the module). With
    `eq=False`, records are equal only to themselves (identity), as `dataclass(eq=False)`."""
    if cls is None:
        return lambda c: _make(c, eq)
    return _make(cls, eq)


def _make(cls: type[T], eq: bool) -> type[T]:
    # (not inspect.get_annotations: importing inspect costs more than this whole module)
    annotations: dict[str, Any] = cls.__dict__.get("__annotations__", {})  # noqa: RUF063
    namespace: dict[str, Any] = {}
    fields: list[str] = []
    defaults: dict[str, Any] = {}
    compared: list[str] = []
    shown: list[str] = []
    for name, annotation in annotations.items():
        if "ClassVar" in str(annotation):
            continue
        given = cls.__dict__.get(name, _MISSING)
        options = given if isinstance(given, Spec) else Spec(given, True, True)
        if options.default is _MISSING and defaults:
            raise TypeError(f"{cls.__name__}.{name}: a field without a default follows defaults")
        fields.append(name)
        if options.default is not _MISSING:
            defaults[name] = options.default
        if options.compare:
            compared.append(name)
        if options.repr:
            shown.append(name)
    for name, value in cls.__dict__.items():
        if name not in fields and name not in ("__dict__", "__weakref__"):
            namespace[name] = value
    required = len(fields) - len(defaults)  # (defaults come last)
    namespace.update(
        __slots__=tuple(fields),
        __match_args__=tuple(fields),
        _fields=tuple(fields),
        _defaults=defaults,
        _tails={n: tuple(defaults[f] for f in fields[n:]) for n in range(required, len(fields))},
        _compared=tuple(compared),
        _shown=tuple(shown),
        _post_init="__post_init__" in cls.__dict__,
    )
    if not eq:
        namespace.update(__eq__=object.__eq__, __hash__=object.__hash__)
    bases = tuple(b for b in cls.__bases__ if b is not object) or (Record,)
    if not any(issubclass(b, Record) for b in bases):
        bases = (*bases, Record)
    return type(cls.__name__, bases, namespace)


def fields(obj: Record) -> tuple[str, ...]:
    """The names of a record's fields, in declaration order."""
    return obj._fields


def replace(obj: T, **changes: Any) -> T:
    """A copy of a record with some fields changed."""
    assert isinstance(obj, Record)
    return type(obj)(**{n: changes.pop(n, getattr(obj, n)) for n in obj._fields}, **changes)
