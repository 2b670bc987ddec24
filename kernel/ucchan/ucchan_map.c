// SPDX-License-Identifier: GPL-2.0
/*
 * ucchan mappings: the worker mapping ([header][request][reply][window]),
 * its fault handler, and the client buffers of a call: pinned (user
 * memory), referenced (bvec pages) or bounced (kernel memory), with the
 * partly covered first and last pages always replaced by bounce pages so
 * that a server never sees a byte it was not given.
 *
 * Window pages are inserted (vmf_insert_pfn_prot() on a VM_PFNMAP vma)
 * by the worker as it takes the call, or on demand while chan->map_ok, a
 * whole buffer at its first fault; the worker's reply clears map_ok and
 * zaps the window before any page is released.
 *
 * Buffers that fit in the worker's copy area are not mapped at all: the
 * caller copies them in once it holds the channel and out once the worker
 * replied (ucchan_copy_in(), ucchan_copy_out()), with page faults
 * disabled, as a fault there could call this service again on this CPU
 * with the slot held; a copy that would fault is redone through a private
 * staging buffer with no channel held. The copy area stays mapped in the
 * server: a small call costs no fault, no PTE and no TLB flush.
 */
#include <linux/mm.h>
#include <linux/highmem.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/uaccess.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/bvec.h>
#include <linux/uio.h>

#include "ucchan_i.h"
#include "ucchan_compat_i.h"
#include "ucchan_trace.h"

static pgprot_t ucchan_prot(struct vm_area_struct *vma, bool writable)
{
	vm_flags_t flags = vma->vm_flags;

	if (!writable)
		flags &= ~VM_WRITE;
	return vm_get_page_prot(flags);
}

/* Page @wp of the window and its buffer's flags. Under map_mutex. */
static struct page *ucchan_win_page(struct ucchan_chan *chan,
				    unsigned long wp, unsigned int *flags)
{
	struct ucchan_callst *cs = chan->cs;
	unsigned int i;

	lockdep_assert_held(&chan->map_mutex);
	for (i = 0; i < cs->nr_bufs; i++) {
		struct ucchan_mbuf *b = &cs->bufs[i];
		unsigned long j;

		if (b->kind == UCCHAN_MBUF_REG || b->kind == UCCHAN_MBUF_COPY ||
		    wp < b->win_first || wp >= b->win_first + b->nr_pages)
			continue;
		j = wp - b->win_first;
		*flags = b->flags;
		if (b->kind == UCCHAN_MBUF_SCRATCH)
			return chan->scratch;
		if (j == 0 && b->bounce[0])
			return b->bounce[0];
		if (j == b->nr_pages - 1 && b->bounce[1])
			return b->bounce[1];
		return b->pages[j];
	}
	return NULL;
}

/* The header and request pages are read-only; the reply area is not. */
static bool ucchan_area_writable(struct ucchan_chan *chan, pgoff_t pgoff)
{
	return pgoff >= 1 + (chan->svc->max_inline >> PAGE_SHIFT);
}

/*
 * Insert every page of buffer @b but the one at @skip (window page
 * numbers; ULONG_MAX: none): the first touch of a buffer maps all of it,
 * so that a server walking a large buffer takes one fault, not one per
 * page, and a worker taking a call maps its buffers before it returns
 * (ucchan_window_open()). Under map_mutex and the mm's mmap lock. Pages
 * mapped already are left alone (insert_pfn() keeps an existing entry);
 * an error just stops the prefault, a later touch faults normally.
 */
static void ucchan_map_buf(struct ucchan_chan *chan, struct vm_area_struct *vma,
			   const struct ucchan_mbuf *b, unsigned long skip)
{
	bool writable = b->flags & UCCHAN_BUF_WRITE;
	pgprot_t prot = ucchan_prot(vma, writable);
	unsigned long j, addr;
	struct page *page;

	lockdep_assert_held(&chan->map_mutex);
	for (j = 0; j < b->nr_pages; j++) {
		if (b->win_first + j == skip)
			continue;
		if (b->kind == UCCHAN_MBUF_SCRATCH)
			page = chan->scratch;
		else if (j == 0 && b->bounce[0])
			page = b->bounce[0];
		else if (j == b->nr_pages - 1 && b->bounce[1])
			page = b->bounce[1];
		else
			page = b->pages[j];
		addr = vma->vm_start +
		       ((chan->area_pages + b->win_first + j) << PAGE_SHIFT);
		if (vmf_insert_pfn_prot(vma, addr, page_to_pfn(page), prot) &
		    VM_FAULT_ERROR)
			return;
		cond_resched();
	}
}

/* The buffer of the current call covering window page @wp, or NULL. */
static struct ucchan_mbuf *ucchan_win_buf(struct ucchan_chan *chan,
					  unsigned long wp)
{
	struct ucchan_callst *cs = chan->cs;
	unsigned int i;

	for (i = 0; i < cs->nr_bufs; i++) {
		struct ucchan_mbuf *b = &cs->bufs[i];

		if (b->kind != UCCHAN_MBUF_REG && b->kind != UCCHAN_MBUF_COPY &&
		    wp >= b->win_first && wp < b->win_first + b->nr_pages)
			return b;
	}
	return NULL;
}

static vm_fault_t ucchan_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct ucchan_chan *chan = vma->vm_private_data;
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	unsigned int flags = 0;
	struct page *page;
	unsigned long pfn;
	vm_fault_t ret;

	if (vmf->pgoff < chan->area_pages) {
		bool writable = ucchan_area_writable(chan, vmf->pgoff);

		if (write && !writable)
			return VM_FAULT_SIGBUS;
		pfn = vmalloc_to_pfn(chan->area + (vmf->pgoff << PAGE_SHIFT));
		return vmf_insert_pfn_prot(vma, vmf->address, pfn,
					   ucchan_prot(vma, writable));
	}

	mutex_lock(&chan->map_mutex);
	page = NULL;
	if (chan->map_ok)
		page = ucchan_win_page(chan, vmf->pgoff - chan->area_pages,
				       &flags);
	if (!page || (write && !(flags & UCCHAN_BUF_WRITE))) {
		ret = VM_FAULT_SIGBUS;
	} else {
		chan->faulted = true;
		ret = vmf_insert_pfn_prot(vma, vmf->address, page_to_pfn(page),
					  ucchan_prot(vma,
						      flags & UCCHAN_BUF_WRITE));
		if (!(ret & VM_FAULT_ERROR)) {
			unsigned long wp = vmf->pgoff - chan->area_pages;

			ucchan_map_buf(chan, vma, ucchan_win_buf(chan, wp), wp);
		}
	}
	mutex_unlock(&chan->map_mutex);
	return ret;
}

/*
 * A write to a page inserted read-only (after mprotect() games, or a
 * read fault first): allowed only where the server may write.
 */
static vm_fault_t ucchan_vm_pfn_mkwrite(struct vm_fault *vmf)
{
	struct ucchan_chan *chan = vmf->vma->vm_private_data;
	unsigned int flags = 0;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	if (vmf->pgoff < chan->area_pages)
		return ucchan_area_writable(chan, vmf->pgoff) ? 0 :
			VM_FAULT_SIGBUS;
	mutex_lock(&chan->map_mutex);
	if (chan->map_ok &&
	    ucchan_win_page(chan, vmf->pgoff - chan->area_pages, &flags) &&
	    (flags & UCCHAN_BUF_WRITE))
		ret = 0;
	mutex_unlock(&chan->map_mutex);
	return ret;
}

static void ucchan_vm_close(struct vm_area_struct *vma)
{
	struct ucchan_chan *chan = vma->vm_private_data;

	mutex_lock(&chan->map_mutex);
	if (chan->vma == vma) {
		chan->vma = NULL;
		chan->mm = NULL;
	}
	mutex_unlock(&chan->map_mutex);
}

static int ucchan_vm_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	return -EINVAL;
}

static int ucchan_vm_mremap(struct vm_area_struct *vma)
{
	return -EINVAL;
}

static const struct vm_operations_struct ucchan_worker_vm_ops = {
	.close		= ucchan_vm_close,
	.may_split	= ucchan_vm_may_split,
	.mremap		= ucchan_vm_mremap,
	.fault		= ucchan_vm_fault,
	.pfn_mkwrite	= ucchan_vm_pfn_mkwrite,
};

/* The flags of every ucchan mapping: no copy, no growth, no dump. */
void ucchan_vm_flags_pfnmap(struct vm_area_struct *vma)
{
	ucchan_vm_flags_set(vma, VM_PFNMAP | VM_IO | VM_DONTEXPAND |
			    VM_DONTDUMP | VM_DONTCOPY, VM_MAYEXEC);
}

int ucchan_worker_mmap(struct ucchan_chan *chan, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff || vma->vm_end - vma->vm_start != chan->mmap_size)
		return -EINVAL;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;

	mutex_lock(&chan->map_mutex);
	if (chan->vma) {
		mutex_unlock(&chan->map_mutex);
		return -EBUSY;
	}
	chan->vma = vma;
	chan->mm = vma->vm_mm;
	mutex_unlock(&chan->map_mutex);

	ucchan_vm_flags_pfnmap(vma);
	vma->vm_ops = &ucchan_worker_vm_ops;
	vma->vm_private_data = chan;
	return 0;
}

/*
 * The worker took a call: its buffers may be mapped. Called by the worker
 * (in its WAIT, before it returns to user space), which maps every page
 * of the call's window buffers at once when its window is in its own mm,
 * as its first touch of a buffer would: the server then takes no page
 * fault for a call. Elsewhere (the mapping in another process, or the
 * mmap lock not taken for a fatal signal) the buffers fault in as before.
 */
void ucchan_window_open(struct ucchan_chan *chan)
{
	struct ucchan_callst *cs = chan->cs;
	struct mm_struct *mm = current->mm;
	bool locked;
	unsigned int i;

	if (!cs->win_used)
		return;
	/* the fault path's order: the mmap lock, then map_mutex */
	locked = mm && !mmap_read_lock_killable(mm);
	mutex_lock(&chan->map_mutex);
	chan->map_ok = true;
	if (locked && chan->mm == mm && chan->vma) {
		for (i = 0; i < cs->nr_bufs; i++) {
			const struct ucchan_mbuf *b = &cs->bufs[i];

			if (b->kind == UCCHAN_MBUF_REG ||
			    b->kind == UCCHAN_MBUF_COPY || !b->nr_pages)
				continue;
			chan->faulted = true;	/* the reply zaps */
			ucchan_map_buf(chan, chan->vma, b, ULONG_MAX);
		}
	}
	mutex_unlock(&chan->map_mutex);
	if (locked)
		mmap_read_unlock(mm);
}

/*
 * Zap [off, off + len) of the one mapping tracked in *vmap / *mmp under
 * @lock (a worker's window, a service's area). The mm is pinned and its
 * mmap_lock taken before @lock (the fault path's order); if the mapping
 * moved to another mm meanwhile, start over. An mm without users is
 * exiting: nothing can touch its PTEs, exit_mmap() removes them without
 * looking at the pages (VM_PFNMAP).
 *
 * The service's zaps go one at a time (svc->zap_mutex): when two workers
 * on two CPUs zap their windows at once, the one that finishes second
 * sees a nested TLB flush pending and makes its own a full-mm flush with
 * freed_tables set, which also interrupts the CPUs that run the server's
 * mm lazily: two shootdown IPIs per call instead of at most one.
 */
void ucchan_zap_tracked(struct ucchan_service *svc, struct mutex *lock,
			struct vm_area_struct **vmap, struct mm_struct **mmp,
			unsigned long off, unsigned long len)
{
	struct mm_struct *mm;
	bool done;

	do {
		mutex_lock(lock);
		mm = *mmp;
		if (mm)
			mmgrab(mm);
		mutex_unlock(lock);
		if (!mm)
			return;
		done = true;
		if (mmget_not_zero(mm)) {
			mmap_read_lock(mm);
			mutex_lock(lock);
			if (*mmp == mm) {
				mutex_lock(&svc->zap_mutex);
				zap_vma_ptes(*vmap, (*vmap)->vm_start + off,
					     len);
				mutex_unlock(&svc->zap_mutex);
			} else {
				done = false;
			}
			mutex_unlock(lock);
			mmap_read_unlock(mm);
			mmput(mm);
		}
		mmdrop(mm);
	} while (!done);
}

/*
 * The call is over on the worker side: no new window mapping, and the
 * ones made are zapped, all before any page of the call is released.
 * Nothing to do for a call nothing was faulted in for.
 */
void ucchan_window_close(struct ucchan_chan *chan)
{
	bool faulted;

	if (!chan->cs->win_used)
		return;
	mutex_lock(&chan->map_mutex);
	chan->map_ok = false;
	faulted = chan->faulted;
	chan->faulted = false;
	mutex_unlock(&chan->map_mutex);
	if (faulted)
		ucchan_zap_tracked(chan->svc, &chan->map_mutex, &chan->vma,
				   &chan->mm,
				   chan->area_pages << PAGE_SHIFT,
				   chan->cs->win_used << PAGE_SHIFT);
}

static void ucchan_copy_page(struct page *dst, struct page *src,
			     unsigned int from, unsigned int to)
{
	void *d = kmap_local_page(dst);
	void *s = kmap_local_page(src);

	memcpy(d + from, s + from, to - from);
	kunmap_local(s);
	kunmap_local(d);
}

/* Byte range of page @j covered by the buffer. */
static void ucchan_page_span(const struct ucchan_mbuf *b, unsigned int j,
			     unsigned int *from, unsigned int *to)
{
	size_t end = b->first_off + b->len;

	*from = j ? 0 : b->first_off;
	*to = (end - (size_t)j * PAGE_SIZE) >= PAGE_SIZE ?
		PAGE_SIZE : end - (size_t)j * PAGE_SIZE;
}

/*
 * Replace the partly covered first and last pages of a pinned or
 * referenced buffer by zeroed bounce pages holding only the covered bytes.
 * They are copied in for a write-only buffer too: the server may write
 * fewer bytes than the buffer has, and the copy back must leave the
 * others as they were (the server could read the buffer's whole pages in
 * the middle anyway).
 */
static int ucchan_buf_edges(struct ucchan_mbuf *b, u64 *bounced)
{
	unsigned int last = b->nr_pages - 1, e, j, from, to;

	for (e = 0; e < 2; e++) {
		j = e ? last : 0;
		if (e && !last)
			break;
		ucchan_page_span(b, j, &from, &to);
		if (from == 0 && to == PAGE_SIZE)
			continue;
		b->bounce[e] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!b->bounce[e])
			return -ENOMEM;
		ucchan_copy_page(b->bounce[e], b->pages[j], from, to);
		*bounced += to - from;
	}
	return 0;
}

static void ucchan_buf_release(struct ucchan_callst *cs, struct ucchan_mbuf *b,
			       size_t copy_len, int *err);

/*
 * Charge @nr pinned pages of a user call to the caller's user, against
 * RLIMIT_MEMLOCK (like io_uring's buffers): the server decides how long
 * the pins last. CAP_IPC_LOCK is not limited (and not charged).
 */
static int ucchan_charge(struct ucchan_callst *cs, unsigned long nr)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	struct user_struct *user = cs->user_charged;
	long cur, new;

	if (!user) {
		user = get_uid(current_user());
		cs->user_charged = user;
	}
	cur = atomic_long_read(&user->locked_vm);
	do {
		new = cur + nr;
		if (new > limit)
			return capable(CAP_IPC_LOCK) ? 0 : -ENOMEM;
	} while (!atomic_long_try_cmpxchg(&user->locked_vm, &cur, new));
	cs->charged += nr;
	return 0;
}

static void ucchan_uncharge(struct ucchan_callst *cs)
{
	if (cs->charged)
		atomic_long_sub(cs->charged, &cs->user_charged->locked_vm);
	cs->charged = 0;
	if (cs->user_charged)
		free_uid(cs->user_charged);
	cs->user_charged = NULL;
}

/*
 * Pin user memory for one call. The server decides how long the call
 * lasts, so the pin is FOLL_LONGTERM (pin_user_pages.rst); a user call's
 * pages are charged to RLIMIT_MEMLOCK, a kernel client's are counted per
 * service (svc->kpinned) and bounded by its window.
 */
static int ucchan_buf_pin_user(struct ucchan_callst *cs, struct ucchan_mbuf *b,
			       unsigned long addr, size_t len,
			       unsigned int flags, unsigned long avail)
{
	unsigned int off = offset_in_page(addr);
	unsigned long nr = DIV_ROUND_UP(off + len, PAGE_SIZE);
	int got, ret;

	if (nr > avail)
		return -E2BIG;
	if (cs->user) {
		ret = ucchan_charge(cs, nr);
		if (ret)
			return ret;
	}
	b->pages = kvmalloc_array(nr, sizeof(*b->pages), GFP_KERNEL);
	if (!b->pages)
		return -ENOMEM;
	got = pin_user_pages_fast(addr & PAGE_MASK, nr, FOLL_LONGTERM |
				  ((flags & UCCHAN_BUF_WRITE) ? FOLL_WRITE : 0),
				  b->pages);
	if (got != nr) {
		if (got > 0)
			unpin_user_pages(b->pages, got);
		kvfree(b->pages);
		b->pages = NULL;
		return got < 0 ? got : -EFAULT;
	}
	if (!cs->user)
		atomic_long_add(nr, &cs->svc->kpinned);
	b->kind = UCCHAN_MBUF_PINNED;
	b->flags = flags;
	b->nr_pages = nr;
	b->first_off = off;
	b->len = len;
	ret = ucchan_buf_edges(b, &cs->bounce_bytes);
	if (ret) {
		ucchan_buf_release(cs, b, 0, NULL);
		return ret;
	}
	cs->map_bytes += len;
	return 0;
}

/*
 * Map a bvec iterator's pages when its segments meet at page boundaries
 * (the window is contiguous) and none is a slab page; -EAGAIN when not
 * (the caller bounces it).
 */
static int ucchan_buf_ref_bvec(struct ucchan_callst *cs, struct ucchan_mbuf *b,
			       struct ucchan_kbuf *kb, unsigned long avail)
{
	const struct bio_vec *bv;
	size_t skip, left, seg, off;
	unsigned long nr = 0, n, k;
	int pass, ret;

	for (pass = 0; pass < 2; pass++) {
		bv = kb->iter->bvec;
		skip = kb->iter->iov_offset;
		left = kb->len;
		nr = 0;
		while (left) {
			seg = min_t(size_t, bv->bv_len - skip, left);
			off = bv->bv_offset + skip;
			if (!seg) {
				bv++;
				skip = 0;
				continue;
			}
			if (pass == 0 && ((nr && offset_in_page(off)) ||
					  (left > seg &&
					   offset_in_page(off + seg))))
				return -EAGAIN;
			/* slab pages hold other objects: never map them */
			if (pass == 0 && PageSlab(bv->bv_page))
				return -EAGAIN;
			n = DIV_ROUND_UP(offset_in_page(off) + seg, PAGE_SIZE);
			if (pass == 1) {
				if (!nr)
					b->first_off = offset_in_page(off);
				for (k = 0; k < n; k++) {
					b->pages[nr + k] = nth_page(bv->bv_page,
								    off / PAGE_SIZE + k);
					get_page(b->pages[nr + k]);
				}
			}
			nr += n;
			left -= seg;
			bv++;
			skip = 0;
		}
		if (pass == 0) {
			if (nr > avail)
				return -E2BIG;
			b->pages = kvmalloc_array(nr, sizeof(*b->pages),
						  GFP_KERNEL);
			if (!b->pages)
				return -ENOMEM;
		}
	}
	b->kind = UCCHAN_MBUF_REFD;
	b->flags = kb->flags;
	b->nr_pages = nr;
	b->len = kb->len;
	ret = ucchan_buf_edges(b, &cs->bounce_bytes);
	if (ret) {
		ucchan_buf_release(cs, b, 0, NULL);
		return ret;
	}
	cs->map_bytes += kb->len;
	return 0;
}

/*
 * Copy @len bytes between kernel memory (@pages, byte i of the buffer at
 * byte i of the pages; or, if @lin, the @len bytes at @lin) and the memory
 * @iter describes, in either direction whatever @iter's, without advancing
 * @iter. User memory may fault: with a channel held, only ever called with
 * page faults disabled (a copy that would fault fails with -EFAULT).
 */
static int ucchan_iter_copy(struct page **pages, void *lin,
			    const struct iov_iter *iter, bool to_caller,
			    size_t len)
{
	size_t done = 0, skip = iter->iov_offset, seg_len, n, c;
	/* by the iterator's kind: a user address may be NULL */
	bool user = iter_is_ubuf(iter) || iter_is_iovec(iter);
	unsigned long seg = 0;

	while (done < len) {
		void __user *uaddr = NULL;
		struct page *pg = NULL;
		void *kaddr = NULL;
		size_t pg_off = 0;

		if (iter_is_ubuf(iter)) {
			uaddr = iter->ubuf + skip;
			seg_len = iter->iov_offset + iter->count;
		} else if (iter_is_iovec(iter)) {
			const struct iovec *iov = ucchan_iter_iov(iter) + seg;

			uaddr = iov->iov_base + skip;
			seg_len = iov->iov_len;
		} else if (iov_iter_is_kvec(iter)) {
			kaddr = iter->kvec[seg].iov_base + skip;
			seg_len = iter->kvec[seg].iov_len;
		} else if (iov_iter_is_bvec(iter)) {
			const struct bio_vec *bv = &iter->bvec[seg];
			size_t off = bv->bv_offset + skip;

			pg = nth_page(bv->bv_page, off / PAGE_SIZE);
			pg_off = offset_in_page(off);
			/* one page of the segment at a time */
			seg_len = min_t(size_t, bv->bv_len,
					skip + PAGE_SIZE - pg_off);
		} else {
			return -EINVAL;
		}
		n = min(seg_len - skip, len - done);
		while (n) {
			size_t bo = offset_in_page(done);
			void *p;

			if (lin) {
				c = n;
				p = lin + done;
			} else {
				c = min_t(size_t, n, PAGE_SIZE - bo);
				p = kmap_local_page(pages[done / PAGE_SIZE]) + bo;
			}
			if (user) {
				if (to_caller ? copy_to_user(uaddr, p, c) :
				    copy_from_user(p, uaddr, c)) {
					if (!lin)
						kunmap_local(p);
					return -EFAULT;
				}
				uaddr += c;
			} else {
				void *k = pg ? kmap_local_page(pg) + pg_off : kaddr;

				if (to_caller)
					memcpy(k, p, c);
				else
					memcpy(p, k, c);
				if (pg) {
					kunmap_local(k);
					pg_off += c;
				} else {
					kaddr += c;
				}
			}
			if (!lin)
				kunmap_local(p);
			done += c;
			skip += c;
			n -= c;
		}
		if (skip >= (pg ? iter->bvec[seg].bv_len : seg_len)) {
			seg++;
			skip = 0;
		}
	}
	return 0;
}

static int ucchan_buf_bounce_all(struct ucchan_callst *cs,
				 struct ucchan_mbuf *b, struct ucchan_kbuf *kb,
				 unsigned long avail)
{
	unsigned long nr = DIV_ROUND_UP(kb->len, PAGE_SIZE), i;
	int ret;

	if (nr > avail)
		return -E2BIG;
	b->pages = kvcalloc(nr, sizeof(*b->pages), GFP_KERNEL);
	if (!b->pages)
		return -ENOMEM;
	b->kind = UCCHAN_MBUF_BOUNCED;
	b->flags = kb->flags;
	b->nr_pages = nr;
	b->len = kb->len;
	b->iter = kb->iter;
	for (i = 0; i < nr; i++) {
		b->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!b->pages[i]) {
			ucchan_buf_release(cs, b, 0, NULL);
			return -ENOMEM;
		}
	}
	if (kb->flags & UCCHAN_BUF_READ) {
		ret = ucchan_iter_copy(b->pages, NULL, kb->iter, false,
				       kb->len);
		if (ret) {
			ucchan_buf_release(cs, b, 0, NULL);
			return ret;
		}
	}
	cs->bounce_bytes += kb->len;
	return 0;
}

/* Offset in its page of the first byte @iter describes. */
static unsigned int ucchan_iter_page_off(const struct iov_iter *iter)
{
	if (iter_is_ubuf(iter))
		return offset_in_page(iter->ubuf + iter->iov_offset);
	if (iter_is_iovec(iter))
		return offset_in_page(ucchan_iter_iov(iter)->iov_base +
				      iter->iov_offset);
	if (iov_iter_is_bvec(iter))
		return offset_in_page(iter->bvec->bv_offset + iter->iov_offset);
	if (iov_iter_is_kvec(iter))
		return offset_in_page(iter->kvec->iov_base + iter->iov_offset);
	return 0;
}

/*
 * Give a buffer of @len bytes starting @off bytes into a page the copy
 * area's next pages, as many as it would take in the window, if they are
 * still free; false when not (it is mapped instead). With @copy_in the
 * server is shown the caller's bytes (always for a user call: the copy
 * back writes all of a server-writable buffer, which must then hold the
 * caller's bytes where the server wrote none, as a mapped buffer does).
 */
static bool ucchan_buf_copy(struct ucchan_callst *cs, struct ucchan_mbuf *b,
			    struct iov_iter *iter, unsigned int off, size_t len,
			    unsigned int flags, bool copy_in)
{
	unsigned long nr = DIV_ROUND_UP(off + len, PAGE_SIZE);

	if (nr > (cs->svc->copy_size >> PAGE_SHIFT) - cs->copy_used)
		return false;
	b->kind = UCCHAN_MBUF_COPY;
	b->flags = flags;
	b->nr_pages = nr;
	b->first_off = off;
	b->len = len;
	b->iter = iter;
	b->copy_off = (cs->copy_used << PAGE_SHIFT) + off;
	b->copy_in = copy_in;
	cs->copy_used += nr;
	cs->copy_bytes += len;
	return true;
}

static int ucchan_buf_kernel(struct ucchan_callst *cs, struct ucchan_mbuf *b,
			     struct ucchan_kbuf *kb, unsigned long avail,
			     bool counted)
{
	struct iov_iter *iter = kb->iter;
	unsigned long addr;
	size_t seg;
	int ret;

	if (!iter || !kb->len || kb->len > iov_iter_count(iter) ||
	    kb->flags & ~(UCCHAN_BUF_READ | UCCHAN_BUF_WRITE) ||
	    !(kb->flags & (UCCHAN_BUF_READ | UCCHAN_BUF_WRITE)))
		return -EINVAL;

	/*
	 * A write-only buffer whose produced bytes the client counts
	 * (->written()) needs no copy in: only those bytes go back.
	 */
	if (ucchan_buf_copy(cs, b, iter, ucchan_iter_page_off(iter), kb->len,
			    kb->flags,
			    (kb->flags & UCCHAN_BUF_READ) || !counted))
		return 0;

	if (iter_is_ubuf(iter) || iter_is_iovec(iter)) {
		if (iter_is_ubuf(iter)) {
			addr = (unsigned long)iter->ubuf + iter->iov_offset;
			seg = iov_iter_count(iter);
		} else {
			const struct iovec *iov = ucchan_iter_iov(iter);

			addr = (unsigned long)iov->iov_base + iter->iov_offset;
			seg = iov->iov_len - iter->iov_offset;
		}
		if (seg >= kb->len) {
			ret = ucchan_buf_pin_user(cs, b, addr, kb->len,
						  kb->flags, avail);
			/*
			 * Memory a long-term pin refuses (a shared file
			 * mapping that needs write-back, fsdax) is bounced.
			 */
			if (ret != -EFAULT && ret != -EOPNOTSUPP)
				return ret;
			memset(b, 0, sizeof(*b));
		}
	} else if (iov_iter_is_bvec(iter)) {
		ret = ucchan_buf_ref_bvec(cs, b, kb, avail);
		if (ret != -EAGAIN)
			return ret;
	} else if (!iov_iter_is_kvec(iter)) {
		return -EINVAL;
	}
	return ucchan_buf_bounce_all(cs, b, kb, avail);
}

/*
 * Release one buffer: copy back the first @copy_len bytes the server wrote
 * (0: none; a fault there is reported in *@err), then unpin / put / free.
 * Only called once no window PTE maps the pages any more, and never while
 * a channel is held (a copy to user memory may fault).
 */
static void ucchan_buf_release(struct ucchan_callst *cs, struct ucchan_mbuf *b,
			       size_t copy_len, int *err)
{
	bool wr = b->flags & UCCHAN_BUF_WRITE;
	unsigned int e, j, from, to;
	unsigned long i;
	size_t lim;

	if (!wr)
		copy_len = 0;
	copy_len = min(copy_len, b->len);
	for (e = 0; e < 2; e++) {
		if (!b->bounce[e])
			continue;
		j = e ? b->nr_pages - 1 : 0;
		ucchan_page_span(b, j, &from, &to);
		/* page j, byte x holds buffer byte j * PAGE_SIZE + x - first_off */
		lim = copy_len + b->first_off - (size_t)j * PAGE_SIZE;
		if (copy_len + b->first_off > (size_t)j * PAGE_SIZE)
			ucchan_copy_page(b->pages[j], b->bounce[e], from,
					 min_t(size_t, to, lim));
		__free_page(b->bounce[e]);
		b->bounce[e] = NULL;
	}
	switch (b->kind) {
	case UCCHAN_MBUF_PINNED:
		unpin_user_pages_dirty_lock(b->pages, b->nr_pages, wr);
		if (!cs->user)
			atomic_long_sub(b->nr_pages, &cs->svc->kpinned);
		break;
	case UCCHAN_MBUF_REFD:
		for (i = 0; i < b->nr_pages; i++)
			put_page(b->pages[i]);
		break;
	case UCCHAN_MBUF_BOUNCED:
		if (copy_len && b->iter &&
		    ucchan_iter_copy(b->pages, NULL, b->iter, true, copy_len) &&
		    err)
			*err = -EFAULT;
		/* NULL: not allocated, or a revoked buffer's bounced edge */
		for (i = 0; i < b->nr_pages && b->pages; i++)
			if (b->pages[i])
				__free_page(b->pages[i]);
		break;
	case UCCHAN_MBUF_REG:
		if (b->reg)
			ucchan_regbuf_put(b->reg);
		b->reg = NULL;
		break;
	case UCCHAN_MBUF_SCRATCH:
		break;
	case UCCHAN_MBUF_COPY:
		/* staged by ucchan_copy_out(): the copy that would fault */
		if (copy_len && b->out_len && b->iter &&
		    ucchan_iter_copy(NULL, b->staged, b->iter, true,
				     b->out_len) && err)
			*err = -EFAULT;
		kvfree(b->staged);
		b->staged = NULL;
		break;
	}
	kvfree(b->pages);
	b->pages = NULL;
	b->iter = NULL;
}

/* Offsets of the copy area and of the window in a worker mapping. */
static u64 ucchan_copy_offset(const struct ucchan_service *svc)
{
	return (1 + 2 * (u64)(svc->max_inline >> PAGE_SHIFT)) << PAGE_SHIFT;
}

static u64 ucchan_window_offset(const struct ucchan_service *svc)
{
	return ucchan_copy_offset(svc) + svc->copy_size;
}

/*
 * Pin, reference or bounce every buffer of a call into @cs, and describe
 * them (cs->desc) as the server will see them. Called before a channel is
 * taken: it may fault, and a fault may make a nested call.
 */
int ucchan_bufs_prepare(struct ucchan_callst *cs, struct ucchan_conn *conn,
			const struct ucchan_call_src *src)
{
	u64 win = ucchan_window_offset(conn->svc);
	u64 copy = ucchan_copy_offset(conn->svc);
	bool counted = src->kcall && src->kcall->written;
	unsigned long cursor = 0;
	unsigned long win_pages = conn->svc->window_size >> PAGE_SHIFT;
	unsigned int i;
	int ret;

	cs->nr_bufs = 0;
	for (i = 0; i < src->nr_bufs; i++) {
		struct ucchan_mbuf *b = &cs->bufs[i];
		unsigned long avail = win_pages - cursor;

		memset(b, 0, sizeof(*b));
		if (src->user &&
		    (src->uiov[i].flags & UCCHAN_BUF_REGISTERED)) {
			/* already pinned and shown in the service's area */
			ret = ucchan_regbuf_resolve(conn, &src->uiov[i],
						    &cs->desc[i], &b->reg);
			if (ret)
				goto err;
			b->kind = UCCHAN_MBUF_REG;
			cs->nr_bufs = i + 1;
			continue;
		}
		ret = 0;
		if (src->user) {
			const struct ucchan_iov *u = &src->uiov[i];

			iov_iter_ubuf(&b->uiter, (u->flags & UCCHAN_BUF_WRITE) ?
				      ITER_DEST : ITER_SOURCE,
				      u64_to_user_ptr(u->addr), u->len);
			if (!ucchan_buf_copy(cs, b, &b->uiter,
					     offset_in_page(u->addr), u->len,
					     u->flags, true))
				ret = ucchan_buf_pin_user(cs, b, u->addr,
							  u->len, u->flags,
							  avail);
		} else {
			ret = ucchan_buf_kernel(cs, b, &src->kbufs[i], avail,
						counted);
		}
		if (ret)
			goto err;
		cs->nr_bufs = i + 1;
		if (b->kind == UCCHAN_MBUF_COPY) {
			cs->desc[i].offset = copy + b->copy_off;
		} else {
			b->win_first = cursor;
			cursor += b->nr_pages;
			cs->desc[i].offset = win + (b->win_first << PAGE_SHIFT) +
					     b->first_off;
		}
		cs->desc[i].len = b->len;
		cs->desc[i].flags = b->flags;
		cs->desc[i].pad = 0;
	}
	cs->win_used = cursor;
	return 0;
err:
	ucchan_bufs_finish(cs, src, false);
	return ret;
}

/*
 * Release every buffer of a call (see ucchan_buf_release()); with
 * @copy_back, a kernel client's ->written() says how many bytes of each
 * buffer the server produced (else all of it). Returns 0 or -EFAULT when
 * a copy back to the caller faulted.
 */
int ucchan_bufs_finish(struct ucchan_callst *cs, const struct ucchan_call_src *src,
		       bool copy_back)
{
	const struct ucchan_kcall *kc = src ? src->kcall : NULL;
	unsigned int i;
	int err = 0;

	for (i = 0; i < cs->nr_bufs; i++) {
		struct ucchan_mbuf *b = &cs->bufs[i];
		size_t n = 0;

		if (copy_back)
			n = kc && kc->written ? kc->written(kc, i) : b->len;
		ucchan_buf_release(cs, b, n, &err);
	}
	cs->nr_bufs = 0;
	cs->win_used = 0;
	cs->copy_used = 0;
	ucchan_uncharge(cs);
	return err;
}

/*
 * Private copies of a pinned or referenced buffer's pages for a revoked
 * call: what the server reads stays what it was given (a write being
 * interrupted still writes the caller's bytes), what it writes goes
 * nowhere. The partial first and last pages are bounce pages already.
 */
static struct page **ucchan_shadow_pages(struct ucchan_mbuf *b)
{
	struct page **sh;
	unsigned long j;

	sh = kvcalloc(b->nr_pages, sizeof(*sh), GFP_KERNEL | __GFP_NOWARN);
	if (!sh)
		return NULL;
	for (j = 0; j < b->nr_pages; j++) {
		if ((j == 0 && b->bounce[0]) ||
		    (j == b->nr_pages - 1 && b->bounce[1]))
			continue;
		sh[j] = alloc_page(GFP_KERNEL | __GFP_NOWARN |
				   ((b->flags & UCCHAN_BUF_READ) ? 0 : __GFP_ZERO));
		if (!sh[j])
			goto fail;
		if (b->flags & UCCHAN_BUF_READ)
			ucchan_copy_page(sh[j], b->pages[j], 0, PAGE_SIZE);
	}
	return sh;
fail:
	while (j--)
		if (sh[j])
			__free_page(sh[j]);
	kvfree(sh);
	return NULL;
}

/*
 * The caller leaves a call its worker still holds (killed, timed out, the
 * service dying): before it returns, the window must show nothing of its
 * memory any more. Every pinned or referenced buffer's pages are replaced
 * by private copies (or, if memory is short, the channel's scratch page);
 * the worker's mapping is zapped, and the caller's pins are released. The
 * server may go on touching the window (it gets the copies, never a
 * SIGBUS) until it replies; the channel then frees @cs.
 */
void ucchan_call_revoke(struct ucchan_chan *chan, struct ucchan_callst *cs)
{
	struct page **sh[UCCHAN_MAX_BUFS] = {}, **old[UCCHAN_MAX_BUFS] = {};
	enum ucchan_mbuf_kind kind[UCCHAN_MAX_BUFS];
	unsigned long nr[UCCHAN_MAX_BUFS];
	unsigned int i;

	/* copies first, without the map mutex: allocating may reclaim */
	for (i = 0; i < cs->nr_bufs; i++) {
		struct ucchan_mbuf *b = &cs->bufs[i];

		if (b->kind == UCCHAN_MBUF_PINNED || b->kind == UCCHAN_MBUF_REFD)
			sh[i] = ucchan_shadow_pages(b);
	}
	mutex_lock(&chan->map_mutex);
	for (i = 0; i < cs->nr_bufs; i++) {
		struct ucchan_mbuf *b = &cs->bufs[i];

		b->iter = NULL;		/* no copy back: nobody waits for it */
		kind[i] = b->kind;
		if (b->kind != UCCHAN_MBUF_PINNED && b->kind != UCCHAN_MBUF_REFD)
			continue;
		old[i] = b->pages;
		nr[i] = b->nr_pages;
		b->pages = sh[i];
		/* the bounce pages stand in at the edges (NULL in sh[i]) */
		b->kind = sh[i] ? UCCHAN_MBUF_BOUNCED : UCCHAN_MBUF_SCRATCH;
	}
	if (cs->win_used)
		chan->faulted = true;	/* the reply zaps the copies again */
	mutex_unlock(&chan->map_mutex);

	/* no PTE of the worker maps the caller's pages after this */
	if (cs->win_used)
		ucchan_zap_tracked(chan->svc, &chan->map_mutex, &chan->vma,
				   &chan->mm,
				   chan->area_pages << PAGE_SHIFT,
				   cs->win_used << PAGE_SHIFT);
	for (i = 0; i < cs->nr_bufs; i++) {
		if (!old[i])
			continue;
		if (kind[i] == UCCHAN_MBUF_PINNED) {
			unpin_user_pages_dirty_lock(old[i], nr[i],
						    cs->bufs[i].flags &
						    UCCHAN_BUF_WRITE);
			if (!cs->user)
				atomic_long_sub(nr[i], &cs->svc->kpinned);
		} else {
			unsigned long j;

			for (j = 0; j < nr[i]; j++)
				put_page(old[i][j]);
		}
		kvfree(old[i]);
	}
	ucchan_uncharge(cs);
}

/*
 * Memory for a caller that holds a channel: no file system reclaim, which
 * could call a file system served through this same service.
 */
void *ucchan_alloc_held(size_t len)
{
	unsigned int nofs = memalloc_nofs_save();
	void *p = kvmalloc(len, GFP_KERNEL);

	memalloc_nofs_restore(nofs);
	return p;
}

/* Free a call: its buffers (no copy back), its staged request. */
void ucchan_callst_free(struct ucchan_callst *cs)
{
	ucchan_bufs_finish(cs, NULL, false);
	kvfree(cs->req_big);
	kmem_cache_free(ucchan_callst_cache, cs);
}

/*
 * The caller holds the channel: copy the copied buffers' bytes into the
 * copy area, with page faults disabled. -EAGAIN when a copy would fault:
 * the caller gives the channel back, stages them (ucchan_copy_stage())
 * and takes a channel again.
 */
int ucchan_copy_in(struct ucchan_chan *chan, struct ucchan_callst *cs)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < cs->nr_bufs && !ret; i++) {
		struct ucchan_mbuf *b = &cs->bufs[i];
		void *dst = chan->copy + b->copy_off;

		if (b->kind != UCCHAN_MBUF_COPY || !b->copy_in)
			continue;
		if (b->staged) {
			memcpy(dst, b->staged, b->len);
			continue;
		}
		pagefault_disable();
		if (ucchan_iter_copy(NULL, dst, b->iter, false, b->len))
			ret = -EAGAIN;
		pagefault_enable();
	}
	return ret;
}

/* No channel held: read the caller's bytes of the copied buffers. */
int ucchan_copy_stage(struct ucchan_callst *cs)
{
	unsigned int i;

	for (i = 0; i < cs->nr_bufs; i++) {
		struct ucchan_mbuf *b = &cs->bufs[i];

		if (b->kind != UCCHAN_MBUF_COPY || !b->copy_in || b->staged)
			continue;
		b->staged = kvmalloc(b->len, GFP_KERNEL);
		if (!b->staged)
			return -ENOMEM;
		if (ucchan_iter_copy(NULL, b->staged, b->iter, false, b->len))
			return -EFAULT;
	}
	return 0;
}

/*
 * The worker replied and the caller still holds the channel: copy what
 * the server wrote into server-writable copied buffers back to the
 * caller (a kernel client's ->written() bytes, else all), with page
 * faults disabled; what would fault is staged for ucchan_bufs_finish(),
 * which runs with no channel held. 0 or -ENOMEM.
 */
int ucchan_copy_out(struct ucchan_chan *chan, struct ucchan_callst *cs,
		    const struct ucchan_call_src *src)
{
	const struct ucchan_kcall *kc = src->kcall;
	unsigned int i;

	for (i = 0; i < cs->nr_bufs; i++) {
		struct ucchan_mbuf *b = &cs->bufs[i];
		void *from = chan->copy + b->copy_off;
		size_t n = b->len;
		int ret;

		if (b->kind != UCCHAN_MBUF_COPY ||
		    !(b->flags & UCCHAN_BUF_WRITE))
			continue;
		if (kc && kc->written)
			n = min(kc->written(kc, i), b->len);
		if (!n)
			continue;
		pagefault_disable();
		ret = ucchan_iter_copy(NULL, from, b->iter, true, n);
		pagefault_enable();
		if (!ret)
			continue;
		if (!b->staged) {
			b->staged = ucchan_alloc_held(b->len);
			if (!b->staged)
				return -ENOMEM;
		}
		memcpy(b->staged, from, n);
		b->out_len = n;
	}
	return 0;
}
