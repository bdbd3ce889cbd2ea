using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;

namespace SnnDsl.CSharp;

/// <summary>Conversions between F# and C# shapes; internal, so no F# type reaches the public surface.</summary>
internal static class FSharpInterop
{
    public static FSharpList<T> List<T>(IEnumerable<T> items) => ListModule.OfSeq(items);

    public static FSharpOption<T> Some<T>(T value) => FSharpOption<T>.Some(value);

    // F# represents None as null; named so call sites read as intent.
    public static FSharpOption<T>? None<T>() => null;

    public static FSharpFunc<T, Unit> Func<T>(Action<T> action) => FuncConvert.FromAction(action);

    public static FSharpMap<string, TValue> Map<TValue>(IEnumerable<KeyValuePair<string, TValue>> pairs) =>
        new(pairs.Select(kv => Tuple.Create(kv.Key, kv.Value)));

    /// <summary>The Ok value, or the Error text turned into an exception by <paramref name="fail"/>.</summary>
    public static T Unwrap<T>(FSharpResult<T, string> result, Func<string, Exception> fail) =>
        result.IsOk ? result.ResultValue : throw fail(result.ErrorValue);
}
