/*
 * Run outputs: report.json and series.csv exactly as the v1 contract names
 * them (SCENARIO.md), and the few-line human summary. Numbers are printed
 * with fixed formats so the same run gives the same bytes everywhere.
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "xballoon/run.h"

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void json_u64_array(FILE *out, const uint64_t *v, unsigned n)
{
	fputc('[', out);
	for (unsigned i = 0; i < n; i++)
		fprintf(out, "%s%llu", i ? ", " : "", (unsigned long long)v[i]);
	fputc(']', out);
}

/* One "name": {...} member, preceded by a comma unless it is the first. */
static void json_hypercall(FILE *out, const char *name,
			   const struct xb_hypercall_stat *s, bool *first)
{
	fprintf(out,
		"%s    \"%s\": {\"calls\": %llu, \"extents\": %llu, "
		"\"pages\": %llu, \"failed\": %llu}",
		*first ? "" : ",\n", name, (unsigned long long)s->calls,
		(unsigned long long)s->extents, (unsigned long long)s->pages,
		(unsigned long long)s->failed);
	*first = false;
}

/*
 * The `vmstat` object: the run's events under the names of Linux's
 * /proc/vmstat (mm/vmstat.c vmstat_text[]), in that file's order.
 */
static void write_vmstat(const struct xb_run_result *r, FILE *out)
{
	const struct xb_compact_stats *c = &r->compaction;
	const struct xb_vmscan_stats *v = &r->vmscan;
	const struct {
		const char *name;
		uint64_t value;
	} rows[] = {
	    {"pgalloc_normal", r->zone.pgalloc},
	    {"allocstall_normal", r->zone.allocstall},
	    {"pgsteal_kswapd", v->pgsteal_kswapd},
	    {"pgsteal_direct", v->pgsteal_direct},
	    {"pgscan_kswapd", v->pgscan_kswapd},
	    {"pgscan_direct", v->pgscan_direct},
	    {"pageoutrun", v->pageoutrun},
	    {"pgmigrate_success", c->pgmigrate_success},
	    {"pgmigrate_fail", c->pgmigrate_fail},
	    {"compact_migrate_scanned", c->compact_migrate_scanned},
	    {"compact_free_scanned", c->compact_free_scanned},
	    {"compact_isolated", c->compact_isolated},
	    {"compact_stall", c->compact_stall},
	    {"compact_fail", c->compact_fail},
	    {"compact_success", c->compact_success},
	    {"compact_daemon_wake", c->compact_daemon_wake},
	    {"compact_daemon_migrate_scanned",
	     c->compact_daemon_migrate_scanned},
	    {"compact_daemon_free_scanned", c->compact_daemon_free_scanned},
	    {"thp_fault_alloc", r->thp_fault_alloc},
	    {"thp_fault_fallback", r->thp_fault_fallback},
	    /* Linux counts allocstall per zone; the sum, as tools show it. */
	    {"allocstall", r->zone.allocstall},
	};

	fprintf(out, "  \"vmstat\": {");
	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++)
		fprintf(out, "%s\"%s\": %llu", i ? ",\n             " : "",
			rows[i].name, (unsigned long long)rows[i].value);
	fprintf(out, "},\n");
	/* The zone's own events, which Linux only traces. */
	fprintf(
	    out,
	    "  \"zone\": {\"alloc_fail\": %llu, \"extfrag_fallback\": %llu, "
	    "\"extfrag_steal\": %llu, \"wmark_boost\": %llu, "
	    "\"pcp_drain\": %llu},\n",
	    (unsigned long long)r->zone.alloc_fail,
	    (unsigned long long)r->zone.extfrag_fallback,
	    (unsigned long long)r->zone.extfrag_steal,
	    (unsigned long long)r->zone.wmark_boost,
	    (unsigned long long)r->zone.pcp_drain);
}

void xb_report_write_json(const struct xb_run_result *r, FILE *out)
{
	const struct xb_guest_metrics *g = &r->guest;
	const struct xb_host_info *h = &r->host;
	const struct xb_driver_stats *d = &r->driver;

	fprintf(out, "{\n  \"xballoon\": ");
	json_str(out, XB_VERSION);
	fprintf(out, ", \"scenario\": ");
	json_str(out, r->scenario);
	fprintf(out, ", \"policy\": ");
	json_str(out, r->policy);
	fprintf(out, ",\n  \"backend\": ");
	json_str(out, r->backend);
	fprintf(out, ", \"seed\": %llu, \"digest\": \"%s\",\n",
		(unsigned long long)r->seed, r->digest);
	fprintf(out, "  \"sim_time_s\": %.3f, \"wall_time_s\": %.3f,\n",
		r->sim_time_s, r->wall_time_s);
	/* Only an interrupted run says so (reports stay stable). */
	if (r->partial)
		fprintf(out, "  \"partial\": true,\n");
	fprintf(out,
		"  \"target_reached\": %s, \"target_pages\": %llu, "
		"\"current_pages\": %llu,\n",
		r->target_reached ? "true" : "false",
		(unsigned long long)r->target_pages,
		(unsigned long long)r->current_pages);
	fprintf(out,
		"  \"guest\": {\n    \"pages\": %llu, \"populated\": %llu, "
		"\"free\": %llu,\n",
		(unsigned long long)g->pages, (unsigned long long)g->populated,
		(unsigned long long)g->free);
	fprintf(out,
		"    \"balloon\": {\"huge\": %llu, \"small\": %llu, "
		"\"special\": %llu},\n",
		(unsigned long long)g->balloon_huge,
		(unsigned long long)g->balloon_small,
		(unsigned long long)g->balloon_special);
	fprintf(out, "    \"fu9\": %.6f, \"frag_index9\": %.3f,\n", g->fu9,
		g->frag_index9);
	fprintf(
	    out,
	    "    \"regions_2m\": {\"populated\": %llu, \"ballooned\": %llu, "
	    "\"mixed\": %llu},\n",
	    (unsigned long long)g->regions_populated,
	    (unsigned long long)g->regions_ballooned,
	    (unsigned long long)g->regions_mixed);
	fprintf(out, "    \"unpopulated_eighths\": ");
	json_u64_array(out, g->unpopulated_eighths, XB_METRICS_EIGHTHS);
	fprintf(out, ",\n    \"buddyinfo\": ");
	json_u64_array(out, g->buddyinfo, XB_MAX_ORDER);
	for (unsigned v = 0; v < r->nr_vnodes; v++) {
		const struct xb_run_vnode *rv = &r->vnodes[v];
		const struct xb_guest_metrics *vg = &rv->guest;

		fprintf(out,
			"%s\n      {\"vnode\": %u, \"pnode\": %u, "
			"\"pages\": %llu, \"populated\": %lld, "
			"\"local\": %lld, \"locality\": %.6f,\n"
			"       \"free\": %llu, \"fu9\": %.6f, "
			"\"balloon\": {\"huge\": %llu, \"small\": %llu, "
			"\"special\": %llu},\n       \"buddyinfo\": ",
			v ? "," : ",\n    \"vnodes\": [", v, rv->pnode,
			(unsigned long long)rv->pages, (long long)rv->populated,
			(long long)rv->local, rv->locality,
			(unsigned long long)vg->free, vg->fu9,
			(unsigned long long)vg->balloon_huge,
			(unsigned long long)vg->balloon_small,
			(unsigned long long)vg->balloon_special);
		json_u64_array(out, vg->buddyinfo, XB_MAX_ORDER);
		fprintf(out, "}");
	}
	if (r->nr_vnodes)
		fprintf(out, "]");
	fprintf(out, "\n  },\n");
	fprintf(out,
		"  \"host\": {\"free_pages\": %llu, \"free_2m_blocks\": %llu, "
		"\"p2m_superpage_coverage\": %.6f, \"contiguity_2m\": %.6f,\n"
		"           \"buddyinfo\": ",
		(unsigned long long)h->free_pages,
		(unsigned long long)h->free_2m_blocks,
		h->p2m_superpage_coverage, h->contiguity_2m);
	json_u64_array(out, h->buddyinfo, XB_MAX_ORDER);
	for (unsigned n = 0; r->numa && n < h->nr_nodes; n++)
		fprintf(out,
			"%s\n             {\"node\": %u, \"total_pages\": "
			"%llu, \"free_pages\": %llu, \"free_2m_blocks\": "
			"%llu, \"guest_pages\": %lld}",
			n ? "," : ",\n           \"nodes\": [", n,
			(unsigned long long)h->nodes[n].total_pages,
			(unsigned long long)h->nodes[n].free_pages,
			(unsigned long long)h->nodes[n].free_2m_blocks,
			(long long)h->nodes[n].guest_pages);
	if (r->numa && h->nr_nodes)
		fprintf(out, "]");
	fprintf(out, "},\n  \"hypercalls\": {\n");
	bool first = true;
	/* Every counter of XB_HYPERCALLS, in its order. */
#define XB_HC_JSON(f, name) json_hypercall(out, name, &r->hypercalls.f, &first);
	XB_HYPERCALLS(XB_HC_JSON)
#undef XB_HC_JSON
	fprintf(out, "\n  },\n");
	fprintf(out,
		"  \"balloon\": {\"inflated_pages\": %llu, \"deflated_pages\": "
		"%llu, \"migrated\": %llu, \"coalesced_2m\": %llu,\n"
		"              \"inflated_huge_pages\": %llu, "
		"\"deflated_huge_pages\": %llu, \"failures\": %llu, "
		"\"gave_up\": %llu,\n"
		"              \"special_taken\": %llu, "
		"\"foreign_map_failed\": %llu},\n",
		(unsigned long long)(d->huge.inflated + d->small.inflated),
		(unsigned long long)(d->huge.deflated + d->small.deflated),
		(unsigned long long)d->small.migrated,
		(unsigned long long)d->huge.coalesced,
		(unsigned long long)d->huge.inflated,
		(unsigned long long)d->huge.deflated,
		(unsigned long long)(d->huge.failed + d->small.failed),
		(unsigned long long)d->gave_up,
		(unsigned long long)d->special_taken,
		(unsigned long long)r->foreign_map_failed);
	fprintf(
	    out,
	    "  \"compaction\": {\"migrate_scanned\": %llu, \"free_scanned\": "
	    "%llu, \"isolated\": %llu,\n                 \"migrated\": %llu, "
	    "\"failed\": %llu, \"stall\": %llu, \"success\": %llu, "
	    "\"fail\": %llu},\n",
	    (unsigned long long)r->compaction.compact_migrate_scanned,
	    (unsigned long long)r->compaction.compact_free_scanned,
	    (unsigned long long)r->compaction.compact_isolated,
	    (unsigned long long)r->compaction.pgmigrate_success,
	    (unsigned long long)r->compaction.pgmigrate_fail,
	    (unsigned long long)r->compaction.compact_stall,
	    (unsigned long long)r->compaction.compact_success,
	    (unsigned long long)r->compaction.compact_fail);
	write_vmstat(r, out);
	fprintf(out, "  \"events\": %llu,\n",
		(unsigned long long)r->events_run);
	fprintf(
	    out, "  \"invariants\": {\"checks\": %llu, \"violations\": %llu",
	    (unsigned long long)r->checks, (unsigned long long)r->violations);
	/* Only a level other than full says so (reports stay stable). */
	if (r->check != XB_CHECK_FULL)
		fprintf(out, ", \"level\": \"%s\"",
			r->check == XB_CHECK_SAMPLED ? "sampled" : "end");
	/* Only runs that verified contents say so (reports stay stable). */
	if (r->content_verified)
		fprintf(out,
			", \"content_checked\": %llu, "
			"\"content_mismatches\": %llu",
			(unsigned long long)r->content_checked,
			(unsigned long long)r->content_mismatches);
	fprintf(out, "}\n}\n");
}

void xb_report_write_csv(const struct xb_run_result *r, FILE *out)
{
	fprintf(out, "t_s,populated,target,balloon_huge,balloon_small,fu9,"
		     "p2m_superpage_coverage,contiguity_2m,balloon_special,"
		     "free,frag_index9,host_free_2m");
	/* A vNUMA guest's runs add one column per vnode. */
	for (unsigned v = 0; v < r->nr_vnodes; v++)
		fprintf(out, ",locality_v%u", v);
	fputc('\n', out);
	for (guint i = 0; i < r->series->len; i++) {
		const struct xb_run_sample *s =
		    &g_array_index(r->series, struct xb_run_sample, i);

		fprintf(
		    out,
		    "%.3f,%llu,%llu,%llu,%llu,%.6f,%.6f,%.6f,%llu,%llu,%.3f,"
		    "%llu",
		    s->t_s, (unsigned long long)s->populated,
		    (unsigned long long)s->target,
		    (unsigned long long)s->balloon_huge,
		    (unsigned long long)s->balloon_small, s->fu9,
		    s->p2m_superpage_coverage, s->contiguity_2m,
		    (unsigned long long)s->balloon_special,
		    (unsigned long long)s->free, s->frag_index9,
		    (unsigned long long)s->host_free_2m);
		for (unsigned v = 0; v < r->nr_vnodes; v++)
			fprintf(out, ",%.6f", s->locality[v]);
		fputc('\n', out);
	}
}

void xb_report_write_map(const struct xb_run_result *r, FILE *out)
{
	fprintf(out, "# t_s, then one letter per 2 MiB region: f free, m used "
		     "movable, u used unmovable, H ballooned 2 MiB, s "
		     "ballooned 4 KiB, S special, x mixed\n");
	for (guint i = 0; r->maps && i < r->maps->len; i++) {
		const struct xb_run_map *m =
		    &g_array_index(r->maps, struct xb_run_map, i);

		fprintf(out, "%.3f ", m->t_s);
		for (uint64_t k = 0; k < r->nr_regions; k++)
			fputc(xb_region_chars[m->regions[k]], out);
		fputc('\n', out);
	}
}

static double mib(uint64_t frames)
{
	return (double)frames / 256.0;
}

/* A share the backend may not know (-1): "unknown" rather than -1.000. */
static void print_share(FILE *out, double v)
{
	if (v < 0)
		fputs("unknown", out);
	else
		fprintf(out, "%.3f", v);
}

void xb_report_print_summary(const struct xb_run_result *r, FILE *out)
{
	const struct xb_guest_metrics *g = &r->guest;
	const struct xb_backend_stats *h = &r->hypercalls;

	fprintf(out,
		"%s, policy %s, seed %llu: %s (%.0f MiB populated, "
		"target %.0f MiB)\n",
		r->scenario, r->policy, (unsigned long long)r->seed,
		r->target_reached ? "target reached" : "TARGET NOT REACHED",
		mib(r->current_pages), mib(r->target_pages));
	if (r->partial)
		fprintf(out,
			"  PARTIAL: interrupted at %.3f s of simulated time\n",
			r->sim_time_s);
	fprintf(out,
		"  balloon: %.0f MiB in 2 MiB pages, %.0f MiB in 4 KiB "
		"pages, %.0f MiB special\n",
		mib(g->balloon_huge), mib(g->balloon_small),
		mib(g->balloon_special));
	fprintf(out,
		"  guest: Fu(9) %.3f; 2 MiB regions %llu populated, %llu "
		"ballooned, %llu mixed\n",
		g->fu9, (unsigned long long)g->regions_populated,
		(unsigned long long)g->regions_ballooned,
		(unsigned long long)g->regions_mixed);
	fprintf(out, "  host: P2M superpage coverage ");
	print_share(out, r->host.p2m_superpage_coverage);
	fprintf(out, ", 2 MiB contiguity ");
	print_share(out, r->host.contiguity_2m);
	fprintf(out, ", %llu free 2 MiB blocks\n",
		(unsigned long long)r->host.free_2m_blocks);
	for (unsigned n = 0; r->numa && n < r->host.nr_nodes; n++) {
		fprintf(out, "  host node %u: %llu free pages", n,
			(unsigned long long)r->host.nodes[n].free_pages);
		/* Only the mock knows a node's blocks and the guest's frames
		 * there (the xen backend: XEN_SYSCTL_numainfo's free memory).
		 */
		if (r->host.nodes[n].guest_pages >= 0)
			fprintf(
			    out, ", %llu free 2 MiB blocks, %lld guest pages",
			    (unsigned long long)r->host.nodes[n].free_2m_blocks,
			    (long long)r->host.nodes[n].guest_pages);
		fprintf(out, "\n");
	}
	for (unsigned v = 0; v < r->nr_vnodes; v++) {
		fprintf(out, "  vnode %u (pnode %u): ", v, r->vnodes[v].pnode);
		if (r->vnodes[v].populated < 0) {
			fprintf(out, "locality unknown\n");
			continue;
		}
		fprintf(out, "%lld pages populated, locality ",
			(long long)r->vnodes[v].populated);
		print_share(out, r->vnodes[v].locality);
		fprintf(out,
			"; %llu free, Fu(9) %.3f, balloon %llu + %llu + %llu "
			"(2 MiB + 4 KiB + special)\n",
			(unsigned long long)r->vnodes[v].guest.free,
			r->vnodes[v].guest.fu9,
			(unsigned long long)r->vnodes[v].guest.balloon_huge,
			(unsigned long long)r->vnodes[v].guest.balloon_small,
			(unsigned long long)r->vnodes[v].guest.balloon_special);
	}
	fprintf(out,
		"  hypercalls: populate %llu, decrease %llu, exchange "
		"%llu, add_to_physmap %llu, relocate %llu",
		(unsigned long long)h->populate.calls,
		(unsigned long long)h->decrease.calls,
		(unsigned long long)h->exchange.calls,
		(unsigned long long)h->add_to_physmap.calls,
		(unsigned long long)h->relocate.calls);
	/* Only pv guests map their memory themselves. */
	if (h->update_va_mapping.extents)
		fprintf(out, ", update_va_mapping %llu",
			(unsigned long long)h->update_va_mapping.calls);
	fprintf(out, "; compaction migrated %llu pages\n",
		(unsigned long long)r->compaction.pgmigrate_success);
	fprintf(out,
		"  time: %.1f s simulated, %.2f s wall; invariants: %llu "
		"checks, %llu violations; digest %.16s\n",
		r->sim_time_s, r->wall_time_s, (unsigned long long)r->checks,
		(unsigned long long)r->violations, r->digest);
	if (r->content_verified)
		fprintf(out,
			"  contents: %llu frames read back around hypercalls, "
			"%llu mismatches\n",
			(unsigned long long)r->content_checked,
			(unsigned long long)r->content_mismatches);
}

/* Write through a temporary file and rename, so a failure never leaves a
 * half-written report behind. */
static bool write_atomic(const char *path,
			 void (*fn)(const struct xb_run_result *, FILE *),
			 const struct xb_run_result *r, GError **error)
{
	char *tmp = g_strdup_printf("%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	bool ok = false;

	if (f) {
		fn(r, f);
		ok = !ferror(f);
		ok = (fclose(f) == 0) && ok;
		ok = ok && rename(tmp, path) == 0;
	}
	if (!ok) {
		g_set_error(error, XB_ERROR, XB_ERROR_IO, "%s: %s", path,
			    g_strerror(errno));
		g_unlink(tmp);
	}
	g_free(tmp);
	return ok;
}

bool xb_report_write_dir(const struct xb_run_result *r, const char *dir,
			 GError **error)
{
	char *json = g_build_filename(dir, "report.json", NULL);
	char *csv = g_build_filename(dir, "series.csv", NULL);
	bool ok;

	if (g_mkdir_with_parents(dir, 0755) != 0) {
		g_set_error(error, XB_ERROR, XB_ERROR_IO, "%s: %s", dir,
			    g_strerror(errno));
		ok = false;
	} else {
		ok = write_atomic(csv, xb_report_write_csv, r, error) &&
		     write_atomic(json, xb_report_write_json, r, error);
	}
	if (ok && r->maps) {
		char *map = g_build_filename(dir, "map.txt", NULL);

		ok = write_atomic(map, xb_report_write_map, r, error);
		g_free(map);
	}
	g_free(json);
	g_free(csv);
	return ok;
}
