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


def side_by_side(images: dict[str, bytes]) -> None:
    """Images drawn side by side at one scale, so that their sizes compare as they are; each
    titled with its label, its pixels and its bytes. `images` maps a label to an image's bytes."""
    import io

    import matplotlib.pyplot as plt
    from PIL import Image

    opened = {label: Image.open(io.BytesIO(data)) for label, data in images.items()}
    total = sum(image.width for image in opened.values())
    # each column as wide as its image, or wide enough for its title
    columns = [max(image.width, 0.2 * total) for image in opened.values()]
    tallest = max(image.height for image in opened.values())
    _, axes = plt.subplots(
        1, len(opened), figsize=(9, 5), gridspec_kw={"width_ratios": columns}, squeeze=False
    )
    for ax, column, (label, image) in zip(axes[0], columns, opened.items(), strict=True):
        ax.imshow(image, extent=(0, image.width, image.height, 0))
        ax.set_xlim(0, column)
        ax.set_ylim(tallest, 0)  # one scale: a small image stays small
        kb = len(images[label]) / 1000
        ax.set_title(f"{label}\n{image.width} × {image.height} px, {kb:,.0f} kB", fontsize=9)
        ax.axis("off")
    plt.show()
