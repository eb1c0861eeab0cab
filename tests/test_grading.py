"""Tests of course_lib.grading: strict value checks and forbidden-call detection.

Each helper must accept a correct answer and reject, with a specific message, a wrong
type, an object that rigs ``__eq__``, a wrong shape, a wrong dtype and wrong values.
The forbidden-call checks must catch direct, aliased, nested and dynamic calls, and
leave torch exactly as it was afterwards.
"""

from __future__ import annotations

import re
import sys
import types

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.functional import conv2d as aliased_conv2d

from course_lib.grading import (CONV_NAMES, UNFOLD_NAMES, assert_no_forbidden_calls, call_repr,
                                call_without, check_float, check_int, check_shape, check_tensor,
                                forbid)

ORIGINAL_CONV2D = F.conv2d
ORIGINAL_TORCH_CONV2D = torch.conv2d
ORIGINAL_UNFOLD = F.unfold
ORIGINAL_CONV2D_INIT = nn.Conv2d.__init__
ORIGINAL_CONV2D_FORWARD = nn.Conv2d.forward


def random_tensor(*shape: int, seed: int = 0, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=dtype)


class RiggedTensor(torch.Tensor):
    """A tensor subclass that claims to equal anything."""

    def __eq__(self, other):  # noqa: D105
        return True

    __hash__ = torch.Tensor.__hash__


class Liar:
    """Not a tensor at all, but it equals everything and pretends to be an array."""

    shape = (2, 3)
    dtype = torch.float32

    def __eq__(self, other):
        return True

    def __array__(self, *args, **kwargs):
        return np.zeros((2, 3), dtype=np.float32)


class RiggedInt(int):
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


# --------------------------------------------------------------------------------------
# check_tensor
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_check_tensor_accepts_equal_and_nearly_equal(dtype):
    expected = random_tensor(2, 3, 7, dtype=dtype)
    check_tensor(expected.clone(), expected, "out")
    check_tensor(expected + 1e-7 * expected.abs().max(), expected, "out", rtol=1e-5, atol=1e-6)
    check_tensor(expected.clone().requires_grad_(), expected, "out")  # autograd is fine
    check_tensor(torch.empty(0, 3), torch.empty(0, 3), "empty")


@pytest.mark.parametrize("got, received", [
    (np.zeros((2, 3), dtype=np.float32), "numpy.ndarray"),
    ([[0.0] * 3] * 2, "list"),
    (Liar(), "Liar"),
    (torch.zeros(2, 3).as_subclass(RiggedTensor), "RiggedTensor"),
    (nn.Parameter(torch.zeros(2, 3)), "Parameter"),
    (None, "NoneType"),
])
def test_check_tensor_rejects_anything_but_a_plain_tensor(got, received):
    with pytest.raises(AssertionError, match=rf"^out: expected a torch.Tensor, got \S*{received}"):
        check_tensor(got, torch.zeros(2, 3), "out")


def test_check_tensor_reports_both_shapes():
    with pytest.raises(AssertionError) as info:
        check_tensor(torch.zeros(2, 3, 8), torch.zeros(2, 3, 7), "conv1d(x, w)")
    assert str(info.value) == "conv1d(x, w): expected shape (2, 3, 7), got (2, 3, 8)"


def test_check_tensor_reports_both_dtypes():
    with pytest.raises(AssertionError) as info:
        check_tensor(torch.zeros(4, dtype=torch.float64), torch.zeros(4), "out")
    assert str(info.value) == "out: expected dtype torch.float32, got torch.float64"


def test_check_tensor_reports_the_device():
    with pytest.raises(AssertionError, match=r"out: expected a tensor on cpu, got one on meta"):
        check_tensor(torch.zeros(4, device="meta"), torch.zeros(4), "out")


def test_check_tensor_reports_count_max_error_and_first_index():
    expected = random_tensor(2, 3, 4, 5, dtype=torch.float64)
    got = expected.clone()
    got[1, 2, 0, 3] += 0.25
    got[1, 2, 3, 1] -= 1.5
    with pytest.raises(AssertionError) as info:
        check_tensor(got, expected, "conv2d")
    message = str(info.value)
    assert message.startswith(f"conv2d: 2 of {expected.numel()} values differ")
    max_error = float(re.search(r"max abs error (\S+);", message).group(1))
    assert max_error == pytest.approx(1.5, rel=1e-5)
    assert "first at index (1, 2, 0, 3)" in message
    first_expected = float(re.search(r"expected (\S+), got", message).group(1))
    first_got = float(re.search(r", got (\S+)$", message).group(1))
    assert first_expected == pytest.approx(expected[1, 2, 0, 3].item(), rel=1e-5)
    assert first_got == pytest.approx(got[1, 2, 0, 3].item(), rel=1e-5)


def test_check_tensor_tolerances_are_respected():
    expected = torch.ones(3)
    check_tensor(expected + 1e-3, expected, "x", atol=2e-3)
    with pytest.raises(AssertionError, match="3 of 3 values differ"):
        check_tensor(expected + 1e-3, expected, "x", rtol=1e-6, atol=1e-6)


def test_check_tensor_nan():
    expected = torch.tensor([1.0, float("nan")])
    check_tensor(expected.clone(), expected, "x")  # NaN where NaN is expected is fine
    with pytest.raises(AssertionError, match=r"x: 1 of 2 values differ.*max abs error nan.*index \(0,\)"):
        check_tensor(torch.tensor([float("nan"), float("nan")]), expected, "x")


def test_check_tensor_integer_and_bool_tensors_are_exact():
    check_tensor(torch.arange(5), torch.arange(5), "idx")
    with pytest.raises(AssertionError, match=r"idx: 1 of 5 values differ; max abs error 1; first at index \(4,\)"):
        check_tensor(torch.tensor([0, 1, 2, 3, 5]), torch.arange(5), "idx")
    with pytest.raises(AssertionError, match=r"mask: 1 of 2 values differ; values differ; first at index \(1,\)"):
        check_tensor(torch.tensor([True, True]), torch.tensor([True, False]), "mask")


def test_check_tensor_scalar_tensor():
    check_tensor(torch.tensor(2.0), torch.tensor(2.0), "s")
    with pytest.raises(AssertionError, match=r"first at index \(\): expected 2, got 3"):
        check_tensor(torch.tensor(3.0), torch.tensor(2.0), "s")


def test_check_tensor_rejects_a_non_tensor_reference():
    with pytest.raises(TypeError, match="expected must be a torch.Tensor"):
        check_tensor(torch.zeros(1), [0.0], "x")


# --------------------------------------------------------------------------------------
# check_int, check_float, check_shape, call_repr
# --------------------------------------------------------------------------------------


def test_check_int_accepts_the_right_int():
    check_int(30, 30, "size")
    check_int(int(np.int64(30)), 30, "size")


def test_check_int_reports_expected_and_got():
    with pytest.raises(AssertionError) as info:
        check_int(31, 30, "conv_output_size(32, 3)")
    assert str(info.value) == "conv_output_size(32, 3): expected 30, got 31"


@pytest.mark.parametrize("got, received", [
    (30.0, "float 30.0"),
    (True, "bool True"),
    (np.int64(30), "numpy.int64"),
    (torch.tensor(30), "torch.Tensor"),
    (RiggedInt(30), "RiggedInt"),
    ("30", "str '30'"),
    (None, "NoneType None"),
])
def test_check_int_rejects_other_types(got, received):
    with pytest.raises(AssertionError, match=rf"^size: expected an int, got \S*{re.escape(received)}"):
        check_int(got, 30, "size")


def test_check_int_hints_at_the_fix():
    with pytest.raises(AssertionError, match=r"integer division //"):
        check_int(30.0, 30, "size")
    with pytest.raises(AssertionError, match=r"convert it with int"):
        check_int(np.int64(30), 30, "size")


def test_check_float():
    check_float(0.1 + 0.2, 0.3, "p")
    check_float(3, 3.0, "p")
    check_float(np.float64(0.5), 0.5, "p")
    with pytest.raises(AssertionError, match=r"^p: expected 0.3, got 0.31 \(error 0.01\)$"):
        check_float(0.31, 0.3, "p")
    for bad in (torch.tensor(0.3), True, "0.3", Liar()):
        with pytest.raises(AssertionError, match=r"^p: expected a float, got"):
            check_float(bad, 0.3, "p")


def test_check_shape():
    check_shape((2, 3, 7), (2, 3, 7), "shape")
    check_shape(torch.Size([2, 3, 7]), [2, 3, 7], "shape")
    check_shape(torch.zeros(2, 3, 7), (2, 3, 7), "out")
    with pytest.raises(AssertionError) as info:
        check_shape((2, 3, 8), (2, 3, 7), "out")
    assert str(info.value) == "out: expected shape (2, 3, 7), got (2, 3, 8)"
    with pytest.raises(AssertionError, match=r"out: expected a shape made of ints, got \(int, float\)"):
        check_shape((2, 3.0), (2, 3), "out")
    for bad in ([2, 3], np.zeros((2, 3)), Liar(), "2, 3"):
        with pytest.raises(AssertionError, match=r"out: expected a shape .* got"):
            check_shape(bad, (2, 3), "out")


def test_call_repr_shows_tensor_shapes():
    x = torch.zeros(1, 2, 5, 5)
    text = call_repr("conv2d", x=x, weight=torch.zeros(3, 2, 3, 3, dtype=torch.float64), stride=2)
    assert text == "conv2d(x: (1, 2, 5, 5) float32, weight: (3, 2, 3, 3) float64, stride=2)"
    assert call_repr("f", 3, padding=(1, 2)) == "f(3, padding=(1, 2))"


# --------------------------------------------------------------------------------------
# Learner-style functions for the forbidden-call checks
# --------------------------------------------------------------------------------------


def honest_conv2d(x, w):
    """A from-scratch convolution: the kind of answer that must pass every check."""
    n, c, h, wd = x.shape
    co, _, kh, kw = w.shape
    conv2d = torch.zeros(n, co, h - kh + 1, wd - kw + 1, dtype=x.dtype)  # a local named conv2d is fine
    for i in range(kh):
        for j in range(kw):
            patch = x[:, :, i:i + h - kh + 1, j:j + wd - kw + 1]
            conv2d = conv2d + torch.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
    if conv2d.dim() != 4:
        raise ValueError("conv2d")  # a string constant that names the function is fine too
    return conv2d


def uses_direct(x, w):
    return F.conv2d(x, w)


def uses_full_path(x, w):
    return torch.nn.functional.conv2d(x, w)


def uses_torch_namespace(x, w):
    return torch.conv2d(x, w)


def uses_alias(x, w):
    return aliased_conv2d(x, w)


def uses_nested(x, w):
    def inner(a):
        return [F.conv2d(a, w) for _ in range(1)][0]
    return inner(x)


def _private_helper(x, w):
    return F.conv2d(x, w)


def uses_helper(x, w):
    return _private_helper(x, w) * 1.0


def uses_local_import(x, w):
    import torch.nn.functional as G
    return G.conv2d(x, w)


def uses_from_import(x, w):
    from torch.nn.functional import conv2d, pad
    return conv2d(pad(x, (0, 0)), w)


def uses_getattr(x, w):
    return getattr(F, "conv2d")(x, w)


def uses_dynamic_name(x, w):
    name = "".join(["conv", "2", "d"])  # invisible to a static check
    return getattr(F, name)(x, w)


def uses_default(x, w, op=F.conv2d):
    return op(x, w)


def uses_local_alias(x, w):
    g = F
    return g.conv2d(x, w)


def uses_layer(x, w):
    layer = nn.Conv2d(w.shape[1], w.shape[0], w.shape[2:], bias=False)
    layer.weight.data.copy_(w)
    return layer(x)


class MyConv(nn.Conv2d):
    pass


def uses_subclass(x, w):
    return MyConv(w.shape[1], w.shape[0], w.shape[2:])(x)


PREBUILT = nn.Conv2d(2, 3, 3)


def uses_prebuilt_layer(x, w):
    return PREBUILT(x)


def uses_tensor_unfold(x, w):
    patches = x.unfold(2, w.shape[2], 1).unfold(3, w.shape[3], 1)  # (N, C, H', W', kh, kw)
    return torch.einsum("nchwij,ocij->nohw", patches, w)


def uses_functional_unfold(x, w):
    cols = F.unfold(x, w.shape[2:])  # (N, C*kh*kw, L)
    out = w.reshape(w.shape[0], -1) @ cols
    return out.reshape(x.shape[0], w.shape[0], x.shape[2] - w.shape[2] + 1, -1)


def closure_factory():
    op = F.conv2d

    def uses_closure(x, w):
        return op(x, w)
    return uses_closure


uses_closure = closure_factory()
uses_lambda = lambda x, w: F.conv2d(x, w)  # noqa: E731


STATIC_CASES = {
    "direct": (uses_direct, "`F.conv2d` in uses_direct"),
    "full path": (uses_full_path, "`torch.nn.functional.conv2d`"),
    "torch namespace": (uses_torch_namespace, "`torch.conv2d`"),
    "alias": (uses_alias, "`aliased_conv2d`"),
    "nested": (uses_nested, "`F.conv2d` in uses_nested.<locals>.inner"),
    "helper": (uses_helper, "`F.conv2d` in _private_helper, called from uses_helper"),
    "local import": (uses_local_import, "`G.conv2d`"),
    "from import": (uses_from_import, "conv2d"),
    "getattr": (uses_getattr, "`F.conv2d`"),
    "default argument": (uses_default, "a default argument"),
    "local alias": (uses_local_alias, "`g.conv2d`"),
    "closure": (uses_closure, "`op` in"),
    "lambda": (uses_lambda, "`F.conv2d` in <lambda>"),
}


@pytest.fixture
def inputs():
    return random_tensor(2, 2, 6, 7, seed=1), random_tensor(3, 2, 3, 3, seed=2)


def test_honest_function_passes_the_static_check(inputs):
    assert_no_forbidden_calls(honest_conv2d, [*CONV_NAMES, *UNFOLD_NAMES])
    x, w = inputs
    check_tensor(call_without([*CONV_NAMES, *UNFOLD_NAMES], honest_conv2d, x, w),
                 ORIGINAL_CONV2D(x, w), "honest", rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("case", list(STATIC_CASES), ids=list(STATIC_CASES))
def test_static_check_finds_the_call(case):
    func, evidence = STATIC_CASES[case]
    with pytest.raises(AssertionError) as info:
        assert_no_forbidden_calls(func, CONV_NAMES)
    message = str(info.value)
    assert message.startswith(f"{func.__name__} must not call torch.nn.functional.conv2d (found ")
    assert evidence in message
    assert "Implement it yourself" in message


def test_static_check_accepts_short_names(inputs):
    with pytest.raises(AssertionError, match=r"must not call F\.conv2d \(found `F\.conv2d`"):
        assert_no_forbidden_calls(uses_direct, ["F.conv2d"])
    assert_no_forbidden_calls(uses_direct, ["F.conv1d", "F.unfold"])  # only what is listed


@pytest.mark.parametrize("func", [uses_layer, uses_subclass, uses_prebuilt_layer])
def test_static_check_finds_layers(func):
    with pytest.raises(AssertionError, match=r"must not call torch\.nn\.Conv2d \(found "):
        assert_no_forbidden_calls(func, ["torch.nn.Conv2d"])


def test_static_check_finds_methods_and_unfold():
    with pytest.raises(AssertionError, match=r"must not call torch\.Tensor\.unfold \(found `\.unfold`"):
        assert_no_forbidden_calls(uses_tensor_unfold, UNFOLD_NAMES)
    with pytest.raises(AssertionError, match=r"must not call torch\.nn\.functional\.unfold \(found `F\.unfold`"):
        assert_no_forbidden_calls(uses_functional_unfold, UNFOLD_NAMES)
    # F.unfold forbidden but x.unfold allowed: a method call on a tensor is not F.unfold
    assert_no_forbidden_calls(uses_tensor_unfold, ["F.unfold", *CONV_NAMES])


def test_static_check_with_objects_and_bound_methods():
    with pytest.raises(AssertionError, match=r"must not call _private_helper \(found `_private_helper`"):
        assert_no_forbidden_calls(uses_helper, [_private_helper])

    class Holder:
        def method(self, x, w):
            return F.conv2d(x, w)

    with pytest.raises(AssertionError, match=r"method must not call"):
        assert_no_forbidden_calls(Holder().method, CONV_NAMES)


@pytest.fixture
def fake_library(monkeypatch):
    """A module standing in for course_lib.conv: the course's own solutions."""
    module = types.ModuleType("fake_solutions")
    exec("def conv2d(x, w):\n    return x\n\nclass Layer:\n    def __init__(self):\n        pass\n",
         module.__dict__)
    monkeypatch.setitem(sys.modules, "fake_solutions", module)
    return module


def test_module_is_forbidden_whole(fake_library, inputs):
    namespace: dict = {}
    exec("import fake_solutions\n"
         "from fake_solutions import conv2d as c\n"
         "def via_module(x, w):\n    return fake_solutions.conv2d(x, w)\n"
         "def via_alias(x, w):\n    return c(x, w)\n"
         "def via_class(x, w):\n    return fake_solutions.Layer()\n",
         namespace)
    for name in ("via_module", "via_alias", "via_class"):
        with pytest.raises(AssertionError, match=r"must not call fake_solutions \(found "):
            assert_no_forbidden_calls(namespace[name], ["fake_solutions"])
        with pytest.raises(AssertionError, match=r"must not call fake_solutions\.(conv2d|Layer)"):
            with forbid("fake_solutions.*", namespace=namespace):
                namespace[name](*inputs)
    assert fake_library.conv2d(1, 2) == 1  # restored


def test_missing_module_is_skipped_but_a_typo_is_an_error():
    assert_no_forbidden_calls(uses_direct, ["course_lib.no_such_module"])
    with forbid("course_lib.no_such_module"):
        pass
    with pytest.raises(LookupError, match="conv2dd"):
        assert_no_forbidden_calls(uses_direct, ["F.conv2dd"])


# --------------------------------------------------------------------------------------
# Runtime guard
# --------------------------------------------------------------------------------------


def assert_torch_restored():
    assert F.conv2d is ORIGINAL_CONV2D and torch.conv2d is ORIGINAL_TORCH_CONV2D
    assert F.unfold is ORIGINAL_UNFOLD
    assert "unfold" not in vars(torch.Tensor)
    assert nn.Conv2d.__init__ is ORIGINAL_CONV2D_INIT and nn.Conv2d.forward is ORIGINAL_CONV2D_FORWARD
    assert globals()["aliased_conv2d"] is ORIGINAL_CONV2D


# Defaults and closure cells bound before the guard starts keep the original function;
# the static check catches those (see STATIC_CASES), which is why tests use both.
RUNTIME_CASES = [uses_direct, uses_full_path, uses_torch_namespace, uses_alias, uses_nested,
                 uses_helper, uses_local_import, uses_from_import, uses_getattr, uses_dynamic_name,
                 uses_local_alias, uses_lambda, uses_layer, uses_subclass, uses_prebuilt_layer]


@pytest.mark.parametrize("func", RUNTIME_CASES, ids=lambda f: f.__name__)
def test_runtime_guard_blocks_the_call(func, inputs):
    with pytest.raises(AssertionError, match=r"this task must not call torch\.nn\.(functional\.conv2d|Conv2d)"):
        with forbid(*CONV_NAMES, namespace=globals()):
            func(*inputs)
    assert_torch_restored()


def test_runtime_guard_blocks_unfold(inputs):
    for func, label in [(uses_tensor_unfold, "torch.Tensor.unfold"),
                        (uses_functional_unfold, "torch.nn.functional.unfold")]:
        with pytest.raises(AssertionError, match=rf"must not call {re.escape(label)}"):
            with forbid(*UNFOLD_NAMES):
                func(*inputs)
    assert_torch_restored()
    x, w = inputs
    assert uses_tensor_unfold(x, w).shape == (2, 3, 4, 5)  # works again outside the guard


def test_runtime_guard_restores_after_an_error(inputs):
    with pytest.raises(RuntimeError, match="boom"):
        with forbid(*CONV_NAMES, *UNFOLD_NAMES, namespace=globals()):
            assert F.conv2d.__name__.startswith("forbidden_") and "unfold" in vars(torch.Tensor)
            raise RuntimeError("boom")
    assert_torch_restored()
    x, w = inputs
    assert F.conv2d(x, w).shape == (2, 3, 4, 5)


def test_runtime_guard_lets_honest_code_run(inputs):
    x, w = inputs
    with forbid(*CONV_NAMES, *UNFOLD_NAMES, namespace=globals()):
        got = honest_conv2d(x, w)
    check_tensor(got, ORIGINAL_CONV2D(x, w), "honest", rtol=1e-4, atol=1e-5)


def test_call_without_uses_both_checks(inputs):
    with pytest.raises(AssertionError, match=r"uses_direct must not call"):  # static
        call_without(CONV_NAMES, uses_direct, *inputs)
    with pytest.raises(AssertionError, match=r"this task must not call"):  # runtime
        call_without(CONV_NAMES, uses_dynamic_name, *inputs)
    assert_torch_restored()
