"""Renderings for the viewer, in bounded memory: the stored pixels are read in bands of rows (an uncompressed
DICOM straight from the file through a memory map; a compressed one decoded once into a cached array file), each
band windowed to 8 bits (DICOM linear VOI, MONOCHROME1 inverted) and cut into zoom tiles; the half-size levels of the
pyramid (a third of the full-size 8-bit image in all) are kept in memory and tiled at the end, the screen-sized
rendering and a thumbnail made from the smallest level large enough.

    derived/<sha256>/pixels.npy          compressed DICOM only: the decoded stored values
    derived/<sha256>/p<N>/manifest.json  size, tile size and levels of window preset N
    derived/<sha256>/p<N>/screen.png, thumb.png, <level>/<column>_<row>.jpg
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from conference.imaging.formats import FileInfo
from conference.imaging.models import ImageFormat

THUMB_SIZE = 256


@dataclass
class Window:
    centre: float
    width: float


class PixelSource:
    """An image's pixels as bands of 8-bit rows under a window."""

    def __init__(self, array: np.ndarray, info: FileInfo, window: Window | None):
        self.array = array  # (rows, columns) or (rows, columns, 3): an array, or rows read from a file
        self.info = info
        self.window = window
        self.rows, self.columns = array.shape[:2]
        self.channels = 1 if array.ndim == 2 else 3

    def band(self, top: int, bottom: int) -> np.ndarray:
        raw = np.asarray(self.array[top:bottom])
        if self.window is None:
            return raw.astype(np.uint8, copy=False)
        if raw.dtype.kind in "ui" and raw.dtype.itemsize <= 2:
            # Integer pixels: one look-up in a table of every stored value (a gather per pixel instead of the
            # window's float arithmetic on each).
            table = self._table(raw.dtype)
            if raw.dtype.kind == "i":
                return table[raw.astype(np.int32) + (1 << (8 * raw.dtype.itemsize - 1))]
            return table[raw]
        return self._window(raw)

    def _table(self, dtype: np.dtype) -> np.ndarray:
        if getattr(self, "_lut", None) is None:
            bits = 8 * np.dtype(dtype).itemsize
            values = np.arange(1 << bits, dtype=np.int64)
            if np.dtype(dtype).kind == "i":
                values = values - (1 << (bits - 1))
            self._lut = self._window(values)
        return self._lut

    def _window(self, raw: np.ndarray) -> np.ndarray:
        values = raw
        if self.info.format is ImageFormat.dicom and not self.info.signed and self.info.bits_stored:
            values = values & ((1 << self.info.bits_stored) - 1)  # bits above BitsStored are not the image
        values = values.astype(np.float32)
        slope, intercept = self.info.rescale
        if (slope, intercept) != (1.0, 0.0):
            values = values * np.float32(slope) + np.float32(intercept)
        # DICOM PS3.3 C.11.2.1.2.1: the linear VOI function.
        c, w = self.window.centre, max(self.window.width, 1.0)
        scaled = ((values - np.float32(c - 0.5)) / np.float32(w - 1 if w > 1 else 1) + np.float32(0.5)) * 255
        out = np.clip(scaled, 0, 255).astype(np.uint8)
        if self.info.photometric == "MONOCHROME1":
            np.subtract(255, out, out=out)
        return out


class RowFile:
    """Rows of an uncompressed pixel array in a file, read on demand (`rows[a:b]`, `rows[::k, ::k]`): only the rows
    asked for are ever in memory, and nothing stays mapped (a memory map would count the whole file in the RSS)."""

    def __init__(self, path: Path, offset: int, dtype: np.dtype, shape: tuple[int, ...]):
        self.path, self.offset, self.dtype, self.shape = path, offset, np.dtype(dtype), shape
        self.ndim = len(shape)
        self.row_values = int(np.prod(shape[1:]))

    def __getitem__(self, key) -> np.ndarray:
        rows, rest = (key[0], key[1:]) if isinstance(key, tuple) else (key, ())
        start, stop, step = rows.indices(self.shape[0])
        count = max(0, stop - start)
        with open(self.path, "rb") as source:
            if step == 1:
                source.seek(self.offset + start * self.row_values * self.dtype.itemsize)
                values = np.fromfile(source, dtype=self.dtype, count=count * self.row_values)
                block = values.reshape((count, *self.shape[1:]))
            else:
                picked = []
                for row in range(start, stop, step):
                    source.seek(self.offset + row * self.row_values * self.dtype.itemsize)
                    picked.append(np.fromfile(source, dtype=self.dtype, count=self.row_values))
                block = np.stack(picked).reshape((len(picked), *self.shape[1:]))
        if len(block) * self.row_values and block.size != len(block) * self.row_values:
            raise ValueError("the file is shorter than its pixels")
        return block[(slice(None), *rest)] if rest else block


def open_pixels(path: Path, info: FileInfo, cache_dir: Path):
    """The stored values, read by rows from the file where it allows it (uncompressed DICOM, and the decoded copy
    of a compressed one), so no more than a band of rows is in memory at a time."""
    if info.format is ImageFormat.dicom:
        if info.pixel_offset is not None:
            dtype = {8: np.uint8, 16: np.uint16}[info.bits_allocated]
            if info.signed:
                dtype = {8: np.int8, 16: np.int16}[info.bits_allocated]
            shape = (info.rows, info.columns) if info.samples == 1 else (info.rows, info.columns, 3)
            return RowFile(path, info.pixel_offset, np.dtype(dtype).newbyteorder("<"), shape)
        decoded = cache_dir / "pixels.npy"
        if not decoded.exists():
            from pydicom.pixels import pixel_array

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                array = pixel_array(str(path))
            if array.shape[:2] != (info.rows, info.columns):
                raise ValueError("decoded size differs from the header")
            cache_dir.mkdir(parents=True, exist_ok=True)
            partial = cache_dir / f".pixels-{uuid.uuid4().hex}.npy"
            np.save(partial, array)
            del array
            os.replace(partial, decoded)
        with open(decoded, "rb") as source:
            version = np.lib.format.read_magic(source)
            header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = header(source)
            offset = source.tell()
        if fortran:
            raise ValueError("unexpected array order")
        return RowFile(decoded, offset, dtype, shape)
    with Image.open(path) as image:
        image.load()
        if image.mode in ("I", "I;16", "F"):
            return np.asarray(image)
        return np.asarray(image.convert("L" if info.samples == 1 else "RGB"))


def auto_window(array: np.ndarray, info: FileInfo) -> Window | None:
    """A window from the pixels themselves (0.5th to 99.5th centile of a sample), for images without presets."""
    if array.dtype == np.uint8 and info.format is not ImageFormat.dicom:
        return None
    step = max(1, int((array.shape[0] * array.shape[1] / 1_000_000) ** 0.5))
    sample = np.asarray(array[::step, ::step]).astype(np.float32)
    if info.format is ImageFormat.dicom and not info.signed and info.bits_stored:
        sample = np.asarray(array[::step, ::step]) & ((1 << info.bits_stored) - 1)
        sample = sample.astype(np.float32)
    slope, intercept = info.rescale
    sample = sample * slope + intercept
    low, high = np.percentile(sample, [0.5, 99.5])
    return Window(centre=float((low + high) / 2), width=float(max(high - low, 1.0)))


def presets_for(array: np.ndarray, info: FileInfo) -> list[dict]:
    """The presets the viewer offers: the file's own, else one computed from the pixels (none for 8-bit pictures)."""
    if info.samples == 3:
        return []  # colour: shown as it is
    if info.window_presets:
        return info.window_presets
    window = auto_window(array, info)
    return [] if window is None else [{"centre": window.centre, "width": window.width, "label": "auto"}]


def _halve(image: np.ndarray) -> np.ndarray:
    """2 x 2 mean (the last row/column repeated when odd)."""
    if image.shape[0] % 2:
        image = np.concatenate([image, image[-1:]], axis=0)
    if image.shape[1] % 2:
        image = np.concatenate([image, image[:, -1:]], axis=1)
    wide = image.astype(np.uint16)
    summed = wide[0::2, 0::2] + wide[1::2, 0::2] + wide[0::2, 1::2] + wide[1::2, 1::2]
    return ((summed + 2) // 4).astype(np.uint8)


def _tile_row(level_dir: Path, band: np.ndarray, row_index: int, tile: int) -> None:
    """Zoom tiles as JPEG (quality 95): fifteen times faster to write than PNG (Pillow's PNG encoder runs near
    100 ns a pixel), a third of the size, and the display of an 8-bit windowed rendering shows no difference."""
    for column_index, left in enumerate(range(0, band.shape[1], tile)):
        picture = Image.fromarray(np.ascontiguousarray(band[:, left : left + tile]))
        picture.save(level_dir / f"{column_index}_{row_index}.jpg", format="JPEG", quality=95)


def build(source: PixelSource, target: Path, *, tile: int, screen: int) -> dict:
    """Write the pyramid, screen rendering and thumbnail of one window into `target` (atomically: a half-built
    set is never seen). Returns the manifest."""
    if (target / "manifest.json").exists():
        return json.loads((target / "manifest.json").read_text())
    work = target.parent / f".build-{uuid.uuid4().hex}"
    try:
        (work / "0").mkdir(parents=True)
        halves: list[np.ndarray] = []
        for row_index, top in enumerate(range(0, source.rows, tile)):
            band = source.band(top, min(top + tile, source.rows))
            _tile_row(work / "0", band, row_index, tile)
            halves.append(_halve(band))
            del band
        levels = [(source.columns, source.rows)]
        current = np.concatenate(halves, axis=0) if len(halves) > 1 else halves[0]
        del halves
        current = current[: (source.rows + 1) // 2]
        smaller = [current]
        while max(current.shape[:2]) > tile:
            current = _halve(current)
            smaller.append(current)
        if max(source.rows, source.columns) <= tile:
            smaller = []
        for number, image in enumerate(smaller, start=1):
            (work / str(number)).mkdir()
            levels.append((image.shape[1], image.shape[0]))
            for row_index, top in enumerate(range(0, image.shape[0], tile)):
                _tile_row(work / str(number), image[top : top + tile], row_index, tile)
        # The screen rendering and thumbnail from the smallest level still at least their size.
        base = next((im for im in reversed(smaller) if max(im.shape[:2]) >= screen), None)
        if base is None:
            base = smaller[0] if smaller and max(source.rows, source.columns) > screen else source.band(0, source.rows)
        picture = Image.fromarray(np.ascontiguousarray(base))
        for name, size in (("screen.png", screen), ("thumb.png", THUMB_SIZE)):
            copy = picture.copy()
            copy.thumbnail((size, size), Image.Resampling.LANCZOS)
            copy.save(work / name, format="PNG", compress_level=1)
        manifest = {"width": source.columns, "height": source.rows, "tile": tile, "levels": levels}
        (work / "manifest.json").write_text(json.dumps(manifest))
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(work, target)
        except OSError:  # built meanwhile by another request: theirs stands
            shutil.rmtree(work, ignore_errors=True)
        return manifest
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def render(path: Path, info: FileInfo, derived: Path, presets: list[dict], preset: int, *, tile: int, screen: int):
    """Make sure the renderings of `preset` exist; returns the manifest."""
    target = derived / f"p{preset}"
    manifest = target / "manifest.json"
    if manifest.exists():
        return json.loads(manifest.read_text())
    array = open_pixels(path, info, derived)
    window = None
    if presets:
        chosen = presets[preset]
        window = Window(chosen["centre"], chosen["width"])
    return build(PixelSource(array, info, window), target, tile=tile, screen=screen)
