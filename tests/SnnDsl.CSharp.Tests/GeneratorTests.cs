using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using SnnDsl.CSharp.Generators;

namespace SnnDsl.CSharp.Tests;

/// <summary>
/// The layer generator run in memory by Roslyn's driver, on a compilation that references SnnDsl.Core and
/// SnnDsl.CSharp: a .neuron file without a header is an error at its file and line, the names the generator
/// reads from a file agree with the F# parser's (the one grammar) on every example, and what it emits compiles
/// without a warning.
/// </summary>
public class GeneratorTests
{
    private static string Examples() =>
        Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "examples"));

    private sealed class InMemoryFile(string path, string text) : AdditionalText
    {
        public override string Path => path;
        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text);
    }

    // The framework, SnnDsl.Core and SnnDsl.CSharp (with FSharp.Core), as a consumer's compilation has them.
    private static CSharpCompilation Consumer()
    {
        var framework = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var snn = new[] { typeof(SnnDsl.Core.Neuron).Assembly.Location, typeof(Neuron).Assembly.Location };
        var references = framework.Concat(snn).Distinct().Select(p => MetadataReference.CreateFromFile(p));
        return CSharpCompilation.Create("Consumer", new[] { CSharpSyntaxTree.ParseText("internal static class Empty { }") }, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
    }

    private static (GeneratorDriverRunResult Run, Compilation Output) Generate(params (string Path, string Text)[] files)
    {
        var driver = CSharpGeneratorDriver.Create(
            new[] { new SpikingLayerGenerator().AsSourceGenerator() },
            files.Select(f => (AdditionalText)new InMemoryFile(f.Path, f.Text)));
        var after = driver.RunGeneratorsAndUpdateCompilation(Consumer(), out var output, out _);
        return (after.GetRunResult(), output);
    }

    [Fact]
    public void A_neuron_file_without_a_header_is_error_SNNGEN003_at_its_file_and_line()
    {
        var bad = Path.Combine("neurons", "bad.neuron");
        var (run, _) = Generate((bad, "# a comment, then a blank line\n\noption a = 1\n"), ("empty.neuron", "  # nothing\n"));
        var errors = run.Diagnostics.Where(d => d.Id == "SNNGEN003").OrderBy(d => d.Location.GetLineSpan().Path).ToArray();
        Assert.Equal(2, errors.Length);
        Assert.All(errors, d => Assert.Equal(DiagnosticSeverity.Error, d.Severity));
        var empty = errors[0].Location.GetLineSpan();
        Assert.Equal(("empty.neuron", 0), (empty.Path, empty.StartLinePosition.Line));
        Assert.Contains("the file is empty", errors[0].GetMessage());
        var span = errors[1].Location.GetLineSpan();
        Assert.Equal((bad, 2, 0, 12), (span.Path, span.StartLinePosition.Line, span.StartLinePosition.Character, span.EndLinePosition.Character));
        Assert.Equal($"{bad}: a .neuron file starts with its header: neuron NAME \"description\"", errors[1].GetMessage());
    }

    [Fact]
    public void The_names_the_generator_reads_from_every_example_file_are_the_F_sharp_parsers()
    {
        var files = Directory.GetFiles(Examples(), "*.neuron").OrderBy(f => f, StringComparer.Ordinal).ToArray();
        Assert.True(files.Length >= 4, $"examples in {Examples()}");
        foreach (var file in files)
        {
            var parsed = Neuron.Load(file);
            var (run, _) = Generate((file, File.ReadAllText(file)));
            Assert.Empty(run.Diagnostics);
            var root = Assert.Single(run.GeneratedTrees).GetRoot();
            var with = Assert.Single(root.DescendantNodes().OfType<MethodDeclarationSyntax>(), m => m.Identifier.Text.EndsWith("With"));
            Assert.Equal(parsed.Parameters.Select(p => p.Name), with.ParameterList.Parameters.Select(p => p.Identifier.Text));
            var layer = Assert.Single(root.DescendantNodes().OfType<ClassDeclarationSyntax>(), c => c.Identifier.Text.EndsWith("Layer"));
            var typed = layer.Members.OfType<PropertyDeclarationSyntax>().Select(p => p.Identifier.Text).Where(p => p != "Layer");
            Assert.Equal(parsed.Parameters.Where(p => p.Learnable).Select(p => char.ToUpperInvariant(p.Name[0]) + p.Name[1..]), typed);
            Assert.Contains($": {parsed.Description}</summary>", root.ToFullString());
        }
    }

    [Fact]
    public void What_the_generator_emits_for_the_assemblies_and_every_example_compiles_without_a_warning()
    {
        var files = Directory.GetFiles(Examples(), "*.neuron").Select(f => (f, File.ReadAllText(f))).ToArray();
        var (run, output) = Generate(files);
        Assert.Empty(run.Diagnostics);
        var problems = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString()).ToArray();
        Assert.Empty(problems);
        var text = Assert.Single(run.GeneratedTrees).ToString();
        // One declaration per class, so [GeneratedCode] marks each of them.
        foreach (var type in new[] { "GeneratedNeurons", "SpikingLayers", "GeneratedNetworkBuilderExtensions", "LifSynLayer" })
        {
            var at = text.IndexOf($" class {type}", StringComparison.Ordinal);
            Assert.True(at > 0 && text.LastIndexOf($" class {type}", StringComparison.Ordinal) == at, type);
            Assert.Contains("[global::System.CodeDom.Compiler.GeneratedCode(", text[text.LastIndexOf('\n', text.LastIndexOf('\n', at) - 1)..at]);
        }
    }
}
