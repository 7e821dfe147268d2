/*
 * conv_bench: times fp32 NHWC convolutions with oneDNN (convolution primitive) and OpenBLAS
 * (im2col + cblas_sgemm) on shapes read from a text file, for comparison with Vigil's own kernels.
 *
 *   conv_bench [--lib onednn|openblas|all] [--threads T] [--runs R] [--warmup W] [--check] [SHAPES|-]
 *   conv_bench --info
 *
 * Shape file: one convolution per line, whitespace separated, '#' starts a comment:
 *
 *   name n h w cin cout kh kw sh sw pt pl pb pr dh dw groups activation
 *
 * Input is n x h x w x cin (NHWC); pads are top, left, bottom, right; dilations are 1 for a plain
 * convolution (Vigil / ONNX convention; oneDNN's "d - 1" is applied here). `activation` is a name
 * (identity, relu, relu6, clip, leakyrelu, sigmoid, tanh, hardsigmoid, hardswish, silu, ...),
 * optionally with parameters after colons: clip:0:6, leakyrelu:0.1, hardsigmoid:0.2:0.5.
 *
 * Output: one JSON object per line and library. Timed region: oneDNN dnnl_primitive_execute +
 * dnnl_stream_wait (weights reordered to oneDNN's preferred layout once, beforehand; bias and
 * activation fused as a post-op); OpenBLAS im2col (when needed) + one cblas_sgemm per group,
 * without bias or activation. --check compares both against a naive reference convolution on
 * random data instead of timing.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>

typedef struct {
    char name[256];
    long n, h, w, cin, cout, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, groups;
    long oh, ow;
    char act[64];
    float a, b;     /* activation parameters */
    int has_a, has_b;
} Shape;

static int g_threads = 1, g_runs = 20, g_warmup = 3;

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static float *alloc_floats(size_t count) {
    size_t bytes = ((count * sizeof(float)) + 63) / 64 * 64;
    float *p = aligned_alloc(64, bytes ? bytes : 64);
    if (!p) { fprintf(stderr, "out of memory (%zu floats)\n", count); exit(1); }
    return p;
}

static void fill_random(float *p, size_t count, unsigned *state, float scale) {
    for (size_t i = 0; i < count; i++) {
        *state = *state * 1664525u + 1013904223u;
        p[i] = ((float)(*state >> 8) / 16777216.0f * 2.0f - 1.0f) * scale;
    }
}

/* JSON string escaping for names (quotes, backslashes, control characters). */
static void print_json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') { putchar('\\'); putchar(*s); }
        else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
        else putchar(*s);
    }
    putchar('"');
}

/* ---------------------------------------------------------------- activations */

/* Lowercased name with everything but letters and digits removed ("hard_swish" -> "hardswish"). */
static void normalize(const char *in, char *out, size_t size) {
    size_t j = 0;
    for (; *in && j + 1 < size; in++)
        if (isalnum((unsigned char)*in)) out[j++] = (char)tolower((unsigned char)*in);
    out[j] = 0;
}

static int act_is_identity(const Shape *s) {
    return !strcmp(s->act, "identity") || !strcmp(s->act, "none") || !strcmp(s->act, "linear") || !s->act[0];
}

/* Reference activation, matching the definitions in Vigil's Activation enum. */
static float act_apply(const Shape *s, float x) {
    const char *a = s->act;
    if (act_is_identity(s)) return x;
    if (!strcmp(a, "relu")) return x > 0 ? x : 0;
    if (!strcmp(a, "relu6")) return fminf(fmaxf(x, 0), 6);
    if (!strcmp(a, "clip")) return fminf(fmaxf(x, s->has_a ? s->a : 0), s->has_b ? s->b : 6);
    if (!strcmp(a, "leakyrelu")) return x >= 0 ? x : x * (s->has_a ? s->a : 0.01f);
    if (!strcmp(a, "sigmoid") || !strcmp(a, "logistic")) return 1 / (1 + expf(-x));
    if (!strcmp(a, "tanh")) return tanhf(x);
    if (!strcmp(a, "hardsigmoid")) return fminf(fmaxf((s->has_a ? s->a : 0.2f) * x + (s->has_b ? s->b : 0.5f), 0), 1);
    if (!strcmp(a, "hardswish")) return x * fminf(fmaxf(x + 3, 0), 6) / 6;
    if (!strcmp(a, "silu") || !strcmp(a, "swish")) return x / (1 + expf(-x));
    return x;
}

/* Appends the oneDNN post-op(s) for the activation; returns a note ("" if fully fused). */
static const char *act_post_ops(const Shape *s, dnnl_post_ops_t ops) {
    const char *a = s->act;
    if (act_is_identity(s)) return "";
    if (!strcmp(a, "relu")) { dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_relu, 0, 0); return ""; }
    if (!strcmp(a, "relu6")) { dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_clip, 0, 6); return ""; }
    if (!strcmp(a, "clip")) {
        dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_clip, s->has_a ? s->a : 0, s->has_b ? s->b : 6);
        return s->has_a ? "" : "clip bounds unknown, used 0..6";
    }
    if (!strcmp(a, "leakyrelu")) { dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_relu, s->has_a ? s->a : 0.01f, 0); return ""; }
    if (!strcmp(a, "sigmoid") || !strcmp(a, "logistic")) { dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_logistic, 0, 0); return ""; }
    if (!strcmp(a, "tanh")) { dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_tanh, 0, 0); return ""; }
    if (!strcmp(a, "hardsigmoid")) {
        /* oneDNN 2.6 has no hardsigmoid: linear (alpha*x + beta) then clip to [0, 1]. */
        dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_linear, s->has_a ? s->a : 0.2f, s->has_b ? s->b : 0.5f);
        dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_clip, 0, 1);
        return "";
    }
    if (!strcmp(a, "hardswish")) { dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_hardswish, 0, 0); return ""; }
    if (!strcmp(a, "silu") || !strcmp(a, "swish")) { dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_swish, 1, 0); return ""; }
    return "activation not known to conv_bench, timed without it";
}

/* ---------------------------------------------------------------- shape parsing */

static int parse_shape(char *line, Shape *s) {
    char *hash = strchr(line, '#');
    if (hash) *hash = 0;
    char act[128];
    memset(s, 0, sizeof *s);
    int got = sscanf(line, "%255s %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %127s",
                     s->name, &s->n, &s->h, &s->w, &s->cin, &s->cout, &s->kh, &s->kw, &s->sh, &s->sw,
                     &s->pt, &s->pl, &s->pb, &s->pr, &s->dh, &s->dw, &s->groups, act);
    if (got <= 0) return 0; /* blank or comment */
    if (got == 17) strcpy(act, "identity");
    else if (got != 18) return -1;
    char *colon = strchr(act, ':');
    if (colon) {
        *colon = 0;
        char *second = strchr(colon + 1, ':');
        if (second) *second = 0;
        if (colon[1]) { s->a = strtof(colon + 1, NULL); s->has_a = 1; }
        if (second && second[1]) { s->b = strtof(second + 1, NULL); s->has_b = 1; }
    }
    normalize(act, s->act, sizeof s->act);
    if (s->n < 1 || s->h < 1 || s->w < 1 || s->cin < 1 || s->cout < 1 || s->kh < 1 || s->kw < 1 || s->sh < 1 ||
        s->sw < 1 || s->dh < 1 || s->dw < 1 || s->groups < 1 || s->cin % s->groups || s->cout % s->groups ||
        s->pt < 0 || s->pl < 0 || s->pb < 0 || s->pr < 0)
        return -1;
    s->oh = (s->h + s->pt + s->pb - ((s->kh - 1) * s->dh + 1)) / s->sh + 1;
    s->ow = (s->w + s->pl + s->pr - ((s->kw - 1) * s->dw + 1)) / s->sw + 1;
    if (s->oh < 1 || s->ow < 1) return -1;
    return 1;
}

/* ---------------------------------------------------------------- data */

/* Weights are stored [cout][kh][kw][cin / groups]: output channel co belongs to group
 * co / (cout / groups) and reads input channels g*cg .. g*cg + cg - 1. */
typedef struct {
    float *src, *wei, *bias;
    size_t src_n, wei_n, dst_n;
} Data;

static void make_data(const Shape *s, Data *d) {
    unsigned seed = 12345u;
    long cg = s->cin / s->groups;
    d->src_n = (size_t)s->n * s->h * s->w * s->cin;
    d->wei_n = (size_t)s->cout * s->kh * s->kw * cg;
    d->dst_n = (size_t)s->n * s->oh * s->ow * s->cout;
    d->src = alloc_floats(d->src_n);
    d->wei = alloc_floats(d->wei_n);
    d->bias = alloc_floats((size_t)s->cout);
    fill_random(d->src, d->src_n, &seed, 1.0f);
    fill_random(d->wei, d->wei_n, &seed, 1.0f / sqrtf((float)(s->kh * s->kw * cg)));
    fill_random(d->bias, (size_t)s->cout, &seed, 0.5f);
}

static void free_data(Data *d) { free(d->src); free(d->wei); free(d->bias); }

/* Naive convolution in double precision; bias and activation applied when `fused`. */
static void reference_conv(const Shape *s, const Data *d, float *dst, int fused) {
    long cg = s->cin / s->groups, og = s->cout / s->groups;
    for (long b = 0; b < s->n; b++)
        for (long oy = 0; oy < s->oh; oy++)
            for (long ox = 0; ox < s->ow; ox++)
                for (long co = 0; co < s->cout; co++) {
                    long g = co / og;
                    double acc = fused ? d->bias[co] : 0;
                    for (long ky = 0; ky < s->kh; ky++) {
                        long iy = oy * s->sh - s->pt + ky * s->dh;
                        if (iy < 0 || iy >= s->h) continue;
                        for (long kx = 0; kx < s->kw; kx++) {
                            long ix = ox * s->sw - s->pl + kx * s->dw;
                            if (ix < 0 || ix >= s->w) continue;
                            const float *in = d->src + ((b * s->h + iy) * s->w + ix) * s->cin + g * cg;
                            const float *wt = d->wei + ((co * s->kh + ky) * s->kw + kx) * cg;
                            for (long c = 0; c < cg; c++) acc += (double)in[c] * wt[c];
                        }
                    }
                    float v = (float)acc;
                    dst[((b * s->oh + oy) * s->ow + ox) * s->cout + co] = fused ? act_apply(s, v) : v;
                }
}

/* ---------------------------------------------------------------- timing */

typedef struct { double median, min, max; } Stats;

typedef void (*RunFn)(void *ctx);

static Stats time_it(RunFn run, void *ctx) {
    for (int i = 0; i < g_warmup; i++) run(ctx);
    double *t = malloc(sizeof(double) * g_runs);
    for (int i = 0; i < g_runs; i++) {
        double start = now_ms();
        run(ctx);
        t[i] = now_ms() - start;
    }
    qsort(t, g_runs, sizeof(double), cmp_double);
    Stats st = { g_runs % 2 ? t[g_runs / 2] : (t[g_runs / 2 - 1] + t[g_runs / 2]) / 2, t[0], t[g_runs - 1] };
    free(t);
    return st;
}

/* ---------------------------------------------------------------- OpenBLAS */

typedef struct {
    const Shape *s;
    const Data *d;
    float *cols; /* im2col buffer [n*oh*ow][groups][kh][kw][cg], or NULL for direct 1x1 */
    float *dst;
} BlasCtx;

static int blas_direct(const Shape *s) {
    return s->kh == 1 && s->kw == 1 && s->sh == 1 && s->sw == 1 && !s->pt && !s->pl && !s->pb && !s->pr;
}

static void im2col(const Shape *s, const float *src, float *cols) {
    long cg = s->cin / s->groups, taps = s->kh * s->kw, rows = s->n * s->oh * s->ow;
    long K = s->groups * taps * cg;
#pragma omp parallel for num_threads(g_threads) schedule(static)
    for (long r = 0; r < rows; r++) {
        long b = r / (s->oh * s->ow), oy = (r / s->ow) % s->oh, ox = r % s->ow;
        float *row = cols + r * K;
        for (long ky = 0; ky < s->kh; ky++) {
            long iy = oy * s->sh - s->pt + ky * s->dh;
            for (long kx = 0; kx < s->kw; kx++) {
                long ix = ox * s->sw - s->pl + kx * s->dw;
                long tap = ky * s->kw + kx;
                int inside = iy >= 0 && iy < s->h && ix >= 0 && ix < s->w;
                const float *in = src + ((b * s->h + iy) * s->w + ix) * s->cin;
                if (s->groups == 1) {
                    if (inside) memcpy(row + tap * cg, in, sizeof(float) * cg);
                    else memset(row + tap * cg, 0, sizeof(float) * cg);
                } else {
                    for (long g = 0; g < s->groups; g++) {
                        float *out = row + (g * taps + tap) * cg;
                        if (inside) memcpy(out, in + g * cg, sizeof(float) * cg);
                        else memset(out, 0, sizeof(float) * cg);
                    }
                }
            }
        }
    }
}

static void blas_run(void *p) {
    BlasCtx *c = p;
    const Shape *s = c->s;
    long cg = s->cin / s->groups, og = s->cout / s->groups;
    long M = s->n * s->oh * s->ow, K = s->kh * s->kw * cg;
    const float *A;
    long lda;
    if (c->cols) {
        im2col(s, c->d->src, c->cols);
        A = c->cols;
        lda = s->groups * K;
    } else {
        A = c->d->src;
        lda = s->cin;
    }
    for (long g = 0; g < s->groups; g++) {
        /* C[M][og] (row stride cout) = A_g[M][K] * W_g^T, W_g stored [og][K]. */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)M, (int)og, (int)K, 1.0f,
                    A + g * K, (int)lda, c->d->wei + g * og * K, (int)K, 0.0f,
                    c->dst + g * og, (int)s->cout);
    }
}

/* ---------------------------------------------------------------- oneDNN */

static dnnl_engine_t g_engine;
static dnnl_stream_t g_stream;

typedef struct {
    dnnl_primitive_t prim;
    dnnl_memory_t src, wei, bias, dst;
    dnnl_exec_arg_t args[4];
} DnnlCtx;

static void dnnl_run(void *p) {
    DnnlCtx *c = p;
    dnnl_primitive_execute(c->prim, g_stream, 4, c->args);
    dnnl_stream_wait(g_stream);
}

#define DN(call, what) do { dnnl_status_t st_ = (call); if (st_ != dnnl_success) { *error = what; return st_; } } while (0)

/* Builds the primitive and its memories; user weights are reordered once into the layout
 * oneDNN picked. On success fills ctx, impl and note. */
static dnnl_status_t dnnl_setup(const Shape *s, const Data *d, float *dst, DnnlCtx *ctx, const char **impl,
                                const char **note, const char **error) {
    long cg = s->cin / s->groups, og = s->cout / s->groups;
    dnnl_memory_desc_t src_md, dst_md, bias_md, wei_user_md, wei_any_md;
    dnnl_dims_t src_dims = { s->n, s->cin, s->h, s->w }, dst_dims = { s->n, s->cout, s->oh, s->ow };
    dnnl_dims_t bias_dims = { s->cout };
    dnnl_dims_t strides = { s->sh, s->sw }, dilates = { s->dh - 1, s->dw - 1 };
    dnnl_dims_t pad_l = { s->pt, s->pl }, pad_r = { s->pb, s->pr };
    DN(dnnl_memory_desc_init_by_tag(&src_md, 4, src_dims, dnnl_f32, dnnl_nhwc), "src md");
    DN(dnnl_memory_desc_init_by_tag(&dst_md, 4, dst_dims, dnnl_f32, dnnl_nhwc), "dst md");
    DN(dnnl_memory_desc_init_by_tag(&bias_md, 1, bias_dims, dnnl_f32, dnnl_x), "bias md");
    if (s->groups == 1) {
        dnnl_dims_t wd = { s->cout, s->cin, s->kh, s->kw };
        DN(dnnl_memory_desc_init_by_tag(&wei_user_md, 4, wd, dnnl_f32, dnnl_ohwi), "weights md");
        DN(dnnl_memory_desc_init_by_tag(&wei_any_md, 4, wd, dnnl_f32, dnnl_format_tag_any), "weights any md");
    } else {
        dnnl_dims_t wd = { s->groups, og, cg, s->kh, s->kw };
        DN(dnnl_memory_desc_init_by_tag(&wei_user_md, 5, wd, dnnl_f32, dnnl_gohwi), "weights md");
        DN(dnnl_memory_desc_init_by_tag(&wei_any_md, 5, wd, dnnl_f32, dnnl_format_tag_any), "weights any md");
    }
    dnnl_convolution_desc_t desc;
    DN(dnnl_dilated_convolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_convolution_auto, &src_md,
                                                  &wei_any_md, &bias_md, &dst_md, strides, dilates, pad_l, pad_r),
       "convolution desc");
    dnnl_primitive_attr_t attr;
    dnnl_post_ops_t ops;
    DN(dnnl_primitive_attr_create(&attr), "attr");
    DN(dnnl_post_ops_create(&ops), "post ops");
    *note = act_post_ops(s, ops);
    DN(dnnl_primitive_attr_set_post_ops(attr, ops), "set post ops");
    dnnl_primitive_desc_t pd;
    dnnl_status_t st = dnnl_primitive_desc_create(&pd, &desc, attr, g_engine, NULL);
    dnnl_post_ops_destroy(ops);
    dnnl_primitive_attr_destroy(attr);
    if (st != dnnl_success) { *error = "primitive desc (shape/post-op unsupported?)"; return st; }
    const char *info = NULL;
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &info);
    static char impl_buf[128];
    snprintf(impl_buf, sizeof impl_buf, "%s", info ? info : "?");
    *impl = impl_buf;

    const dnnl_memory_desc_t *wei_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    DN(dnnl_memory_create(&ctx->src, &src_md, g_engine, d->src), "src mem");
    DN(dnnl_memory_create(&ctx->dst, &dst_md, g_engine, dst), "dst mem");
    DN(dnnl_memory_create(&ctx->bias, &bias_md, g_engine, d->bias), "bias mem");
    DN(dnnl_memory_create(&ctx->wei, wei_md, g_engine, DNNL_MEMORY_ALLOCATE), "weights mem");
    dnnl_memory_t wei_user;
    DN(dnnl_memory_create(&wei_user, &wei_user_md, g_engine, d->wei), "user weights mem");
    dnnl_primitive_desc_t rpd;
    dnnl_primitive_t reorder;
    DN(dnnl_reorder_primitive_desc_create(&rpd, &wei_user_md, g_engine, wei_md, g_engine, NULL), "reorder desc");
    DN(dnnl_primitive_create(&reorder, rpd), "reorder");
    dnnl_exec_arg_t rargs[2] = { { DNNL_ARG_FROM, wei_user }, { DNNL_ARG_TO, ctx->wei } };
    DN(dnnl_primitive_execute(reorder, g_stream, 2, rargs), "reorder execute");
    dnnl_stream_wait(g_stream);
    dnnl_primitive_destroy(reorder);
    dnnl_primitive_desc_destroy(rpd);
    dnnl_memory_destroy(wei_user);

    DN(dnnl_primitive_create(&ctx->prim, pd), "primitive");
    dnnl_primitive_desc_destroy(pd);
    ctx->args[0] = (dnnl_exec_arg_t){ DNNL_ARG_SRC, ctx->src };
    ctx->args[1] = (dnnl_exec_arg_t){ DNNL_ARG_WEIGHTS, ctx->wei };
    ctx->args[2] = (dnnl_exec_arg_t){ DNNL_ARG_BIAS, ctx->bias };
    ctx->args[3] = (dnnl_exec_arg_t){ DNNL_ARG_DST, ctx->dst };
    return dnnl_success;
}

static void dnnl_teardown(DnnlCtx *c) {
    dnnl_primitive_destroy(c->prim);
    dnnl_memory_destroy(c->src);
    dnnl_memory_destroy(c->wei);
    dnnl_memory_destroy(c->bias);
    dnnl_memory_destroy(c->dst);
}

/* ---------------------------------------------------------------- output */

static void print_head(const Shape *s, const char *lib) {
    printf("{\"name\":");
    print_json_string(s->name);
    printf(",\"lib\":\"%s\",\"threads\":%d,\"oh\":%ld,\"ow\":%ld", lib, g_threads, s->oh, s->ow);
}

static double max_abs_diff(const float *x, const float *y, size_t n, double *max_ref) {
    double m = 0, r = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)x[i] - y[i]);
        if (e > m || isnan(e)) m = isnan(e) ? INFINITY : e;
        if (fabs(y[i]) > r) r = fabs(y[i]);
    }
    *max_ref = r;
    return m;
}

/* Returns the number of failed checks. */
static int bench_shape(const Shape *s, int use_dnnl, int use_blas, int check) {
    Data d;
    make_data(s, &d);
    float *dst = alloc_floats(d.dst_n);
    float *ref = NULL, *ref_fused = NULL;
    int failures = 0;
    if (check) {
        ref = alloc_floats(d.dst_n);
        ref_fused = alloc_floats(d.dst_n);
        reference_conv(s, &d, ref, 0);
        reference_conv(s, &d, ref_fused, 1);
    }
    long cg = s->cin / s->groups;
    if (use_dnnl) {
        DnnlCtx ctx;
        const char *impl = "", *note = "", *error = NULL;
        dnnl_status_t st = dnnl_setup(s, &d, dst, &ctx, &impl, &note, &error);
        print_head(s, "onednn");
        if (st != dnnl_success) {
            printf(",\"error\":\"%s (status %d)\"}\n", error, (int)st);
            failures += check;
        } else {
            printf(",\"impl\":");
            print_json_string(impl);
            if (*note) { printf(",\"note\":"); print_json_string(note); }
            if (check) {
                memset(dst, 0, sizeof(float) * d.dst_n);
                dnnl_run(&ctx);
                double max_ref, diff = max_abs_diff(dst, ref_fused, d.dst_n, &max_ref);
                int ok = diff <= 1e-4 * (1 + max_ref);
                failures += !ok;
                printf(",\"check\":\"%s\",\"max_abs_diff\":%.3g,\"max_abs_ref\":%.3g}\n", ok ? "ok" : "FAIL", diff, max_ref);
            } else {
                Stats st2 = time_it(dnnl_run, &ctx);
                printf(",\"median_ms\":%.4f,\"min_ms\":%.4f,\"max_ms\":%.4f,\"runs\":%d,\"fused\":\"bias+%s\"}\n",
                       st2.median, st2.min, st2.max, g_runs, s->act);
            }
            dnnl_teardown(&ctx);
        }
        fflush(stdout);
    }
    if (use_blas) {
        BlasCtx ctx = { s, &d, NULL, dst };
        if (!blas_direct(s))
            ctx.cols = alloc_floats((size_t)s->n * s->oh * s->ow * s->kh * s->kw * cg * s->groups);
        print_head(s, "openblas");
        printf(",\"impl\":\"%s%s\"", ctx.cols ? "im2col+" : "", s->groups > 1 ? "sgemm per group" : "sgemm");
        if (s->groups > 1 && cg == 1) printf(",\"note\":\"depthwise through sgemm: not a sensible path\"");
        if (check) {
            memset(dst, 0, sizeof(float) * d.dst_n);
            blas_run(&ctx);
            double max_ref, diff = max_abs_diff(dst, ref, d.dst_n, &max_ref);
            int ok = diff <= 1e-4 * (1 + max_ref);
            failures += !ok;
            printf(",\"check\":\"%s\",\"max_abs_diff\":%.3g,\"max_abs_ref\":%.3g}\n", ok ? "ok" : "FAIL", diff, max_ref);
        } else {
            Stats st = time_it(blas_run, &ctx);
            printf(",\"median_ms\":%.4f,\"min_ms\":%.4f,\"max_ms\":%.4f,\"runs\":%d,\"fused\":\"none (no bias, no activation)\"}\n",
                   st.median, st.min, st.max, g_runs);
        }
        free(ctx.cols);
        fflush(stdout);
    }
    free(ref);
    free(ref_fused);
    free(dst);
    free_data(&d);
    return failures;
}

static void print_info(void) {
    const dnnl_version_t *v = dnnl_version();
    const char *runtime = v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : v->cpu_runtime == DNNL_RUNTIME_TBB ? "TBB"
                        : v->cpu_runtime == DNNL_RUNTIME_SEQ ? "sequential" : v->cpu_runtime == DNNL_RUNTIME_THREADPOOL ? "threadpool" : "other";
    int isa = (int)dnnl_get_effective_cpu_isa();
    const char *isa_name = isa == dnnl_cpu_isa_avx2 ? "avx2" : isa == dnnl_cpu_isa_avx2_vnni ? "avx2_vnni"
                         : isa == dnnl_cpu_isa_avx512_core ? "avx512_core" : isa == dnnl_cpu_isa_avx512_core_vnni ? "avx512_core_vnni"
                         : isa == dnnl_cpu_isa_avx512_core_bf16 ? "avx512_core_bf16" : isa == dnnl_cpu_isa_avx512_core_amx ? "avx512_core_amx"
                         : isa == dnnl_cpu_isa_avx ? "avx" : isa == dnnl_cpu_isa_sse41 ? "sse41" : "other";
    printf("{\"onednn\":\"%d.%d.%d\",\"onednn_hash\":", v->major, v->minor, v->patch);
    print_json_string(v->hash ? v->hash : "");
    printf(",\"onednn_cpu_runtime\":\"%s\",\"onednn_isa\":\"%s\",\"openblas_config\":", runtime, isa_name);
    print_json_string(openblas_get_config());
    printf(",\"openblas_core\":");
    print_json_string(openblas_get_corename());
    printf("}\n");
}

static void usage(void) {
    fprintf(stderr, "usage: conv_bench [--lib onednn|openblas|all] [--threads T] [--runs R] [--warmup W] [--check] [SHAPES|-]\n"
                    "       conv_bench --info\n"
                    "shape line: name n h w cin cout kh kw sh sw pt pl pb pr dh dw groups [activation]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *lib = "all", *path = "-";
    int check = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--lib") && i + 1 < argc) lib = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) g_threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc) g_runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) g_warmup = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--check")) check = 1;
        else if (!strcmp(argv[i], "--info")) { print_info(); return 0; }
        else if (argv[i][0] == '-' && argv[i][1]) usage();
        else path = argv[i];
    }
    int use_dnnl = !strcmp(lib, "onednn") || !strcmp(lib, "all");
    int use_blas = !strcmp(lib, "openblas") || !strcmp(lib, "all");
    if ((!use_dnnl && !use_blas) || g_threads < 1 || g_runs < 1 || g_warmup < 0) usage();

    /* OpenBLAS-only runs parallelise im2col with OpenMP; idle OpenMP workers must not spin
     * against OpenBLAS's own threads, and libgomp reads OMP_WAIT_POLICY only at start-up. */
    if (use_blas && !use_dnnl && !getenv("OMP_WAIT_POLICY")) {
        setenv("OMP_WAIT_POLICY", "passive", 1);
        execv("/proc/self/exe", argv);
    }
    omp_set_num_threads(g_threads);   /* oneDNN (OpenMP runtime) and im2col */
    openblas_set_num_threads(g_threads);
    if (dnnl_engine_create(&g_engine, dnnl_cpu, 0) != dnnl_success || dnnl_stream_create(&g_stream, g_engine, dnnl_stream_default_flags) != dnnl_success) {
        fprintf(stderr, "oneDNN: cannot create CPU engine/stream\n");
        return 1;
    }

    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    if (!f) { perror(path); return 1; }
    char line[1024];
    int lineno = 0, failures = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        Shape s;
        int r = parse_shape(line, &s);
        if (r < 0) { fprintf(stderr, "%s:%d: bad shape line\n", path, lineno); return 1; }
        if (r == 0) continue;
        failures += bench_shape(&s, use_dnnl, use_blas, check);
    }
    if (f != stdin) fclose(f);
    dnnl_stream_destroy(g_stream);
    dnnl_engine_destroy(g_engine);
    if (check) fprintf(stderr, "check: %d failure(s)\n", failures);
    return failures ? 1 : 0;
}
