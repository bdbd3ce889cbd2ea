using System.Reflection;

namespace SnnDsl.CSharp.Tests;

/// <summary>The public surface of SnnDsl.CSharp is plain C#: no F# types anywhere in it.</summary>
public class SurfaceTests
{
    private static readonly string[] ForbiddenAssemblies =
        { "FSharp.Core", "SnnDsl.Core", "SnnDsl.Nn", "SnnDsl.Training", "SnnDsl.Data", "SnnDsl.Torch", "SnnDsl.Verify", "FsCheck" };

    /// <summary>Every type named by a public or protected member of the exported types, with where it appears.</summary>
    internal static IEnumerable<(string Where, Type Type)> SurfaceTypes(IEnumerable<Type> exported)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var t in exported)
        {
            if (t.BaseType is { } b) yield return ($"{t} base type", b);
            foreach (var i in t.GetInterfaces()) yield return ($"{t} interface", i);
            foreach (var m in t.GetMembers(all))
            {
                var visible = m switch
                {
                    MethodBase mb => mb.IsPublic || mb.IsFamily || mb.IsFamilyOrAssembly,
                    FieldInfo f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly,
                    PropertyInfo p => p.GetAccessors(true).Any(a => a.IsPublic || a.IsFamily || a.IsFamilyOrAssembly),
                    EventInfo e => e.AddMethod is { } add && (add.IsPublic || add.IsFamily),
                    Type nested => nested.IsNestedPublic || nested.IsNestedFamily,
                    _ => false,
                };
                if (!visible) continue;
                var where = $"{t}.{m.Name}";
                switch (m)
                {
                    case MethodInfo mi:
                        yield return (where + " return", mi.ReturnType);
                        foreach (var p in mi.GetParameters()) yield return ($"{where}({p.Name})", p.ParameterType);
                        break;
                    case ConstructorInfo ci:
                        foreach (var p in ci.GetParameters()) yield return ($"{where}({p.Name})", p.ParameterType);
                        break;
                    case PropertyInfo pi:
                        yield return (where, pi.PropertyType);
                        foreach (var p in pi.GetIndexParameters()) yield return ($"{where}[{p.Name}]", p.ParameterType);
                        break;
                    case FieldInfo fi:
                        yield return (where, fi.FieldType);
                        break;
                    case EventInfo ei when ei.EventHandlerType is { } h:
                        yield return (where, h);
                        break;
                }
            }
        }
    }

    /// <summary>The type and everything it is built from: element types, generic arguments, by-ref targets.</summary>
    private static IEnumerable<Type> Constituents(Type t)
    {
        yield return t;
        if (t.HasElementType)
            foreach (var c in Constituents(t.GetElementType()!)) yield return c;
        if (t.IsGenericType)
            foreach (var a in t.GetGenericArguments())
                foreach (var c in Constituents(a)) yield return c;
    }

    /// <summary>Every F# type reachable from the surface, as "where: type".</summary>
    internal static List<string> FSharpLeaks(IEnumerable<Type> exported) =>
        SurfaceTypes(exported)
            .SelectMany(s => Constituents(s.Type).Where(c => !c.IsGenericParameter)
                .Where(c => ForbiddenAssemblies.Contains(c.Assembly.GetName().Name))
                .Select(c => $"{s.Where}: {c.FullName}"))
            .Distinct()
            .ToList();

    [Fact]
    public void No_FSharp_type_appears_in_the_public_surface()
    {
        var exported = typeof(Neuron).Assembly.GetExportedTypes();
        Assert.True(exported.Length > 20, "the reflection found the facade's types");
        var leaks = FSharpLeaks(exported);
        Assert.True(leaks.Count == 0, "F# types in the public surface:\n" + string.Join("\n", leaks));
    }

    // A type that leaks on purpose, to show that the check above can fail.
    public sealed class Leaky
    {
        public Microsoft.FSharp.Collections.FSharpList<int>? Items { get; set; }
        public IReadOnlyList<Microsoft.FSharp.Core.FSharpOption<string>[]> Nested() => Array.Empty<Microsoft.FSharp.Core.FSharpOption<string>[]>();
        public void Take(SnnDsl.Core.Neuron n) => GC.KeepAlive(n);
        internal void Hidden(SnnDsl.Core.Neuron n) => GC.KeepAlive(n);
    }

    [Fact]
    public void The_check_finds_FSharp_types_in_properties_parameters_and_generic_arguments()
    {
        var leaks = FSharpLeaks(new[] { typeof(Leaky) });
        Assert.Contains(leaks, l => l.Contains("Items") && l.Contains("FSharpList"));
        Assert.Contains(leaks, l => l.Contains("Nested return") && l.Contains("FSharpOption"));
        Assert.Contains(leaks, l => l.Contains("Take(n)") && l.Contains("SnnDsl.Core.Neuron"));
        Assert.DoesNotContain(leaks, l => l.Contains("Hidden"));
    }

    [Fact]
    public void Types_that_hold_native_memory_are_disposable()
    {
        foreach (var t in new[] { typeof(Network), typeof(Trainer), typeof(Tensor), typeof(SpikingLayer) })
            Assert.True(typeof(IDisposable).IsAssignableFrom(t), $"{t.Name} is not IDisposable");
        foreach (var t in new[] { typeof(Neuron), typeof(Dataset), typeof(NeuronBuilder), typeof(NetworkBuilder), typeof(Expr) })
            Assert.False(typeof(IDisposable).IsAssignableFrom(t), $"{t.Name} holds no native memory and should not need disposing");
    }
}
