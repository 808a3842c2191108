"""Reading the text of a licence photo: the optional ``esignbot[ocr]`` extra (RapidOCR).

Why RapidOCR (``rapidocr-onnxruntime``): its wheel carries PP-OCRv4's Chinese detection and
recognition models and runs them with onnxruntime on the CPU, so nothing is downloaded when it
runs (the photo never leaves the machine, and a server without internet access reads it too);
measured in ``bench/ocr.py``: about a second a photo on two cores. It is optional because it
adds ~370 MB (onnxruntime, OpenCV, numpy) that a team typing its answers does not need; without
it, :func:`available` is False and the conversation is exactly what it was.

This module only turns an image into lines of text. What the lines mean (which code, which
name) is decided in ``handlers/files/licence_check.py``, where the check-digit rules live. The
text is never logged: a licence holds names and numbers.
"""

from __future__ import annotations

import importlib.util
import io
import logging
import threading
from typing import Any

log = logging.getLogger("esignbot.files")

MAX_SIDE_PX = 2000
"""Photos are scaled down to this longest side before reading: a 12-megapixel phone photo
read whole took several times longer and ~1 GB, and the print on a licence stays legible."""

THREADS = 2
"""onnxruntime's threads: the two cores this is measured on. The reader runs in a child that
yields the CPU to the server (``nice``), so it takes what the server leaves."""

_engine: Any = None
_engine_lock = threading.Lock()


def available() -> bool:
    """Whether the ``ocr`` extra is installed (its package can be imported here)."""
    return importlib.util.find_spec("rapidocr_onnxruntime") is not None


def _load() -> Any:
    """The engine, loaded once per process (loading the models takes ~0.3 s and ~100 MB)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            from rapidocr_onnxruntime import RapidOCR

            # Its own logger would print file paths and timings, never text; keep it quiet.
            logging.getLogger("RapidOCR").setLevel(logging.ERROR)
            _engine = RapidOCR(intra_op_num_threads=THREADS, inter_op_num_threads=1,
                               print_verbose=False)
        return _engine


def _prepared(image: bytes) -> Any:
    """The photo as an RGB array, upright by its EXIF orientation (phones store a photo
    sideways and say so there) and at most :data:`MAX_SIDE_PX` on its longest side."""
    import numpy
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(image)) as opened:
        picture = ImageOps.exif_transpose(opened).convert("RGB")
    picture.thumbnail((MAX_SIDE_PX, MAX_SIDE_PX))
    # OpenCV's channel order, which RapidOCR expects of an array.
    return numpy.asarray(picture)[:, :, ::-1].copy()


def read_lines(image: bytes) -> list[str] | None:
    """The lines of text on ``image`` in reading order, or None when the extra is not
    installed. An image the reader cannot open or finds no text on gives ``[]``: to the
    conversation that is an unreadable photo, never an error."""
    if not available():
        return None
    try:
        engine = _load()
        result, _ = engine(_prepared(image))
    except Exception as problem:  # a broken image, an odd colour mode: the photo is unreadable
        log.warning("the licence photo could not be read: %s", type(problem).__name__)
        return []
    return [str(line[1]) for line in result or []]
