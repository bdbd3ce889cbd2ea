/// The optimiser's laws: a program and its derived backward, optimised (Optimise.derive), compute what the
/// program as written computes, step by step on the float64 oracle: the spike, the new states, every
/// binding, and the adjoints of the input, the previous states and the parameters. A step where a spike or
/// comparison is within 1e-9 of its threshold is left out (there the two may rightly decide differently).
module SnnDsl.Core.Tests.OptimiseTests

open System
open Expecto
open SnnDsl.TestKit
open FsCheck
open FsCheck.FSharp
open SnnDsl.Core
open SnnDsl.Core.Tests.Generators

let private close (a: float) (b: float) =
    a = b || (Double.IsNaN a && Double.IsNaN b) || abs (a - b) <= 1e-9 * max 1.0 (abs a)

/// Whether a spike's argument, a comparison's operands or a kink's argument are within 1e-9 of deciding the
/// other way (masks and selections only pass on what comparisons decided).
let private nearTie (nodes: Node[]) (r: float[]) =
    nodes
    |> Array.exists (function
        | Node.Op(Prim.Fire _, [ a ]) -> abs r[a] < 1e-9
        | Node.Op((Prim.Compare _ | Prim.Binary(BinaryOp.Min | BinaryOp.Max)), [ a; b ]) -> abs (r[a] - r[b]) < 1e-9
        | Node.Op((Prim.Unary(UnaryOp.Relu | UnaryOp.Abs) | Prim.Sign), [ a ]) -> abs r[a] < 1e-9
        | Node.Op(Prim.Unary UnaryOp.Floor, [ a ]) -> abs (r[a] - round r[a]) < 1e-9
        | _ -> false)

/// The first difference between the written and the optimised program over the inputs, or None.
let private difference (n: Neuron) (xs: float[]) (seed: int) : string option =
    let p = Program.lower Program.learnable n
    let back = Adjoint.derive p
    let q, qback = Optimise.derive p
    let r = Random seed
    let pars = p.Params |> List.map (fun s -> s.Init + r.NextDouble() - 0.5) |> Array.ofList
    let mutable state = p.States |> List.map (fun s -> s.Init) |> Array.ofList
    let mutable found = None
    for t in 0 .. xs.Length - 1 do
        if found.IsNone then
            let gout = r.NextDouble() * 2.0 - 1.0
            let gnext = p.States |> List.map (fun _ -> r.NextDouble() * 2.0 - 1.0) |> Array.ofList
            let source (s: Source) =
                match s with
                | Source.Input -> xs[t]
                | Source.State i -> state[i]
                | Source.Param i -> pars[i]
                | Source.Const c -> c
                | Source.GradOutput -> gout
                | Source.GradNext i -> gnext[i]
            let rp = Oracle.registers Scalar.arith back.Nodes source
            let rq = Oracle.registers Scalar.arith qback.Nodes source
            if not (nearTie back.Nodes rp) then
                let pairs =
                    [ yield "the spike", p.Output, q.Output
                      yield! List.map2 (fun (s: StateSpec) (a, b) -> $"state {s.Name}'", a, b) p.States (List.zip p.Next q.Next)
                      yield! List.map2 (fun (name, a) (_, b) -> $"binding {name}", a, b) p.Bindings q.Bindings
                      yield "d/dX", back.GradInput, qback.GradInput
                      yield! List.map2 (fun (s: StateSpec) (a, b) -> $"d/d{s.Name}", a, b) p.States (List.zip back.GradState qback.GradState)
                      yield! List.map2 (fun (s: ParamSpec) (a, b) -> $"d/d{s.Name}", a, b) p.Params (List.zip back.GradParam qback.GradParam) ]
                found <-
                    pairs
                    |> List.tryFind (fun (_, a, b) -> not (close rp[a] rq[b]))
                    |> Option.map (fun (what, a, b) -> $"{n.Name}, step {t}: {what} is %.17g{rq[b]}, written %.17g{rp[a]}")
            state <- p.Next |> List.map (fun i -> rp[i]) |> Array.ofList
    found

/// A random neuron given what the rewrites look for: tanh and σ of one operand, two divisions by another.
let private optimisable: Gen<Neuron> =
    gen {
        let! n = neuron everything
        let scope = { Refs = n.Bindings |> List.map (fun b -> b.Name); States = n.States |> List.map (fun s -> s.Name); Params = n.Params |> List.map (fun p -> p.Name) }
        let! e = expr everything scope 2
        let! d = expr everything scope 2
        let denominator = 1.5 + Expr.tanh d
        let extra = Expr.tanh e * Expr.sigmoid e + Input / denominator + State "V" / denominator
        let first = n.Updates.Head
        return
            { n with
                Bindings = n.Bindings @ [ { Name = "opt"; Expr = extra } ]
                Updates = { first with Expr = first.Expr + 0.1 * Ref "opt" } :: n.Updates.Tail }
    }

let private cases (g: Gen<Neuron>) = Gen.zip3 g (Gen.arrayOfLength 12 (floatIn -3.0 3.0)) (Gen.choose (0, 1000000))

let private holds (n, xs, seed) =
    match difference n xs seed with
    | None -> true
    | Some why -> failtest why

let private live (p: StepProgram) = Program.live p.Nodes (p.Output :: p.Next)

let private countLive (p: StepProgram) (f: Node -> bool) =
    let l = live p
    p.Nodes |> Array.indexed |> Array.filter (fun (i, n) -> l[i] && p.Variation[i] = Variation.Element && f n) |> Array.length

[<Tests>]
let tests =
    testList "Optimise" [
        lawOn 200 "optimised = written on the oracle, values and gradients, for random neurons" <| fun () ->
            forAll (cases (neuron everything)) holds

        lawOn 200 "optimised = written on the oracle for random neurons that share tanh and σ operands and divisors" <| fun () ->
            forAll (cases optimisable) holds

        lawOn 40 "optimised = written on the oracle for random neurons that use every operation" <| fun () ->
            forAll (cases everyOperation) holds

        testCase "optimised = written on the oracle for every built-in and every .neuron example" <| fun () ->
            let examples = IO.Directory.GetFiles(Repo.examples, "*.neuron") |> Array.sort |> Array.map NeuronText.loadNeuron
            let r = Random 7
            for n in Builtins.all @ List.ofArray examples do
                for seed in 1..20 do
                    let xs = Array.init 16 (fun _ -> r.NextDouble() * 6.0 - 3.0)
                    match difference n xs seed with
                    | Some why -> failtest why
                    | None -> ()

        testCase "AR-LIF's tanh(X) is computed from σ(X): three exps per step, not four" <| fun () ->
            let p = Program.lower Program.learnable Builtins.arLif
            let q = Optimise.program p
            let transcendental = function Node.Op(Prim.Unary(UnaryOp.Tanh | UnaryOp.Sigmoid | UnaryOp.Exp), _) -> true | _ -> false
            Expect.equal (countLive p transcendental) 4 "written: tanh(X), σ(cX), σ(X), σ(M')"
            Expect.equal (countLive q transcendental) 3 "optimised: σ(cX), σ(X), σ(M')"

        testCase "two divisions by one register become one reciprocal and two products" <| fun () ->
            let n =
                NeuronText.parseNeuron "two-divisions.neuron"
                    "neuron two-divisions \"two divisions by 1 + V^2\"\nstate V = 0 \"potential\"\nD = 1 + V * V\nH = X / D + 0.5 * V / D\nS = spike[atan 2](H - 1)\nV <- H * (1 - S)\n"
            let p = Program.lower Program.learnable n
            let q = Optimise.program p
            let division = function Node.Op(Prim.Binary BinaryOp.Div, _) -> true | _ -> false
            Expect.equal (countLive p division) 2 "written"
            Expect.equal (countLive q division) 1 "optimised"
            let r = Random 3
            for seed in 1..50 do
                match difference n (Array.init 10 (fun _ -> r.NextDouble() * 4.0 - 2.0)) seed with
                | Some why -> failtest why
                | None -> ()

        testCase "the float32 tanh through σ is within 2^-21 of tanh (the documented bound), from -20 to 20" <| fun () ->
            let sigmoid (x: float32) = 1.0f / (1.0f + MathF.Exp(-x))
            let worst =
                seq { for i in -200000 .. 200000 -> float32 i * 1e-4f }
                |> Seq.map (fun x ->
                    let s = sigmoid x
                    let u = 1.0f - s
                    abs (float ((s - u) / (s * s + u * u)) - Math.Tanh(float x)))
                |> Seq.max
            Expect.isLessThanOrEqual worst (Math.Pow(2.0, -21.0)) $"largest error %.3g{worst}"
    ]
