"""Real data: Debian's Fashion-MNIST, scikit-learn digits and photos, image folders, transforms."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from edgekit import data, models
from edgekit.errors import InvalidInputError, UnknownNameError
from edgekit.models.registry import InputSpec


def test_fashion_mnist_is_the_real_data_set() -> None:
    test = data.load("fashion-mnist", "test")
    assert len(test) == 10_000 and test.images[0].shape == (28, 28) and test.images[0].dtype == np.uint8
    assert np.bincount(test.labels).tolist() == [1000] * 10      # the t10k split is balanced
    assert test.label_names[9] == "Ankle boot"
    assert len(data.load("fashion-mnist", "train", n=5, seed=3)) == 5


def test_digits_split_is_disjoint_and_stable() -> None:
    train, test = data.load("digits", "train"), data.load("digits", "test")
    assert len(train) + len(test) == 1797
    assert set(map(bytes, train.images)).isdisjoint(set(map(bytes, test.images[:50])))
    assert np.array_equal(data.load("digits", "test").labels, test.labels)


def test_sample_images_crops_are_seeded() -> None:
    a = data.load("sample-images", n=6, seed=4)
    b = data.load("sample-images", n=6, seed=4)
    c = data.load("sample-images", n=6, seed=5)
    assert len(a) == 6 and a.images[0].shape == (427, 640, 3)
    assert all(np.array_equal(x, y) for x, y in zip(a.images, b.images, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a.images[2:], c.images[2:], strict=True))


def test_to_input_normalizes_exactly() -> None:
    spec = InputSpec((1, 3, 4, 4), mean=(0.5, 0.25, 0.0), std=(0.5, 0.25, 1.0))
    img = np.full((4, 4, 3), 255, np.uint8)
    x = data.to_input([img], spec)
    assert x.shape == (1, 3, 4, 4) and x.dtype == np.float32
    assert np.array_equal(x[0, :, 0, 0], np.array([1.0, 3.0, 1.0], np.float32))


def test_to_input_converts_channels_and_size() -> None:
    spec = models.input_spec("mobilenet_v2", in_chans=1, input_size=32, num_classes=10)
    gray = data.load("fashion-mnist", n=3).images
    x = data.to_input(gray, spec)
    assert x.shape == (3, 1, 32, 32)
    rgb = data.to_input(gray, models.input_spec("mobilenet_v2", input_size=20))
    assert rgb.shape == (3, 3, 20, 20)
    assert np.allclose(rgb[:, 0] * 0.229 + 0.485, rgb[:, 1] * 0.224 + 0.456, atol=1e-5)  # gray -> R=G


def test_resize_then_center_crop_for_imagenet_models() -> None:
    spec = models.input_spec("efficientnet_lite0")
    assert spec.resize == 256 and spec.hw == (224, 224)
    x = data.to_input(data.load("sample-images").images, spec)
    assert x.shape == (2, 3, 224, 224)
    assert x.min() >= -1.0 - 1e-6 and x.max() <= 1.0 + 1e-6      # lite models take [-1, 1]


def test_calibration_set_is_seeded_and_sized() -> None:
    spec = models.input_spec("mobilenet_v2", in_chans=1, input_size=28, num_classes=10)
    a = data.calibration_set("fashion-mnist", spec, n=16, seed=1)
    b = data.calibration_set("fashion-mnist", spec, n=16, seed=1)
    assert a.shape == (16, 1, 28, 28) and np.array_equal(a, b)
    assert not np.array_equal(a, data.calibration_set("fashion-mnist", spec, n=16, seed=2))
    with pytest.raises(InvalidInputError, match="at least one sample"):
        data.calibration_set("fashion-mnist", spec, n=0)


def test_image_folder_with_class_subfolders(tmp_path) -> None:
    rng = np.random.default_rng(0)
    for cls in ("cat", "dog"):
        (tmp_path / cls).mkdir()
        for i in range(3):
            pixels = rng.integers(0, 255, (20, 30, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / cls / f"{i}.png")
    images = data.load(str(tmp_path))
    assert len(images) == 6 and images.label_names == ["cat", "dog"]
    assert images.labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert len(data.load(str(tmp_path), n=4, seed=0)) == 4


def test_bad_sources(tmp_path) -> None:
    with pytest.raises(UnknownNameError, match="fashion-mnist"):
        data.load("imagenet-full")
    with pytest.raises(InvalidInputError, match="no images"):
        data.load(str(tmp_path))
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(InvalidInputError, match="cannot read image"):
        data.load(str(tmp_path))
    with pytest.raises(InvalidInputError, match="does not exist"):
        data.load(str(tmp_path / "nope") + "/")


def test_imagenet_labels_from_timm_files() -> None:
    labels = data.resolve_labels("imagenet")
    assert len(labels) == 1000 and labels[0] == "tench" and labels[985] == "daisy"
