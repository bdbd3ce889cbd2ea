using System;
using SnnDsl.Nir;
using Device = SnnDsl.Torch.Device;

namespace SnnDsl.CSharp;

/// <summary>
/// NIR, the Neuromorphic Intermediate Representation (docs/nir.md): export a network to a <c>.nir</c> file
/// (BatchNorm folded, neurons as NIR's continuous-time nodes for the time step <c>dt</c>), import one as a
/// trainable <see cref="Network"/>, or run one on an input sequence.
/// </summary>
public static class Nir
{
    /// <summary>Writes <paramref name="network"/> as a NIR graph in nir.write's HDF5 layout.</summary>
    /// <exception cref="SnnDsl.Core.SnnException">A layer or neuron NIR cannot express (kind Usage; the message says why), or the file cannot be written (kind Data).</exception>
    public static void Export(Network network, string path, double dt = 1.0)
    {
        Guard.NotNull(network, nameof(network));
        Guard.NotNull(path, nameof(path));
        if (path.Trim().Length == 0) throw new ArgumentException("the path is empty", nameof(path));
        NirFile.write(path, NirExport.ofModule(dt, network.InputShape, network.Core));
    }

    /// <summary>Reads a NIR file as a network on the CPU whose neurons are DSL neurons integrated by forward Euler with <paramref name="dt"/>. Dispose it.</summary>
    /// <exception cref="SnnDsl.Core.SnnException">The file is missing or malformed (kind Data), or the graph is not a chain of supported nodes (kind Usage, naming the node or edge).</exception>
    public static Network Import(string path, double dt = 1.0, NeuronBackend backend = NeuronBackend.Auto)
    {
        Guard.NotNull(path, nameof(path));
        var (module, imported) = NirImport.load(backend.ToCore(), dt, path);
        return new Network(module, imported.Spec, Device.Cpu);
    }

    /// <summary>Runs a NIR file on inputs [T, input elements]; returns the outputs [T, output elements].</summary>
    public static double[,] Run(string path, double[,] inputs, double dt = 1.0, NeuronBackend backend = NeuronBackend.Auto)
    {
        Guard.NotNull(path, nameof(path));
        Guard.NotNull(inputs, nameof(inputs));
        return NirRun.runFile(backend.ToCore(), dt, path, inputs);
    }
}
