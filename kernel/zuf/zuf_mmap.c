// SPDX-License-Identifier: GPL-2.0
/*
 * zuf - mmap. Only mapped files use the page cache: a page is filled by a
 * READ and written back by a WRITE whose buffer is the page itself (a
 * bvec buffer: the server reads/writes the page directly).
 * read(2)/write(2) bypass the page cache and keep it coherent
 * (zuf_file.c); the last close writes dirty pages back.
 *
 * Locking (see docs/zuf.md, "Caching and coherence"): truncate,
 * fallocate and copy_file_range hold the mapping's invalidate lock
 * exclusive while they write back, ask the server and drop the pages they
 * changed. A page is read in under the invalidate lock shared
 * (filemap_fault) and made writable only in zuf_page_mkwrite(), under the
 * invalidate lock shared too: so no page of such a range is read in or
 * dirtied through a mapping while the server changes it.
 */
#include <linux/bvec.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/uio.h>
#include <linux/writeback.h>

#include "zuf_i.h"

static int zuf_read_folio(struct file *file, struct folio *folio)
{
	struct inode *inode = folio->mapping->host;
	struct page *page = &folio->page;
	struct bio_vec bv;
	struct iov_iter iter;
	loff_t pos = page_offset(page);
	ssize_t count;
	int err = 0;

	bvec_set_page(&bv, page, PAGE_SIZE, 0);
	iov_iter_bvec(&iter, ITER_DEST, &bv, 1, PAGE_SIZE);
	count = zuf_io(inode, file && !zuf_file_stale(file) ? zuf_fh(file) : 0,
		       &iter, &pos, PAGE_SIZE,
		       false, ZUFS_IO_PAGECACHE);
	if (count < 0) {
		err = count;
	} else {
		zero_user_segment(page, count, PAGE_SIZE);
		folio_mark_uptodate(folio);
	}
	folio_unlock(folio);
	return err;
}

static int zuf_writepage(struct page *page, struct writeback_control *wbc)
{
	struct folio *folio = page_folio(page);
	struct inode *inode = page->mapping->host;
	loff_t pos = page_offset(page);
	loff_t size = i_size_read(inode);
	struct bio_vec bv;
	struct iov_iter iter;
	size_t len;
	ssize_t count;

	/*
	 * Reclaim must never wait for a user-space server (which may itself
	 * be waiting for memory): keep the page dirty and active, the
	 * flusher writes it back. The folio stays locked, as the VM wants
	 * with AOP_WRITEPAGE_ACTIVATE.
	 */
	if (wbc->for_reclaim) {
		folio_redirty_for_writepage(wbc, folio);
		return AOP_WRITEPAGE_ACTIVATE;
	}
	if (pos >= size) {
		/* truncated meanwhile: nothing to write */
		folio_unlock(folio);
		return 0;
	}
	len = min_t(loff_t, PAGE_SIZE, size - pos);
	folio_start_writeback(folio);
	folio_unlock(folio);

	/*
	 * ZUFS_IO_PAGECACHE: zuf_io() does not take the attributes of the
	 * reply (see there): writeback runs without i_rwsem, so the replies
	 * of concurrent WRITEs may come back in any order.
	 */
	bvec_set_page(&bv, page, len, 0);
	iov_iter_bvec(&iter, ITER_SOURCE, &bv, 1, len);
	count = zuf_io(inode, 0, &iter, &pos, len, true, ZUFS_IO_PAGECACHE);
	if (count != len)
		mapping_set_error(page->mapping, count < 0 ? count : -EIO);
	folio_end_writeback(folio);
	return 0;
}

/*
 * A write fault on a page already in the page cache (or the first write
 * through a clean, write-protected pte). Like ext4: under the invalidate
 * lock shared, so that truncate, fallocate and copy_file_range, which hold
 * it exclusive, cannot have a page redirtied while they change its bytes
 * on the server; the page must still be in the mapping and inside i_size
 * (else the fault is retried and sees the truncation).
 */
static vm_fault_t zuf_page_mkwrite(struct vm_fault *vmf)
{
	struct folio *folio = page_folio(vmf->page);
	struct inode *inode = file_inode(vmf->vma->vm_file);
	struct address_space *mapping = inode->i_mapping;
	vm_fault_t ret = VM_FAULT_LOCKED;

	sb_start_pagefault(inode->i_sb);
	filemap_invalidate_lock_shared(mapping);
	folio_lock(folio);
	if (folio->mapping != mapping ||
	    folio_pos(folio) >= i_size_read(inode)) {
		folio_unlock(folio);
		ret = VM_FAULT_NOPAGE;
		goto out;
	}
	folio_mark_dirty(folio);
	folio_wait_stable(folio);
out:
	filemap_invalidate_unlock_shared(mapping);
	sb_end_pagefault(inode->i_sb);
	return ret;
}

static const struct vm_operations_struct zuf_vm_ops = {
	.fault		= filemap_fault,
	.map_pages	= filemap_map_pages,
	.page_mkwrite	= zuf_page_mkwrite,
};

const struct address_space_operations zuf_aops = {
	.read_folio	= zuf_read_folio,
	.writepage	= zuf_writepage,
	.dirty_folio	= filemap_dirty_folio,
	/* compaction moves dirty pages without writing them back */
	.migrate_folio	= filemap_migrate_folio,
	/* read_iter/write_iter do O_DIRECT themselves */
	.direct_IO	= noop_direct_IO,
};

/*
 * Pages of a mapping are filled by READ with ZUFS_IO_PAGECACHE, which
 * every server answers (it is a READ; fh is the mapping file's handle).
 * Only a shared mapping that may be written (VM_MAYWRITE: also a read-only
 * one that mprotect could make writable) is written back through WRITE,
 * which the server must have agreed to with ZUFS_CAP_MMAP. Private
 * mappings (exec, MAP_PRIVATE of any protection: their writes are
 * copied on write, never written back) and read-only shared mappings of
 * files opened read-only work on every mount.
 */
int zuf_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct zuf_sb_info *sbi = ZUF_SB(file_inode(file)->i_sb);

	if (!zuf_has(sbi, ZUFS_CAP_MMAP) &&
	    (vma->vm_flags & (VM_SHARED | VM_MAYWRITE)) ==
	    (VM_SHARED | VM_MAYWRITE))
		return -ENODEV;
	file_accessed(file);
	vma->vm_ops = &zuf_vm_ops;
	return 0;
}
