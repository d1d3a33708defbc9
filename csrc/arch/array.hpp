// Owning heap array local to one architecture build. (std::vector<float> would be a
// template instantiation shared by the baseline and AVX2 builds, and the linker may
// keep the AVX2 copy for both.)

template <class T>
class Array {
public:
    Array() = default;
    explicit Array(std::int64_t size) : data_(new T[static_cast<std::size_t>(size)]()), size_(size) {}
    T* data() { return data_.get(); }
    const T* data() const { return data_.get(); }
    T& operator[](std::int64_t i) { return data_[static_cast<std::size_t>(i)]; }
    const T& operator[](std::int64_t i) const { return data_[static_cast<std::size_t>(i)]; }
    std::int64_t size() const { return size_; }

private:
    std::unique_ptr<T[]> data_;
    std::int64_t size_ = 0;
};
