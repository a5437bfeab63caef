"""The PNG encoder against a decoder written here from the PNG spec (zlib + struct), and the atlas round trip."""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np
import pytest
import torch

from engine.probes.png import SIGNATURE, atlas, encode_gray


def decode_gray(data: bytes) -> np.ndarray:
    """An 8-bit grayscale, non-interlaced PNG with filter 0 rows, checking every chunk's CRC."""
    assert data[:8] == SIGNATURE
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        tag, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(tag + body) & 0xFFFFFFFF, tag
        chunks[tag] = chunks.get(tag, b"") + body
        pos += 12 + length
    width, height, depth, color, compression, filtering, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, color, compression, filtering, interlace) == (8, 0, 0, 0, 0)
    assert b"IEND" in chunks
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), dtype=np.uint8).reshape(height, width + 1)
    assert (rows[:, 0] == 0).all()  # filter type none on every row
    return rows[:, 1:]


@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (16, 16), (64, 7), (1, 200)])
def test_png_round_trip(shape):
    pixels = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    assert np.array_equal(decode_gray(encode_gray(pixels)), pixels)


def test_png_of_a_smooth_image_is_small():
    gradient = np.tile(np.arange(64, dtype=np.uint8) * 4, (64, 1))
    assert len(encode_gray(gradient)) < 400  # 4 KB of pixels


def test_png_refuses_other_arrays():
    with pytest.raises(ValueError):
        encode_gray(np.zeros((4, 4), dtype=np.float32))
    with pytest.raises(ValueError):
        encode_gray(np.zeros((2, 4, 4), dtype=np.uint8))


def test_atlas_values_come_back_within_one_level():
    maps = torch.randn(5, 6, 7) * torch.tensor([1.0, 10.0, 0.01, 3.0, 1e-4])[:, None, None]
    maps[3] = 2.5  # a constant map: its span is 0
    sent = atlas(maps)
    assert (sent["n"], sent["h"], sent["w"]) == (5, 6, 7)
    pixels = decode_gray(base64.b64decode(sent["png"])).reshape(5, 6, 7).astype(np.float64)
    for m in range(5):
        lo, hi = sent["lo"][m], sent["hi"][m]
        back = lo + pixels[m] * (hi - lo) / 255
        tolerance = (hi - lo) / 510 + 1e-4 * max(abs(lo), abs(hi))
        assert np.abs(back - maps[m].numpy()).max() <= tolerance + 1e-9, m
