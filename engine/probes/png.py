"""A tiny grayscale PNG encoder (zlib + struct, no dependency): probes send images as small base64 PNGs."""

from __future__ import annotations

import base64
import struct
import zlib

from engine.lazy import numpy as np
from engine.lazy import torch

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def encode_gray(pixels: np.ndarray) -> bytes:
    """An 8-bit grayscale PNG of a (height, width) uint8 array; every row uses filter 0 (none)."""
    if pixels.ndim != 2 or pixels.dtype != np.uint8:
        raise ValueError(f"need a 2-D uint8 array, not {pixels.ndim}-D {pixels.dtype}")
    height, width = pixels.shape
    rows = np.zeros((height, width + 1), dtype=np.uint8)  # a leading 0 per row: the filter type
    rows[:, 1:] = pixels
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8 bits, grayscale, no interlace
    body = zlib.compress(rows.tobytes(), 6)
    return SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")


def quantize(values: torch.Tensor) -> tuple[np.ndarray, float, float]:
    """Values scaled to 0..255 between their own min and max; (pixels, min, max) so a reader can undo it."""
    values = values.detach().float().cpu()
    low, high = float(values.min()), float(values.max())
    span = high - low if high > low else 1.0
    pixels = torch.round((values - low) * (255.0 / span)).clamp_(0, 255).to(torch.uint8).numpy()
    return pixels, round_sig(low), round_sig(high)


def round_sig(value: float, digits: int = 5) -> float:
    return float(f"{value:.{digits}g}")


def png_b64(pixels: np.ndarray) -> str:
    return base64.b64encode(encode_gray(pixels)).decode("ascii")


def atlas(maps: torch.Tensor) -> dict:
    """Maps (n, h, w) stacked vertically into one PNG, each scaled by its own range: {png, n, h, w, lo, hi}.
    One PNG per layer is smaller than one per map, and the browser can rescale per map, layer or globally."""
    n, h, w = maps.shape
    flat = maps.detach().float().reshape(n, -1)
    low, high = flat.min(1).values, flat.max(1).values
    span = torch.where(high > low, high - low, torch.ones_like(high))
    pixels = torch.round((flat - low[:, None]) * (255.0 / span[:, None])).clamp_(0, 255).to(torch.uint8)
    return {
        "png": png_b64(pixels.reshape(n * h, w).cpu().numpy()), "n": n, "h": h, "w": w,
        "lo": [round_sig(v) for v in low.tolist()], "hi": [round_sig(v) for v in high.tolist()],
    }
