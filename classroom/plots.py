"""The lessons' pictures, so that their cells show Celery rather than matplotlib."""

from __future__ import annotations

import statistics


def response_times(runs: dict[str, list[float]], target: float, title: str = "") -> None:
    """One row per run: each response as a dot, the median as a bar, the target as a line.
    `runs` maps a label to response times in seconds."""
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(8, 2.6))
    colours = ("#dc2626", "#16a34a", "#2563eb", "#9333ea")
    everything = [s * 1000 for times in runs.values() for s in times]
    for row, times in enumerate(runs.values()):
        ms = [seconds * 1000 for seconds in times]
        colour = colours[row % len(colours)]
        ax.barh(row, statistics.median(ms), color=colour, alpha=0.25, height=0.5)
        ax.plot(ms, [row] * len(ms), "o", color=colour)
        ax.annotate(
            f"{statistics.median(ms):.0f} ms", (max(ms), row), xytext=(8, -4),
            textcoords="offset points",
        )  # fmt: skip
    ax.axvline(target * 1000, color="#374151", linestyle="--")
    ax.text(target * 1000, -0.45, f" target: {target * 1000:.0f} ms", color="#374151")
    ax.set(
        yticks=list(range(len(runs))), yticklabels=list(runs), ylim=(len(runs) - 0.5, -0.7),
        xlabel="response time (ms)", title=title,
    )  # fmt: skip
    ax.set_xlim(0, max(900, 1.15 * max(everything)))
    ax.spines[["top", "right"]].set_visible(False)
    plt.show()
