// The host compiler does not take .cu files; this is DualKernels.cu as C++.
#include "test/unit/simt/kernels/DualKernels.cu"
