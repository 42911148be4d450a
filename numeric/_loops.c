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
#include <math.h>
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
    PyBuffer_Release(&transfer);
    PyBuffer_Release(&probabilities);
    PyBuffer_Release(&failed);
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
    PyBuffer_Release(&rates);
    PyBuffer_Release(&slots);
    PyBuffer_Release(&out);
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

static PyMethodDef methods[] = {
    {"steady_state_gth", steady_state_gth, METH_VARARGS, "GTH steady states of (n, n, batch) transfer matrices."},
    {"transfer_matrix", transfer_matrix, METH_VARARGS, "Rates summed into their (target, source) slots."},
    {"flat_currents", flat_currents_py, METH_VARARGS, "Currents per lead from the flat layout's rates."},
    {"remove_residuals", remove_residuals_py, METH_VARARGS, "A current's conservation residual removed in place."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_loops", "Compiled loops of the small-model solve.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__loops(void)
{
    return PyModule_Create(&module);
}
