"""Triplet margin loss for embedding nets: anchors, positives and negatives are drawn from the batch's labels.

Accuracy comes from the nearest class centroid, with centroids tracked over the training batches.
"""

from __future__ import annotations

from pydantic import Field

from engine.datasets import DataInfo
from engine.lazy import torch
from engine.losses import Objective, losses
from engine.registry import Params


class TripletParams(Params):
    embedding_dim: int = Field(16, ge=2, le=512, description="size of the embedding f(x) (the network's output)")
    margin: float = Field(0.2, gt=0.0, le=10.0, description="α: how much closer the positive must be")
    normalize: bool = Field(True, description="put embeddings on the unit sphere first (as FaceNet does)")


def draw_triplets(y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """For every sample, one random positive (same label) and one random negative, and whether it can be an
    anchor (it has both). Every row is kept and the invalid ones masked: picking rows out would wait for the
    device to count them.

    A fixed-seed generator keeps the draw a function of the labels, so the val loss does not jitter.
    """
    same = y[:, None] == y[None, :]
    eye = torch.eye(len(y), dtype=torch.bool, device=y.device)
    gen = torch.Generator(device=y.device).manual_seed(0)
    noise = torch.rand(len(y), len(y), generator=gen, device=y.device)
    positive_ok, negative_ok = same & ~eye, ~same
    valid = positive_ok.any(1) & negative_ok.any(1)
    return valid, (noise * positive_ok).argmax(1), (noise * negative_ok).argmax(1)


class Centroids:
    """Running mean embedding per class, updated on training batches only (those carry gradients)."""

    def __init__(self, n_classes: int, momentum: float = 0.9):
        self.n_classes, self.momentum = n_classes, momentum
        self.means: torch.Tensor | None = None

    def update(self, embeddings: torch.Tensor, y: torch.Tensor) -> None:
        with torch.no_grad():
            if self.means is None:
                self.means = torch.zeros(self.n_classes, embeddings.shape[1], device=embeddings.device)
            # every class at once through a (classes, batch) membership matrix: no loop over the classes present
            member = (y[None, :] == torch.arange(self.n_classes, device=y.device)[:, None]).to(embeddings.dtype)
            counts = member.sum(1, keepdim=True)
            batch_mean = (member @ embeddings) / counts.clamp_min(1)
            moved = self.momentum * self.means + (1 - self.momentum) * batch_mean
            self.means = torch.where(counts > 0, moved, self.means)  # a class absent from the batch keeps its mean

    def predict(self, embeddings: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            if self.means is None:
                return torch.zeros(len(embeddings), dtype=torch.long, device=embeddings.device)
            return torch.cdist(embeddings, self.means.to(embeddings.device)).argmin(1)


@losses.add(
    "triplet", TripletParams, "triplet margin loss: f(A) nearer to f(P) (same class) than to f(N) by α",
    tasks=["classification"], formula=r"\max(\|f(A)-f(P)\|^2 - \|f(A)-f(N)\|^2 + \alpha, 0)",
    suggested_model="siamese",
)
def triplet(params: TripletParams, info: DataInfo) -> Objective:
    centroids = Centroids(info.n_classes)

    def embed(out: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.normalize(out, dim=1) if params.normalize else out

    def fn(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        z = embed(out)
        if out.requires_grad:
            centroids.update(z.detach(), y)
        valid, positives, negatives = draw_triplets(y)
        p, n = z[positives], z[negatives]
        per_anchor = torch.relu((z - p).pow(2).sum(1) - (z - n).pow(2).sum(1) + params.margin)
        # the mean over the valid anchors; 0 when no class appears twice in the batch (nothing to compare)
        return torch.where(valid, per_anchor, 0.0).sum() / valid.sum().clamp_min(1)

    return Objective(fn, params.embedding_dim, lambda y: y, lambda out: centroids.predict(embed(out)))
