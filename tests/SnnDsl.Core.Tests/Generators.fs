/// Random neurons, inputs and parameters, shared by every test that compares a backend with the oracle.
module SnnDsl.Core.Tests.Generators

open FsCheck
open FsCheck.FSharp
open SnnDsl.Core

/// Which features a generated neuron may use.
type Options =
    { /// Spike nodes inside rules, and a spike output S.
      Spikes: bool
      /// relu, abs, min, max, comparisons, where, floor, and, or, not (not differentiable at their kinks
      /// and steps).
      Kinks: bool
      /// Detach nodes (their gradient differs from a finite difference on purpose).
      Detach: bool }

/// Everything the language has.
let everything = { Spikes = true; Kinks = true; Detach = true }

/// Only smooth ops: forward-mode derivatives must equal finite differences.
let smoothOnly = { Spikes = false; Kinks = false; Detach = false }

/// A float on a grid of 1/1000 in [lo, hi].
let floatIn (lo: float) (hi: float) =
    Gen.choose (int (lo * 1000.0), int (hi * 1000.0)) |> Gen.map (fun i -> float i / 1000.0)

/// Any surrogate with a parameter in a sensible range.
let surrogate: Gen<Surrogate> =
    gen {
        let! p = floatIn 0.5 4.0
        return! Gen.elements [ Surrogate.Rectangle p; Surrogate.Triangle p; Surrogate.Sigmoid(2.0 * p)
                               Surrogate.Atan p; Surrogate.FastSigmoid(5.0 * p) ]
    }

/// Names an expression may use at its position in the step program.
type Scope = { Refs: string list; States: string list; Params: string list }

/// Any comparison.
let comparison: Gen<Comparison> = Gen.elements Ops.allComparisons

// Leaves are bounded (inputs, constants, squashed or small params, bounded states, bounded refs), and
// every op maps bounded values to bounded values, so each tree is finite: exp only of tanh, log only
// of 1 + e^2, division only by 1 + e^2, multiplication only by a bounded factor, sqrt only of 1 + e^2,
// pow only of a base in (1, 2) to an exponent in (-1, 1) or of tanh to a small integer.
let rec private exprIn (o: Options) (scope: Scope) (depth: int) : Gen<Expr> =
    let leaf =
        Gen.oneof
            [ yield Gen.constant Input
              yield floatIn -1.5 1.5 |> Gen.map Const
              if not scope.States.IsEmpty then yield Gen.elements scope.States |> Gen.map State
              if not scope.Params.IsEmpty then yield Gen.elements scope.Params |> Gen.map Param
              if not scope.Refs.IsEmpty then yield Gen.elements scope.Refs |> Gen.map Ref ]
    if depth <= 0 then leaf
    else
        let sub = exprIn o scope (depth - 1)
        let bounded = Gen.oneof [ sub |> Gen.map Expr.tanh; sub |> Gen.map Expr.sigmoid; floatIn -1.5 1.5 |> Gen.map Const ]
        Gen.frequency
            [ yield 2, leaf
              yield 1, sub |> Gen.map (fun e -> -e)
              yield 1, sub |> Gen.map Expr.tanh
              yield 1, sub |> Gen.map Expr.sigmoid
              yield 1, sub |> Gen.map (fun e -> Expr.exp (Expr.tanh e))
              yield 1, sub |> Gen.map (fun e -> Expr.log (1.0 + e * e))
              yield 2, Gen.map2 (+) sub sub
              yield 1, Gen.map2 (-) sub sub
              yield 2, Gen.map2 (*) sub bounded
              yield 1, Gen.map2 (fun a b -> a / (1.0 + b * b)) sub sub
              yield 1, sub |> Gen.map (fun e -> Expr.sqrt (1.0 + e * e))
              yield 1, Gen.map2 (fun a b -> Expr.pow (1.0 + Expr.sigmoid a) (Expr.tanh b)) sub sub
              yield 1, Gen.map2 (fun a k -> Expr.pow (Expr.tanh a) (Const(float k))) sub (Gen.choose (-1, 3) |> Gen.map (fun k -> if k = -1 then 2 else k))
              if o.Kinks then
                  yield 1, sub |> Gen.map Expr.relu
                  yield 1, sub |> Gen.map Expr.abs
                  yield 1, Gen.map2 Expr.min sub sub
                  yield 1, Gen.map2 Expr.max sub sub
                  yield 1, Gen.map3 (fun c a b -> Compare(c, a, b)) comparison sub sub
                  yield 1, Gen.map3 (fun c a b -> Expr.where c a b) (Gen.map3 (fun c a b -> Compare(c, a, b)) comparison sub sub) sub sub
                  yield 1, sub |> Gen.map (fun e -> Expr.floor (Expr.tanh e * 3.0))
                  yield 1, Gen.map2 Expr.both sub sub
                  yield 1, Gen.map2 Expr.either sub sub
                  yield 1, sub |> Gen.map Expr.not'
              if o.Spikes then yield 1, Gen.map2 Expr.spike surrogate sub
              if o.Detach then yield 1, sub |> Gen.map Expr.detach ]

/// A random expression over the given scope, at most `depth` ops deep.
let expr (o: Options) (scope: Scope) (depth: int) : Gen<Expr> = exprIn o scope depth

/// A random parameter spec with a raw initial value in [-1.5, 1.5].
let paramSpec (name: string) : Gen<ParamSpec> =
    gen {
        let! init = floatIn -1.5 1.5
        let! learnable = Gen.elements [ true; false ]
        let! squash = Gen.elements [ Squash.None; Squash.Tanh; Squash.Sigmoid ]
        let! per = Gen.elements [ Granularity.PerLayer; Granularity.PerChannel; Granularity.PerNeuron ]
        return { Name = name; Learnable = learnable; Granularity = per; Squash = squash; Init = init; Doc = "generated"; InitFrom = None }
    }

// A bounded state update: |new| <= k |old| + 1 with |k| <= 0.9, so states stay within 10.
let private update (o: Options) (scope: Scope) (state: string) : Gen<Binding> =
    gen {
        let! k = floatIn -0.9 0.9
        let! e = expr o scope 3
        let! form = Gen.choose (0, if o.Spikes then 2 else 1)
        let rule =
            match form with
            | 0 -> tanh e
            | 1 -> k * State state + tanh e
            | _ -> (k * State state + tanh e) * (1.0 - Ref "S") // hard-reset shape
        return { Name = state; Expr = rule }
    }

/// A random well-formed neuron: 0-3 params, V plus 0-2 states, 1-3 bindings (plus S when spiking).
let neuron (o: Options) : Gen<Neuron> =
    gen {
        let! nParams = Gen.choose (0, 3)
        let! pars = [ for i in 0 .. nParams - 1 -> paramSpec $"p{i}" ] |> Gen.sequenceToList
        let! nStates = Gen.choose (0, 2)
        let stateNames = "V" :: [ for i in 1 .. nStates -> $"s{i}" ]
        let! inits = Gen.listOfLength stateNames.Length (floatIn -1.0 1.0)
        let states = List.map2 (fun n i -> StateSpec.create n i "generated") stateNames inits
        let scope refs = { Refs = refs; States = stateNames; Params = pars |> List.map (fun p -> p.Name) }
        let! nBindings = Gen.choose (1, 3)
        let names = [ for i in 0 .. nBindings - 1 -> $"h{i}" ]
        let! exprs = names |> List.mapi (fun i _ -> expr o (scope (List.take i names)) 3) |> Gen.sequenceToList
        let bindings = List.map2 (fun n e -> { Name = n; Expr = e }) names exprs
        let! spike =
            if o.Spikes then
                Gen.map2 (fun s e -> [ { Name = "S"; Expr = Spike(s, e) } ]) surrogate (expr o (scope names) 2)
            else Gen.constant []
        let allBindings = bindings @ spike
        let finalScope = scope (allBindings |> List.map (fun b -> b.Name))
        let! updates = stateNames |> List.map (update o finalScope) |> Gen.sequenceToList
        return
            { Name = "generated"; Description = "a random neuron"; Params = pars; States = states
              Bindings = allBindings; Updates = updates; Output = (List.last allBindings).Name }
    }

/// Inputs [T, N] with T in 1..tMax, N in 1..nMax, values in [-x, x] on a 1/1000 grid.
let inputs (tMax: int) (nMax: int) (x: float) : Gen<float[,]> =
    gen {
        let! t = Gen.choose (1, tMax)
        let! n = Gen.choose (1, nMax)
        let! values = Gen.arrayOfLength (t * n) (floatIn -x x)
        return Array2D.init t n (fun i j -> values[i * n + j])
    }

/// Random raw values in [-1.5, 1.5] for every parameter of a neuron.
let rawParams (n: Neuron) : Gen<Map<string, float>> =
    n.Params
    |> List.map (fun p -> floatIn -1.5 1.5 |> Gen.map (fun v -> p.Name, v))
    |> Gen.sequenceToList
    |> Gen.map Map.ofList

/// Any built-in neuron.
let builtin: Gen<Neuron> = Gen.elements Builtins.all

/// A random neuron that uses every operation the language has (each at least once, on random operands),
/// besides the random bindings of `neuron`: what the kernels must agree with the oracle on.
let everyOperation: Gen<Neuron> =
    gen {
        let! n = neuron everything
        let rest = n.Bindings |> List.take (n.Bindings.Length - 1)
        let scope = { Refs = rest |> List.map (fun b -> b.Name); States = n.States |> List.map (fun s -> s.Name); Params = n.Params |> List.map (fun p -> p.Name) }
        let operand = expr everything scope 1
        let! a = Gen.listOfLength 12 operand
        let! b = Gen.listOfLength 12 operand
        let! cs = Gen.listOfLength 6 comparison
        let uses =
            [ yield! List.mapi (fun i c -> Compare(c, a[i], b[i])) cs
              yield Expr.where (Compare(cs[0], a[6], b[6])) a[7] b[7]
              yield Expr.floor (Expr.tanh a[8] * 3.0)
              yield Expr.sqrt (1.0 + a[9] * a[9])
              yield Expr.pow (1.0 + Expr.sigmoid a[10]) (Expr.tanh b[10])
              yield Expr.pow (Expr.tanh a[11]) (Const 2.0)
              yield Expr.pow (Expr.tanh a[11]) (Const 3.0)
              yield Expr.both (Compare(cs[1], a[0], b[1])) (Compare(cs[2], a[2], b[3]))
              yield Expr.either (Compare(cs[3], a[4], b[5])) (Compare(cs[4], a[1], b[2]))
              yield Expr.not' (Compare(cs[5], a[3], b[4]))
              yield Expr.clamp (Const -0.5) (Const 0.5) a[5] ]
        let extra = uses |> List.mapi (fun i e -> { Name = $"u{i}"; Expr = e })
        // Each use flows into the output and the state V, so the kernels compute and differentiate it.
        let total = extra |> List.map (fun u -> Ref u.Name) |> List.reduce (+)
        let v = n.Updates |> List.find (fun u -> u.Name = "V")
        let updates = n.Updates |> List.map (fun u -> if u.Name = "V" then { u with Expr = v.Expr + 0.01 * tanh total } else u)
        let output = n.Bindings |> List.last
        let spikeLast = { output with Expr = Spike(Surrogate.atan, Expr.tanh total * 0.1 + (match output.Expr with Spike(_, e) -> e | e -> e)) }
        return { n with Bindings = rest @ extra @ [ spikeLast ]; Updates = updates; Name = "every-operation" }
    }
