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
              "kring kprobe, interpreter", "kring test-run, interpreter",
              "kring in-kernel API", "Linux perfbuf, libbpf"]


def parse(log_path, partial):
    env, runs, recordings, record_env, tail_calls = None, [], [], {}, []
    with open(log_path, errors="replace") as log:
        for line in log:
            if line.startswith("KRING-TAILCALL-BENCH "):
                tail_calls.append(json.loads(line[len("KRING-TAILCALL-BENCH "):]))
            elif line.startswith("KRING-BENCH-ENV "):
                env = json.loads(line[len("KRING-BENCH-ENV "):])
            elif line.startswith("KRING-BENCH "):
                runs.append(json.loads(line[len("KRING-BENCH "):]))
            elif line.startswith("KRING-RECORD-BENCH-ENV "):
                record_env = json.loads(line[len("KRING-RECORD-BENCH-ENV "):])
            elif line.startswith("KRING-RECORD-BENCH "):
                recordings.append(json.loads(line[len("KRING-RECORD-BENCH "):]))
    if partial and recordings and not runs:  # bench/run.sh --only record
        env = {}
    elif env is None or not runs:
        sys.exit(f"report.py: no KRING-BENCH lines in {log_path}: did kring-bench run?")
    if not recordings and not partial:
        sys.exit(f"report.py: no KRING-RECORD-BENCH lines in {log_path}: "
                 "did kring-record-bench run?")
    env["record"] = record_env
    env["tail_calls"] = tail_calls
    return env, runs, recordings


def tail_call_table(tail_calls):
    """kring-bench's tail calls: nanoseconds per tail call, kring vs Linux."""
    if not tail_calls:
        return []
    linux = {t["key"]: t for t in tail_calls if t["contender"] == "Linux"}
    out = ["## Tail calls", "",
           "A program that tail-calls itself through slot 0 of a prog array (33 tail calls a "
           "run, then the limit) against the same program without the tail call, each "
           "test-run 20,000 times, best of 5: the difference over 33 is one tail call. kring's "
           "programs as kprobe programs by KRING_IOC_PROG_TEST_RUN, Linux's as socket filters "
           "by BPF_PROG_TEST_RUN. A constant key lets Linux's JIT patch a direct jump; kring's "
           "JIT'd tail call is the kernel's indirect one either way (docs/programs.md, \"Tail "
           "calls\"). **vs Linux**: kring's ns per tail call ÷ Linux's, same key.", "",
           "| key | contender | ns per tail call | vs Linux | one run without | with 33 |",
           "|---|---|---|---|---|---|"]
    for t in tail_calls:
        base = linux.get(t["key"])
        ratio = (f"**{t['ns_per_tail_call'] / base['ns_per_tail_call']:.2f}×**"
                 if base and base["ns_per_tail_call"] > 0 else "n/a")
        out.append(f"| {t['key']} | {t['contender']} | {t['ns_per_tail_call']:.1f} | {ratio} "
                   f"| {duration(t['base_ns'])} | {duration(t['chain_ns'])} |")
    return out + [""]


RECORDER, COPY_LOOP = "kringctl record", "read-copy-write"
RECORDERS = [RECORDER + " --sync never", RECORDER + " --sync never --no-checksum", RECORDER,
             RECORDER + " --sync 10ms", RECORDER + " --sync 1MiB", RECORDER + " --no-checksum"]


def recording_table(env, recordings):
    """kring-record-bench: kringctl record against a read-copy-write loop."""
    if not recordings:
        return []
    where = recordings[0].get("file", "/tmp/")
    medium = ("an ext4 file system on the VM's virtio disk (a raw image file on the host)"
              if where.startswith("/mnt/disk/") else "the VM's tmpfs")
    rounds = len({r.get("round", 0) for r in recordings})
    direct = any(r.get("direct_io") for r in recordings)
    out = ["## Persisting records: kringctl record vs a read-copy-write loop", "",
           "kring-record-bench: one producer (bench.bpf.o's program by test-run, CPU 1) fills a "
           f"4 MiB kring ring; the consumer (CPU 0) appends every record to a file on {medium}, "
           "either with `kringctl record`'s kring::Recorder (a pwritev per chunk straight "
           "from the mapped ring, "
           + ("with direct I/O (O_DIRECT: no copy into the page cache), " if direct else
              "buffered (no direct I/O on this file system), ") +
           "CRC32C per chunk, the consumer position advanced only after "
           "the write and, under a `--sync` policy, an fdatasync made it durable: "
           "`kringctl record` alone is the default, every second) or with the loop a daemon "
           "writes by hand (a kring::Consumer callback copies each record into a 256 KiB "
           "buffer, write(2) when full; the consumer position advances before the data is "
           "written, and nothing is synced). CPU per record: the "
           "process's CPU time (the io_uring workers that sync included) minus the producer "
           "thread's, "
           "divided by records written. **ratio**: kringctl record ÷ read-copy-write in the "
           f"same round: each record size ran {rounds} round{'s' if rounds != 1 else ''}, the "
           "persisters interleaved, and the table shows each recorder's round with the median "
           "CPU ratio (the range over the rounds in brackets) and the loop's round with its "
           "median CPU per record. "
           "**syncs**: the fdatasyncs the recorder made. **records/write**: records written "
           "per write (a pwritev of a chunk, or a write(2) of the buffer).", "",
           f"In this VM, CRC32C ran at {env['record'].get('crc32c_mb_s', '?')} MB/s and memcpy "
           f"at {env['record'].get('memcpy_mb_s', '?')} MB/s: the emulator runs SSE4.2's crc32 "
           "instruction as a helper call, where a real CPU checksums several GB/s (docs/bench.md).",
           "",
           "| record | contender | written/s | ratio | CPU/record | ratio | dropped | syncs "
           "| records/write |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in recordings:
        r["written_per_s"] = r["written"] / r["seconds"]
        r["cpu_ns_per_record"] = 1e9 * r["consumer_cpu_s"] / r["written"] if r["written"] else 0
    loops = {(r["size"], r.get("round", 0)): r for r in recordings if r["contender"] == COPY_LOOP}
    for r in recordings:
        plain = loops.get((r["size"], r.get("round", 0)))
        r["rate_ratio"] = r["cpu_ratio"] = None
        if r["contender"] != COPY_LOOP and plain:
            r["rate_ratio"] = r["written_per_s"] / plain["written_per_s"]
            if plain["cpu_ns_per_record"]:
                r["cpu_ratio"] = r["cpu_ns_per_record"] / plain["cpu_ns_per_record"]
    for size in sorted({r["size"] for r in recordings}):
        for name in RECORDERS + [COPY_LOOP]:
            group = [r for r in recordings if r["size"] == size and r["contender"] == name]
            if not group:
                continue
            r, cpu_range = median_round(
                group, "cpu_ns_per_record" if name == COPY_LOOP else "cpu_ratio")
            rate_ratio = cpu_ratio = "—"
            if r["rate_ratio"] is not None:
                rate_ratio = f"**{r['rate_ratio']:.2f}×**"
            if r["cpu_ratio"] is not None:
                cpu_ratio = f"**{r['cpu_ratio']:.2f}×**"
                if sum(x["cpu_ratio"] is not None for x in group) > 1:
                    cpu_ratio += f" ({cpu_range[0]:.2f}–{cpu_range[1]:.2f})"
            asked = r["committed"] + r["dropped"]
            dropped = f"{r['dropped']} ({100.0 * r['dropped'] / asked:.1f}%)" if asked else "0"
            syncs = r.get("syncs", 0) if name != COPY_LOOP else "—"
            per_write = f"{r['written'] / r['writes']:.0f}" if r.get("writes") else "—"
            out.append(f"| {size} B | {name} | {rate(r['written_per_s'])} | {rate_ratio} "
                       f"| {duration(r['cpu_ns_per_record'])} | {cpu_ratio} | {dropped} "
                       f"| {syncs} | {per_write} |")
    return out + [""]


def scenario_key(run):
    return (run["scenario"], run["size"])


def round_key(run):
    return (run["scenario"], run["size"], run.get("round", 0))


def median_runs(runs):
    """Per scenario and contender, the round whose ratio is the median (the
    lower one of an even count), with the range of the ratios over the
    rounds."""
    groups = {}
    for run in runs:
        groups.setdefault((scenario_key(run), run["contender"]), []).append(run)
    medians = []
    for group in groups.values():
        chosen, ratio_range = median_round(group, "ratio")
        median = dict(chosen)
        median["rounds"] = len(group)
        median["ratio_range"] = ratio_range
        medians.append(median)
    return medians


def median_round(group, field):
    """Of one contender's rounds, the one whose `field` is the median (the
    lower one of an even count; rounds without it rank first), and the
    range of the field over the rounds (None if no round has it)."""
    ranked = sorted(group, key=lambda r: -1.0 if r[field] is None else r[field])
    values = [r[field] for r in ranked if r[field] is not None]
    return ranked[(len(ranked) - 1) // 2], (min(values), max(values)) if values else None


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
    return f"{ns:.0f} ns"


def markdown(env, host, runs, scenarios, recordings):
    out = ["# kring-bench results", "",
           f"Kernel {env['kernel']} under QEMU software emulation (TCG): {env['vcpus']} vCPUs "
           f"on a host with {host['cores']} cores ({host['cpu']}); clocksource {env['clocksource']}, "
           f"Linux's BPF JIT {'on' if env['bpf_jit'] == '1' else 'off'}. Each trigger (a getpgid() "
           f"call firing a kprobe, or one kring test-run of {env.get('test_run_repeat', 4)} runs) "
           f"produces {env['batch']} records; rings hold {env['ring_bytes'] >> 20} MiB "
           f"(the perf buffer as much per CPU). Consumer on CPU 0, producer i on CPU (1 + i) mod "
           f"{env['vcpus']}. Absolute numbers under emulation mean little: read the ratios.", "",
           "**vs Linux ringbuf**: records consumed per second, divided by Linux's BPF ring buffer "
           "consumed by libbpf in the same scenario and round"
           + (f": each scenario ran {env['rounds']} rounds, the contenders interleaved, and the "
              "table shows each contender's round with the median ratio, the range over the "
              "rounds in brackets" if env["rounds"] > 1 else "") + ". Drops: records the programs were "
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
            if run["rounds"] > 1 and run["contender"] != BASELINE and run["ratio_range"]:
                ratio += f" ({run['ratio_range'][0]:.2f}–{run['ratio_range'][1]:.2f})"
            drops = f"{run['drops']} ({100.0 * run['drops'] / run['produced']:.1f}%)" \
                if run["produced"] else "0"
            out.append(f"| {run['scenario']} | {run['size']} B | {run['contender']} | {ratio} "
                       f"| {rate(run['consumed_per_s'])} | {rate(run['produced_per_s'])} "
                       f"| {drops} | {run['wakeups_per_record']:.4f} "
                       f"| {duration(run['p50_ns'])} | {duration(run['p99_ns'])} "
                       f"| {run['memory_bytes'] / 2**20:.1f} MiB |")
    out += consume_share(runs)
    out += ["", "![records consumed per second and latency](results.png)", ""]
    return "\n".join(out + recording_table(env, recordings) + [""] +
                     tail_call_table(env["tail_calls"]))


def consume_share(runs):
    """Back-to-back, the share of the time in consume(): what the fastest
    possible consumer could gain there at most."""
    shares = [(r["contender"], r["consume_seconds"] / r["seconds"]) for r in runs
              if r["scenario"].startswith("back-to-back") and "consume_seconds" in r
              and r["seconds"] > 0]
    if not shares:
        return []
    shares.sort(key=lambda cs: CONTENDERS.index(cs[0]))
    return ["", "Back-to-back, the share of the thread's time spent consuming (the rest "
            "triggers and produces): " +
            "; ".join(f"{name} {100 * share:.0f}%" for name, share in shares) +
            ". A consumer that cost nothing could make its contender at most 1 ÷ (1 − "
            "share) times faster there."]


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
                  f"{host['cores']} host cores"
                  + (f", median of {env['rounds']} rounds" if env.get("rounds", 1) > 1 else ""))
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
    parser.add_argument("--partial", action="store_true",
                        help="some scenarios only (bench/run.sh --only): no recordings needed")
    args = parser.parse_args()
    env, runs, recordings = parse(args.log, args.partial)
    host = {"cores": args.host_cores, "cpu": args.host_cpu}
    if not runs:  # the record benchmark alone
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "results.md"), "w") as f:
            f.write("\n".join(["# kring-record-bench results", ""] +
                              recording_table(env, recordings)))
        print(f"bench: {len(recordings)} measurements; table {args.out}/results.md")
        return
    scenarios = []
    for run in runs:
        if scenario_key(run) not in scenarios:
            scenarios.append(scenario_key(run))
    # Each round's ratios divide by that round's baseline, measured moments
    # before the contenders.
    baselines = {round_key(r): r for r in runs if r["contender"] == BASELINE}
    for run in baselines.values():  # the baseline first: the others divide by it
        derive(run, None)
        run["ratio"] = 1.0
    for run in runs:
        if run["contender"] != BASELINE:
            derive(run, baselines.get(round_key(run)))
    medians = median_runs(runs)
    env["rounds"] = max(r["rounds"] for r in medians)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(markdown(env, host, medians, scenarios, recordings))
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"env": env, "host": host, "runs": runs, "recordings": recordings}, f,
                  indent=1)
    chart(env, host, medians, scenarios, os.path.join(args.out, "results.png"))
    print(f"bench: {len(runs) + len(recordings)} measurements; table {args.out}/results.md, "
          f"chart {args.out}/results.png")


if __name__ == "__main__":
    main()
