"""Independent references the tests measure the product with (not product code)."""

import numpy as np
from scipy import signal


def peak_16x_poly(x):
    """True peak by scipy's polyphase resampler at 16x (x: shape (n, channels))."""
    return np.abs(signal.resample_poly(x, 16, 1, axis=0)).max()


def peak_16x_fft(x):
    """True peak by band-limited (FFT) interpolation at 16x, zero-padded."""
    padded = np.concatenate([np.zeros((2048, x.shape[1])), x, np.zeros((2048, x.shape[1]))])
    return np.abs(signal.resample(padded, 16 * len(padded), axis=0)).max()
