"""Class names for the data sets and label sets edgekit knows."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

from edgekit.errors import MissingDependencyError, UnknownNameError

FASHION_MNIST = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
DIGITS = [str(i) for i in range(10)]


@cache
def imagenet() -> list[str]:
    """The 1000 ImageNet-1k class names (first lemma of each synset), from timm's wheel."""
    # Locate the files without importing timm (its import pulls in torchvision, which breaks here).
    spec = importlib.util.find_spec("timm")
    info = Path(next(iter(spec.submodule_search_locations))) / "data" / "_info" if spec else None
    if info is None or not (info / "imagenet_synsets.txt").is_file():
        raise MissingDependencyError("ImageNet label files are not installed",
                                     hint="pip install --no-deps timm==1.0.31")
    synsets = (info / "imagenet_synsets.txt").read_text().split()
    text = (info / "imagenet_synset_to_lemma.txt").read_text()
    lemmas = dict(line.split("\t", 1) for line in text.splitlines() if "\t" in line)
    return [lemmas[s].split(",")[0].strip() for s in synsets]


LABEL_SETS = {"imagenet": imagenet, "fashion-mnist": lambda: FASHION_MNIST, "digits": lambda: DIGITS}


def resolve(labels: str | list[str] | None) -> list[str] | None:
    """A label-set name or an explicit list -> the list of class names."""
    if labels is None or isinstance(labels, list):
        return labels
    if labels not in LABEL_SETS:
        raise UnknownNameError(f"unknown label set {labels!r}; valid: {', '.join(sorted(LABEL_SETS))}")
    return list(LABEL_SETS[labels]())
