// SPDX-License-Identifier: GPL-2.0
/*
 * xbvm: the guest side of a balloon driver's inflation, on real Linux 6.1,
 * for tests/vm (tests/vm/README.md). It makes the page allocations that a
 * balloon driver makes, with the same GFP masks, batch sizes and stop rules,
 * and holds the pages; it makes no hypercall. Nothing is given back to a
 * host: the pages stay allocated until "free".
 *
 * Control: debugfs, /sys/kernel/debug/xbvm/
 *   ctl     write "OP TARGET NAME", "free NAME" or "show NAME" (the
 *           summary of what is held, nothing else done)
 *   report  read the "XB key value" lines of the last command
 *
 * (Kernel style, not the project's clang-format: its kernel list and node
 * iterators read as macros only in kernel style.)
 *
 * OP is one of
 *   linux           drivers/xen/balloon.c in 6.1: balloon_thread() with a
 *                   negative credit calls decrease_reservation(n_pages,
 *                   GFP_BALLOON), n_pages = min(-credit, si_mem_available()),
 *                   at most ARRAY_SIZE(frame_list) = PAGE_SIZE /
 *                   sizeof(xen_pfn_t) = 512 order-0 pages per call, each
 *                   alloc_page(GFP_BALLOON), GFP_BALLOON = GFP_HIGHUSER |
 *                   __GFP_NOWARN | __GFP_NORETRY | __GFP_NOMEMALLOC (not
 *                   movable), and adjust_managed_page_count(page, -1).
 *   huge-movable    order-9 allocations with GFP_HIGHUSER_MOVABLE |
 *   huge-unmovable  GFP_HIGHUSER, each | __GFP_NORETRY | __GFP_NOWARN |
 *                   __GFP_NOMEMALLOC | __GFP_COMP; each failed order-9
 *                   allocation is followed by one batch of order-0 pages as
 *                   "linux" makes them (GFP_BALLOON, at most 512).
 *   vmw             drivers/misc/vmw_balloon.c in 6.1, vmballoon_inflate():
 *                   batches of b->batch_max_pages = PAGE_SIZE /
 *                   sizeof(struct vmballoon_batch_entry) = 512 pages,
 *                   first 2 MiB pages, alloc_pages(__GFP_HIGHMEM |
 *                   __GFP_NOWARN | __GFP_NOMEMALLOC, 9) (no reclaim at all),
 *                   DIV_ROUND_UP(frames left, 512) of them per batch; the
 *                   first failure moves to 4 KiB pages, balloon_page_alloc()
 *                   (GFP_HIGHUSER_MOVABLE | __GFP_NOMEMALLOC | __GFP_NORETRY
 *                   | __GFP_NOWARN, mm/balloon_compaction.c); a failed 4 KiB
 *                   batch ends the inflation (vmballoon_alloc_page_list()).
 *                   vmw does not adjust the managed pages. Its 4 KiB pages
 *                   go on a balloon_dev_info list as vmw's do
 *                   (balloon_page_enqueue(): counted in /proc/vmstat's
 *                   balloon_inflate, movable: compaction may migrate
 *                   them through xb_migratepage(), as vmballoon_migratepage()
 *                   without the host's lock/unlock); its 2 MiB pages are
 *                   held as they are.
 *
 * Stalls. When a batch comes up short (an allocation failed, or
 * si_mem_available() is below what is left and below totalreserve_pages),
 * balloon_thread() goes to BP_EAGAIN and update_schedule() sleeps
 * schedule_delay seconds, 2 at the first failure (doubled up to 32, the
 * fourth failure in a row cancels). This module counts a stall, sleeps
 * retry_ms (2000) and tries once more (retries = 1); a second short batch
 * in a row stops the step. vmw has no retry inside one inflation
 * (its next vmballoon_work, a second later, would try again): its failed
 * 4 KiB batch stops the step at once.
 *
 * What is held is summarised after each command: pages by order and zone,
 * the distinct 2 MiB regions (pfn >> 9) touched, and the pages in each
 * eighth of the RAM pfns (the pfns that page_is_ram() says are RAM, in pfn
 * order, holes such as QEMU's PCI hole left out).
 */
#include <linux/balloon_compaction.h>
#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#define XB_BATCH 512 /* ARRAY_SIZE(frame_list), drivers/xen/balloon.c */
#define XB_HUGE_ORDER 9
#define XB_HUGE_PAGES (1ul << XB_HUGE_ORDER)
#define XB_EIGHTHS 8
#define XB_REPORT_SIZE (256 << 10)

/* drivers/xen/balloon.c */
#define XB_GFP_BALLOON                                                         \
	(GFP_HIGHUSER | __GFP_NOWARN | __GFP_NORETRY | __GFP_NOMEMALLOC)
#define XB_GFP_HUGE_EXTRA                                                      \
	(__GFP_NORETRY | __GFP_NOWARN | __GFP_NOMEMALLOC | __GFP_COMP)
/* drivers/misc/vmw_balloon.c vmballoon_alloc_page_list() */
#define XB_GFP_VMW_2M (__GFP_HIGHMEM | __GFP_NOWARN | __GFP_NOMEMALLOC)

static unsigned int retry_ms = 2000;
module_param(retry_ms, uint, 0644);
MODULE_PARM_DESC(retry_ms, "sleep before the retry of a short batch (ms)");
static unsigned int retries = 1;
module_param(retries, uint, 0644);
MODULE_PARM_DESC(retries, "retries of a short batch before the step stops");

/* What is held: lists through page->lru, as the drivers keep them. */
struct xb_held {
	struct list_head list;
	unsigned long pages;
};
/* [adjusted managed count?][order 0 / order 9] */
static struct xb_held held[2][2];
/* vmw's 4 KiB pages: a balloon_dev_info, pages_lock guards the list */
static struct balloon_dev_info xb_bdev;
static unsigned long xb_bdev_pages;

static DEFINE_MUTEX(xb_lock);
static char *report;
static size_t report_len;
static struct dentry *xb_dir;

/* The RAM pfns: per 2 MiB region, how many; prefix sums. */
static unsigned long nr_regions, ram_total;
static u16 *region_ram;
static unsigned long *region_before;
static unsigned long *touched;

static __printf(2, 3) void xb_out(const char *key, const char *fmt, ...)
{
	va_list ap;
	size_t room = XB_REPORT_SIZE - report_len;
	int n;

	n = scnprintf(report + report_len, room, "XB %s ", key);
	report_len += n;
	room -= n;
	va_start(ap, fmt);
	n = vscnprintf(report + report_len, room, fmt, ap);
	va_end(ap);
	report_len += n;
	room -= n;
	report_len += scnprintf(report + report_len, room, "\n");
}

#define XB_KEY(buf, name, fmt, ...)                                            \
	snprintf(buf, sizeof(buf), "%s." fmt, name, ##__VA_ARGS__)

static void hold(struct page *page, int order, int adjusted)
{
	unsigned long n = 1ul << order;

	list_add(&page->lru, &held[adjusted][order ? 1 : 0].list);
	held[adjusted][order ? 1 : 0].pages += n;
	/* decrease_reservation(): the page leaves the guest's memory */
	if (adjusted)
		adjust_managed_page_count(page, -(long)n);
}

static unsigned long held_pages(void)
{
	return held[0][0].pages + held[0][1].pages + held[1][0].pages +
	       held[1][1].pages + xb_bdev_pages;
}

/*
 * Compaction moves a 4 KiB vmw page (balloon_page_migrate()): the new page
 * joins the balloon, the old one leaves it. vmballoon_migratepage() of 6.1
 * less its host calls (VMW_BALLOON_DEFLATE of the old page, INFLATE of the
 * new one), which always succeed here.
 */
static int xb_migratepage(struct balloon_dev_info *b, struct page *newpage,
			  struct page *page, enum migrate_mode mode)
{
	unsigned long flags;

	balloon_page_finalize(page);
	put_page(page);
	get_page(newpage); /* balloon reference */
	spin_lock_irqsave(&b->pages_lock, flags);
	balloon_page_insert(b, newpage);
	__count_vm_event(BALLOON_MIGRATE);
	b->isolated_pages--;
	spin_unlock_irqrestore(&b->pages_lock, flags);
	return MIGRATEPAGE_SUCCESS;
}

/* vmw's deflation of its 4 KiB pages: balloon_page_dequeue() skips the
 * pages compaction has isolated; wait for them. */
static void release_bdev(void)
{
	while (xb_bdev_pages) {
		struct page *page = balloon_page_dequeue(&xb_bdev);

		if (!page) {
			msleep(10);
			continue;
		}
		__free_page(page);
		xb_bdev_pages--;
		cond_resched();
	}
}

static void release_all(void)
{
	int a, o;

	for (a = 0; a < 2; a++)
		for (o = 0; o < 2; o++) {
			struct page *page, *tmp;
			int order = o ? XB_HUGE_ORDER : 0;

			list_for_each_entry_safe(page, tmp, &held[a][o].list,
						 lru) {
				list_del(&page->lru);
				if (a)
					adjust_managed_page_count(
					    page, 1l << order);
				__free_pages(page, order);
				cond_resched();
			}
			held[a][o].pages = 0;
		}
	release_bdev();
}

/* calculate_totalreserve_pages() keeps the sum per node */
static unsigned long totalreserve(void)
{
	unsigned long sum = 0;
	int nid;

	for_each_online_node(nid)
		sum += NODE_DATA(nid)->totalreserve_pages;
	return sum;
}

struct step {
	const char *name;
	unsigned long target, got[2], fail[2], batches, short_batches, stalls,
	    retried, capped, stopped;
	long memavail_min;
};

/*
 * One batch of order-0 pages as decrease_reservation() makes them:
 * at most XB_BATCH, min(left, si_mem_available()) (balloon_thread()).
 * Returns 1 if the batch was short (the driver's BP_EAGAIN).
 */
static int xen_batch(struct step *s, unsigned long left)
{
	long avail = si_mem_available();
	unsigned long n = min_t(unsigned long, left, avail > 0 ? avail : 0);
	unsigned long want = min_t(unsigned long, n, XB_BATCH), i;

	if (avail < s->memavail_min)
		s->memavail_min = avail;
	s->batches++;
	for (i = 0; i < want; i++) {
		struct page *page = alloc_page(XB_GFP_BALLOON);

		if (!page) {
			s->fail[0]++;
			return 1;
		}
		hold(page, 0, 1);
		s->got[0]++;
	}
	/* balloon_thread(): BP_DONE, but capped by si_mem_available() below
	 * the reserve, is BP_EAGAIN */
	if (n != left && n < totalreserve()) {
		s->capped++;
		return 1;
	}
	return 0;
}

/* Returns 1 if the step must stop: the batch and its retries were short. */
static int stall(struct step *s, int *in_row)
{
	s->short_batches++;
	if (++*in_row > retries) {
		s->stopped = 1;
		return 1;
	}
	s->stalls++;
	s->retried++;
	msleep_interruptible(retry_ms);
	return 0;
}

static void run_xen(struct step *s, gfp_t huge_gfp)
{
	int in_row = 0;

	while (held_pages() < s->target && !fatal_signal_pending(current)) {
		unsigned long left = s->target - held_pages();
		int short_batch;

		if (huge_gfp && left >= XB_HUGE_PAGES) {
			struct page *page =
			    alloc_pages(huge_gfp, XB_HUGE_ORDER);

			if (page) {
				hold(page, XB_HUGE_ORDER, 1);
				s->got[1]++;
				in_row = 0;
				cond_resched();
				continue;
			}
			s->fail[1]++;
		}
		short_batch = xen_batch(s, left);
		if (short_batch) {
			if (stall(s, &in_row))
				break;
		} else {
			in_row = 0;
		}
		cond_resched();
	}
}

static void run_vmw(struct step *s)
{
	int huge = 1;

	while (held_pages() < s->target && !fatal_signal_pending(current)) {
		unsigned long left = s->target - held_pages();
		unsigned long want, i;
		int failed = 0;

		/* vmballoon_inflate(): to_inflate_pages */
		want = huge ? DIV_ROUND_UP(left, XB_HUGE_PAGES) : left;
		want = min_t(unsigned long, want, XB_BATCH);
		s->batches++;
		for (i = 0; i < want; i++) {
			struct page *page =
			    huge ? alloc_pages(XB_GFP_VMW_2M, XB_HUGE_ORDER)
				 : balloon_page_alloc();

			if (!page) {
				s->fail[huge]++;
				failed = 1;
				break;
			}
			if (huge) {
				hold(page, XB_HUGE_ORDER, 0);
			} else {
				/* vmballoon_enqueue_page_list() */
				balloon_page_enqueue(&xb_bdev, page);
				xb_bdev_pages++;
			}
			s->got[huge]++;
		}
		cond_resched();
		if (!failed)
			continue;
		s->short_batches++;
		if (!huge) {
			s->stopped = 1;
			break;
		}
		huge = 0;
	}
}

struct xb_sum {
	unsigned long eighth[XB_EIGHTHS];
	unsigned long zone_held[MAX_NR_ZONES];
	unsigned long regions;
};

static void count_page(struct xb_sum *m, struct page *page, unsigned long n)
{
	unsigned long pfn = page_to_pfn(page), r, rank;

	m->zone_held[page_zonenum(page)] += n;
	r = pfn >> 9;
	if (r >= nr_regions)
		return;
	if (!test_and_set_bit(r, touched))
		m->regions++;
	rank = region_before[r] + min_t(unsigned long, pfn & 511, region_ram[r]);
	m->eighth[min_t(unsigned long, rank * XB_EIGHTHS / ram_total,
			XB_EIGHTHS - 1)] += n;
}

static void summarise(const char *name)
{
	struct xb_sum m = {};
	unsigned long k, flags, isolated;
	struct page *page;
	char key[96];
	int a, o, z, nid;

	bitmap_zero(touched, nr_regions);
	for (a = 0; a < 2; a++)
		for (o = 0; o < 2; o++)
			list_for_each_entry(page, &held[a][o].list, lru)
				count_page(&m, page, o ? XB_HUGE_PAGES : 1);
	/* pages that compaction has isolated are off the list for a moment:
	 * counted in held, not placed */
	spin_lock_irqsave(&xb_bdev.pages_lock, flags);
	list_for_each_entry(page, &xb_bdev.pages, lru)
		count_page(&m, page, 1);
	isolated = xb_bdev.isolated_pages;
	spin_unlock_irqrestore(&xb_bdev.pages_lock, flags);
	XB_KEY(key, name, "held");
	xb_out(key, "%lu", held_pages());
	XB_KEY(key, name, "held.order0");
	xb_out(key, "%lu", held[0][0].pages + held[1][0].pages + xb_bdev_pages);
	XB_KEY(key, name, "held.order9");
	xb_out(key, "%lu", (held[0][1].pages + held[1][1].pages) >> 9);
	XB_KEY(key, name, "held.adjusted");
	xb_out(key, "%lu", held[1][0].pages + held[1][1].pages);
	XB_KEY(key, name, "held.balloon_list");
	xb_out(key, "%lu", xb_bdev_pages);
	XB_KEY(key, name, "held.isolated");
	xb_out(key, "%lu", isolated);
	XB_KEY(key, name, "regions");
	xb_out(key, "%lu", m.regions);
	for (k = 0; k < XB_EIGHTHS; k++) {
		XB_KEY(key, name, "eighth.%lu", k);
		xb_out(key, "%lu", m.eighth[k]);
	}
	for_each_online_node(nid) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &NODE_DATA(nid)->node_zones[z];

			if (!populated_zone(zone))
				continue;
			XB_KEY(key, name, "zone.%s", zone->name);
			xb_out(key, "%lu", m.zone_held[z]);
		}
	}
}

static void do_op(const char *op, unsigned long target, const char *name)
{
	struct step s = {.name = name, .target = target,
			 .memavail_min = LONG_MAX};
	unsigned long long t0 = ktime_get_ns();
	char key[96];

	if (!strcmp(op, "linux"))
		run_xen(&s, 0);
	else if (!strcmp(op, "huge-movable"))
		run_xen(&s, GFP_HIGHUSER_MOVABLE | XB_GFP_HUGE_EXTRA);
	else if (!strcmp(op, "huge-unmovable"))
		run_xen(&s, GFP_HIGHUSER | XB_GFP_HUGE_EXTRA);
	else if (!strcmp(op, "vmw"))
		run_vmw(&s);
	XB_KEY(key, name, "op");
	xb_out(key, "%s", op);
	XB_KEY(key, name, "target");
	xb_out(key, "%lu", target);
	XB_KEY(key, name, "ms");
	xb_out(key, "%llu", (ktime_get_ns() - t0) / 1000000);
	XB_KEY(key, name, "got.0");
	xb_out(key, "%lu", s.got[0]);
	XB_KEY(key, name, "got.9");
	xb_out(key, "%lu", s.got[1]);
	XB_KEY(key, name, "fail.0");
	xb_out(key, "%lu", s.fail[0]);
	XB_KEY(key, name, "fail.9");
	xb_out(key, "%lu", s.fail[1]);
	XB_KEY(key, name, "batches");
	xb_out(key, "%lu", s.batches);
	XB_KEY(key, name, "short_batches");
	xb_out(key, "%lu", s.short_batches);
	XB_KEY(key, name, "stalls");
	xb_out(key, "%lu", s.stalls);
	XB_KEY(key, name, "capped");
	xb_out(key, "%lu", s.capped);
	XB_KEY(key, name, "stopped");
	xb_out(key, "%lu", s.stopped);
	XB_KEY(key, name, "memavail_min");
	xb_out(key, "%ld", s.memavail_min == LONG_MAX ? -1 : s.memavail_min);
	XB_KEY(key, name, "totalreserve");
	xb_out(key, "%lu", totalreserve());
	summarise(name);
}

static ssize_t ctl_write(struct file *file, const char __user *ubuf,
			 size_t len, loff_t *ppos)
{
	char buf[128], op[32], name[64];
	unsigned long target;
	int n;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = 0;
	mutex_lock(&xb_lock);
	report_len = 0;
	report[0] = 0;
	if (sscanf(buf, "free %63s", name) == 1) {
		unsigned long had = held_pages();
		char key[96];

		release_all();
		XB_KEY(key, name, "op");
		xb_out(key, "free");
		XB_KEY(key, name, "freed");
		xb_out(key, "%lu", had);
		summarise(name);
		mutex_unlock(&xb_lock);
		return len;
	}
	if (sscanf(buf, "show %63s", name) == 1) {
		summarise(name);
		mutex_unlock(&xb_lock);
		return len;
	}
	n = sscanf(buf, "%31s %lu %63s", op, &target, name);
	if (n == 3 && (!strcmp(op, "linux") ||
		       !strcmp(op, "huge-movable") ||
		       !strcmp(op, "huge-unmovable") ||
		       !strcmp(op, "vmw"))) {
		do_op(op, target, name);
	} else {
		mutex_unlock(&xb_lock);
		return -EINVAL;
	}
	mutex_unlock(&xb_lock);
	return len;
}

static ssize_t report_read(struct file *file, char __user *ubuf, size_t len,
			   loff_t *ppos)
{
	ssize_t r;

	mutex_lock(&xb_lock);
	r = simple_read_from_buffer(ubuf, len, ppos, report, report_len);
	mutex_unlock(&xb_lock);
	return r;
}

static const struct file_operations ctl_fops = {
	.owner = THIS_MODULE,
	.write = ctl_write,
	.llseek = noop_llseek,
};

static const struct file_operations report_fops = {
	.owner = THIS_MODULE,
	.read = report_read,
	.llseek = default_llseek,
};

/*
 * The RAM pfns per 2 MiB region. page_is_ram() per pfn walks the resource
 * tree; a region whose first and last pfns agree is taken as all RAM or all
 * hole, and only the others (and region 0, with the legacy hole at
 * 640 KiB-1 MiB) are walked pfn by pfn.
 */
static int scan_ram(void)
{
	unsigned long end = 0, r, p, sum = 0;
	int nid;

	for_each_online_node(nid) {
		pg_data_t *pgdat = NODE_DATA(nid);

		end = max(end, pgdat->node_start_pfn + pgdat->node_spanned_pages);
	}
	nr_regions = (end + 511) >> 9;
	region_ram = kvcalloc(nr_regions, sizeof(*region_ram), GFP_KERNEL);
	region_before =
	    kvcalloc(nr_regions, sizeof(*region_before), GFP_KERNEL);
	touched = bitmap_zalloc(nr_regions, GFP_KERNEL);
	if (!region_ram || !region_before || !touched)
		return -ENOMEM;
	for (r = 0; r < nr_regions; r++) {
		unsigned long first = r << 9, last = first + 511;
		int a = page_is_ram(first), b = page_is_ram(last);

		if (r && a == b) {
			region_ram[r] = a ? 512 : 0;
		} else {
			for (p = first; p <= last; p++)
				region_ram[r] += !!page_is_ram(p);
		}
		region_before[r] = sum;
		sum += region_ram[r];
		cond_resched();
	}
	ram_total = sum ? sum : 1;
	return 0;
}

static void print_layout(void)
{
	unsigned long k, r;
	char key[96];
	int z, nid;

	xb_out("layout.ram_pfns", "%lu", ram_total);
	xb_out("layout.regions", "%lu", nr_regions);
	/* the first pfn of each eighth */
	for (k = 0, r = 0; k < XB_EIGHTHS; k++) {
		unsigned long want = ram_total * k / XB_EIGHTHS;

		while (r + 1 < nr_regions && region_before[r + 1] <= want)
			r++;
		XB_KEY(key, "layout", "eighth_pfn.%lu", k);
		xb_out(key, "%lu", (r << 9) + (want - region_before[r]));
	}
	for_each_online_node(nid) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &NODE_DATA(nid)->node_zones[z];

			if (!populated_zone(zone))
				continue;
			XB_KEY(key, "layout", "zone.%s.start_pfn", zone->name);
			xb_out(key, "%lu", zone->zone_start_pfn);
			XB_KEY(key, "layout", "zone.%s.end_pfn", zone->name);
			xb_out(key, "%lu", zone_end_pfn(zone));
		}
	}
}

static void xb_cleanup(void)
{
	debugfs_remove_recursive(xb_dir);
	release_all();
	kvfree(region_ram);
	kvfree(region_before);
	bitmap_free(touched);
	vfree(report);
}

static int __init xbvm_init(void)
{
	int a, o, err;

	for (a = 0; a < 2; a++)
		for (o = 0; o < 2; o++)
			INIT_LIST_HEAD(&held[a][o].list);
	balloon_devinfo_init(&xb_bdev);
	xb_bdev.migratepage = xb_migratepage;
	report = vzalloc(XB_REPORT_SIZE);
	if (!report)
		return -ENOMEM;
	err = scan_ram();
	if (err) {
		xb_cleanup();
		return err;
	}
	print_layout();
	xb_dir = debugfs_create_dir("xbvm", NULL);
	debugfs_create_file("ctl", 0200, xb_dir, NULL, &ctl_fops);
	debugfs_create_file("report", 0400, xb_dir, NULL, &report_fops);
	return 0;
}

static void __exit xbvm_exit(void)
{
	xb_cleanup();
}

module_init(xbvm_init);
module_exit(xbvm_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("xballoon tests/vm: a balloon driver's guest-side allocations");
