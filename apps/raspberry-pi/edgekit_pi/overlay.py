"""Draw top-k labels, latency and FPS onto a frame (Pillow only, so it works headless)."""

from __future__ import annotations

from PIL import Image, ImageDraw


def draw_labels(image: Image.Image, best: list[tuple[int, str, float]], latency_ms: float,
                fps: float) -> Image.Image:
    out = image.convert("RGB").copy()
    if max(out.size) < 224:  # tiny inputs (28x28 Fashion-MNIST) would hide the text
        scale = 224 / max(out.size)
        out = out.resize((round(out.width * scale), round(out.height * scale)), Image.Resampling.NEAREST)
    draw = ImageDraw.Draw(out)
    lines = [f"{label} {prob:.2f}" for _, label, prob in best] + [f"{latency_ms:.1f} ms  {fps:.1f} FPS"]
    line_h = 12
    draw.rectangle((0, 0, out.width, line_h * len(lines) + 4), fill=(0, 0, 0))
    for i, text in enumerate(lines):
        draw.text((4, 2 + i * line_h), text, fill=(255, 255, 0) if i == 0 else (255, 255, 255))
    return out
