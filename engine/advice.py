"""Advice on a checked plan: pairings the notes warn about, said before training rather than discovered."""

from __future__ import annotations

from engine.config import Plan
from engine.inits import initializers
from engine.losses import losses


def advise(plan: Plan) -> list[dict[str, str]]:
    """Each item: {"level": "warning" | "note", "message"}. Nothing here blocks a run."""
    out: list[dict[str, str]] = []

    def say(level: str, message: str) -> None:
        out.append({"level": level, "message": message})

    loss, info = plan.names["loss"], plan.info
    squashes = losses[loss].meta.get("squashes")  # what the loss applies to the last layer's raw output
    activation = getattr(plan.params["model"], "activation", None)
    if activation == "softmax":
        say("warning", "softmax as a hidden activation squashes each layer into probabilities; "
            + (f"{loss} already applies softmax to the last layer, which should have no activation"
               if squashes == "softmax" else "use relu or tanh inside the network"))
    if squashes and activation == squashes:
        say("note", f"{loss} here takes the last layer's raw output ({squashes} inside the loss): "
            f"no {squashes} is added at the output")
    if activation == "step":
        say("warning", "the step unit's gradient is zero everywhere: no layer before it can learn")
    if "regression" in losses[loss].meta.get("tasks", []) and info.task == "classification":
        say("warning", f"{loss} on a classification set regresses one-hot targets; the usual pairing is "
            "softmax + cross_entropy (or sigmoid + bce for two classes)")
    if losses[loss].meta.get("signed_labels"):
        say("note", f"{loss} needs labels ±1: class 0 becomes −1 and class 1 becomes +1"
            + ("" if info.n_classes == 2 else "; with more classes each output scores one class against the rest"))
    if "init" in plan.names and initializers[plan.names["init"]].meta.get("symmetric"):
        say("warning", "every unit of a layer starts identical and gets the same gradient: the symmetry is "
            "never broken, so each hidden layer acts like a single unit")
    if plan.batch_size == 1:
        say("note", "batch size 1 is stochastic gradient descent: each step follows one sample, so the loss is noisy")
    elif plan.batch_size >= plan.n_train:
        say("note", f"the whole training set ({plan.n_train} samples) in every step: batch gradient descent")
    return out
