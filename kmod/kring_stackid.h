/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bpf_get_stackid: a stack's id in a Linux STACK_TRACE map, written by
 * Linux's own helper through a Linux program the module loads per map.
 */
#ifndef KRING_STACKID_H
#define KRING_STACKID_H

#include <linux/types.h>

struct bpf_map;
struct bpf_prog;

/*
 * The Linux program that writes @map's stacks, loaded through fd @map_fd of
 * the loading process (the one the kring program named @map by); an
 * ERR_PTR if Linux refuses it (-EPERM without CAP_BPF and CAP_PERFMON), or
 * -EBADF if the fd no longer names @map. Process context.
 */
struct bpf_prog *kring_stackid_prog_load(int map_fd, struct bpf_map *map);

/*
 * bpf_get_stackid(ctx, map, flags) for a run on this CPU: @prog is the
 * map's Linux program, which the map's load in the kring program became.
 */
u64 kring_stackid_run(struct bpf_prog *prog, u64 flags);

#endif /* KRING_STACKID_H */
