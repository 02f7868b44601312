/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Module-wide ids of rings, programs and links, and the list ioctls
 * (KRING_IOC_{RING,PROG,LINK}_LIST), private to the module.
 */
#ifndef KRING_IDS_H
#define KRING_IDS_H

#include <linux/compiler_types.h>
#include <linux/types.h>

/* The kinds of object that have ids and may be pinned. */
enum kring_kind {
	KRING_KIND_RING,
	KRING_KIND_PROG,
	KRING_KIND_LINK,
};

/*
 * Gives @obj an id among the live objects of @kind, stored in *@id before
 * any lister can see @obj: 0 or a negative errno. Listers read @obj from
 * then on, so it must be complete. Process context. The id must be removed
 * before @obj is freed.
 */
int kring_id_alloc(enum kring_kind kind, void *obj, u32 *id);
/* Forgets @id (0, never allocated, is ignored); waits for listers. */
void kring_id_remove(enum kring_kind kind, u32 id);

long kring_list(enum kring_kind kind, void __user *arg);

void kring_ids_exit(void);

#endif /* KRING_IDS_H */
