"""Fashion-MNIST for the examples, read from Debian's dataset-fashion-mnist (gzip IDX files).
Where it is absent, seeded random images stand in (no model can learn them: the examples
still run and say so)."""

import gzip
import os

import numpy
import torch

DATA = "/usr/share/datasets/fashion-mnist"


def available():
    return os.path.exists(os.path.join(DATA, "train-images-idx3-ubyte.gz"))


def images(kind, count):
    """(images [N, 1, 28, 28] in [0, 1], labels [N]) of the first `count` of split `kind`
    ("train" or "test")."""
    prefix = {"train": "train", "test": "t10k"}[kind]
    path = os.path.join(DATA, f"{prefix}-images-idx3-ubyte.gz")
    if not os.path.exists(path):
        g = torch.Generator().manual_seed(0)
        return torch.rand(count, 1, 28, 28, generator=g), torch.randint(0, 10, (count,),
                                                                         generator=g)
    with gzip.open(path) as f:
        x = numpy.frombuffer(f.read(), numpy.uint8, offset=16).reshape(-1, 1, 28, 28)[:count]
    with gzip.open(os.path.join(DATA, f"{prefix}-labels-idx1-ubyte.gz")) as f:
        y = numpy.frombuffer(f.read(), numpy.uint8, offset=8)[:count]
    return torch.from_numpy(x.astype(numpy.float32) / 255), torch.from_numpy(y.astype(numpy.int64))
