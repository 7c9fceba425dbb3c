"""The chart beside bench/run's table: the distribution of per-request
latencies of the paced (open loop) runs, one panel per script, one curve per
target (sandrun warm, sandrun --mode cold, the bwrap + python3 baseline).

A CDF on a log-scale x axis: the targets differ by one or two orders of
magnitude, and the curve shows every request, the tail included, where a
table gives two percentiles.  Only the paced runs have per-request samples:
wrk keeps percentiles alone, so the closed-loop runs are in the table only.
"""

import matplotlib

matplotlib.use("Agg")       # no display: a file only

import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)
from matplotlib.ticker import FuncFormatter  # noqa: E402

STYLE = {
    "warm": ("sandrun warm", "tab:blue"),
    "cold": ("sandrun --mode cold", "tab:orange"),
    "bwrap": ("bwrap + python3", "tab:red"),
}


def write(path, scripts, paced, floor_p50, title, subtitle):
    """scripts: names in panel order; paced[(kind, script)]: open_loop()'s
    result with its "p50" and "p99"; floor_p50: the fork floor of the same run (ms), drawn as a
    reference line."""
    fig, axes = plt.subplots(1, len(scripts), figsize=(5.2 * len(scripts), 5.0), sharey=True, squeeze=False)
    for ax, name in zip(axes[0], scripts):
        for kind, (label, color) in STYLE.items():
            r = paced.get((kind, name))
            if not r or not r["latencies_ms"]:
                continue
            xs = sorted(r["latencies_ms"])
            ys = [(i + 1) / len(xs) for i in range(len(xs))]
            note = "" if r["kept_up"] else ", did not keep up"
            ax.step(xs, ys, where="post", color=color, lw=1.8,
                    label="%s: p50 %s, p99 %s ms%s" % (label, short(r["p50"]), short(r["p99"]), note))
        if floor_p50 == floor_p50:
            ax.axvline(floor_p50, color="grey", ls=":", lw=1.2,
                       label="fork floor p50 %s ms" % short(floor_p50))
        for y in (0.5, 0.99):
            ax.axhline(y, color="0.85", lw=0.8, zorder=0)
        ax.set_xscale("log")
        # 10, 100, 1000 rather than powers of ten
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: "%g" % v))
        ax.set_title(name)
        ax.set_xlabel("latency, ms (log scale)")
        ax.grid(True, which="major", axis="x", color="0.9")
        # below the panel: a CDF's curves may pass through any corner
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=7.5, frameon=False)
    axes[0][0].set_ylabel("fraction of requests answered within")
    axes[0][0].set_ylim(0, 1.02)
    fig.suptitle(title + "\n" + subtitle, fontsize=9.5)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def short(ms):
    """A latency in as many digits as it deserves."""
    return "%.0f" % ms if ms >= 100 else "%.1f" % ms if ms >= 10 else "%.2f" % ms
