/* SPDX-License-Identifier: GPL-2.0 */
/* Attaching programs to kernel events: tracepoints and kprobes. */
#ifndef KRING_ATTACH_H
#define KRING_ATTACH_H

struct kring_prog;

/* KRING_IOC_PROG_ATTACH: returns a link fd (closing it detaches). */
long kring_attach(struct kring_prog *prog, const void __user *uarg);

#endif /* KRING_ATTACH_H */
