// Binding for the audio helper: the channel average of interleaved samples (the downmix
// of a decoded block), one pass where numpy needs two strided ones.
#include <string>

#include "bind_common.hpp"

namespace fasttag {
namespace {

constexpr std::int64_t kMaxChannels = 7;  // numpy's mean sums fewer than 8 values in order; more, pairwise

// (n, channels) -> (n,): the channels summed in order, then divided by their count, as
// numpy's ``mean(axis=1)`` rounds for up to kMaxChannels channels.
template <class T>
py::array mean_channels(const py::array& data_any) {
    const auto data = checked_array<T>(data_any, "data", 2);
    const std::int64_t n = data.shape(0), channels = data.shape(1);
    require(channels >= 1 && channels <= kMaxChannels,
            "data has " + std::to_string(channels) + " channels, expected 1 to " + std::to_string(kMaxChannels));
    py::array_t<T> out(n);
    const T* in = data.data();
    T* mono = out.mutable_data();
    // Safe without the GIL: both arrays are held by this frame.
    without_gil([&] {
        if (channels == 2) {
            for (std::int64_t i = 0; i < n; ++i) mono[i] = (in[2 * i] + in[2 * i + 1]) / T(2);
        } else {
            const T count = static_cast<T>(channels);
            for (std::int64_t i = 0; i < n; ++i) {
                const T* frame = in + i * channels;
                T sum = frame[0];
                for (std::int64_t c = 1; c < channels; ++c) sum += frame[c];
                mono[i] = sum / count;
            }
        }
    });
    return out;
}

const char* mean_channels_doc =
    "data (n, channels), 1 to 7 channels -> (n,): the average of each row, rounded as numpy's mean(axis=1).";

}  // namespace

void register_audio(py::module_& m) {
    m.def("mean_channels",
          [](const py::array& data) {
              return dispatch_float(data, "data", [&](auto t) { return mean_channels<decltype(t)>(data); });
          },
          mean_channels_doc, py::arg("data"));
}

}  // namespace fasttag
