using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace SnnDsl.CSharp.Generators;

/// <summary>A parameter a .neuron file declares: its name and whether training updates it.</summary>
internal sealed class FileParameter : IEquatable<FileParameter>
{
    public FileParameter(string name, bool learnable)
    {
        Name = name;
        Learnable = learnable;
    }

    public string Name { get; }
    public bool Learnable { get; }

    public bool Equals(FileParameter? other) => other is not null && Name == other.Name && Learnable == other.Learnable;
    public override bool Equals(object? obj) => Equals(obj as FileParameter);
    public override int GetHashCode() => Name.GetHashCode() * 2 + (Learnable ? 1 : 0);
}

/// <summary>
/// What the generator needs from a .neuron file given as an AdditionalFile: its text (parsed for real at run
/// time by <c>Neuron.Parse</c>), the neuron's name and description, and the parameters it declares. The
/// generator reads only the header and the declarations; a syntax error elsewhere surfaces when the
/// neuron is first used, with its line and column.
/// </summary>
internal sealed class NeuronFile : IEquatable<NeuronFile>
{
    public NeuronFile(string path, string text, string? name, string description, ImmutableArray<FileParameter> parameters, string? problem, int problemLine)
    {
        Path = path;
        Text = text;
        Name = name;
        Description = description;
        Parameters = parameters;
        Problem = problem;
        ProblemLine = problemLine;
    }

    public string Path { get; }
    public string Text { get; }
    public string? Name { get; }
    public string Description { get; }
    public ImmutableArray<FileParameter> Parameters { get; }
    /// <summary>Why no layer can be generated (no header line), or null.</summary>
    public string? Problem { get; }
    /// <summary>0-based line of the problem.</summary>
    public int ProblemLine { get; }

    public bool Equals(NeuronFile? other) =>
        other is not null && Path == other.Path && Text == other.Text && Name == other.Name && Problem == other.Problem;
    public override bool Equals(object? obj) => Equals(obj as NeuronFile);
    public override int GetHashCode() => Path.GetHashCode() ^ Text.GetHashCode();

    /// <summary>The file's header and declarations (lines starting with option or learn).</summary>
    public static NeuronFile Scan(AdditionalText file, CancellationToken ct)
    {
        var text = file.GetText(ct)?.ToString() ?? "";
        var lines = text.Replace("\r\n", "\n").Split('\n');
        string? name = null;
        var description = "";
        var parameters = new List<FileParameter>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = StripComment(lines[i]).Trim();
            if (line.Length == 0) continue;
            var (word, rest) = Token(line);
            if (name is null)
            {
                if (word != "neuron")
                    return new NeuronFile(file.Path, text, null, "", ImmutableArray<FileParameter>.Empty,
                        "a .neuron file starts with its header: neuron NAME \"description\"", i);
                var (n, afterName) = rest.StartsWith("\"") ? Quoted(rest) : Token(rest);
                name = n;
                if (afterName.StartsWith("\"")) description = Quoted(afterName).Value;
                continue;
            }
            if (word is "option" or "learn")
            {
                var (p, _) = rest.StartsWith("`") ? Backquoted(rest) : Token(rest.Replace("=", " = "));
                parameters.Add(new FileParameter(p, word == "learn"));
            }
        }
        if (name is null)
            return new NeuronFile(file.Path, text, null, "", ImmutableArray<FileParameter>.Empty,
                "the file is empty; a .neuron file starts with its header: neuron NAME \"description\"", 0);
        return new NeuronFile(file.Path, text, name, description, parameters.ToImmutableArray(), null, 0);
    }

    private static string StripComment(string line)
    {
        var inString = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '\\' && inString) i++;
            else if (c == '"') inString = !inString;
            else if (c == '#' && !inString) return line.Substring(0, i);
        }
        return line;
    }

    private static (string Value, string Remainder) Token(string s)
    {
        s = s.TrimStart();
        var end = 0;
        while (end < s.Length && !char.IsWhiteSpace(s[end])) end++;
        return (s.Substring(0, end), s.Substring(end).TrimStart());
    }

    private static (string Value, string Remainder) Backquoted(string s)
    {
        var close = s.IndexOf('`', 1);
        return close < 0 ? (s.Substring(1), "") : (s.Substring(1, close - 1), s.Substring(close + 1).TrimStart());
    }

    private static (string Value, string Remainder) Quoted(string s)
    {
        var sb = new StringBuilder();
        for (var i = 1; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '\\' && i + 1 < s.Length)
            {
                i++;
                sb.Append(s[i] switch { 'n' => '\n', 'r' => '\r', 't' => '\t', var other => other });
            }
            else if (c == '"') return (sb.ToString(), s.Substring(i + 1).TrimStart());
            else sb.Append(c);
        }
        return (sb.ToString(), "");
    }
}

/// <summary>The C# source for the neurons of .neuron files: a Neuron, a typed configuration and a typed layer each.</summary>
internal static class NeuronFileEmitter
{
    /// <summary>"lif-syn" → "LifSyn", "my_neuron.v2" → "MyNeuronV2".</summary>
    public static string Pascal(string name)
    {
        var sb = new StringBuilder();
        foreach (var part in name.Split(new[] { '-', '_', '.', '+', ' ' }, StringSplitOptions.RemoveEmptyEntries))
        {
            var clean = new string(part.Where(char.IsLetterOrDigit).ToArray());
            if (clean.Length == 0) continue;
            sb.Append(char.ToUpperInvariant(clean[0])).Append(clean, 1, clean.Length - 1);
        }
        var s = sb.ToString();
        if (s.Length == 0) return "FileNeuron";
        return char.IsDigit(s[0]) ? "Neuron" + s : s;
    }

    private static string Literal(string s) => SymbolDisplay.FormatLiteral(s, quote: true);

    private static string Xml(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    /// <summary>Unique names for the files' neurons, avoiding those already taken by assembly neurons.</summary>
    public static IReadOnlyList<string> Names(IEnumerable<NeuronFile> files, IEnumerable<string> taken)
    {
        var used = new HashSet<string>(taken) { "All", "Equals", "GetHashCode", "ToString", "GetType", "ReferenceEquals" };
        var result = new List<string>();
        foreach (var f in files)
        {
            var stem = Pascal(f.Name!);
            var name = used.Contains(stem) ? stem + "File" : stem;
            var k = 2;
            var baseName = name;
            while (used.Contains(name) || used.Contains(name + "With") || used.Contains(name + "Layer")) name = baseName + k++;
            used.Add(name);
            used.Add(name + "With");
            result.Add(name);
        }
        return result;
    }

    public static string Emit(IReadOnlyList<NeuronFile> files, IReadOnlyList<string> names)
    {
        var sb = new StringBuilder();
        sb.AppendLine("// <auto-generated> by SnnDsl.CSharp.Generators from the .neuron files given as AdditionalFiles.</auto-generated>");
        sb.AppendLine("#nullable enable");
        sb.AppendLine("namespace SnnDsl.CSharp.Generated");
        sb.AppendLine("{");
        sb.AppendLine("    internal static partial class GeneratedNeurons");
        sb.AppendLine("    {");
        for (var i = 0; i < files.Count; i++)
        {
            var f = files[i];
            var name = names[i];
            var file = System.IO.Path.GetFileName(f.Path);
            sb.AppendLine($"        private static global::SnnDsl.CSharp.Neuron? s_{name};");
            sb.AppendLine();
            sb.AppendLine($"        /// <summary>The neuron {Xml(f.Name!)} of {Xml(file)}: {Xml(f.Description)}</summary>");
            sb.AppendLine($"        public static global::SnnDsl.CSharp.Neuron {name} => s_{name} ??= global::SnnDsl.CSharp.Neuron.Parse(");
            sb.AppendLine($"            {Literal(f.Text)},");
            sb.AppendLine($"            {Literal(file)});");
            sb.AppendLine();
            var typed = f.Parameters.Where(p => SyntaxFacts.IsValidIdentifier(p.Name)).ToArray();
            sb.AppendLine($"        /// <summary>{Xml(f.Name!)} with other initial RAW values for the parameters given (the others keep the file's).</summary>");
            var args = string.Join(", ", typed.Select(p => $"double? {Naming.Identifier(p.Name)} = null"));
            sb.AppendLine($"        public static global::SnnDsl.CSharp.Neuron {name}With({args})");
            sb.AppendLine("        {");
            sb.AppendLine($"            var neuron = {name};");
            foreach (var p in typed)
                sb.AppendLine($"            if ({Naming.Identifier(p.Name)} is double {Local(p.Name)}) neuron = neuron.WithParameter({Literal(p.Name)}, {Local(p.Name)});");
            sb.AppendLine("            return neuron;");
            sb.AppendLine("        }");
            sb.AppendLine();
        }
        sb.AppendLine("    }");
        sb.AppendLine();
        for (var i = 0; i < files.Count; i++)
        {
            var f = files[i];
            var name = names[i];
            sb.AppendLine($"    /// <summary>A spiking layer of the neuron {Xml(f.Name!)} ({Xml(System.IO.Path.GetFileName(f.Path))}), with a property per learnable parameter.</summary>");
            sb.AppendLine("    [global::System.CodeDom.Compiler.GeneratedCode(\"SnnDsl.CSharp.Generators\", \"1.0\")]");
            sb.AppendLine($"    internal sealed class {name}Layer : global::System.IDisposable");
            sb.AppendLine("    {");
            sb.AppendLine($"        /// <summary>A layer of <paramref name=\"neuron\"/> (default: <see cref=\"GeneratedNeurons.{name}\"/>, or one from <see cref=\"GeneratedNeurons.{name}With\"/>) for inputs [T, N, channels, ...].</summary>");
            sb.AppendLine($"        public {name}Layer(int channels, int[]? perNeuronShape = null, global::SnnDsl.CSharp.NeuronBackend backend = global::SnnDsl.CSharp.NeuronBackend.Auto, global::SnnDsl.CSharp.Neuron? neuron = null) =>");
            sb.AppendLine($"            Layer = new global::SnnDsl.CSharp.SpikingLayer(neuron ?? GeneratedNeurons.{name}, channels, perNeuronShape, backend);");
            sb.AppendLine();
            sb.AppendLine("        /// <summary>The spiking layer itself.</summary>");
            sb.AppendLine("        public global::SnnDsl.CSharp.SpikingLayer Layer { get; }");
            sb.AppendLine();
            sb.AppendLine("        /// <summary>The spikes [T, N, ...] for input currents [T, N, ...]; dispose the result.</summary>");
            sb.AppendLine("        public global::SnnDsl.CSharp.Tensor Forward(global::SnnDsl.CSharp.Tensor input) => Layer.Forward(input);");
            sb.AppendLine();
            var reserved = new HashSet<string> { "Layer", "Forward", "Dispose", name + "Layer" };
            foreach (var p in f.Parameters.Where(p => p.Learnable && SyntaxFacts.IsValidIdentifier(p.Name)))
            {
                var prop = Naming.Pascal(p.Name);
                if (reserved.Contains(prop)) prop += "Value";
                reserved.Add(prop);
                sb.AppendLine($"        /// <summary>The effective value of the learnable parameter <c>{Xml(p.Name)}</c>, squash(raw) (averaged when per channel or per neuron).</summary>");
                sb.AppendLine($"        public double {prop} => Layer.EffectiveParameters()[{Literal(p.Name)}];");
                sb.AppendLine();
            }
            sb.AppendLine("        /// <summary>Releases the layer's native memory.</summary>");
            sb.AppendLine("        public void Dispose() => Layer.Dispose();");
            sb.AppendLine("    }");
            sb.AppendLine();
        }
        sb.AppendLine("    internal static partial class SpikingLayers");
        sb.AppendLine("    {");
        for (var i = 0; i < files.Count; i++)
        {
            var name = names[i];
            sb.AppendLine($"        /// <summary>A typed spiking layer of <see cref=\"GeneratedNeurons.{name}\"/> with <paramref name=\"channels\"/> channels.</summary>");
            sb.AppendLine($"        public static {name}Layer {name}(int channels, int[]? perNeuronShape = null) => new {name}Layer(channels, perNeuronShape);");
            sb.AppendLine();
        }
        sb.AppendLine("    }");
        sb.AppendLine();
        sb.AppendLine("    internal static partial class GeneratedNetworkBuilderExtensions");
        sb.AppendLine("    {");
        for (var i = 0; i < files.Count; i++)
        {
            var name = names[i];
            sb.AppendLine($"        /// <summary>Adds a spiking layer of <see cref=\"GeneratedNeurons.{name}\"/>.</summary>");
            sb.AppendLine($"        public static global::SnnDsl.CSharp.NetworkBuilder Spiking{name}(this global::SnnDsl.CSharp.NetworkBuilder builder) =>");
            sb.AppendLine($"            builder.Spiking(GeneratedNeurons.{name});");
            sb.AppendLine();
        }
        sb.AppendLine("    }");
        sb.AppendLine("}");
        return sb.ToString();
    }

    private static string Local(string name) => "__" + name;

    /// <summary>A problem of a file, at its line.</summary>
    public static Location LocationOf(NeuronFile f)
    {
        var lines = f.Text.Replace("\r\n", "\n").Split('\n');
        var line = Math.Min(f.ProblemLine, Math.Max(0, lines.Length - 1));
        var length = lines.Length == 0 ? 0 : lines[line].Length;
        var start = lines.Take(line).Sum(l => l.Length + 1);
        return Location.Create(f.Path, new TextSpan(start, length),
            new LinePositionSpan(new LinePosition(line, 0), new LinePosition(line, length)));
    }
}
