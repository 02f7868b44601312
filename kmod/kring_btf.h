/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The running kernel's BTF, for the verifier: read and parsed at the first
 * load that needs it, kept until the module is unloaded.
 */
#ifndef KRING_BTF_H
#define KRING_BTF_H

struct kbpf_btf;

/*
 * The running kernel's BTF (bpf/kbpf_btf.h), or an ERR_PTR: -ENOENT when the
 * kernel has none (built without CONFIG_DEBUG_INFO_BTF), -ENOMEM, -EINVAL
 * (the parser refused it), or the error of reading it; *@why then says
 * what, in a static string. A failure is not remembered: the next call
 * tries again. Process context (it may sleep); the result stays valid
 * until kring_btf_exit().
 */
const struct kbpf_btf *kring_vmlinux_btf(const char **why);

/* Module exit, once nothing can call kring_vmlinux_btf() or use its BTF. */
void kring_btf_exit(void);

#endif /* KRING_BTF_H */
