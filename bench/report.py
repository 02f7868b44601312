#!/usr/bin/python3
"""Turns kring-bench's KRING-BENCH lines (from the VM's console log) into
bench/results/: results.md, a table that leads with each contender's ratio to
Linux's BPF ring buffer (libbpf consumer) in the same run; results.png, the
chart; and results.json, every measurement with the machine it ran on."""
import argparse
import json
import os
import sys

BASELINE = "Linux ringbuf, libbpf"
CONTENDERS = [BASELINE, "Linux ringbuf, libkring", "kring kprobe", "kring test-run",
              "Linux perfbuf, libbpf"]


def parse(log_path):
    env, runs = None, []
    with open(log_path, errors="replace") as log:
        for line in log:
            if line.startswith("KRING-BENCH-ENV "):
                env = json.loads(line[len("KRING-BENCH-ENV "):])
            elif line.startswith("KRING-BENCH "):
                runs.append(json.loads(line[len("KRING-BENCH "):]))
    if env is None or not runs:
        sys.exit(f"report.py: no KRING-BENCH lines in {log_path}: did kring-bench run?")
    return env, runs


def scenario_key(run):
    return (run["scenario"], run["size"])


def derive(run, baseline):
    seconds = run["seconds"]
    consumed = run["consumed"]
    run["consumed_per_s"] = consumed / seconds
    run["produced_per_s"] = run["produced"] / seconds
    run["drops"] = run["produced"] - consumed
    run["wakeups_per_record"] = run["wakeups"] / consumed if consumed else 0.0
    run["ratio"] = run["consumed_per_s"] / baseline["consumed_per_s"] if baseline else None


def rate(x):
    return f"{x / 1e6:.2f} M" if x >= 1e6 else f"{x / 1e3:.0f} k"


def duration(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.1f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.1f} µs"
    return f"{ns} ns"


def markdown(env, host, runs, scenarios):
    out = ["# kring-bench results", "",
           f"Kernel {env['kernel']} under QEMU software emulation (TCG): {env['vcpus']} vCPUs "
           f"on a host with {host['cores']} cores ({host['cpu']}); clocksource {env['clocksource']}, "
           f"Linux's BPF JIT {'on' if env['bpf_jit'] == '1' else 'off'}. Each trigger (a getpgid() "
           f"call firing a kprobe, or one kring test-run of {env.get('test_run_repeat', 4)} runs) "
           f"produces {env['batch']} records; rings hold {env['ring_bytes'] >> 20} MiB "
           f"(the perf buffer as much per CPU). Consumer on CPU 0, producer i on CPU (1 + i) mod "
           f"{env['vcpus']}. Absolute numbers under emulation mean little: read the ratios.", "",
           "**vs Linux ringbuf**: records consumed per second, divided by Linux's BPF ring buffer "
           "consumed by libbpf in the same scenario and run. Drops: records the programs were "
           "asked for that never arrived (the ring was full). Wakeups: consumer polls that "
           "returned records. Latency: commit (bpf_ktime_get_ns in the program) to callback, "
           "every 16th record.", "",
           "| scenario | record | contender | vs Linux ringbuf | consumed/s | produced/s | drops "
           "| wakeups/record | p50 | p99 | memory |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for key in scenarios:
        for run in sorted((r for r in runs if scenario_key(r) == key),
                          key=lambda r: CONTENDERS.index(r["contender"])):
            ratio = f"**{run['ratio']:.2f}×**" if run["ratio"] is not None else "n/a"
            drops = f"{run['drops']} ({100.0 * run['drops'] / run['produced']:.1f}%)" \
                if run["produced"] else "0"
            out.append(f"| {run['scenario']} | {run['size']} B | {run['contender']} | {ratio} "
                       f"| {rate(run['consumed_per_s'])} | {rate(run['produced_per_s'])} "
                       f"| {drops} | {run['wakeups_per_record']:.4f} "
                       f"| {duration(run['p50_ns'])} | {duration(run['p99_ns'])} "
                       f"| {run['memory_bytes'] / 2**20:.1f} MiB |")
    out += ["", "![records consumed per second and latency](results.png)", ""]
    return "\n".join(out)


def chart(env, host, runs, scenarios, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [name.replace(", ", ",\n") + f"\n{size} B" for name, size in scenarios]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(14, 9), sharex=True)
    width = 0.8 / len(CONTENDERS)
    for i, contender in enumerate(CONTENDERS):
        by_key = {scenario_key(r): r for r in runs if r["contender"] == contender}
        xs = [k + (i - len(CONTENDERS) / 2 + 0.5) * width for k in range(len(scenarios))]
        top.bar(xs, [by_key[k]["ratio"] if k in by_key else 0 for k in scenarios], width,
                label=contender)
        bottom.bar(xs, [by_key[k]["p50_ns"] / 1e3 if k in by_key else 0 for k in scenarios],
                   width, label=contender)
    top.axhline(1.0, color="black", linewidth=0.8)
    top.set_ylabel("records consumed/s\n÷ Linux ringbuf (libbpf)")
    top.legend(ncol=3, fontsize="small")
    top.set_title(f"kring-bench on {env['kernel']}, QEMU TCG, {env['vcpus']} vCPUs on "
                  f"{host['cores']} host cores")
    bottom.set_yscale("log")
    bottom.set_ylabel("commit-to-callback p50 (µs, log)")
    bottom.set_xticks(range(len(scenarios)))
    bottom.set_xticklabels(labels, fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--log", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--host-cores", type=int, required=True)
    parser.add_argument("--host-cpu", default="unknown")
    args = parser.parse_args()
    env, runs = parse(args.log)
    host = {"cores": args.host_cores, "cpu": args.host_cpu}
    scenarios = []
    for run in runs:
        if scenario_key(run) not in scenarios:
            scenarios.append(scenario_key(run))
    baselines = {scenario_key(r): r for r in runs if r["contender"] == BASELINE}
    for key in scenarios:  # the baseline first: the others divide by it
        if key in baselines:
            derive(baselines[key], None)
            baselines[key]["ratio"] = 1.0
    for run in runs:
        if run["contender"] != BASELINE:
            derive(run, baselines.get(scenario_key(run)))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(markdown(env, host, runs, scenarios))
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"env": env, "host": host, "runs": runs}, f, indent=1)
    chart(env, host, runs, scenarios, os.path.join(args.out, "results.png"))
    print(f"bench: {len(runs)} measurements; table {args.out}/results.md, "
          f"chart {args.out}/results.png")


if __name__ == "__main__":
    main()
