"""Numba CUDA kernels. Imported only when a GPU call is made (it imports numba).

Shared-memory sizes must be compile-time constants, so the kernels that hold frames or
tiles in shared memory are built by factories, one per (n_fft, dtype) or dtype, and cached.

The STFT kernels (one block per clip and batch of ``FPB`` frames):

1. frame, pad (constant/edge/reflect, as the C++ ``padded_sample``) and window the samples,
   packing each real frame x of n_fft samples as the complex sequence z[m] = x[2m] + i x[2m+1]
   of H = n_fft / 2 points, stored in bit-reversed order in shared memory;
2. an iterative radix-2^2 FFT of the H points in shared memory (two radix-2 stages per pass;
   twiddles from the host);
3. the real spectrum X[k] = E[k] + W^k O[k], k = 0..H, from Z[k] and conj(Z[H - k]).

``stft`` writes X; ``mel`` keeps |X|^power in shared memory, projects it on the sparse mel
rows (only each filter's nonzero span), optionally takes dB and the per-clip peak, and writes
only the (n_mels, n_frames) result: the spectrogram never goes through global memory.
"""

from __future__ import annotations

import functools
import math

import numba
import numpy as np
from numba import cuda

from ._runtime import simulator

# The simulator runs every thread as a Python thread: smaller blocks there keep the tests quick
# and make every strided loop take several turns.
_SIM = simulator()
THREADS = 32 if _SIM else 128  # threads per block of the frame kernels
# k-means assignment (see assign_kernel): threads per block, bytes of registers per thread and row
# for the dot products (8 x 8 float32, 4 x 4 float64), features staged per step
ASSIGN_THREADS = (2, 2) if _SIM else (16, 16)
ASSIGN_REGISTERS = 8 if _SIM else 32
ASSIGN_FEATURES = 4 if _SIM else 8
SHARED_BUDGET = 40 * 1024  # bytes of shared memory per block for the frame kernels
MAX_FRAMES_PER_BLOCK = 8
MAX_GRID_Y = 2 if _SIM else 65535  # frame batches per clip in the grid; blocks loop over the rest (2 in
# the simulator, so that tests take both paths: several blocks per clip, several batches per block)


def frames_per_block(n_fft: int, itemsize: int) -> int:
    """Frames a block holds: the complex FFT buffer (n_fft values) and the power (n_fft/2 + 1)."""
    per_frame = (n_fft + n_fft // 2 + 1) * itemsize
    return max(1, min(MAX_FRAMES_PER_BLOCK, SHARED_BUDGET // per_frame))


def max_n_fft(itemsize: int) -> int:
    """The largest power-of-two n_fft whose single frame fits in the shared-memory budget."""
    n = 2
    while (2 * n + n + 1) * itemsize <= SHARED_BUDGET:  # does 2n fit?
        n *= 2
    return n


def twiddles(n_fft: int, dtype) -> tuple[np.ndarray, ...]:
    """(fft_re, fft_im, post_re, post_im): exp(-2 pi i k / H), k < H/2, for the H-point FFT,
    and exp(-2 pi i k / n_fft), k <= H, for the real split (computed in float64)."""
    h = n_fft // 2
    k = np.arange(max(1, h // 2))
    fft = np.exp(-2j * np.pi * k / h)
    post = np.exp(-2j * np.pi * np.arange(h + 1) / n_fft)
    return tuple(np.ascontiguousarray(a, dtype=dtype) for a in (fft.real, fft.imag, post.real, post.imag))


@functools.lru_cache(maxsize=None)
def spectral_kernels(n_fft: int, dtype_name: str):
    """(stft_kernel, mel_kernel, FPB) for a power-of-two ``n_fft`` and float dtype."""
    np_dtype = np.dtype(dtype_name)
    nb_dtype = numba.from_dtype(np_dtype)
    H = n_fft // 2
    LOG2H = H.bit_length() - 1
    Q = max(1, H // 2)  # radix-2 butterflies per frame and stage
    LOG2Q = Q.bit_length() - 1
    R = max(1, H // 4)  # radix-2^2 groups per frame and pair of stages
    LOG2R = R.bit_length() - 1
    FPB = frames_per_block(n_fft, np_dtype.itemsize)
    NB = H + 1  # bins of the real spectrum
    BUF = FPB * H
    PBUF = FPB * NB
    ZERO = np_dtype.type(0)
    HALF = np_dtype.type(0.5)
    TEN = np_dtype.type(10)
    NEG_INF = np_dtype.type(-np.inf)
    T = THREADS

    @cuda.jit(device=True)
    def padded_sample(y, c, n, u, mode):
        if u >= 0 and u < n:
            return y[c, u]
        if mode == 1:  # edge
            if u < 0:
                return y[c, 0]
            return y[c, n - 1]
        if mode == 2:  # reflect (numpy's, repeated for pads longer than the signal)
            if n == 1:
                return y[c, 0]
            period = 2 * (n - 1)
            r = u % period
            if r < 0:
                r += period
            if r < n:
                return y[c, r]
            return y[c, period - r]
        return ZERO

    @cuda.jit(device=True)
    def load_frames(y, c, window, t0, n_frames, hop, pad, mode, re, im, tid):
        n = y.shape[1]
        for j in range(tid, BUF, T):
            f = j // H
            m = j - f * H
            t = t0 + f
            a = ZERO
            b = ZERO
            if t < n_frames:
                u = t * hop - pad + 2 * m
                a = padded_sample(y, c, n, u, mode) * window[2 * m]
                b = padded_sample(y, c, n, u + 1, mode) * window[2 * m + 1]
            r = 0  # m's LOG2H bits reversed
            if LOG2H:
                r = cuda.brev(numba.uint32(m)) >> (32 - LOG2H)
            re[f * H + r] = a
            im[f * H + r] = b

    @cuda.jit(device=True)
    def fft_in_place(re, im, twr, twi, tid):
        # Radix 2^2: the stages s and s + 1 in one pass, each thread taking the four points
        # i0 + {0, h, 2h, 3h} (h = 2^s) that those two stages combine: stage s joins (i0, i1) and
        # (i2, i3) with W_2h^p, stage s + 1 joins (i0, i2) with W_4h^p and (i1, i3) with
        # W_4h^(p+h) = -i W_4h^p. A last radix-2 stage when LOG2H is odd. Index arithmetic is
        # shifts and masks in uint32: a division by a run-time value costs tens of instructions.
        for pair in range(LOG2H // 2):
            s = numba.uint32(2 * pair)
            h = numba.uint32(1) << s
            stride = numba.uint32(H) >> (s + 1)  # W_2h^p = tw[p stride], W_4h^p = tw[p stride / 2]
            for j in range(tid, FPB * R, T):
                u = numba.uint32(j)
                b = u & (R - 1)
                p = b & (h - 1)
                i0 = ((u >> LOG2R) << LOG2H) + ((b >> s) << (s + 2)) + p
                i1 = i0 + h
                i2 = i1 + h
                i3 = i2 + h
                w1r = twr[p * stride]
                w1i = twi[p * stride]
                w2r = twr[p * (stride >> 1)]
                w2i = twi[p * (stride >> 1)]
                xr = re[i1] * w1r - im[i1] * w1i  # stage s
                xi = re[i1] * w1i + im[i1] * w1r
                b0r = re[i0] + xr
                b0i = im[i0] + xi
                b1r = re[i0] - xr
                b1i = im[i0] - xi
                xr = re[i3] * w1r - im[i3] * w1i
                xi = re[i3] * w1i + im[i3] * w1r
                b2r = re[i2] + xr
                b2i = im[i2] + xi
                b3r = re[i2] - xr
                b3i = im[i2] - xi
                xr = b2r * w2r - b2i * w2i  # stage s + 1
                xi = b2r * w2i + b2i * w2r
                re[i0] = b0r + xr
                im[i0] = b0i + xi
                re[i2] = b0r - xr
                im[i2] = b0i - xi
                xr = b3r * w2i + b3i * w2r  # (b3 W_4h^p) (-i) = (Im, -Re)
                xi = b3i * w2i - b3r * w2r
                re[i1] = b1r + xr
                im[i1] = b1i + xi
                re[i3] = b1r - xr
                im[i3] = b1i - xi
            cuda.syncthreads()
        if LOG2H % 2:  # the last stage alone: h = H / 2, twiddles W_H^p, p < H / 2
            for j in range(tid, FPB * Q, T):
                u = numba.uint32(j)
                p = u & (Q - 1)
                i0 = ((u >> LOG2Q) << LOG2H) + p
                i1 = i0 + Q
                xr = re[i1] * twr[p] - im[i1] * twi[p]
                xi = re[i1] * twi[p] + im[i1] * twr[p]
                ar = re[i0]
                ai = im[i0]
                re[i1] = ar - xr
                im[i1] = ai - xi
                re[i0] = ar + xr
                im[i0] = ai + xi
            cuda.syncthreads()

    @cuda.jit(device=True)
    def spectrum_at(re, im, f, k, pr, pi):
        a = f * H + (k % H)
        b = f * H + ((H - k) % H)
        zr = re[a]
        zi = im[a]
        cr = re[b]
        ci = -im[b]
        er = (zr + cr) * HALF
        ei = (zi + ci) * HALF
        odr = (zi - ci) * HALF
        odi = (cr - zr) * HALF
        wr = pr[k]
        wi = pi[k]
        return er + wr * odr - wi * odi, ei + wr * odi + wi * odr

    @cuda.jit
    def stft_kernel(y, window, twr, twi, pr, pi, out, hop, pad, n_frames, mode):
        c = cuda.blockIdx.x
        tid = cuda.threadIdx.x
        re = cuda.shared.array(BUF, nb_dtype)
        im = cuda.shared.array(BUF, nb_dtype)
        t0 = cuda.blockIdx.y * FPB
        while t0 < n_frames:  # more frame batches than grid rows: the block takes several
            load_frames(y, c, window, t0, n_frames, hop, pad, mode, re, im, tid)
            cuda.syncthreads()
            fft_in_place(re, im, twr, twi, tid)
            for j in range(tid, PBUF, T):
                k = j // FPB
                f = j - k * FPB
                t = t0 + f
                if t < n_frames:
                    xr, xi = spectrum_at(re, im, f, k, pr, pi)
                    out[c, k, t] = complex(xr, xi)
            cuda.syncthreads()
            t0 += cuda.gridDim.y * FPB

    @cuda.jit
    def mel_kernel(y, window, twr, twi, pr, pi, vals, starts, lens, offs, out, peak, hop, pad, n_frames, mode,
                   power, decibels, clip, amin, ref_db):
        c = cuda.blockIdx.x
        tid = cuda.threadIdx.x
        re = cuda.shared.array(BUF, nb_dtype)
        im = cuda.shared.array(BUF, nb_dtype)
        pw = cuda.shared.array(PBUF, nb_dtype)
        n_mels = out.shape[1]
        top = NEG_INF
        t0 = cuda.blockIdx.y * FPB
        while t0 < n_frames:  # more frame batches than grid rows: the block takes several
            load_frames(y, c, window, t0, n_frames, hop, pad, mode, re, im, tid)
            cuda.syncthreads()
            fft_in_place(re, im, twr, twi, tid)
            for j in range(tid, PBUF, T):
                f = j // NB
                k = j - f * NB
                xr, xi = spectrum_at(re, im, f, k, pr, pi)
                p = xr * xr + xi * xi
                if power == 1:
                    p = math.sqrt(p)
                elif power != 2:
                    p = p ** (power * HALF)
                pw[j] = p
            cuda.syncthreads()
            for j in range(tid, FPB * n_mels, T):
                m = j // FPB
                f = j - m * FPB
                t = t0 + f
                if t < n_frames:
                    base = f * NB + starts[m]
                    o = offs[m]
                    s = ZERO
                    for q in range(lens[m]):
                        s += vals[o + q] * pw[base + q]
                    if decibels:
                        s = TEN * math.log10(max(amin, s)) - ref_db
                        top = max(top, s)
                    out[c, m, t] = s
            # No barrier: the next batch's frames go to re and im, read before the last one, and
            # pw is written again only after the barrier that follows them.
            t0 += cuda.gridDim.y * FPB
        if clip:
            cuda.atomic.max(peak, c, top)

    return stft_kernel, mel_kernel, FPB


# ----------------------------------------------------------------------------- elementwise and projections
# One thread per output element (cuda.grid, ceil-division grids from grid_1d), written as a
# grid-stride loop whose guard is the loop bound; numba compiles one version per argument dtype.


@cuda.jit(device=True)
def unravel3(i, n_middle, n_last):
    """(first, middle, last): the indices of element i of a C-ordered (., n_middle, n_last) array."""
    r = i // n_last
    return r // n_middle, r % n_middle, i % n_last


FLAG_THREADS = 1024 * 256  # threads of finite_kernel's grid at most: about what a GPU holds (an H200 132 x 2048)


@cuda.jit
def finite_kernel(x, flag):
    """flag[0] = 1 if any element of the flat x is NaN or infinite; flag[1] = 1 if one is negative.

    Each thread scans its grid-stride share, then each block stores each flag once: a store from every warp
    that finds a negative sample (nearly every warp of audio) would queue on one word in one L2 slice.
    Launch it on at most FLAG_THREADS threads."""
    non_finite = 0
    negative = 0
    for i in range(cuda.grid(1), x.shape[0], cuda.gridsize(1)):
        v = x[i]
        if math.isnan(v) or math.isinf(v):
            non_finite = 1
        if v < 0:
            negative = 1
    non_finite = cuda.syncthreads_or(non_finite)
    negative = cuda.syncthreads_or(negative)
    if cuda.threadIdx.x == 0:
        if non_finite:
            flag[0] = 1
        if negative:
            flag[1] = 1


@cuda.jit
def db_kernel(S, out, peak, amin, ref_db, clip, ten):
    """out = 10 log10(max(amin, S)) - ref_db over (items, size); the per-item peak if clip."""
    items, size = S.shape
    for i in range(cuda.grid(1), items * size, cuda.gridsize(1)):
        c = i // size
        e = i - c * size
        v = ten * math.log10(max(amin, S[c, e])) - ref_db
        out[c, e] = v
        if clip:
            cuda.atomic.max(peak, c, v)


@cuda.jit
def clip_kernel(out, peak, top_db):
    """out[c] = max(out[c], peak[c] - top_db) over (items, size)."""
    items, size = out.shape
    for i in range(cuda.grid(1), items * size, cuda.gridsize(1)):
        c = i // size
        e = i - c * size
        floor = peak[c] - top_db
        if out[c, e] < floor:
            out[c, e] = floor


@cuda.jit
def project_kernel(vals, starts, lens, offs, X, out, zero):
    """out[c, o, t] = sum_q vals[offs[o] + q] X[c, starts[o] + q, t]: a basis stored as the
    nonzero span of each row (a dense DCT row is one span; a mel row is its triangle)."""
    rows, n_out, n_t = out.shape
    for i in range(cuda.grid(1), rows * n_out * n_t, cuda.gridsize(1)):
        c, o, t = unravel3(i, n_out, n_t)
        s = zero
        base = starts[o]
        off = offs[o]
        for q in range(lens[o]):
            s += vals[off + q] * X[c, base + q, t]
        out[c, o, t] = s


@cuda.jit
def normalize_columns_kernel(X, norm, p, tiny):
    """Each column of X (items, n, t) divided in place by its norm over axis 1, as
    fasttag._normalize.normalize: norm 1 max |x|, 2 min |x|, 3 the count of nonzeros, 4 the
    p-norm. The norm is taken in float64; one below tiny leaves the column as it is."""
    items, n, n_t = X.shape
    for i in range(cuda.grid(1), items * n_t, cuda.gridsize(1)):
        t = i % n_t
        c = i // n_t
        length = 0.0
        if norm <= 2:
            length = abs(X[c, 0, t]) * 1.0
        for r in range(n):
            v = abs(X[c, r, t]) * 1.0
            if norm == 1:
                length = max(length, v)
            elif norm == 2:
                length = min(length, v)
            elif norm == 3:
                if v > 0:
                    length += 1.0
            elif p == 2.0:
                length += v * v
            else:
                length += v ** p
        if norm == 4:
            length = math.sqrt(length) if p == 2.0 else length ** (1.0 / p)
        if length >= tiny:
            for r in range(n):
                X[c, r, t] = X[c, r, t] / length


@cuda.jit
def delta_kernel(X, M, out):
    """Savitzky-Golay derivative along axis 1 of (outer, L, inner), mode "interp": each output
    is a row of the (width, width) matrix M applied to a window of inputs (the centre row
    inside, the edge rows within width // 2 of either end)."""
    outer, n, inner = X.shape
    for i in range(cuda.grid(1), outer * n * inner, cuda.gridsize(1)):
        a, t, k = unravel3(i, n, inner)
        width = M.shape[0]
        half = width // 2
        if t < half:
            row = t
            base = 0
        elif t >= n - half:
            row = width - (n - t)
            base = n - width
        else:
            row = half
            base = t - half
        s = M[row, 0] * X[a, base, k]
        for j in range(1, width):
            s += M[row, j] * X[a, base + j, k]
        out[a, t, k] = s


# ----------------------------------------------------------------------------- onset strength and tempogram


@cuda.jit
def onset_flux_kernel(S, ref, max_filtered, lag, max_size, pad_width, out):
    """out[c, t] (rows, n_out) = the mean over bands f of max(0, S[c, f, u + lag] - R[c, f, u]),
    u = t - pad_width, and 0 where u < 0 or u + lag >= n_frames (S is (rows, n_bands, n_frames)).
    R is ``ref``, or with max_filtered S's maximum over max_size bands (scipy's maximum_filter1d,
    mode "reflect"). Differences in S's dtype, their sum in float64."""
    rows, n_bands, n_frames = S.shape
    n_out = out.shape[1]
    period = 2 * n_bands
    for i in range(cuda.grid(1), rows * n_out, cuda.gridsize(1)):
        t = i % n_out
        c = i // n_out
        u = t - pad_width
        s = 0.0
        if u >= 0 and u + lag < n_frames:
            for f in range(n_bands):
                r = ref[c, f, u]
                if max_filtered:
                    for g in range(f - max_size // 2, f - max_size // 2 + max_size):
                        h = g % period  # Python's modulo: in [0, period)
                        if h >= n_bands:
                            h = period - 1 - h
                        r = max(r, S[c, h, u])
                s += max(0.0, S[c, f, u + lag] - r)
            s /= n_bands
        out[c, t] = s


@cuda.jit
def detrend_kernel(x):
    """Each row of x (rows, n) filtered in place by (1 - z^-1) / (1 - 0.99 z^-1), in float64 as
    scipy's lfilter (direct form II transposed), one thread per row."""
    for c in range(cuda.grid(1), x.shape[0], cuda.gridsize(1)):
        state = 0.0
        for t in range(x.shape[1]):
            v = x[c, t] * 1.0
            filtered = v + state
            state = 0.99 * filtered - v
            x[c, t] = filtered


@cuda.jit
def ramp_pad_kernel(env, half, out):
    """out (rows, n + 2 half) = env with ``half`` values on each side ramping linearly from 0 to
    its edge values (numpy's pad, mode "linear_ramp", end values 0)."""
    rows, n = env.shape
    width = n + 2 * half
    for i in range(cuda.grid(1), rows * width, cuda.gridsize(1)):
        u = i % width
        c = i // width
        if u < half:
            out[c, u] = env[c, 0] * 1.0 / half * u
        elif u < n + half:
            out[c, u] = env[c, u - half]
        else:
            out[c, u] = env[c, n - 1] * 1.0 / half * (width - 1 - u)


@cuda.jit
def autocorrelation_kernel(x, window, out):
    """out[c, l, t] (rows, win, n_columns) = sum over i < win - l of (w x_t)[i] (w x_t)[i + l],
    x_t = x[c, t : t + win], w the float64 window (win,); summed directly, in float64."""
    rows, win, n_columns = out.shape
    for j in range(cuda.grid(1), rows * win * n_columns, cuda.gridsize(1)):
        c, lag, t = unravel3(j, win, n_columns)
        s = 0.0
        for i in range(win - lag):
            s += (window[i] * x[c, t + i]) * (window[i + lag] * x[c, t + i + lag])
        out[c, lag, t] = s


# ----------------------------------------------------------------------------- k-means


@cuda.jit
def row_norms_kernel(X, out, limit, flag):
    """out[r] = ||X[r]||^2 (summed in float64, as the C++ kernels) for every row of the (n, d) X; flag[0] = 1
    if one passes limit."""
    n, d = X.shape
    for r in range(cuda.grid(1), n, cuda.gridsize(1)):
        s = 0.0
        for j in range(d):
            v = X[r, j] * 1.0
            s += v * v
        out[r] = s
        if s > limit:
            flag[0] = 1


@cuda.jit
def column_means_kernel(X, out):
    """out[j] = the mean of column j of the (n, d) X, summed in float64 in row order (as the C++ ``mean_row``)."""
    n, d = X.shape
    for j in range(cuda.grid(1), d, cuda.gridsize(1)):
        s = 0.0
        for r in range(n):
            s += X[r, j]
        out[j] = s / n


@functools.lru_cache(maxsize=None)
def assign_kernel(dtype_name: str):
    """(kernel, threads per block (TX, TY), rows per block BM) for the nearest centroid of every row.

    As a matrix product: a block of TX x TY threads computes the dot products of BM = TY * RM
    rows of X with BN = TX * RN centroids, staging BK features of both at a time in shared
    memory; each thread holds RM x RN of them in registers (row ty + i TY, centroid tx + j TX),
    so each pair of shared loads feeds RM * RN / (RM + RN) multiply-adds. After each centroid
    tile, ||c - m||^2 - 2 (x - m).(c - m) updates each thread's running argmin of its rows (its
    centroids in increasing order); the TX threads of a row then reduce theirs in shared memory
    (lowest index on ties) and write the label and the squared distance to it, from the
    differences in float64.

    As in the C++ kernels, points and centroids are translated by m, the centroids' mean (or 0,
    see `fasttag.cuda.kmeans._translated`): the rounding error of the expansion scales with
    ||x - m||^2, not ||x||^2, which far from the origin outweighs the distances. The rows are
    translated as they are staged; the centroids, once, by the caller.
    kernel(X (n, d), shift m (d,), C - m (k, d), ||C - m||^2 (k,), C (k, d), labels (n,), distances (n,))."""
    np_dtype = np.dtype(dtype_name)
    nb_dtype = numba.from_dtype(np_dtype)
    ZERO = np_dtype.type(0)
    TWO = np_dtype.type(2)
    INF = np_dtype.type(np.inf)
    TX, TY = ASSIGN_THREADS
    RM = RN = ASSIGN_REGISTERS // np_dtype.itemsize
    BK = ASSIGN_FEATURES
    BM, BN = TY * RM, TX * RN
    T = TX * TY
    X_TILE = (BK, BM + 4)  # padded: the staging stores of a warp fall in different banks
    C_TILE = (BK, BN + 4)
    REDUCE = (TY, TX)

    @cuda.jit
    def kernel(X, shift, shifted, norms, C, labels, distances):
        n, d = X.shape
        k = C.shape[0]
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        tid = ty * TX + tx
        row0 = cuda.blockIdx.x * BM
        xs = cuda.shared.array(X_TILE, nb_dtype)
        cs = cuda.shared.array(C_TILE, nb_dtype)
        red_v = cuda.shared.array(REDUCE, nb_dtype)
        red_i = cuda.shared.array(REDUCE, numba.int32)
        acc = cuda.local.array((RM, RN), nb_dtype)
        a = cuda.local.array(RM, nb_dtype)
        b = cuda.local.array(RN, nb_dtype)
        best = cuda.local.array(RM, nb_dtype)
        best_i = cuda.local.array(RM, numba.int32)
        for i in range(RM):
            best[i] = INF
            best_i[i] = 0
        for c0 in range(0, k, BN):
            for i in range(RM):
                for j in range(RN):
                    acc[i, j] = ZERO
            for k0 in range(0, d, BK):
                for e in range(tid, BK * BM, T):  # BM == BN: one element of each tile per turn
                    f = e % BK
                    r = e // BK
                    v = ZERO
                    if row0 + r < n and k0 + f < d:
                        v = X[row0 + r, k0 + f] - shift[k0 + f]
                    xs[f, r] = v
                    w = ZERO
                    if c0 + r < k and k0 + f < d:
                        w = shifted[c0 + r, k0 + f]
                    cs[f, r] = w
                cuda.syncthreads()
                for f in range(BK):
                    for i in range(RM):
                        a[i] = xs[f, ty + i * TY]
                    for j in range(RN):
                        b[j] = cs[f, tx + j * TX]
                    for i in range(RM):
                        for j in range(RN):
                            acc[i, j] += a[i] * b[j]
                cuda.syncthreads()
            for j in range(RN):
                col = c0 + tx + j * TX
                if col < k:
                    for i in range(RM):
                        dist = norms[col] - TWO * acc[i, j]
                        if dist < best[i]:
                            best[i] = dist
                            best_i[i] = col
        for i in range(RM):
            red_v[ty, tx] = best[i]
            red_i[ty, tx] = best_i[i]
            cuda.syncthreads()
            r = row0 + ty + i * TY
            if tx == 0 and r < n:
                v = red_v[ty, 0]
                q = red_i[ty, 0]
                for t in range(1, TX):
                    if red_v[ty, t] < v or (red_v[ty, t] == v and red_i[ty, t] < q):
                        v = red_v[ty, t]
                        q = red_i[ty, t]
                labels[r] = q
                s = 0.0
                for f in range(d):
                    diff = X[r, f] * 1.0 - C[q, f]
                    s += diff * diff
                distances[r] = s
            cuda.syncthreads()

    return kernel, (TX, TY), BM


@cuda.jit
def subtract_row_kernel(X, row, out):
    """out[r] = X[r] - row for every row of the (n, d) X."""
    n, d = X.shape
    for i in range(cuda.grid(1), n * d, cuda.gridsize(1)):
        r = i // d
        j = i - r * d
        out[r, j] = X[r, j] - row[j]


@cuda.jit
def cluster_sums_kernel(X, labels, sums, counts):
    """sums[l] += x, counts[l] += 1 for every row x with label l (float64 atomics)."""
    n, d = X.shape
    for i in range(cuda.grid(1), n * d, cuda.gridsize(1)):
        r = i // d
        j = i - r * d
        lab = labels[r]
        cuda.atomic.add(sums, (lab, j), X[r, j] * 1.0)
        if j == 0:
            cuda.atomic.add(counts, lab, 1)


@cuda.jit
def histogram_kernel(labels, frames_per_track, n_clusters, hist):
    """hist[track, label] += 1 over the frames (track = row // frames_per_track)."""
    for i in range(cuda.grid(1), labels.shape[0], cuda.gridsize(1)):
        cuda.atomic.add(hist, (i // frames_per_track) * n_clusters + labels[i], 1.0)


@cuda.jit
def transpose_kernel(tracks, frames):
    """(n_tracks, d, n_frames) -> frames as rows (n_tracks * n_frames, d)."""
    n_tracks, d, n_frames = tracks.shape
    for i in range(cuda.grid(1), n_tracks * n_frames * d, cuda.gridsize(1)):
        c, t, j = unravel3(i, n_frames, d)
        frames[c * n_frames + t, j] = tracks[c, j, t]


@cuda.jit
def normalize_kernel(counts, n_clusters, use_power, power, norm, out):
    """One thread per track: counts ** power, then scaled to unit l1 (norm 1) or l2 (norm 2)
    norm, written to out (n_tracks, n_clusters) in its dtype."""
    for c in range(cuda.grid(1), out.shape[0], cuda.gridsize(1)):
        base = c * n_clusters
        if use_power:
            for j in range(n_clusters):
                counts[base + j] = counts[base + j] ** power
        scale = 1.0
        if norm != 0:
            total = 0.0
            for j in range(n_clusters):
                v = counts[base + j]
                if norm == 1:
                    total += v
                else:
                    total += v * v
            scale = total if norm == 1 else math.sqrt(total)
        for j in range(n_clusters):
            out[c, j] = counts[base + j] / scale


def grid_1d(n: int, threads: int = 256) -> tuple[int, int]:
    """(blocks, threads) covering n elements by ceil division: one thread per element on a GPU.
    The elementwise kernels loop with the grid's stride, so the simulator can run them on one
    small block (each simulated thread costs milliseconds)."""
    if _SIM:
        return (1, 32)
    return (max(1, -(-n // threads)), threads)
