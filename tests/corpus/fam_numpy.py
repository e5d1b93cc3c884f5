"""
NumPy as transformation code hits it: shapes that do not line up, casts that lose data, values a
floating-point error mode refuses, text and ``.npy`` inputs that do not parse, linear algebra on
singular matrices, axes and dtypes that do not exist, and an allocation larger than the machine.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

from tests.corpus.model import C, D, Family, S

NEEDS_TMP = True


def build(family: Family, closing: list[Any], tmp: Path) -> None:  # noqa: PLR0915 (one statement per case)
    a, b = np.arange(6).reshape(2, 3), np.arange(4).reshape(2, 2)
    family.add("broadcast", lambda: a + b, D, "two batches whose shapes do not broadcast")
    family.add("matmul-shape", lambda: a @ a, D, "a matrix product with mismatched inner dimensions")
    family.add("reshape", lambda: np.arange(7).reshape(2, 3), D, "a batch that does not fill the shape")
    family.add(
        "concatenate", lambda: np.concatenate([a, np.arange(4).reshape(1, 4)]), D, "rows of unequal width"
    )

    def cast_inplace() -> None:
        ints = np.arange(3)
        ints += np.array([0.5, 1.5, 2.5])

    family.add("ufunc-cast", cast_inplace, {D, C}, "an in-place add of floats into an int array")
    family.add(
        "astype-str", lambda: np.array(["1", "x2"]).astype(np.int64), D, "a text column with a non-number"
    )
    family.add(
        "float-str", lambda: np.array(["1.5", "n/a?"], dtype=object).astype(float), D, "an unparsable float"
    )
    family.add(
        "overflow-int",
        lambda: np.array([2**70], dtype=np.int64),
        D,
        "a value too large for any integer dtype",
    )
    family.add(
        "out-of-bounds",
        lambda: np.array([300], dtype=np.int64).astype(np.uint8, casting="safe"),
        C,
        "casting='safe' refuses the cast: the code asks for a lossy dtype",
    )

    def divide() -> None:
        with np.errstate(divide="raise"):
            np.array([1.0]) / np.array([0.0])

    family.add("divide-by-zero", divide, D, "a zero divisor under errstate(divide='raise')")

    def invalid() -> None:
        with np.errstate(invalid="raise"):
            np.sqrt(np.array([-1.0]))

    family.add("invalid-value", invalid, D, "sqrt of a negative value under errstate(invalid='raise')")

    def overflow() -> None:
        with np.errstate(over="raise"):
            np.exp(np.array([1000.0]))

    family.add("float-overflow", overflow, D, "exp overflows under errstate(over='raise')")
    family.add(
        "singular", lambda: np.linalg.inv(np.zeros((2, 2))), D, "LinAlgError: a singular matrix in the data"
    )
    family.add(
        "cholesky", lambda: np.linalg.cholesky(np.array([[1.0, 2.0], [2.0, 1.0]])), D, "not positive definite"
    )
    family.add("axis", lambda: np.sum(a, axis=3), C, "AxisError: an axis the array does not have")
    family.add("dtype-name", lambda: np.dtype("int77"), C, "an unknown dtype name in the code")
    family.add("index", lambda: a[5, 0], D, "an index beyond the batch")
    family.add("bool-ambiguous", lambda: bool(a), C, "the truth value of an array: a defect in the code")

    text = tmp / "readings.csv"
    text.write_text("1,2,3\n4,5\n")
    family.add("loadtxt-ragged", lambda: np.loadtxt(text, delimiter=","), D, "a row with a missing column")
    text2 = tmp / "readings2.csv"
    text2.write_text("1,2\n3,abc\n")
    family.add("loadtxt-value", lambda: np.loadtxt(text2, delimiter=","), D, "a non-number in a numeric file")
    family.add(
        "genfromtxt", lambda: np.genfromtxt(io.StringIO("1,2\n3,4,5\n"), delimiter=","), D, "ragged rows"
    )
    pickled = tmp / "objects.npy"
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    family.add(
        "load-pickle", lambda: np.load(pickled), C, "an object array and allow_pickle=False: a setting"
    )
    truncated = tmp / "truncated.npy"
    np.save(truncated, np.arange(1000))
    truncated.write_bytes(truncated.read_bytes()[:200])
    family.add("load-truncated", lambda: np.load(truncated), D, "a .npy file cut short")
    garbage = tmp / "garbage.npy"
    garbage.write_bytes(b"\x93NUMPY\x09\x00not a header at all")
    family.add("load-garbage", lambda: np.load(garbage), D, "a .npy file with a corrupt header")
    family.add("load-missing", lambda: np.load(tmp / "absent.npy"), C, "a .npy path that does not exist")
    family.add("alloc", lambda: np.empty(1 << 45, dtype=np.float64), {S, D}, "an allocation of 256 TiB")
    family.add(
        "frombuffer",
        lambda: np.frombuffer(b"\x00" * 7, dtype=np.float64),
        D,
        "a byte payload not a multiple of 8",
    )
