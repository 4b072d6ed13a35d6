"""The lessons' pictures, so that their cells show Celery rather than matplotlib."""

from __future__ import annotations

import itertools
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


STATE_COLOURS = {"SUCCESS": "#16a34a", "FAILURE": "#dc2626", "REVOKED": "#9333ea"}


def workflow_stages(result) -> list[list]:
    """A workflow's tasks, read back from its last result, stage by stage in the order they ran:
    a chain's result points at the one before through `.parent`, a chord's callback at its
    group, whose `.results` are the tasks that ran side by side."""
    from celery.result import GroupResult

    stages, node, seen = [], result, 0
    while node is not None and seen < 100:  # a bound, for a cycle nobody should build
        stages.append(list(node.results) if isinstance(node, GroupResult) else [node])
        node, seen = node.parent, seen + 1
    return stages[::-1]


def workflow(result, title: str = "") -> None:
    """The graph of a workflow, drawn from the real results: one box per task (its name, its
    arguments, what it returned, coloured by its state), stages from left to right, and an arrow
    wherever a result was passed on."""
    import matplotlib.pyplot as plt

    stages = workflow_stages(result)
    tallest = max(len(stage) for stage in stages)
    _, ax = plt.subplots(figsize=(min(2.6 * len(stages) + 1, 11), 0.75 * tallest + 1.2))
    where: list[list[tuple[float, float]]] = []
    for x, stage in enumerate(stages):
        ys = [(tallest - 1) / 2 - i + (len(stage) - 1) / 2 for i in range(len(stage))]
        where.append([(x, y) for y in ys])
        for member, y in zip(stage, ys, strict=True):
            state = member.state
            args = ", ".join(repr(a) for a in (member.args or []))
            if len(args) > 22:
                args = args[:20] + "…"
            # a task that never ran has no name stored: a chord's callback after a failure
            call = f"{member.name.rsplit('.', 1)[-1]}({args})" if member.name else "(never ran)"
            outcome = member.result if state in ("SUCCESS", "FAILURE") else state
            if isinstance(outcome, BaseException):
                outcome = type(outcome).__name__
            ax.text(
                x, y, f"{call}\n→ {outcome}", ha="center", va="center", fontsize=9,
                bbox={"boxstyle": "round,pad=0.4", "fc": "white",
                      "ec": STATE_COLOURS.get(state, "#6b7280"), "lw": 2},
            )  # fmt: skip
    for before, after in itertools.pairwise(where):
        for x0, y0 in before:
            for x1, y1 in after:
                ax.annotate(
                    "", (x1 - 0.3, y1), (x0 + 0.3, y0),
                    arrowprops={"arrowstyle": "->", "color": "#374151"},
                )  # fmt: skip
    ax.set_xlim(-0.6, len(stages) - 0.4)
    ax.set_ylim(-0.8, tallest - 0.2)
    ax.set_title(title or f"{sum(len(s) for s in stages)} tasks, read back from the results")
    ax.axis("off")
    plt.show()


def finish_times(trials: dict[str, list[tuple[str, str, float]]], title: str = "") -> None:
    """One row per trial: each task a mark at the second it finished, after all were sent; a
    square for a long task, a dot for a short one, coloured by the worker that ran it.
    `trials` maps a label to (task, worker, seconds) triples, the long task's name first."""
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(8, 0.8 * len(trials) + 1.2))
    workers = sorted({w for runs in trials.values() for _, w, _ in runs})
    colours = dict(zip(workers, ("#2563eb", "#ea580c", "#16a34a", "#9333ea"), strict=False))
    long_task = next(iter(trials.values()))[0][0]
    for row, runs in enumerate(trials.values()):
        for task, worker, seconds in runs:
            ax.plot(seconds, row, "s" if task == long_task else "o", ms=9 if task == long_task
                    else 6, color=colours[worker], alpha=0.8)  # fmt: skip
        stuck = sum(1 for task, _, s in runs if task != long_task and s > 0.5)
        ax.annotate(f"{stuck} short task(s) waited", (max(s for *_, s in runs), row),
                    xytext=(10, -4), textcoords="offset points")  # fmt: skip
    for worker, colour in colours.items():
        ax.plot([], [], "o", color=colour, label=worker)
    ax.legend(title="worker", loc="upper left", frameon=False, bbox_to_anchor=(1.0, 1.0))
    ax.set(yticks=list(range(len(trials))), yticklabels=list(trials),
           ylim=(len(trials) - 0.5, -0.5), xlabel="finished, seconds after all were sent",
           title=title)  # fmt: skip
    ax.set_xlim(-0.1, max(s for runs in trials.values() for *_, s in runs) * 1.6)
    ax.spines[["top", "right"]].set_visible(False)
    plt.show()


def wall_times(runs: dict[str, float], title: str = "") -> None:
    """One bar per run: how long the whole batch took, in seconds."""
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(8, 0.5 * len(runs) + 1))
    ax.barh(list(runs), list(runs.values()), color="#2563eb", alpha=0.6, height=0.5)
    for row, seconds in enumerate(runs.values()):
        ax.annotate(f"{seconds:.1f} s", (seconds, row), xytext=(6, -4), textcoords="offset points")
    ax.invert_yaxis()
    ax.set(xlabel="seconds for the whole batch", title=title)
    ax.set_xlim(0, max(runs.values()) * 1.25)
    ax.spines[["top", "right"]].set_visible(False)
    plt.show()


def percentile(samples: list[float], q: float) -> float:
    """The nearest-rank percentile: the smallest sample that at least q % of them do not
    exceed (the median is q=50)."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil without floats going astray
    return ordered[int(rank) - 1]


def latencies(runs: dict[str, list[float]], title: str = "", log: bool = False) -> None:
    """One row per run: each sample a dot, with its p50 and p95 marked and written out.
    `runs` maps a label to times in seconds; `log` spreads times of different sizes apart."""
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(8, 0.9 * len(runs) + 1.2))
    colours = ("#2563eb", "#16a34a", "#dc2626", "#9333ea")
    for row, times in enumerate(runs.values()):
        ms = [seconds * 1000 for seconds in times]
        colour = colours[row % len(colours)]
        ax.plot(ms, [row] * len(ms), "o", color=colour, alpha=0.35, ms=5)
        p50, p95 = percentile(ms, 50), percentile(ms, 95)
        ax.plot([p50, p50], [row - 0.28, row + 0.28], color="#111827", lw=2)
        ax.plot([p95, p95], [row - 0.2, row + 0.2], color="#111827", lw=1, ls="--")
        ax.annotate(f"p50 {_ms(p50)}   p95 {_ms(p95)}", (max(ms), row), xytext=(10, -4),
                    textcoords="offset points")  # fmt: skip
    ax.set(yticks=list(range(len(runs))), yticklabels=list(runs), ylim=(len(runs) - 0.5, -0.5),
           xlabel="milliseconds" + (" (log scale)" if log else "") + "   │ p50   ┆ p95",
           title=title)  # fmt: skip
    if log:
        ax.set_xscale("log")
        low = min(s for times in runs.values() for s in times) * 1000
        high = max(s for times in runs.values() for s in times) * 1000
        ax.set_xlim(low / 1.5, high * 12)
    else:
        ax.set_xlim(0, max(s for times in runs.values() for s in times) * 1000 * 1.5)
    ax.spines[["top", "right"]].set_visible(False)
    plt.show()


def _ms(ms: float) -> str:
    return f"{ms:.2f} ms" if ms < 10 else f"{ms:.0f} ms"


def rates(runs: dict[str, float], title: str = "", unit: str = "tasks/s") -> None:
    """One bar per run: how many tasks a second it got through."""
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(8, 0.5 * len(runs) + 1))
    ax.barh(list(runs), list(runs.values()), color="#16a34a", alpha=0.6, height=0.5)
    for row, rate in enumerate(runs.values()):
        ax.annotate(f"{rate:.0f} {unit}" if rate >= 10 else f"{rate:.1f} {unit}", (rate, row),
                    xytext=(6, -4), textcoords="offset points")  # fmt: skip
    ax.invert_yaxis()
    ax.set(xlabel=unit, title=title)
    ax.set_xlim(0, max(runs.values()) * 1.3)
    ax.spines[["top", "right"]].set_visible(False)
    plt.show()
