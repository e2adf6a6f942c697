// Work splits shared by the op runners (ops_conv1x1.cpp, ops_f32.cpp).
#pragma once

#include <cstdint>

namespace edgekit_et {

// Splits [0, n) into about `parts` ranges whose starts are multiples of `tile`.
struct Ranges {
  int64_t n, step;
  int count;
  Ranges(int64_t n_, int parts, int64_t tile) : n(n_) {
    int64_t per = (n + parts - 1) / parts;
    step = ((per + tile - 1) / tile) * tile;
    if (step <= 0) step = tile;
    count = static_cast<int>((n + step - 1) / step);
  }
  int64_t begin(int i) const { return i * step; }
  int64_t end(int i) const { return (i + 1) * step < n ? (i + 1) * step : n; }
};

}  // namespace edgekit_et
