"""A linear (softmax) classifier on toy-world images, S_c(I) = w_c^T I + b_c (paper, Eq. 2): saliency is exactly the weights.

Notebook 01 trains it in seconds; as a `Classifier` it works with every saliency helper.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import toyworld
from .models import Classifier, freeze


class LinearClassifier(nn.Module):
    """S_c(I) = w_c^T I + b_c (paper, Eq. 2) on flattened (N,3,H,W) inputs."""

    def __init__(self, image_size: int = toyworld.IMAGE_SIZE, num_classes: int = len(toyworld.CLASSES)) -> None:
        super().__init__()
        self.image_size = image_size
        self.linear = nn.Linear(3 * image_size * image_size, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores (N, classes) of normalised (N,3,S,S) images."""
        if x.ndim != 4 or tuple(x.shape[1:]) != (3, self.image_size, self.image_size):
            raise ValueError(f"Expected input of shape (N,3,{self.image_size},{self.image_size}); got {tuple(x.shape)}.")
        return self.linear(x.flatten(1))

    def templates(self) -> torch.Tensor:
        """The weights w_c as images, shape (classes, 3, S, S)."""
        return self.linear.weight.detach().view(-1, 3, self.image_size, self.image_size)


def train_linear_classifier(
    data: toyworld.ToyDataset,
    *,
    epochs: int = 30,
    lr: float = 1e-3,
    weight_decay: float = 1e-2,
    batch_size: int = 256,
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> Classifier:
    """Train a softmax linear classifier on toy images (Adam, cross-entropy) and wrap it as a frozen Classifier.

    Inputs are normalised like the toy CNN's ((pixels - mean image) / TOY_STD) with the training set's own mean image.
    """
    if len(data) < 2:
        raise ValueError(f"Need at least 2 training images; got {len(data)}.")
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    size = data.images.shape[1]
    mean_image = (data.images.mean(axis=0, dtype=np.float64) / 255.0).astype(np.float32)
    x = toyworld.normalize(data.images, mean_image)
    y = torch.from_numpy(data.labels)
    model = LinearClassifier(size)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    for _ in range(epochs):
        perm = torch.randperm(len(y), generator=gen)
        for s in range(0, len(y), batch_size):
            idx = perm[s : s + batch_size]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    dev = torch.device(device)
    return Classifier(
        name="linear",
        model=freeze(model, dev),
        device=dev,
        categories=list(toyworld.CLASSES),
        mean=torch.from_numpy(mean_image).permute(2, 0, 1).contiguous(),
        std=torch.tensor(toyworld.TOY_STD, dtype=torch.float32).view(3, 1, 1),
        input_size=size,
        crop_fraction=1.0,  # toy images are made at S x S: no crop
    )


def toy_inputs(classifier: Classifier, images: np.ndarray) -> torch.Tensor:
    """uint8 (N,S,S,3) toy images -> the classifier's normalised (N,3,S,S) input on its device."""
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float().div(255.0)
    return classifier.normalize(x.to(classifier.device))


@torch.no_grad()
def accuracy(classifier: Classifier, data: toyworld.ToyDataset, batch_size: int = 500) -> float:
    """Top-1 accuracy of a toy-world classifier on a dataset."""
    correct = 0
    for s in range(0, len(data), batch_size):
        pred = classifier.model(toy_inputs(classifier, data.images[s : s + batch_size])).argmax(1).cpu().numpy()
        correct += int((pred == data.labels[s : s + batch_size]).sum())
    return correct / len(data)
