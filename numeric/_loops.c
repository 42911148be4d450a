/* Compiled loops of the small-model steady state (symbolic_pme.numeric._loops).

   The NumPy versions of these loops (numeric/solver.py: steady_state_gth, numeric/flat.py:
   FlatRates.currents) are the reference: these do the same arithmetic in the same order, point by
   point, without NumPy's per-call overhead, which dominates a small model's sweep (about 50 calls
   on 201-point arrays for GTH alone).  The Python wrappers check every shape, dtype and layout
   before calling, so the functions below only check the buffer lengths.  No Python object is
   touched while the loops run (the GIL is released).

   Build: setuptools compiles this file as an optional extension (setup.py); without it the NumPy
   versions run. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Points solved together: the elimination updates of one chunk stay in the cache. */
#define CHUNK 64

/* Most states of a GTH reduction (numeric/loops.py: GTH_STATES). */
#define MAX_STATES 16

/* GTH state reduction of t[(j * n + i) * batch + b] = rate i -> j at point b (overwritten), as in
   numeric/solver.py: states are censored from the last to the first, then back-substitution.
   p[j * batch + b] receives the probabilities, failed[b] = 1 where they are meaningless (some
   state cannot reach the states before it, or a value is not finite). */
static void gth(double *t, double *p, unsigned char *failed, Py_ssize_t n, Py_ssize_t batch)
{
    double escape[CHUNK * MAX_STATES], scale[CHUNK], weight[CHUNK], total[CHUNK];
    for (Py_ssize_t start = 0; start < batch; start += CHUNK) {
        Py_ssize_t width = batch - start < CHUNK ? batch - start : CHUNK;
        for (Py_ssize_t b = 0; b < width; ++b) {
            failed[start + b] = 0;
        }
        for (Py_ssize_t k = n - 1; k > 0; --k) {
            double *esc = escape + k * CHUNK;
            for (Py_ssize_t b = 0; b < width; ++b) {
                esc[b] = 0.0;
            }
            for (Py_ssize_t j = 0; j < k; ++j) {
                const double *column = t + (j * n + k) * batch + start;
                for (Py_ssize_t b = 0; b < width; ++b) {
                    esc[b] += column[b];
                }
            }
            for (Py_ssize_t b = 0; b < width; ++b) {
                scale[b] = 1.0 / esc[b];
                if (!(esc[b] > 0)) {
                    failed[start + b] = 1;
                }
            }
            for (Py_ssize_t j = 0; j < k; ++j) {
                const double *to_j = t + (j * n + k) * batch + start;
                for (Py_ssize_t b = 0; b < width; ++b) {
                    weight[b] = to_j[b] * scale[b];
                }
                for (Py_ssize_t i = 0; i < k; ++i) {
                    double *restrict target = t + (j * n + i) * batch + start;
                    const double *restrict from_k = t + (k * n + i) * batch + start;
                    for (Py_ssize_t b = 0; b < width; ++b) {
                        target[b] += weight[b] * from_k[b];
                    }
                }
            }
        }
        for (Py_ssize_t b = 0; b < width; ++b) {
            p[start + b] = 1.0;
            total[b] = 1.0;
        }
        for (Py_ssize_t j = 1; j < n; ++j) {
            double *pj = p + j * batch + start;
            for (Py_ssize_t b = 0; b < width; ++b) {
                pj[b] = 0.0;
            }
            for (Py_ssize_t i = 0; i < j; ++i) {
                const double *pi = p + i * batch + start, *row = t + (j * n + i) * batch + start;
                for (Py_ssize_t b = 0; b < width; ++b) {
                    pj[b] += pi[b] * row[b];
                }
            }
            for (Py_ssize_t b = 0; b < width; ++b) {
                pj[b] /= escape[j * CHUNK + b];
                total[b] += pj[b];
            }
        }
        for (Py_ssize_t j = 0; j < n; ++j) {
            double *pj = p + j * batch + start;
            for (Py_ssize_t b = 0; b < width; ++b) {
                pj[b] /= total[b];
                if (!isfinite(pj[b])) {
                    failed[start + b] = 1;
                }
            }
        }
    }
}

static int expect(Py_buffer *buffer, Py_ssize_t items, Py_ssize_t size, const char *name)
{
    if (buffer->len != items * size) {
        PyErr_Format(PyExc_ValueError, "_loops: %s holds %zd bytes, expected %zd", name, buffer->len, items * size);
        return 0;
    }
    return 1;
}

/* None, or NULL with a MemoryError where a loop's status is negative (it ran out of memory). */
static PyObject *finished(int status)
{
    if (status < 0) {
        return PyErr_NoMemory();
    }
    Py_RETURN_NONE;
}

/* Releases count buffers (Py_buffer pointers) of a call. */
static void release(int count, ...)
{
    va_list buffers;
    va_start(buffers, count);
    for (int i = 0; i < count; ++i) {
        PyBuffer_Release(va_arg(buffers, Py_buffer *));
    }
    va_end(buffers);
}

/* steady_state_gth(transfer, probabilities, failed, n, batch): float64 (n, n, batch) overwritten,
   float64 (n, batch) and uint8 (batch,) written. */
static PyObject *steady_state_gth(PyObject *self, PyObject *args)
{
    Py_buffer transfer, probabilities, failed;
    Py_ssize_t n, batch;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "w*w*w*nn", &transfer, &probabilities, &failed, &n, &batch)) {
        return NULL;
    }
    if (n < 1 || n > MAX_STATES || batch < 0) {
        PyErr_SetString(PyExc_ValueError, "_loops.steady_state_gth: needs 1 <= n <= 16 states");
    } else if (expect(&transfer, n * n * batch, 8, "transfer") && expect(&probabilities, n * batch, 8, "probabilities") &&
               expect(&failed, batch, 1, "failed")) {
        Py_BEGIN_ALLOW_THREADS
        gth(transfer.buf, probabilities.buf, failed.buf, n, batch);
        Py_END_ALLOW_THREADS
        result = Py_None;
        Py_INCREF(result);
    }
    release(3, &transfer, &probabilities, &failed);
    return result;
}

/* out[slot[t] * batch + b] = sum of rates[t * batch + b] over the transitions t of each slot, zero
   elsewhere (numeric/flat.py's transfer matrix: slot = target * n + source). */
static PyObject *transfer_matrix(PyObject *self, PyObject *args)
{
    Py_buffer rates, slots, out;
    Py_ssize_t transitions, cells, batch;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "y*y*w*nnn", &rates, &slots, &out, &transitions, &cells, &batch)) {
        return NULL;
    }
    if (expect(&rates, transitions * batch, 8, "rates") && expect(&slots, transitions, 8, "slots") &&
        expect(&out, cells * batch, 8, "out")) {
        const long long *slot = slots.buf;
        int valid = 1;
        for (Py_ssize_t t = 0; valid && t < transitions; ++t) {
            valid = slot[t] >= 0 && slot[t] < cells;
        }
        if (!valid) {
            PyErr_SetString(PyExc_ValueError, "_loops.transfer_matrix: a slot is out of range");
        } else {
            Py_BEGIN_ALLOW_THREADS
            double *matrix = out.buf;
            const double *rate = rates.buf;
            memset(matrix, 0, sizeof(double) * cells * batch);
            for (Py_ssize_t t = 0; t < transitions; ++t) {
                double *target = matrix + slot[t] * batch;
                const double *source = rate + t * batch;
                for (Py_ssize_t b = 0; b < batch; ++b) {
                    target[b] += source[b];
                }
            }
            Py_END_ALLOW_THREADS
            result = Py_None;
            Py_INCREF(result);
        }
    }
    release(3, &rates, &slots, &out);
    return result;
}

/* Net particle and energy currents and gross particle flux of each lead from the flat layout's
   rates (numeric/flat.py): entry k enters upper[k] from lower[k] at rates[k] and leaves it at
   rates[K + k]; its lead is lead[k] and it carries the energy delta[k] (delta_points = 1: the same
   at every point, else one per point). */
static void flat_currents(const double *rates, const double *p, const long long *lower, const long long *upper,
                          const long long *lead, const double *delta, Py_ssize_t delta_points, double *charge,
                          double *energy, double *gross, Py_ssize_t entries, Py_ssize_t leads, Py_ssize_t batch)
{
    memset(charge, 0, sizeof(double) * leads * batch);
    memset(energy, 0, sizeof(double) * leads * batch);
    memset(gross, 0, sizeof(double) * leads * batch);
    for (Py_ssize_t k = 0; k < entries; ++k) {
        const double *in_rate = rates + k * batch, *out_rate = rates + (entries + k) * batch;
        const double *p_lower = p + lower[k] * batch, *p_upper = p + upper[k] * batch;
        double *c = charge + lead[k] * batch, *e = energy + lead[k] * batch, *g = gross + lead[k] * batch;
        const double *d = delta + k * delta_points;
        for (Py_ssize_t b = 0; b < batch; ++b) {
            double in = p_lower[b] * in_rate[b], out = p_upper[b] * out_rate[b], net = in - out;
            c[b] += net;
            g[b] += in + out;
            e[b] += net * d[delta_points == 1 ? 0 : b];
        }
    }
}

/* flat_currents(rates, probabilities, lower, upper, lead, delta, charge, energy, gross,
                 entries, states, leads, batch, delta_points) */
static PyObject *flat_currents_py(PyObject *self, PyObject *args)
{
    Py_buffer b[9];
    Py_ssize_t entries, states, leads, batch, delta_points;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*w*w*w*nnnnn", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &b[6], &b[7],
                          &b[8], &entries, &states, &leads, &batch, &delta_points)) {
        return NULL;
    }
    if (expect(&b[0], 2 * entries * batch, 8, "rates") && expect(&b[1], states * batch, 8, "probabilities") &&
        expect(&b[2], entries, 8, "lower") && expect(&b[3], entries, 8, "upper") && expect(&b[4], entries, 8, "lead") &&
        expect(&b[5], entries * delta_points, 8, "delta") && expect(&b[6], leads * batch, 8, "charge") &&
        expect(&b[7], leads * batch, 8, "energy") && expect(&b[8], leads * batch, 8, "gross")) {
        const long long *lower = b[2].buf, *upper = b[3].buf, *lead = b[4].buf;
        int valid = delta_points == 1 || delta_points == batch;
        for (Py_ssize_t k = 0; valid && k < entries; ++k) {
            valid = lower[k] >= 0 && lower[k] < states && upper[k] >= 0 && upper[k] < states && lead[k] >= 0 &&
                    lead[k] < leads;
        }
        if (!valid) {
            PyErr_SetString(PyExc_ValueError, "_loops.flat_currents: an index or the delta layout is out of range");
        } else {
            Py_BEGIN_ALLOW_THREADS
            flat_currents(b[0].buf, b[1].buf, lower, upper, lead, b[5].buf, delta_points, b[6].buf, b[7].buf,
                          b[8].buf, entries, leads, batch);
            Py_END_ALLOW_THREADS
            result = Py_None;
            Py_INCREF(result);
        }
    }
    for (int k = 0; k < 9; ++k) {
        PyBuffer_Release(&b[k]);
    }
    return result;
}

/* The conservation residual of one current (values[l * batch + b], lead l, point b) removed in
   place, as numeric/blocks.py's _remove_residuals: the sum over the leads is subtracted in
   proportion to each lead's gross flux, then the lead of the largest gross flux (the first of
   equal ones) takes minus the sum of the others. */
static void remove_residuals(double *values, const double *gross, Py_ssize_t leads, Py_ssize_t batch)
{
    for (Py_ssize_t b = 0; b < batch; ++b) {
        double total = 0.0, residual = 0.0, rest = 0.0, largest = gross[b];
        Py_ssize_t strongest = 0;
        for (Py_ssize_t l = 0; l < leads; ++l) {
            total += gross[l * batch + b];
            residual += values[l * batch + b];
            if (gross[l * batch + b] > largest) {
                largest = gross[l * batch + b];
                strongest = l;
            }
        }
        for (Py_ssize_t l = 0; l < leads; ++l) {
            double share = total > 0 ? gross[l * batch + b] / total : 0.0;
            values[l * batch + b] -= share * residual;
        }
        values[strongest * batch + b] = 0.0;
        for (Py_ssize_t l = 0; l < leads; ++l) {
            rest += values[l * batch + b];
        }
        values[strongest * batch + b] = -rest;
    }
}

/* remove_residuals(values, gross, leads, batch): float64 (leads, batch) each; values overwritten. */
static PyObject *remove_residuals_py(PyObject *self, PyObject *args)
{
    Py_buffer values, gross;
    Py_ssize_t leads, batch;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "w*y*nn", &values, &gross, &leads, &batch)) {
        return NULL;
    }
    if (leads < 1) {
        PyErr_SetString(PyExc_ValueError, "_loops.remove_residuals: needs at least one lead");
    } else if (expect(&values, leads * batch, 8, "values") && expect(&gross, leads * batch, 8, "gross")) {
        Py_BEGIN_ALLOW_THREADS
        remove_residuals(values.buf, gross.buf, leads, batch);
        Py_END_ALLOW_THREADS
        result = Py_None;
        Py_INCREF(result);
    }
    PyBuffer_Release(&values);
    PyBuffer_Release(&gross);
    return result;
}

/* out[slot[t] * width + j] += c[t] * values[first[t] * width + j] * values[second[t] * width + j] for
   every term t and column j (numeric/coherent_factored.py: the weights of the factored kernel's
   sub-terms and the Lindblad monomials s_a s_b).  Without slots (slots == NULL) row t of out is
   written, not added to; without coefficients c[t] = 1.  The indices were checked by the caller. */
static void pair_product_sums(const double *values, const int *first, const int *second, const double *c,
                              const int *slot, double *out, Py_ssize_t terms, Py_ssize_t width)
{
    if (width == 1 && slot != NULL && c != NULL) { /* the factored matrices' entries: one value per term */
        for (Py_ssize_t t = 0; t < terms; ++t) {
            out[slot[t]] += c[t] * (values[first[t]] * values[second[t]]);
        }
        return;
    }
    for (Py_ssize_t t = 0; t < terms; ++t) {
        const double *a = values + first[t] * width, *b = values + second[t] * width;
        double *target = out + (slot ? slot[t] : t) * width;
        if (slot == NULL && c == NULL) {
            for (Py_ssize_t j = 0; j < width; ++j) {
                target[j] = a[j] * b[j];
            }
        } else if (slot == NULL) {
            for (Py_ssize_t j = 0; j < width; ++j) {
                target[j] = c[t] * (a[j] * b[j]);
            }
        } else {
            double weight = c ? c[t] : 1.0;
            for (Py_ssize_t j = 0; j < width; ++j) {
                target[j] += weight * (a[j] * b[j]);
            }
        }
    }
}

/* Whether every index lies in [0, bound). */
static int in_range(const int *index, Py_ssize_t n, Py_ssize_t bound)
{
    if (bound > INT_MAX) {
        bound = INT_MAX;
    }
    int outside = 0, limit = (int)bound; /* int compares and no early exit: the loop vectorizes */
    for (Py_ssize_t i = 0; i < n; ++i) {
        outside |= (index[i] < 0) | (index[i] >= limit);
    }
    return !outside;
}

/* pair_product_sums(values, first, second, coefficients, slots, out, width): values float64 (V,
   width), first and second int32 (T,), coefficients float64 (T,) or empty, slots int32 (T,) or
   empty, out float64 (S, width) (S = T without slots), all C-contiguous. */
static PyObject *pair_product_sums_py(PyObject *self, PyObject *args)
{
    Py_buffer values, first, second, coefficients, slots, out;
    Py_ssize_t width;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*w*n", &values, &first, &second, &coefficients, &slots, &out, &width)) {
        return NULL;
    }
    Py_ssize_t terms = first.len / 4, rows = width > 0 ? values.len / 8 / width : 0;
    Py_ssize_t targets = width > 0 ? out.len / 8 / width : 0;
    if (width < 1 || !expect(&values, rows * width, 8, "values") || !expect(&first, terms, 4, "first") ||
        !expect(&second, terms, 4, "second") || !expect(&out, targets * width, 8, "out") ||
        (coefficients.len && !expect(&coefficients, terms, 8, "coefficients")) ||
        (slots.len && !expect(&slots, terms, 4, "slots"))) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_ValueError, "_loops.pair_product_sums: width must be positive");
        }
    } else if (!in_range(first.buf, terms, rows) || !in_range(second.buf, terms, rows) ||
               (slots.len ? !in_range(slots.buf, terms, targets) : targets != terms)) {
        PyErr_SetString(PyExc_ValueError, "_loops.pair_product_sums: an index is out of range");
    } else {
        Py_BEGIN_ALLOW_THREADS
        pair_product_sums(values.buf, first.buf, second.buf, coefficients.len ? coefficients.buf : NULL,
                          slots.len ? slots.buf : NULL, out.buf, terms, width);
        Py_END_ALLOW_THREADS
        result = Py_None;
        Py_INCREF(result);
    }
    release(6, &values, &first, &second, &coefficients, &slots, &out);
    return result;
}

/* The Lindblad monomials s_a s_b of numeric/coherent_factored.py (FactoredTerms.monomial_values):
   with the jump factors s = sqrt(max(2 w, 0)) of the rates w = (particle, hole) (each (batch, n),
   row-major), out[m * batch + b] = s[first[m]] s[second[m]] at point b for the monomials m, and a
   row of ones after them.  The same operations as the NumPy version (a NaN rate stays NaN). */
static int lindblad_monomials(const double *particle, const double *hole, const int *first, const int *second,
                              double *out, Py_ssize_t n, Py_ssize_t batch, Py_ssize_t monomials)
{
    /* only the factors some monomial takes: most of the padded transitions are none */
    double *jumps = malloc(sizeof(double) * (size_t)(2 * n * batch));
    unsigned char *made = calloc((size_t)(2 * n), 1);
    if (jumps == NULL || made == NULL) {
        free(jumps);
        free(made);
        return -1;
    }
    for (Py_ssize_t m = 0; m < 2 * monomials; ++m) {
        Py_ssize_t row = m < monomials ? first[m] : second[m - monomials];
        if (made[row]) {
            continue;
        }
        made[row] = 1;
        const double *w = row < n ? particle + row : hole + (row - n);
        double *s = jumps + row * batch;
        for (Py_ssize_t b = 0; b < batch; ++b) {
            double u = 2.0 * w[b * n];
            s[b] = sqrt(u >= 0.0 || u != u ? u : 0.0);
        }
    }
    for (Py_ssize_t m = 0; m < monomials; ++m) {
        const double *a = jumps + (Py_ssize_t)first[m] * batch, *c = jumps + (Py_ssize_t)second[m] * batch;
        double *target = out + m * batch;
        for (Py_ssize_t b = 0; b < batch; ++b) {
            target[b] = a[b] * c[b];
        }
    }
    for (Py_ssize_t b = 0; b < batch; ++b) {
        out[monomials * batch + b] = 1.0;
    }
    free(jumps);
    free(made);
    return 0;
}

/* lindblad_monomials(particle, hole, first, second, out, n, batch): particle and hole float64
   (batch, n), first and second int32 (K,) into the 2n jump factors, out float64 (K + 1, batch),
   C-contiguous. */
static PyObject *lindblad_monomials_py(PyObject *self, PyObject *args)
{
    Py_buffer particle, hole, first, second, out;
    Py_ssize_t n, batch;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "y*y*y*y*w*nn", &particle, &hole, &first, &second, &out, &n, &batch)) {
        return NULL;
    }
    Py_ssize_t monomials = first.len / 4;
    if (n < 1 || batch < 1) {
        PyErr_SetString(PyExc_ValueError, "_loops.lindblad_monomials: needs n >= 1 rates and a point");
    } else if (expect(&particle, batch * n, 8, "particle") && expect(&hole, batch * n, 8, "hole") &&
               expect(&second, monomials, 4, "second") && expect(&out, (monomials + 1) * batch, 8, "out")) {
        if (!in_range(first.buf, monomials, 2 * n) || !in_range(second.buf, monomials, 2 * n)) {
            PyErr_SetString(PyExc_ValueError, "_loops.lindblad_monomials: an index is out of range");
        } else {
            int status;
            Py_BEGIN_ALLOW_THREADS
            status = lindblad_monomials(particle.buf, hole.buf, first.buf, second.buf, out.buf, n, batch, monomials);
            Py_END_ALLOW_THREADS
            result = finished(status);
        }
    }
    release(5, &particle, &hole, &first, &second, &out);
    return result;
}

/* Points one pass over a CSR matrix takes (csr_product). */
#define LANES 16

/* Rows first .. last - 1 of a CSR matrix times x (columns, points), at the points start .. start +
   lanes - 1: out[b * point_stride + r * row_stride] = the sum over row r of data[j] x[indices[j] *
   points + start + b], in the order of j (as SciPy's product sums).  lanes is a constant where this
   is inlined, so the sums stay in registers (in an array indexed by a variable count they went
   through memory, every term waiting for the last: 2x slower). */
static inline __attribute__((always_inline)) void csr_lanes(const int *indptr, const int *indices, const double *data,
                                                            const double *x, Py_ssize_t points, Py_ssize_t start,
                                                            Py_ssize_t first, Py_ssize_t last, double *out,
                                                            Py_ssize_t point_stride, Py_ssize_t row_stride,
                                                            const int lanes)
{
    for (Py_ssize_t r = first; r < last; ++r) {
        double sums[LANES] = {0.0};
        for (int j = indptr[r]; j < indptr[r + 1]; ++j) {
            double d = data[j];
            const double *m = x + (Py_ssize_t)indices[j] * points + start;
            for (int b = 0; b < lanes; ++b) {
                sums[b] += d * m[b];
            }
        }
        for (int b = 0; b < lanes; ++b) {
            out[b * point_stride + r * row_stride] = sums[b];
        }
    }
}

/* csr_lanes for the points start .. start + width - 1, LANES at a time. */
static void csr_product(const int *indptr, const int *indices, const double *data, const double *x, Py_ssize_t points,
                        Py_ssize_t start, Py_ssize_t first, Py_ssize_t last, double *out, Py_ssize_t point_stride,
                        Py_ssize_t row_stride, Py_ssize_t width)
{
    for (Py_ssize_t done = 0; done < width; done += LANES) {
        int lanes = width - done < LANES ? (int)(width - done) : LANES;
        double *target = out + done * point_stride;
        switch (lanes) { /* a constant count of lanes */
#define LANE_CASE(n)                                                                                                   \
    case n:                                                                                                            \
        csr_lanes(indptr, indices, data, x, points, start + done, first, last, target, point_stride, row_stride, n);   \
        break;
            LANE_CASE(1) LANE_CASE(2) LANE_CASE(3) LANE_CASE(4) LANE_CASE(5) LANE_CASE(6) LANE_CASE(7) LANE_CASE(8)
            LANE_CASE(9) LANE_CASE(10) LANE_CASE(11) LANE_CASE(12) LANE_CASE(13) LANE_CASE(14) LANE_CASE(15)
#undef LANE_CASE
        default:
            csr_lanes(indptr, indices, data, x, points, start + done, first, last, target, point_stride, row_stride,
                      LANES);
        }
    }
}

/* The flat density matrices of numeric/coherent.py (CoherentKernel.densities) from the solved
   parameters x (batch, size): element i of point b is x[re[i]] + i sign[i] x[im[i]] (index size: a
   zero), written as its real and imaginary parts side by side into out (batch, 2 elements). */
static void gather_densities(const double *x, const int *re, const int *im, const double *sign, double *out,
                             Py_ssize_t size, Py_ssize_t elements, Py_ssize_t batch)
{
    for (Py_ssize_t b = 0; b < batch; ++b) {
        const double *xb = x + b * size;
        double *target = out + 2 * b * elements;
        for (Py_ssize_t i = 0; i < elements; ++i) {
            target[2 * i] = re[i] < size ? xb[re[i]] : 0.0;
            target[2 * i + 1] = im[i] < size ? xb[im[i]] * sign[i] : 0.0;
        }
    }
}

/* gather_densities(parameters, re, im, signs, out): parameters float64 (batch, size), re and im
   int32 (elements,) in [0, size], signs float64 (elements,), out float64 (batch, 2 elements). */
static PyObject *gather_densities_py(PyObject *self, PyObject *args)
{
    Py_buffer x, re, im, sign, out;
    Py_ssize_t size, batch;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "y*y*y*y*w*nn", &x, &re, &im, &sign, &out, &size, &batch)) {
        return NULL;
    }
    Py_ssize_t elements = re.len / 4;
    if (expect(&x, batch * size, 8, "parameters") && expect(&im, elements, 4, "im") &&
        expect(&sign, elements, 8, "signs") && expect(&out, 2 * elements * batch, 8, "out")) {
        if (!in_range(re.buf, elements, size + 1) || !in_range(im.buf, elements, size + 1)) {
            PyErr_SetString(PyExc_ValueError, "_loops.gather_densities: an index is out of range");
        } else {
            gather_densities(x.buf, re.buf, im.buf, sign.buf, out.buf, size, elements, batch);
            result = Py_None;
            Py_INCREF(result);
        }
    }
    release(5, &x, &re, &im, &sign, &out);
    return result;
}

/* The currents of a chunk of one eigensystem (numeric/coherent_currents.py: _factored_currents):
   the functionals f_r = sum over the CSR row r of data[j] rho[b, indices[j]] of the flat densities
   rho (batch, width), rows 0 .. K - 1 the particle and K .. 2K - 1 the energy flows of the K
   current monomials; each times its monomial phi[k * batch + b] and added to its lead's charge and
   energy current (and, with spins, spin[k] times the particle flow to its spin current), (leads,
   batch). */
static int factored_currents(const int *indptr, const int *indices, const double *data, const double *rho,
                             const double *phi, const int *lead, const double *spin, double *charge, double *energy,
                             double *spins, Py_ssize_t monomials, Py_ssize_t width, Py_ssize_t leads, Py_ssize_t batch)
{
    double *columns = malloc(sizeof(double) * (size_t)((width + 2 * monomials) * batch));
    if (columns == NULL) {
        return -1;
    }
    double *flows = columns + width * batch;
    for (Py_ssize_t b = 0; b < batch; ++b) { /* the densities as columns, the points along them */
        for (Py_ssize_t i = 0; i < width; ++i) {
            columns[i * batch + b] = rho[b * width + i];
        }
    }
    csr_product(indptr, indices, data, columns, batch, 0, 0, 2 * monomials, flows, 1, batch, batch);
    memset(charge, 0, sizeof(double) * leads * batch);
    memset(energy, 0, sizeof(double) * leads * batch);
    if (spins != NULL) {
        memset(spins, 0, sizeof(double) * leads * batch);
    }
    for (Py_ssize_t k = 0; k < monomials; ++k) {
        const double *weight = phi + k * batch, *particle = flows + k * batch, *carried = flows + (monomials + k) * batch;
        double *to_charge = charge + lead[k] * batch, *to_energy = energy + lead[k] * batch;
        for (Py_ssize_t b = 0; b < batch; ++b) {
            to_charge[b] += particle[b] * weight[b];
            to_energy[b] += carried[b] * weight[b];
        }
        if (spins != NULL) {
            double *to_spin = spins + lead[k] * batch;
            for (Py_ssize_t b = 0; b < batch; ++b) {
                to_spin[b] += spin[k] * (particle[b] * weight[b]);
            }
        }
    }
    free(columns);
    return 0;
}

/* factored_currents(indptr, indices, data, rho, phi, lead, spin, charge, energy, spins, monomials,
   leads, batch): the CSR matrix (2 monomials rows, int32, float64 data) on the flat densities rho
   float64 (batch, width); phi float64 (at least monomials rows of batch); lead int32 (monomials,)
   in [0, leads); spin float64 (monomials,) or empty; charge, energy and (with spin) spins float64
   (leads, batch) written. */
static PyObject *factored_currents_py(PyObject *self, PyObject *args)
{
    Py_buffer indptr, indices, data, rho, phi, lead, spin, charge, energy, spins;
    Py_ssize_t monomials, leads, batch;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*y*w*w*w*nnn", &indptr, &indices, &data, &rho, &phi, &lead, &spin, &charge,
                          &energy, &spins, &monomials, &leads, &batch)) {
        return NULL;
    }
    Py_ssize_t nonzero = data.len / 8, width = batch > 0 ? rho.len / 8 / batch : 0;
    const int *pointer = indptr.buf;
    int valid = monomials >= 0 && leads >= 1 && batch >= 1 && expect(&indptr, 2 * monomials + 1, 4, "indptr") &&
                expect(&indices, nonzero, 4, "indices") && expect(&rho, width * batch, 8, "rho") &&
                expect(&lead, monomials, 4, "lead") && expect(&charge, leads * batch, 8, "charge") &&
                expect(&energy, leads * batch, 8, "energy") && (!spin.len || expect(&spin, monomials, 8, "spin")) &&
                (!spin.len || expect(&spins, leads * batch, 8, "spins"));
    valid = valid && phi.len >= (Py_ssize_t)sizeof(double) * monomials * batch && pointer[0] == 0 &&
            pointer[2 * monomials] == nonzero;
    for (Py_ssize_t r = 0; valid && r < 2 * monomials; ++r) {
        valid = pointer[r] <= pointer[r + 1];
    }
    if (valid && (!in_range(indices.buf, nonzero, width) || !in_range(lead.buf, monomials, leads))) {
        valid = 0;
    }
    if (!valid) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_ValueError, "_loops.factored_currents: inconsistent matrix, monomials or leads");
        }
    } else {
        int status;
        Py_BEGIN_ALLOW_THREADS
        status = factored_currents(pointer, indices.buf, data.buf, rho.buf, phi.buf, lead.buf, spin.len ? spin.buf : NULL,
                                   charge.buf, energy.buf, spin.len ? spins.buf : NULL, monomials, width, leads, batch);
        Py_END_ALLOW_THREADS
        result = finished(status);
    }
    release(10, &indptr, &indices, &data, &rho, &phi, &lead, &spin, &charge, &energy, &spins);
    return result;
}

/* LAPACK's LU, from the capsules of scipy.linalg.cython_lapack (LP64: int indices). */
typedef void (*getrf_t)(int *, int *, double *, int *, int *, int *);
typedef void (*getrs_t)(char *, int *, int *, double *, int *, int *, double *, int *, int *);

/* Points whose kernels are made together (dense_steady): their copies are then read in the order
   they lie in memory, whichever axis is the fastest. */
#define GROUP 16

/* Where the kernels of dense_steady come from: a strided dense array (data == NULL; entry (r, c)
   of point b at k[b * sb + r * sr + c * sc], strides in items), or the factored product of
   numeric/coherent_factored.py, entry e = r * size + c of point b = sum over the CSR row e of
   data[j] * monomials[indices[j] * points + b], summed in the order of j as SciPy's product does. */
typedef struct {
    const double *k;
    Py_ssize_t sb, sr, sc;
    const int *indptr, *indices;
    const double *data, *monomials;
    Py_ssize_t points;
} kernel_source;

/* The kernels of points start .. start + width - 1 without their first rows (the trace replaces
   them): entry e = r * size + c of point b into out[b * point_stride + e * entry_stride] (the
   row-major copies of LAPACK's solve: entries, 1; the lane blocks of lane_steady: 1, LU_LANES). */
static void fill_kernels(const kernel_source *source, double *out, Py_ssize_t start, Py_ssize_t width, int size,
                         Py_ssize_t point_stride, Py_ssize_t entry_stride)
{
    size_t entries = (size_t)size * size;
    if (source->data != NULL) {
        csr_product(source->indptr, source->indices, source->data, source->monomials, source->points, start, size,
                    (Py_ssize_t)entries, out, point_stride, entry_stride, width);
        return;
    }
    const double *kg = source->k + start * source->sb;
    Py_ssize_t sb = source->sb, sr = source->sr, sc = source->sc;
    for (int r = 1; r < size; ++r) {
        if (sb < sc) { /* points fastest in memory */
            for (int c = 0; c < size; ++c) {
                const double *entry = kg + r * sr + c * sc;
                double *target = out + ((size_t)r * size + c) * entry_stride;
                for (Py_ssize_t b = 0; b < width; ++b) {
                    target[b * point_stride] = entry[b * sb];
                }
            }
        } else {
            for (Py_ssize_t b = 0; b < width; ++b) {
                const double *row = kg + b * sb + r * sr;
                double *target = out + b * point_stride + (size_t)r * size * entry_stride;
                for (int c = 0; c < size; ++c) {
                    target[c * entry_stride] = row[c * sc];
                }
            }
        }
    }
}

/* The pieces of a point's solve that dense_steady's two paths share, on right-hand sides laid out
   with entry i of column c at rhs[i * row + c * column] (column 0 the steady state, e_0, then the
   probes; LAPACK's: row 1, column size; a lane's: row columns * LU_LANES, column LU_LANES). */

/* e_0 and the probes (size x probes, row-major) as the right-hand sides. */
static void set_right_hand_sides(double *rhs, Py_ssize_t row, Py_ssize_t column, int size, const double *probe,
                                 int probes)
{
    for (int i = 0; i < size; ++i) {
        rhs[i * row] = i == 0;
        for (int p = 0; p < probes; ++p) {
            rhs[i * row + (p + 1) * column] = probe[(size_t)i * probes + p];
        }
    }
}

/* max |A_ii| of a kernel whose diagonal entries lie diagonal apart. */
static double largest_diagonal(const double *a, Py_ssize_t diagonal, int size)
{
    double scale = 0.0;
    for (int i = 0; i < size; ++i) {
        double d = fabs(a[i * diagonal]);
        scale = d > scale ? d : scale;
    }
    return scale;
}

/* The point's solution x and condition estimate from its solved right-hand sides: max|A^-1 probe|
   times scale (NaN where a value is not finite); at an exact zero pivot (singular) x = 0 and an
   infinite estimate. */
static void finish_point(const double *rhs, Py_ssize_t row, Py_ssize_t column, int size, int probes, double scale,
                         int singular, double *x, double *estimate)
{
    if (singular) {
        memset(x, 0, sizeof(double) * size);
        *estimate = HUGE_VAL;
        return;
    }
    double largest = 0.0;
    int finite = isfinite(scale);
    for (int i = 0; i < size; ++i) {
        x[i] = rhs[i * row];
        finite = finite && isfinite(x[i]);
        for (int p = 1; p <= probes; ++p) {
            double v = fabs(rhs[i * row + p * column]);
            finite = finite && isfinite(v);
            largest = v > largest ? v : largest;
        }
    }
    *estimate = finite ? largest * scale : NAN;
}

/* ---------------------------------------------------------------------------------------------
   LU of four kernels at once (LU_LANES), one per lane of a 256-bit vector (AVX2, chosen at run time).

   A point's kernel is small (a 16-state model's Lindblad kernel is 70 x 70), and LAPACK's LU
   runs at a quarter of its matrix-product speed there.  Laid out lane by lane (entry (i, j) of
   the four kernels side by side, a[((i * n + j) * LU_LANES + l]), the elimination of four kernels
   is one vector operation per entry and each lane still pivots on its own column (partial
   pivoting by rows, as LAPACK's dgetrf: the same pivots, the factors to rounding).  Two columns
   are eliminated per pass over the trailing block (rank-2 updates, four rows at a time), which
   halves the block's loads and stores.  A bias sweep's factored kernels are summed into the lane
   block directly (csr_lane_block), without row-major copies.  Measured on the 2-core machines
   (a standalone loop over random 70 x 70 matrices): 30-36 us a kernel against 57-62 us for
   dgetrf, equal to 1e-14 with the same pivots; at 200 x 200 the two take the same time (the lane
   block of four kernels, n^2 x 32 bytes, no longer fits the level-2 cache), so kernels above
   LU_LANE_MAX go to LAPACK. */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define LU_LANES_BUILT 1
#define LU_LANES 4
#define LU_LANE_MAX 150
#define AVX2 __attribute__((target("avx2")))
typedef double lane_t __attribute__((vector_size(32)));
typedef long long mask_t __attribute__((vector_size(32))); /* a lane compare's result: all ones or zeros */

/* Whether this processor has AVX2 (asked once). */
static int lanes_usable(void)
{
    static int usable = -1;
    if (usable < 0) {
        __builtin_cpu_init();
        usable = __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    return usable;
}

#define LU_ENTRY(a, n, i, j, l) (a)[(((size_t)(i) * (n) + (j)) * LU_LANES) + (l)]

/* Column k of every lane: the row of its largest |entry| at or below k (the first of equals, as
   LAPACK's idamax) swapped with row k (whole rows, as dgetrf's dlaswp does), pivots[k * LU_LANES +
   l] that row, zero[l] set at an exact zero pivot (the lane's factors are then meaningless), the
   column below k divided by the pivot.  The search is one vector compare per row; the lanes with
   the same pivot row are swapped together, by blends. */
AVX2 static void lane_pivot(double *a, int n, int k, int *pivots, int *zero)
{
    lane_t *rows = (lane_t *)a;
    const mask_t magnitude = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
    lane_t best = (lane_t)((mask_t)rows[(size_t)k * n + k] & magnitude);
    mask_t row = {k, k, k, k};
    for (int i = k + 1; i < n; ++i) {
        lane_t v = (lane_t)((mask_t)rows[(size_t)i * n + k] & magnitude);
        mask_t larger = v > best, here = {i, i, i, i};
        best = (lane_t)((larger & (mask_t)v) | (~larger & (mask_t)best));
        row = (larger & here) | (~larger & row);
    }
    int done = 0;
    for (int l = 0; l < LU_LANES; ++l) {
        pivots[k * LU_LANES + l] = (int)row[l];
        zero[l] |= best[l] == 0.0;
        if (row[l] == k || (done >> l & 1)) {
            continue;
        }
        mask_t same = row == (mask_t){row[l], row[l], row[l], row[l]};
        for (int m = l; m < LU_LANES; ++m) {
            done |= (same[m] != 0) << m;
        }
        lane_t *top = rows + (size_t)k * n, *other = rows + (size_t)row[l] * n;
        for (int j = 0; j < n; ++j) {
            mask_t t = (mask_t)top[j], o = (mask_t)other[j];
            top[j] = (lane_t)((same & o) | (~same & t));
            other[j] = (lane_t)((same & t) | (~same & o));
        }
    }
    lane_t reciprocal = 1.0 / rows[(size_t)k * n + k];
    for (int i = k + 1; i < n; ++i) {
        rows[(size_t)i * n + k] *= reciprocal;
    }
}

/* a = P L U in place, lane by lane (L unit lower, U upper), two columns per pass. */
AVX2 static void lane_lu(double *a, int n, int *pivots, int *zero)
{
    lane_t *rows = (lane_t *)a;
    int k = 0;
    for (; k + 1 < n; k += 2) {
        lane_pivot(a, n, k, pivots, zero);
        lane_t *u0 = rows + (size_t)k * n, *u1 = u0 + n;
        for (int i = k + 1; i < n; ++i) { /* column k + 1 updated by column k, then pivoted */
            rows[(size_t)i * n + k + 1] -= rows[(size_t)i * n + k] * u0[k + 1];
        }
        lane_pivot(a, n, k + 1, pivots, zero);
        lane_t l10 = u1[k];
        for (int j = k + 2; j < n; ++j) { /* row k + 1 of U */
            u1[j] -= l10 * u0[j];
        }
        int i = k + 2;
        for (; i + 3 < n; i += 4) { /* the trailing block: rank-2 updates, four rows at a time */
            lane_t *r0 = rows + (size_t)i * n, *r1 = r0 + n, *r2 = r1 + n, *r3 = r2 + n;
            lane_t a0 = r0[k], a1 = r1[k], a2 = r2[k], a3 = r3[k];
            lane_t b0 = r0[k + 1], b1 = r1[k + 1], b2 = r2[k + 1], b3 = r3[k + 1];
            for (int j = k + 2; j < n; ++j) {
                lane_t x = u0[j], y = u1[j];
                r0[j] -= a0 * x + b0 * y;
                r1[j] -= a1 * x + b1 * y;
                r2[j] -= a2 * x + b2 * y;
                r3[j] -= a3 * x + b3 * y;
            }
        }
        for (; i < n; ++i) {
            lane_t *r0 = rows + (size_t)i * n, a0 = r0[k], b0 = r0[k + 1];
            for (int j = k + 2; j < n; ++j) {
                r0[j] -= a0 * u0[j] + b0 * u1[j];
            }
        }
    }
    if (k < n) {
        lane_pivot(a, n, k, pivots, zero);
    }
}

/* Solves a x = b for the columns of b (b[(i * columns + c) * LU_LANES + l], overwritten by x) from
   lane_lu's factors: the row swaps, then L and U by substitution. */
AVX2 static void lane_solve(const double *a, int n, const int *pivots, double *b, int columns)
{
    const lane_t *rows = (const lane_t *)a;
    lane_t *x = (lane_t *)b;
    for (int k = 0; k < n; ++k) {
        for (int l = 0; l < LU_LANES; ++l) {
            int p = pivots[k * LU_LANES + l];
            for (int c = 0; p != k && c < columns; ++c) {
                double t = b[((size_t)k * columns + c) * LU_LANES + l];
                b[((size_t)k * columns + c) * LU_LANES + l] = b[((size_t)p * columns + c) * LU_LANES + l];
                b[((size_t)p * columns + c) * LU_LANES + l] = t;
            }
        }
    }
    /* column by column (each solved entry taken out of the rows below or above it): independent
       updates, where a dot product per entry waits on its one sum at every term */
    for (int j = 0; j < n; ++j) {
        const lane_t *solved = x + (size_t)j * columns;
        for (int i = j + 1; i < n; ++i) {
            lane_t factor = rows[(size_t)i * n + j], *target = x + (size_t)i * columns;
            for (int c = 0; c < columns; ++c) {
                target[c] -= factor * solved[c];
            }
        }
    }
    for (int j = n - 1; j >= 0; --j) {
        lane_t *solved = x + (size_t)j * columns, pivot = rows[(size_t)j * n + j];
        for (int c = 0; c < columns; ++c) {
            solved[c] /= pivot;
        }
        for (int i = 0; i < j; ++i) {
            lane_t factor = rows[(size_t)i * n + j], *target = x + (size_t)i * columns;
            for (int c = 0; c < columns; ++c) {
                target[c] -= factor * solved[c];
            }
        }
    }
}

/* dense_steady's solve of width (<= LU_LANES) points in the lane block work (their kernels there
   from the second row on, by fill_kernels): the trace written into each lane's first row, the
   lanes beyond width given the identity. */
AVX2 static void lane_steady(const double *trace, int width, int size, const double *probe, int probes, double *work,
                             double *solution, double *estimate)
{
    size_t entries = (size_t)size * size;
    int columns = 1 + probes, zero[LU_LANES] = {0};
    double *a = work, *rhs = a + entries * LU_LANES;
    int *pivots = (int *)(rhs + (size_t)size * columns * LU_LANES);
    double scale[LU_LANES] = {0.0};
    Py_ssize_t row = (Py_ssize_t)columns * LU_LANES, diagonal = (Py_ssize_t)(size + 1) * LU_LANES;
    for (int l = 0; l < LU_LANES; ++l) {
        if (l >= width) { /* the identity */
            for (size_t e = 0; e < entries; ++e) {
                a[e * LU_LANES + l] = 0.0;
            }
            for (int i = 0; i < size; ++i) {
                LU_ENTRY(a, size, i, i, l) = 1.0;
            }
        } else {
            for (int c = 0; c < size; ++c) {
                LU_ENTRY(a, size, 0, c, l) = trace[c];
            }
            scale[l] = largest_diagonal(a + l, diagonal, size);
        }
        set_right_hand_sides(rhs + l, row, LU_LANES, size, probe, probes);
    }
    lane_lu(a, size, pivots, zero);
    lane_solve(a, size, pivots, rhs, columns);
    for (int l = 0; l < width; ++l) {
        finish_point(rhs + l, row, LU_LANES, size, probes, scale[l], zero[l], solution + (size_t)l * size,
                     estimate + l);
    }
}
#else
#define LU_LANES_BUILT 0
#define LU_LANE_MAX 0
static int lanes_usable(void) { return 0; }
#endif

#if LU_LANES_BUILT
/* csr_lanes of LU_LANES points into a lane block (rows first .. last - 1), inlined here to be
   compiled for AVX2: one vector of sums per row, the same products and sums in the same order
   (bitwise the same kernels). */
AVX2 static void csr_lane_block(const int *indptr, const int *indices, const double *data, const double *x,
                                Py_ssize_t points, Py_ssize_t start, Py_ssize_t first, Py_ssize_t last, double *out)
{
    csr_lanes(indptr, indices, data, x, points, start, first, last, out, 1, LU_LANES, LU_LANES);
}

/* dense_steady by lane_steady, LU_LANES points at a time, their kernels filled into the lane block
   directly.  Returns 0, or -1 where memory ran out. */
static int lanes_steady(const kernel_source *source, const double *trace, const double *probe, double *solution,
                        double *estimate, int size, int probes, Py_ssize_t batch)
{
    size_t entries = (size_t)size * size, columns = 1 + (size_t)probes;
    /* the kernels, right-hand sides and pivots of the lanes, aligned for the vector loads */
    char *block = malloc(sizeof(double) * LU_LANES * (entries + size * columns) + sizeof(int) * LU_LANES * size + 32);
    if (block == NULL) {
        return -1;
    }
    double *work = (double *)(block + (32 - (uintptr_t)block % 32) % 32);
    for (Py_ssize_t start = 0; start < batch; start += LU_LANES) {
        int count = batch - start < LU_LANES ? (int)(batch - start) : LU_LANES;
        if (source->data != NULL && count == LU_LANES) {
            csr_lane_block(source->indptr, source->indices, source->data, source->monomials, source->points, start,
                           size, (Py_ssize_t)entries, work);
        } else {
            fill_kernels(source, work, start, count, size, 1, LU_LANES);
        }
        lane_steady(trace, count, size, probe, probes, work, solution + start * size, estimate + start);
    }
    free(block);
    return 0;
}
#endif

/* The steady state of each point's kernel A, as numeric/coherent.py's _solved does with NumPy: A
   with its first row replaced by the trace, solved for e_0 and for the probes (size x probes,
   row-major) by one LU.  solution[b * size + i] receives x, estimate[b] the condition estimate
   max|A^-1 probe| times max|A_ii| (infinite where LU meets an exact zero pivot, NaN where a value
   is not finite).  With lanes (and AVX2, and size <= LU_LANE_MAX) by lanes_steady, A itself
   factored; otherwise one LAPACK LU per point of A transposed, which is A's row-major copy read as
   column-major (dgetrs solves A x = b with trans = 'T'): the same estimates, the solutions to
   rounding.  Returns 0, or -1 where memory ran out. */
static int dense_steady(const kernel_source *source, const double *trace, const double *probe, double *solution,
                        double *estimate, int size, int probes, Py_ssize_t batch, getrf_t getrf, getrs_t getrs,
                        int lanes)
{
#if LU_LANES_BUILT
    if (lanes && size <= LU_LANE_MAX && lanes_usable()) {
        return lanes_steady(source, trace, probe, solution, estimate, size, probes, batch);
    }
#endif
    size_t entries = (size_t)size * size;
    /* at most GROUP points, and copies of about 32 MB where the kernels are large */
    Py_ssize_t group = (Py_ssize_t)(((size_t)1 << 22) / entries);
    group = group < 1 ? 1 : (group > GROUP ? GROUP : group);
    int columns = 1 + probes, info = 0;
    double *copies = malloc(sizeof(double) * ((size_t)group * entries + (size_t)size * columns));
    int *pivots = malloc(sizeof(int) * (size_t)size);
    if (copies == NULL || pivots == NULL) {
        free(copies);
        free(pivots);
        return -1;
    }
    double *rhs = copies + (size_t)group * entries;
    char transposed = 'T';
    for (Py_ssize_t start = 0; start < batch; start += group) {
        Py_ssize_t width = batch - start < group ? batch - start : group;
        fill_kernels(source, copies, start, width, size, (Py_ssize_t)entries, 1);
        for (Py_ssize_t b = 0; b < width; ++b) {
            double *a = copies + b * entries;
            memcpy(a, trace, sizeof(double) * size);
            double scale = largest_diagonal(a, size + 1, size);
            set_right_hand_sides(rhs, 1, size, size, probe, probes);
            getrf(&size, &size, a, &size, pivots, &info);
            if (info <= 0) {
                getrs(&transposed, &size, &columns, a, &size, pivots, rhs, &size, &info);
            }
            finish_point(rhs, 1, size, size, probes, scale, info > 0, solution + (start + b) * size,
                         estimate + start + b);
        }
    }
    free(copies);
    free(pivots);
    return 0;
}

/* The function pointer of a cython_lapack capsule, or NULL with an exception set. */
static void *lapack_function(PyObject *capsule)
{
    if (!PyCapsule_CheckExact(capsule)) {
        PyErr_SetString(PyExc_TypeError, "_loops.dense_steady: expected a capsule of scipy.linalg.cython_lapack");
        return NULL;
    }
    return PyCapsule_GetPointer(capsule, PyCapsule_GetName(capsule));
}

/* The LU routines of the capsules, or 0 with an exception set. */
static int lapack_functions(PyObject *getrf_capsule, PyObject *getrs_capsule, getrf_t *getrf, getrs_t *getrs)
{
    *getrf = (getrf_t)lapack_function(getrf_capsule);
    *getrs = *getrf ? (getrs_t)lapack_function(getrs_capsule) : NULL;
    return *getrs != NULL;
}

/* dense_steady(source, trace, probes, solutions, estimates, getrf, getrs, lanes) after the checks
   common to both kinds of kernels: trace float64 (size,), probes float64 (size, P), solutions
   float64 (batch, size), estimates float64 (batch,). */
static PyObject *solve_kernels(kernel_source *source, Py_ssize_t size, Py_ssize_t batch, Py_buffer *trace,
                               Py_buffer *probes, Py_buffer *solutions, Py_buffer *estimates, PyObject *getrf_capsule,
                               PyObject *getrs_capsule, int lanes)
{
    getrf_t getrf;
    getrs_t getrs;
    Py_ssize_t items = probes->len / 8 / size;
    if (!expect(trace, size, 8, "trace") || items < 1 || !expect(probes, size * items, 8, "probes") ||
        !expect(solutions, batch * size, 8, "solutions") || !expect(estimates, batch, 8, "estimates") ||
        !lapack_functions(getrf_capsule, getrs_capsule, &getrf, &getrs)) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_ValueError, "_loops: needs at least one probe");
        }
        return NULL;
    }
    int status;
    Py_BEGIN_ALLOW_THREADS
    status = dense_steady(source, trace->buf, probes->buf, solutions->buf, estimates->buf, (int)size, (int)items, batch,
                          getrf, getrs, lanes);
    Py_END_ALLOW_THREADS
    if (status < 0) {
        return PyErr_NoMemory();
    }
    Py_RETURN_NONE;
}

/* dense_steady(kernels, trace, probes, solutions, estimates, getrf, getrs, lanes): kernels any
   float64 (batch, size, size) array (strided); lanes true to solve by lane_steady where it can. */
static PyObject *dense_steady_py(PyObject *self, PyObject *args)
{
    PyObject *kernels_object, *getrf_capsule, *getrs_capsule, *result = NULL;
    Py_buffer kernels, trace, probes, solutions, estimates;
    int lanes;
    if (!PyArg_ParseTuple(args, "Oy*y*w*w*OOp", &kernels_object, &trace, &probes, &solutions, &estimates,
                          &getrf_capsule, &getrs_capsule, &lanes)) {
        return NULL;
    }
    if (PyObject_GetBuffer(kernels_object, &kernels, PyBUF_RECORDS_RO) == 0) {
        int valid = kernels.ndim == 3 && kernels.itemsize == 8 && kernels.format != NULL &&
                    strcmp(kernels.format, "d") == 0 && kernels.shape[1] == kernels.shape[2] &&
                    kernels.shape[1] >= 1 && kernels.shape[1] <= 4096;
        for (int i = 0; valid && i < 3; ++i) {
            valid = kernels.strides[i] % 8 == 0;
        }
        if (!valid) {
            PyErr_SetString(PyExc_ValueError, "_loops.dense_steady: kernels must be float64 (batch, size, size)");
        } else {
            kernel_source source = {kernels.buf, kernels.strides[0] / 8, kernels.strides[1] / 8, kernels.strides[2] / 8,
                                    NULL, NULL, NULL, NULL, 0};
            result = solve_kernels(&source, kernels.shape[1], kernels.shape[0], &trace, &probes, &solutions, &estimates,
                                   getrf_capsule, getrs_capsule, lanes);
        }
        PyBuffer_Release(&kernels);
    }
    release(4, &trace, &probes, &solutions, &estimates);
    return result;
}

/* factored_steady(indptr, indices, data, monomials, size, trace, probes, solutions, estimates, getrf,
   getrs, lanes): the CSR matrix (size^2 rows; int32 indptr and indices, float64 data) of the factored
   kernel and its float64 (columns, batch) monomials, C-contiguous. */
static PyObject *factored_steady_py(PyObject *self, PyObject *args)
{
    PyObject *getrf_capsule, *getrs_capsule, *result = NULL;
    Py_buffer indptr, indices, data, monomials, trace, probes, solutions, estimates;
    Py_ssize_t size, batch;
    int lanes;
    if (!PyArg_ParseTuple(args, "y*y*y*y*nny*y*w*w*OOp", &indptr, &indices, &data, &monomials, &size, &batch, &trace,
                          &probes, &solutions, &estimates, &getrf_capsule, &getrs_capsule, &lanes)) {
        return NULL;
    }
    Py_ssize_t rows = size * size, nonzero = data.len / 8, columns = batch > 0 ? monomials.len / 8 / batch : 0;
    const int *pointer = indptr.buf, *column = indices.buf;
    int valid = size >= 1 && size <= 4096 && batch >= 1 && expect(&indptr, rows + 1, 4, "indptr") &&
                expect(&indices, nonzero, 4, "indices") && expect(&monomials, columns * batch, 8, "monomials");
    valid = valid && pointer[0] == 0 && pointer[rows] == nonzero;
    for (Py_ssize_t e = 0; valid && e < rows; ++e) {
        valid = pointer[e] <= pointer[e + 1];
    }
    int outside = 0;
    for (Py_ssize_t j = 0; valid && j < nonzero; ++j) {
        outside |= (column[j] < 0) | (column[j] >= columns);
    }
    if (!valid || outside) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_ValueError, "_loops.factored_steady: not a CSR matrix of size^2 rows on the monomials");
        }
    } else {
        kernel_source source = {NULL, 0, 0, 0, pointer, column, data.buf, monomials.buf, batch};
        result = solve_kernels(&source, size, batch, &trace, &probes, &solutions, &estimates, getrf_capsule,
                               getrs_capsule, lanes);
    }
    release(8, &indptr, &indices, &data, &monomials, &trace, &probes, &solutions, &estimates);
    return result;
}

/* LAPACK's symmetric eigensolver (divide and conquer), from a capsule of scipy.linalg.cython_lapack. */
typedef void (*syevd_t)(char *, char *, int *, double *, int *, double *, double *, int *, int *, int *, int *);

/* Eigenvalues (ascending) and eigenvectors (columns) of batch real symmetric n x n matrices h
   (row-major, batch after batch), as numpy.linalg.eigh computes them: each matrix copied into
   Fortran order and dsyevd given its lower triangle.  Returns 0, -1 where memory ran out, or the
   LAPACK info of the first point that failed (> 0: no convergence). */
static int symmetric_eigensystems(const double *h, double *values, double *vectors, int n, Py_ssize_t batch,
                                  syevd_t syevd)
{
    size_t entries = (size_t)n * n;
    int lwork = 1 + 6 * n + 2 * n * n, liwork = 3 + 5 * n, info = 0;
    double *a = malloc(sizeof(double) * (entries + (size_t)lwork));
    int *iwork = malloc(sizeof(int) * (size_t)liwork);
    if (a == NULL || iwork == NULL) {
        free(a);
        free(iwork);
        return -1;
    }
    double *work = a + entries;
    char jobz = 'V', lower = 'L';
    for (Py_ssize_t b = 0; b < batch && info == 0; ++b) {
        const double *hb = h + b * entries;
        for (int i = 0; i < n; ++i) {
            for (int j = 0; j < n; ++j) {
                a[(size_t)j * n + i] = hb[(size_t)i * n + j];
            }
        }
        syevd(&jobz, &lower, &n, a, &n, values + b * n, work, &lwork, iwork, &liwork, &info);
        double *vb = vectors + b * entries;
        for (int i = 0; i < n; ++i) {
            for (int k = 0; k < n; ++k) {
                vb[(size_t)i * n + k] = a[(size_t)k * n + i];
            }
        }
    }
    free(a);
    free(iwork);
    return info;
}

/* symmetric_eigensystems(h, values, vectors, n, batch, syevd): h float64 (batch, n, n), values
   float64 (batch, n) and vectors float64 (batch, n, n) written, C-contiguous. */
static PyObject *symmetric_eigensystems_py(PyObject *self, PyObject *args)
{
    Py_buffer h, values, vectors;
    Py_ssize_t n, batch;
    PyObject *capsule, *result = NULL;
    if (!PyArg_ParseTuple(args, "y*w*w*nnO", &h, &values, &vectors, &n, &batch, &capsule)) {
        return NULL;
    }
    syevd_t syevd = NULL;
    if (n < 1 || n > 4096 || batch < 0) {
        PyErr_SetString(PyExc_ValueError, "_loops.symmetric_eigensystems: needs 1 <= n <= 4096");
    } else if (expect(&h, n * n * batch, 8, "h") && expect(&values, n * batch, 8, "values") &&
               expect(&vectors, n * n * batch, 8, "vectors") && (syevd = (syevd_t)lapack_function(capsule)) != NULL) {
        int status;
        Py_BEGIN_ALLOW_THREADS
        status = symmetric_eigensystems(h.buf, values.buf, vectors.buf, (int)n, batch, syevd);
        Py_END_ALLOW_THREADS
        if (status < 0) {
            PyErr_NoMemory();
        } else if (status > 0) {
            PyErr_SetString(PyExc_ArithmeticError, "_loops.symmetric_eigensystems: eigenvalues did not converge");
        } else {
            result = Py_None;
            Py_INCREF(result);
        }
    }
    release(3, &h, &values, &vectors);
    return result;
}

/* lanes_supported(size): whether dense_steady with lanes solves kernels of this size by lane_steady
   (built for x86 with GCC or Clang, an AVX2 processor, size <= LU_LANE_MAX). */
static PyObject *lanes_supported_py(PyObject *self, PyObject *args)
{
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "n", &size)) {
        return NULL;
    }
    return PyBool_FromLong(LU_LANES_BUILT && size >= 1 && size <= LU_LANE_MAX && lanes_usable());
}

static PyMethodDef methods[] = {
    {"steady_state_gth", steady_state_gth, METH_VARARGS, "GTH steady states of (n, n, batch) transfer matrices."},
    {"transfer_matrix", transfer_matrix, METH_VARARGS, "Rates summed into their (target, source) slots."},
    {"flat_currents", flat_currents_py, METH_VARARGS, "Currents per lead from the flat layout's rates."},
    {"remove_residuals", remove_residuals_py, METH_VARARGS, "A current's conservation residual removed in place."},
    {"pair_product_sums", pair_product_sums_py, METH_VARARGS, "Weighted products of pairs of rows, summed into slots."},
    {"lindblad_monomials", lindblad_monomials_py, METH_VARARGS, "The Lindblad monomials s_a s_b of the rates."},
    {"gather_densities", gather_densities_py, METH_VARARGS, "The flat density matrices of the solved parameters."},
    {"factored_currents", factored_currents_py, METH_VARARGS, "The currents of a chunk of one eigensystem."},
    {"dense_steady", dense_steady_py, METH_VARARGS, "Steady states of dense kernels by LAPACK's LU, with probes."},
    {"symmetric_eigensystems", symmetric_eigensystems_py, METH_VARARGS, "numpy.linalg.eigh of real symmetric matrices."},
    {"factored_steady", factored_steady_py, METH_VARARGS, "Steady states of factored kernels by LAPACK's LU."},
    {"lanes_supported", lanes_supported_py, METH_VARARGS, "Whether kernels of this size are solved lane by lane."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_loops", "Compiled loops of the small-model solve.", -1,
                                    methods};

#ifndef LOOPS_SOURCE
#define LOOPS_SOURCE "unknown"
#endif

PyMODINIT_FUNC PyInit__loops(void)
{
    lanes_usable(); /* the processor asked here, not first in a loop that runs without the GIL */
    PyObject *loops = PyModule_Create(&module);
    /* the SHA-256 of the source this was built from (setup.py) */
    if (loops != NULL && PyModule_AddStringConstant(loops, "SOURCE", LOOPS_SOURCE) < 0) {
        Py_DECREF(loops);
        return NULL;
    }
    return loops;
}
