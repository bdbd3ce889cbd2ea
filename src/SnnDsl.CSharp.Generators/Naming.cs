using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace SnnDsl.CSharp.Generators;

/// <summary>C# names for the generated members.</summary>
internal static class Naming
{
    /// <summary>"lif" → "Lif", "integrateAndFire" → "IntegrateAndFire", "lif_vth" → "LifVth".</summary>
    public static string Pascal(string name)
    {
        var sb = new StringBuilder();
        foreach (var part in name.Split('_').Where(p => p.Length > 0))
            sb.Append(char.ToUpperInvariant(part[0])).Append(part, 1, part.Length - 1);
        return sb.Length == 0 ? "Neuron" : sb.ToString();
    }

    /// <summary>A name as an identifier in C# source (keywords escaped with @).</summary>
    public static string Identifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(name) != SyntaxKind.None
            ? "@" + name
            : name;

    /// <summary>
    /// A unique generated name per neuron, in the order given: the plain Pascal name when free, else prefixed
    /// with the containing type's name, else numbered. Names the generated classes use are reserved.
    /// </summary>
    public static IReadOnlyList<string> Unique(IEnumerable<NeuronMember> neurons)
    {
        var taken = new HashSet<string> { "All", "Equals", "GetHashCode", "ToString", "GetType", "ReferenceEquals" };
        var result = new List<string>();
        foreach (var n in neurons)
        {
            var plain = Pascal(n.Member);
            var name = plain;
            if (taken.Contains(name)) name = Pascal(n.TypeName) + plain;
            var k = 2;
            var stem = name;
            while (taken.Contains(name)) name = stem + k++;
            taken.Add(name);
            result.Add(name);
        }
        return result;
    }
}
