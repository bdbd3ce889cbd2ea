namespace SnnDsl.Verify

open System
open SnnDsl.Core

/// The laws written in a neuron file (`law NAME [inputs A..B] [when C]: C`), checked at every step.
[<RequireQualifiedAccess>]
module TextLaws =
    /// How many steps back a condition reads (S[t-k]): the law applies from step k + 1 on.
    let lag (cond: Condition) : int =
        Condition.exprs cond
        |> List.collect (Expr.fold (fun acc e -> match e with Ref r -> (match Describe.lag r with Some(_, k) -> k :: acc | None -> acc) | _ -> acc) [])
        |> List.fold max 0

    let private before (c: Case) (tr: Trace) (t: int) (j: int) (s: string) =
        if t > 0 then tr.States[s].[t - 1, j]
        else
            match c.Initial.TryFind s with
            | Some v -> v[j]
            | None -> (c.Neuron.States |> List.find (fun st -> st.Name = s)).Init

    /// The value of an expression at step t, column j of a run: X the input, a parameter its effective
    /// value, a state its value before the step, V' its value after, a binding its value, and any of them
    /// k steps earlier as NAME[t-k] (t >= k).
    let rec eval (c: Case) (tr: Trace) (t: int) (j: int) (e: Expr) : float =
        let go = eval c tr t j
        match e with
        | Input -> c.Inputs[t, j]
        | Const v -> v
        | Param p -> c.Param(p, j)
        | State s -> before c tr t j s
        | Ref r ->
            match Describe.lag r with
            | Some(name, k) ->
                let leaf = if name = "X" then Input elif name.EndsWith "'" then Ref name elif tr.States.ContainsKey name && not (tr.Values.ContainsKey name) then State name else Ref name
                eval c tr (t - k) j leaf
            | None when r.EndsWith "'" -> tr.States[r.TrimEnd '\''].[t, j]
            | None -> tr.Values[r].[t, j]
        | Unary(op, a) -> Ops.eval (Prim.Unary op) [| go a |]
        | Binary(op, a, b) -> Ops.eval (Prim.Binary op) [| go a; go b |]
        | Compare(op, a, b) -> Ops.eval (Prim.Compare op) [| go a; go b |]
        | Where(cond, a, b) -> if go cond <> 0.0 then go a else go b
        | Spike(_, a) -> Surrogate.heaviside (go a)
        | Detach a -> go a

    /// Whether a condition holds at step t, column j.
    let rec holds (c: Case) (tr: Trace) (t: int) (j: int) (cond: Condition) : bool =
        let go = holds c tr t j
        match cond with
        | Condition.Compare(a, r, b) -> Ops.eval (Prim.Compare(Condition.comparison r)) [| eval c tr t j a; eval c tr t j b |] <> 0.0
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
    /// it gives one); at every step and column where `when` holds, the law must hold. A law that reads k
    /// steps back (S[t-k]) applies from step k + 1 on. A case where `when` holds nowhere is skipped.
    let ofText (settings: CaseSettings) (n: Neuron) (law: NeuronLaw) : Law =
        let settings =
            match law.Inputs with
            | Some(lo, hi) when lo = hi -> Cases.withInputs (Values.constant lo) settings
            | Some(lo, hi) -> Cases.withInputs (Values.grid 16 lo hi) settings
            | None -> settings
        Law.create law.Name (Cases.ofNeuron settings n) (fun c ->
            let tr = Oracle.runWith c.Neuron c.Params c.Initial c.Inputs
            let first = max (lag law.Holds) (law.When |> Option.map lag |> Option.defaultValue 0)
            let applies t j = match law.When with Some w -> holds c tr t j w | None -> true
            let cells = [ for t in first .. c.Steps - 1 do for j in 0 .. c.Columns - 1 do if applies t j then yield t, j ]
            if cells.IsEmpty then Verdict.Skip
            else
                match cells |> List.tryFind (fun (t, j) -> not (holds c tr t j law.Holds)) with
                | None -> Verdict.Holds
                | Some(t, j) ->
                    let at = if c.Columns > 1 then $"t = {t + 1}, column {j}" else $"t = {t + 1}"
                    Verdict.Fails($"{Condition.text law.Holds} fails at {at}: {values c tr t j law.Holds}", Some(t, j)))

    /// The law that a state stays in its declared domain (`state r = 0 in 0..2 integer`): at every step of
    /// every case (whose initial states are drawn from the domain), the state's new value lies in it.
    let domain (settings: CaseSettings) (n: Neuron) (s: StateSpec) (d: StateDomain) : Law =
        Law.create $"{s.Name}-in-domain" (Cases.ofNeuron settings n) (fun c ->
            let tr = Oracle.runWith c.Neuron c.Params c.Initial c.Inputs
            let outside = seq { for t in 0 .. c.Steps - 1 do for j in 0 .. c.Columns - 1 do if not (StateDomain.contains d tr.States[s.Name].[t, j]) then yield t, j } |> Seq.tryHead
            match outside with
            | None -> Verdict.Holds
            | Some(t, j) ->
                let at = if c.Columns > 1 then $"t = {t + 1}, column {j}" else $"t = {t + 1}"
                Verdict.Fails($"{s.Name}' = {Table.number tr.States[s.Name].[t, j]} at {at}, outside its domain {StateDomain.text d}", Some(t, j)))

    /// The domain laws of every state that declares one.
    let domains (settings: CaseSettings) (n: Neuron) : Law list =
        [ for s in n.States do
              match s.Domain with
              | Some d -> yield domain settings n s d
              | None -> () ]
