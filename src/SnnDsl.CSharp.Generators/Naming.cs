using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace SnnDsl.CSharp.Generators;

/// <summary>A name the generator would like for a neuron: the plain one, the one to use when it is taken, and
/// whether the neuron also gets a <c>NameWith</c> method (file neurons do).</summary>
internal readonly record struct WantedName(string Plain, string OnClash, bool WithMethod);

/// <summary>C# names for the generated members.</summary>
internal static class Naming
{
    /// <summary>
    /// "lif" → "Lif", "integrateAndFire" → "IntegrateAndFire", "lif_vth" → "LifVth", "lif-syn" → "LifSyn",
    /// "my_neuron.v2" → "MyNeuronV2"; characters that cannot be in a C# name are dropped, a leading digit
    /// gets "Neuron" in front, and a name with nothing left is <paramref name="empty"/>.
    /// </summary>
    public static string Pascal(string name, string empty = "Neuron")
    {
        var sb = new StringBuilder();
        foreach (var part in name.Split(new[] { '-', '_', '.', '+', ' ' }, StringSplitOptions.RemoveEmptyEntries))
        {
            var clean = new string(part.Where(char.IsLetterOrDigit).ToArray());
            if (clean.Length == 0) continue;
            sb.Append(char.ToUpperInvariant(clean[0])).Append(clean, 1, clean.Length - 1);
        }
        var s = sb.ToString();
        if (s.Length == 0) return empty;
        return char.IsDigit(s[0]) ? "Neuron" + s : s;
    }

    /// <summary>A name as an identifier in C# source (keywords escaped with @).</summary>
    public static string Identifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None
            ? "@" + name
            : name;

    /// <summary>
    /// A unique generated name per neuron, in the order given: the plain name when free, else the name for a
    /// clash, numbered until neither it nor its <c>With</c> and <c>Layer</c> members are taken. Names the
    /// generated classes use are reserved.
    /// </summary>
    public static IReadOnlyList<string> Unique(IEnumerable<WantedName> wanted)
    {
        var taken = new HashSet<string> { "All", "Equals", "GetHashCode", "ToString", "GetType", "ReferenceEquals" };
        var result = new List<string>();
        foreach (var w in wanted)
        {
            var stem = taken.Contains(w.Plain) ? w.OnClash : w.Plain;
            var name = stem;
            var k = 2;
            while (taken.Contains(name) || taken.Contains(name + "With") || taken.Contains(name + "Layer")) name = stem + k++;
            taken.Add(name);
            if (w.WithMethod) taken.Add(name + "With");
            result.Add(name);
        }
        return result;
    }
}
