/*
 * Frame lists: doubly linked lists threaded through struct xb_frame
 * next/prev by frame number, for the balloon queues. O(1) push, pop and
 * remove, no allocation.
 */
#ifndef XBALLOON_FLIST_H
#define XBALLOON_FLIST_H

#include <stdint.h>

#include "xballoon/buddy.h"

/* Invariant: nr = number of frames reachable from head through next;
 * head.prev = tail.next = XB_NIL; empty <=> head = tail = XB_NIL. */
struct xb_flist {
	xb_pfn_t head, tail;
	uint64_t nr;
};

static inline void xb_flist_init(struct xb_flist *l)
{
	l->head = l->tail = XB_NIL;
	l->nr = 0;
}

static inline void xb_flist_push(struct xb_flist *l, struct xb_frame *frames,
				 xb_pfn_t pfn)
{
	frames[pfn].prev = XB_NIL;
	frames[pfn].next = l->head;
	if (l->head != XB_NIL)
		frames[l->head].prev = pfn;
	else
		l->tail = pfn;
	l->head = pfn;
	l->nr++;
}

static inline void xb_flist_push_tail(struct xb_flist *l,
				      struct xb_frame *frames, xb_pfn_t pfn)
{
	frames[pfn].next = XB_NIL;
	frames[pfn].prev = l->tail;
	if (l->tail != XB_NIL)
		frames[l->tail].next = pfn;
	else
		l->head = pfn;
	l->tail = pfn;
	l->nr++;
}

static inline void xb_flist_remove(struct xb_flist *l, struct xb_frame *frames,
				   xb_pfn_t pfn)
{
	struct xb_frame *f = &frames[pfn];

	if (f->prev != XB_NIL)
		frames[f->prev].next = f->next;
	else
		l->head = f->next;
	if (f->next != XB_NIL)
		frames[f->next].prev = f->prev;
	else
		l->tail = f->prev;
	f->next = f->prev = XB_NIL;
	l->nr--;
}

static inline xb_pfn_t xb_flist_pop(struct xb_flist *l, struct xb_frame *frames)
{
	xb_pfn_t pfn = l->head;

	if (pfn != XB_NIL)
		xb_flist_remove(l, frames, pfn);
	return pfn;
}

#endif
