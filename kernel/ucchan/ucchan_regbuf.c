// SPDX-License-Identifier: GPL-2.0
/*
 * ucchan registered buffers. A client pins a page-aligned buffer once
 * (FOLL_LONGTERM); it gets a range of its service's registered-buffer
 * area, which the server mmap()s from the service file and where the
 * pages are faulted in on demand. A call then names the buffer by id
 * (UCCHAN_BUF_REGISTERED) instead of pinning anything.
 *
 * The range is zapped from the server's mapping before the pages are
 * unpinned (unregister, connection close), once no call uses the buffer
 * any more (a call holds a reference until its worker is done with it);
 * when the service file is released no mapping exists any more and
 * everything is unpinned as soon as its last call ends.
 * svc->reg_mutex nests inside the mmap_lock (fault path).
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/bitmap.h>
#include <linux/uaccess.h>
#include <linux/magic.h>

#include "ucchan_i.h"
#include "ucchan_compat_i.h"

int ucchan_area_init(struct ucchan_service *svc, u64 size)
{
	mutex_init(&svc->reg_mutex);
	INIT_LIST_HEAD(&svc->regbufs);
	svc->regbuf_size = size;
	svc->reg_pages = size >> PAGE_SHIFT;
	if (!size)
		return 0;
	svc->regmap = bitmap_zalloc(svc->reg_pages, GFP_KERNEL);
	return svc->regmap ? 0 : -ENOMEM;
}

void ucchan_area_free(struct ucchan_service *svc)
{
	bitmap_free(svc->regmap);
}

static void ucchan_regbuf_free(struct ucchan_regbuf *rb)
{
	unpin_user_pages_dirty_lock(rb->pages, rb->nr_pages,
				    rb->flags & UCCHAN_BUF_WRITE);
	account_locked_vm(rb->mm, rb->nr_pages, false);
	mmdrop(rb->mm);
	kvfree(rb->pages);
	kfree(rb);
}

/* Under reg_mutex: the buffer covering area page @pgoff. */
static struct ucchan_regbuf *ucchan_area_find(struct ucchan_service *svc,
					      pgoff_t pgoff)
{
	struct ucchan_regbuf *rb;

	lockdep_assert_held(&svc->reg_mutex);
	list_for_each_entry(rb, &svc->regbufs, node)
		if (pgoff >= rb->first && pgoff < rb->first + rb->nr_pages)
			return rb;
	return NULL;
}

static vm_fault_t ucchan_area_fault(struct vm_fault *vmf)
{
	struct ucchan_service *svc = vmf->vma->vm_private_data;
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	struct ucchan_regbuf *rb;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	vm_flags_t flags;

	mutex_lock(&svc->reg_mutex);
	rb = ucchan_area_find(svc, vmf->pgoff);
	if (rb && (!write || (rb->flags & UCCHAN_BUF_WRITE))) {
		flags = vmf->vma->vm_flags;
		if (!(rb->flags & UCCHAN_BUF_WRITE))
			flags &= ~VM_WRITE;
		ret = vmf_insert_pfn_prot(vmf->vma, vmf->address,
					  page_to_pfn(rb->pages[vmf->pgoff -
								rb->first]),
					  vm_get_page_prot(flags));
	}
	mutex_unlock(&svc->reg_mutex);
	return ret;
}

static vm_fault_t ucchan_area_pfn_mkwrite(struct vm_fault *vmf)
{
	struct ucchan_service *svc = vmf->vma->vm_private_data;
	struct ucchan_regbuf *rb;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	mutex_lock(&svc->reg_mutex);
	rb = ucchan_area_find(svc, vmf->pgoff);
	if (rb && (rb->flags & UCCHAN_BUF_WRITE))
		ret = 0;
	mutex_unlock(&svc->reg_mutex);
	return ret;
}

static void ucchan_area_close(struct vm_area_struct *vma)
{
	struct ucchan_service *svc = vma->vm_private_data;

	mutex_lock(&svc->reg_mutex);
	if (svc->area_vma == vma) {
		svc->area_vma = NULL;
		svc->area_mm = NULL;
	}
	mutex_unlock(&svc->reg_mutex);
}

static int ucchan_area_may_split(struct vm_area_struct *vma,
				 unsigned long addr)
{
	return -EINVAL;
}

static int ucchan_area_mremap(struct vm_area_struct *vma)
{
	return -EINVAL;
}

static const struct vm_operations_struct ucchan_area_vm_ops = {
	.close		= ucchan_area_close,
	.may_split	= ucchan_area_may_split,
	.mremap		= ucchan_area_mremap,
	.fault		= ucchan_area_fault,
	.pfn_mkwrite	= ucchan_area_pfn_mkwrite,
};

int ucchan_area_mmap(struct ucchan_service *svc, struct vm_area_struct *vma)
{
	if (!svc->regbuf_size)
		return -ENODEV;
	if (vma->vm_pgoff || vma->vm_end - vma->vm_start != svc->regbuf_size ||
	    !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	mutex_lock(&svc->reg_mutex);
	if (svc->area_vma) {
		mutex_unlock(&svc->reg_mutex);
		return -EBUSY;
	}
	svc->area_vma = vma;
	svc->area_mm = vma->vm_mm;
	mutex_unlock(&svc->reg_mutex);
	ucchan_vm_flags_pfnmap(vma);
	vma->vm_ops = &ucchan_area_vm_ops;
	vma->vm_private_data = svc;
	return 0;
}

/*
 * The service file is gone, so is every mapping of the area: unpin all
 * registered buffers; connections find their lists empty.
 */
void ucchan_area_kill(struct ucchan_service *svc)
{
	struct ucchan_regbuf *rb, *tmp;
	LIST_HEAD(dead);

	mutex_lock(&svc->reg_mutex);
	svc->reg_dead = true;
	list_for_each_entry_safe(rb, tmp, &svc->regbufs, node) {
		list_del(&rb->cnode);
		list_move(&rb->node, &dead);
	}
	mutex_unlock(&svc->reg_mutex);
	list_for_each_entry_safe(rb, tmp, &dead, node) {
		list_del(&rb->node);
		ucchan_regbuf_put(rb);
	}
}

/* Zap a buffer's range from the server, then release range and pages. */
static void ucchan_regbuf_drop(struct ucchan_service *svc,
			       struct ucchan_regbuf *rb)
{
	ucchan_zap_tracked(svc, &svc->reg_mutex, &svc->area_vma, &svc->area_mm,
			   rb->first << PAGE_SHIFT, rb->nr_pages << PAGE_SHIFT);
	mutex_lock(&svc->reg_mutex);
	bitmap_clear(svc->regmap, rb->first, rb->nr_pages);
	mutex_unlock(&svc->reg_mutex);
	ucchan_regbuf_free(rb);
}

/*
 * Drop a reference (the lists' or a call's); the last one zaps and
 * unpins. Process context: it may take the server's mmap_lock.
 */
void ucchan_regbuf_put(struct ucchan_regbuf *rb)
{
	if (refcount_dec_and_test(&rb->users))
		ucchan_regbuf_drop(rb->svc, rb);
}

/* Under reg_mutex: take buffer @id off the lists of its connection. */
static struct ucchan_regbuf *ucchan_regbuf_unlink(struct ucchan_conn *conn,
						  u32 id)
{
	struct ucchan_regbuf *rb;

	lockdep_assert_held(&conn->svc->reg_mutex);
	list_for_each_entry(rb, &conn->regbufs, cnode) {
		if (rb->id != id)
			continue;
		list_del(&rb->cnode);
		list_del(&rb->node);
		__clear_bit(id, &conn->reg_ids);
		return rb;
	}
	return NULL;
}

/*
 * Anonymous, shmem (tmpfs, memfd, SysV shm) and hugetlbfs memory only: a
 * file page pinned for long would be written back (and its file system
 * surprised) behind the pin. The check and the pin run under one
 * mmap_lock, so the range cannot be remapped in between.
 */
static bool ucchan_vma_pinnable(struct vm_area_struct *vma)
{
	unsigned long magic;

	if (vma_is_anonymous(vma))
		return true;
	if (!vma->vm_file)
		return false;
	magic = file_inode(vma->vm_file)->i_sb->s_magic;
	return magic == TMPFS_MAGIC || magic == HUGETLBFS_MAGIC;
}

static long ucchan_pin_anon(unsigned long addr, unsigned long nr, bool write,
			    struct page **pages)
{
	struct mm_struct *mm = current->mm;
	unsigned long end = addr + (nr << PAGE_SHIFT), a = addr;
	struct vm_area_struct *vma;
	long got;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	while (a < end) {
		vma = vma_lookup(mm, a);
		if (!vma) {
			got = -EFAULT;
			goto out;
		}
		if (!ucchan_vma_pinnable(vma)) {
			got = -EOPNOTSUPP;
			goto out;
		}
		a = vma->vm_end;
	}
	got = ucchan_pin_user_pages(addr, nr, FOLL_LONGTERM |
				    (write ? FOLL_WRITE : 0), pages);
out:
	mmap_read_unlock(mm);
	return got;
}

int ucchan_buf_register(struct ucchan_conn *conn,
			struct ucchan_buf_reg __user *uarg)
{
	struct ucchan_service *svc = conn->svc;
	struct ucchan_regbuf *rb;
	struct ucchan_buf_reg r;
	unsigned long nr, first;
	int got, ret;

	if (copy_from_user(&r, uarg, sizeof(r)))
		return -EFAULT;
	if (r.flags & ~(UCCHAN_BUF_READ | UCCHAN_BUF_WRITE) ||
	    !(r.flags & (UCCHAN_BUF_READ | UCCHAN_BUF_WRITE)) ||
	    r.buf_id || r.area_offset ||
	    memchr_inv(r.reserved, 0, sizeof(r.reserved)))
		return -EINVAL;
	if (!PAGE_ALIGNED(r.addr) || !PAGE_ALIGNED(r.len) || !r.len ||
	    r.addr + r.len < r.addr)
		return -EINVAL;
	if (!svc->regbuf_size)
		return -EOPNOTSUPP;
	if (r.len > svc->regbuf_size)
		return -ENOSPC;
	nr = r.len >> PAGE_SHIFT;

	/* cheap checks before pinning; repeated when the range is taken */
	mutex_lock(&svc->reg_mutex);
	if (svc->reg_dead)
		ret = -ESHUTDOWN;
	else if (hweight_long(conn->reg_ids) >= UCCHAN_MAX_REGBUFS)
		ret = -EMFILE;
	else if (bitmap_find_next_zero_area(svc->regmap, svc->reg_pages, 0,
					    nr, 0) >= svc->reg_pages)
		ret = -ENOSPC;
	else
		ret = 0;
	mutex_unlock(&svc->reg_mutex);
	if (ret)
		return ret;

	if (!current->mm)
		return -EFAULT;
	rb = kzalloc(sizeof(*rb), GFP_KERNEL);
	if (!rb)
		return -ENOMEM;
	rb->pages = kvmalloc_array(nr, sizeof(*rb->pages), GFP_KERNEL);
	if (!rb->pages) {
		kfree(rb);
		return -ENOMEM;
	}
	/* long-term pins count against RLIMIT_MEMLOCK (not CAP_IPC_LOCK) */
	ret = account_locked_vm(current->mm, nr, true);
	if (ret)
		goto err_free;
	got = ucchan_pin_anon(r.addr, nr, r.flags & UCCHAN_BUF_WRITE,
			      rb->pages);
	if (got != nr) {
		if (got > 0)
			unpin_user_pages(rb->pages, got);
		account_locked_vm(current->mm, nr, false);
		ret = got < 0 ? got : -EFAULT;
		goto err_free;
	}
	rb->mm = current->mm;
	mmgrab(rb->mm);
	rb->svc = svc;
	refcount_set(&rb->users, 1);
	rb->nr_pages = nr;
	rb->flags = r.flags;

	mutex_lock(&svc->reg_mutex);
	ret = -ESHUTDOWN;
	if (svc->reg_dead)
		goto err;
	ret = -EMFILE;
	rb->id = find_first_zero_bit(&conn->reg_ids, UCCHAN_MAX_REGBUFS);
	if (rb->id >= UCCHAN_MAX_REGBUFS)
		goto err;
	ret = -ENOSPC;
	first = bitmap_find_next_zero_area(svc->regmap, svc->reg_pages, 0, nr,
					   0);
	if (first >= svc->reg_pages)
		goto err;
	bitmap_set(svc->regmap, first, nr);
	rb->first = first;
	__set_bit(rb->id, &conn->reg_ids);
	list_add_tail(&rb->node, &svc->regbufs);
	list_add_tail(&rb->cnode, &conn->regbufs);
	mutex_unlock(&svc->reg_mutex);

	r.buf_id = rb->id;
	r.area_offset = (u64)first << PAGE_SHIFT;
	if (copy_to_user(uarg, &r, sizeof(r))) {
		mutex_lock(&svc->reg_mutex);
		rb = ucchan_regbuf_unlink(conn, r.buf_id);
		mutex_unlock(&svc->reg_mutex);
		if (rb)
			ucchan_regbuf_put(rb);
		return -EFAULT;
	}
	return 0;
err:
	mutex_unlock(&svc->reg_mutex);
	ucchan_regbuf_free(rb);
	return ret;
err_free:
	kvfree(rb->pages);
	kfree(rb);
	return ret;
}

int ucchan_buf_unregister(struct ucchan_conn *conn,
			  struct ucchan_buf_unreg __user *uarg)
{
	struct ucchan_service *svc = conn->svc;
	struct ucchan_regbuf *rb;
	struct ucchan_buf_unreg u;

	if (copy_from_user(&u, uarg, sizeof(u)))
		return -EFAULT;
	if (u.flags || u.reserved)
		return -EINVAL;
	if (!svc->regbuf_size)
		return -EOPNOTSUPP;
	mutex_lock(&svc->reg_mutex);
	rb = ucchan_regbuf_unlink(conn, u.buf_id);
	mutex_unlock(&svc->reg_mutex);
	if (!rb)
		return -ENOENT;
	/* a call still using it keeps it (and its pages) until it ends */
	ucchan_regbuf_put(rb);
	return 0;
}

void ucchan_conn_unregister_all(struct ucchan_conn *conn)
{
	struct ucchan_service *svc = conn->svc;
	struct ucchan_regbuf *rb;

	if (!svc->regbuf_size)
		return;
	for (;;) {
		mutex_lock(&svc->reg_mutex);
		rb = list_first_entry_or_null(&conn->regbufs,
					      struct ucchan_regbuf, cnode);
		if (rb)
			rb = ucchan_regbuf_unlink(conn, rb->id);
		mutex_unlock(&svc->reg_mutex);
		if (!rb)
			return;
		ucchan_regbuf_put(rb);
	}
}

/*
 * A call's UCCHAN_BUF_REGISTERED buffer: iov->addr is the offset inside
 * buffer iov->buf_id of this connection. On success *rbp is the buffer,
 * with a reference the call drops when it ends (ucchan_regbuf_put()).
 * -ENOENT (no such buffer), -EINVAL (out of bounds), -EACCES (more
 * rights than registered).
 */
int ucchan_regbuf_resolve(struct ucchan_conn *conn, const struct ucchan_iov *iov,
			  struct ucchan_buf_desc *desc,
			  struct ucchan_regbuf **rbp)
{
	struct ucchan_service *svc = conn->svc;
	unsigned int want = iov->flags & (UCCHAN_BUF_READ | UCCHAN_BUF_WRITE);
	struct ucchan_regbuf *rb;
	int ret = -ENOENT;

	mutex_lock(&svc->reg_mutex);
	list_for_each_entry(rb, &conn->regbufs, cnode) {
		if (rb->id != iov->buf_id)
			continue;
		ret = -EINVAL;
		if (iov->addr > (u64)rb->nr_pages << PAGE_SHIFT ||
		    iov->len > ((u64)rb->nr_pages << PAGE_SHIFT) - iov->addr)
			break;
		ret = -EACCES;
		if (want & ~rb->flags)
			break;
		desc->offset = ((u64)rb->first << PAGE_SHIFT) + iov->addr;
		desc->len = iov->len;
		desc->flags = iov->flags;
		desc->pad = 0;
		refcount_inc(&rb->users);
		*rbp = rb;
		ret = 0;
		break;
	}
	mutex_unlock(&svc->reg_mutex);
	return ret;
}
