"""Precision-recall curves from FiftyOne's evaluation results, saved as a PNG with matplotlib.

Drawn on a bare ``matplotlib.figure.Figure`` (no pyplot state, no display,
works offline), unlike the plotly figures of ``results.plot_pr_curves``.
"""

from __future__ import annotations

import os


def save_pr_curves(runs, path: str, dpi: int = 100) -> str:
    """Save one panel per run, one curve per class (precision averaged over IoU 0.50:0.95).

    Args:
        runs: ``RunMetrics`` with their FiftyOne ``results``.
        path: the PNG file to write.
        dpi: its resolution.

    Returns:
        ``path``.
    """
    from matplotlib.figure import Figure

    from .evaluate import class_curves

    fig = Figure(figsize=(5.5 * len(runs), 4.5))
    axes = fig.subplots(1, len(runs), squeeze=False)[0]
    for ax, run in zip(axes, runs):
        recall, curves = class_curves(run.results)
        for label, ap, precision in curves:
            ax.plot(recall, precision, label=f"{label} (AP {ap:.2f})")
        mean = "-" if run.mAP is None else f"{run.mAP:.3f}"
        ax.set(title=f"{run.pred_field} vs {run.gt_field}: mAP {mean}", xlabel="recall", ylabel="precision",
               xlim=(0, 1), ylim=(0, 1.02))
        ax.grid(alpha=0.3)
        if curves:
            ax.legend(loc="lower left", fontsize="small")
        else:
            ax.text(0.5, 0.5, "no ground truth", ha="center", va="center")
    fig.tight_layout()
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fig.savefig(path, dpi=dpi, format="png")
    return path
