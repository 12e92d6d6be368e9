"""The benchmark's outputs: the terminal table, the JSON file, the plot, a comparison."""

__all__ = ["table", "write_json", "read_json", "plot", "compare", "case_line", "markdown",
           "SCHEMA"]

import json

SCHEMA = 1
"""int : Version of the JSON layout (``"schema"`` in the file)."""


def case_line(row):
    """One table line of a case record."""
    if "skipped" in row:
        return f"  {row['name']:44s} skipped: {row['skipped']}"
    rt = row["realtime"]
    flag = "  noisy" if row["noisy"] else ""
    return (f"  {row['name']:44s} {rt['median']:9.1f}x  (min {rt['min']:.1f}, "
            f"max {rt['max']:.1f}){flag}")


def table(result):
    """The whole report as text (what the command prints)."""
    m = result["machine"]
    lines = [f"spatial-asmr bench: {m['cpu']}, {m['cores']} cores, load {m['load_average']}, "
             f"numpy {m['numpy']}, scipy {m['scipy']}, numba {m['numba']}, {m['fft']}, "
             f"commit {m['commit']}, {m['date']}",
             "real-time factor (audio seconds per second; median of the runs after a warm-up, "
             "min and max; 'noisy': spread over 25 %)"]
    for group in ("engine", "baseline", "bound"):
        rows = [r for r in result["cases"] if r["group"] == group]
        if rows:
            lines.append({"engine": "engines", "baseline": "baselines (same signals)",
                          "bound": "bounds"}[group])
            lines += [case_line(r) for r in rows]
    for engine, figures in result.get("headline", {}).items():
        for f in figures:
            following = (f"; {f['next']} did not" if f["next"] is not None
                         else " (the search's limit)")
            lines.append(f"headline: {engine} engine renders {f['sources']} moving sources at "
                         f">= {f['threshold']:g}x (block size 128){following}{_range(f)}")
    q = result.get("quality")
    if q:
        lines.append(f"quality on {q['hrtf']} ({q['directions_left_out']} directions left out)")
        for engine, figures in q["engines"].items():
            motion = ", ".join(f"{k} {v:.1f} dB" for k, v in figures["motion_artefacts_db"].items())
            lines.append(f"  {engine:5s} leave-one-out LSD {figures['lsd_db']:.2f} dB; "
                         f"motion artefacts {motion}")
        a = q["anchors"]
        lines.append(f"  anchors: nearest {a['nearest_lsd_db']:.2f} dB, magnitude blend "
                     f"{a['magnitude_blend_linear_lsd_db']:.2f} dB (linear) / "
                     f"{a['magnitude_blend_log_lsd_db']:.2f} dB (log)")
    lines.append(f"({result['wall_s']:.0f} s)")
    return "\n".join(lines)


def write_json(result, path):
    with open(path, "w") as fh:
        json.dump(dict(result, schema=SCHEMA), fh, indent=1)


def read_json(path):
    """A previous run's JSON; ``ValueError`` naming the file if it is not one."""
    try:
        with open(path) as fh:
            data = json.load(fh)
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} cannot be read as a benchmark result: {exc}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or "cases" not in data:
        raise ValueError(f"{path} is not a spatial-asmr bench JSON file (schema {SCHEMA})")
    return data


def compare(result, old):
    """Lines with each case's real-time factor as a ratio to a previous run's."""
    before = {r["name"]: r for r in old["cases"] if "realtime" in r}
    lines = [f"against {old['machine'].get('commit')} ({old['machine'].get('date')}): "
             "ratio of real-time factors (> 1: faster now)"]
    for row in result["cases"]:
        if "realtime" not in row:
            continue
        was = before.get(row["name"])
        if was is None:
            lines.append(f"  {row['name']:44s} new")
            continue
        ratio = row["realtime"]["median"] / was["realtime"]["median"]
        beyond = max(row["spread"], was["spread"])
        verdict = "" if abs(ratio - 1) <= beyond else ("  faster" if ratio > 1 else "  SLOWER")
        lines.append(f"  {row['name']:44s} {ratio:6.2f}x{verdict}")
    return lines


def plot(result, path):
    """Real-time factor against sources, log-log, a line per engine and baseline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lines = {}
    for row in result["cases"]:
        if "realtime" not in row or row["block"] != 128 or row["taps"] is not None \
                or not row["near_field"] or row["interpolation"] != "barycentric":
            continue
        lines.setdefault(row["line"], []).append((row["sources"], row["realtime"]))
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for label, points in sorted(lines.items()):
        points.sort(key=lambda p: p[0])
        n = [p[0] for p in points]
        med = [p[1]["median"] for p in points]
        low = [p[1]["median"] - p[1]["min"] for p in points]
        high = [p[1]["max"] - p[1]["median"] for p in points]
        style = "--" if label.startswith("bound") else "-"
        ax.errorbar(n, med, yerr=[low, high], fmt=style + "o", capsize=3, label=label)
    ax.axhline(1.0, color="k", lw=1)
    ax.text(1, 1.05, "real time (1x)", va="bottom")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("sources")
    ax.set_ylabel("real-time factor")
    m = result["machine"]
    ax.set_title(f"spatial-asmr bench, block size 128: {m['cores']} cores, commit {m['commit']}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _factor(row):
    if "skipped" in row:
        return f"skipped: {row['skipped']}"
    rt = row["realtime"]
    return f"{rt['median']:.1f}x ({rt['min']:.1f}-{rt['max']:.1f})"


def markdown(result, command="spatial-asmr bench --quality"):
    """The README's table of a run: the source axis per engine and baseline, the
    headline and the quality figures (``markdown(read_json("docs/bench.json"))``)."""
    m = result["machine"]
    rows = {r["name"]: r for r in result["cases"]}
    counts = sorted({r["sources"] for r in result["cases"] if r["kind"] == "render"})
    lines = [f"`{command}`, {m['date']}, commit {m['commit']}: {m['cpu']}, {m['cores']} "
             f"cores, load {m['load_average']}; numpy {m['numpy']}, scipy {m['scipy']}, "
             f"numba {m['numba']}. Real-time factors, median of the runs (min-max), block "
             "size 128, KEMAR, near field on.", "",
             "| sources | " + " | ".join(str(n) for n in counts) + " |",
             "|---|" + "---|" * len(counts)]
    series = [("exact engine, moving", "exact moving-{n} B=128"),
              ("basis engine, moving", "basis moving-{n} B=128"),
              ("fixed filters, static", "fixed static-{n}"),
              ("numpy crossfade per source, moving", "naive moving-{n} B=128"),
              ("scipy oaconvolve per source, static", "oaconvolve static-{n}"),
              ("ffmpeg sofalizer, static", "sofalizer static-{n}"),
              ("bound: forward FFTs", "fft moving-{n} B=128"),
              ("bound: memory copy", "copy moving-{n} B=128")]
    for label, pattern in series:
        cells = [_factor(rows[pattern.format(n=n)]) if pattern.format(n=n) in rows else "-"
                 for n in counts]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("")
    for engine, figures in result.get("headline", {}).items():
        parts = [f"{f['sources']} at >= {f['threshold']:g}x ({f['next']} not{_range(f, ', ')})"
                 for f in figures]
        lines.append(f"- Headline, {engine} engine: moving sources rendered in real time, "
                     + "; ".join(parts) + ".")
    q = result.get("quality")
    if q:
        for engine, f in q["engines"].items():
            motion = ", ".join(f"{k} {v:.1f} dB" for k, v in f["motion_artefacts_db"].items())
            lines.append(f"- Quality, {engine} engine: leave-one-out LSD {f['lsd_db']:.2f} dB "
                         f"({q['directions_left_out']} KEMAR directions); motion artefacts "
                         f"{motion}.")
        a = q["anchors"]
        lines.append(f"- Anchors: nearest measurement {a['nearest_lsd_db']:.2f} dB, magnitude "
                     f"blend {a['magnitude_blend_linear_lsd_db']:.2f} dB (linear) / "
                     f"{a['magnitude_blend_log_lsd_db']:.2f} dB (log).")
    return "\n".join(lines)


def _range(figure, lead="; "):
    """What the runs around a headline count put it at, where measured."""
    span = figure.get("range")
    if not span:
        return ""
    return f"{lead}single runs put it at {span[0]}-{span[1]}"
