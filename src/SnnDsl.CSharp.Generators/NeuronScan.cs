using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace SnnDsl.CSharp.Generators;

/// <summary>One public static property or field of type SnnDsl.Core.Neuron found in a referenced assembly.</summary>
/// <param name="Assembly">The assembly's name, e.g. "SnnDsl.Core".</param>
/// <param name="ContainingType">The containing type, fully qualified with global::, e.g. "global::SnnDsl.Core.Builtins".</param>
/// <param name="TypeName">The containing type's simple name, e.g. "Builtins" (used to tell clashing names apart).</param>
/// <param name="Member">The member's metadata name, e.g. "lif".</param>
/// <param name="IsField">True for a field, false for a property.</param>
internal sealed record NeuronMember(string Assembly, string ContainingType, string TypeName, string Member, bool IsField);

/// <summary>What the generator found: whether the facade is referenced, the neurons, and the members it skipped.</summary>
internal sealed record ScanResult(bool HasCore, bool HasFacade, ImmutableArray<NeuronMember> Neurons, ImmutableArray<string> Skipped)
{
    // Structural equality (ImmutableArray's own compares references) lets the incremental pipeline skip
    // emitting when an edit changed nothing here.
    public bool Equals(ScanResult? other) =>
        other is not null && HasCore == other.HasCore && HasFacade == other.HasFacade
        && Neurons.SequenceEqual(other.Neurons) && Skipped.SequenceEqual(other.Skipped);

    public override int GetHashCode() => Neurons.Length * 397 ^ Skipped.Length;
}

/// <summary>Finds the neurons: public static members of type SnnDsl.Core.Neuron in public types of referenced assemblies.</summary>
internal static class NeuronScan
{
    public const string CoreNeuron = "SnnDsl.Core.Neuron";
    public const string FacadeNeuron = "SnnDsl.CSharp.Neuron";

    public static ScanResult Scan(Compilation compilation, CancellationToken ct)
    {
        var neuronType = compilation.GetTypeByMetadataName(CoreNeuron);
        var hasFacade = compilation.GetTypeByMetadataName(FacadeNeuron) is not null;
        if (neuronType is null)
            return new ScanResult(false, hasFacade, ImmutableArray<NeuronMember>.Empty, ImmutableArray<string>.Empty);
        var core = neuronType.ContainingAssembly;
        var found = new List<NeuronMember>();
        var skipped = new List<string>();
        foreach (var assembly in compilation.SourceModule.ReferencedAssemblySymbols)
        {
            ct.ThrowIfCancellationRequested();
            // Only SnnDsl.Core and assemblies that reference it can define neurons: skip the framework quickly.
            var relevant = SymbolEqualityComparer.Default.Equals(assembly, core)
                || assembly.Modules.Any(m => m.ReferencedAssemblies.Any(r => r.Name == core.Identity.Name));
            if (relevant) WalkNamespace(assembly.GlobalNamespace, neuronType, assembly.Identity.Name, found, skipped, ct);
        }
        // SnnDsl.Core first, so the built-ins keep the plain names when another assembly reuses one.
        var ordered = found
            .OrderBy(n => n.Assembly == core.Identity.Name ? 0 : 1)
            .ThenBy(n => n.Assembly, StringComparer.Ordinal)
            .ThenBy(n => n.ContainingType, StringComparer.Ordinal)
            .ThenBy(n => n.Member, StringComparer.Ordinal)
            .ToImmutableArray();
        return new ScanResult(true, hasFacade, ordered, skipped.OrderBy(s => s, StringComparer.Ordinal).ToImmutableArray());
    }

    private static void WalkNamespace(INamespaceSymbol ns, INamedTypeSymbol neuronType, string assembly,
        List<NeuronMember> found, List<string> skipped, CancellationToken ct)
    {
        foreach (var child in ns.GetNamespaceMembers()) WalkNamespace(child, neuronType, assembly, found, skipped, ct);
        foreach (var type in ns.GetTypeMembers()) WalkType(type, neuronType, assembly, found, skipped, ct);
    }

    private static void WalkType(INamedTypeSymbol type, INamedTypeSymbol neuronType, string assembly,
        List<NeuronMember> found, List<string> skipped, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        // Reachable from the consumer's code: public all the way out, and not generic.
        if (type.DeclaredAccessibility != Accessibility.Public || type.IsGenericType) return;
        foreach (var member in type.GetMembers())
        {
            if (!member.IsStatic || member.DeclaredAccessibility != Accessibility.Public) continue;
            var matches = member switch
            {
                IPropertySymbol p => p.Parameters.IsEmpty && p.GetMethod is not null && SymbolEqualityComparer.Default.Equals(p.Type, neuronType),
                IFieldSymbol f => SymbolEqualityComparer.Default.Equals(f.Type, neuronType),
                _ => false,
            };
            if (!matches) continue;
            var containing = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
            if (!SyntaxFacts.IsValidIdentifier(member.Name))
            {
                skipped.Add($"{type.ToDisplayString()}.{member.Name}");
                continue;
            }
            found.Add(new NeuronMember(assembly, containing, type.Name, member.Name, member is IFieldSymbol));
        }
        foreach (var nested in type.GetTypeMembers()) WalkType(nested, neuronType, assembly, found, skipped, ct);
    }
}
