using System;
using System.Linq;
using SnnDsl.Torch;
using TorchTensor = SnnDsl.Torch.Tensor;

namespace SnnDsl.CSharp;

/// <summary>
/// An n-dimensional array in native (libtorch) memory, for network inputs and outputs. Dispose it when
/// done (<c>using var x = ...</c>); every member of a disposed tensor throws <see cref="ObjectDisposedException"/>.
/// </summary>
public sealed class Tensor : IDisposable
{
    private TorchTensor? _core;

    // The facade owns what it wraps: no TensorScope may free it behind the caller's back.
    internal Tensor(TorchTensor core) => _core = TensorScope.Forget(core);

    internal TorchTensor Core => _core ?? throw new ObjectDisposedException(nameof(Tensor), "this Tensor was disposed");

    /// <summary>
    /// A float32 tensor of <paramref name="shape"/> holding <paramref name="data"/> in row-major order (no
    /// shape: one dimension of data.Length).
    /// </summary>
    /// <exception cref="ArgumentException">The data length differs from the number of elements of the shape.</exception>
    public static Tensor FromArray(float[] data, params int[] shape) => From(data, shape, (d, s) => TorchTensor.FromArray(d, FSharpInterop.Some(s), null));

    /// <summary>
    /// A float64 tensor of <paramref name="shape"/> holding <paramref name="data"/> in row-major order (no
    /// shape: one dimension of data.Length).
    /// </summary>
    /// <exception cref="ArgumentException">The data length differs from the number of elements of the shape.</exception>
    public static Tensor FromArray(double[] data, params int[] shape) => From(data, shape, (d, s) => TorchTensor.FromArray(d, FSharpInterop.Some(s), null));

    /// <summary>A float32 tensor of zeros.</summary>
    public static Tensor Zeros(params int[] shape)
    {
        CheckShape(shape);
        return new Tensor(TorchTensor.Zeros((int[])shape.Clone(), null, null));
    }

    private static Tensor From<T>(T[] data, int[] shape, Func<T[], int[], TorchTensor> create)
    {
        Guard.NotNull(data, nameof(data));
        CheckShape(shape);
        if (shape.Length == 0) shape = new[] { data.Length };
        var count = shape.Aggregate(1L, (a, d) => a * d);
        if (count != data.Length)
            throw new ArgumentException(
                $"shape {ShapeText.Of(shape)} holds {count} elements but the data has {data.Length}", nameof(data));
        return new Tensor(create(data, (int[])shape.Clone()));
    }

    private static void CheckShape(int[] shape)
    {
        Guard.NotNull(shape, nameof(shape));
        if (shape.Any(d => d < 0))
            throw new ArgumentOutOfRangeException(nameof(shape), ShapeText.Of(shape), "dimensions must not be negative");
    }

    /// <summary>The sizes of the dimensions (a copy).</summary>
    public int[] Shape => Core.Shape;

    /// <summary>The number of dimensions.</summary>
    public int Rank => Core.Dim;

    /// <summary>The number of elements.</summary>
    public long ElementCount => Core.NumElements;

    /// <summary>The element type, e.g. "float32".</summary>
    public string ElementType => Core.DType.ToString().ToLowerInvariant();

    /// <summary>True once the native memory has been released.</summary>
    public bool IsDisposed => _core is null;

    /// <summary>The elements in row-major order, converted to float32.</summary>
    public float[] ToFloatArray()
    {
        var t = Core;
        if (t.DType.IsFloat32 && t.Device.IsCpu) return t.ToArray<float>();
        using var c = t.To(DType.Float32, Device.Cpu);
        return c.ToArray<float>();
    }

    /// <summary>The elements in row-major order, converted to float64.</summary>
    public double[] ToDoubleArray()
    {
        var t = Core;
        if (t.DType.IsFloat64 && t.Device.IsCpu) return t.ToArray<double>();
        using var c = t.To(DType.Float64, Device.Cpu);
        return c.ToArray<double>();
    }

    /// <summary>Releases the native memory now; later calls do nothing.</summary>
    public void Dispose()
    {
        _core?.Dispose();
        _core = null;
    }

    /// <summary>The shape and element type, e.g. "Tensor [2, 10] float32".</summary>
    public override string ToString() => _core is null ? "Tensor (disposed)" : $"Tensor {ShapeText.Of(Shape)} {ElementType}";
}
