"""The file formats a person may upload, read with safe loaders only and within a size budget.

CSV (numbers; the last column is the target, a number or a class name), NPZ with arrays `x` and `y` (no pickle;
each array's shape and dtype are read from its .npy header and checked against the budget before a byte of data is
unpacked), and MNIST IDX files. Every problem is an UploadError whose message says what is wrong in a person's words.
"""

from __future__ import annotations

import csv
import io
import math
import struct
import zipfile
from array import array

from engine.lazy import numpy as np

IDX_TYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
MAX_DIMS = 4  # samples × channels × height × width
NPY_HEADER_BYTES = 10_000  # numpy's own default cap on a header


class UploadError(ValueError):
    """A file that cannot become a data set; the message says why in a person's words."""


def parse_csv(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Rows of numbers whose last column is the target, a number or a class's name (cat, dog); an optional header
    line (one with a name among the feature columns). The features go row by row into one flat float64 buffer."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadError("the CSV is not UTF-8 text") from None
    values, targets, width, rows = array("d"), [], 0, 0
    try:
        for line, row in enumerate(csv.reader(io.StringIO(text)), 1):
            if not any(cell.strip() for cell in row):
                continue
            if rows == 0 and width == 0 and any(_not_number(cell) for cell in row[:-1]):
                width = -1  # a header line: the next row sets the width
                continue
            width = len(row) if width <= 0 else width
            if width < 2 or len(row) != width:
                raise UploadError(f"every row needs the same number of columns (≥ 2): the first row has {width}, "
                                  f"line {line} has {len(row)}")
            for column, cell in enumerate(row[:-1], 1):
                if _not_number(cell):
                    raise UploadError(f"line {line}, column {column} holds {cell.strip()[:40]!r}, not a number "
                                      f"(only the last column, the target, may name a class)")
            values.extend(float(cell) for cell in row[:-1])
            targets.append((line, row[-1].strip()))
            rows += 1
    except csv.Error as exc:  # e.g. a field over the csv module's 128 KiB limit
        raise UploadError(f"the CSV cannot be read: {exc}") from None
    if rows < 10:
        raise UploadError("the CSV needs at least 10 rows of numbers")
    features = np.frombuffer(values, dtype=np.float64).reshape(rows, width - 1)
    names = [(line, target) for line, target in targets if _not_number(target)]
    if not names:
        return features, np.array([target for _, target in targets], dtype=np.float64)
    if len(names) < len(targets):  # a stray word among numbers is a mistake, not a class
        line, target = names[0]
        raise UploadError(f"the target column mixes numbers and names: line {line} holds {target[:40]!r}, not a number "
                          f"like the others (name every class, or none)")
    return features, np.array([target for _, target in targets])  # class names (cat, dog)


def _not_number(cell: str) -> bool:
    try:
        float(cell)
        return False
    except ValueError:
        return True


def parse_npz(raw: bytes, budget: int) -> tuple[np.ndarray, np.ndarray]:
    """x (or X) and y of an NPZ, refusing before unpacking when together they would exceed `budget` bytes."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = {name.removesuffix(".npy"): name for name in archive.namelist()}
            x_key = "x" if "x" in names else "X" if "X" in names else None
            if x_key is None or "y" not in names:
                raise UploadError(f"the NPZ needs arrays 'x' and 'y'; it has {sorted(names)}")
            x = _read_npy(archive, names[x_key], "x", budget)
            return x, _read_npy(archive, names["y"], "y", budget - x.nbytes, names_allowed=True)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError) as exc:
        raise UploadError(f"not a readable NPZ file ({exc})") from None


def _read_npy(archive: zipfile.ZipFile, member: str, name: str, budget: int, names_allowed: bool = False
              ) -> np.ndarray:
    with archive.open(member) as file:
        try:
            version = np.lib.format.read_magic(file)
            read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                           (2, 0): np.lib.format.read_array_header_2_0}.get(version)
            if read_header is None:
                raise UploadError(f"{name} is in .npy format {version}; save it with numpy.savez")
            shape, fortran_order, dtype = read_header(file, max_header_size=NPY_HEADER_BYTES)
        except UploadError:
            raise
        except ValueError as exc:
            raise UploadError(f"{name} is not a readable .npy array ({exc})") from None
        if dtype.hasobject:
            raise UploadError(f"{name} holds Python objects; uploads are read without pickle, so numbers only")
        if dtype.kind not in ("iufUS" if names_allowed else "iuf"):  # y may name its classes (unicode or bytes)
            raise UploadError(f"{name} must hold numbers{' or class names' if names_allowed else ''}; "
                              f"its dtype is {dtype}")
        _check_shape(name, shape)
        size = math.prod(shape) * dtype.itemsize  # Python ints: a header's huge dims cannot overflow
        if size > budget:
            raise UploadError(f"{name} unpacks to {size:,} bytes, over this server's limit for an upload "
                              f"(DESCENT_MAX_UPLOAD_BYTES)")
        data = file.read(size)
    if len(data) != size:
        raise UploadError(f"{name}'s header promises {size:,} bytes of data but the file holds {len(data):,}")
    return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")


def _check_shape(name: str, shape: tuple[int, ...]) -> None:
    if len(shape) == 0:
        raise UploadError(f"{name} is a single number (a 0-d array); it needs one entry per sample")
    if len(shape) > MAX_DIMS:
        raise UploadError(f"{name} has {len(shape)} dimensions; at most {MAX_DIMS} (samples, channels, height, "
                          f"width)")


def parse_idx(raw: bytes, name: str) -> np.ndarray:
    """An MNIST IDX file: magic, the dims, then the data in one dtype, big-endian."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        raise UploadError(f"{name} is not an IDX file (bad magic number)")
    dims, start = raw[3], 4 + 4 * raw[3]
    if len(raw) < start:
        raise UploadError(f"{name}: the IDX header declares {dims} dimensions but the file ends within it")
    shape = struct.unpack(f">{dims}I", raw[4:start])
    _check_shape(name, shape)
    dtype = np.dtype(IDX_TYPES[raw[2]])
    expected = math.prod(shape) * dtype.itemsize
    if len(raw) - start != expected:
        raise UploadError(f"{name}: the IDX header promises {expected:,} bytes of data but the file has "
                          f"{len(raw) - start:,}")
    return np.frombuffer(memoryview(raw)[start:], dtype=dtype).reshape(shape)
