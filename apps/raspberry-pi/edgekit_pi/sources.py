"""Frame sources: Raspberry Pi camera (Picamera2), USB webcam (OpenCV), image files and folders.

Every source yields `Frame`s holding an RGB PIL image; camera libraries are imported only when
that source is chosen, and a missing one raises a one-line `SourceUnavailable` that says how to
install it.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".ppm", ".pgm", ".tif", ".tiff"}


class SourceUnavailable(Exception):
    """A camera or image path that cannot be used; the message says how to fix it."""


@dataclass
class Frame:
    index: int
    name: str  # file path, or "picamera:N" / "webcam0:N" for camera frames
    image: Image.Image  # RGB


def expand_image_paths(paths: list[str]) -> list[Path]:
    """Files as given, folders expanded to their images (sorted), globs expanded."""
    found: list[Path] = []
    for raw in paths:
        matches = sorted(glob.glob(raw)) if any(c in raw for c in "*?[") else [raw]
        if not matches:
            raise SourceUnavailable(f"no image matches {raw!r}: check the pattern")
        for m in matches:
            p = Path(m)
            if p.is_dir():
                found.extend(sorted(q for q in p.iterdir() if q.suffix.lower() in IMAGE_SUFFIXES))
            elif p.is_file():
                found.append(p)
            else:
                raise SourceUnavailable(f"image path {p} does not exist: pass image files or a folder")
    if not found:
        raise SourceUnavailable(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {', '.join(paths)}")
    return found


def image_files(paths: list[str], limit: int | None = None) -> Iterator[Frame]:
    files = expand_image_paths(paths)
    for i, path in enumerate(files[:limit] if limit else files):
        try:
            with Image.open(path) as im:
                rgb = im.convert("RGB")
        except (UnidentifiedImageError, OSError) as exc:
            raise SourceUnavailable(f"cannot read image {path}: {exc}") from None
        yield Frame(i, str(path), rgb)


def picamera(limit: int | None = None, size: tuple[int, int] = (640, 480)) -> Iterator[Frame]:
    """Frames from the Raspberry Pi camera through Picamera2 (Raspberry Pi OS's python3-picamera2).

    The library is imported and the camera started now, so a missing one fails before the model loads.
    """
    try:
        from picamera2 import Picamera2  # type: ignore[import-not-found]
    except ImportError:
        raise SourceUnavailable(
            "the Pi camera needs Picamera2, which is not importable: `sudo apt install python3-picamera2` "
            "and create the venv with --system-site-packages (install.sh does), or pass image files"
        ) from None
    try:
        cam = Picamera2()
        cam.configure(cam.create_preview_configuration(main={"size": size, "format": "RGB888"}))
        cam.start()
    except Exception as exc:  # libcamera raises many types when no camera is attached
        raise SourceUnavailable(f"no Raspberry Pi camera answered ({exc}): check the ribbon cable and "
                                "`rpicam-hello --list-cameras`, or use --camera usb / image files") from None
    return _picamera_frames(cam, limit)


def _picamera_frames(cam: Any, limit: int | None) -> Iterator[Frame]:
    try:
        i = 0
        while limit is None or i < limit:
            # Picamera2 "RGB888" is BGR in memory order; flip to RGB.
            yield Frame(i, f"picamera:{i}", Image.fromarray(cam.capture_array()[..., ::-1]))
            i += 1
    finally:
        cam.stop()
        cam.close()


def webcam(index: int = 0, limit: int | None = None) -> Iterator[Frame]:
    """Frames from a USB webcam through OpenCV (opencv-python-headless, or Debian's python3-opencv).

    Opened now, so a missing OpenCV or webcam fails before the model loads.
    """
    try:
        import cv2  # type: ignore[import-not-found]
    except ImportError:
        raise SourceUnavailable(
            "a USB webcam needs OpenCV, which is not importable: `pip install opencv-python-headless` "
            "in the app's venv (install.sh --webcam does), or pass image files"
        ) from None
    cap = cv2.VideoCapture(index)
    if not cap.isOpened():
        cap.release()
        raise SourceUnavailable(f"no webcam at /dev/video{index}: plug one in, pick another with "
                                "--camera-index, or pass image files")
    return _webcam_frames(cv2, cap, index, limit)


def _webcam_frames(cv2: Any, cap: Any, index: int, limit: int | None) -> Iterator[Frame]:
    try:
        i = 0
        while limit is None or i < limit:
            ok, bgr = cap.read()
            if not ok:
                raise SourceUnavailable(f"webcam {index} stopped delivering frames after {i}")
            yield Frame(i, f"webcam{index}:{i}", Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
            i += 1
    finally:
        cap.release()


def open_source(images: list[str], camera: str | None, camera_index: int,
                limit: int | None) -> Iterator[Frame]:
    if camera and images:
        raise SourceUnavailable("pass either --camera or image paths, not both")
    if camera == "pi":
        return picamera(limit)
    if camera == "usb":
        return webcam(camera_index, limit)
    if images:
        # Expand now so a bad path fails before the model loads.
        expand_image_paths(images)
        return image_files(images, limit)
    raise SourceUnavailable("nothing to classify: pass image files/folders or --camera pi|usb")
