// SPDX-License-Identifier: GPL-2.0
/*
 * ucchan - synchronous, single-CPU, zero-copy request/response channel.
 *
 * /dev/ucchan, the file operations and the ioctl dispatch. Every open()
 * gives an unbound file that one ioctl turns into a service, a worker or a
 * connection (struct ucchan_file); see docs/ucchan.md.
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/poll.h>
#include <linux/uaccess.h>
#include <linux/cpumask.h>
#include <linux/cred.h>

#include "ucchan_i.h"

#define CREATE_TRACE_POINTS
#include "ucchan_trace.h"

static int ucchan_open(struct inode *inode, struct file *file)
{
	struct ucchan_file *uf;

	uf = kzalloc(sizeof(*uf), GFP_KERNEL);
	if (!uf)
		return -ENOMEM;
	mutex_init(&uf->lock);
	file->private_data = uf;
	/* misc_open() set private_data to the miscdevice; we replace it */
	return 0;
}

static int ucchan_release(struct inode *inode, struct file *file)
{
	struct ucchan_file *uf = file->private_data;

	switch (uf->kind) {
	case UCCHAN_F_SERVICE:
		ucchan_service_kill(uf->svc);
		ucchan_service_put(uf->svc);
		break;
	case UCCHAN_F_WORKER:
		ucchan_worker_release(uf->chan);
		break;
	case UCCHAN_F_CONN:
		ucchan_conn_close(uf->conn);
		break;
	case UCCHAN_F_NONE:
		break;
	}
	kfree(uf);
	return 0;
}

static enum ucchan_kind ucchan_kind(struct ucchan_file *uf)
{
	/* pairs with smp_store_release() when the file is bound */
	return smp_load_acquire(&uf->kind);
}

static int ucchan_ioc_version(void __user *uarg)
{
	struct ucchan_version v;

	if (copy_from_user(&v, uarg, sizeof(v)))
		return -EFAULT;
	if (memchr_inv(&v, 0, sizeof(v)))
		return -EINVAL;
	v.abi_version = UCCHAN_ABI_VERSION;
	v.max_bufs = UCCHAN_MAX_BUFS;
	v.features = UCCHAN_FEAT_MAPPED_BUFS | UCCHAN_FEAT_REG_BUFS |
		     UCCHAN_FEAT_TIMEOUT | UCCHAN_FEAT_EVENTS |
		     UCCHAN_FEAT_CREATOR | UCCHAN_FEAT_NOTIFY |
		     UCCHAN_FEAT_COPY_BUFS | UCCHAN_FEAT_POLL;
	v.max_slots = UCCHAN_MAX_SLOTS;
	v.max_inline = UCCHAN_MAX_INLINE;
	v.nr_cpu_ids = nr_cpu_ids;
	v.max_window = UCCHAN_MAX_WINDOW;
	v.max_copy = UCCHAN_MAX_COPY;
	if (copy_to_user(uarg, &v, sizeof(v)))
		return -EFAULT;
	return 0;
}

static int ucchan_ioc_connect(struct ucchan_file *uf,
			      struct ucchan_connect __user *uarg)
{
	struct ucchan_connect c;
	struct ucchan_conn *conn;
	int ret;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (c.flags || c.max_inline || c.client_id || c.window_size ||
	    c.service_id || c.pad || c.creator_uid || c.creator_flags ||
	    memchr_inv(c.reserved, 0, sizeof(c.reserved)))
		return -EINVAL;
	if (strnlen(c.name, UCCHAN_NAME_MAX) == UCCHAN_NAME_MAX)
		return -EINVAL;
	ret = ucchan_check_name(c.name);
	if (ret)
		return ret;

	mutex_lock(&uf->lock);
	if (uf->kind != UCCHAN_F_NONE) {
		ret = -EBUSY;
		goto out;
	}
	conn = ucchan_conn_open(c.name, false, NULL, NULL);
	if (IS_ERR(conn)) {
		ret = PTR_ERR(conn);
		goto out;
	}
	c.max_inline = conn->svc->max_inline;
	c.client_id = conn->client_id;
	c.window_size = conn->svc->window_size;
	c.service_id = conn->svc->id;
	c.creator_uid = from_kuid_munged(current_user_ns(),
					 conn->svc->creator_uid);
	c.creator_flags = conn->svc->creator_flags;
	if (copy_to_user(uarg, &c, sizeof(c))) {
		ucchan_conn_close(conn);
		ret = -EFAULT;
		goto out;
	}
	uf->conn = conn;
	/* publish uf->conn before the kind (ucchan_kind()) */
	smp_store_release(&uf->kind, UCCHAN_F_CONN);
	ret = 0;
out:
	mutex_unlock(&uf->lock);
	return ret;
}

static long ucchan_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	struct ucchan_file *uf = file->private_data;
	void __user *uarg = (void __user *)arg;
	enum ucchan_kind kind = ucchan_kind(uf);

	switch (cmd) {
	case UCCHAN_IOC_VERSION:
		return ucchan_ioc_version(uarg);
	case UCCHAN_IOC_SERVICE_CREATE:
		return ucchan_service_create(uf, uarg);
	case UCCHAN_IOC_SERVICE_SET_PERM:
		if (kind != UCCHAN_F_SERVICE)
			return -EINVAL;
		return ucchan_service_set_perm(uf->svc, uarg);
	case UCCHAN_IOC_WORKER_BIND:
		return ucchan_worker_bind(uf, uarg);
	case UCCHAN_IOC_WORKER_WAIT:
		if (kind != UCCHAN_F_WORKER)
			return -EINVAL;
		return ucchan_worker_wait(uf->chan, uarg);
	case UCCHAN_IOC_CONNECT:
		return ucchan_ioc_connect(uf, uarg);
	case UCCHAN_IOC_CALL:
		if (kind != UCCHAN_F_CONN)
			return -EINVAL;
		return ucchan_user_call(uf->conn, uarg);
	case UCCHAN_IOC_BUF_REGISTER:
		if (kind != UCCHAN_F_CONN)
			return -EINVAL;
		return ucchan_buf_register(uf->conn, uarg);
	case UCCHAN_IOC_BUF_UNREGISTER:
		if (kind != UCCHAN_F_CONN)
			return -EINVAL;
		return ucchan_buf_unregister(uf->conn, uarg);
	case UCCHAN_IOC_NOTIFY:
		if (kind != UCCHAN_F_SERVICE)
			return -EINVAL;
		return ucchan_notify(uf->svc, uarg);
	default:
		return -ENOTTY;
	}
}

static int ucchan_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct ucchan_file *uf = file->private_data;

	switch (ucchan_kind(uf)) {
	case UCCHAN_F_WORKER:
		return ucchan_worker_mmap(uf->chan, vma);
	case UCCHAN_F_SERVICE:
		return ucchan_area_mmap(uf->svc, vma);
	default:
		return -EINVAL;
	}
}

static ssize_t ucchan_read(struct file *file, char __user *buf, size_t count,
			   loff_t *ppos)
{
	struct ucchan_file *uf = file->private_data;

	if (ucchan_kind(uf) != UCCHAN_F_SERVICE)
		return -EINVAL;
	return ucchan_event_read(uf->svc, buf, count,
				 file->f_flags & O_NONBLOCK);
}

static __poll_t ucchan_poll(struct file *file, poll_table *pt)
{
	struct ucchan_file *uf = file->private_data;

	if (ucchan_kind(uf) != UCCHAN_F_SERVICE)
		return EPOLLERR;
	return ucchan_event_poll(uf->svc, file, pt);
}

const struct file_operations ucchan_fops = {
	.owner		= THIS_MODULE,
	.open		= ucchan_open,
	.release	= ucchan_release,
	.unlocked_ioctl	= ucchan_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= ucchan_mmap,
	.read		= ucchan_read,
	.poll		= ucchan_poll,
	.llseek		= noop_llseek,
};

static struct miscdevice ucchan_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "ucchan",
	.fops	= &ucchan_fops,
	.mode	= 0666,	/* permissions are per service */
};

struct kmem_cache *ucchan_callst_cache;

static int __init ucchan_init(void)
{
	int ret;

	/* small user requests are copied into ->req_small */
	ucchan_callst_cache = KMEM_CACHE_USERCOPY(ucchan_callst, 0, req_small);
	if (!ucchan_callst_cache)
		return -ENOMEM;
	ret = ucchan_debugfs_init();
	if (ret)
		goto err;
	ret = misc_register(&ucchan_misc);
	if (ret)
		goto err_debugfs;
	return 0;

err_debugfs:
	ucchan_debugfs_exit();
err:
	kmem_cache_destroy(ucchan_callst_cache);
	return ret;
}

static void __exit ucchan_exit(void)
{
	misc_deregister(&ucchan_misc);
	ucchan_debugfs_exit();
	kmem_cache_destroy(ucchan_callst_cache);
}

module_init(ucchan_init);
module_exit(ucchan_exit);

MODULE_DESCRIPTION("ucchan: synchronous zero-copy request/response channel");
MODULE_LICENSE("GPL");
