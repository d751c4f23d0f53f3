/*
 * The policy registry and the knobs every policy understands.
 */
#include <errno.h>
#include <string.h>

#include "xballoon/policy.h"
#include "xballoon/units.h"

extern const struct xb_policy_ops xb_policy_linux;
extern const struct xb_policy_ops xb_policy_huge_first;
extern const struct xb_policy_ops xb_policy_huge_first_nocompact;
extern const struct xb_policy_ops xb_policy_huge_first_noexchange;
extern const struct xb_policy_ops xb_policy_vmw;

static const struct xb_policy_ops *const policies[] = {
    &xb_policy_linux,
    &xb_policy_huge_first,
    &xb_policy_huge_first_nocompact,
    &xb_policy_huge_first_noexchange,
    &xb_policy_vmw,
    NULL,
};

const struct xb_policy_ops *const *xb_policy_list(void)
{
	return policies;
}

const struct xb_policy_ops *xb_policy_find(const char *name)
{
	for (unsigned i = 0; policies[i]; i++)
		if (!strcmp(policies[i]->name, name))
			return policies[i];
	return NULL;
}

const char *const xb_numa_split_names[XB_NUMA_SPLIT_NR + 1] = {"size", "free",
							       "local", NULL};

const char *const xb_huge_gfp_names[XB_HUGE_GFP_NR + 1] = {"unmovable",
							   "movable", NULL};

#define KNOB(n, t, field, lo, hi, d)                                           \
	{                                                                      \
		.name = n, .type = t,                                          \
		.offset = offsetof(struct xb_policy_knobs, field), .min = lo,  \
		.max = hi, .doc = d                                            \
	}

/* An XB_KNOB_ENUM knob: one of `names` (nr of them), stored as its index. */
#define ENUM_KNOB(n, field, nm, nr, d)                                         \
	{                                                                      \
		.name = n, .type = XB_KNOB_ENUM,                               \
		.offset = offsetof(struct xb_policy_knobs, field), .min = 0,   \
		.max = (nr)-1, .doc = d, .names = nm                           \
	}

static const struct xb_knob_desc knobs[] = {
    KNOB("huge", XB_KNOB_BOOL, huge, 0, 1,
	 "try 2 MiB pages first when inflating and deflating"),
    KNOB("compaction", XB_KNOB_BOOL, compaction, 0, 1,
	 "4 KiB balloon pages are movable by compaction"),
    KNOB("exchange", XB_KNOB_BOOL, exchange, 0, 1,
	 "run the exchange (coalescing) worker"),
    KNOB("split_refused", XB_KNOB_BOOL, split_refused, 0, 1,
	 "balloon a refused 2 MiB page as 4 KiB pages"),
    KNOB("exchange_interval", XB_KNOB_TIME, exchange_interval, 1000000ull,
	 3600 * XB_NS_PER_S, "period of the exchange worker"),
    KNOB("max_retry_count", XB_KNOB_UINT, max_retry_count, 0, 1000000,
	 "give up after this many failed rounds (0: never)"),
    KNOB("max_schedule_delay", XB_KNOB_SECONDS, max_schedule_delay, 1, 3600,
	 "longest back-off between retries"),
    KNOB("batch", XB_KNOB_UINT, batch, 1, 512,
	 "frame_list entries per hypercall"),
    KNOB("proactiveness", XB_KNOB_UINT, proactiveness, 0, 100,
	 "vm.compaction_proactiveness of the guest"),
    KNOB("multicall", XB_KNOB_BOOL, multicall, 0, 1,
	 "pv: batch kernel-mapping updates into multicalls"),
    KNOB("numa_exact", XB_KNOB_BOOL, numa_exact, 0, 1,
	 "vNUMA guest: populate on the vnode's own node or fail"),
    ENUM_KNOB("numa_split", numa_split, xb_numa_split_names, XB_NUMA_SPLIT_NR,
	      "vNUMA guest: split the target over the vnodes by size, free "
	      "memory, or locally as Linux (size, free, local)"),
    ENUM_KNOB("huge_gfp", huge_gfp, xb_huge_gfp_names, XB_HUGE_GFP_NR,
	      "the 2 MiB balloon page's mask: GFP_HIGHUSER or "
	      "GFP_HIGHUSER_MOVABLE (unmovable, movable)"),
    {0},
};

const struct xb_knob_desc *xb_policy_knob_table(void)
{
	return knobs;
}

int xb_policy_set_knob(struct xb_policy_knobs *k, const char *key,
		       const char *value, const char **why)
{
	const struct xb_knob_desc *d = knobs;
	const char *w;
	uint64_t v = 0;

	while (d->name && strcmp(d->name, key))
		d++;
	if (!d->name) {
		*why = "unknown driver knob";
		return -EINVAL;
	}
	/* The shared unit parsers (include/xballoon/units.h), with the
	 * knob's own explanation of what it takes. */
	switch (d->type) {
	case XB_KNOB_BOOL: {
		bool on;

		if (xb_parse_switch(value, &on, &w)) {
			*why = "must be on or off";
			return -EINVAL;
		}
		*(bool *)((char *)k + d->offset) = on;
		return 0;
	}
	case XB_KNOB_UINT:
		if (xb_parse_uint(value, UINT64_MAX, &v, &w)) {
			*why = "must be a non-negative integer";
			return -EINVAL;
		}
		break;
	case XB_KNOB_TIME:
		if (xb_parse_time(value, &v, &w)) {
			*why = "must be a time such as 500ms, 1s or 2min";
			return -EINVAL;
		}
		break;
	case XB_KNOB_SECONDS:
		if (xb_parse_time(value, &v, &w) || v % XB_NS_PER_S) {
			*why = "must be a whole number of seconds such as 32s";
			return -EINVAL;
		}
		v /= XB_NS_PER_S;
		break;
	case XB_KNOB_ENUM:
		while (d->names[v] && strcmp(d->names[v], value))
			v++;
		if (!d->names[v]) {
			*why = "is not one of its values (see 'xballoon "
			       "policies --knobs')";
			return -EINVAL;
		}
		break;
	}
	if (v < d->min || v > d->max) {
		*why = "is out of range (see 'xballoon policies --knobs')";
		return -ERANGE;
	}
	*(uint64_t *)((char *)k + d->offset) = v;
	return 0;
}
