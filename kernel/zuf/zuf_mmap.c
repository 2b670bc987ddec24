// SPDX-License-Identifier: GPL-2.0
/*
 * zuf - shared mmap. Only mapped files use the page cache: a page is
 * filled by a READ and written back by a WRITE whose buffer is the page
 * itself (a bvec buffer: the server reads/writes the page directly).
 * read(2)/write(2) bypass the page cache and keep it coherent
 * (zuf_file.c); the last close writes dirty pages back.
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
	count = zuf_io(inode, file ? zuf_fh(file) : 0, &iter, &pos, PAGE_SIZE,
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

	if (pos >= size) {
		/* truncated meanwhile: nothing to write */
		folio_unlock(folio);
		return 0;
	}
	len = min_t(loff_t, PAGE_SIZE, size - pos);
	folio_start_writeback(folio);
	folio_unlock(folio);

	bvec_set_page(&bv, page, len, 0);
	iov_iter_bvec(&iter, ITER_SOURCE, &bv, 1, len);
	count = zuf_io(inode, 0, &iter, &pos, len, true, ZUFS_IO_PAGECACHE);
	if (count != len)
		mapping_set_error(page->mapping, count < 0 ? count : -EIO);
	folio_end_writeback(folio);
	return 0;
}

const struct address_space_operations zuf_aops = {
	.read_folio	= zuf_read_folio,
	.writepage	= zuf_writepage,
	.dirty_folio	= filemap_dirty_folio,
	/* read_iter/write_iter do O_DIRECT themselves */
	.direct_IO	= noop_direct_IO,
};

int zuf_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct zuf_sb_info *sbi = ZUF_SB(file_inode(file)->i_sb);

	if (!zuf_has(sbi, ZUFS_CAP_MMAP))
		return -ENODEV;
	return generic_file_mmap(file, vma);
}
