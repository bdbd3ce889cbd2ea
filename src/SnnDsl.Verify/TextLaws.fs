namespace SnnDsl.Verify

open System
open SnnDsl.Core

/// The laws written in a neuron file (`law NAME [inputs A..B] [when C]: C`), checked at every step.
[<RequireQualifiedAccess>]
module TextLaws =
    /// The value of an expression at step t, column j of a run: X the input, a parameter its effective
    /// value, a state its value before the step, V' its value after, a binding its value.
    let rec eval (c: Case) (tr: Trace) (t: int) (j: int) (e: Expr) : float =
        let go = eval c tr t j
        match e with
        | Input -> c.Inputs[t, j]
        | Const v -> v
        | Param p -> c.Param(p, j)
        | State s ->
            if t > 0 then tr.States[s].[t - 1, j]
            else
                match c.Initial.TryFind s with
                | Some v -> v[j]
                | None -> (c.Neuron.States |> List.find (fun st -> st.Name = s)).Init
        | Ref r when r.EndsWith "'" -> tr.States[r.TrimEnd '\''].[t, j]
        | Ref r -> tr.Values[r].[t, j]
        | Unary(op, a) -> Ops.eval (Prim.Unary op) [| go a |]
        | Binary(op, a, b) -> Ops.eval (Prim.Binary op) [| go a; go b |]
        | Spike(_, a) -> Surrogate.heaviside (go a)
        | Detach a -> go a

    /// Whether a condition holds at step t, column j.
    let rec holds (c: Case) (tr: Trace) (t: int) (j: int) (cond: Condition) : bool =
        let go = holds c tr t j
        match cond with
        | Condition.Compare(a, r, b) ->
            let x, y = eval c tr t j a, eval c tr t j b
            match r with
            | Relation.Lt -> x < y
            | Relation.Le -> x <= y
            | Relation.Gt -> x > y
            | Relation.Ge -> x >= y
            | Relation.Eq -> x = y
            | Relation.Ne -> x <> y
        | Condition.Not a -> not (go a)
        | Condition.And(a, b) -> go a && go b
        | Condition.Or(a, b) -> go a || go b
        | Condition.Implies(a, b) -> not (go a) || go b

    // Every name a condition reads, with its value at (t, j), e.g. "S = 1, V' = 2.5, H = 1.5".
    let private values (c: Case) (tr: Trace) t j (cond: Condition) =
        let leaves =
            Condition.exprs cond
            |> List.collect (Expr.fold (fun acc e -> match e with Input | State _ | Param _ | Ref _ -> e :: acc | _ -> acc) [])
            |> List.rev
            |> List.distinct
        leaves |> List.map (fun e -> $"{Describe.exprText e} = {Table.number (eval c tr t j e)}") |> String.concat ", "

    /// A file law as a law of the kit: cases of the neuron (inputs on a grid of 1/16 in the law's range, if
    /// it gives one); at every step and column where `when` holds, the law must hold. A case where `when`
    /// holds nowhere is skipped.
    let ofText (settings: CaseSettings) (n: Neuron) (law: NeuronLaw) : Law =
        let settings =
            match law.Inputs with
            | Some(lo, hi) when lo = hi -> Cases.withInputs (Values.constant lo) settings
            | Some(lo, hi) -> Cases.withInputs (Values.grid 16 lo hi) settings
            | None -> settings
        Law.create law.Name (Cases.ofNeuron settings n) (fun c ->
            let tr = Oracle.runWith c.Neuron c.Params c.Initial c.Inputs
            let applies t j = match law.When with Some w -> holds c tr t j w | None -> true
            let cells = [ for t in 0 .. c.Steps - 1 do for j in 0 .. c.Columns - 1 do if applies t j then yield t, j ]
            if cells.IsEmpty then Verdict.Skip
            else
                match cells |> List.tryFind (fun (t, j) -> not (holds c tr t j law.Holds)) with
                | None -> Verdict.Holds
                | Some(t, j) ->
                    let at = if c.Columns > 1 then $"t = {t + 1}, column {j}" else $"t = {t + 1}"
                    Verdict.Fails($"{Condition.text law.Holds} fails at {at}: {values c tr t j law.Holds}", Some(t, j)))
