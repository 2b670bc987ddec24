/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel APIs that differ between the kernels ucchan builds
 * against (6.1 and 6.12), in one place. Features are detected, not
 * versions: UCCHAN_HAVE_VM_FLAGS_SET and UCCHAN_HAVE_PIN_VMAS come from the
 * Kbuild file (grep of the kernel's <linux/mm.h>), iter_iov_addr is a
 * macro of <linux/uio.h>.
 */
#ifndef _UCCHAN_COMPAT_I_H
#define _UCCHAN_COMPAT_I_H

#include <linux/mm.h>
#include <linux/uio.h>

/* vm_flags became read-only, with setters, in 6.3. */
static inline void ucchan_vm_flags_set(struct vm_area_struct *vma,
				       unsigned long set, unsigned long clear)
{
#ifdef UCCHAN_HAVE_VM_FLAGS_SET
	vm_flags_mod(vma, set, clear);
#else
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
#endif
}

/* The iovec an ITER_IOVEC iterator is at (6.4 renamed the member). */
static inline const struct iovec *ucchan_iter_iov(const struct iov_iter *i)
{
#ifdef iter_iov_addr
	return iter_iov(i);
#else
	return i->iov;
#endif
}

/* pin_user_pages() lost its vmas argument in 6.5; mmap_lock held. */
static inline long ucchan_pin_user_pages(unsigned long start,
					 unsigned long nr,
					 unsigned int gup_flags,
					 struct page **pages)
{
#ifdef UCCHAN_HAVE_PIN_VMAS
	return pin_user_pages(start, nr, gup_flags, pages, NULL);
#else
	return pin_user_pages(start, nr, gup_flags, pages);
#endif
}

#endif /* _UCCHAN_COMPAT_I_H */
