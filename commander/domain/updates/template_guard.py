"""Budgets for running untrusted Jinja2 templates: time, size, arithmetic and recursion.

Team templates come from the shared store, so anyone with a login can write one. Jinja2's sandbox stops
attribute tricks but not denial of service: nested `range(100000)` loops, `10**100000000` (which Jinja's
optimizer folds at COMPILE time), `"x" * 10**9`, a doubling `~` in a loop, a macro calling itself. This
module is the in-process guard every template runs under:

- `ImmutableSandboxedEnvironment` with `optimized=False`: no constant folding at compile time, and no
  `incident.clear()` or `.append()` on the context (one template cannot break the next one's variables);
- `**`, `*`, `+`, `%` and `~` refuse results past `MAX_INT_BITS` / `MAX_SIZE`, and so do the string
  methods and filters that widen text (`center`, `replace`, `format`, …); `range` is bounded;
- a time budget checked on every line the template's code runs (a trace function limited to template
  frames, so loops that write nothing are stopped too) and on every call it makes;
- a deep recursion is a `RecursionError` caught by the caller (`guarded_problem`).

A single C-level operation that slips past these (an allocation inside one call) cannot be interrupted
in-process: `commander.app.updates.template_runner` therefore renders in a separate worker process with a memory
limit and a hard timeout, this guard inside it giving the precise message and line.

Sources: Jinja2's sandbox, operator intercepting and its own `MAX_RANGE` of 100,000,
https://jinja.palletsprojects.com/en/stable/sandbox/ ; a trace function that raises is removed and its
exception propagates into the traced frame, https://docs.python.org/3/library/sys.html#sys.settrace .
"""

from __future__ import annotations

import functools
import math
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import FrameType
from typing import Any, cast

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.nodes import Concat
from jinja2.sandbox import ImmutableSandboxedEnvironment

TIME_BUDGET = 2.0  # seconds a template may run: a real update renders in milliseconds
MAX_RANGE = 100_000  # numbers one range() may hold (Jinja2's own sandbox limit)
MAX_SIZE = 1_000_000  # characters or items one value made in a template may have
MAX_INT_BITS = 3_400  # about 1,000 digits: more than any figure an update needs
_WIDENING = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})  # str methods whose argument is a width
_WIDENING_FILTERS = frozenset({"center", "indent", "batch", "slice"})  # a number argument sets a width or a count
# A width of millions ("%1000000000d", "{:>1000000000}"), or one taken from an argument ("%*d", "{:{}}").
_WIDE_FORMAT = re.compile(r"%[^a-zA-Z%]*(?:\d{7,}|\*)|\{[^{}]*:[^{}]*(?:\d{7,}|\{)")

_ACTIVE: ContextVar[Budget | None] = ContextVar("template_budget", default=None)


class TemplateLimit(Exception):
    """A budget was exceeded inside a template. Raised in the template's own frame, so Jinja2 rewrites the
    traceback and the line it happened on can be named."""


class Budget:
    """The time one render may take; `tick` is cheap enough to call on every template line."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self._ticks = 0

    def tick(self) -> None:
        self._ticks += 1
        if not self._ticks & 127:
            self.check()

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateLimit(
                f"stopped after {self.seconds:g} s: a template must finish sooner. Look for a loop "
                f"that runs too many times"
            )


def _check() -> None:
    budget = _ACTIVE.get()
    if budget is not None:
        budget.check()


def _too_big(what: str) -> TemplateLimit:
    return TemplateLimit(f"{what} would be too long for a template (at most {MAX_SIZE:,} characters or items)")


def _sized(value: Any) -> Any:
    if isinstance(value, str | list | tuple | dict | bytes) and len(value) > MAX_SIZE:
        raise _too_big("a value")
    return value


def _too_deep() -> TemplateSyntaxError:
    return TemplateSyntaxError("the template is nested too deeply to be read: simplify it", 1)


def _check_int_bits(bits: float) -> None:
    if bits > MAX_INT_BITS:
        raise TemplateLimit(f"a number would have more than {MAX_INT_BITS * math.log10(2):,.0f} digits")


def _power(left: Any, right: Any) -> Any:
    if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
        _check_int_bits(right * math.log2(abs(left)))
    return left**right


def _times(left: Any, right: Any) -> Any:
    if isinstance(left, int) and isinstance(right, int):
        _check_int_bits(left.bit_length() + right.bit_length())
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, str | list | tuple) and isinstance(count, int) and len(seq) * count > MAX_SIZE:
            raise _too_big("a repeated text or list")
    return left * right


def _plus(left: Any, right: Any) -> Any:
    if (
        isinstance(left, str | list | tuple)
        and isinstance(right, str | list | tuple)
        and len(left) + len(right) > MAX_SIZE
    ):
        raise _too_big("a joined text or list")
    return left + right


def _format_spec(text: Any) -> None:
    if isinstance(text, str) and _WIDE_FORMAT.search(text):
        raise TemplateLimit("a format width that large is not allowed in a template")


def _modulo(left: Any, right: Any) -> Any:
    _format_spec(left)
    return _sized(left % right)


def _range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise TemplateLimit(f"range() of {len(numbers):,} numbers is too long: at most {MAX_RANGE:,}")
    return numbers


def _guard_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter whose result is size-checked, and whose widening arguments are checked before it runs."""

    @functools.wraps(function)  # keeps `jinja_pass_arg` (pass_context, pass_environment …)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _check()
        if name in _WIDENING_FILTERS and any(isinstance(a, int) and a > MAX_SIZE for a in (*args, *kwargs.values())):
            raise _too_big(f"the text of {name}")
        if name == "format":
            _format_spec(next((a for a in args if isinstance(a, str)), None))
        if name == "replace":
            text, old, new = (list(a for a in args if isinstance(a, str))[-3:] + ["", "", ""])[:3]
            if len(new) * (text.count(old) if old else len(text) + 1) + len(text) > MAX_SIZE:
                raise _too_big("the text of replace")
        return _sized(function(*args, **kwargs))

    return guarded


def _lipsum(lipsum: Callable[..., Any]) -> Callable[..., Any]:
    """Jinja2's placeholder text, with at most 100 paragraphs of at most 1,000 words (it has no limit)."""

    def bounded(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> Any:  # noqa: A002 (its names)
        if n > 100 or max > 1000:
            raise _too_big("lipsum's text")
        return lipsum(n, html, min, max)

    return bounded


class _GuardedCodeGenerator(CodeGenerator):
    """Routes `a ~ b` (compiled to a plain join Jinja2 offers no hook for) through the size check."""

    def visit_Concat(self, node: Concat, frame: Frame) -> None:
        self.write("environment.concat_checked(")
        super().visit_Concat(node, frame)
        self.write(")")


class GuardedEnvironment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"**", "*", "+", "%"})
    code_generator_class = _GuardedCodeGenerator
    _BINOPS: dict[str, Callable[[Any, Any], Any]] = {"**": _power, "*": _times, "+": _plus, "%": _modulo}

    def __init__(self, **options: Any) -> None:
        super().__init__(
            undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True, optimized=False, **options
        )
        self.globals["range"] = _range
        self.globals["lipsum"] = _lipsum(cast(Callable[..., Any], self.globals["lipsum"]))
        self.filters = {name: _guard_filter(name, function) for name, function in self.filters.items()}

    def parse(self, source: str, name: str | None = None, filename: str | None = None) -> Any:
        try:
            return super().parse(source, name, filename)
        except RecursionError:  # "{{ ((((…1…)))) }}" thousands deep: Jinja2's parser recurses
            raise _too_deep() from None

    def compile(
        self,
        source: Any,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> Any:
        try:
            return super().compile(source, name, filename, raw, defer_init)  # type: ignore[call-overload]
        except (RecursionError, SyntaxError):  # also Python's own limit: 20 loops inside each other
            raise _too_deep() from None

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _check()
        return self._BINOPS[operator](left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 (Jinja2's names)
        _check()
        if isinstance(getattr(__obj, "__self__", None), str):
            name = getattr(__obj, "__name__", "")
            if name in _WIDENING and any(isinstance(a, int) and a > MAX_SIZE for a in args):
                raise _too_big(f"the text of {name}()")
            if name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
                text = __obj.__self__
                if len(args[1]) * (text.count(args[0]) if args[0] else len(text) + 1) + len(text) > MAX_SIZE:
                    raise _too_big("the text of replace()")
        return _sized(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """`"{:>100000000}".format(1)`: Jinja2 wraps str.format when it is looked up, so the width is
        checked there."""
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _format_spec(value.__self__)
        return wrapped

    @functools.lru_cache(maxsize=64)  # noqa: B019 (one environment per module, kept for the process's life)
    def compiled(self, source: str) -> Template:
        """The template, compiled once per text: the live preview renders the same text again and again."""
        return self.from_string(source)

    @staticmethod
    def concat_checked(text: Any) -> Any:
        return _sized(text)

    @staticmethod
    def concat(parts: Any) -> str:
        """Joins what a macro, `{% set %}…{% endset %}` or `caller()` captured: measured before it is joined,
        so 100,000 references to one long text never become one enormous text."""
        parts = list(parts)
        if sum(map(len, parts)) > MAX_SIZE:
            raise _too_big("the text a macro or a block makes")
        return "".join(parts)


@contextmanager
def budgeted(seconds: float = TIME_BUDGET) -> Iterator[Budget]:
    """Run the template code inside under a time budget. The trace function only follows frames of
    template code (Jinja2 compiles them with the file name "<template>"), so the cost is a counter per line
    of template code; the tracer that was there before (a debugger, coverage) is put back after."""
    budget = Budget(seconds)
    token = _ACTIVE.set(budget)

    def each_line(frame: FrameType, event: str, arg: Any) -> Any:
        budget.tick()
        return each_line

    def each_call(frame: FrameType, event: str, arg: Any) -> Any:
        return each_line if frame.f_code.co_filename == "<template>" else None

    previous = sys.gettrace()
    sys.settrace(each_call)
    try:
        yield budget
    finally:
        sys.settrace(previous)
        _ACTIVE.reset(token)


def guarded_problem(error: BaseException) -> tuple[str, int | None] | None:
    """(what went wrong in words, the template line) for an exception a running template caused, or None
    for one that is not the template's doing (a bug: let it travel with its traceback)."""
    line = line_of(error)
    if isinstance(error, TemplateSyntaxError):
        return error.message or "the template cannot be read", error.lineno
    if isinstance(error, TemplateLimit):
        return str(error), line
    if isinstance(error, SecurityError):
        return f"not allowed in a template: {error}", line
    if isinstance(error, UndefinedError):
        return undefined_in_words(str(error)), line
    if isinstance(error, TemplateError):
        return str(error), line
    if isinstance(error, RecursionError):
        return "a macro calls itself too many times (it never stops): give it a condition that ends it", line
    if isinstance(error, MemoryError):
        return "it needs more memory than a template may use", line
    if isinstance(error, OverflowError):
        return "a number is too large to work with", line
    if isinstance(error, ArithmeticError | LookupError | TypeError | ValueError) and line is not None:
        return f"{error}", line  # e.g. {{ 1 / 0 }}: the template's arithmetic, not a bug in Commander
    return None


_NO_ATTRIBUTE = re.compile(r"^'\w+ object' has no attribute '(?P<name>[^']*)'$")
_NOT_DEFINED = re.compile(r"^'(?P<name>[^']*)' is undefined$")


def undefined_in_words(message: str) -> str:
    """Jinja2 says "'dict object' has no attribute 'titel'"; a person writing an update needs the name."""
    missing = _NO_ATTRIBUTE.match(message) or _NOT_DEFINED.match(message)
    if missing is None:
        return message
    return f"there is no variable '{missing['name']}': check its spelling"


def line_of(error: BaseException) -> int | None:
    """The template line an error happened on, from the traceback Jinja2 rewrites for templates."""
    line = None
    traceback = error.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == "<template>":
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line
