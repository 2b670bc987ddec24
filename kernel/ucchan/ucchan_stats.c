// SPDX-License-Identifier: GPL-2.0
/*
 * ucchan debugfs: /sys/kernel/debug/ucchan/services lists the live
 * services ("id name uid:gid mode creator=UID[,admin] kpinned=PAGES"),
 * /sys/kernel/debug/ucchan/<name>/stats
 * the per-CPU counters of one service.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/percpu.h>
#include <linux/cpumask.h>
#include <linux/user_namespace.h>

#include "ucchan_i.h"

static struct dentry *ucchan_dbg_root;

static void ucchan_stats_line(struct seq_file *m, const char *label,
			      const struct ucchan_stats *s)
{
	seq_printf(m, "%-6s %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu\n",
		   label, s->calls, s->same_cpu, s->fallbacks, s->busy_waits,
		   s->bytes_mapped, s->bytes_bounced, s->aborts,
		   s->bytes_copied, s->migrated, s->poll_hits, s->poll_ns);
}

static int ucchan_stats_show(struct seq_file *m, void *unused)
{
	struct ucchan_service *svc = m->private;
	struct ucchan_stats t = {};
	char label[16];
	unsigned int cpu;

	seq_puts(m, "cpu    calls same_cpu fallbacks busy_waits bytes_mapped bytes_bounced aborts bytes_copied migrated poll_hits poll_ns\n");
	for_each_possible_cpu(cpu) {
		const struct ucchan_stats *s = per_cpu_ptr(svc->stats, cpu);
		struct ucchan_stats c = {
			.calls = READ_ONCE(s->calls),
			.same_cpu = READ_ONCE(s->same_cpu),
			.fallbacks = READ_ONCE(s->fallbacks),
			.busy_waits = READ_ONCE(s->busy_waits),
			.bytes_mapped = READ_ONCE(s->bytes_mapped),
			.bytes_bounced = READ_ONCE(s->bytes_bounced),
			.aborts = READ_ONCE(s->aborts),
			.bytes_copied = READ_ONCE(s->bytes_copied),
			.migrated = READ_ONCE(s->migrated),
			.poll_hits = READ_ONCE(s->poll_hits),
			.poll_ns = READ_ONCE(s->poll_ns),
		};

		snprintf(label, sizeof(label), "%u", cpu);
		ucchan_stats_line(m, label, &c);
		t.calls += c.calls;
		t.same_cpu += c.same_cpu;
		t.fallbacks += c.fallbacks;
		t.busy_waits += c.busy_waits;
		t.bytes_mapped += c.bytes_mapped;
		t.bytes_bounced += c.bytes_bounced;
		t.aborts += c.aborts;
		t.bytes_copied += c.bytes_copied;
		t.migrated += c.migrated;
		t.poll_hits += c.poll_hits;
		t.poll_ns += c.poll_ns;
	}
	ucchan_stats_line(m, "total", &t);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ucchan_stats);

static int ucchan_services_show(struct seq_file *m, void *unused)
{
	struct ucchan_service *svc;

	mutex_lock(&ucchan_svc_mutex);
	list_for_each_entry(svc, &ucchan_svc_list, node) {
		kuid_t uid;
		kgid_t gid;
		umode_t mode;

		if (svc->dead)
			continue;	/* a tombstone: see ucchan_service_kill() */
		spin_lock(&svc->lock);
		uid = svc->uid;
		gid = svc->gid;
		mode = svc->mode;
		spin_unlock(&svc->lock);
		seq_printf(m, "%u %s %u:%u %04o creator=%u%s kpinned=%ld\n",
			   svc->id, svc->name,
			   from_kuid_munged(&init_user_ns, uid),
			   from_kgid_munged(&init_user_ns, gid), mode,
			   from_kuid_munged(&init_user_ns, svc->creator_uid),
			   svc->creator_flags & UCCHAN_CREATOR_ADMIN ?
			   ",admin" : "",
			   atomic_long_read(&svc->kpinned));
	}
	mutex_unlock(&ucchan_svc_mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ucchan_services);

int ucchan_debugfs_init(void)
{
	/* debugfs is optional: errors are not fatal (debugfs_* take them) */
	ucchan_dbg_root = debugfs_create_dir("ucchan", NULL);
	debugfs_create_file("services", 0444, ucchan_dbg_root, NULL,
			    &ucchan_services_fops);
	return 0;
}

void ucchan_debugfs_exit(void)
{
	debugfs_remove(ucchan_dbg_root);
}

/* Under ucchan_svc_mutex, so that a reused name never meets its old dir. */
void ucchan_debugfs_add(struct ucchan_service *svc)
{
	lockdep_assert_held(&ucchan_svc_mutex);
	svc->dbg = debugfs_create_dir(svc->name, ucchan_dbg_root);
	debugfs_create_file("stats", 0444, svc->dbg, svc, &ucchan_stats_fops);
}

void ucchan_debugfs_remove(struct ucchan_service *svc)
{
	lockdep_assert_held(&ucchan_svc_mutex);
	debugfs_remove(svc->dbg);
	svc->dbg = NULL;
}
