namespace SnnDsl.Verify

open System
open System.Globalization
open SnnDsl.Core

/// A case and its run as a table a reader can check by hand: one row per step (and column), with the
/// input, every binding and every state after the step.
[<RequireQualifiedAccess>]
module Table =
    /// A number in a table: up to 10 significant digits.
    let number (v: float) = v.ToString("G10", CultureInfo.InvariantCulture)

    /// The parameters (raw, and effective where squashed), the initial states and, when the oracle can run
    /// the case, the trace; `mark` is the (step, column) to point at, both 0-based.
    let render (c: Case) (mark: (int * int) option) : string =
        let n = c.Neuron
        let values (v: float[]) = if v.Length = 1 then number v[0] else "[" + String.Join(", ", v |> Array.map number) + "]"
        let pars =
            [ for p in n.Params ->
                  let raw = c.Params.TryFind p.Name |> Option.defaultValue [| p.Init |]
                  match p.Squash with
                  | Squash.None -> $"{p.Name} = {values raw}"
                  | s -> $"{p.Name} = {values (raw |> Array.map (Squash.apply s))} (raw {values raw})" ]
        let initial =
            [ for s in n.States ->
                  let v = c.Initial.TryFind s.Name |> Option.defaultValue [| s.Init |]
                  $"{s.Name} = {values v}" ]
        let header =
            [ $"neuron {n.Name}, {c.Steps} step(s) x {c.Columns} column(s)"
              "parameters: " + (if pars.IsEmpty then "none" else String.Join(", ", pars))
              "initial states: " + String.Join(", ", initial) ]
        let body =
            try
                let tr = Oracle.runWith n c.Params c.Initial c.Inputs
                let bindings = n.Bindings |> List.map (fun b -> b.Name)
                let states = n.States |> List.map (fun s -> s.Name)
                let columns = c.Columns > 1
                let heads =
                    [ yield "t"
                      if columns then yield "n"
                      yield "X"
                      yield! bindings
                      yield! states |> List.map (fun s -> s + "'") ]
                let rows =
                    [ for t in 0 .. c.Steps - 1 do
                          for j in 0 .. c.Columns - 1 ->
                              [ yield string (t + 1)
                                if columns then yield string j
                                yield number c.Inputs[t, j]
                                for b in bindings -> number tr.Values[b].[t, j]
                                for s in states -> number tr.States[s].[t, j] ],
                              mark = Some(t, j) ]
                let widths =
                    heads |> List.mapi (fun i h -> max h.Length (rows |> List.map (fun (r, _) -> r[i].Length) |> List.fold max 0))
                let line (cells: string list) = String.Join("  ", List.map2 (fun (s: string) w -> s.PadLeft w) cells widths)
                [ yield line heads
                  for r, marked in rows -> line r + (if marked then "  <-" else "") ]
                |> List.append [ "(X: input; a state name with ' is its value after the step)" ]
            with e -> [ $"(the oracle cannot run this case: {e.Message})" ]
        String.Join("\n", header @ body)
