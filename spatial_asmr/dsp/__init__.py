"""Signal processing kernels: fractional delay lines and partitioned convolution."""
