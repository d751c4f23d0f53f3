/*
 * The drawing kit of the pictures (tools/draw.c): colours, text placed by
 * its box, axes with "nice" ticks, and the one renderer that draws a
 * picture twice, as PNG and as SVG. tools/plot.c draws runs with it,
 * tools/plot_bench.c sweeps.
 */
#ifndef XB_TOOLS_DRAW_H
#define XB_TOOLS_DRAW_H

#include <cairo.h>
#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

struct xb_rgb {
	double r, g, b;
};

/* 0xRRGGBB as a struct xb_rgb initializer. */
#define XB_RGB(x)                                                              \
	{                                                                      \
		((x) >> 16 & 0xff) / 255.0, ((x) >> 8 & 0xff) / 255.0,         \
		    ((x)&0xff) / 255.0                                         \
	}

/* The colour of series @i (a run, a policy): colour-blind-safe Okabe-Ito
 * order, repeating after eight. */
struct xb_rgb xb_draw_series_colour(size_t i);
void xb_draw_rgb(cairo_t *cr, struct xb_rgb c);
/* Sans, @size points, bold or not. */
void xb_draw_font(cairo_t *cr, double size, bool bold);
/* Text with its reference point placed by (ax, ay) in [0, 1] of its box:
 * (0, 0) top left, (0.5, 0.5) centred, (1, 0.5) right-aligned. */
void xb_draw_text(cairo_t *cr, double x, double y, double ax, double ay,
		  const char *s);
/* A "nice" tick step (1, 2 or 5 times a power of ten) for about @n ticks
 * over @range. */
double xb_draw_nice_step(double range, int n);
/* A tick's label with as many decimals as @step needs. */
void xb_draw_tick_label(char *buf, size_t len, double v, double step);

/* A plot area in pixels. */
struct xb_draw_box {
	double x, y, w, h;
};

/* The y scale of a plot area: values 0 ... max, a tick every step. */
struct xb_draw_scale {
	double max, step;
};

/* 0 ... 1 for a share, else 0 up to a nice step above @top (at least
 * one step). */
struct xb_draw_scale xb_draw_scale_for(double top, bool unit_range);
/* The pixel row of value @v in @b under @s. */
double xb_draw_y(const struct xb_draw_box *b, const struct xb_draw_scale *s,
		 double v);
/* Horizontal grid lines with their tick labels left of @b. */
void xb_draw_y_grid(cairo_t *cr, const struct xb_draw_box *b,
		    const struct xb_draw_scale *s);
/* The frame of @b, @ylabel turned along its left side and @title (NULL:
 * none) above it, both 56 px left of the area, left of the tick labels. */
void xb_draw_frame(cairo_t *cr, const struct xb_draw_box *b, const char *title,
		   const char *ylabel);

/* Draws a whole picture of @w x @h pixels from @ctx onto @cr. */
typedef void (*xb_draw_fn)(cairo_t *cr, const void *ctx);

/*
 * xb_draw_render() - draw @fn once on an image surface written to
 * PREFIX-NAME.png and once on PREFIX-NAME.svg.
 * Return: false with @error (naming the file) when cairo cannot write one.
 */
bool xb_draw_render(xb_draw_fn fn, const void *ctx, int w, int h,
		    const char *prefix, const char *name, GError **error);

#endif
