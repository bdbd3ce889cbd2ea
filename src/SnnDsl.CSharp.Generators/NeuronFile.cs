using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace SnnDsl.CSharp.Generators;

/// <summary>A parameter a .neuron file declares: its name and whether training updates it.</summary>
internal sealed record FileParameter(string Name, bool Learnable);

/// <summary>
/// A .neuron file given as an AdditionalFile, as far as the generator reads it: its text, and the names the
/// generated C# needs (the neuron's name, its description for the doc comment, and the parameters it
/// declares), or why no members can be generated (<see cref="Problem"/>, at <see cref="ProblemLine"/>).
/// </summary>
/// <remarks>
/// One grammar: the language is parsed only by the F# parser (<c>NeuronText.parse</c> in SnnDsl.Core,
/// FParsec), which the generated code calls at run time on the embedded text (<c>Neuron.Parse(text, file)</c>),
/// so every syntax error, with its file, line and column, comes from it. A source generator runs inside the
/// compiler on netstandard2.0 and cannot load FSharp.Core or SnnDsl.Core, so <see cref="Scan"/> is not a
/// parser: it splits each line into words (<see cref="Words"/>) and reads only the first words of the
/// <c>neuron</c>, <c>option</c> and <c>learn</c> lines. It rejects nothing but a file without a header (no
/// name, no class); whatever else is wrong is the F# parser's to say. A test in SnnDsl.CSharp.Tests checks
/// that these names agree with the F# parser's on every example file.
/// </remarks>
internal sealed record NeuronFile(string Path, string Text, string? Name, string Description,
    ImmutableArray<FileParameter> Parameters, string? Problem, int ProblemLine)
{
    // All but the path derive from the text (ImmutableArray's own equality compares references).
    public bool Equals(NeuronFile? other) => other is not null && Path == other.Path && Text == other.Text;

    public override int GetHashCode() => Path.GetHashCode() ^ Text.GetHashCode();

    private const string Header = "a .neuron file starts with its header: neuron NAME \"description\"";

    /// <summary>The names in the file's header and its option/learn lines.</summary>
    public static NeuronFile Scan(AdditionalText file, CancellationToken ct)
    {
        var text = file.GetText(ct)?.ToString() ?? "";
        var lines = text.Replace("\r\n", "\n").Split('\n');
        string? name = null;
        var description = "";
        var parameters = new List<FileParameter>();
        for (var i = 0; i < lines.Length; i++)
        {
            var words = Words(lines[i]);
            if (words.Count == 0) continue;
            var first = words[0].Quoted ? "" : words[0].Value;
            if (name is null)
            {
                if (first != "neuron")
                    return new NeuronFile(file.Path, text, null, "", ImmutableArray<FileParameter>.Empty, Header, i);
                name = words.Count > 1 ? words[1].Value : "";
                if (words.Count > 2 && words[2].Quoted) description = words[2].Value;
            }
            else if (first is "option" or "learn" && words.Count > 1)
                parameters.Add(new FileParameter(words[1].Value, first == "learn"));
        }
        if (name is null)
            return new NeuronFile(file.Path, text, null, "", ImmutableArray<FileParameter>.Empty, "the file is empty; " + Header, 0);
        return new NeuronFile(file.Path, text, name, description, parameters.ToImmutableArray(), null, 0);
    }

    /// <summary>
    /// The words of a line as the text form spells them: a "text" (its escapes undone), a `name`, or a run of
    /// other characters up to a space, '=' or '"'; a '#' outside them ends the line (a comment).
    /// </summary>
    private static List<(string Value, bool Quoted)> Words(string line)
    {
        var words = new List<(string, bool)>();
        var i = 0;
        while (i < line.Length)
        {
            var c = line[i];
            if (c == '#') break;
            if (char.IsWhiteSpace(c) || c == '=') i++;
            else if (c is '"' or '`')
            {
                var sb = new StringBuilder();
                for (i++; i < line.Length && line[i] != c; i++)
                {
                    if (c == '"' && line[i] == '\\' && i + 1 < line.Length)
                    {
                        i++;
                        sb.Append(line[i] switch { 'n' => '\n', 'r' => '\r', 't' => '\t', var other => other });
                    }
                    else sb.Append(line[i]);
                }
                i++;
                words.Add((sb.ToString(), c == '"'));
            }
            else
            {
                var start = i;
                while (i < line.Length && !char.IsWhiteSpace(line[i]) && line[i] is not ('=' or '#' or '"' or '`')) i++;
                words.Add((line.Substring(start, i - start), false));
            }
        }
        return words;
    }

    /// <summary>Where <see cref="Problem"/> is: its whole line of the file.</summary>
    public Location ProblemLocation()
    {
        var lines = Text.Replace("\r\n", "\n").Split('\n');
        var line = System.Math.Min(ProblemLine, System.Math.Max(0, lines.Length - 1));
        var length = lines.Length == 0 ? 0 : lines[line].Length;
        var start = lines.Take(line).Sum(l => l.Length + 1);
        return Location.Create(Path, new TextSpan(start, length),
            new LinePositionSpan(new LinePosition(line, 0), new LinePosition(line, length)));
    }
}
