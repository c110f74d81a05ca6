//===- VectorTypes.h - CUDA's built-in vector types for the host ----------===//
//
// dim3, uint3 and the float2/float4/int4/... family with CUDA's sizes and
// alignments, so kernels that vectorise loads (`*(float4 *)p`) keep the same
// memory behaviour on the host. Shared by kernel code (through simt.h) and by
// the launch API (LaunchConfig), which is why it is its own header.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_HOST_VECTORTYPES_H
#define KILN_RUNTIME_HOST_VECTORTYPES_H

struct uint3 {
  unsigned int x, y, z;
};

struct dim3 {
  unsigned int x = 1, y = 1, z = 1;
  constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1)
      : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
  constexpr operator uint3() const { return uint3{x, y, z}; }
};

#define KILN_VECTOR_TYPE2(T, Name, Align)                                      \
  struct alignas(Align) Name {                                                 \
    T x, y;                                                                    \
  };                                                                           \
  inline Name make_##Name(T x, T y) { return Name{x, y}; }
#define KILN_VECTOR_TYPE3(T, Name)                                             \
  struct Name {                                                                \
    T x, y, z;                                                                 \
  };                                                                           \
  inline Name make_##Name(T x, T y, T z) { return Name{x, y, z}; }
#define KILN_VECTOR_TYPE4(T, Name, Align)                                      \
  struct alignas(Align) Name {                                                 \
    T x, y, z, w;                                                              \
  };                                                                           \
  inline Name make_##Name(T x, T y, T z, T w) { return Name{x, y, z, w}; }

KILN_VECTOR_TYPE2(float, float2, 8)
KILN_VECTOR_TYPE3(float, float3)
KILN_VECTOR_TYPE4(float, float4, 16)
KILN_VECTOR_TYPE2(int, int2, 8)
KILN_VECTOR_TYPE3(int, int3)
KILN_VECTOR_TYPE4(int, int4, 16)
KILN_VECTOR_TYPE2(unsigned int, uint2, 8)
KILN_VECTOR_TYPE4(unsigned int, uint4, 16)
KILN_VECTOR_TYPE2(double, double2, 16)
KILN_VECTOR_TYPE4(signed char, char4, 4)
KILN_VECTOR_TYPE4(unsigned char, uchar4, 4)
KILN_VECTOR_TYPE2(short, short2, 4)
KILN_VECTOR_TYPE2(unsigned short, ushort2, 4)

inline uint3 make_uint3(unsigned int x, unsigned int y, unsigned int z) {
  return uint3{x, y, z};
}

#undef KILN_VECTOR_TYPE2
#undef KILN_VECTOR_TYPE3
#undef KILN_VECTOR_TYPE4

#endif // KILN_RUNTIME_HOST_VECTORTYPES_H
