namespace SnnDsl.Cli

open System
open System.Text
open System.Text.Json
open SnnDsl.Core
open SnnDsl.Backends

/// The gradients file of `snn simulate --grads`.
[<RequireQualifiedAccess>]
module Json =
    let private str (s: string) = JsonSerializer.Serialize s

    // Round-trip text ("R") is valid JSON for every finite double; NaN and infinities have no JSON form.
    let private number (what: string) (v: float) =
        if not (Double.IsFinite v) then Fail.data $"the gradient {what} is {v}; it cannot be written as JSON"
        Csv.number v

    /// `{"neuron", "surrogate", "steps", "neurons", "spikeCount", "params": {name: d/d raw}, "inputs": [[d/dx]]}`:
    /// the derivatives of the total spike count; `inputs` has T rows of N numbers (row t is time step t + 1),
    /// one row per line.
    let gradients (s: Simulation) (g: SpikeGradients) : string =
        let T, N = Simulation.size s
        let surrogate = Describe.surrogates s.Neuron |> List.map Describe.surrogate |> String.concat ", "
        let pars = g.Params |> List.map (fun (name, v) -> $"    {str name}: {number name v}")
        let rows =
            [ for t in 0 .. T - 1 ->
                  let row = [ for j in 0 .. N - 1 -> number $"d/dx[{t}][{j}]" g.Inputs[t, j] ]
                  "    [" + String.Join(", ", row) + "]" ]
        let sb = StringBuilder()
        let line (l: string) = sb.Append(l).Append('\n') |> ignore
        line "{"
        line $"  \"neuron\": {str s.Neuron.Name},"
        line $"  \"surrogate\": {str surrogate},"
        line $"  \"steps\": {T},"
        line $"  \"neurons\": {N},"
        line $"  \"spikeCount\": {Csv.number g.SpikeCount},"
        if pars.IsEmpty then line "  \"params\": {},"
        else
            line "  \"params\": {"
            line (String.Join(",\n", pars))
            line "  },"
        line "  \"inputs\": ["
        line (String.Join(",\n", rows))
        line "  ]"
        line "}"
        sb.ToString()
