using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace SnnDsl.CSharp.Generators;

/// <summary>
/// Generates, for every public static property or field of type <c>SnnDsl.Core.Neuron</c> in the referenced
/// assemblies (F# <c>let</c> values in modules compile to such properties; the built-ins live in
/// <c>SnnDsl.Core.Builtins</c>) and for every .neuron file given as an AdditionalFile: a <c>GeneratedNeurons</c>
/// property, a <c>SpikingLayers</c> factory and a <c>NetworkBuilder.Spiking&lt;Name&gt;()</c> extension (a file
/// neuron also gets a <c>…With</c> method and a typed <c>…Layer</c> class), all internal to the consuming
/// assembly. Both kinds go through one emitter (<see cref="Emitter"/>); a file's text is parsed by the F#
/// parser when its neuron is first used (<see cref="NeuronFile"/> says why).
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class SpikingLayerGenerator : IIncrementalGenerator
{
    private static readonly DiagnosticDescriptor MissingFacade = new(
        "SNNGEN001", "SnnDsl.CSharp is not referenced",
        "The SnnDsl layer generator found SnnDsl.Core but not SnnDsl.CSharp; reference src/SnnDsl.CSharp to get generated layers",
        "SnnDsl.Generators", DiagnosticSeverity.Warning, isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor Skipped = new(
        "SNNGEN002", "Neuron without a C# name",
        "The neuron {0} has a name that is not a C# identifier; no layer was generated for it",
        "SnnDsl.Generators", DiagnosticSeverity.Warning, isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor BadNeuronFile = new(
        "SNNGEN003", "A .neuron file without a header",
        "{0}: {1}",
        "SnnDsl.Generators", DiagnosticSeverity.Error, isEnabledByDefault: true);

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var scan = context.CompilationProvider.Select((compilation, ct) => NeuronScan.Scan(compilation, ct));
        var files = context.AdditionalTextsProvider
            .Where(f => f.Path.EndsWith(".neuron", System.StringComparison.OrdinalIgnoreCase))
            .Select((f, ct) => NeuronFile.Scan(f, ct))
            .Collect();
        context.RegisterSourceOutput(scan.Combine(files), (spc, pair) =>
        {
            var (result, neuronFiles) = pair;
            if (!result.HasCore) return;
            if (!result.HasFacade)
            {
                spc.ReportDiagnostic(Diagnostic.Create(MissingFacade, Location.None));
                return;
            }
            foreach (var s in result.Skipped) spc.ReportDiagnostic(Diagnostic.Create(Skipped, Location.None, s));
            foreach (var bad in neuronFiles.Where(f => f.Problem is not null))
                spc.ReportDiagnostic(Diagnostic.Create(BadNeuronFile, bad.ProblemLocation(), bad.Path, bad.Problem));
            spc.AddSource("SnnDsl.GeneratedNeurons.g.cs", Emitter.Emit(Neurons(result, neuronFiles)));
        });
    }

    /// <summary>
    /// Every neuron to generate, named: the referenced assemblies' first (SnnDsl.Core's built-ins keep the
    /// plain names), then the .neuron files' (by path) that have a header.
    /// </summary>
    internal static IReadOnlyList<GeneratedNeuron> Neurons(ScanResult result, IEnumerable<NeuronFile> files)
    {
        var good = files.Where(f => f.Problem is null).OrderBy(f => f.Path, StringComparer.Ordinal).ToArray();
        var wanted = result.Neurons
            .Select(n => new WantedName(Naming.Pascal(n.Member), Naming.Pascal(n.TypeName) + Naming.Pascal(n.Member), false))
            .Concat(good.Select(f => Naming.Pascal(f.Name!, "FileNeuron")).Select(p => new WantedName(p, p + "File", true)));
        var names = Naming.Unique(wanted);
        return result.Neurons.Select((n, i) => Emitter.OfMember(n, names[i]))
            .Concat(good.Select((f, i) => Emitter.OfFile(f, names[result.Neurons.Length + i])))
            .ToArray();
    }
}
