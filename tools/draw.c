/*
 * The drawing kit of the pictures: colours, text, axes and the PNG + SVG
 * renderer, shared by the pictures of runs (tools/plot.c) and of sweeps
 * (tools/plot_bench.c).
 */
#include <cairo-svg.h>
#include <math.h>
#include <stdio.h>

#include "tools/draw.h"

/* Okabe-Ito: told apart with any colour vision. */
static const struct xb_rgb series_colours[] = {
    XB_RGB(0x0072b2), XB_RGB(0xd55e00), XB_RGB(0x009e73), XB_RGB(0xcc79a7),
    XB_RGB(0xe69f00), XB_RGB(0x56b4e9), XB_RGB(0x000000), XB_RGB(0xf0e442),
};

struct xb_rgb xb_draw_series_colour(size_t i)
{
	return series_colours[i % G_N_ELEMENTS(series_colours)];
}

void xb_draw_rgb(cairo_t *cr, struct xb_rgb c)
{
	cairo_set_source_rgb(cr, c.r, c.g, c.b);
}

void xb_draw_font(cairo_t *cr, double size, bool bold)
{
	cairo_select_font_face(cr, "sans", CAIRO_FONT_SLANT_NORMAL,
			       bold ? CAIRO_FONT_WEIGHT_BOLD
				    : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, size);
}

void xb_draw_text(cairo_t *cr, double x, double y, double ax, double ay,
		  const char *s)
{
	cairo_text_extents_t e;

	cairo_text_extents(cr, s, &e);
	cairo_move_to(cr, x - e.x_bearing - ax * e.width,
		      y - e.y_bearing - ay * e.height);
	cairo_show_text(cr, s);
}

double xb_draw_nice_step(double range, int n)
{
	double raw = range / n, p = pow(10, floor(log10(raw))), f = raw / p;

	return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

void xb_draw_tick_label(char *buf, size_t len, double v, double step)
{
	int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);

	snprintf(buf, len, "%.*f", dec, fabs(v) < step / 1e6 ? 0.0 : v);
}

struct xb_draw_scale xb_draw_scale_for(double top, bool unit_range)
{
	struct xb_draw_scale s = {1, 0.2};

	if (unit_range)
		return s;
	if (!(top > 0))
		top = 1;
	s.step = xb_draw_nice_step(top, 5);
	s.max = s.step * ceil(top / s.step);
	return s;
}

double xb_draw_y(const struct xb_draw_box *b, const struct xb_draw_scale *s,
		 double v)
{
	return b->y + b->h - v / s->max * b->h;
}

void xb_draw_y_grid(cairo_t *cr, const struct xb_draw_box *b,
		    const struct xb_draw_scale *s)
{
	char buf[32];

	xb_draw_font(cr, 12, false);
	cairo_set_line_width(cr, 1);
	for (double v = 0; v <= s->max + s->step / 2; v += s->step) {
		double y = xb_draw_y(b, s, v);

		cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
		cairo_move_to(cr, b->x, floor(y) + 0.5);
		cairo_line_to(cr, b->x + b->w, floor(y) + 0.5);
		cairo_stroke(cr);
		cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
		xb_draw_tick_label(buf, sizeof(buf), v, s->step);
		xb_draw_text(cr, b->x - 6, y, 1, 0.5, buf);
	}
}

void xb_draw_frame(cairo_t *cr, const struct xb_draw_box *b, const char *title,
		   const char *ylabel)
{
	xb_draw_font(cr, 12, false);
	cairo_set_line_width(cr, 1);
	cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
	cairo_rectangle(cr, b->x + 0.5, b->y + 0.5, b->w, b->h);
	cairo_stroke(cr);
	cairo_save(cr);
	cairo_translate(cr, b->x - 56, b->y + b->h / 2);
	cairo_rotate(cr, -M_PI / 2);
	xb_draw_text(cr, 0, 0, 0.5, 0.5, ylabel);
	cairo_restore(cr);
	if (!title)
		return;
	xb_draw_font(cr, 14, true);
	xb_draw_text(cr, b->x - 56, b->y - 12, 0, 1, title);
}

static bool surface_ok(cairo_surface_t *s, const char *path, GError **error)
{
	cairo_status_t st = cairo_surface_status(s);

	if (st == CAIRO_STATUS_SUCCESS)
		return true;
	g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: %s", path,
		    cairo_status_to_string(st));
	return false;
}

bool xb_draw_render(xb_draw_fn fn, const void *ctx, int w, int h,
		    const char *prefix, const char *name, GError **error)
{
	char *png = g_strdup_printf("%s-%s.png", prefix, name);
	char *svg = g_strdup_printf("%s-%s.svg", prefix, name);
	cairo_surface_t *s =
	    cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
	cairo_t *cr = cairo_create(s);
	cairo_status_t st;
	bool ok;

	fn(cr, ctx);
	cairo_destroy(cr);
	st = cairo_surface_write_to_png(s, png);
	ok = surface_ok(s, png, error);
	if (ok && st != CAIRO_STATUS_SUCCESS) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: %s",
			    png, cairo_status_to_string(st));
		ok = false;
	}
	cairo_surface_destroy(s);
	if (ok) {
		s = cairo_svg_surface_create(svg, w, h);
		cr = cairo_create(s);
		fn(cr, ctx);
		cairo_destroy(cr);
		cairo_surface_finish(s);
		ok = surface_ok(s, svg, error);
		cairo_surface_destroy(s);
	}
	g_free(png);
	g_free(svg);
	return ok;
}
